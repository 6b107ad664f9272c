"""Pelvic tilt checker: a small change from the person's own resting position, held.

There is no pelvis or lumbar landmark. The tilt shows only as a few degrees of change in the
shoulder-hip-knee bend (the thigh turns a little, the knee may move), so the checker
calibrates a baseline while the person lies still, measures the change from it
(:func:`pelvic_tilt_signal`), and times each hold. Hips leaving the floor are a fault;
a big lift is a bridge and a big bend change a knee pulled up: those are not counted.
"""

from __future__ import annotations

import math
from collections import deque
from statistics import median

from formcheck.checker import ExerciseChecker, Measurement, Sample
from formcheck.geometry import angle_deg, distance, line_deviation_deg
from formcheck.landmarks import PoseFrame
from formcheck.reps import RepRecord
from formcheck.sides import best_side


def pelvic_tilt_signal(frame: PoseFrame, side: str) -> dict[str, float] | None:
    """The raw per-frame values the pelvic-tilt count is built on, for one body ``side``.

    - ``bend_deg``: signed bend at the hip away from the shoulder-knee line (degrees;
      :func:`formcheck.geometry.line_deviation_deg`); a posterior tilt changes it by a few degrees;
    - ``hip_rel``: how far the hip sits below the shoulder, in torso lengths (image y down);
      it drops when the hips lift off the floor;
    - ``torso_px``: shoulder-hip distance in pixels.
    ``None`` when the geometry is degenerate.
    """
    sh, hip, knee = frame.px(f"{side}_shoulder"), frame.px(f"{side}_hip"), frame.px(f"{side}_knee")
    torso = distance(sh, hip)
    bend = line_deviation_deg(sh, hip, knee)
    if not (1.0 < torso < 1e6) or not math.isfinite(bend):
        return None
    hip_rel = (hip[1] - sh[1]) / torso
    if not math.isfinite(hip_rel):
        return None
    return {"bend_deg": bend, "hip_rel": hip_rel, "torso_px": torso}


class PelvicTiltChecker(ExerciseChecker):
    """Counts held pelvic tilts; faults: hips_lifted, hold_too_short."""

    key_joints = ("shoulder", "hip", "knee")

    def __init__(self, spec):
        self._side: str | None = None
        self._base_bend: float | None = None
        self._base_hip: float | None = None
        self._calib: list[tuple[float, float, float]] = []    # (t, bend, hip_rel) while calibrating
        self._rest: deque[tuple[float, float, float]] = deque()  # recent samples outside holds, for re-baselining
        self._recent: deque[tuple[float, float]] = deque()     # (t, bend) for the median filter
        super().__init__(spec)

    @property
    def calibrated(self) -> bool:
        return self._base_bend is not None

    def measure(self, frame: PoseFrame) -> Measurement:
        side = best_side(frame, ("shoulder", "hip", "knee"), previous=self._side)
        if side is None:
            return Measurement(None)
        self._side = side
        sig = pelvic_tilt_signal(frame, side)
        if sig is None:
            return Measurement(None)
        t = frame.t_s
        self._recent.append((t, sig["bend_deg"]))
        while self._recent and self._recent[0][0] < t - self.spec.threshold("signal_median_s"):
            self._recent.popleft()
        bend = median(b for _, b in self._recent)
        extras = {"bend_deg": bend, "hip_rel": sig["hip_rel"]}
        shk = angle_deg(frame.px(f"{side}_shoulder"), frame.px(f"{side}_hip"), frame.px(f"{side}_knee"))
        if not self.calibrated:
            return Measurement(0.0, angle_deg=shk, extras=extras)  # resting while the baseline is learnt
        if self._maybe_rebaseline(t, bend, sig["hip_rel"]):
            extras["rebaselined"] = 1.0
        change = bend - self._base_bend
        extras["change_deg"] = change
        extras["hip_lift"] = self._base_hip - sig["hip_rel"]
        return Measurement(value=self._activation(change), angle_deg=shk, extras=extras)

    def _activation(self, change: float) -> float:
        direction = self.spec.threshold("tilt_direction")
        return abs(change) if direction == 0 else change * (1.0 if direction > 0 else -1.0)

    def _maybe_rebaseline(self, t: float, bend: float, hip_rel: float) -> bool:
        """Re-measure the resting position after ``rebaseline_s`` of lying still outside a hold
        (the person settled into a slightly different position). True when it did."""
        th = self.spec.threshold
        if self._rest and t - self._rest[-1][0] > 0.5:
            self._rest.clear()
        self._rest.append((t, bend, hip_rel))
        while self._rest and self._rest[0][0] < t - th("rebaseline_s"):
            self._rest.popleft()
        holding = self.machine.phase == "hold" or self._activation(bend - self._base_bend) >= th("attempt")
        if holding:
            self._rest.clear()
            return False
        if t - self._rest[0][0] < th("rebaseline_s") * 0.95:
            return False
        bends = sorted(b for _, b, _ in self._rest)
        lo, hi = bends[len(bends) // 10], bends[(9 * len(bends)) // 10]
        if hi - lo > th("still_range_deg"):
            return False
        self._set_baseline(list(self._rest))
        self._rest.clear()
        return True

    def on_rest_sample(self, t_s: float, m: Measurement) -> None:
        """First calibration: the median over the first ``calibrate_s`` of ready rest."""
        if self.calibrated:
            return
        if self._calib and t_s - self._calib[-1][0] > 0.5:
            self._calib = []  # not continuous: start again
        self._calib.append((t_s, m.extras["bend_deg"], m.extras["hip_rel"]))
        if t_s - self._calib[0][0] >= self.spec.threshold("calibrate_s"):
            self._set_baseline(self._calib)
            self._calib = []

    def _set_baseline(self, samples: list[tuple[float, float, float]]) -> None:
        self._base_bend = median(b for _, b, _ in samples)
        self._base_hip = median(h for _, _, h in samples)

    def frame_faults(self, sample: Sample) -> list[str]:
        if sample.m.extras.get("hip_lift", 0.0) > self.spec.threshold("hips_lift_frac"):
            return ["hips_lifted"]
        return []

    def looks_like(self, rep: RepRecord, samples: list[Sample]) -> str | None:
        th = self.spec.threshold
        lift = max((s.m.extras.get("hip_lift", 0.0) for s in samples), default=0.0)
        change = [s.m.extras.get("change_deg", 0.0) for s in samples]
        if lift >= th("bridge_lift_frac") or min(change, default=0.0) <= -th("bridge_bend_drop_deg"):
            return "a glute bridge"
        if max(change, default=0.0) >= th("knee_flex_deg"):
            return "knee-to-chest"
        return None
