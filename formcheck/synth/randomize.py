"""Randomized clip specs for the stress corpus: everything a real user varies, drawn from a seed.

:func:`draw_clip` turns ``(clip_seed, exercise, kind)`` into a :class:`~formcheck.synth.generate.ClipSpec`
plus a plain dict of every drawn parameter (it goes into the label's ``generator`` block, so
one clip can be re-rendered from its seed alone).  Pure numpy; no rendering here.

Fault sizes are defined physically (degrees, metres, seconds) from what a physiotherapist
would call the fault, *not* from the checkers' thresholds: a faulty rep is drawn from just
over the fault's boundary to well over it, and clean reps are drawn up to the clean side of
the boundary, so the corpus has clips near both sides of every boundary (with a gap between,
where a verdict either way would be defensible).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np

from .body import BODIES_DIR
from .generate import ClipSpec
from .motions import EXERCISES, FAULTS, RISE_S, Fidget, Style

log = logging.getLogger(__name__)

# ---------------------------------------------------------------- what a person varies
#: Prescribed hold at the top (seconds): the exercise guide's dose.
DOSE_S = {"bridge": 3.0, "bird_dog": 3.0, "pelvic_tilt": 5.0, "knee_to_chest": 20.0}
#: A clean hold, as a fraction of the dose (knee-to-chest: absolute 15–25 s, below).
CLEAN_HOLD_FRAC = (0.8, 1.2)
K2C_CLEAN_HOLD_S = (15.0, 25.0)
#: A hold that is "too short": under half the dose (a rushed rep), never a mere flicker.
SHORT_HOLD_FRAC = (0.2, 0.45)
K2C_SHORT_HOLD_S = (3.0, 8.0)
#: Rise and lower time as a multiple of :data:`~formcheck.synth.motions.RISE_S` (per clip,
#: log-uniform) and the per-rep jitter on it.
TEMPO_RANGE = (0.5, 2.0)
TEMPO_JITTER = 0.15
REST_S = (0.8, 4.0)  # still rest between reps, seconds (log-uniform)
LEAD_RANGE_S = (1.6, 2.8)  # still rest before the first rep, seconds
TAIL_RANGE_S = (0.8, 1.6)  # after the last rep, seconds
#: Reps per clip (the low end 85 % of the time).  Knee-to-chest: one 15–25 s hold per clip,
#: its side alternating from clip to clip -- two such holds would double the corpus's CPU time.
REPS = {"bridge": (2, 3), "bird_dog": (2, 3), "pelvic_tilt": (2, 3), "knee_to_chest": (1, 1)}

#: Resting pose of the lying exercises, degrees (feet near / far from the buttocks).
REST_HIP_FLEX_DEG = (25.0, 65.0)
REST_KNEE_FLEX_DEG = (70.0, 120.0)
#: Breathing: rate (Hz) and outward movement of chest and belly (metres, a few mm).
BREATH_HZ = (0.2, 0.35)
BREATH_CHEST_M = (0.002, 0.006)
BREATH_BELLY_M = (0.002, 0.008)
#: Fidgets at rest: head turn (deg) and a hand lifted off the floor (deg of the whole arm).
FIDGET_HEAD_DEG = (3.0, 8.0)
FIDGET_HAND_DEG = (5.0, 12.0)

# ---------------------------------------------------------------- camera and picture
YAW_DEG = 45.0  # ± from the pure side view
CAM_HEIGHT_M = (0.05, 1.2)  # floor level (phone on the floor) to a table
DISTANCE_SCALE = (1.0, 1.7)  # 1 = the whole motion fills ~80 % of the width
WALL_DISTANCE_M = (0.6, 3.0)  # back wall behind the body
FPS = (15, 24, 25, 30, 60)
FPS_WEIGHTS = (0.7, 0.08, 0.08, 0.08, 0.06)
#: Knee-to-chest clips are long (two 15–25 s holds): 15 fps only, for the CPU budget.
K2C_FPS_WEIGHTS = (1.0, 0.0, 0.0, 0.0, 0.0)
SIZES = ((640, 360), (854, 480), (640, 480), (960, 540), (1280, 720), (1920, 1080))
SIZE_WEIGHTS = (0.24, 0.26, 0.1, 0.18, 0.14, 0.08)
#: Render + MediaPipe cost per frame (seconds, 2-core CPU, measured): fixed part and per
#: megapixel.  A clip whose estimate is over :data:`MAX_CLIP_COST_S` (knee-to-chest:
#: :data:`K2C_MAX_CLIP_COST_S`) gets a smaller picture, then a lower frame rate.
COST_PER_FRAME_S = 0.07
COST_PER_MPIX_S = 0.10
MAX_CLIP_COST_S = 45.0
#: No multisampling in the corpus: software rasterising 4 samples was half the render time,
#: and the x264 compression softens the edges anyway.
RENDER_MSAA = 0
K2C_MAX_CLIP_COST_S = 60.0

# ---------------------------------------------------------------- fault sizes (physical)
#: Bridge: signed hip bend at the top (deg; 0 = shoulder-hip-knee straight, + = hips above
#: the line).  Clean: within 10° of straight.  Over-arched: 20–35° above.  Too low: 25–40°
#: short of straight.  Sagging: from a clean top, the hips sink to 18–30° short during the hold.
BRIDGE_CLEAN_TOP_DEG = (-10.0, 10.0)
BRIDGE_ARCH_DEG = (20.0, 35.0)
BRIDGE_LOW_DEG = (-40.0, -25.0)
BRIDGE_SAG_DEG = (-30.0, -18.0)
#: A partial lift must still be a clear movement: top at least this far above the rest bend.
BRIDGE_MIN_LIFT_DEG = 15.0
#: Bird-dog: elevation of the raised arm / leg above horizontal (deg).  Clean: within 10°.
#: Above horizontal: 25–40°.  Not extended: arm 20–40° below horizontal with the elbow bent
#: 40–70°, knee bent 45–80°.  Torso tilted: the trunk rolls/sinks 14–28° from its rest line.
BIRD_CLEAN_ELEV_DEG = (-10.0, 10.0)
BIRD_ABOVE_DEG = (25.0, 40.0)
BIRD_DROOP_DEG = (-40.0, -20.0)
BIRD_ELBOW_DEG = (40.0, 70.0)
BIRD_KNEE_DEG = (45.0, 80.0)
BIRD_TILT_DEG = (14.0, 28.0)
#: Pelvic tilt: posterior tilt of the pelvis (deg) and, for ``hips_lifted``, the hip joints
#: rising 5–14 cm off the floor (a clean tilt keeps the buttocks down).
PELVIC_TILT_DEG = (8.0, 16.0)
PELVIC_LIFT_M = (0.05, 0.14)
#: Knee-to-chest: hip flexion of the pulled knee (deg).  Other leg lifted: its thigh rises
#: 30–55° from its rest (the foot leaves the floor).  Head lifted: upper back curls 15–35°.
K2C_HIP_FLEX_DEG = (105.0, 130.0)
K2C_OTHER_RAISE_DEG = (30.0, 55.0)
K2C_HEAD_LIFT_DEG = (15.0, 35.0)

SKIN = ("f1c9a9", "e0ac8a", "c68642", "8d5a3b", "5e3a26", "3b2219", "ffdbac", "a1665e")
HAIR = ("151010", "3b2a1e", "a0702f", "d6b370", "6a4e42", "909090")


@dataclass
class Drawn:
    """One drawn clip: its spec and every drawn parameter (plain JSON)."""

    name: str
    spec: ClipSpec
    params: dict


def body_names() -> list[str]:
    """Every bundled body (``formcheck/synth/bodies/*.npz``), sorted."""
    return sorted(p.stem for p in BODIES_DIR.glob("*.npz"))


def _u(rng, lo_hi) -> float:
    return float(rng.uniform(*lo_hi))


def _hex(rgb) -> str:
    return "".join(f"{int(round(min(max(c, 0.0), 1.0) * 255)):02x}" for c in rgb)


def _hsv(rng, s=(0.3, 0.9), v=(0.25, 0.9)) -> tuple:
    import colorsys

    return colorsys.hsv_to_rgb(float(rng.uniform(0, 1)), _u(rng, s), _u(rng, v))


def draw_look(rng):
    """A random :class:`~formcheck.synth.render.Look` (clothes, skin, floor, wall colours)."""
    from .render import Look, _c

    floor = _hsv(rng, (0.05, 0.5), (0.3, 0.75))
    boards = rng.uniform() < 0.4
    floor2 = tuple(c * 0.85 for c in floor) if boards else floor
    return Look(
        "random",
        skin=_c(str(rng.choice(SKIN))),
        hair=_c(str(rng.choice(HAIR))),
        shirt=_hsv(rng),
        trousers=_hsv(rng, (0.0, 0.6), (0.1, 0.55)),
        shoes=_hsv(rng, (0.0, 0.8), (0.15, 0.95)),
        floor=floor,
        floor2=floor2,
        wall=_hsv(rng, (0.0, 0.3), (0.6, 0.95)),
        long_sleeves=bool(rng.uniform() < 0.4),
        barefoot=bool(rng.uniform() < 0.25),
    )


def draw_lighting(rng):
    """A random :class:`~formcheck.synth.render.Lighting`: key light from any side, 30–80° up."""
    from .render import Lighting

    az = rng.uniform(0, 2 * math.pi)
    el = math.radians(_u(rng, (30.0, 80.0)))
    d = (math.cos(el) * math.cos(az), math.cos(el) * math.sin(az), math.sin(el))
    return Lighting(
        ambient=_u(rng, (0.2, 0.45)),
        diffuse=_u(rng, (0.35, 0.7)),
        fill=_u(rng, (0.1, 0.35)),
        light_dir=tuple(round(x, 4) for x in d),
        eye_mix=_u(rng, (0.0, 0.6)),
    )


def _holds(rng, exercise: str, short: bool) -> float:
    if exercise == "knee_to_chest":
        return _u(rng, K2C_SHORT_HOLD_S if short else K2C_CLEAN_HOLD_S)
    return DOSE_S[exercise] * _u(rng, SHORT_HOLD_FRAC if short else CLEAN_HOLD_FRAC)


def _rep_params(rng, exercise: str, faults: list[str], style: Style, rest_bend: float | None) -> dict:
    """Physical sizes of one rep (see the constants above)."""
    if exercise == "bridge":
        if "hips_too_low" in faults:
            hi = BRIDGE_LOW_DEG[1]
            assert rest_bend is not None  # always known for the bridge (see _rest_bend)
            lo = max(BRIDGE_LOW_DEG[0], rest_bend + BRIDGE_MIN_LIFT_DEG)
            return {"top_bend_deg": _u(rng, (min(lo, hi), hi))}
        if "hips_overarched" in faults:
            return {"top_bend_deg": _u(rng, BRIDGE_ARCH_DEG)}
        p = {"top_bend_deg": _u(rng, BRIDGE_CLEAN_TOP_DEG)}
        if "hips_sagging" in faults:
            p["top_bend_deg"] = _u(rng, (-5.0, 8.0))
            p["sag_bend_deg"] = _u(rng, BRIDGE_SAG_DEG)
        return p
    if exercise == "bird_dog":
        p = {
            "arm_elev_deg": _u(rng, BIRD_CLEAN_ELEV_DEG),
            "leg_elev_deg": _u(rng, BIRD_CLEAN_ELEV_DEG),
            "elbow_deg": 0.0,
            "knee_deg": 0.0,
        }
        if "limb_above_horizontal" in faults:
            which = str(rng.choice(["both", "arm", "leg"], p=[0.4, 0.3, 0.3]))
            if which in ("both", "arm"):
                p["arm_elev_deg"] = _u(rng, BIRD_ABOVE_DEG)
            if which in ("both", "leg"):
                p["leg_elev_deg"] = _u(rng, BIRD_ABOVE_DEG)
        if "limb_not_extended" in faults:
            p.update(
                arm_elev_deg=_u(rng, BIRD_DROOP_DEG), elbow_deg=_u(rng, BIRD_ELBOW_DEG), knee_deg=_u(rng, BIRD_KNEE_DEG)
            )
        if "torso_tilted" in faults:
            p["tilt_deg"] = _u(rng, BIRD_TILT_DEG)
        return p
    if exercise == "pelvic_tilt":
        p = {"tilt_deg": _u(rng, PELVIC_TILT_DEG)}
        if "hips_lifted" in faults:
            p["hip_lift_m"] = _u(rng, PELVIC_LIFT_M)
        return p
    p = {"hip_flex_deg": _u(rng, K2C_HIP_FLEX_DEG)}
    if "other_leg_lifted" in faults:
        p["other_hip_flex_deg"] = style.hip_flex_deg + _u(rng, K2C_OTHER_RAISE_DEG)
    if "head_lifted" in faults:
        p["head_lift_deg"] = _u(rng, K2C_HEAD_LIFT_DEG)
    return p


def _fault_plan(rng, exercise: str, reps: int, fault_index: int | None) -> dict[int, list[str]]:
    """Which reps get which fault.  ``fault_index`` None = a clean clip; otherwise the clip's
    first fault is ``FAULTS[exercise][fault_index % n]`` (so faults are balanced over the clips
    of an exercise) and, with more than two reps, sometimes a second rep gets another fault."""
    if fault_index is None:
        return {}
    codes = FAULTS[exercise]
    first = codes[fault_index % len(codes)]
    n_faulty = 1 if reps <= 2 else int(rng.integers(1, 3))
    which = sorted(int(k) for k in rng.choice(np.arange(1, reps + 1), size=n_faulty, replace=False))
    out = {which[0]: [first]}
    if n_faulty > 1:
        others = [c for c in codes if c != first]
        out[which[1]] = [str(rng.choice(others))]
    return out


def _rest_bend(body: str, exercise: str, style: Style) -> float | None:
    """The signed hip bend (deg) of the resting pose of a lying exercise, from the geometry."""
    if exercise != "bridge":
        return None
    from .body import Body
    from .motions import Motion, schedule

    reps, _ = schedule("bridge", 1)
    return float(Motion(Body.named(body), "bridge", reps, style).hip_bend(0.0))


def _fidgets(rng, exercise: str, windows: list[tuple[float, float]]) -> list[Fidget]:
    out = []
    n = int(rng.integers(0, 4))
    usable = [(a, b) for a, b in windows if b - a >= 1.2]
    for _ in range(n if usable else 0):
        a, b = usable[int(rng.integers(0, len(usable)))]
        dur = _u(rng, (0.6, min(1.5, b - a - 0.4)))
        t0 = _u(rng, (a + 0.2, b - 0.2 - dur))
        if exercise == "bird_dog" or rng.uniform() < 0.5:
            seg, deg = "head", float(rng.choice([-1, 1])) * _u(rng, FIDGET_HEAD_DEG)
        else:
            seg, deg = str(rng.choice(["hand.L", "hand.R"])), -_u(rng, FIDGET_HAND_DEG)  # minus lifts
        out.append(Fidget(round(t0, 3), round(dur, 3), seg, round(deg, 2)))
    return out


def estimated_cost_s(duration_s: float, fps: float, size: tuple[int, int]) -> float:
    """Rough CPU seconds to render and track a clip (see :data:`COST_PER_FRAME_S`)."""
    frames = duration_s * fps
    return frames * (COST_PER_FRAME_S + COST_PER_MPIX_S * size[0] * size[1] / 1e6)


def draw_clip(clip_seed: int, exercise: str, fault_index: int | None, name: str | None = None) -> Drawn:
    """Draw one clip.  ``fault_index`` None = clean clip (every rep near but inside the clean
    side of each boundary), else see :func:`_fault_plan`.  Same arguments → same clip."""
    if exercise not in EXERCISES:
        raise ValueError(f"exercise must be one of {EXERCISES}")
    rng = np.random.default_rng(clip_seed)
    lying = exercise != "bird_dog"
    lo, hi = REPS[exercise]
    n_reps = lo if hi == lo or rng.uniform() < 0.85 else int(rng.integers(lo + 1, hi + 1))
    faults = _fault_plan(rng, exercise, n_reps, fault_index)
    body = str(rng.choice(body_names()))
    style = Style()
    if lying:
        style.hip_flex_deg = _u(rng, REST_HIP_FLEX_DEG)
        style.knee_flex_deg = _u(rng, REST_KNEE_FLEX_DEG)
    style.breath_hz = _u(rng, BREATH_HZ)
    style.breath_chest_m = _u(rng, BREATH_CHEST_M)
    style.breath_belly_m = _u(rng, BREATH_BELLY_M)
    style.breath_phase = _u(rng, (0.0, 2 * math.pi))
    rest_bend = None
    if exercise == "bridge":
        rest_bend = _rest_bend(body, exercise, style)
        for _ in range(20):  # a partial (too-low) lift needs room above the rest bend
            if not any("hips_too_low" in f for f in faults.values()):
                break
            if rest_bend is not None and rest_bend + BRIDGE_MIN_LIFT_DEG <= BRIDGE_LOW_DEG[1]:
                break
            style.hip_flex_deg = _u(rng, (45.0, REST_HIP_FLEX_DEG[1]))
            style.knee_flex_deg = _u(rng, (95.0, REST_KNEE_FLEX_DEG[1]))
            rest_bend = _rest_bend(body, exercise, style)
    # timing
    tempo_up = math.exp(_u(rng, tuple(math.log(x) for x in TEMPO_RANGE)))
    tempo_down = math.exp(_u(rng, tuple(math.log(x) for x in TEMPO_RANGE)))
    rises, lowers, holds, rests, params = [], [], [], [], {}
    for k in range(1, n_reps + 1):
        fl = faults.get(k, [])
        jit = lambda: _u(rng, (1 - TEMPO_JITTER, 1 + TEMPO_JITTER))  # noqa: E731
        rises.append(RISE_S[exercise] * min(max(tempo_up * jit(), TEMPO_RANGE[0]), TEMPO_RANGE[1]))
        lowers.append(RISE_S[exercise] * min(max(tempo_down * jit(), TEMPO_RANGE[0]), TEMPO_RANGE[1]))
        holds.append(_holds(rng, exercise, "hold_too_short" in fl))
        rests.append(math.exp(_u(rng, tuple(math.log(x) for x in REST_S))))
        params[k] = _rep_params(rng, exercise, fl, style, rest_bend)
    lead = _u(rng, LEAD_RANGE_S)
    tail = _u(rng, TAIL_RANGE_S)
    if exercise == "bird_dog":
        first = str(rng.choice(["left", "right"]))
        sides = [first, "right" if first == "left" else "left"]
    elif exercise == "knee_to_chest":
        sides = [("left", "right")[(clip_seed // len(EXERCISES)) % 2]]
    else:
        sides = None
    # rest windows (for fidgets): before the first rep, between reps, after the last
    t, windows = lead, [(0.0, lead)]
    for k in range(n_reps):
        end = t + rises[k] + holds[k] + lowers[k]
        if k < n_reps - 1:
            windows.append((end, end + rests[k]))
        t = end + rests[k]
    end_last = t - rests[-1]
    windows.append((end_last, end_last + tail))
    style.fidgets = _fidgets(rng, exercise, windows)
    duration = end_last + tail
    # camera and picture
    camera_side = str(rng.choice(["left", "right"]))
    yaw = _u(rng, (-YAW_DEG, YAW_DEG))
    cam_height = _u(rng, CAM_HEIGHT_M)
    distance = _u(rng, DISTANCE_SCALE)
    wall = _u(rng, WALL_DISTANCE_M)
    fps = int(rng.choice(FPS, p=K2C_FPS_WEIGHTS if exercise == "knee_to_chest" else FPS_WEIGHTS))
    size = SIZES[int(rng.choice(len(SIZES), p=SIZE_WEIGHTS))]
    # keep the CPU budget: a long clip at a high frame rate gets a smaller picture, then fps
    budget = K2C_MAX_CLIP_COST_S if exercise == "knee_to_chest" else MAX_CLIP_COST_S
    while estimated_cost_s(duration, fps, size) > budget:
        smaller = [s for s in SIZES if s[0] * s[1] < size[0] * size[1]]
        if smaller:
            size = max(smaller, key=lambda s: s[0] * s[1])
        elif FPS.index(fps) > 0:
            fps = FPS[FPS.index(fps) - 1]
        else:
            break
    look = draw_look(rng)
    lighting = draw_lighting(rng)
    crf = int(rng.integers(20, 30))
    name = name or f"{exercise}_s{clip_seed}"
    drawn = {
        "seed": int(clip_seed),
        "exercise": exercise,
        "fault_index": fault_index,
        "reps": n_reps,
        "faults": {str(k): v for k, v in faults.items()},
        "sides": sides,
        "body": body,
        "style": style.to_json(),
        "rest_hip_bend_deg": None if rest_bend is None else round(rest_bend, 2),
        "tempo_up": round(tempo_up, 3),
        "tempo_down": round(tempo_down, 3),
        "rises_s": [round(x, 3) for x in rises],
        "lowers_s": [round(x, 3) for x in lowers],
        "holds_s": [round(x, 3) for x in holds],
        "rests_s": [round(x, 3) for x in rests],
        "lead_s": round(lead, 3),
        "tail_s": round(tail, 3),
        "rep_params": {str(k): {n: round(v, 4) for n, v in p.items()} for k, p in params.items()},
        "camera_side": camera_side,
        "yaw_deg": round(yaw, 2),
        "cam_height_m": round(cam_height, 3),
        "distance_scale": round(distance, 3),
        "wall_distance_m": round(wall, 3),
        "fps": fps,
        "width": size[0],
        "height": size[1],
        "crf": crf,
        "look": {k: (_hex(v) if isinstance(v, tuple) else v) for k, v in look.__dict__.items()},
        "lighting": {k: (round(v, 4) if isinstance(v, float) else v) for k, v in lighting.__dict__.items()},
        "estimated_cost_s": round(estimated_cost_s(duration, fps, size), 1),
        "msaa": RENDER_MSAA,
    }
    spec = ClipSpec(
        exercise,
        reps=n_reps,
        faults=faults,
        sides=sides,
        body=body,
        look="random",
        camera_side=camera_side,
        yaw_deg=yaw,
        cam_height_m=cam_height,
        distance_scale=distance,
        fps=float(fps),
        width=size[0],
        height=size[1],
        crf=crf,
        style=style,
        rep_params=params,
        holds=holds,
        rests=rests,
        rises=rises,
        lowers=lowers,
        lead_s=lead,
        tail_s=tail,
        custom_look=look,
        lighting=lighting,
        wall_distance_m=wall,
        preset="veryfast",
        msaa=RENDER_MSAA,
        generator={"seed": int(clip_seed), "drawn": drawn},
    )
    return Drawn(name, spec, drawn)
