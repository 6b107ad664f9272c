"""LiveProcessor with scripted landmark frames: no browser, no model (a fake estimator)."""

from __future__ import annotations

import threading
from fractions import Fraction

import numpy as np
import pytest

from formcheck.history import History
from formcheck.landmarks import frame_from_points
from formcheck.live_processor import LiveProcessor, frame_time, side_advice


def bridge_pose(t: float, lift: float):
    """A person lying side-on (left side to the camera); lift 0 = resting, 1 = top of a bridge."""
    sh, knee, ankle = (160, 380), (420, 300), (480, 390)
    line_y = sh[1] + (knee[1] - sh[1]) * ((330 - sh[0]) / (knee[0] - sh[0]))
    hip = (330, 390 + (line_y - 390) * lift)
    pts = {"nose": (100, 370), "left_ear": (115, 365), "right_ear": (115, 366),
           "left_shoulder": sh, "right_shoulder": (sh[0], sh[1] + 2), "left_elbow": (230, 395),
           "right_elbow": (230, 396), "left_wrist": (300, 400), "right_wrist": (300, 401),
           "left_hip": hip, "right_hip": (hip[0], hip[1] + 2), "left_knee": knee, "right_knee": (knee[0], knee[1] + 2),
           "left_ankle": ankle, "right_ankle": (ankle[0], ankle[1] + 2), "left_heel": (470, 400),
           "right_heel": (470, 401), "left_foot_index": (510, 400), "right_foot_index": (510, 401)}
    vis = {n: (0.99 if n.startswith("left") or n == "nose" else 0.6) for n in pts}
    return frame_from_points(t, pts, 640, 480, visibility=vis)


def lift_at(t: float, period: float = 6.0, start: float = 1.5) -> float:
    """Rest until ``start``; then each period: up 0.8 s, hold 3.5 s, down 0.8 s, rest 0.9 s."""
    if t < start:
        return 0.0
    p = (t - start) % period
    if p < 0.8:
        return p / 0.8
    if p < 4.3:
        return 1.0
    if p < 5.1:
        return 1 - (p - 4.3) / 0.8
    return 0.0


class FakeEstimator:
    """Returns the scripted pose for the frame's time (the image is ignored)."""

    instances: list["FakeEstimator"] = []

    def __init__(self, fail: bool = False, offset: float = 0.0):
        self.closed = False
        self.calls = 0
        self.thread = threading.get_ident()
        self.fail = fail
        self.offset = offset
        FakeEstimator.instances.append(self)

    def detect(self, image, t_s):
        if self.closed:
            raise RuntimeError("PoseEstimator is closed")
        if self.fail:
            raise ValueError("model exploded\nsecond line")
        self.calls += 1
        t = t_s - self.offset
        return bridge_pose(t_s, lift_at(t))

    def close(self):
        self.closed = True


@pytest.fixture(autouse=True)
def _reset_instances():
    FakeEstimator.instances = []


IMG = np.zeros((48, 64, 3), np.uint8)


def run(proc: LiveProcessor, times) -> None:
    for t in times:
        proc.process(IMG.copy(), t)


def times(fps: float, until: float, start: float = 0.0):
    n = int((until - start) * fps)
    return [start + i / fps for i in range(n)]


def test_counts_reps_on_frame_timestamps():
    proc = LiveProcessor("bridge", estimator_factory=FakeEstimator, draw=False)
    run(proc, times(30, 14))
    snap = proc.snapshot()
    assert snap.reps == 2 and snap.status["good_reps"] == 2
    assert snap.frames == 14 * 30 and snap.frames_with_pose == snap.frames
    assert snap.active and not snap.finished
    assert 25 <= snap.fps <= 35
    assert any(e["type"] == "rep" for e in snap.events)
    holds = snap.report["holds"]
    assert len(holds) == 2 and all(3.0 <= h["duration_s"] <= 3.7 for h in holds)


@pytest.mark.parametrize("fps", [8, 15, 30, 60])
def test_frame_rate_does_not_change_hold_time(fps):
    proc = LiveProcessor("bridge", estimator_factory=FakeEstimator, draw=False)
    run(proc, times(fps, 14))
    rep = proc.snapshot().report
    assert rep["reps"] == 2
    for h in rep["holds"]:
        assert h["duration_s"] == pytest.approx(3.45, abs=0.3)


def test_dropped_frames_never_break_counting():
    rng = np.random.default_rng(1)
    ts = [t for t in times(30, 14) if rng.random() > 0.45]  # drop ~45 % of the frames, irregularly
    ts = [t + rng.uniform(0, 0.01) for t in ts]              # and jitter the rest
    proc = LiveProcessor("bridge", estimator_factory=FakeEstimator, draw=False)
    run(proc, ts)
    rep = proc.snapshot().report
    assert rep["reps"] == 2
    assert all(h["duration_s"] == pytest.approx(3.45, abs=0.3) for h in rep["holds"])


def test_repeated_and_backward_timestamps_are_skipped_or_rebased():
    proc = LiveProcessor("bridge", estimator_factory=FakeEstimator, draw=False)
    run(proc, [0.0, 0.1, 0.1, 0.05, 0.2])  # duplicate and a slightly older frame: skipped
    snap = proc.snapshot()
    assert snap.frames == 3 and snap.dropped == 2
    run(proc, [100.0, 100.1])  # a jump forward is fine
    run(proc, [0.0, 0.1])      # a new clock (stream restarted): continues after the old one
    snap = proc.snapshot()
    assert snap.frames == 7
    assert snap.stream_t_s > 100.0


def test_no_timestamp_falls_back_to_the_clock():
    proc = LiveProcessor("bridge", estimator_factory=FakeEstimator, draw=False)
    run(proc, [None, None, None])
    assert proc.snapshot().frames >= 1


def test_saver_gets_every_rep_and_the_stop(tmp_path):
    hist = History(tmp_path / "h.sqlite3")
    payloads = []

    def saver(p):
        payloads.append(p)
        meta = p["meta"]
        hist.save_set(p["key"], exercise=p["exercise"], source="live", report=p["report"],
                      pain_before=meta.get("pain_before"), stop_reason=p["stop_reason"], finished=p["finished"],
                      started_at=p["started_at"])

    proc = LiveProcessor("bridge", estimator_factory=FakeEstimator, draw=False, saver=saver, meta={"pain_before": 4})
    run(proc, times(30, 7))
    rows = hist.list_sets()
    assert len(rows) == 1 and rows[0]["reps"] == 1 and rows[0]["pain_before"] == 4 and not rows[0]["finished"]
    run(proc, times(30, 14, start=7))
    assert hist.list_sets()[0]["reps"] == 2  # saved as it went, before any stop
    assert proc.stop("pain") is True
    row = hist.list_sets()[0]
    assert row["finished"] and row["stop_reason"] == "pain" and row["holds"] == 2
    assert payloads[-1]["finished"] is True
    # stream time between saves never exceeds the save interval much
    assert len(payloads) >= 14 / 5


def test_stop_ends_the_set_and_later_frames_are_not_counted():
    proc = LiveProcessor("bridge", estimator_factory=FakeEstimator, draw=True)
    run(proc, times(30, 7))
    assert proc.snapshot().reps == 1
    assert proc.stop("pain")
    assert FakeEstimator.instances[-1].closed  # released on stop
    out = proc.process(IMG.copy(), 7.5)
    assert out.shape == IMG.shape
    snap = proc.snapshot()
    assert snap.finished and snap.stop_reason == "pain" and not snap.armed and snap.reps == 1
    assert proc.stop("again") is False
    key = snap.set_key
    proc.arm()  # "Start another set"
    run(proc, times(30, 9, start=8))
    snap = proc.snapshot()
    assert snap.active and snap.set_key != key and snap.reps == 0


def test_changing_exercise_starts_a_new_counter():
    saved = []
    proc = LiveProcessor("bridge", estimator_factory=FakeEstimator, draw=False, saver=saved.append)
    run(proc, times(30, 7))
    first = proc.snapshot()
    assert first.reps == 1
    proc.arm("pelvic_tilt" if "pelvic_tilt" in _ids() else "bridge")
    assert saved[-1]["finished"] and saved[-1]["stop_reason"] in ("exercise changed", "restarted")
    run(proc, times(30, 8, start=7))
    snap = proc.snapshot()
    assert snap.reps == 0 and snap.set_key != first.set_key


def _ids():
    from formcheck.exercise import all_exercises

    return set(all_exercises())


def test_estimator_is_lazy_per_stream_and_closed_on_stream_end():
    proc = LiveProcessor("bridge", estimator_factory=FakeEstimator, draw=False)
    assert FakeEstimator.instances == []  # nothing created before the first frame
    worker = threading.Thread(target=run, args=(proc, times(30, 2)))
    worker.start()
    worker.join()
    assert len(FakeEstimator.instances) == 1
    assert FakeEstimator.instances[0].thread == worker.ident  # created in the frame thread
    proc.end_stream()
    assert FakeEstimator.instances[0].closed
    snap = proc.snapshot()
    assert snap.finished and snap.stop_reason == "camera stopped" and snap.armed
    run(proc, times(30, 1))  # a new stream: new estimator, new set, clock from 0 again
    assert len(FakeEstimator.instances) == 2 and proc.snapshot().active


def test_model_errors_are_reported_in_one_line():
    proc = LiveProcessor("bridge", estimator_factory=lambda: FakeEstimator(fail=True), draw=False)
    out = proc.process(IMG.copy(), 0.0)
    assert out.shape == IMG.shape
    assert proc.snapshot().error == "model exploded"


def test_saver_failure_is_reported_not_raised():
    def bad(p):
        raise OSError("disk full")

    proc = LiveProcessor("bridge", estimator_factory=FakeEstimator, draw=False, saver=bad)
    run(proc, times(30, 1))
    assert "disk full" in proc.snapshot().error


def test_snapshot_while_frames_arrive_from_another_thread():
    proc = LiveProcessor("bridge", estimator_factory=FakeEstimator, draw=True)
    worker = threading.Thread(target=run, args=(proc, times(30, 14)))
    worker.start()
    seen = []
    while worker.is_alive():
        s = proc.snapshot()
        seen.append(s.reps)
        assert isinstance(s.status, dict)
    worker.join()
    assert seen == sorted(seen)  # never goes backwards
    assert proc.snapshot().reps == 2


def test_callback_uses_the_frame_time_and_keeps_pts():
    import av

    proc = LiveProcessor("bridge", estimator_factory=FakeEstimator, draw=True)
    tb = Fraction(1, 90000)
    for i in range(int(7 * 20)):  # 20 fps in 90 kHz ticks, starting at an arbitrary clock value
        frame = av.VideoFrame.from_ndarray(np.zeros((240, 320, 3), np.uint8), format="bgr24")
        frame.pts = 123456 + i * 4500
        frame.time_base = tb
        assert frame_time(frame) == pytest.approx(float((123456 + i * 4500) * tb))
        out = proc.callback(frame)
        assert out.pts == frame.pts and out.time_base == tb
        assert (out.width, out.height) == (320, 240)
    snap = proc.snapshot()
    assert snap.frames == 140
    assert snap.stream_t_s == pytest.approx(139 / 20)


def test_frame_time_without_any_clock():
    class F:
        pts = None
        time_base = None
        time = None

    assert frame_time(F()) is None


def test_side_advice():
    assert side_advice({}, 10) is None
    assert side_advice({"left": 3}, 10) is None
    assert "Switch" in side_advice({"left": 10}, 10, "left") and "right" in side_advice({"left": 10}, 10, "left")
    assert side_advice({"left": 10, "right": 2}, 10, "right") is None
    assert "Both sides" in side_advice({"left": 10, "right": 10}, 10)
    assert side_advice({"left": 5}, 0) is None
