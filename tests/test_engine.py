"""Engine pieces: geometry, smoothing, posture, sides, tracks round-trip, the report JSON contract."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from streams import Rep, bird_dog_top, bridge_top, make_stream, run

from formcheck.core.geometry import (
    angle_deg,
    distance,
    elevation_deg,
    inclination_deg,
    line_deviation_deg,
    midpoint,
    signed_height_above_line,
)
from formcheck.core.landmarks import PoseFrame, frame_from_points
from formcheck.core.posture import (
    ALL_FOURS,
    STANDING,
    SUPINE,
    UNKNOWN,
    check_framing,
    classify_posture,
    facing_side,
)
from formcheck.core.sides import best_side
from formcheck.core.smoothing import LandmarkSmoother, OneEuroFilter
from formcheck.media.tracks import (
    Track,
    TrackError,
    is_track_file,
    load_track,
    save_track,
)


# ---------------------------------------------------------------- geometry
@pytest.mark.parametrize(
    "a,b,c,expected", [((0, 0), (1, 0), (2, 0), 180.0), ((0, 0), (1, 0), (1, 1), 90.0), ((1, 0), (0, 0), (1, 1), 45.0)]
)
def test_angle_deg(a, b, c, expected) -> None:
    assert angle_deg(a, b, c) == pytest.approx(expected)


def test_degenerate_angle_is_nan() -> None:
    assert math.isnan(angle_deg((0, 0), (0, 0), (1, 1)))


def test_line_deviation_sign() -> None:
    # image y down: a hip below the shoulder-knee line (flexed) is positive, above it negative
    assert line_deviation_deg((0, 0), (10, 5), (20, 0)) > 0
    assert line_deviation_deg((0, 0), (10, -5), (20, 0)) < 0
    assert line_deviation_deg((0, 0), (10, 0), (20, 0)) == pytest.approx(0.0)


def test_elevation_and_helpers() -> None:
    assert elevation_deg((0, 0), (10, 0)) == pytest.approx(0.0)
    assert elevation_deg((0, 0), (-10, 0)) == pytest.approx(0.0)
    assert elevation_deg((0, 0), (0, 10)) == pytest.approx(-90.0)  # straight down in the image
    assert elevation_deg((0, 0), (10, -10)) == pytest.approx(45.0)
    assert inclination_deg((0, 0), (10, 10)) == pytest.approx(45.0)
    assert distance((0, 0), (3, 4)) == 5.0
    assert list(midpoint((0, 0), (2, 4))) == [1.0, 2.0]
    assert signed_height_above_line((5, -2), (0, 0), (10, 0)) == pytest.approx(2.0)


# ---------------------------------------------------------------- smoothing
def test_one_euro_steadies_jitter_and_follows_moves() -> None:
    rng = np.random.default_rng(0)
    f = OneEuroFilter()
    raw = 0.5 + rng.normal(0, 0.003, 300)
    out = np.array([f(i / 30, np.array([x]))[0] for i, x in enumerate(raw)])
    assert out[30:].std() < raw[30:].std() / 2
    g = OneEuroFilter()
    ramp = [g(i / 30, np.array([i / 60]))[0] for i in range(60)]
    assert abs(ramp[-1] - 59 / 60) < 0.05


def test_smoother_keeps_unreliable_landmarks_out() -> None:
    sm = LandmarkSmoother()
    pts = {"left_hip": (100.0, 100.0)}
    first = sm(frame_from_points(0.0, pts, visibility=0.9))
    jumpy = sm(frame_from_points(1 / 30, {"left_hip": (300.0, 100.0)}, visibility=0.1))
    assert jumpy.px("left_hip")[0] == pytest.approx(300.0)  # passes through raw
    again = sm(frame_from_points(2 / 30, pts, visibility=0.9))
    assert again.px("left_hip")[0] == pytest.approx(100.0, abs=1.0)  # memory not dragged by the jump
    assert first is not None and sm(None) is None


# ---------------------------------------------------------------- posture and sides
@pytest.mark.parametrize("near", ["left", "right"])
@pytest.mark.parametrize(
    "posture,top,expected",
    [
        ("supine", {}, SUPINE),
        ("supine", bridge_top(4.0), SUPINE),
        ("all_fours", {}, ALL_FOURS),
        ("all_fours", bird_dog_top("left"), ALL_FOURS),
        ("standing", {"walk_deg": 25.0}, STANDING),
    ],
)
def test_posture_and_facing(posture, top, expected, near) -> None:
    stream = make_stream(
        posture,
        [Rep(0.0, top, rise=0.5, hold=2.0)],
        1.5,
        near=near,
        base={"walk_deg": 20.0} if posture == "standing" else None,
    )
    frame = stream[-1][1]
    assert classify_posture(frame) == expected
    if posture != "standing":
        assert facing_side(frame) == near


def test_posture_unknown_and_framing() -> None:
    assert classify_posture(None) == UNKNOWN
    assert classify_posture(frame_from_points(0.0, {"nose": (10.0, 10.0)})) == UNKNOWN
    frame = make_stream("supine", [], 0.1, out_of_frame=("left_ankle", "right_ankle"))[0][1]
    issue = check_framing(frame, ("either:shoulder", "either:ankle"))
    assert issue is not None and issue.code == "feet_out_of_frame"
    assert check_framing(None, ()).code == "no_person"
    two = make_stream("supine", [], 0.1, num_people=2)[0][1]
    assert check_framing(two, ()) is None  # another person in view never blocks counting


def test_second_person_in_view_keeps_counting_and_warns_once() -> None:
    from streams import bridge_top, reps_every, run

    r = run("bridge", make_stream("supine", reps_every(3, 2.0, bridge_top(4.0)), 20.0, num_people=2))
    assert len(r.reps) == 3
    assert [w.code for w in r.warnings].count("multiple_people") == 1
    assert "setup_not_met" not in [w.code for w in r.warnings]


def test_best_side_is_sticky() -> None:
    vis = {"left_hip": 0.9, "left_knee": 0.9, "right_hip": 0.8, "right_knee": 0.8}
    f = frame_from_points(0.0, {k: (1.0, 1.0) for k in vis}, visibility=vis)
    assert best_side(f, ("hip", "knee")) == "left"
    assert best_side(f, ("hip", "knee"), previous="right") == "right"  # 0.1 better is not enough to switch
    low = frame_from_points(0.0, {k: (1.0, 1.0) for k in vis}, visibility=0.2)
    assert best_side(low, ("hip", "knee")) is None


# ---------------------------------------------------------------- tracks
def test_track_round_trip(tmp_path) -> None:
    frames = make_stream("supine", [Rep(0.2, bridge_top(4.0), hold=0.5)], 1.0, noise_px=1.0, dropouts=((0.5, 0.6),))
    tr = Track(source="scripted", fps=30.0, width=640, height=480, model="none", duration_s=1.0, frames=frames)
    path = save_track(tr, tmp_path / "x.fctrack")
    assert is_track_file(path)
    back = load_track(path)
    assert back.source == "scripted" and len(back.frames) == len(frames)
    for (t0, a), (t1, b) in zip(frames, back.frames):
        assert t0 == pytest.approx(t1, abs=1e-6)
        assert (a is None) == (b is None)
        if a is not None:
            assert np.allclose(a.xyz, b.xyz, atol=1e-5) and np.allclose(a.visibility, b.visibility, atol=1e-4)
    (tmp_path / "junk.fctrack").write_text("not a track")
    assert not is_track_file(tmp_path / "junk.fctrack")
    with pytest.raises(TrackError):
        load_track(tmp_path / "junk.fctrack")


def test_poseframe_dict_round_trip_and_shape_check() -> None:
    f = make_stream("all_fours", [], 0.1)[0][1]
    g = PoseFrame.from_dict(json.loads(json.dumps(f.to_dict())))
    assert np.allclose(f.xyz, g.xyz, atol=1e-5) and g.num_people == 1
    with pytest.raises(ValueError):
        PoseFrame(0.0, 640, 480, np.zeros((5, 3)), np.zeros(33), np.zeros(33))


# ---------------------------------------------------------------- report contract
def test_report_json_contract() -> None:
    reps = [Rep(2.0, bridge_top(4.0)), Rep(8.0, bridge_top(4.0), hold=0.3)]
    report = run("bridge", make_stream("supine", reps, 12.0))
    d = json.loads(report.to_json(include_trace=True))
    for key in (
        "exercise",
        "source",
        "duration_s",
        "fps",
        "frames",
        "frames_with_pose",
        "reps",
        "good_reps",
        "reps_by_side",
        "target_reps",
        "target_hold_s",
        "rep_events",
        "holds",
        "faults",
        "warnings",
        "model",
        "report_version",
        "trace",
    ):
        assert key in d, key
    assert d["exercise"] == "bridge" and d["reps"] == 2 and d["good_reps"] == 1
    for r in d["rep_events"]:
        assert set(r) >= {"index", "start_s", "top_s", "end_s", "hold_s", "side", "good", "faults"}
        assert r["hold_s"] >= 0 and isinstance(r["faults"], list)
    for h in d["holds"]:
        assert set(h) >= {"start_s", "end_s", "duration_s", "side", "rep"}
    assert [(f["code"], f["rep"]) for f in d["faults"]] == [("hold_too_short", 2)]
    for f in d["faults"]:
        assert set(f) >= {"code", "t_s", "rep", "message"} and f["message"]
    for w in d["warnings"]:
        assert set(w) >= {"code", "message"}
    assert len(d["trace"]["t_s"]) == len(d["trace"]["angle_deg"]) == d["frames"]
    csv_lines = report.to_csv().strip().splitlines()
    assert len(csv_lines) == 3 and csv_lines[0].startswith("exercise,")
    assert "2 reps" in report.summary()


def _lying(nose_dy: float, stack: float = 0.0):
    """A lying body side-on (torso 130 px, horizontal): the nose ``nose_dy`` px above the ears
    (negative: below, face down); left/right shoulders and hips ``stack`` px apart vertically."""
    from formcheck.core.landmarks import frame_from_points

    pts = {
        "left_shoulder": (150.0, 300.0),
        "right_shoulder": (150.0, 300.0 - stack),
        "left_hip": (280.0, 300.0),
        "right_hip": (280.0, 300.0 - stack),
        "left_knee": (380.0, 260.0),
        "right_knee": (380.0, 260.0 - stack),
        "left_ear": (100.0, 295.0),
        "right_ear": (100.0, 295.0),
        "nose": (85.0, 295.0 - nose_dy),
    }
    return frame_from_points(0.0, pts)


def test_lying_on_the_back_front_and_side_are_told_apart() -> None:
    from formcheck.core.posture import PRONE, SIDE_LYING, SUPINE

    assert classify_posture(_lying(nose_dy=20.0)) == SUPINE  # face up: nose ~0.15 torso above the ears
    assert classify_posture(_lying(nose_dy=-15.0)) == PRONE  # face down (a superman)
    assert classify_posture(_lying(nose_dy=20.0, stack=80.0)) == SIDE_LYING  # shoulders and hips stacked (a clamshell)


def test_camera_up_to_about_45_degrees_off_the_side_view_still_counts_as_side_on() -> None:
    from formcheck.core.landmarks import frame_from_points
    from formcheck.core.posture import facing_side

    def body(spread: float):
        pts = {
            "left_shoulder": (150.0, 300.0),
            "right_shoulder": (150.0 + spread, 300.0),
            "left_hip": (280.0, 300.0),
            "right_hip": (280.0 + spread, 300.0),
            "left_knee": (380.0, 260.0),
            "right_knee": (380.0 + spread, 260.0),
            "left_elbow": (160.0, 330.0),
            "right_elbow": (160.0 + spread, 330.0),
        }
        return frame_from_points(0.0, pts)

    assert facing_side(body(0.8 * 130 * 0.9)) != "front"  # ~40 degrees off the side view: still side-on
    assert facing_side(body(1.3 * 130)) == "front"  # looking at the chest or from the head/feet end: turn the camera


def test_a_camera_far_off_the_side_view_says_turn_the_camera_not_zero() -> None:
    """A bridge filmed from the front (shoulders spread wide in the picture) is not counted wrong:
    the set-up message and the report ask to turn the camera."""
    from streams import bridge_top, reps_every, run

    from formcheck.core.landmarks import INDEX, PoseFrame

    stream = make_stream("supine", reps_every(2, 2.0, bridge_top(4.0)), 12.0)
    turned = []
    for t, f in stream:  # spread the right side of the body 1.3 torso lengths away: a view from the front
        xyz = f.xyz.copy()
        for name, k in INDEX.items():
            if name.startswith("right_"):
                xyz[k, 0] += 1.3 * 130.0 / f.width
        turned.append(
            (
                t,
                PoseFrame(
                    t_s=f.t_s, width=f.width, height=f.height, xyz=xyz, visibility=f.visibility, presence=f.presence
                ),
            )
        )
    report = run("bridge", turned)
    assert report.reps == []
    assert "camera_angle" in {w.code for w in report.warnings}


def test_the_top_of_a_high_bridge_is_still_lying_on_the_back() -> None:
    """Feet near the buttocks: at the top the torso slopes ~45 degrees, hips above the shoulders and
    knees above the hips; that is a bridge, not an unknown position (a downward dog has its knees below)."""
    from formcheck.core.landmarks import frame_from_points
    from formcheck.core.posture import SUPINE, UNKNOWN

    top = {
        "left_shoulder": (150.0, 300.0),
        "left_hip": (242.0, 208.0),
        "left_knee": (330.0, 150.0),
        "left_ear": (100.0, 295.0),
        "nose": (90.0, 280.0),
    }
    assert classify_posture(frame_from_points(0.0, top)) == SUPINE
    dog = {**top, "left_knee": (300.0, 300.0)}
    assert classify_posture(frame_from_points(0.0, dog)) == UNKNOWN
