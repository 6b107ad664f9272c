"""Today's routine (a pure state machine) and paced mode (a pure pacer), plus one paced set on a real
sample clip with a lifted hip."""

from __future__ import annotations

import doctest

import pytest

from formcheck.core import pacer as pacer_mod
from formcheck.core import routine as routine_mod
from formcheck.core.exercise import all_exercises
from formcheck.core.pacer import PacedSet, Tempo, beat_at
from formcheck.core.routine import Dose, Routine, doses_from_json, doses_to_json, guide_doses

NAMES = {
    "pelvic_tilt": "Pelvic tilt",
    "bird_dog": "Bird-dog",
    "bridge": "Glute bridge",
    "knee_to_chest": "Knee-to-chest",
}


def test_doctests():
    for mod in (routine_mod, pacer_mod):
        assert doctest.testmod(mod).failed == 0


def test_guide_doses_in_the_guides_order():
    doses = guide_doses(all_exercises())
    assert [d.exercise for d in doses][:4] == ["pelvic_tilt", "bird_dog", "bridge", "knee_to_chest"]
    by = {d.exercise: d for d in doses}
    assert (by["pelvic_tilt"].reps, by["pelvic_tilt"].hold_s) == (10, 5.0)
    assert by["bird_dog"].sides == "alternate" and by["knee_to_chest"].sides == "each"
    assert by["bridge"].sides == "none"


def test_a_whole_routine_with_rests_sides_skip_and_resume():
    doses = [
        Dose("pelvic_tilt", 10, 5.0),
        Dose("bird_dog", 10, 3.0, "alternate", enabled=False),
        Dose("bridge", 10, 3.0),
        Dose("knee_to_chest", 1, 20.0, "each"),
    ]
    r = Routine(doses, rest_s=30, side_rest_s=10)
    assert r.total == 3 and r.label(NAMES) == "1 of 3: Pelvic tilt"
    r.set_done({"key": "a", "reps": 10}, now=0.0)
    assert r.phase == "rest" and r.rest_left(5.0) == 25.0 and "Next: Glute bridge" in r.announcement(NAMES)
    assert not r.tick(29.0) and r.tick(30.0) and r.phase == "set"
    r.skip(now=40.0)  # the bridge is skipped
    assert r.results[-1] == {"exercise": "bridge", "side": "none", "skipped": True}
    assert r.label(NAMES) == "3 of 3: Knee-to-chest, left side"
    r.skip(now=41.0)  # ... and the rest
    assert r.phase == "set"
    r.set_done({"key": "b"}, now=100.0)
    assert r.phase == "rest" and r.side == "right" and r.prompt == "other_side"
    assert "Now the other side" in r.announcement(NAMES) and r.rest_left(100.0) == 10.0
    # a reload in the middle of the rest resumes exactly there
    again = Routine.from_dict(r.to_dict())
    assert again.to_dict() == r.to_dict()
    again.tick(110.0)
    assert again.label(NAMES) == "3 of 3: Knee-to-chest, right side"
    again.set_done({"key": "c"}, now=200.0)
    assert again.phase == "done" and again.over
    assert [x["side"] for x in again.results] == ["none", "none", "left", "right"]


def test_stop_and_bad_inputs():
    r = Routine([Dose("bridge", 10, 3.0)])
    r.stop()
    assert r.phase == "stopped" and r.over
    r.set_done({}, now=1.0)  # nothing happens once stopped
    assert r.results == []
    with pytest.raises(ValueError, match="no exercises"):
        Routine([Dose("bridge", 10, 3.0, enabled=False)])
    with pytest.raises(ValueError, match="reps must be"):
        Routine([Dose("bridge", 0, 3.0)])
    with pytest.raises(ValueError, match="hold must be"):
        Routine([Dose("bridge", 3, float("nan"))])
    for bad in (
        None,
        [],
        {"doses": "x"},
        {"doses": [{"exercise": "bridge", "reps": "many", "hold_s": 3}]},
        {"doses": [{"exercise": "bridge", "reps": 3, "hold_s": 3}], "phase": "dancing"},
        {"doses": [{"exercise": "bridge", "reps": 3, "hold_s": 3}], "index": 7},
    ):
        with pytest.raises(ValueError, match="damaged"):
            Routine.from_dict(bad)


def test_saved_doses_are_merged_over_the_guide():
    defaults = guide_doses(all_exercises())
    saved = [
        {"exercise": "bridge", "reps": 12, "hold_s": 4, "paced": True},
        {"exercise": "nope", "reps": 1},
        {"exercise": "bird_dog", "reps": -3},
        "junk",
    ]
    doses = doses_from_json(saved, defaults)
    assert doses[0] == Dose("bridge", 12, 4.0, "none", True, True)
    assert doses[1] == next(d for d in defaults if d.exercise == "bird_dog")  # unusable: the guide's dose
    assert sorted(d.exercise for d in doses) == sorted(d.exercise for d in defaults)
    assert doses_from_json(doses_to_json(doses), defaults) == doses


def test_the_pacer_leads_counts_and_speaks():
    tempo = Tempo(hold_s=5.0, move_s=2.0, relax_s=3.0, ready_s=3.0)
    seen = [beat_at(t / 10, tempo, reps=2) for t in range(0, 260)]
    assert [b.phase for b in seen][::10][:4] == ["ready", "ready", "ready", "move"]
    holds = [b.say for b in seen if b.phase == "hold"]
    assert list(dict.fromkeys(holds)) == ["Hold 5", "4", "3", "2", "1"]
    assert seen[-1].phase == "done" and seen[-1].count == 2
    assert beat_at(float("nan"), tempo, 2).phase == "ready"


def test_the_paced_clock_waits_while_the_person_is_away_and_flags_a_lifted_hip():
    tempo = Tempo(hold_s=2.0, move_s=1.0, relax_s=1.0, ready_s=1.0)
    p = PacedSet("pelvic_tilt", reps=2, tempo=tempo, watch_hips=True)
    events = []
    t = 0.0

    def run(seconds, in_pos=True, hip=0.10):
        nonlocal t
        for _ in range(int(seconds * 10)):
            t += 0.1
            events.extend(p.update(t, in_pos, hip))

    run(2.0, in_pos=False)  # not on the mat yet: nothing starts
    assert not p.started and p.beat.phase == "ready"
    run(2.5)  # ready, then into the first hold
    assert p.beat.phase == "hold" and p.beat.rep == 1
    run(1.5, in_pos=False)  # leaves the mat mid-rep: paused, this rep is led again
    assert p.paused and "paused" in p.note and p.beat.phase == "ready"
    run(1.0)
    run(4.0)
    assert p.count == 1 and events[-1].__class__.__name__ == "HoldEvent"
    run(1.5, hip=-0.05)  # the second rep with the hips up (0.15 torso lengths)
    run(3.0)
    assert p.done and p.count == 2
    reps = p.rep_events
    assert [r.good for r in reps] == [True, False] and reps[1].faults == ["hips_lifted"]
    assert [f.rep for f in p.faults] == [2]
    assert all(abs(r.hold_s - 2.0) < 0.11 for r in reps)


@pytest.mark.mediapipe
def test_paced_pelvic_tilt_on_a_sample_clip_counts_paced_reps_and_flags_the_lifted_hip():
    from conftest import clip_path

    from formcheck.core.pacer import PacedSession
    from formcheck.media.pipeline import iter_pose_frames

    clip = clip_path("pelvic_tilt_lift_f55_left_C.mp4")  # tilts at 2-9 s (hips lifted), 10-17 s, 18-25 s (lifted)
    head, frames = iter_pose_frames(clip, "lite")
    s = PacedSession(all_exercises()["pelvic_tilt"])
    statuses = []
    for t, f in frames:
        s.update(t, f)
        statuses.append(s.status)
    s.finish()
    rep = s.report("clip", head["fps"])
    # 26.5 s: 3 s to get ready after the person is seen in position, then 11 s per paced tilt
    assert len(rep.reps) == 2 and all(abs(r.hold_s - 5.0) < 0.2 for r in rep.reps)
    lifted = [f.t_s for f in rep.faults if f.code == "hips_lifted"]
    assert lifted and all(2.2 <= t <= 9.0 or 18.4 <= t <= 25.5 for t in lifted)  # only where the hips really rose
    assert rep.warnings[0].code == "paced" and not any(w.code == "tilt_not_seen" for w in rep.warnings)
    assert any(getattr(st, "paced_say", None) == "Hold 5" for st in statuses)
    assert statuses[-1].reps == 2 and statuses[-1].paced
