"""Exercise definitions and the registry: the four built-ins are complete, and a fifth
exercise can be added from a folder without touching the engine."""

from __future__ import annotations

import re
import textwrap

import pytest
from streams import Rep, bridge_top, make_stream, run

from formcheck.core import exercise as ex
from formcheck.core.exercise import (
    ExerciseError,
    all_exercises,
    get_exercise,
    load_spec,
    register_directory,
    unregister_directory,
)
from formcheck.core.reps import RepThresholds

BUILTINS = ("bridge", "bird_dog", "pelvic_tilt", "knee_to_chest")
SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")


def test_builtins_present() -> None:
    specs = all_exercises()
    assert set(BUILTINS) <= set(specs)


@pytest.mark.parametrize(
    "name,expected",
    [
        ("bird-dog", "bird_dog"),
        ("Bird dog", "bird_dog"),
        ("knee-to-chest", "knee_to_chest"),
        ("Pelvic Tilt", "pelvic_tilt"),
        ("glute_bridge", "bridge"),
        ("knee_hug", "knee_to_chest"),
    ],
)
def test_lookup_by_name_or_alias(name: str, expected: str) -> None:
    assert get_exercise(name).id == expected


def test_unknown_exercise() -> None:
    with pytest.raises(ExerciseError, match="unknown exercise"):
        get_exercise("handstand")


@pytest.mark.parametrize("eid", BUILTINS)
def test_definition_complete(eid: str) -> None:
    spec = get_exercise(eid)
    assert spec.name and spec.summary and len(spec.instructions) >= 3
    assert spec.camera.view == "side" and spec.camera.required and spec.camera.advice
    assert spec.dosage.reps >= 1 and spec.dosage.hold_s > 0 and 0 < spec.dosage.min_hold_s <= spec.dosage.hold_s
    assert spec.key_angle_name
    assert any("pain" in s.lower() and "stop" in s.lower() for s in spec.safety)
    assert spec.limitations
    assert "hold_too_short" in spec.faults
    for code, f in spec.faults.items():
        assert SNAKE.match(code) and f.cue and len(f.meaning) > 20 and len(f.cue) < 110
        assert not re.search(r"\b(wrong|bad|fail|lazy|stupid)\b", f.cue.lower()), f.cue  # kind, never blaming
    checker = spec.make_checker()
    th = checker.rep_thresholds()
    th.validate()
    assert isinstance(th, RepThresholds)


def test_exercise_specifics() -> None:
    bd, pt, kc = get_exercise("bird_dog"), get_exercise("pelvic_tilt"), get_exercise("knee_to_chest")
    assert bd.posture == "all_fours" and bd.dosage.per_side and bd.dosage.hold_s == 3.0 and bd.dosage.min_hold_s == 2.0
    assert {"limb_above_horizontal", "limb_not_extended", "same_side_limbs", "torso_tilted"} <= set(bd.faults)
    assert pt.kind == "hold" and pt.dosage.hold_s == 5.0 and pt.dosage.min_hold_s == 4.0 and pt.dosage.reps == 10
    assert "hips_lifted" in pt.faults
    lim = " ".join(pt.limitations).lower()
    assert "indirect" in lim and "missed" in lim
    assert kc.kind == "hold" and kc.dosage.min_hold_s == 15.0 and kc.dosage.per_side
    assert {"other_leg_lifted", "head_lifted"} <= set(kc.faults)
    assert any("osteoporosis" in s.lower() for s in kc.safety)


@pytest.mark.parametrize("eid", BUILTINS)
def test_every_threshold_documented(eid: str) -> None:
    """Each threshold line in the TOML carries a comment (units and meaning)."""
    text = get_exercise(eid).source.read_text()
    block = text.split("[thresholds]", 1)[1].split("\n[", 1)[0]
    for line in block.splitlines():
        if "=" in line and not line.strip().startswith("#") and eid != "bridge":
            assert "#" in line, f"{eid}: undocumented threshold: {line}"


FIFTH_TOML = """
id = "hip_hinge_test"
name = "Hip hinge test"
summary = "A made-up fifth exercise: lift the hips like a bridge."
posture = "supine"
kind = "reps"
checker = "hinge.py:HingeChecker"
key_angle = "shoulder-hip-knee"
instructions = ["Lie down.", "Lift.", "Lower."]
safety = ["Stop if the pain gets worse."]
limitations = ["Made up for a test."]

[camera]
view = "side"
required = ["either:shoulder", "either:hip", "either:knee"]
advice = ["Side view."]

[dosage]
reps = 5
hold_s = 2.0
min_hold_s = 1.0

[thresholds]
rest_enter = -38.0   # deg: minus the hip bend
rest_exit = -35.0
attempt = -25.0
top_exit = -20.0
top_enter = -15.0

[faults.hold_too_short]
cue = "Pause at the top."
meaning = "The hold at the top was shorter than the minimum."
"""

FIFTH_PY = """
from formcheck.core.checker import ExerciseChecker, Measurement
from formcheck.core.geometry import line_deviation_deg


class HingeChecker(ExerciseChecker):
    def measure(self, frame):
        bend = line_deviation_deg(frame.px("left_shoulder"), frame.px("left_hip"), frame.px("left_knee"))
        return Measurement(None if bend != bend else -bend, angle_deg=bend)
"""


def test_fifth_exercise_from_a_folder(tmp_path) -> None:
    (tmp_path / "hinge.toml").write_text(textwrap.dedent(FIFTH_TOML))
    (tmp_path / "hinge.py").write_text(FIFTH_PY)
    try:
        assert register_directory(tmp_path) == ["hip_hinge_test"]
        assert "hip_hinge_test" in all_exercises()
        spec = get_exercise("hip hinge test")
        reps = [Rep(2.0, bridge_top(4.0), hold=2.5), Rep(7.0, bridge_top(4.0), rise=0.5, hold=0.0, lower=0.5)]
        report = run("hip_hinge_test", make_stream("supine", reps, 11.0, near="left"))
        assert spec.id == report.exercise == "hip_hinge_test"
        assert [r.faults for r in report.reps] == [[], ["hold_too_short"]]
        assert report.good_reps == 1
    finally:
        unregister_directory(tmp_path)
    assert "hip_hinge_test" not in all_exercises()
    assert tmp_path.resolve() not in ex._extra_dirs


def test_broken_definitions(tmp_path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('id = "x"\nname = "X"\nposture = "upside_down"\ncamera = {}\ndosage = {}\nchecker = "x.py:X"\n')
    with pytest.raises(ExerciseError, match="posture"):
        load_spec(bad)
    bad.write_text('id = "x"\nname = "X"\nposture = "supine"\ncamera = {}\ndosage = {}\nchecker = "missing.py:X"\n')
    with pytest.raises(ExerciseError):
        load_spec(bad).make_checker()
    with pytest.raises(ExerciseError):
        register_directory(tmp_path / "nope")
