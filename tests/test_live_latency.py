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


@pytest.mark.parametrize("fast, check_every_s", [(True, 1.0), (False, 0.0)])
def test_the_live_processor_asks_for_the_fast_path_when_told(monkeypatch, fast, check_every_s):
    import formcheck.media.pose as pose

    made = []

    class Recorder:
        def __init__(self, model, **kwargs):
            made.append(kwargs)

    monkeypatch.setattr(pose, "PoseEstimator", Recorder)
    LiveProcessor("bridge", fast=fast)._make_estimator(("full", False, "supine", pose.SelfCheck.NEAR_SIDE))
    assert made and made[0]["check_every_s"] == check_every_s
    assert made[0]["self_check"] == pose.SelfCheck.NEAR_SIDE
    assert pose.CHECK_EVERY_S == 1.0


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
