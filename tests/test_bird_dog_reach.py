"""Bird-dog: a straight reach that the pose model reads a little bent at the elbow or knee is not
``limb_not_extended``; a clearly bent one is, under frame-to-frame pose noise on the raised limbs."""

from __future__ import annotations

import numpy as np
import pytest
from streams import Rep, StreamOptions, bend_limbs, bird_dog_top, make_stream, run


def _joint_jitter(stream, deg: float, seed: int):
    """Every hand and foot turned about its elbow or knee by a random +-``deg`` degrees per frame:
    the pose model's frame-to-frame error on the joint angle of a raised limb."""
    rng = np.random.default_rng(seed)
    return [(t, f if f is None else bend_limbs(f, lambda side, joint: rng.uniform(-deg, deg))) for t, f in stream]


def _two_reps(left_top: dict[str, float], right_top: dict[str, float], fps: float, seed: int):
    first = Rep(2.0, left_top, rise=1.0, hold=3.0, lower=1.0)
    second = Rep(first.end + 1.5, right_top, rise=1.0, hold=3.0, lower=1.0)
    stream = make_stream(
        "all_fours", [first, second], second.end + 1.5, StreamOptions(fps=fps, noise_px=1.0, seed=seed)
    )
    return run("bird_dog", _joint_jitter(stream, 15.0, seed))


@pytest.mark.parametrize("fps,seed", [(15.0, 1), (25.0, 2), (30.0, 3)])
def test_a_straight_reach_read_a_little_bent_is_not_called_not_extended(fps: float, seed: int) -> None:
    """Level arm and leg whose elbow reads 145 degrees and knee 142 (the pose model misplaces
    the elbow and knee of a straight limb by this much on the corpus's clean clips: 146 and 142
    over a whole hold), with +-15 degrees of frame-to-frame jitter at both joints: no
    limb_not_extended. A bend under about 40 degrees is not a reach a physiotherapist would correct
    from a side camera."""
    report = _two_reps(bird_dog_top("left", elbow_deg=35.0), bird_dog_top("right", knee_deg=38.0), fps=fps, seed=seed)
    assert [(r.side, r.faults) for r in report.reps] == [("left", []), ("right", [])], [
        (r.side, r.faults) for r in report.reps
    ]


@pytest.mark.parametrize("fps,seed", [(15.0, 1), (25.0, 2), (30.0, 3)])
def test_a_clearly_bent_reach_under_jitter_is_not_extended(fps: float, seed: int) -> None:
    """The same jitter on an elbow bent 55 degrees (125) and, next rep, a knee bent 60 (120, the foot
    dropped) with the thigh level: both limb_not_extended."""
    report = _two_reps(bird_dog_top("left", elbow_deg=55.0), bird_dog_top("right", knee_deg=-60.0), fps=fps, seed=seed)
    assert [(r.side, r.faults) for r in report.reps] == [
        ("left", ["limb_not_extended"]),
        ("right", ["limb_not_extended"]),
    ], [(r.side, r.faults) for r in report.reps]
