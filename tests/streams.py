"""Scripted landmark streams: a 2-D side-view stick figure in pixels, posture-aware.

A stream is a list of ``(t_s, PoseFrame | None)``, as a video reader plus pose model would
produce it. The figure is posed by a small set of named *pose parameters* (degrees or
pixels); a script is a rest pose plus a list of :class:`Rep` s, each moving some parameters
from their rest value to a top value and back (rise, hold, lower). Everything else —
mirroring for the camera side, near/far visibility, pixel noise, dropouts, timestamp
jitter, landmarks hidden or out of frame — is an option of :func:`make_stream`.

Pose parameters (all default to the rest pose):

supine (lying on the back, knees bent, feet flat; head to the left before mirroring)
    ``torso_lift_deg``  torso rotated about the shoulders, hips up (a bridge; ``bridge_lift_for_bend``)
    ``head_lift_deg``   torso rotated about the hips, shoulders and head up (a curl-up)
    ``tilt_deg``        pelvic tilt: both thighs rotate this much towards the head (knees move a little)
    ``flex_left_deg`` / ``flex_right_deg``  extra hip flexion of one leg (knee towards the chest)
    ``hands_hug``       0..1: both hands move to the knee of the more flexed leg
all_fours (hands and knees; head to the left before mirroring)
    ``arm_left_deg`` / ``arm_right_deg``      upper-arm elevation (-90 hanging, 0 reaching forward)
    ``elbow_left_deg`` / ``elbow_right_deg``  elbow bend (0 straight)
    ``thigh_left_deg`` / ``thigh_right_deg``  thigh elevation (-90 kneeling, 0 extended back)
    ``knee_left_deg`` / ``knee_right_deg``    knee bend (90 kneeling, 0 straight)
    ``torso_tilt_deg``  torso rotated about the shoulders (positive: hips drop)
standing
    ``walk_deg``        leg swing amplitude (a walking person)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from formcheck.core.landmarks import INDEX, NUM_LANDMARKS, PoseFrame

W, H = 640, 480
T = 130.0  # torso length, shoulder to hip (px)
THIGH = 0.9 * T  # hip to knee
SHIN = 0.88 * T  # knee to ankle
UPPER_ARM = 0.48 * T
FOREARM = 0.46 * T

REST: dict[str, dict[str, float]] = {
    "supine": {
        "torso_lift_deg": 0.0,
        "head_lift_deg": 0.0,
        "tilt_deg": 0.0,
        "flex_left_deg": 0.0,
        "flex_right_deg": 0.0,
        "hands_hug": 0.0,
    },
    "all_fours": {
        "arm_left_deg": -90.0,
        "arm_right_deg": -90.0,
        "elbow_left_deg": 0.0,
        "elbow_right_deg": 0.0,
        "thigh_left_deg": -90.0,
        "thigh_right_deg": -90.0,
        "knee_left_deg": 90.0,
        "knee_right_deg": 90.0,
        "torso_tilt_deg": 0.0,
    },
    "standing": {"walk_deg": 0.0},
}


@dataclass
class Rep:
    """One scripted movement: parameters go from rest to ``top`` in ``rise`` s, stay ``hold`` s,
    come back in ``lower`` s. ``start`` is when the movement begins (s)."""

    start: float
    top: dict[str, float]
    rise: float = 1.0
    hold: float = 3.0
    lower: float = 1.0
    wobble: dict[str, tuple[float, float]] = field(default_factory=dict)  # param -> (offset, from_s_into_hold)

    @property
    def end(self) -> float:
        return self.start + self.rise + self.hold + self.lower

    def level(self, t: float) -> float:
        """0 at rest, 1 at the top, smooth in between."""
        if t <= self.start or t >= self.end:
            return 0.0
        u = t - self.start
        if u < self.rise:
            x = u / self.rise
        elif u < self.rise + self.hold:
            return 1.0
        else:
            x = 1.0 - (u - self.rise - self.hold) / self.lower
        return 0.5 - 0.5 * math.cos(math.pi * x)


def reps_every(
    n: int, first: float, top: dict[str, float] | list[dict[str, float]], rise=1.0, hold=3.0, lower=1.0, rest=1.5
) -> list[Rep]:
    """``n`` identical reps starting at ``first`` s, ``rest`` s apart; ``top`` may be a list (cycled)."""
    tops = top if isinstance(top, list) else [top]
    out, t = [], first
    for i in range(n):
        r = Rep(t, dict(tops[i % len(tops)]), rise, hold, lower)
        out.append(r)
        t = r.end + rest
    return out


def pose_at(posture: str, reps: list[Rep], t: float, base: dict[str, float] | None = None) -> dict[str, float]:
    """The pose parameters at time ``t``."""
    p = dict(REST[posture])
    p.update(base or {})
    for r in reps:  # a later rep moves on from where the earlier ones left the pose (e.g. a resettle)
        lv = r.level(t)
        if lv <= 0:
            continue
        for k, v in r.top.items():
            p[k] = p[k] + lv * (v - p[k])
        if lv >= 1.0:
            for k, (off, after) in r.wobble.items():
                if t - (r.start + r.rise) >= after:
                    p[k] += off
    return p


# ---------------------------------------------------------------------------- kinematics
def _dir(elev_deg: float, sign_x: float = 1.0) -> np.ndarray:
    """Unit vector at ``elev_deg`` above the horizontal (image y down), pointing to ``sign_x``."""
    a = math.radians(elev_deg)
    return np.array([sign_x * math.cos(a), -math.sin(a)])


def _rot(v: np.ndarray, deg: float) -> np.ndarray:
    a = math.radians(deg)
    c, s = math.cos(a), math.sin(a)
    return np.array([c * v[0] - s * v[1], s * v[0] + c * v[1]])


def _knee_ik(hip: np.ndarray, ankle: np.ndarray) -> np.ndarray:
    """Knee between hip and ankle with the thigh and shin lengths, bent upwards (smaller y)."""
    d = ankle - hip
    dist = float(np.hypot(*d))
    dist = min(dist, THIGH + SHIN - 1e-6)
    a = (THIGH**2 - SHIN**2 + dist**2) / (2 * dist)
    h = math.sqrt(max(THIGH**2 - a**2, 0.0))
    u = d / max(float(np.hypot(*d)), 1e-9)
    mid = hip + a * u
    perp = np.array([-u[1], u[0]])
    k1, k2 = mid + h * perp, mid - h * perp
    return k1 if k1[1] < k2[1] else k2


FLOOR_SUPINE = 400.0
SH_SUPINE = np.array([150.0, FLOOR_SUPINE - 15])
REST_THIGH_ELEV = 45.0


def _supine_rest_ankle() -> np.ndarray:
    hip = SH_SUPINE + np.array([T, 0.0])
    knee = hip + THIGH * _dir(REST_THIGH_ELEV)
    ay = FLOOR_SUPINE - 10
    return np.array([knee[0] + math.sqrt(SHIN**2 - (ay - knee[1]) ** 2), ay])


ANKLE_SUPINE = _supine_rest_ankle()


def bridge_lift_for_bend(bend_deg: float) -> float:
    """The ``torso_lift_deg`` that gives a shoulder-hip-knee bend of ``bend_deg`` (bisection)."""
    from formcheck.core.geometry import line_deviation_deg

    lo, hi = 0.0, 60.0
    for _ in range(50):
        mid = (lo + hi) / 2
        pts = _supine_side({**REST["supine"], "torso_lift_deg": mid}, "left")
        b = line_deviation_deg(pts["shoulder"], pts["hip"], pts["knee"])
        lo, hi = (mid, hi) if b > bend_deg else (lo, mid)
    return (lo + hi) / 2


def _supine_side(p: dict[str, float], side: str, _inner: bool = False) -> dict[str, np.ndarray]:
    """Joints of one side of a supine body, head to the left."""
    lift, curl = p["torso_lift_deg"], p["head_lift_deg"]
    hip = SH_SUPINE + T * _dir(lift)
    sh = hip + T * _dir(curl, -1.0) if curl else SH_SUPINE.copy()
    knee = _knee_ik(hip, ANKLE_SUPINE)
    thigh_elev = math.degrees(math.atan2(-(knee[1] - hip[1]), knee[0] - hip[0]))
    flex = p[f"flex_{side}_deg"]
    knee = hip + THIGH * _dir(thigh_elev + p["tilt_deg"] + flex)
    ankle = ANKLE_SUPINE.copy()
    if flex > 0:
        # knee angle closes from its resting value to 35 degrees as the knee comes up
        k0 = _knee_ik(hip, ANKLE_SUPINE)
        v_h0, v_a0 = hip - k0, ANKLE_SUPINE - k0
        ang0 = math.degrees(math.atan2(v_h0[0] * v_a0[1] - v_h0[1] * v_a0[0], v_h0 @ v_a0))
        target = np.sign(ang0) * (abs(ang0) + (35.0 - abs(ang0)) * min(1.0, flex / 80.0))
        ankle = knee + SHIN * _rot((hip - knee) / THIGH, target)
    eye_dir = _dir(curl + 8.0, -1.0) if curl else _dir(8.0, -1.0)
    head = sh + 0.42 * T * eye_dir
    up = np.array([0.0, -1.0])
    wrist = hip + np.array([-0.15 * T, 0.0]) if not flex else knee + np.array([-0.05 * T, -0.06 * T])
    hug = p["hands_hug"]
    if hug > 0 and not _inner:
        # both hands go to the knee of the more flexed leg (as people hug one knee with both hands)
        legs = ("left", "right")
        hugged = max(legs, key=lambda s: p[f"flex_{s}_deg"])
        target = (knee if hugged == side else _supine_side(p, hugged, _inner=True)["knee"]) + np.array(
            [-0.05 * T, -0.06 * T]
        )
        wrist = wrist + hug * (target - wrist)
    elbow = (sh + wrist) / 2 + np.array([0.0, -4.0])
    return {
        "shoulder": sh,
        "hip": hip,
        "knee": knee,
        "ankle": ankle,
        "elbow": elbow,
        "wrist": wrist,
        "heel": ankle + np.array([-6.0, 8.0]),
        "foot_index": ankle + np.array([26.0, 6.0]),
        "head": head,
        "face_up": up,
        "forward": eye_dir,
    }


def _all_fours_side(p: dict[str, float], side: str) -> dict[str, np.ndarray]:
    """Joints of one side on hands and knees, head to the left (forward = -x)."""
    sh = np.array([200.0, 250.0])
    hip = sh + T * _dir(-(p["torso_tilt_deg"]) + math.degrees(math.atan2(-10.0, T)))
    ae, eb = p[f"arm_{side}_deg"], p[f"elbow_{side}_deg"]
    elbow = sh + UPPER_ARM * _dir(ae, -1.0)
    wrist = elbow + FOREARM * _dir(ae - eb, -1.0)
    te, kb = p[f"thigh_{side}_deg"], p[f"knee_{side}_deg"]
    knee = hip + THIGH * _dir(te)
    ankle = knee + SHIN * _dir(te + kb)
    head = sh + 0.42 * T * _dir(15.0, -1.0)
    return {
        "shoulder": sh,
        "hip": hip,
        "knee": knee,
        "ankle": ankle,
        "elbow": elbow,
        "wrist": wrist,
        "heel": ankle + np.array([4.0, -6.0]),
        "foot_index": ankle + np.array([6.0, 10.0]),
        "head": head,
        "face_up": np.array([0.0, 1.0]),
        "forward": _dir(0.0, -1.0),
    }


def _standing_side(p: dict[str, float], side: str, t: float) -> dict[str, np.ndarray]:
    swing = p["walk_deg"] * math.sin(2 * math.pi * 0.9 * t) * (1 if side == "left" else -1)
    hip = np.array([320.0 + 40 * math.sin(0.5 * t), 225.0])
    sh = hip + np.array([0.0, -T])
    knee = hip + THIGH * _dir(-90 + swing)
    ankle = knee + SHIN * _dir(-90 + swing * 0.6)
    elbow = sh + UPPER_ARM * _dir(-90 - swing)
    wrist = elbow + FOREARM * _dir(-80 - swing)
    head = sh + np.array([4.0, -0.4 * T])
    return {
        "shoulder": sh,
        "hip": hip,
        "knee": knee,
        "ankle": ankle,
        "elbow": elbow,
        "wrist": wrist,
        "heel": ankle + np.array([-6.0, 6.0]),
        "foot_index": ankle + np.array([18.0, 8.0]),
        "head": head,
        "face_up": np.array([1.0, 0.0]),
        "forward": np.array([1.0, 0.0]),
    }


def body_points(
    posture: str, p: dict[str, float], t: float = 0.0, far_offset=(3.0, -3.0), near: str = "left"
) -> dict[str, np.ndarray]:
    """All 33 landmarks in canonical pixels (head to the left), far side nudged by ``far_offset``."""
    far = "right" if near == "left" else "left"
    sides = {}
    for side in ("left", "right"):
        if posture == "supine":
            j = _supine_side(p, side)
        elif posture == "all_fours":
            j = _all_fours_side(p, side)
        else:
            j = _standing_side(p, side, t)
        if side == far:
            j = {k: (v + np.array(far_offset) if k not in ("face_up", "forward") else v) for k, v in j.items()}
        sides[side] = j
    n = sides[near]
    pts: dict[str, np.ndarray] = {}
    for side in ("left", "right"):
        j = sides[side]
        for name in ("shoulder", "hip", "knee", "ankle", "elbow", "wrist", "heel", "foot_index"):
            pts[f"{side}_{name}"] = j[name]
        fwd = (j["wrist"] - j["elbow"]) / max(float(np.hypot(*(j["wrist"] - j["elbow"]))), 1e-6)
        pts[f"{side}_pinky"] = j["wrist"] + 10 * fwd + np.array([0.0, 2.0])
        pts[f"{side}_index"] = j["wrist"] + 12 * fwd
        pts[f"{side}_thumb"] = j["wrist"] + 7 * fwd + np.array([0.0, -2.0])
    head, up, fwd = n["head"], n["face_up"], n["forward"]
    pts["nose"] = head + 0.12 * T * fwd + 0.1 * T * up
    for k, side in enumerate(("left", "right")):
        off = np.zeros(2) if side == near else np.array(far_offset)
        pts[f"{side}_ear"] = head - 0.05 * T * fwd + off
        pts[f"{side}_eye"] = head + 0.08 * T * fwd + 0.07 * T * up + off
        pts[f"{side}_eye_inner"] = pts[f"{side}_eye"] + 0.02 * T * fwd
        pts[f"{side}_eye_outer"] = pts[f"{side}_eye"] - 0.02 * T * fwd
        pts[f"mouth_{side}"] = head + 0.08 * T * fwd - 0.02 * T * up + off
    return pts


# ---------------------------------------------------------------------------- streams
def _mirrored(posture: str, near: str) -> bool:
    """Head to the left shows the right side of a supine body and the left side of a body on all fours."""
    if posture == "supine":
        return near == "left"
    return near == "right"


@dataclass
class StreamOptions:
    """How the camera and the model see the scripted body."""

    fps: float = 30.0
    near: str = "left"  # body side nearest the camera
    noise_px: float = 0.0  # gaussian pixel noise on every landmark
    far_noise_px: float = 1.5  # extra noise on the far side (model guesses there)
    near_vis: float = 0.95
    far_vis: tuple[float, float] = (0.3, 0.6)
    dropouts: tuple[tuple[float, float], ...] = ()  # (from_s, to_s): frames are None
    hidden: dict[str, float] = field(default_factory=dict)  # landmark -> visibility while hidden
    hidden_when: tuple[float, float] | None = None  # (from_s, to_s) the hidden map applies (None: always)
    hidden_jump_px: float = 0.0  # hidden landmarks jump around this much
    hidden_at_rest: bool = False  # hidden landmarks are guessed where they rest (not where they are)
    out_of_frame: tuple[str, ...] = ()  # landmarks pushed outside the image
    t_jitter_s: float = 0.0  # timestamp jitter (kept increasing)
    num_people: int = 1
    width: int = W
    height: int = H
    seed: int = 0


def make_stream(
    posture: str,
    reps: list[Rep],
    duration: float,
    opts: StreamOptions | None = None,
    base: dict[str, float] | None = None,
    **kw,
) -> list[tuple[float, PoseFrame | None]]:
    """The scripted stream: ``posture`` with ``reps`` for ``duration`` seconds (see module doc)."""
    o = opts or StreamOptions(**kw)
    rng = np.random.default_rng(o.seed)
    far = "right" if o.near == "left" else "left"
    mirror = _mirrored(posture, o.near)
    n = int(round(duration * o.fps))
    out: list[tuple[float, PoseFrame | None]] = []
    last_t = -1.0
    for i in range(n):
        t = i / o.fps
        if o.t_jitter_s:
            t = max(last_t + 1e-3, t + float(rng.uniform(-o.t_jitter_s, o.t_jitter_s)))
        last_t = t
        if any(a <= t < b for a, b in o.dropouts):
            out.append((t, None))
            continue
        p = pose_at(posture, reps, t, base)
        pts = body_points(posture, p, t, near=o.near)
        if o.hidden_at_rest and o.hidden and (o.hidden_when is None or o.hidden_when[0] <= t < o.hidden_when[1]):
            rest_pts = body_points(posture, pose_at(posture, [], t, base), t, near=o.near)
            pts = {k: (rest_pts[k] if k in o.hidden else v) for k, v in pts.items()}
        xyz = np.zeros((NUM_LANDMARKS, 3))
        vis = np.zeros(NUM_LANDMARKS)
        for name, (x, y) in pts.items():
            k = INDEX[name]
            is_far = name.startswith(far + "_") or name.endswith("_" + far)
            x += rng.normal(0, o.noise_px) if o.noise_px else 0.0
            y += rng.normal(0, o.noise_px) if o.noise_px else 0.0
            if is_far and o.far_noise_px:
                x += rng.normal(0, o.far_noise_px)
                y += rng.normal(0, o.far_noise_px)
            v = float(rng.uniform(*o.far_vis)) if is_far else min(1.0, o.near_vis + float(rng.normal(0, 0.02)))
            hidden_now = o.hidden_when is None or o.hidden_when[0] <= t < o.hidden_when[1]
            if name in o.hidden and hidden_now:
                v = o.hidden[name]
                if o.hidden_jump_px:
                    x += rng.uniform(-o.hidden_jump_px, o.hidden_jump_px)
                    y += rng.uniform(-o.hidden_jump_px, o.hidden_jump_px)
            if name in o.out_of_frame:
                y = o.height * 1.08 if posture != "standing" else y
                x = o.width * 1.08 if posture == "standing" else x
                v = 0.1
            if mirror:
                x = W - x
            xyz[k] = (x * (o.width / W) / o.width, y * (o.height / H) / o.height, (-0.1 if not is_far else 0.1))
            vis[k] = v
        frame = PoseFrame(
            t_s=t,
            width=o.width,
            height=o.height,
            xyz=xyz,
            visibility=vis,
            presence=np.clip(vis + 0.04, 0, 1),
            num_people=o.num_people,
        )
        out.append((t, frame))
    return out


# ---------------------------------------------------------------------------- exercise helpers
def bridge_top(bend_deg: float = 4.0) -> dict[str, float]:
    return {"torso_lift_deg": bridge_lift_for_bend(bend_deg)}


def bird_dog_top(
    arm: str,
    leg: str | None = None,
    arm_deg: float = 0.0,
    thigh_deg: float = 0.0,
    elbow_deg: float = 0.0,
    knee_deg: float = 4.0,
    torso_tilt_deg: float = 0.0,
) -> dict[str, float]:
    """Top pose of a bird-dog: ``arm`` side reaches forward, ``leg`` side (default: opposite) back."""
    leg = leg or ("right" if arm == "left" else "left")
    return {
        f"arm_{arm}_deg": arm_deg,
        f"elbow_{arm}_deg": elbow_deg,
        f"thigh_{leg}_deg": thigh_deg,
        f"knee_{leg}_deg": knee_deg,
        "torso_tilt_deg": torso_tilt_deg,
    }


def knee_to_chest_top(leg: str, flex_deg: float = 75.0, **extra: float) -> dict[str, float]:
    """Top pose of knee-to-chest: ``leg`` ("left", "right" or "both") flexed by ``flex_deg`` more than at rest."""
    legs = ("left", "right") if leg == "both" else (leg,)
    d = {f"flex_{s}_deg": flex_deg for s in legs}
    d.update(extra)
    return d


def pelvic_tilt_top(tilt_deg: float = 6.0, **extra: float) -> dict[str, float]:
    d = {"tilt_deg": tilt_deg}
    d.update(extra)
    return d


def run(exercise: str, stream, smoothing: bool = True):
    """Run a stream through a :class:`formcheck.core.session.Session`; returns the finished report."""
    from formcheck.core.session import Session

    s = Session(exercise, smoothing=smoothing)
    for t, f in stream:
        s.update(t, f)
    s.finish()
    return s.report("scripted", fps=30.0)


def turn_limbs(frame: PoseFrame, angle_deg) -> PoseFrame:
    """``frame`` with every arm and leg turned about its root (shoulder, hip) in the image by
    ``angle_deg(side, root)`` degrees: the pose model's error on a limb, which moves the elbow or
    knee and the hand or foot together."""
    return _turned(frame, angle_deg, (("shoulder", "elbow", "wrist"), ("hip", "knee", "ankle")))


def bend_limbs(frame: PoseFrame, angle_deg) -> PoseFrame:
    """``frame`` with every hand and foot turned about its elbow or knee in the image by
    ``angle_deg(side, joint)`` degrees: the pose model's error on a limb's joint angle."""
    return _turned(frame, angle_deg, (("elbow", "wrist"), ("knee", "ankle")))


def _turned(frame: PoseFrame, angle_deg, chains) -> PoseFrame:
    """``frame`` with, per side and per chain ``(centre, *moved)``, the moved joints turned about the
    centre joint by ``angle_deg(side, centre)`` degrees (image pixels)."""
    xyz = frame.xyz.copy()
    w, h = frame.width, frame.height
    for side in ("left", "right"):
        for centre, *moved in chains:
            a = math.radians(angle_deg(side, centre))
            r = np.array([xyz[INDEX[f"{side}_{centre}"], 0] * w, xyz[INDEX[f"{side}_{centre}"], 1] * h])
            for j in moved:
                k = INDEX[f"{side}_{j}"]
                p = np.array([xyz[k, 0] * w, xyz[k, 1] * h]) - r
                q = np.array([p[0] * math.cos(a) - p[1] * math.sin(a), p[0] * math.sin(a) + p[1] * math.cos(a)]) + r
                xyz[k, 0], xyz[k, 1] = q[0] / w, q[1] / h
    return PoseFrame(
        t_s=frame.t_s,
        width=w,
        height=h,
        xyz=xyz,
        visibility=frame.visibility,
        presence=frame.presence,
        num_people=frame.num_people,
    )
