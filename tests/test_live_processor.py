"""LiveProcessor with scripted landmark frames: no browser, no model (a fake estimator)."""

from __future__ import annotations

import threading
import time
from fractions import Fraction

import numpy as np
import pytest

from formcheck.app.history import History
from formcheck.app.live_processor import LiveProcessor, frame_time, side_advice
from formcheck.core.landmarks import frame_from_points


def bridge_pose(t: float, lift: float):
    """A person lying side-on (left side to the camera); lift 0 = resting, 1 = top of a bridge."""
    sh, knee, ankle = (160, 380), (420, 300), (480, 390)
    line_y = sh[1] + (knee[1] - sh[1]) * ((330 - sh[0]) / (knee[0] - sh[0]))
    hip = (330, 390 + (line_y - 390) * lift)
    pts = {
        "nose": (100, 370),
        "left_ear": (115, 365),
        "right_ear": (115, 366),
        "left_shoulder": sh,
        "right_shoulder": (sh[0], sh[1] + 2),
        "left_elbow": (230, 395),
        "right_elbow": (230, 396),
        "left_wrist": (300, 400),
        "right_wrist": (300, 401),
        "left_hip": hip,
        "right_hip": (hip[0], hip[1] + 2),
        "left_knee": knee,
        "right_knee": (knee[0], knee[1] + 2),
        "left_ankle": ankle,
        "right_ankle": (ankle[0], ankle[1] + 2),
        "left_heel": (470, 400),
        "right_heel": (470, 401),
        "left_foot_index": (510, 400),
        "right_foot_index": (510, 401),
    }
    vis = {n: (0.99 if n.startswith("left") or n == "nose" else 0.6) for n in pts}
    return frame_from_points(t, pts, 640, 480, visibility=vis)


#: How long lift_at holds the top (s): from 0.8 s to 4.3 s of each period.
HOLD_S = 3.5


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

    instances: list[FakeEstimator] = []

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
    assert snap.fps == pytest.approx(30.0, abs=1e-6)  # frames a second of stream time: the stream's rate
    assert [e["type"] for e in snap.events].count("rep") == 2
    holds = snap.report["holds"]
    # each the scripted 3.5-s hold, to within a frame at each end
    assert len(holds) == 2 and all(h["duration_s"] == pytest.approx(HOLD_S, abs=2 / 30) for h in holds)


@pytest.mark.parametrize("fps", [8, 15, 30, 60])
def test_frame_rate_does_not_change_hold_time(fps):
    proc = LiveProcessor("bridge", estimator_factory=FakeEstimator, draw=False)
    run(proc, times(fps, 14))
    rep = proc.snapshot().report
    assert rep["reps"] == 2 and len(rep["holds"]) == 2
    for h in rep["holds"]:  # the scripted hold, to within a frame of the slowest rate (8 fps) at each end
        assert h["duration_s"] == pytest.approx(HOLD_S, abs=2 / 8)


def test_dropped_frames_never_break_counting():
    rng = np.random.default_rng(1)
    ts = [t for t in times(30, 14) if rng.random() > 0.45]  # drop ~45 % of the frames, irregularly
    ts = [t + rng.uniform(0, 0.01) for t in ts]  # and jitter the rest
    proc = LiveProcessor("bridge", estimator_factory=FakeEstimator, draw=False)
    run(proc, ts)
    rep = proc.snapshot().report
    assert rep["reps"] == 2 and rep["good_reps"] == 2 and len(rep["holds"]) == 2
    # each end of a hold is seen to within the longest gap between the frames that arrived
    gap = max(b - a for a, b in zip(ts, ts[1:]))
    assert all(h["duration_s"] == pytest.approx(HOLD_S, abs=2 * gap) for h in rep["holds"])


def test_repeated_and_backward_timestamps_are_skipped_or_rebased():
    proc = LiveProcessor("bridge", estimator_factory=FakeEstimator, draw=False)
    run(proc, [0.0, 0.1, 0.1, 0.05, 0.2])  # duplicate and a slightly older frame: skipped
    snap = proc.snapshot()
    assert snap.frames == 3 and snap.dropped == 2
    run(proc, [100.0, 100.1])  # a jump forward is fine
    run(proc, [0.0, 0.1])  # a new clock (stream restarted): continues after the old one
    snap = proc.snapshot()
    assert snap.frames == 7
    assert snap.stream_t_s > 100.0


def test_no_timestamp_falls_back_to_the_clock():
    proc = LiveProcessor("bridge", estimator_factory=FakeEstimator, draw=False)
    run(proc, [None, None, None])
    snap = proc.snapshot()
    assert (snap.frames, snap.dropped) == (3, 0)  # the monotonic clock always moves on


def test_saver_gets_every_rep_and_the_stop(tmp_path):
    hist = History(tmp_path / "h.sqlite3")
    payloads = []

    def saver(p):
        payloads.append(p)
        meta = p["meta"]
        hist.save_set(
            p["key"],
            exercise=p["exercise"],
            source="live",
            report=p["report"],
            pain_before=meta.get("pain_before"),
            stop_reason=p["stop_reason"],
            finished=p["finished"],
            started_at=p["started_at"],
        )

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
    # saved on the first frame, at once on each rep, and otherwise every SAVE_EVERY_S of stream time
    from formcheck.app.live_processor import SAVE_EVERY_S

    done = [p["report"].to_dict() for p in payloads]
    assert done[0]["duration_s"] == 0.0 and [d["reps"] for d in done].count(0) == 2  # the first frame, 5 s later
    assert all(b["duration_s"] - a["duration_s"] <= SAVE_EVERY_S + 1 / 30 for a, b in zip(done, done[1:]))
    firsts = [next(d for d in done if d["reps"] == n) for n in (1, 2)]  # the save that first has each rep
    # saved at once: on the frame the rep was counted, within a frame or two of its end
    assert all(0 <= d["duration_s"] - d["rep_events"][-1]["end_s"] <= 2 / 30 for d in firsts)


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
    proc.arm("pelvic_tilt")
    assert saved[-1]["finished"] and saved[-1]["stop_reason"] == "exercise changed"
    run(proc, times(30, 8, start=7))
    snap = proc.snapshot()
    assert snap.reps == 0 and snap.set_key != first.set_key


def test_restarting_the_same_exercise_is_a_restart():
    saved = []
    proc = LiveProcessor("bridge", estimator_factory=FakeEstimator, draw=False, saver=saved.append)
    run(proc, times(30, 2))
    proc.arm()
    assert saved[-1]["finished"] and saved[-1]["stop_reason"] == "restarted"


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
    assert proc.snapshot().error == "Pose estimation failed: model exploded"


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
        # a page polls every few hundred ms; polling every 2 ms still overlaps every frame, without a
        # busy loop starving the frame thread of the GIL and the lock (3 s to 84 s per run otherwise)
        time.sleep(0.002)
    worker.join()
    assert len(seen) > 10  # it did read while frames arrived
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


# ---------------------------------------------------------------------------- issue 9: threads, errors, saves
import logging  # noqa: E402

from formcheck.app.support import history_saver  # noqa: E402
from formcheck.media.pose import ModelError  # noqa: E402

WAIT_S = 20.0  # generous: only a deadlock would reach it


class BlockingEstimator(FakeEstimator):
    """detect() waits for ``release`` once ``block`` is set, so a test can act while the model 'runs'."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.block = threading.Event()
        self.entered = threading.Event()
        self.release = threading.Event()

    def detect(self, image, t_s):
        if self.block.is_set():
            self.entered.set()
            assert self.release.wait(WAIT_S)
        return super().detect(image, t_s)


def _in_thread(fn, *args) -> threading.Thread:
    th = threading.Thread(target=fn, args=args, daemon=True)
    th.start()
    return th


def test_stop_and_snapshot_never_wait_for_the_model():
    est = BlockingEstimator()
    proc = LiveProcessor("bridge", estimator_factory=lambda: est, draw=False)
    run(proc, times(30, 7))
    assert proc.snapshot().reps == 1
    est.block.set()
    worker = _in_thread(proc.process, IMG.copy(), 7.1)
    assert est.entered.wait(WAIT_S)  # the frame thread is inside the model now
    stopper = _in_thread(proc.stop, "pain")
    stopper.join(WAIT_S)
    assert not stopper.is_alive()  # "Stop — this hurts" did not wait behind MediaPipe
    snap = proc.snapshot()
    assert snap.finished and snap.stop_reason == "pain" and snap.reps == 1
    assert worker.is_alive() and not est.closed  # never closed under the frame thread's feet
    est.release.set()
    worker.join(WAIT_S)
    assert not worker.is_alive()
    assert est.closed  # the frame thread closed it when it came out of the model
    assert proc.snapshot().frames == snap.frames  # the frame that was in the model when the set ended is not counted


def test_model_loading_does_not_block_the_page():
    loading, release = threading.Event(), threading.Event()

    def slow_factory():
        loading.set()
        assert release.wait(WAIT_S)
        return FakeEstimator()

    proc = LiveProcessor("bridge", estimator_factory=slow_factory, draw=False)
    worker = _in_thread(proc.process, IMG.copy(), 0.0)
    assert loading.wait(WAIT_S)
    snap = proc.snapshot()
    assert snap.active and snap.frames == 0
    setter = _in_thread(lambda: proc.set_meta(pain_before=2))
    setter.join(WAIT_S)
    assert not setter.is_alive() and proc.snapshot().meta == {"pain_before": 2}
    release.set()
    worker.join(WAIT_S)
    assert proc.snapshot().frames == 1


def test_a_model_that_fails_to_load_is_reported_once_and_not_retried(caplog):
    calls = []

    def broken():
        calls.append(1)
        raise ModelError("pose_landmarker_full.task: MediaPipe could not load this .task model file (bad zip)")

    proc = LiveProcessor("bridge", estimator_factory=broken, draw=False)
    with caplog.at_level(logging.WARNING, logger="formcheck.app.live_processor"):
        run(proc, times(30, 2))
    assert len(calls) == 1
    snap = proc.snapshot()
    assert snap.error.startswith("The pose model could not be loaded: pose_landmarker_full.task")
    assert "\n" not in snap.error and snap.frames == 0
    records = [r for r in caplog.records if r.name == "formcheck.app.live_processor"]
    assert [r.levelno for r in records] == [logging.ERROR]
    proc.arm()  # "Start another set" tries again, once
    run(proc, times(30, 3, start=2))
    assert len(calls) == 2


def test_a_bug_while_loading_the_model_is_logged_with_its_traceback(caplog):
    def buggy():
        raise TypeError("unexpected keyword argument 'segmentaton'")

    proc = LiveProcessor("bridge", estimator_factory=buggy, draw=False)
    with caplog.at_level(logging.WARNING):
        run(proc, times(30, 1))
    (rec,) = [r for r in caplog.records if r.name == "formcheck.app.live_processor"]
    assert rec.levelno == logging.ERROR and rec.exc_info and rec.exc_info[0] is TypeError
    err = proc.snapshot().error
    assert "TypeError" in err and "Traceback" not in err and "\n" not in err


def test_a_bug_in_detection_is_logged_at_error_once_and_not_hidden(caplog):
    class Buggy(FakeEstimator):
        def detect(self, image, t_s):
            return self.missing_attribute

    proc = LiveProcessor("bridge", estimator_factory=Buggy, draw=False)
    with caplog.at_level(logging.WARNING):
        run(proc, times(30, 2))
    recs = [r for r in caplog.records if r.name == "formcheck.app.live_processor"]
    assert len(recs) == 1 and recs[0].levelno == logging.ERROR and recs[0].exc_info[0] is AttributeError
    assert proc.snapshot().error.startswith("Internal error in the pose estimation (AttributeError")


def test_a_bug_in_a_checker_is_logged_with_traceback_and_the_set_can_still_stop(caplog, monkeypatch):
    from formcheck.core.checker import ExerciseChecker

    def broken_update(self, t_s, frame):
        raise KeyError("left_hip")

    monkeypatch.setattr(ExerciseChecker, "update", broken_update)
    saved = []
    proc = LiveProcessor("bridge", estimator_factory=FakeEstimator, draw=False, saver=saved.append)
    with caplog.at_level(logging.WARNING):
        run(proc, times(30, 1))
    recs = [r for r in caplog.records if r.name == "formcheck.app.live_processor"]
    assert len(recs) == 1 and recs[0].levelno == logging.ERROR and recs[0].exc_info[0] is KeyError
    assert "Internal error in the exercise checker (KeyError" in proc.snapshot().error
    assert proc.stop("finished") and saved[-1]["finished"]


def test_measure_errors_are_logged_at_error_once_per_kind(caplog, monkeypatch):
    from formcheck.core.exercise import get_exercise

    cls = type(get_exercise("bridge").make_checker())

    def degenerate(self, frame):
        raise ZeroDivisionError("float division by zero")

    monkeypatch.setattr(cls, "measure", degenerate)
    proc = LiveProcessor("bridge", estimator_factory=FakeEstimator, draw=False)
    with caplog.at_level(logging.DEBUG, logger="formcheck.core.checker"):
        run(proc, times(30, 2))
    recs = [r for r in caplog.records if r.name == "formcheck.core.checker" and "measure failed" in r.getMessage()]
    assert len(recs) == 1 and recs[0].levelno == logging.ERROR and recs[0].exc_info[0] is ZeroDivisionError
    assert proc.snapshot().frames == 60


def test_payloads_carry_growing_sequence_numbers_and_the_final_is_last():
    saved = []
    proc = LiveProcessor("bridge", estimator_factory=FakeEstimator, draw=False, saver=saved.append)
    run(proc, times(30, 14))
    proc.stop("finished")
    seqs = [p["seq"] for p in saved]
    assert seqs == sorted(set(seqs)) and saved[-1]["finished"] and saved[-1]["seq"] == max(seqs)


def test_late_periodic_save_replayed_after_the_final_one_changes_nothing(tmp_path):
    hist = History(tmp_path / "h.sqlite3")
    payloads = []
    save = history_saver(hist)

    def saver(p):
        payloads.append(p)
        save(p)

    proc = LiveProcessor("bridge", estimator_factory=FakeEstimator, draw=False, saver=saver)
    run(proc, times(30, 20))
    assert proc.stop("finished")
    final = hist.list_sets()[0]
    assert final["reps"] == 3 and final["finished"]
    for p in payloads[:-1]:  # every earlier save arrives late, in any order
        save(p)
    for p in reversed(payloads[:-1]):
        save(p)
    row = hist.list_sets()[0]
    assert (row["reps"], row["finished"], row["stop_reason"], row["holds"]) == (3, True, "finished", final["holds"])


def test_forced_late_periodic_save_never_lowers_a_finished_set(tmp_path):
    """The interleaving of issue 9: the frame thread has made a periodic save (2 reps) while rep 3
    is being held, and is held up before it reaches the database; the person presses Stop, whose
    final save (rep 3 closed: 3 reps) lands first; then the late periodic save lands."""
    hist = History(tmp_path / "h.sqlite3")
    save = history_saver(hist)
    gate_entered, gate_open = threading.Event(), threading.Event()
    gated = []

    def saver(p):
        d = p["report"].to_dict()
        if not p["finished"] and d["reps"] == 2 and d["duration_s"] > 14.5 and not gated:
            gated.append(p["seq"])
            gate_entered.set()
            assert gate_open.wait(WAIT_S)
        save(p)

    proc = LiveProcessor("bridge", estimator_factory=FakeEstimator, draw=False, saver=saver)
    worker = _in_thread(run, proc, times(30, 17.7))  # rep 3 is held from 14.3 s to 17.8 s
    assert gate_entered.wait(WAIT_S)
    assert proc.snapshot().status["phase"] == "hold"
    assert proc.stop("pain")  # from the script thread, while the worker is stuck in its save
    row = hist.list_sets()[0]
    assert (row["reps"], row["finished"], row["stop_reason"]) == (3, True, "pain")
    gate_open.set()
    worker.join(WAIT_S)
    assert not worker.is_alive()
    row = hist.list_sets()[0]
    assert (row["reps"], row["finished"], row["stop_reason"]) == (3, True, "pain")  # 3 -> 2 is impossible
    assert row["save_seq"] > gated[0]
    assert proc.snapshot().reps == 3


def test_a_failing_history_is_reported_once_in_the_log(caplog):
    from formcheck.app.history import HistoryError

    def read_only(p):
        raise HistoryError("/x/h.sqlite3: the history file is read-only, so nothing can be saved")

    proc = LiveProcessor("bridge", estimator_factory=FakeEstimator, draw=False, saver=read_only)
    with caplog.at_level(logging.WARNING, logger="formcheck.app.live_processor"):
        run(proc, times(30, 14))
    assert proc.snapshot().error.startswith(
        "Could not save to the history: /x/h.sqlite3: the history file is read-only"
    )
    assert len([r for r in caplog.records if r.name == "formcheck.app.live_processor"]) == 1
    assert proc.snapshot().reps == 2  # counting goes on


def test_live_sets_keep_a_bounded_trace():
    proc = LiveProcessor("bridge", estimator_factory=FakeEstimator, draw=False, trace_frames=90)
    run(proc, times(30, 10))
    assert len(proc._session.checker.trace) == 90
    assert proc.snapshot().reps == 1


def test_a_passing_problem_leaves_the_page_when_things_work_again():
    fail = {"detect": True, "save": True}

    class Flaky(FakeEstimator):
        def detect(self, image, t_s):
            if fail["detect"]:
                raise RuntimeError("graph error")
            return super().detect(image, t_s)

    def saver(p):
        if fail["save"]:
            raise OSError("disk full")

    proc = LiveProcessor(
        "bridge", estimator_factory=lambda: Flaky(offset=1.0), draw=False, saver=saver
    )  # rest until 2.5 s
    run(proc, times(30, 1))
    assert proc.snapshot().error == "Pose estimation failed: graph error"
    fail["detect"] = False
    run(proc, times(30, 2, start=1))
    assert proc.snapshot().error == "Could not save to the history: disk full"
    fail["save"] = False
    run(proc, times(30, 8, start=2))  # the next save (a rep) goes through
    assert proc.snapshot().error is None and proc.snapshot().reps == 1
