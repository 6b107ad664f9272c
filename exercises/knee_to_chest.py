"""Knee-to-chest checker: every hold of a knee drawn towards the chest is one rep.

Signal: hip flexion of each leg, 180 minus the angle between torso (hip->shoulder) and
thigh (hip->knee), in degrees. The hands often cover the knee and the pulled-up near leg
hides the far knee, whose guessed position jumps about: a knee seen poorly is inferred from
hip and ankle with the person's own thigh and shin lengths, and the other foot is judged
only while it is clearly visible.
"""

from __future__ import annotations

import math

import numpy as np

from formcheck.checker import ExerciseChecker, Measurement, Sample
from formcheck.geometry import angle_deg, distance, elevation_deg
from formcheck.landmarks import PoseFrame, other_side

SIDES = ("left", "right")


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
    a = (thigh ** 2 - shin ** 2 + dist ** 2) / (2 * dist)
    h = math.sqrt(max(thigh ** 2 - a ** 2, 0.0))
    perp = np.array([-u[1], u[0]])
    k1, k2 = hip + a * u + h * perp, hip + a * u - h * perp
    return k1 if k1[1] < k2[1] else k2


class KneeToChestChecker(ExerciseChecker):
    """Times knee-to-chest holds per leg; faults: hold_too_short, other_leg_lifted, head_lifted."""

    key_joints = ("shoulder", "hip", "knee")

    def __init__(self, spec):
        t = spec.threshold
        self._thigh_ratio, self._shin_ratio = t("thigh_ratio"), t("shin_ratio")
        self._ankle_base: dict[str, float] = {}    # resting ankle height below the hip, torso lengths
        self._torso_base: float | None = None      # resting hip->shoulder elevation, degrees
        self._head_base: float | None = None       # resting head height above the hip, torso lengths
        super().__init__(spec)

    # ------------------------------------------------------------------ measurement
    def _pt(self, frame: PoseFrame, side: str, joint: str, min_vis: float) -> np.ndarray | None:
        """A joint of ``side``, or of the other side when this one is unseen (side-on, both overlap)."""
        for s in (side, other_side(side)):
            if frame.is_visible(f"{s}_{joint}", min_vis):
                return frame.px(f"{s}_{joint}")
        return None

    def leg_flexion(self, frame: PoseFrame, side: str, sh: np.ndarray, torso: float) -> tuple[float | None, bool]:
        """Hip flexion of one leg (degrees) and whether the knee was inferred; ``(None, False)`` if unseen."""
        t = self.spec.threshold
        hip = self._pt(frame, side, "hip", t("min_visibility"))
        if hip is None:
            return None, False
        inferred = False
        if frame.is_visible(f"{side}_knee", t("knee_min_visibility")):
            knee = frame.px(f"{side}_knee")
        elif frame.is_visible(f"{side}_ankle", t("min_visibility")):
            knee = infer_knee(hip, frame.px(f"{side}_ankle"), self._thigh_ratio * torso, self._shin_ratio * torso)
            inferred = True
        elif frame.is_visible(f"{side}_knee", t("min_visibility")):
            knee = frame.px(f"{side}_knee")
        else:
            return None, False
        a = angle_deg(sh, hip, knee)
        return (None if a != a else 180.0 - a), inferred

    def measure(self, frame: PoseFrame) -> Measurement:
        t = self.spec.threshold
        min_vis = t("min_visibility")
        near = "left" if frame.vis("left_shoulder") + frame.vis("left_hip") >= frame.vis("right_shoulder") + frame.vis("right_hip") else "right"
        sh = self._pt(frame, near, "shoulder", min_vis)
        hip = self._pt(frame, near, "hip", min_vis)
        if sh is None or hip is None:
            return Measurement(None)
        torso = distance(sh, hip)
        if not (1.0 <= torso < 1e6):
            return Measurement(None)
        flex: dict[str, float] = {}
        unjudged: list[str] = []
        for s in SIDES:
            f, inferred = self.leg_flexion(frame, s, sh, torso)
            if f is not None and math.isfinite(f):
                flex[s] = f
        if not flex:
            return Measurement(None, unjudged=("the legs",))
        value = max(flex.values())
        up = [s for s in flex if flex[s] >= t("both_legs_deg")]
        side = "both" if len(up) == 2 else max(flex, key=flex.get)
        extras: dict[str, float] = {f"flex_{s}": v for s, v in flex.items()}
        extras["torso_deg"] = elevation_deg(hip, sh)
        head = self._head_height(frame, hip, torso)
        if head is not None:
            extras["head_rel"] = head
        for s in SIDES:
            if frame.is_visible(f"{s}_ankle", t("foot_judge_visibility")):
                rel = (frame.px(f"{s}_ankle")[1] - hip[1]) / torso
                if math.isfinite(rel):
                    extras[f"ankle_rel_{s}"] = rel
        if value >= t("attempt") and side in SIDES:
            other = other_side(side)
            if f"ankle_rel_{other}" not in extras:
                unjudged.append("whether the other foot stayed on the floor")
        self._learn_lengths(frame, hip, torso)
        return Measurement(value=value, angle_deg=value, side=side, extras=extras, unjudged=tuple(unjudged))

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
                    self._thigh_ratio += 0.05 * (thigh - self._thigh_ratio)
                    self._shin_ratio += 0.05 * (shin - self._shin_ratio)
                return

    def on_rest_sample(self, t_s: float, m: Measurement) -> None:
        x = m.extras

        def ema(old: float | None, new: float) -> float | None:
            if not math.isfinite(new):
                return old  # garbage never enters a baseline
            return new if old is None else old + 0.05 * (new - old)

        self._torso_base = ema(self._torso_base, x["torso_deg"])
        if "head_rel" in x:
            self._head_base = ema(self._head_base, x["head_rel"])
        for s in SIDES:
            if f"ankle_rel_{s}" in x:
                self._ankle_base[s] = ema(self._ankle_base.get(s), x[f"ankle_rel_{s}"])

    # ------------------------------------------------------------------ faults
    def frame_faults(self, sample: Sample) -> list[str]:
        t = self.spec.threshold
        x = sample.m.extras
        faults: list[str] = []
        side = sample.m.side
        if side in SIDES and (sample.m.value or 0.0) >= t("attempt"):
            other = other_side(side)
            key = f"ankle_rel_{other}"
            if key in x and other in self._ankle_base and self._ankle_base[other] - x[key] > t("foot_lift_frac"):
                if x.get(f"flex_{other}", 0.0) < t("both_legs_deg"):
                    faults.append("other_leg_lifted")
        torso_up = self._torso_base is not None and x["torso_deg"] - self._torso_base > t("head_lift_deg")
        head_up = self._head_base is not None and "head_rel" in x and x["head_rel"] - self._head_base > t("head_lift_frac")
        if torso_up or head_up:
            faults.append("head_lifted")
        return faults
