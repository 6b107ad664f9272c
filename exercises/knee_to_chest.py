"""Knee-to-chest checker: every hold of a knee drawn towards the chest is one rep.

Signal: hip flexion of each leg, 180 minus the angle between torso (hip->shoulder) and
thigh (hip->knee), in degrees. The hands often cover the knee and the pulled-up near leg
hides the far knee, whose guessed position jumps about (or stays where the leg was resting):

- a knee seen poorly is inferred from hip and ankle with the person's own thigh and shin
  lengths;
- when the far knee is not seen clearly (or, from an oblique camera, is reported seen but
  reads well short of the hands), the near leg is at rest and the hands are up in front of
  the body (where a hugged knee is), the far leg's flexion is read from the hands
  (hip->wrist direction): the hands holding the knee are the clearest sign of a far-leg hold;
- a hold lasts while the knee stays in the hug: easing it closer or re-gripping during a long
  stretch does not end it (``RepHoldMachine.zone_is_hold``);
- the other leg is judged (foot rising, or its thigh coming up) only while it is clearly seen.

The near side is the one nearer the camera (MediaPipe depth ``z`` plus visibility, sticky).
A bridge (both hips extending well past their resting flexion, held) is recognised and
reported as such instead of being ignored silently.
"""

from __future__ import annotations

import math

import numpy as np

from formcheck.core.calibration import Follower, RestEstimate
from formcheck.core.checker import ExerciseChecker, Measurement, Sample
from formcheck.core.geometry import angle_deg, distance, elevation_deg
from formcheck.core.landmarks import INDEX, PoseFrame, other_side
from formcheck.core.reps import RepRecord, RepThresholds

SIDES = ("left", "right")
#: a side must beat the current near side by this score (depth difference + visibility) to take over
NEAR_SWITCH_MARGIN = 0.05


def infer_knee(hip: np.ndarray, ankle: np.ndarray, thigh: float, shin: float) -> np.ndarray:
    """The knee from hip and ankle with known thigh and shin lengths (pixels): of the two
    solutions the higher one in the image (lying on the back, knees point up); on the
    hip-ankle line when the leg is (nearly) straight."""
    d = ankle - hip
    dist = float(math.hypot(d[0], d[1]))
    if dist < 1e-6:
        return hip.copy()
    u = d / dist
    if dist >= thigh + shin:
        return hip + u * thigh
    a = (thigh**2 - shin**2 + dist**2) / (2 * dist)
    h = math.sqrt(max(thigh**2 - a**2, 0.0))
    perp = np.array([-u[1], u[0]])
    k1, k2 = hip + a * u + h * perp, hip + a * u - h * perp
    return k1 if k1[1] < k2[1] else k2


class KneeToChestChecker(ExerciseChecker):
    """Times knee-to-chest holds per leg; faults: hold_too_short, other_leg_lifted, head_lifted."""

    key_joints = ("shoulder", "hip", "knee")

    def __init__(self, spec):
        t = spec.threshold
        self._thigh_ratio, self._shin_ratio = t("thigh_ratio"), t("shin_ratio")
        self._ankle_base: dict[str, float] = {}  # resting ankle height below the hip, torso lengths
        self._flex_base: dict[str, float] = {s: t("rest_flex_deg") for s in SIDES}  # resting hip flexion per leg
        self._torso_base: float | None = None  # resting hip->shoulder elevation, degrees
        self._head_base: float | None = None  # resting head height above the hip, torso lengths
        self._followers: dict[str, Follower] = {}  # the followers behind these resting values
        self._near: str | None = None
        self._bridge_since: float | None = None  # a bridge-like hip extension in progress since
        super().__init__(spec)
        # the stretch is the held position, whatever hip flexion the person reaches or the camera
        # reads: a hold is also the longest still pause of the rep (see RepHoldMachine.pause_is_hold)
        self.machine.pause_is_hold = True
        # a stretch held 15-30 s: easing the knee a little closer or re-gripping it is part of the
        # stretch, not a release (see RepHoldMachine.zone_is_hold)
        self.machine.zone_is_hold = True

    # ------------------------------------------------------------------ thresholds
    def rep_thresholds(self) -> RepThresholds:
        """Shares of the way from the person's resting hip flexion R (knees bent, feet down) to a
        knee hugged to the chest (``full_flex_deg``): a person lying with the feet near or far, or
        a camera off the pure side view (which changes the projected rest), is judged alike."""
        t = self.spec.threshold
        rest = self.rest.level if self.rest is not None else t("rest_flex_deg")
        noise = self.rest.noise if self.rest is not None else 0.0
        rom = max(t("full_flex_deg") - rest, t("min_range_deg"))
        rest_enter = max(rest + t("end_share") * rom, rest + 4.0 * noise)
        rest_exit = max(rest_enter, rest + t("start_share") * rom)
        attempt = max(rest_exit, rest + t("attempt_share") * rom)
        top_exit = max(attempt, rest + t("top_exit_share") * rom)
        top_enter = max(top_exit, rest + t("top_share") * rom)
        return RepThresholds(rest_enter, rest_exit, attempt, top_exit, top_enter)

    def accept_rest(self, rest: RestEstimate) -> bool:
        """A resting position has both hips flexed a little (knees bent, feet down), not a knee pulled in."""
        t = self.spec.threshold
        return t("rest_min_flex_deg") <= rest.level <= t("rest_max_flex_deg")

    # ------------------------------------------------------------------ measurement
    def _pt(self, frame: PoseFrame, side: str, joint: str, min_vis: float) -> np.ndarray | None:
        """A joint of ``side``, or of the other side when this one is unseen (side-on, both overlap)."""
        for s in (side, other_side(side)):
            if frame.is_visible(f"{s}_{joint}", min_vis):
                return frame.px(f"{s}_{joint}")
        return None

    def near_side(self, frame: PoseFrame) -> str:
        """The body side nearer the camera: smaller depth ``z`` and better visibility of shoulder
        and hip; sticky, so a side-on view does not flip sides from frame to frame."""

        def score(side: str) -> float:
            idx = [INDEX[f"{side}_{j}"] for j in ("shoulder", "hip")]
            return float(-np.mean(frame.xyz[idx, 2]) + 0.5 * np.mean(frame.visibility[idx]))

        s = {side: score(side) for side in SIDES}
        best = max(s, key=lambda k: s[k])
        if self._near is not None and math.isfinite(s[self._near]) and s[best] - s[self._near] < NEAR_SWITCH_MARGIN:
            best = self._near
        self._near = best
        return best

    def leg_flexion(self, frame: PoseFrame, side: str, sh: np.ndarray, torso: float) -> tuple[float | None, str]:
        """Hip flexion of one leg (degrees) and where the knee came from: ``"knee"`` (seen),
        ``"ankle"`` (inferred from hip and ankle), ``"guess"`` (a poorly seen knee); ``(None, "")`` if unseen."""
        t = self.spec.threshold
        hip = self._pt(frame, side, "hip", t("min_visibility"))
        if hip is None:
            return None, ""
        if frame.is_visible(f"{side}_knee", t("knee_min_visibility")):
            knee, source = frame.px(f"{side}_knee"), "knee"
        elif frame.is_visible(f"{side}_ankle", t("min_visibility")):
            knee = infer_knee(hip, frame.px(f"{side}_ankle"), self._thigh_ratio * torso, self._shin_ratio * torso)
            source = "ankle"
        elif frame.is_visible(f"{side}_knee", t("min_visibility")):
            knee, source = frame.px(f"{side}_knee"), "guess"
        else:
            return None, ""
        a = angle_deg(sh, hip, knee)
        return (None, "") if a != a else (180.0 - a, source)

    def hands_flexion(
        self, frame: PoseFrame, sh: np.ndarray, hip: np.ndarray, torso: float, near_knee: np.ndarray | None = None
    ) -> float | None:
        """Where the hands are, as a hip flexion (degrees): 180 minus the angle shoulder-hip-wrist,
        for the best seen wrist that is up in front of the body where a hugged knee is (at least
        ``hands_up_frac`` torso lengths above the shoulder-hip line, not beyond the shoulders)
        and not at the (seen) near knee, which would explain it. ``None`` when no wrist is seen
        there (e.g. the hands rest on the floor or on the chest, or hold the near knee)."""
        t = self.spec.threshold
        axis = (sh - hip) / torso
        up = np.array([axis[1], -axis[0]])
        if up[1] > 0:  # the perpendicular pointing up in the image
            up = -up
        best: tuple[float, float] | None = None
        for s in SIDES:
            name = f"{s}_wrist"
            if not frame.is_visible(name, t("hands_min_visibility")):
                continue
            w = frame.px(name)
            height, along = float((w - hip) @ up) / torso, float((w - hip) @ axis) / torso
            at_near_knee = near_knee is not None and distance(w, near_knee) / torso < t("hands_near_knee_frac")
            if height >= t("hands_up_frac") and along <= t("hands_max_along") and not at_near_knee:
                f = 180.0 - angle_deg(sh, hip, w)
                if math.isfinite(f) and (best is None or frame.vis(name) > best[0]):
                    best = (frame.vis(name), f)
        return None if best is None else best[1]

    def measure(self, frame: PoseFrame) -> Measurement:
        t = self.spec.threshold
        min_vis = t("min_visibility")
        near = self.near_side(frame)
        far = other_side(near)
        sh = self._pt(frame, near, "shoulder", min_vis)
        hip = self._pt(frame, near, "hip", min_vis)
        if sh is None or hip is None:
            return Measurement(None)
        torso = distance(sh, hip)
        if not (1.0 <= torso < 1e6):
            return Measurement(None)
        self.measured_side = near
        flex: dict[str, float] = {}
        source: dict[str, str] = {}
        unjudged: list[str] = []
        for s in SIDES:
            f, src = self.leg_flexion(frame, s, sh, torso)
            if f is not None and math.isfinite(f):
                flex[s], source[s] = f, src
        near_knee = frame.px(f"{near}_knee") if source.get(near) == "knee" else None
        hands = self.hands_flexion(frame, sh, hip, torso, near_knee)
        if (
            hands is not None
            and flex.get(near, 0.0) < self.machine.th.attempt
            and hands > flex.get(far, -math.inf) + (0.0 if source.get(far) != "knee" else t("hands_beyond_knee_deg"))
        ):
            # the far knee is hidden (its guessed position is unreliable, often left where the leg
            # rested) or, seen from an oblique camera, reported as seen but well short of where the
            # hands are; the near leg is down and the hands are up where a hugged knee is, away from
            # the near knee: the hands show the far leg
            flex[far], source[far] = hands, "hands"
        if not flex:
            return Measurement(None, unjudged=("the legs",))
        value = max(flex.values())
        side = "both" if self._both_up(frame, flex, source, torso) else max(flex, key=lambda k: flex[k])
        extras: dict[str, float] = {f"flex_{s}": v for s, v in flex.items()}
        for s in flex:  # how each leg was measured: knee seen clearly (1) or not (0)
            extras[f"knee_seen_{s}"] = float(
                source[s] == "knee" and frame.is_visible(f"{s}_knee", t("other_leg_judge_visibility"))
            )
        if hands is not None:
            extras["hands_flex"] = hands
        extras["torso_deg"] = elevation_deg(hip, sh)
        head = self._head_height(frame, hip, torso)
        if head is not None:
            extras["head_rel"] = head
        for s in SIDES:
            if frame.is_visible(f"{s}_ankle", t("foot_judge_visibility")):
                rel = (frame.px(f"{s}_ankle")[1] - hip[1]) / torso
                if math.isfinite(rel):
                    extras[f"ankle_rel_{s}"] = rel
        if value >= self.machine.th.attempt and side in SIDES:
            other = other_side(side)
            if f"ankle_rel_{other}" not in extras and not extras.get(f"knee_seen_{other}"):
                unjudged.append("whether the other foot stayed on the floor")
        self._learn_lengths(frame, hip, torso)
        return Measurement(value=value, angle_deg=value, side=side, extras=extras, unjudged=tuple(unjudged))

    def _both_up(self, frame: PoseFrame, flex: dict[str, float], source: dict[str, str], torso: float) -> bool:
        """Both knees drawn up: both legs flexed at least ``both_legs_deg``, or both at least
        ``attempt`` with the feet together (within ``feet_together_frac`` torso lengths: a leg
        lifted on its own, straight or not, leaves its foot elsewhere). The hands alone never
        show a second leg."""
        t = self.spec.threshold
        if len(flex) < 2 or any(source[s] == "hands" for s in SIDES):
            return False
        if min(flex.values()) >= t("both_legs_deg"):
            return True
        ankles = [f"{s}_ankle" for s in SIDES]
        if min(flex.values()) >= self.machine.th.attempt and all(
            frame.is_visible(a, t("min_visibility")) for a in ankles
        ):
            return distance(frame.px(ankles[0]), frame.px(ankles[1])) / torso <= t("feet_together_frac")
        return False

    def _head_height(self, frame: PoseFrame, hip: np.ndarray, torso: float) -> float | None:
        for name in ("nose", "left_ear", "right_ear"):
            if frame.is_visible(name, 0.5):
                h = (hip[1] - frame.px(name)[1]) / torso
                return h if math.isfinite(h) else None
        return None

    def _learn_lengths(self, frame: PoseFrame, hip: np.ndarray, torso: float) -> None:
        """Follow the person's thigh and shin lengths (as torso ratios) from a clearly seen leg."""
        for s in SIDES:
            names = (f"{s}_hip", f"{s}_knee", f"{s}_ankle")
            if all(frame.is_visible(n, 0.8) for n in names):
                h, k, a = (frame.px(n) for n in names)
                thigh, shin = distance(h, k) / torso, distance(k, a) / torso
                if 0.3 < thigh < 2.0 and 0.3 < shin < 2.0:  # plausible proportions only
                    self._thigh_ratio = self._follow("thigh", frame.t_s, thigh, self._thigh_ratio)
                    self._shin_ratio = self._follow("shin", frame.t_s, shin, self._shin_ratio)
                return

    def _follow(self, name: str, t_s: float, new: float, old: float | None) -> float | None:
        """A resting value followed with time constant ``rest_follow_s`` seconds (garbage never enters)."""
        f = self._followers.get(name)
        if f is None:
            f = self._followers[name] = Follower(self.spec.threshold("rest_follow_s"), old)
        return f.update(t_s, new)

    def on_rest_sample(self, t_s: float, m: Measurement) -> None:
        x = m.extras
        self._watch_bridge(t_s, m)
        if self._bridge_since is not None:
            return  # the hips are up: not a resting position
        self._torso_base = self._follow("torso", t_s, x["torso_deg"], self._torso_base)
        if "head_rel" in x:
            self._head_base = self._follow("head", t_s, x["head_rel"], self._head_base)
        for s in SIDES:
            if f"ankle_rel_{s}" in x:
                ankle = self._follow(f"ankle_{s}", t_s, x[f"ankle_rel_{s}"], self._ankle_base.get(s))
                if ankle is not None:
                    self._ankle_base[s] = ankle
            if x.get(f"knee_seen_{s}"):
                flex = self._follow(f"flex_{s}", t_s, x[f"flex_{s}"], self._flex_base[s])
                if flex is not None:
                    self._flex_base[s] = flex

    def _watch_bridge(self, t_s: float, m: Measurement) -> None:
        """Notice bridges: both hips extended ``bridge_drop_deg`` past their resting flexion (hips
        up) for at least ``bridge_min_s``; each is remembered as a look-alike (not counted)."""
        t = self.spec.threshold
        flex = [m.extras[f"flex_{s}"] for s in SIDES if f"flex_{s}" in m.extras]
        base = max(self._flex_base.values())
        extended = bool(flex) and max(flex) <= base - t("bridge_drop_deg")
        if extended:
            if self._bridge_since is None:
                self._bridge_since = t_s
        elif self._bridge_since is not None:
            if t_s - self._bridge_since >= t("bridge_min_s"):
                self.lookalikes["a glute bridge"] += 1
            self._bridge_since = None

    def looks_like(self, rep: RepRecord, samples: list[Sample]) -> str | None:
        """A knee (or both) drawn in and let go at once — a swing, not a held stretch — is a lying
        leg pull-in, another exercise. (Both knees held in is the double knee-to-chest, a variant.)"""
        in_zone = 0.0 if rep.zone_s is None or rep.end_s is None else rep.end_s - rep.zone_s
        if max(rep.hold_s, 0.0) < self.spec.threshold("min_stretch_s") and in_zone < 2 * self.spec.threshold(
            "min_stretch_s"
        ):
            return "a leg pull-in (the knee came in and went straight back out, without a held stretch)"
        return None

    def rep_variant(self, rep: RepRecord, samples: list[Sample]) -> str | None:
        return "both knees" if self.rep_side(rep, samples) == "both" else None

    # ------------------------------------------------------------------ faults
    def frame_faults(self, sample: Sample) -> list[str]:
        t = self.spec.threshold
        x = sample.m.extras
        faults: list[str] = []
        side = sample.m.side
        if side in SIDES and (sample.m.value or 0.0) >= self.machine.th.attempt:
            other = other_side(side)
            other_flex = x.get(f"flex_{other}", 0.0)
            key = f"ankle_rel_{other}"
            foot_up = key in x and other in self._ankle_base and self._ankle_base[other] - x[key] > t("foot_lift_frac")
            # the other thigh coming up (judged only when that knee is clearly seen: a guessed knee jumps about)
            thigh_up = bool(x.get(f"knee_seen_{other}")) and other_flex - self._flex_base[other] > t(
                "other_flex_rise_deg"
            )
            if foot_up or thigh_up:
                faults.append("other_leg_lifted")
        torso_up = self._torso_base is not None and x["torso_deg"] - self._torso_base > t("head_lift_deg")
        head_up = (
            self._head_base is not None and "head_rel" in x and x["head_rel"] - self._head_base > t("head_lift_frac")
        )
        if torso_up or head_up:
            faults.append("head_lifted")
        return faults
