"""Pelvic tilt checker on scripted landmark streams: exact events per scenario.

The synthetic tilt turns the thighs by a few degrees (the knees move a little); the checker
sees only that small change relative to the calibrated resting position.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from streams import Rep, StreamOptions, bridge_top, knee_to_chest_top, make_stream, pelvic_tilt_top, reps_every, run

TILT = pelvic_tilt_top(6.0)


@dataclass
class Scenario:
    name: str
    reps: list[Rep]
    expect: list[list[str]]                      # per counted rep: faults
    opts: dict = field(default_factory=dict)
    posture: str = "supine"
    warnings: tuple[str, ...] = ()
    warning_mentions: str = ""                   # text the first warning must contain
    hold: float | None = None


def _reps(n, top=TILT, hold=5.0, first=3.0, **kw):
    return reps_every(n, first, top, hold=hold, rise=0.8, lower=0.8, rest=2.0, **kw)


SCENARIOS = [
    Scenario("clean", _reps(3), [[], [], []], hold=5.0),
    Scenario("clean_other_direction", _reps(2, top=pelvic_tilt_top(-6.0)), [[], []], hold=5.0),
    Scenario("noisy_jittered_25fps", _reps(2), [[], []], {"noise_px": 1.0, "fps": 25.0, "t_jitter_s": 0.01}, hold=5.0),
    Scenario("hold_too_short", _reps(2, hold=2.0), [["hold_too_short"], ["hold_too_short"]]),
    Scenario("hips_lifted", _reps(2, top=pelvic_tilt_top(6.0, torso_lift_deg=7.0)), [["hips_lifted"], ["hips_lifted"]]),
    Scenario("mixed", [Rep(3.0, TILT, 0.8, 5.0, 0.8), Rep(12.0, TILT, 0.8, 2.0, 0.8), Rep(18.0, pelvic_tilt_top(6.0, torso_lift_deg=7.0), 0.8, 5.0, 0.8)],
             [[], ["hold_too_short"], ["hips_lifted"]]),
    # a tilt of one degree is below what the landmarks can show: honestly not counted
    Scenario("tiny_tilt_missed", _reps(2, top=pelvic_tilt_top(1.0)), []),
    # settling into a slightly different resting position, then tilting 4 degrees from there:
    # the baseline is re-measured after the still rest, so the later tilts are judged from the new rest
    Scenario("resettle", [Rep(3.0, TILT, 0.8, 5.0, 0.8), Rep(11.0, {"tilt_deg": -1.5}, 1.0, 100.0, 0.5),
                          Rep(18.0, {"tilt_deg": 2.5}, 0.8, 5.0, 0.8), Rep(27.0, {"tilt_deg": 2.5}, 0.8, 5.0, 0.8)],
             [[], [], []]),
    Scenario("short_dropout", _reps(2), [[], []], {"dropouts": ((5.0, 5.4),)}),
    Scenario("bridge_clip", reps_every(3, 3.0, bridge_top(4.0), hold=3.0), [], warnings=("wrong_exercise",), warning_mentions="bridge"),
    Scenario("knee_to_chest_clip", reps_every(2, 3.0, knee_to_chest_top("near"), hold=6.0), [], warnings=("wrong_exercise",),
             warning_mentions="knee-to-chest"),
    Scenario("all_fours_clip", [], [], posture="all_fours", warnings=("wrong_exercise",)),
    Scenario("standing_clip", [], [], posture="standing", warnings=("no_exercise_posture",)),
]


@pytest.mark.parametrize("near", ["left", "right"])
@pytest.mark.parametrize("sc", SCENARIOS, ids=lambda s: s.name)
def test_pelvic_tilt_scenarios(sc: Scenario, near: str) -> None:
    reps = [Rep(r.start, {k.replace("near", near): v for k, v in r.top.items()}, r.rise, r.hold, r.lower) for r in sc.reps]
    duration = min((max(r.end for r in reps) if reps else 6.0) + 1.5, 36.0)
    base = {"walk_deg": 25.0} if sc.posture == "standing" else None
    stream = make_stream(sc.posture, reps, duration, StreamOptions(near=near, **{"noise_px": 0.6, **sc.opts}), base=base)
    report = run("pelvic_tilt", stream)
    assert [r.faults for r in report.reps] == sc.expect
    assert report.good_reps == sum(not f for f in sc.expect)
    assert all(r.side == "none" for r in report.reps)
    for f in report.faults:
        assert f.code in report.reps[f.rep - 1].faults
    codes = [w.code for w in report.warnings]
    assert set(sc.warnings) <= set(codes)
    if sc.warning_mentions:
        assert sc.warning_mentions in report.warnings[codes.index(sc.warnings[0])].message
    if sc.hold is not None:
        for r in report.reps:
            assert sc.hold - 0.2 <= r.hold_s <= sc.hold + 1.2
