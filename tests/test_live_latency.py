"""Live latency (issue 11): the live processor measures per-frame time, end-to-end lag and frames lost,
keeps it bounded, shows it in the page's caption and switches to the lite model when the full one
stays over budget. Time is a scripted clock (each frame's "model" advances it), never the wall clock.
"""

from __future__ import annotations

import dataclasses
import math
import threading

import pytest
from test_live_processor import bridge_pose

from formcheck.app import live_processor as lp
from formcheck.app.latency import WINDOW, LatencyMeter, percentile
from formcheck.app.live_processor import LiveProcessor, live_caption
from formcheck.tools.live_bench import NewestFrameSlot

FPS = 30


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(lp.time, "monotonic", c)
    return c


class SlowEstimator:
    """A pose estimator that 'takes' ``ms`` per frame on the scripted clock."""

    made: list[str] = []

    def __init__(self, clock: Clock, ms: float) -> None:
        self.clock, self.ms = clock, ms
        self.pose = bridge_pose(0.0, 0.0)

    def detect(self, image, t_s):
        self.clock.now += self.ms / 1000.0
        return dataclasses.replace(self.pose, t_s=t_s)

    def close(self) -> None:
        pass


def _run(proc: LiveProcessor, clock: Clock, seconds: float, start: float = 0.0, every: int = 1) -> None:
    import numpy as np

    image = np.zeros((48, 64, 3), np.uint8)
    for i in range(int(seconds * FPS)):
        if i % every:
            continue
        t = start + i / FPS
        clock.now = max(clock.now, 1000.0 + t)  # the frame arrives at its own time (or late, behind a slow one)
        proc.process(image, t)


def test_percentile_and_meter_are_bounded():
    assert percentile([], 50) != percentile([], 50)  # NaN when empty
    assert percentile([3, 1, 2], 50) == 2 and percentile(range(1, 101), 95) == 95
    m = LatencyMeter()
    for i in range(10 * WINDOW):
        m.arrived(i / FPS, 5.0 + i / FPS)
        m.done(i / FPS, 5.0 + i / FPS, 5.0 + i / FPS + 0.020)
    assert len(m) == WINDOW and m.frames == 10 * WINDOW
    assert m.proc_ms(95) == pytest.approx(20.0) and m.lag_ms(50) == pytest.approx(20.0)
    assert m.lost == 0


def test_meter_counts_frames_missing_from_the_stream():
    m = LatencyMeter()
    for i in range(0, 60):
        if i % 3 == 2:  # every third frame never arrives
            continue
        m.arrived(i / FPS, i / FPS)
    # 20 missing: the last is never followed by a frame, and the two in the first five intervals come
    # before the stream's own interval is known
    assert m.lost == 17


def test_fast_frames_are_measured_and_never_switch_model(clock):
    proc = LiveProcessor("bridge", model="full", estimator_factory=lambda: SlowEstimator(clock, 20), draw=False)
    _run(proc, clock, 20.0)
    snap = proc.snapshot()
    assert snap.latency_p95_ms == pytest.approx(20.0, abs=0.5) and snap.latency_ms == pytest.approx(20.0, abs=0.5)
    assert snap.lag_p95_ms == pytest.approx(20.0, abs=0.5)
    assert snap.model == "full" and snap.model_note is None and snap.lost == 0
    caption = live_caption(snap)
    assert "frames/s" in caption and "20 ms per frame (p95)" in caption and "full model" in caption


def test_lag_grows_when_frames_wait_behind_slow_ones(clock):
    proc = LiveProcessor(
        "bridge", model="full", estimator_factory=lambda: SlowEstimator(clock, 45), draw=False, latency_budget_ms=None
    )
    _run(proc, clock, 5.0)  # frames every 33 ms, each taking 45 ms: a queue would grow without end
    snap = proc.snapshot()
    assert snap.latency_p95_ms == pytest.approx(45.0, abs=0.5)
    assert snap.lag_p95_ms > snap.latency_p95_ms
    assert snap.model == "full"  # no budget: never switches


def test_full_model_over_budget_for_long_switches_to_lite_and_the_set_goes_on(clock):
    made = []

    def factory():
        made.append(proc.model)
        return SlowEstimator(clock, 80 if proc.model == "full" else 15)

    proc = LiveProcessor("bridge", model="full", estimator_factory=factory, draw=False)
    _run(proc, clock, lp.SWITCH_AFTER_S / 2, every=3)
    assert proc.snapshot().model == "full"  # a while over budget is not yet "stays above"
    key = proc.snapshot().set_key
    _run(proc, clock, lp.SWITCH_AFTER_S + 5, start=lp.SWITCH_AFTER_S / 2, every=3)
    snap = proc.snapshot()
    assert snap.model == "lite" and made == ["full", "lite"]
    assert snap.model_note and "lighter pose model" in snap.model_note and "80 ms" in snap.model_note
    assert snap.set_key == key and snap.active  # the same set, still counting
    assert "lite model" in live_caption(snap)


def test_a_chosen_lite_model_is_kept(clock):
    proc = LiveProcessor("bridge", model="lite", estimator_factory=lambda: SlowEstimator(clock, 80), draw=False)
    _run(proc, clock, lp.SWITCH_AFTER_S + 5, every=3)
    assert proc.snapshot().model == "lite" and proc.snapshot().model_note is None


def test_newest_frame_wins_in_the_replay_slot():
    slot = NewestFrameSlot()
    slot.put((0.0, 0))
    slot.put((0.033, 1))
    slot.put((0.067, 2))
    assert slot.take() == (0.067, 2) and slot.dropped == 2 and slot.put_count == 3
    got = []
    t = threading.Thread(target=lambda: got.append(slot.take()))
    t.start()
    slot.close()
    t.join(5)
    assert got == [None]
    assert not math.isnan(percentile([1.0], 95))


class Recorder:
    """Stands in for MediaPipe's :class:`~formcheck.media.pose.PoseEstimator`: records how it was made."""

    made: list[dict] = []

    def __init__(self, model, **kwargs):
        Recorder.made.append({"model": model, **kwargs})

    def detect(self, image, t_s):
        return None

    def close(self) -> None:
        pass


@pytest.fixture
def recorder(monkeypatch):
    import formcheck.media.pose as pose

    Recorder.made = []
    monkeypatch.setattr(pose, "PoseEstimator", Recorder)
    return Recorder.made


def _frames(proc: LiveProcessor, n: int = 10) -> None:
    import numpy as np

    image = np.zeros((48, 64, 3), np.uint8)
    for i in range(n):
        proc.process(image, i / FPS)


@pytest.mark.parametrize(
    "exercise, check_every_s, self_check",
    [("bridge", 1.0, "near"), ("bird_dog", 1.0, "both"), ("knee_to_chest", 1.0, "both"), ("pelvic_tilt", 0.0, "near")],
)
def test_the_live_default_estimator_path_per_exercise(recorder, exercise, check_every_s, self_check):
    """By default a live set runs the one-person fast path (checked once a second against the detection of
    everyone in view, comparing what the exercise reads) for every exercise that allows it, and the
    detection on every frame for the pelvic tilt (and any exercise of :data:`lp.LIVE_DETECTION_ONLY`)."""
    from formcheck.media.pose import CHECK_EVERY_S, SelfCheck

    assert CHECK_EVERY_S == 1.0
    if exercise in lp.LIVE_DETECTION_ONLY:
        check_every_s = 0.0
    _frames(LiveProcessor(exercise))
    assert len(recorder) == 1  # one estimator for the set, made on its first frame
    assert recorder[0]["model"] == "full" and recorder[0]["check_every_s"] == check_every_s
    assert recorder[0]["self_check"] == SelfCheck(self_check)


@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize("exercise", ["bridge", "pelvic_tilt"])
def test_the_live_fast_path_when_told_and_never_for_the_pelvic_tilt(recorder, fast, exercise):
    _frames(LiveProcessor(exercise, fast=fast))
    assert recorder[0]["check_every_s"] == (1.0 if fast and exercise != "pelvic_tilt" else 0.0)


def test_the_estimator_choice_is_made_once_per_set(recorder, monkeypatch):
    """What the estimator is made for (self-check, fast path, mask, posture) is chosen when a set starts,
    not on every frame; a new set of another exercise chooses again and gets its own estimator."""
    calls = []
    real = lp._self_check
    monkeypatch.setattr(lp, "_self_check", lambda spec: calls.append(spec.id) or real(spec))
    proc = LiveProcessor("bridge")
    _frames(proc, 60)
    assert calls == ["bridge"] and len(recorder) == 1
    proc.arm("bird_dog")
    _frames(proc, 30)
    assert calls == ["bridge", "bird_dog"] and len(recorder) == 2
    assert [m["self_check"].value for m in recorder] == ["near", "both"]


def test_the_live_fast_path_checks_what_the_exercise_reads():
    """As for files: the bridge's self-check compares the nearer side, the knee hug's and the bird-dog's
    both sides (they read the far limbs); something that is not an exercise's spec gets both sides."""
    from formcheck.app.live_processor import _self_check
    from formcheck.core.exercise import get_exercise
    from formcheck.media.pose import SelfCheck

    assert _self_check(get_exercise("bridge")) == SelfCheck.NEAR_SIDE
    assert _self_check(get_exercise("knee_to_chest")) == SelfCheck.BOTH_SIDES
    assert _self_check(get_exercise("bird_dog")) == SelfCheck.BOTH_SIDES
    assert _self_check(object()) is None


def test_the_replay_report_says_which_landmarker_ran_and_the_load():
    from formcheck.tools.live_bench import LiveBenchResult, format_live_bench

    r = LiveBenchResult(
        video="clip.mp4", model="full", width=640, height=480, fps=30.0, seconds=60.0, offered=1800,
        analysed=1750, dropped=50, proc_ms=[20.0, 30.0], lag_ms=[25.0, 40.0],
        estimator={"single": 1750, "multi": 62, "disagreements": 1}, load_start=0.5, load_end=1.25,
    )  # fmt: skip
    text = format_live_bench(r)
    assert "one-person tracking on 1750 frames, detection of everyone in view on 62" in text
    assert "disagreed 1 times" in text and "load average (1 min): 0.50 at the start, 1.25 at the end" in text
    assert text.splitlines()[-1] == "frames dropped: 2.8 %"


def test_the_processor_counts_what_its_estimator_ran():
    class Counting(SlowEstimator):
        frames_single, frames_multi, disagreements = 0, 0, 0

        def detect(self, image, t_s):
            self.frames_single += 1
            self.frames_multi += t_s == 0  # the first frame's check
            return super().detect(image, t_s)

    clock = Clock()
    proc = LiveProcessor("bridge", estimator_factory=lambda: Counting(clock, 5), draw=False)
    assert proc.estimator_counts() is None  # no estimator before the first frame
    _frames(proc, 30)
    assert proc.estimator_counts() == {"single": 30, "multi": 1, "disagreements": 0}
    proc.stop()
    assert proc.estimator_counts() is None  # closed with the set
