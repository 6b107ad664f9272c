"""Property tests: every checker survives garbage input and keeps its invariants.

Garbage: random, NaN and infinite coordinates, visibility outside 0..1, ``None`` frames,
repeated and backwards timestamps, random people counts, mixed with real scripted frames.
Invariants: no exception, rep counts never decrease, hold_s >= 0, good_reps <= reps.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from formcheck.exercise import get_exercise
from formcheck.landmarks import NUM_LANDMARKS, PoseFrame
from formcheck.session import Session
from streams import Rep, bird_dog_top, bridge_top, knee_to_chest_top, make_stream, pelvic_tilt_top

EXERCISES = ("bridge", "bird_dog", "pelvic_tilt", "knee_to_chest")
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])

coord = st.one_of(st.floats(-2.0, 3.0), st.just(float("nan")), st.just(float("inf")), st.just(float("-inf")),
                  st.floats(allow_nan=True, allow_infinity=True))
vis = st.one_of(st.floats(-1.0, 2.0), st.just(float("nan")), st.just(float("inf")))


@st.composite
def garbage_frame(draw, t: float) -> PoseFrame | None:
    if draw(st.booleans()):
        return None
    xyz = np.array(draw(st.lists(coord, min_size=NUM_LANDMARKS * 3, max_size=NUM_LANDMARKS * 3))).reshape(NUM_LANDMARKS, 3)
    v = np.array(draw(st.lists(vis, min_size=NUM_LANDMARKS, max_size=NUM_LANDMARKS)))
    return PoseFrame(t_s=t, width=draw(st.sampled_from([1, 640, 1920])), height=draw(st.sampled_from([1, 480, 1080])),
                     xyz=xyz, visibility=v, presence=v, num_people=draw(st.integers(0, 5)))


_REAL = {
    "supine": make_stream("supine", [Rep(0.5, bridge_top(4.0), 0.5, 1.0, 0.5), Rep(3.0, knee_to_chest_top("left"), 0.5, 1.0, 0.5),
                                     Rep(5.0, pelvic_tilt_top(6.0), 0.5, 1.0, 0.5)], 7.0, fps=15.0, noise_px=1.0),
    "all_fours": make_stream("all_fours", [Rep(0.5, bird_dog_top("left"), 0.5, 1.0, 0.5)], 3.0, fps=15.0, noise_px=1.0),
}


@st.composite
def stream(draw):
    """A mix of real scripted frames and garbage, with messy timestamps."""
    real = _REAL[draw(st.sampled_from(sorted(_REAL)))]
    n = draw(st.integers(1, 90))
    start = draw(st.integers(0, len(real) - 1))
    out = []
    t = 0.0
    for i in range(n):
        step = draw(st.sampled_from([1 / 30, 1 / 30, 1 / 15, 0.0, -0.1, 2.0, float("nan")]))
        t = t + step if not math.isnan(step) else t
        kind = draw(st.integers(0, 3))
        if kind == 0:
            out.append((t, draw(garbage_frame(t))))
        else:
            _, f = real[(start + i) % len(real)]
            out.append((t, None if f is None else PoseFrame(t, f.width, f.height, f.xyz, f.visibility, f.presence,
                                                           num_people=draw(st.integers(1, 3)))))
    return out


def _check_run(exercise: str, frames, smoothing: bool) -> None:
    s = Session(get_exercise(exercise), smoothing=smoothing)
    last_reps = 0
    for t, f in frames:
        s.update(t, f)
        st_ = s.status
        assert st_.reps >= last_reps
        last_reps = st_.reps
        assert st_.hold_s >= 0 and st_.good_reps <= st_.reps
    s.finish()
    report = s.report("prop", fps=30.0)
    assert len(report.reps) >= last_reps
    assert report.good_reps <= len(report.reps)
    assert all(r.hold_s >= 0 for r in report.reps)
    assert all(h.duration_s >= 0 for h in report.holds)
    for f in report.faults:
        assert f.rep is None or 1 <= f.rep <= len(report.reps)
    report.to_json()


@pytest.mark.parametrize("exercise", EXERCISES)
@SETTINGS
@given(frames=stream(), smoothing=st.booleans())
def test_checkers_never_raise_on_garbage(exercise: str, frames, smoothing: bool) -> None:
    _check_run(exercise, frames, smoothing)


@pytest.mark.parametrize("exercise", EXERCISES)
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_pure_garbage_frames(exercise: str, data) -> None:
    frames = [(i / 30, data.draw(garbage_frame(i / 30))) for i in range(data.draw(st.integers(1, 25)))]
    _check_run(exercise, frames, data.draw(st.booleans()))


@pytest.mark.parametrize("exercise", EXERCISES)
@settings(max_examples=10, deadline=None)
@given(noise=st.floats(0.0, 6.0), seed=st.integers(0, 10_000), drop=st.floats(0.0, 4.0))
def test_noisy_real_streams_keep_invariants(exercise: str, noise: float, seed: int, drop: float) -> None:
    posture = "all_fours" if exercise == "bird_dog" else "supine"
    top = {"bridge": bridge_top(4.0), "bird_dog": bird_dog_top("right"), "pelvic_tilt": pelvic_tilt_top(6.0),
           "knee_to_chest": knee_to_chest_top("both")}[exercise]
    frames = make_stream(posture, [Rep(1.0, top, 0.5, 2.0, 0.5), Rep(5.0, top, 0.5, 1.0, 0.5)], 8.0, fps=15.0,
                         noise_px=noise, seed=seed, dropouts=((2.0, 2.0 + drop),), t_jitter_s=0.02)
    _check_run(exercise, frames, True)


CLEAN = {
    "bridge": ("supine", [Rep(1.0, bridge_top(4.0)), Rep(7.0, bridge_top(4.0))], 12.0),
    "bird_dog": ("all_fours", [Rep(1.0, bird_dog_top("left")), Rep(7.0, bird_dog_top("right"))], 12.0),
    "pelvic_tilt": ("supine", [Rep(3.0, pelvic_tilt_top(6.0), 0.8, 5.0, 0.8), Rep(11.0, pelvic_tilt_top(6.0), 0.8, 5.0, 0.8)], 19.0),
    "knee_to_chest": ("supine", [Rep(2.0, knee_to_chest_top("left"), 1.5, 16.0, 1.5), Rep(23.0, knee_to_chest_top("right"), 1.5, 16.0, 1.5)], 44.0),
}


@pytest.mark.parametrize("exercise", EXERCISES)
@settings(max_examples=8, deadline=None, phases=(Phase.explicit, Phase.generate))
@given(data=st.data(), smoothing=st.booleans())
def test_garbage_does_not_poison_later_counting(exercise: str, data, smoothing: bool) -> None:
    """A burst of garbage (NaN/inf/out-of-range) frames mixed into the resting start leaves the
    count of the clean reps that follow unchanged (no baseline poisoned by NaN)."""
    posture, reps, duration = CLEAN[exercise]
    clean = make_stream(posture, reps, duration, fps=15.0)
    frames = []
    for t, f in clean:
        if t < 0.8 and data.draw(st.booleans()):
            frames.append((t, data.draw(garbage_frame(t))))
        else:
            frames.append((t, f))
    # with and without the One Euro smoother: neither it nor the checkers' baselines may keep NaN
    s = Session(exercise, smoothing=smoothing)
    for t, f in frames:
        s.update(t, f)
    s.finish()
    report = s.report("prop", fps=15.0)
    assert len(report.reps) == 2 and report.good_reps == 2
