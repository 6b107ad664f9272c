"""The rep/hold state machine on video time (no landmarks involved)."""

from __future__ import annotations

import pytest

from formcheck.core.reps import HoldSpan, RepHoldMachine, RepThresholds

TH = RepThresholds(rest_enter=10, rest_exit=20, attempt=50, top_exit=70, top_enter=80)


def feed(machine: RepHoldMachine, samples):
    finished, discarded = [], []
    for t, v in samples:
        u = machine.update(t, v)
        if u.finished:
            finished.append(u.finished)
        if u.discarded:
            discarded.append(u.discarded)
    u = machine.finish()
    if u.finished:
        finished.append(u.finished)
    return finished, discarded


def sampled(level, fps: float, duration_s: float) -> list[tuple[float, float]]:
    """``(t, level(t))`` at ``fps`` frames per second for ``duration_s`` seconds, from 0."""
    return [(i / fps, level(i / fps)) for i in range(int(duration_s * fps))]


def trapezoid(t0, rise, hold, lower, top=100.0, fps=30.0, rest_after=1.0):
    """(t, value) samples: rest 0 -> top -> rest."""
    out, n = [], int((rise + hold + lower + rest_after) * fps)
    for i in range(n):
        t = t0 + i / fps
        u = t - t0
        v = top * min(u / rise, 1.0) if u < rise + hold else max(0.0, top * (1 - (u - rise - hold) / lower))
        out.append((t, v))
    return out


def test_threshold_order_validated() -> None:
    with pytest.raises(ValueError):
        RepThresholds(10, 5, 50, 70, 80).validate()


@pytest.mark.parametrize("fps", [10.0, 30.0, 60.0])
def test_one_rep_hold_timed_on_timestamps(fps: float) -> None:
    reps, _ = feed(RepHoldMachine(TH), trapezoid(0.0, 1.0, 3.0, 1.0, fps=fps))
    assert len(reps) == 1
    # above 80 from 0.8 s (rising) until below 70 at 4.3 s (falling)
    assert reps[0].hold_s == pytest.approx(3.5, abs=1.5 / fps + 0.01)
    assert reps[0].reached_top and reps[0].counted


def test_dropped_frames_do_not_change_durations() -> None:
    full = trapezoid(0.0, 1.0, 3.0, 1.0)
    sparse = [s for i, s in enumerate(full) if i % 3 != 1]  # a third of the frames lost
    a, _ = feed(RepHoldMachine(TH), full)
    b, _ = feed(RepHoldMachine(TH), sparse)
    assert a[0].hold_s == pytest.approx(b[0].hold_s, abs=0.07)


def test_hysteresis_no_double_count() -> None:
    """A signal chattering around one threshold is one rep, not several."""
    samples = [(i / 30, 0.0) for i in range(15)]
    samples += [(0.5 + i / 30, 75.0 + (6 if i % 2 else -6)) for i in range(120)]  # 69..81 around top
    samples += [(4.5 + i / 30, 15.0 + (6 if i % 2 else -6)) for i in range(60)]  # 9..21 around rest
    samples += [(6.5 + i / 30, 0.0) for i in range(30)]
    reps, _ = feed(RepHoldMachine(TH, hold_dropout_s=0.35), samples)
    assert len(reps) == 1
    assert len(reps[0].holds) == 1


def test_twitch_and_unfinished_attempt_discarded() -> None:
    m = RepHoldMachine(TH, min_rep_s=0.5)
    twitch = [(0.0, 0.0), (0.1, 60.0), (0.2, 0.0)]
    small = [(1.0 + i / 30, 40.0 if 5 < i < 40 else 0.0) for i in range(60)]  # never reaches attempt
    reps, discarded = feed(m, twitch + small)
    assert reps == [] and len(discarded) == 2


def test_gap_bridged_or_abandoned() -> None:
    base = trapezoid(0.0, 1.0, 3.0, 1.0)
    short_gap = [(t, None if 2.0 <= t < 2.6 else v) for t, v in base]
    reps, _ = feed(RepHoldMachine(TH, max_gap_s=1.0), short_gap)
    assert len(reps) == 1
    long_gap = [(t, None if 2.0 <= t < 3.5 else v) for t, v in base]
    reps, discarded = feed(RepHoldMachine(TH, max_gap_s=1.0), long_gap)
    assert discarded and discarded[0].abandoned


def test_brief_dip_bridged_long_dip_splits_hold() -> None:
    dip = [(t, 60.0 if 2.0 <= t < 2.2 else v) for t, v in trapezoid(0.0, 1.0, 3.0, 1.0)]
    reps, _ = feed(RepHoldMachine(TH, hold_dropout_s=0.35), dip)
    assert len(reps[0].holds) == 1
    dip = [(t, 60.0 if 2.0 <= t < 2.8 else v) for t, v in trapezoid(0.0, 1.0, 3.0, 1.0)]
    reps, _ = feed(RepHoldMachine(TH, hold_dropout_s=0.35), dip)
    assert len(reps[0].holds) == 2 and reps[0].hold_s < 2.0


def test_backwards_and_repeated_timestamps_ignored() -> None:
    base = trapezoid(0.0, 1.0, 3.0, 1.0)
    messy = []
    for t, v in base:
        messy += [(t, v), (t, 0.0), (t - 0.5, 0.0)]
    a, _ = feed(RepHoldMachine(TH), base)
    b, _ = feed(RepHoldMachine(TH), messy)
    assert len(b) == 1 and b[0].hold_s == pytest.approx(a[0].hold_s)


def test_rep_still_up_at_end_counts() -> None:
    samples = [(i / 30, min(100.0, i * 5.0)) for i in range(90)]
    reps, _ = feed(RepHoldMachine(TH), samples)
    assert len(reps) == 1 and reps[0].hold_s > 2.0


def test_set_thresholds_and_reset() -> None:
    m = RepHoldMachine(TH)
    m.update(0.0, 50.0)
    assert m.phase == "moving"
    m.reset()
    assert m.phase == "rest" and m.current is None
    m.set_thresholds(RepThresholds(1, 2, 3, 4, 5))
    with pytest.raises(ValueError):
        m.set_thresholds(RepThresholds(5, 4, 3, 2, 1))


def test_a_jump_in_time_longer_than_max_gap_abandons_the_rep_instead_of_crediting_a_hold():
    from formcheck.core.reps import RepHoldMachine, RepThresholds

    m = RepHoldMachine(RepThresholds(1, 2, 5, 8, 9), max_gap_s=1.0)
    for t, v in [(0.0, 0), (0.1, 10), (0.2, 10), (0.3, 10)]:
        m.update(t, v)
    out = m.update(5.0, 10)  # frames jump 4.7 s forward, still "at the top"
    assert out.discarded is not None and out.discarded.abandoned
    assert out.finished is None
    finished = [m.update(t, v).finished for t, v in [(5.1, 0), (5.2, 0)]]
    assert finished == [None, None]  # no rep made of unseen time


def _sagging_hold(machine: RepHoldMachine) -> list[HoldSpan]:
    """Rest (0), up to 60, held 5 s, settles to 42 (under top_exit 45) and held 5 s more, back down."""
    holds: list[HoldSpan] = []
    fps = 30.0
    for i in range(int(16 * fps)):
        t = i / fps
        v = 0.0 if t < 1 else 60.0 if 1.5 <= t < 6.5 else 42.0 if 6.5 <= t < 11.5 else 0.0 if t >= 12 else 30.0
        upd = machine.update(t, v)
        if upd.finished is not None:
            holds += upd.finished.holds
    return holds


def test_hold_exit_share_keeps_a_hold_that_settles_a_little_lower():
    """Held at 60 then settled at 42: under top_exit (45) but more than half of the way from
    rest_enter (20) to the held level, so with hold_exit_share=0.5 it is one 10-s hold; without,
    the hold ends when the level drops."""
    th = RepThresholds(rest_enter=20, rest_exit=25, attempt=40, top_exit=45, top_enter=50)
    with_share = _sagging_hold(RepHoldMachine(th, hold_exit_share=0.5))
    assert len(with_share) == 1 and abs(with_share[0].duration_s - 10.0) < 0.1, with_share
    without = _sagging_hold(RepHoldMachine(th))
    assert max(h.duration_s for h in without) < 5.1, without


def _creep_over_top(fps: float, seed: int = 0) -> list[tuple[float, float]]:
    """Rest (0), up to 79.3 in 1 s (eased), held there 2 s, a last creep to 80.5 (over top_enter 80)
    in 0.3 s, held 3 s, down in 1 s; +-0.3 of jitter on every sample."""
    import math
    import random

    rng = random.Random(seed)

    def level(t: float) -> float:
        if t < 1.0:
            return 0.0
        if t < 2.0:
            return 79.3 * (0.5 - 0.5 * math.cos(math.pi * (t - 1.0)))
        if t < 4.0:
            return 79.3
        if t < 4.3:
            return 79.3 + 1.2 * (t - 4.0) / 0.3
        if t < 7.3:
            return 80.5
        if t < 8.3:
            return 80.5 * (0.5 + 0.5 * math.cos(math.pi * (t - 7.3)))
        return 0.0

    return [(t, v + rng.uniform(-0.3, 0.3)) for t, v in sampled(level, fps, 9.0)]


@pytest.mark.parametrize("fps", [15.0, 24.0, 30.0, 60.0])
def test_a_hold_that_creeps_over_top_enter_is_timed_from_when_the_body_settled(fps: float) -> None:
    """The body is still at 79.3 for 2 s, just under top_enter (80), then creeps to 80.5 and holds
    3 s more: it has been holding at this level (within the stillness band of 2 units) since it
    arrived at about 2 s, not only since the creep took it over top_enter at about 4.2 s. The hold
    is about 5.3 s (2.0 to 7.3 s) at every frame rate, and it is one rep."""
    m = RepHoldMachine(TH, still_speed=20.0, speed_window_s=0.2)
    reps, _ = feed(m, _creep_over_top(fps))
    assert len(reps) == 1
    assert reps[0].hold_s == pytest.approx(5.3, abs=0.35), reps[0].holds


def _pause_then_jump(fps: float, jump_to: float, back: bool) -> list[tuple[float, float]]:
    """Rest 0 -> rises to 60 (under top_enter 80: no time in the top zone) and holds there 2 s, then the
    reading jumps to ``jump_to`` within a frame; with ``back`` it returns to 60 after 0.2 s and holds 2 s
    more, else it stays at ``jump_to`` for 2 s; then rest."""

    def level(t: float) -> float:
        if t < 1.0:
            return 0.0
        if t < 1.5:
            return 60.0 * (t - 1.0) / 0.5
        if t < 3.5:
            return 60.0
        if t < 3.7 or (not back and t < 5.7):
            return jump_to
        if t < 5.7:
            return 60.0
        if t < 6.2:
            return (jump_to if not back else 60.0) * (1 - (t - 5.7) / 0.5)
        return 0.0

    return sampled(level, fps, 8.0)


@pytest.mark.parametrize("fps", [15.0, 30.0, 60.0])
def test_a_still_pause_bridges_jitter_back_to_its_level_but_not_a_jump_to_another(fps: float) -> None:
    """``pause_is_hold``: a reading that leaves the held level for 0.2 s and comes back (pose jitter on a
    held position, here 40 % of the rep's range from rest_enter to its peak) is one 4.2-s pause; one that
    jumps to a level 70 % of the range away and stays still there is another position, so the longest
    pause is 2 s, not the 4.2 s spanning both (which read differently at 15 and 30 frames/s on a corpus
    bird-dog)."""
    opts = dict(still_speed=15.0, speed_window_s=0.3, hold_dropout_s=0.35, pause_is_hold=True)
    one, _ = feed(RepHoldMachine(TH, **opts), _pause_then_jump(fps, 40.0, back=True))
    assert len(one) == 1 and one[0].hold_s == pytest.approx(4.2, abs=0.3), [h for r in one for h in r.holds]
    two, _ = feed(RepHoldMachine(TH, **opts), _pause_then_jump(fps, 25.0, back=False))
    assert len(two) == 1, two
    assert two[0].hold_s == pytest.approx(2.0, abs=0.3), two[0].holds
