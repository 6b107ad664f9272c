"""Tests of the synthetic clip generator (formcheck.synth) without rendering whole clips."""

import json
import math

import numpy as np
import pytest

from formcheck.synth.body import Body
from formcheck.synth.generate import ClipSpec, build, ground_truth, parse_fault
from formcheck.synth.motions import FAULTS, Motion, rot_x, schedule


@pytest.fixture(scope="module")
def body():
    return Body.named("female_35_avg")


def test_import_needs_no_renderer():
    """Specs, motions and the corpus randomizer work without GL or torch (checked in a fresh
    interpreter: this test process may have imported moderngl for another test)."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import formcheck.synth, formcheck.synth.generate, formcheck.synth.corpus\n"
        "from formcheck.synth.corpus import draw, plan\n"
        "draw(plan(3, 2)[1])\n"
        "bad = [m for m in ('moderngl', 'glcontext', 'torch', 'anny', 'av') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_identity_pose_reproduces_rest(body):
    verts, heads, _ = body.pose({})
    assert np.abs(verts - body.rest_verts).max() < 1e-3  # float16 weights
    assert np.abs(heads - body.rest_heads).max() < 1e-6


def test_bone_rotation_moves_children(body):
    thigh = [body.bone("upperleg01.L"), body.bone("upperleg02.L")]
    R = rot_x(-90.0)  # hip flexion 90 deg: thigh points forward (-y)
    rots = {b: R for b in thigh}
    _, heads, _ = body.pose(rots)
    hip = heads[body.bone("upperleg01.L")]
    knee = heads[body.bone("lowerleg01.L")]
    rest = body.rest_heads[body.bone("lowerleg01.L")] - body.rest_heads[body.bone("upperleg01.L")]
    assert np.allclose(knee - hip, R @ rest, atol=1e-6)
    assert knee[1] < hip[1] - 0.3  # knee in front of the hip
    assert abs(knee[2] - hip[2]) < 0.1
    # the shank inherits the thigh rotation; the other leg does not move
    assert np.allclose(heads[body.bone("foot.R")], body.rest_heads[body.bone("foot.R")])


def test_keypoint_regressor_weights_sum_to_one(body):
    ends = np.cumsum(body.coco_len)
    for s, e in zip(ends - body.coco_len, ends):
        assert abs(body.coco_w[s:e].sum() - 1) < 1e-3


def test_adult_bodies_are_adult_sized():
    for n in ("female_35_avg", "male_50_heavy", "male_28_slim", "female_55_heavy"):
        h = Body.named(n).height
        assert 1.6 < h < 2.0, (n, h)
    assert Body.named("child_12_default").height < 1.6


@pytest.mark.parametrize("ex", ["bridge", "bird_dog", "pelvic_tilt", "knee_to_chest"])
def test_schedule_timing(ex):
    reps, dur = schedule(ex, 3, faults={2: ["hold_too_short"]})
    assert reps[0].start_s >= 1.5
    if ex == "pelvic_tilt":
        assert reps[0].start_s >= 2.0
    for a, b in zip(reps, reps[1:]):
        assert b.start_s - a.end_s >= 1.0
    assert dur - reps[-1].end_s >= 1.0
    assert reps[1].hold_s < reps[0].hold_s
    for r in reps:
        assert r.start_s < r.top_s <= r.top_s + r.hold_s < r.end_s


def _hip_height(m, t):
    _, heads = m.pose_at(t)
    return heads[m.body.bone("upperleg01.L"), 2]


def test_bridge_motion_follows_gt(body):
    reps, _ = schedule("bridge", 2, faults={2: ["hips_too_low"]})
    m = Motion(body, "bridge", reps)
    r = reps[0]
    rest = _hip_height(m, 0.5)
    top = [_hip_height(m, t) for t in np.linspace(r.top_s, r.top_s + r.hold_s, 5)]
    assert np.ptp(top) < 1e-6  # still during [top_s, top_s + hold_s]
    assert top[0] > rest + 0.12  # hips clearly lifted
    assert _hip_height(m, r.top_s - 0.3) < top[0]  # still rising before top_s
    assert abs(_hip_height(m, r.end_s + 0.2) - rest) < 1e-6
    low = _hip_height(m, reps[1].top_s + 0.5)
    assert rest < low < top[0] - 0.04  # hips_too_low: partway up


def test_bridge_feet_stay_planted(body):
    reps, _ = schedule("bridge", 1)
    m = Motion(body, "bridge", reps)
    a0 = m.pose_at(0.0)[1][body.bone("foot.R")]
    a1 = m.pose_at(reps[0].top_s + 0.5)[1][body.bone("foot.R")]
    assert np.linalg.norm(a0 - a1) < 0.01


def test_bridge_angles_and_overarch(body):
    from formcheck.synth.motions import joint_angle

    reps, _ = schedule("bridge", 2, faults={2: ["hips_overarched"]})
    m = Motion(body, "bridge", reps)

    def shk(t):
        _, h = m.pose_at(t)
        g = lambda l: h[body.bone(l)]
        yz = lambda v: np.array([0.0, v[1], v[2]])
        return joint_angle(yz(g("upperarm01.L")), yz(g("upperleg01.L")), yz(g("lowerleg01.L"))), g("upperleg01.L")[2]

    a_rest, _ = shk(0.0)
    a_top, z_top = shk(reps[0].top_s + 0.5)
    a_arch, z_arch = shk(reps[1].top_s + 0.5)
    assert 115 < a_rest < 145
    assert a_top > 172
    assert z_arch > z_top + 0.03 and a_arch < 165  # bent the other way: hips above the line


def test_bridge_sagging_drops_during_hold(body):
    reps, _ = schedule("bridge", 1, hold_s=3.0, faults={1: ["hips_sagging"]})
    m = Motion(body, "bridge", reps)
    r = reps[0]
    assert _hip_height(m, r.top_s + r.hold_s - 0.1) < _hip_height(m, r.top_s + 0.05) - 0.03


def test_bird_dog_opposite_and_same_side(body):
    reps, _ = schedule("bird_dog", 2, faults={2: ["same_side_limbs"]}, sides=["left", "left"])
    m = Motion(body, "bird_dog", reps)
    _, h0 = m.pose_at(0.0)
    g = lambda h, l: h[body.bone(l)]
    # rest: hands and knees near the floor
    assert g(h0, "wrist.L")[2] < 0.12 and g(h0, "lowerleg01.L")[2] < 0.12
    _, h1 = m.pose_at(reps[0].top_s + 0.5)
    assert g(h1, "wrist.L")[2] > 0.45 and g(h1, "foot.R")[2] > 0.35  # left arm, right leg
    assert g(h1, "foot.L")[2] < 0.2 and g(h1, "wrist.R")[2] < 0.12
    _, h2 = m.pose_at(reps[1].top_s + 0.5)
    assert g(h2, "wrist.L")[2] > 0.45 and g(h2, "foot.L")[2] > 0.35  # same side
    assert g(h2, "foot.R")[2] < 0.2


def test_bird_dog_limb_faults(body):
    reps, _ = schedule("bird_dog", 3, faults={2: ["limb_above_horizontal"], 3: ["limb_not_extended"]})
    m = Motion(body, "bird_dog", reps)
    arm = lambda t, s="L": (lambda h: h[body.bone(f"wrist.{s}")][2] - h[body.bone(f"upperarm01.{s}")][2])(
        m.pose_at(t)[1]
    )
    clean = arm(reps[0].top_s + 0.5, "L")
    above = arm(reps[1].top_s + 0.5, "R")
    bent = arm(reps[2].top_s + 0.5, "L")
    assert abs(clean) < 0.08 and above > 0.2 and bent < -0.05


def test_pelvic_tilt_hips_lifted(body):
    reps, _ = schedule("pelvic_tilt", 2, faults={2: ["hips_lifted"]})
    m = Motion(body, "pelvic_tilt", reps)
    rest = _hip_height(m, 0.5)
    clean = _hip_height(m, reps[0].top_s + 1)
    lifted = _hip_height(m, reps[1].top_s + 1)
    assert abs(clean - rest) < 0.03
    assert lifted > rest + 0.08
    # the pelvis does rotate in a clean rep
    R0 = m.rotations_at(0.5)[0][body.bone("spine05")]
    R1 = m.rotations_at(reps[0].top_s + 1)[0][body.bone("spine05")]
    ang = math.degrees(math.acos((np.trace(R0.T @ R1) - 1) / 2))
    assert 10 <= ang <= 15


def test_knee_to_chest_faults(body):
    reps, _ = schedule(
        "knee_to_chest",
        3,
        sides=["left", "right", "both"],
        faults={1: ["other_leg_lifted"], 2: ["head_lifted"]},
        hold_s=15.0,
    )
    m = Motion(body, "knee_to_chest", reps)
    g = lambda t, l: m.pose_at(t)[1][body.bone(l)]
    t1, t2, t3 = (r.top_s + 1 for r in reps)
    assert g(t1, "lowerleg01.L")[1] > g(0.0, "lowerleg01.L")[1] + 0.15  # left knee to chest
    assert g(t1, "foot.R")[2] > g(0.0, "foot.R")[2] + 0.1  # other foot lifted
    assert abs(g(t2, "foot.L")[2] - g(0.0, "foot.L")[2]) < 0.01  # clean other leg
    assert g(t2, "head")[2] > g(0.0, "head")[2] + 0.1  # head lifted
    assert g(t3, "foot.L")[2] > 0.2 and g(t3, "foot.R")[2] > 0.2  # both knees
    # hands near the drawn-up knee
    assert np.linalg.norm(g(t1, "wrist.L")[1:] - g(t1, "lowerleg01.L")[1:]) < 0.2


def test_ground_truth_totals():
    spec = ClipSpec("bridge", reps=4, faults={2: ["hips_too_low"], 3: ["hold_too_short"]})
    _, reps, dur = build(spec)
    gt = ground_truth(spec, reps, dur, "x.mp4")
    json.dumps(gt)
    assert gt["expected"] == {"reps": 4, "good_reps": 2, "holds": 4}
    assert [r["good"] for r in gt["reps"]] == [True, False, False, True]
    assert gt["reps"][2]["hold_s"] < 1.5
    for k in (
        "clip",
        "exercise",
        "source",
        "fps",
        "duration_s",
        "width",
        "height",
        "camera_side",
        "body",
        "look",
        "licence",
    ):
        assert k in gt


def test_parse_fault_and_bad_fault():
    assert parse_fault("hips_too_low@3") == ("hips_too_low", [3])
    assert parse_fault("a@1,2") == ("a", [1, 2])
    with pytest.raises(ValueError):
        schedule("bridge", 2, faults={1: ["same_side_limbs"]})
    assert set(FAULTS) == {"bridge", "bird_dog", "pelvic_tilt", "knee_to_chest"}


def test_sample_clip_gt_files_consistent():
    from pathlib import Path

    d = Path(__file__).resolve().parents[1] / "sample_videos"
    files = sorted(d.glob("*.json"))
    assert files, "sample_videos/ has no labelled clips"
    for f in files:
        gt = json.loads(f.read_text())
        assert (d / gt["clip"]).exists(), f
        reps = gt["reps"]
        assert gt["expected"]["reps"] == len(reps)
        assert gt["expected"]["good_reps"] == sum(r["good"] for r in reps)
        for r in reps:
            assert r["good"] == (not r["faults"])
            assert r["start_s"] <= r["top_s"] <= r["top_s"] + r["hold_s"] <= r["end_s"] + 1e-6


@pytest.mark.synth_render
def test_render_two_frames():
    # `make test` installs the synth extra (moderngl) and Mesa's EGL: this must really render
    from formcheck.synth.generate import render_frames

    spec = ClipSpec("bridge", reps=1, width=160, height=120)
    _, reps, _ = build(spec)
    frames = list(render_frames(spec, [0.0, reps[0].top_s + 0.3]))
    (t0, a, kp0, cam), (t1, b, kp1, _) = frames
    assert a.shape == (120, 160, 3) and a.dtype == np.uint8
    assert np.abs(a.astype(int) - b.astype(int)).sum() > 0  # the body moved
    # the projected hips go up in the image at the top
    y0 = cam.project(kp0[11:13], 160, 120)[:, 1].mean()
    y1 = cam.project(kp1[11:13], 160, 120)[:, 1].mean()
    assert y1 < y0 - 3


# ---------------------------------------------------------------- randomized stress corpus
from formcheck.synth import randomize as rz  # noqa: E402
from formcheck.synth.corpus import draw, plan  # noqa: E402


@pytest.fixture(scope="module")
def dev_plan():
    return [(c, draw(c)) for c in plan(1, 60)]


def test_corpus_draw_is_reproducible_from_the_seed():
    a, b = draw(plan(7, 8)[5]), draw(plan(7, 8)[5])
    assert a.params == b.params and a.name == b.name
    assert a.spec.generator["seed"] == 7005 == a.params["seed"]
    # the clip's seed alone gives the same clip, whatever corpus it came from
    again = rz.draw_clip(7005, a.spec.exercise, a.params["fault_index"])
    assert again.params == a.params
    assert draw(plan(8, 8)[5]).params != a.params


def test_corpus_split_is_balanced_and_disjoint():
    dev, held = plan(1, 60), plan(2, 60)
    assert not {c.seed for c in dev} & {c.seed for c in held}
    for clips in (dev, held):
        by_ex = {ex: [c for c in clips if c.exercise == ex] for ex in FAULTS}
        assert {ex: len(v) for ex, v in by_ex.items()} == {ex: 15 for ex in FAULTS}
        for ex, v in by_ex.items():
            assert sum(c.fault_index is None for c in v) == 5, ex  # a third clean
            firsts = [FAULTS[ex][c.fault_index % len(FAULTS[ex])] for c in v if c.fault_index is not None]
            assert set(firsts) == set(FAULTS[ex]), ex  # every fault injected


def _within(x, lo_hi, slack=1e-6):
    return lo_hi[0] - slack <= x <= lo_hi[1] + slack


def test_corpus_parameters_stay_in_their_ranges(dev_plan):
    bodies = set(rz.body_names())
    seen_bodies, seen_fps = set(), set()
    for c, d in dev_plan:
        p, s = d.params, d.spec
        seen_bodies.add(p["body"])
        seen_fps.add(p["fps"])
        assert p["body"] in bodies and p["fps"] in rz.FPS and (p["width"], p["height"]) in rz.SIZES
        assert abs(p["yaw_deg"]) <= rz.YAW_DEG and _within(p["cam_height_m"], rz.CAM_HEIGHT_M)
        assert _within(p["distance_scale"], rz.DISTANCE_SCALE) and _within(p["wall_distance_m"], rz.WALL_DISTANCE_M)
        st = p["style"]
        assert _within(st["breath_hz"], rz.BREATH_HZ) and _within(st["breath_belly_m"], rz.BREATH_BELLY_M, 1e-4)
        if c.exercise != "bird_dog":
            assert _within(st["hip_flex_deg"], rz.REST_HIP_FLEX_DEG, 1e-3)
            assert _within(st["knee_flex_deg"], rz.REST_KNEE_FLEX_DEG, 1e-3)
        assert _within(p["lead_s"], rz.LEAD_RANGE_S, 1e-3) and _within(p["tail_s"], rz.TAIL_RANGE_S, 1e-3)
        lo, hi = rz.REPS[c.exercise]
        assert lo <= p["reps"] <= hi
        for k in range(p["reps"]):
            base = rz.RISE_S[c.exercise]
            assert _within(p["rises_s"][k] / base, rz.TEMPO_RANGE, 1e-2)
            assert _within(p["lowers_s"][k] / base, rz.TEMPO_RANGE, 1e-2)
            assert _within(p["rests_s"][k], rz.REST_S, 1e-3)
            faults = p["faults"].get(str(k + 1), [])
            hold = p["holds_s"][k]
            if c.exercise == "knee_to_chest":
                assert _within(hold, rz.K2C_SHORT_HOLD_S if "hold_too_short" in faults else rz.K2C_CLEAN_HOLD_S, 1e-2)
            else:
                frac = rz.SHORT_HOLD_FRAC if "hold_too_short" in faults else rz.CLEAN_HOLD_FRAC
                assert _within(hold / rz.DOSE_S[c.exercise], frac, 1e-2)
            _check_fault_size(c.exercise, faults, p["rep_params"][str(k + 1)], p)
        # the fidgets happen at rest only: never inside a rep
        _, reps, _ = build(s)
        for f in s.style.fidgets:
            for r in reps:
                assert f.t_s + f.dur_s <= r.start_s + 1e-6 or f.t_s >= r.end_s - 1e-6, (c.name, f)
    assert seen_bodies == bodies and len(seen_fps) >= 2


def _check_fault_size(ex, faults, rp, p):
    if ex == "bridge":
        top = rp["top_bend_deg"]
        if "hips_overarched" in faults:
            assert _within(top, rz.BRIDGE_ARCH_DEG, 1e-3)
        elif "hips_too_low" in faults:
            assert _within(top, rz.BRIDGE_LOW_DEG, 1e-3)
            assert top >= p["rest_hip_bend_deg"] + rz.BRIDGE_MIN_LIFT_DEG - 0.01  # still a clear lift
        elif "hips_sagging" in faults:
            assert _within(rp["sag_bend_deg"], rz.BRIDGE_SAG_DEG, 1e-3)
        else:
            assert _within(top, rz.BRIDGE_CLEAN_TOP_DEG, 1e-3)
    elif ex == "bird_dog":
        if "limb_above_horizontal" in faults:
            assert max(rp["arm_elev_deg"], rp["leg_elev_deg"]) >= rz.BIRD_ABOVE_DEG[0] - 1e-3
        elif "limb_not_extended" in faults:
            assert _within(rp["arm_elev_deg"], rz.BIRD_DROOP_DEG, 1e-3) and _within(
                rp["knee_deg"], rz.BIRD_KNEE_DEG, 1e-3
            )
        else:
            assert _within(rp["arm_elev_deg"], rz.BIRD_CLEAN_ELEV_DEG, 1e-3)
            assert _within(rp["leg_elev_deg"], rz.BIRD_CLEAN_ELEV_DEG, 1e-3)
        if "torso_tilted" in faults:
            assert _within(rp["tilt_deg"], rz.BIRD_TILT_DEG, 1e-3)
    elif ex == "pelvic_tilt":
        assert _within(rp["tilt_deg"], rz.PELVIC_TILT_DEG, 1e-3)
        assert ("hip_lift_m" in rp) == ("hips_lifted" in faults)
        if "hips_lifted" in faults:
            assert _within(rp["hip_lift_m"], rz.PELVIC_LIFT_M, 1e-3)
    else:
        assert _within(rp["hip_flex_deg"], rz.K2C_HIP_FLEX_DEG, 1e-3)
        if "head_lifted" in faults:
            assert _within(rp["head_lift_deg"], rz.K2C_HEAD_LIFT_DEG, 1e-3)
        if "other_leg_lifted" in faults:
            raise_deg = rp["other_hip_flex_deg"] - p["style"]["hip_flex_deg"]
            assert _within(raise_deg, rz.K2C_OTHER_RAISE_DEG, 1e-2)


def test_corpus_label_matches_the_drawn_schedule(dev_plan):
    c, d = dev_plan[4]  # a faulty bridge clip
    _, reps, dur = build(d.spec)
    gt = ground_truth(d.spec, reps, dur, d.name + ".fctrack")
    assert gt["expected"]["reps"] == d.params["reps"] == len(gt["reps"])
    assert gt["expected"]["good_reps"] == d.params["reps"] - len(d.params["faults"])
    for r, hold in zip(gt["reps"], d.params["holds_s"]):
        assert r["hold_s"] == pytest.approx(hold, abs=1e-3)
        assert r["start_s"] < r["top_s"] < r["end_s"]


def test_breathing_moves_the_belly_a_few_mm(body):
    from formcheck.synth.motions import Style

    reps, _ = schedule("pelvic_tilt", 1)
    still = Motion(body, "pelvic_tilt", reps)
    breathing = Motion(body, "pelvic_tilt", reps, Style(breath_hz=0.25, breath_chest_m=0.004, breath_belly_m=0.006))
    v0, _ = still.pose_at(0.0)
    b0, _ = breathing.pose_at(0.0)  # phase 0: the rest level of the breath
    b1, _ = breathing.pose_at(2.0)  # half a cycle later: the fullest breath
    assert np.abs(b0 - v0).max() < 1e-6
    d = np.linalg.norm(b1 - v0, axis=1)
    assert 0.0045 < d.max() < 0.0065  # the belly, by its amplitude
    assert (d > 1e-4).mean() < 0.2  # only the front of the torso moves


def test_rest_pose_and_fault_sizes_change_the_motion(body):
    from formcheck.synth.motions import Style

    reps, _ = schedule("bridge", 1, params={1: {"top_bend_deg": 30.0}})
    flat = Motion(body, "bridge", reps, Style(hip_flex_deg=25.0, knee_flex_deg=70.0))
    bent = Motion(body, "bridge", reps, Style(hip_flex_deg=60.0, knee_flex_deg=115.0))
    assert flat.hip_bend(0.0) > bent.hip_bend(0.0) + 5  # the flatter rest bends less
    top = reps[0].top_s + 0.5
    _, h = flat.pose_at(top)
    lift = flat._lift("bend", 30.0)
    assert abs(flat.hip_bend(lift) - 30.0) < 0.5
    assert h[body.bone("upperleg01.L"), 2] > flat.pose_at(0.0)[1][body.bone("upperleg01.L"), 2] + 0.15
