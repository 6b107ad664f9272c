"""The four exercise motions as functions of time, with per-rep fault injection (pure numpy).

Frame and conventions
---------------------
World frame = the body's standing frame of ``body.py``: metres, z up; the floor is z = 0.
All exercise movement is sagittal, so every body segment gets a global rotation
``Rx(pitch) @ A`` where ``Rx`` is a rotation about the body's left-right axis (+x = the body's
left) by ``pitch`` degrees and ``A`` is a fixed per-segment adjustment (identity for spine and
legs; for the arms it straightens them to hang ~10° out from vertical).  Pitch 0 is the standing
rest pose; a positive pitch turns a downward-pointing segment backwards (+y).

* supine (bridge, pelvic tilt, knee-to-chest): trunk pitch -90°, head towards +y, face up;
* quadruped (bird-dog): trunk pitch about +90°, head towards -y, face down.

A *hip flexion* of f degrees on a supine body gives thigh pitch ``-90 - f``; a *knee flexion*
k gives shank pitch ``thigh + k``.

Timing
------
Every clip starts with ``lead_s`` seconds of still rest and ends with ``tail_s``.  Each rep
moves from rest (``start_s``) to the top (``top_s``) in ``rise_s`` seconds, stays at the top
for ``hold_s`` seconds and returns to rest in ``lower_s`` seconds (``end_s``), then rests for
``rest_s`` seconds.  :func:`schedule` computes these times; the ground truth is exactly them.
Each rep may have its own rise, hold, lower and rest seconds (the randomized corpus varies them).

Variation
---------
:class:`Style` holds what varies between people and takes nothing away from the defaults: the
resting hip/knee flexion of the lying exercises, breathing (chest and belly move a few mm
along their outward normal) and small fidgets at rest (head, hands).  ``Rep.params`` sizes a
rep's movement or fault physically (degrees, metres); an empty dict is today's fixed motion.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

import numpy as np

from .body import Body

log = logging.getLogger(__name__)

EXERCISES = ("bridge", "bird_dog", "pelvic_tilt", "knee_to_chest")

#: Fault codes each exercise can inject (the checkers' contract).
FAULTS = {
    "bridge": ("hips_too_low", "hips_overarched", "hold_too_short", "hips_sagging"),
    "bird_dog": ("limb_above_horizontal", "limb_not_extended", "same_side_limbs", "torso_tilted", "hold_too_short"),
    "pelvic_tilt": ("hips_lifted", "hold_too_short"),
    "knee_to_chest": ("hold_too_short", "other_leg_lifted", "head_lifted"),
}

#: Default (clean) hold seconds, and the hold used for ``hold_too_short``.
DEFAULT_HOLD_S = {"bridge": 2.5, "bird_dog": 2.5, "pelvic_tilt": 5.0, "knee_to_chest": 16.0}
SHORT_HOLD_S = {"bridge": 0.5, "bird_dog": 0.8, "pelvic_tilt": 1.5, "knee_to_chest": 6.0}
RISE_S = {"bridge": 1.0, "bird_dog": 1.0, "pelvic_tilt": 0.8, "knee_to_chest": 1.2}
LEAD_S = {"bridge": 1.6, "bird_dog": 1.6, "pelvic_tilt": 2.2, "knee_to_chest": 1.6}

SEGMENTS = {
    "pelvis": ("root", "pelvis.L", "pelvis.R", "spine05"),
    "lumbar": ("spine04", "spine03"),
    "thorax": ("spine02", "spine01"),
    "neck": ("neck01", "neck02", "neck03"),
    "head": ("head",),
}
for _s in "LR":
    SEGMENTS[f"thigh.{_s}"] = (f"upperleg01.{_s}", f"upperleg02.{_s}")
    SEGMENTS[f"shank.{_s}"] = (f"lowerleg01.{_s}", f"lowerleg02.{_s}")
    SEGMENTS[f"foot.{_s}"] = (f"foot.{_s}",)
    SEGMENTS[f"uarm.{_s}"] = (f"upperarm01.{_s}", f"upperarm02.{_s}")
    SEGMENTS[f"farm.{_s}"] = (f"lowerarm01.{_s}", f"lowerarm02.{_s}")
    SEGMENTS[f"hand.{_s}"] = (f"wrist.{_s}",)  # inherits the forearm unless posed

SIDE_NAME = {"L": "left", "R": "right"}


# ---------------------------------------------------------------------------- maths helpers
def rot_x(deg: float) -> np.ndarray:
    """Rotation matrix about +x by ``deg`` degrees."""
    a = math.radians(deg)
    c, s = math.cos(a), math.sin(a)
    return np.array([[1, 0, 0], [0, c, -s], [0, s, c]], dtype=np.float64)


def rot_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Smallest rotation turning direction ``a`` onto direction ``b``."""
    a = a / np.linalg.norm(a)
    b = b / np.linalg.norm(b)
    v = np.cross(a, b)
    c = float(a @ b)
    if np.linalg.norm(v) < 1e-9:
        return np.eye(3)
    K = np.array([[0, -v[2], v[1]], [v[2], 0, -v[0]], [-v[1], v[0], 0]])
    return np.eye(3) + K + K @ K / (1 + c)


def yz_angle(v) -> float:
    """Angle (degrees) of a vector's (y, z) projection, measured from +y towards +z."""
    return math.degrees(math.atan2(v[2], v[1]))


def smoothstep(u: float) -> float:
    """Ease-in/ease-out ramp from 0 to 1 on u in [0, 1]."""
    u = min(max(u, 0.0), 1.0)
    return u * u * (3 - 2 * u)


def two_link(l1: float, l2: float, d: float) -> tuple[float, float]:
    """Angles (degrees) of a 2-link chain reaching distance ``d``: (angle between the first link
    and the base→target line, interior angle at the middle joint)."""
    d = min(max(d, abs(l1 - l2) + 1e-6), l1 + l2 - 1e-6)
    a1 = math.degrees(math.acos((l1 * l1 + d * d - l2 * l2) / (2 * l1 * d)))
    mid = math.degrees(math.acos((l1 * l1 + l2 * l2 - d * d) / (2 * l1 * l2)))
    return a1, mid


def joint_angle(a, b, c) -> float:
    """Unsigned angle (degrees) at ``b`` between b→a and b→c (3-D)."""
    u = np.asarray(a, float) - b
    v = np.asarray(c, float) - b
    cosang = u @ v / (np.linalg.norm(u) * np.linalg.norm(v) + 1e-12)
    return math.degrees(math.acos(max(-1.0, min(1.0, cosang))))


# ---------------------------------------------------------------------------- rep schedule
@dataclass
class Rep:
    """One repetition: timing in seconds, the side, and the faults injected into it."""

    index: int
    start_s: float
    top_s: float
    hold_s: float
    end_s: float
    side: str = "none"  # "left" | "right" | "both" | "none"
    faults: list[str] = field(default_factory=list)
    #: sizes of this rep's movement and faults (see ``REP_PARAMS``); empty = the fixed defaults
    params: dict[str, float] = field(default_factory=dict)

    @property
    def leave_top_s(self) -> float:
        return self.top_s + self.hold_s

    @property
    def good(self) -> bool:
        return not self.faults

    def to_json(self) -> dict:
        return {
            "index": self.index,
            "start_s": round(self.start_s, 3),
            "top_s": round(self.top_s, 3),
            "end_s": round(self.end_s, 3),
            "hold_s": round(self.hold_s, 3),
            "side": self.side,
            "good": self.good,
            "faults": list(self.faults),
        }


def schedule(
    exercise: str,
    reps: int,
    hold_s: float | None = None,
    faults: dict[int, list[str]] | None = None,
    *,
    sides: list[str] | None = None,
    rest_s: float = 1.5,
    tail_s: float = 1.5,
    lead_s: float | None = None,
    holds: list[float] | None = None,
    rests: list[float] | None = None,
    rises: list[float] | None = None,
    lowers: list[float] | None = None,
    params: dict[int, dict[str, float]] | None = None,
) -> tuple[list[Rep], float]:
    """Rep timings for a clip.  Returns ``(reps, duration_s)``.

    ``faults`` maps a 1-based rep index to fault codes.  ``hold_too_short`` shortens that rep's
    hold to :data:`SHORT_HOLD_S`.  ``sides`` gives each rep's side ("left"/"right"/"both");
    by default bird-dog and knee-to-chest alternate starting with "left", the other exercises
    use "none".  Per-rep lists (seconds, one entry per rep) override the single values:
    ``holds`` (used as given, also for ``hold_too_short``), ``rests`` (after each rep),
    ``rises`` and ``lowers`` (default :data:`RISE_S` both).  ``params`` maps a 1-based rep
    index to that rep's :attr:`Rep.params`.
    """
    if exercise not in EXERCISES:
        raise ValueError(f"unknown exercise {exercise!r}; choose from {EXERCISES}")
    faults = faults or {}
    for k, fl in faults.items():
        for f in fl:
            if f not in FAULTS[exercise]:
                raise ValueError(f"fault {f!r} is not one of {FAULTS[exercise]} for {exercise}")
        if not 1 <= k <= reps:
            raise ValueError(f"fault rep {k} outside 1..{reps}")
    for name, lst in (("holds", holds), ("rests", rests), ("rises", rises), ("lowers", lowers)):
        if lst is not None and len(lst) < reps:
            raise ValueError(f"{name}: {len(lst)} values for {reps} reps")
    hold = DEFAULT_HOLD_S[exercise] if hold_s is None else float(hold_s)
    t = LEAD_S[exercise] if lead_s is None else lead_s
    params = params or {}
    out = []
    for k in range(1, reps + 1):
        fl = list(faults.get(k, []))
        h = SHORT_HOLD_S[exercise] if "hold_too_short" in fl else hold
        if holds is not None:
            h = float(holds[k - 1])
        rise = RISE_S[exercise] if rises is None else float(rises[k - 1])
        lower = rise if lowers is None else float(lowers[k - 1])
        rest = rest_s if rests is None else float(rests[k - 1])
        if sides:
            side = sides[(k - 1) % len(sides)]
        elif exercise in ("bird_dog", "knee_to_chest"):
            side = "left" if k % 2 == 1 else "right"
        else:
            side = "none"
        start = t
        top = start + rise
        end = top + h + lower
        out.append(Rep(k, start, top, h, end, side, fl, dict(params.get(k, {}))))
        t = end + rest
    duration = out[-1].end_s + tail_s if out else t + tail_s
    return out, duration


# ---------------------------------------------------------------------------- variation
@dataclass
class Fidget:
    """A small movement at rest: ``segment`` ("head" or "hand.L"/"hand.R": the whole arm)
    turns by ``deg`` degrees and back, over ``dur_s`` seconds from ``t_s``."""

    t_s: float
    dur_s: float
    segment: str
    deg: float

    def amount(self, t: float) -> float:
        """0..1..0 (sin²) over the fidget's window, 0 outside."""
        u = (t - self.t_s) / self.dur_s
        return math.sin(math.pi * u) ** 2 if 0.0 <= u <= 1.0 else 0.0


@dataclass
class Style:
    """How one person does the exercise, beyond the rep schedule.  Defaults are the fixed
    motion of the sample clips (no breathing, no fidgets).

    ``hip_flex_deg`` / ``knee_flex_deg``: resting flexion of the lying exercises (degrees; the
    feet nearer the buttocks bend both more).  Breathing: chest and belly surfaces move out by
    up to ``breath_chest_m`` / ``breath_belly_m`` metres and back, ``breath_hz`` cycles a second.
    """

    hip_flex_deg: float = 40.0
    knee_flex_deg: float = 100.0
    breath_hz: float = 0.0
    breath_chest_m: float = 0.0
    breath_belly_m: float = 0.0
    breath_phase: float = 0.0  # radians
    fidgets: list[Fidget] = field(default_factory=list)

    def to_json(self) -> dict:
        d = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in self.__dict__.items() if k != "fidgets"}
        d["fidgets"] = [
            {k: (round(v, 3) if isinstance(v, float) else v) for k, v in f.__dict__.items()} for f in self.fidgets
        ]
        return d


#: The per-rep size parameters (``Rep.params``) each exercise reads; units in the name.
REP_PARAMS = {
    "bridge": ("top_bend_deg", "sag_bend_deg"),
    "bird_dog": ("arm_elev_deg", "leg_elev_deg", "elbow_deg", "knee_deg", "tilt_deg"),
    "pelvic_tilt": ("tilt_deg", "hip_lift_m"),
    "knee_to_chest": ("hip_flex_deg", "other_hip_flex_deg", "head_lift_deg"),
}


# ---------------------------------------------------------------------------- motion
class Motion:
    """Poses ``body`` doing ``exercise`` with the reps of :func:`schedule`.

    :meth:`rotations_at` gives the global bone rotations and root position at a time (s);
    :meth:`pose_at` additionally skins the mesh.  The floor is at z = 0.
    """

    def __init__(self, body: Body, exercise: str, reps: list[Rep], style: Style | None = None):
        if exercise not in EXERCISES:
            raise ValueError(exercise)
        self.body = body
        self.exercise = exercise
        self.reps = reps
        self.style = style or Style()
        self._lift_cache: dict[tuple, float] = {}
        b = body
        self.ix = {name: [b.bone(l) for l in labels] for name, labels in SEGMENTS.items()}
        H = b.rest_heads.astype(np.float64)
        self.H = H
        # arm adjustment: straighten each arm to hang 10 degrees out from vertical
        self.A = {}
        for s, sx in (("L", 1.0), ("R", -1.0)):
            down = np.array([sx * math.sin(math.radians(10)), 0.0, -math.cos(math.radians(10))])
            ua = H[b.bone(f"lowerarm01.{s}")] - H[b.bone(f"upperarm01.{s}")]
            fa = H[b.bone(f"wrist.{s}")] - H[b.bone(f"lowerarm01.{s}")]
            self.A[f"uarm.{s}"] = rot_between(ua, down)
            self.A[f"farm.{s}"] = rot_between(fa, down)
            self.A[f"hand.{s}"] = self.A[f"farm.{s}"]
        # sagittal rest angles and lengths of the leg and arm links
        self.leg = {}
        for s in "LR":
            hip = H[b.bone(f"upperleg01.{s}")]
            knee = H[b.bone(f"lowerleg01.{s}")]
            ank = H[b.bone(f"foot.{s}")]
            t, sh = knee - hip, ank - knee
            self.leg[s] = dict(
                l1=float(np.hypot(t[1], t[2])), a1=yz_angle(t), l2=float(np.hypot(sh[1], sh[2])), a2=yz_angle(sh)
            )
        self.arm_len = float(np.linalg.norm(H[b.bone("lowerarm01.L")] - H[b.bone("upperarm01.L")]))
        self.farm_len = float(np.linalg.norm(H[b.bone("wrist.L")] - H[b.bone("lowerarm01.L")]))
        self._breath = self._breathing_weights() if self.style.breath_hz > 0 else None
        self._setup()

    def _breathing_weights(self):
        """``(vertex index, chest/belly amplitude in m)`` of the front of the torso: 1 at the most
        forward vertex of each torso segment, fading to 0 at its middle."""
        b = self.body
        dom = b.bone_idx[np.arange(len(b.rest_verts)), np.argmax(b.weights, 1)]
        v = b.rest_verts
        idx, amp = [], []
        for segs, a in ((("thorax",), self.style.breath_chest_m), (("lumbar", "pelvis"), self.style.breath_belly_m)):
            bones = sum((self.ix[n] for n in segs), [])
            m = np.nonzero(np.isin(dom, bones) & (np.abs(v[:, 0]) < 0.16))[0]
            if not len(m):
                continue
            cy = float(np.median(v[m, 1]))
            front = float(v[m, 1].min())  # the body faces -y
            w = np.clip((cy - v[m, 1]) / max(cy - front, 1e-6), 0.0, 1.0)
            idx.append(m)
            amp.append(a * w)
        return np.concatenate(idx), np.concatenate(amp), dom

    # -- generic helpers ----------------------------------------------------------------
    def pitch_for(self, rest_angle: float, target_angle: float) -> float:
        """Pitch (deg) turning a segment whose rest (y,z) angle is ``rest_angle`` to
        ``target_angle`` (both measured from +y towards +z)."""
        return target_angle - rest_angle

    def build(self, pitches: dict[str, float]) -> dict[int, np.ndarray]:
        """Global rotations for the bones from segment pitches (degrees)."""
        rots = {}
        for name, p in pitches.items():
            R = rot_x(p)
            if name in self.A:
                R = R @ self.A[name]
            for b in self.ix[name]:
                rots[b] = R
        return rots

    def fk(self, pitches: dict[str, float], root=None) -> np.ndarray:
        """Joint heads (B, 3) for segment pitches, root head at ``root`` (default rest)."""
        R = self.body.resolve_rotations(self.build(pitches))
        return self.body.forward_kinematics(R, root)

    def head_of(self, heads, label):
        return heads[self.body.bone(label)]

    def leg_ik(self, s: str, hip: np.ndarray, ankle: np.ndarray, knee_up: bool = True):
        """Thigh and shank pitches (deg) putting side ``s``'s ankle at ``ankle`` (y, z used)."""
        g = self.leg[s]
        d_vec = ankle[1:] - hip[1:]
        d = float(np.hypot(*d_vec))
        a1, _ = two_link(g["l1"], g["l2"], d)
        base = math.degrees(math.atan2(d_vec[1], d_vec[0]))
        best: tuple[float, np.ndarray] | None = None
        for sgn in (1.0, -1.0):
            ang = base + sgn * a1
            knee = hip[1:] + g["l1"] * np.array([math.cos(math.radians(ang)), math.sin(math.radians(ang))])
            if best is None or (knee[1] > best[1][1]) == knee_up:
                best = (ang, knee)
        assert best is not None  # the loop above always sets it
        thigh_ang, knee = best
        sv = ankle[1:] - knee
        shank_ang = math.degrees(math.atan2(sv[1], sv[0]))
        return self.pitch_for(g["a1"], thigh_ang), self.pitch_for(g["a2"], shank_ang)

    # -- per-rep progress ----------------------------------------------------------------
    def rep_at(self, t: float):
        """``(rep, u)``: the rep active at ``t`` and its progress u in [0, 1] (0 = rest,
        1 = top), or ``(None, 0.0)`` at rest."""
        for r in self.reps:
            if r.start_s <= t <= r.end_s:
                if t < r.top_s:
                    return r, smoothstep((t - r.start_s) / (r.top_s - r.start_s))
                if t <= r.leave_top_s:
                    return r, 1.0
                return r, 1.0 - smoothstep((t - r.leave_top_s) / (r.end_s - r.leave_top_s))
        return None, 0.0

    # -- exercise dispatch -----------------------------------------------------------------
    def _setup(self):
        getattr(self, f"_setup_{self.exercise}")()

    def rotations_at(self, t: float):
        """Global bone rotations ``{bone: 3x3}`` and root head position (m) at time ``t`` (s)."""
        pitches, root = getattr(self, f"_pose_{self.exercise}")(t)
        for f in self.style.fidgets:
            a = f.amount(t)
            if a <= 0.0:
                continue
            if f.segment == "head":
                for seg in ("neck", "head"):
                    pitches[seg] = pitches[seg] + 0.5 * f.deg * a
            else:  # "hand.L" / "hand.R": the whole arm
                s = f.segment[-1]
                for seg in (f"uarm.{s}", f"farm.{s}"):
                    pitches[seg] = pitches[seg] + f.deg * a
        return self.build(pitches), root

    def pose_at(self, t: float):
        """Posed ``(verts (V,3), heads (B,3))`` in metres at time ``t`` (s), floor at z = 0."""
        rots, root = self.rotations_at(t)
        verts, heads, R = self.body.pose(rots, root)
        if self._breath is not None:
            idx, amp, dom = self._breath
            st = self.style
            s = 0.5 * (1.0 - math.cos(2 * math.pi * st.breath_hz * t + st.breath_phase))
            fwd = -R[dom[idx]][:, :, 1]  # each vertex's bone turns the body's front (-y)
            verts = verts.copy()
            verts[idx] += (amp * s)[:, None].astype(np.float32) * fwd.astype(np.float32)
        return verts, heads

    def keypoints_at(self, t: float) -> np.ndarray:
        """The 23 COCO keypoints (23, 3) in metres at time ``t``."""
        return self.body.keypoints(self.pose_at(t)[0])

    # ====================================================================== supine base
    def _supine_base(self) -> dict[str, float]:
        p = {"pelvis": -90.0, "lumbar": -90.0, "thorax": -90.0, "neck": -95.0, "head": -95.0}
        for s in "LR":
            p[f"uarm.{s}"] = -84.0
            p[f"farm.{s}"] = -86.0
            p[f"foot.{s}"] = 0.0
        return p

    def _setup_supine(self, hip_flex: float = 45.0, knee_flex: float = 95.0):
        """Rest pose: lying, knees bent (hip flexion ``hip_flex``°, knee ``knee_flex``°), feet
        flat.  Fixes the shoulder pivot, the ankle targets and the floor height."""
        base = self._supine_base()
        for s in "LR":
            base[f"thigh.{s}"] = -90.0 - hip_flex
            base[f"shank.{s}"] = -90.0 - hip_flex + knee_flex
        heads = self.fk(base, np.zeros(3))
        # rest: shoulders = thorax top (spine01 head) as pivot
        self.pivot_label = "spine01"
        pivot = self.head_of(heads, "spine01").copy()
        # ankle targets: keep rest y; z so the heel rests on the floor (standing ankle height)
        ank_h = float(self.H[self.body.bone("foot.L"), 2] - self.body.rest_verts[:, 2].min())
        self.rest_pitches = base
        verts, _, _ = self.body.pose(self.build(base), np.zeros(3))
        dom = self.body.bone_idx[np.arange(len(verts)), np.argmax(self.body.weights, 1)]
        torso_bones = set(sum((self.ix[n] for n in ("pelvis", "lumbar", "thorax", "head", "neck")), []))
        m = np.isin(dom, list(torso_bones))
        floor = float(verts[m, 2].min())
        self.root_rest = np.array([0.0, 0.0, -floor])  # root head position, floor at z=0
        self.pivot_world = pivot + self.root_rest
        self.ankle = {}
        for s in "LR":
            a = self.head_of(heads, f"foot.{s}") + self.root_rest
            a[2] = ank_h + 0.005
            self.ankle[s] = a
        self.base_heads = heads + self.root_rest

    def _supine_with_lift(self, p: dict, lift_deg: float, pelvis_tilt: float = 0.0, lumbar_tilt: float = 0.0):
        """Rotate the trunk up about the shoulder pivot by ``lift_deg``; tilt pelvis/lumbar
        by extra degrees (negative = posterior tilt).  Returns the root position."""
        p["pelvis"] = -90.0 - lift_deg + pelvis_tilt
        p["lumbar"] = -90.0 - lift_deg + lumbar_tilt
        p["thorax"] = -90.0 - lift_deg * 0.85
        for s in "LR":  # hands stay on the floor as the shoulders roll up
            p[f"uarm.{s}"] = -84.0 + 0.5 * lift_deg
            p[f"farm.{s}"] = -86.0 + 0.5 * lift_deg
        heads = self.fk(p, np.zeros(3))
        root = self.pivot_world - self.head_of(heads, self.pivot_label)
        return root, heads + root

    def _solve_legs(self, p: dict, heads: np.ndarray, sides="LR"):
        for s in sides:
            hip = self.head_of(heads, f"upperleg01.{s}")
            p[f"thigh.{s}"], p[f"shank.{s}"] = self.leg_ik(s, hip, self.ankle[s])

    @staticmethod
    def _line_z(a, c, b):
        """z of the line a–c at b's y."""
        if abs(c[1] - a[1]) < 1e-9:
            return a[2]
        u = (b[1] - a[1]) / (c[1] - a[1])
        return a[2] + u * (c[2] - a[2])

    def hip_bend(self, lift_deg: float) -> float:
        """Signed bend at the hip (deg): 180 - shoulder-hip-knee angle, negative while the hip
        is below the shoulder-knee line (rest ≈ -45), positive above (over-arched)."""
        p = dict(self.rest_pitches)
        root, heads = self._supine_with_lift(p, lift_deg)
        self._solve_legs(p, heads)
        h = self.fk(p, root)
        sh, hip, kn = (self.head_of(h, l) for l in ("upperarm01.L", "upperleg01.L", "lowerleg01.L"))
        yz = lambda v: np.array([0.0, v[1], v[2]])  # side-view (sagittal) angle
        bend = 180.0 - joint_angle(yz(sh), yz(hip), yz(kn))
        return bend if hip[2] > self._line_z(sh, kn, hip) else -bend

    def lift_for_bend(self, bend: float) -> float:
        """Trunk lift (deg) giving a signed hip bend of ``bend`` degrees (bisection)."""
        lo, hi = 0.0, 60.0
        for _ in range(40):
            mid = 0.5 * (lo + hi)
            if self.hip_bend(mid) < bend:
                lo = mid
            else:
                hi = mid
        return 0.5 * (lo + hi)

    # ====================================================================== bridge
    def _setup_style_supine(self):
        self._setup_supine(hip_flex=self.style.hip_flex_deg, knee_flex=self.style.knee_flex_deg)

    def _lift(self, kind: str, value: float) -> float:
        """Trunk lift (deg) for a signed hip bend (``kind`` "bend") or a hip rise in metres
        ("rise"), cached."""
        key = (kind, round(float(value), 6))
        if key not in self._lift_cache:
            self._lift_cache[key] = self.lift_for_bend(value) if kind == "bend" else self.lift_for_hip_rise(value)
        return self._lift_cache[key]

    def lift_for_hip_rise(self, rise_m: float) -> float:
        """Trunk lift (deg) raising the hip joints by ``rise_m`` metres (bisection)."""

        def hip_z(lift):
            p = dict(self.rest_pitches)
            _, heads = self._supine_with_lift(p, lift)
            return float(self.head_of(heads, "upperleg01.L")[2])

        z0 = hip_z(0.0)
        lo, hi = 0.0, 60.0
        for _ in range(40):
            mid = 0.5 * (lo + hi)
            if hip_z(mid) - z0 < rise_m:
                lo = mid
            else:
                hi = mid
        return 0.5 * (lo + hi)

    def _setup_bridge(self):
        self._setup_style_supine()
        self.lift_top = self.lift_for_bend(-3.0)  # S-H-K ≈ 177°
        self.lift_low = self.lift_for_bend(-36.0)  # hips only partway (~144°, well short of the line on any body)
        self.lift_arch = self.lift_for_bend(20.0)  # 20° beyond straight (~160° the other way)
        self.lift_sag = self.lift_for_bend(-17.0)  # sag during hold (~163°)
        log.debug(
            "bridge lifts top %.1f low %.1f arch %.1f sag %.1f",
            self.lift_top,
            self.lift_low,
            self.lift_arch,
            self.lift_sag,
        )

    def _pose_bridge(self, t):
        p = dict(self.rest_pitches)
        r, u = self.rep_at(t)
        lift = 0.0
        if r is not None:
            top = self.lift_top
            if "hips_too_low" in r.faults:
                top = self.lift_low
            if "hips_overarched" in r.faults:
                top = self.lift_arch
            if "top_bend_deg" in r.params:
                top = self._lift("bend", r.params["top_bend_deg"])
            sag = self._lift("bend", r.params["sag_bend_deg"]) if "sag_bend_deg" in r.params else self.lift_sag
            lift = u * top
            if "hips_sagging" in r.faults and r.top_s <= t <= r.leave_top_s:
                # hips drop from the top to the sag level over the middle of the hold
                a = r.top_s + 0.25 * r.hold_s
                v = smoothstep((t - a) / max(0.4 * r.hold_s, 1e-3))
                lift = top + v * (sag - top)
            elif "hips_sagging" in r.faults and t > r.leave_top_s:
                lift = u * sag
        root, heads = self._supine_with_lift(p, lift)
        self._solve_legs(p, heads)
        return p, root

    # ====================================================================== pelvic tilt
    def _setup_pelvic_tilt(self):
        self._setup_style_supine()
        self.lift_hips = self.lift_for_bend(-22.0)  # a clear bridge-like lift (~158°)

    def _pose_pelvic_tilt(self, t):
        p = dict(self.rest_pitches)
        r, u = self.rep_at(t)
        lift, tilt = 0.0, 0.0
        if r is not None:
            tilt = -r.params.get("tilt_deg", 13.0) * u  # posterior pelvic tilt, degrees
            if "hips_lifted" in r.faults:
                lift = u * (self._lift("rise", r.params["hip_lift_m"]) if "hip_lift_m" in r.params else self.lift_hips)
        # the lumbar counter-rotates by half the pelvic tilt so that the hip joints stay down
        root, heads = self._supine_with_lift(p, lift, pelvis_tilt=tilt, lumbar_tilt=-0.5 * tilt)
        self._solve_legs(p, heads)
        return p, root

    # ====================================================================== knee to chest
    def _setup_knee_to_chest(self):
        self._setup_style_supine()
        p = dict(self.rest_pitches)
        root, heads = self._supine_with_lift(p, 0.0)
        self._solve_legs(p, heads)
        self.rest_pitches = p
        self.k2c_root = root

    def _pose_knee_to_chest(self, t):
        p = dict(self.rest_pitches)
        r, u = self.rep_at(t)
        root = self.k2c_root.copy()
        if r is None:
            return p, root
        sides = {"left": "L", "right": "R"}
        legs = "LR" if r.side == "both" else sides.get(r.side, "L")
        other = "" if r.side == "both" else ("R" if legs == "L" else "L")
        hip_flex, knee_flex = r.params.get("hip_flex_deg", 120.0), 125.0
        for s in legs:
            th0, sh0 = p[f"thigh.{s}"], p[f"shank.{s}"]
            th1 = -90.0 - hip_flex
            sh1 = th1 + knee_flex
            p[f"thigh.{s}"] = th0 + u * (th1 - th0)
            p[f"shank.{s}"] = sh0 + u * (sh1 - sh0)
            p[f"foot.{s}"] = u * (-30.0)
        if "other_leg_lifted" in r.faults and other:
            th0, sh0 = p[f"thigh.{other}"], p[f"shank.{other}"]
            th1 = -90.0 - r.params.get("other_hip_flex_deg", 80.0)
            sh1 = th1 + 60.0
            p[f"thigh.{other}"] = th0 + u * (th1 - th0)
            p[f"shank.{other}"] = sh0 + u * (sh1 - sh0)
        if "head_lifted" in r.faults:
            lift = r.params.get("head_lift_deg", 28.0)  # upper back curls up off the floor
            k = lift / 28.0 if "head_lift_deg" in r.params else 1.0
            p["thorax"] = -90.0 + lift * u
            p["neck"] = -95.0 + 60.0 * k * u
            p["head"] = -95.0 + 65.0 * k * u
        # hands to the (first) drawn-up knee: 2-link IK of each arm in the sagittal plane
        heads = self.fk(p, root)
        s0 = legs[0]
        kn = self.head_of(heads, f"lowerleg01.{s0}")
        ank = self.head_of(heads, f"foot.{s0}")
        target = kn + 0.25 * (ank - kn)  # on the shin just below the knee
        for s in "LR":
            sh = self.head_of(heads, f"upperarm01.{s}")
            d_vec = target[1:] - sh[1:]
            d = float(np.hypot(*d_vec))
            a1, _ = two_link(self.arm_len, self.farm_len, d)
            base = math.degrees(math.atan2(d_vec[1], d_vec[0]))
            ua_ang = base + a1  # elbow towards the head side / up
            el = sh[1:] + self.arm_len * np.array([math.cos(math.radians(ua_ang)), math.sin(math.radians(ua_ang))])
            fv = target[1:] - el
            fa_ang = math.degrees(math.atan2(fv[1], fv[0]))
            # arm pitch: rest (hanging) direction angle is -90 (pointing -z)
            ua_p = ua_ang - (-90.0)
            fa_p = fa_ang - (-90.0)
            p[f"uarm.{s}"] = p[f"uarm.{s}"] + u * (_wrap(ua_p - p[f"uarm.{s}"]))
            p[f"farm.{s}"] = p[f"farm.{s}"] + u * (_wrap(fa_p - p[f"farm.{s}"]))
        return p, root

    # ====================================================================== bird-dog
    def _setup_bird_dog(self):
        base = {"neck": 80.0, "head": 70.0}
        for s in "LR":
            base[f"thigh.{s}"] = 0.0 - self.leg[s]["a1"] - 90.0 + 0.0
            base[f"thigh.{s}"] = self.pitch_for(self.leg[s]["a1"], -90.0)  # vertical
            base[f"shank.{s}"] = self.pitch_for(self.leg[s]["a2"], 0.0)  # back along floor
            base[f"foot.{s}"] = 150.0
            base[f"uarm.{s}"] = 0.0
            base[f"farm.{s}"] = 0.0
        knee_z, wrist_z = 0.055, 0.05  # palms flat on the floor (hand pitch -90)
        for s in "LR":
            base[f"hand.{s}"] = -90.0
        # trunk pitch so that hands and knees both reach the floor
        L = self.leg["L"]["l1"]
        arm = self.arm_len + self.farm_len
        want = (wrist_z + arm * math.cos(math.radians(10))) - (knee_z + L)

        def diff(tau):
            p = dict(base, pelvis=tau, lumbar=tau, thorax=tau)
            h = self.fk(p, np.zeros(3))
            return (self.head_of(h, "upperarm01.L")[2] - self.head_of(h, "upperleg01.L")[2]) - want

        lo, hi = 60.0, 120.0
        for _ in range(40):
            mid = 0.5 * (lo + hi)
            if diff(mid) > 0:  # shoulders too high: pitch further (head down)
                lo = mid
            else:
                hi = mid
        tau = 0.5 * (lo + hi)
        base.update(pelvis=tau, lumbar=tau, thorax=tau)
        self.tau = tau
        self.rest_pitches = base
        h = self.fk(base, np.zeros(3))
        self.root_rest = np.array([0.0, 0.0, knee_z - self.head_of(h, "lowerleg01.L")[2]])
        verts, _, _ = self.body.pose(self.build(base), self.root_rest)
        self.root_rest[2] -= float(verts[:, 2].min())  # lowest point exactly on the floor
        self.base_heads = self.fk(base, self.root_rest)

    def _pose_bird_dog(self, t):
        p = dict(self.rest_pitches)
        root = self.root_rest.copy()
        r, u = self.rep_at(t)
        if r is None:
            return p, root
        arm_s = "L" if r.side == "left" else "R"
        leg_s = arm_s if "same_side_limbs" in r.faults else ("R" if arm_s == "L" else "L")
        arm_target, leg_target = -90.0, 90.0  # horizontal forward / back
        elbow, knee = 0.0, 0.0
        if "limb_above_horizontal" in r.faults:
            arm_target, leg_target = -90.0 - 30.0, 90.0 + 30.0
        if "limb_not_extended" in r.faults:
            arm_target = -90.0 + 35.0  # arm 35° below horizontal
            elbow = 55.0
            knee = 70.0
        pr = r.params  # sizes in degrees (0 = horizontal)
        if "arm_elev_deg" in pr:
            arm_target = -90.0 - pr["arm_elev_deg"]
        if "leg_elev_deg" in pr:
            leg_target = 90.0 + pr["leg_elev_deg"]
        elbow, knee = pr.get("elbow_deg", elbow), pr.get("knee_deg", knee)
        leg = self.leg[leg_s]
        th0, sh0 = p[f"thigh.{leg_s}"], p[f"shank.{leg_s}"]
        # thigh pitch 0 = vertical: raise by leg_target degrees
        th1 = th0 + leg_target
        sh1 = self.pitch_for(leg["a2"], -90.0 + leg_target + 0.0) + 0.0
        sh1 = th1 + (self.pitch_for(leg["a2"], -90.0) - self.pitch_for(leg["a1"], -90.0)) + knee
        p[f"thigh.{leg_s}"] = th0 + u * (th1 - th0)
        p[f"shank.{leg_s}"] = sh0 + u * (sh1 - sh0)
        p[f"foot.{leg_s}"] = p[f"foot.{leg_s}"] + u * (th1 + 60.0 - p[f"foot.{leg_s}"])
        p[f"uarm.{arm_s}"] = u * arm_target
        p[f"farm.{arm_s}"] = u * (arm_target - elbow)
        p[f"hand.{arm_s}"] = -90.0 + u * (arm_target - elbow + 90.0)
        if "torso_tilted" in r.faults:
            # the hips sink back and down: supporting thigh leans back, trunk tilts ~18°
            sup = "R" if leg_s == "L" else "L"
            tilt = pr.get("tilt_deg", 18.0)
            lean = (38.0 / 18.0 * tilt if "tilt_deg" in pr else 38.0) * u  # sinking back
            p[f"thigh.{sup}"] = p[f"thigh.{sup}"] - lean
            p[f"foot.{sup}"] = p[f"foot.{sup}"]
            for seg in ("pelvis", "lumbar", "thorax"):
                p[seg] = self.tau - tilt * u
            p["neck"] = 80.0 - tilt * u
            p["head"] = 70.0 - tilt * u
            # keep the supporting knee where it was
            h0 = self.base_heads
            h = self.fk(p, root)
            root = root + (self.head_of(h0, f"lowerleg01.{sup}") - self.head_of(h, f"lowerleg01.{sup}"))
            # supporting arm reaches the floor again
            h = self.fk(p, root)
            arm_sup = "R" if arm_s == "L" else "L"
            sh = self.head_of(h, f"upperarm01.{arm_sup}")
            wz = self.head_of(h0, f"wrist.{arm_sup}")[2]
            L = self.arm_len + self.farm_len
            c = min(1.0, max(-1.0, (sh[2] - wz) / (L * math.cos(math.radians(10)))))
            ang = math.degrees(math.acos(c))
            p[f"uarm.{arm_sup}"] = -ang
            p[f"farm.{arm_sup}"] = -ang
        return p, root


def _wrap(a: float) -> float:
    """Wrap an angle difference to (-180, 180] degrees."""
    return (a + 180.0) % 360.0 - 180.0
