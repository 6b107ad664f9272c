"""Glute bridge checker: the hip's bend from the shoulder-knee line drives reps and holds."""

from __future__ import annotations

from formcheck.checker import ExerciseChecker, Measurement, Sample
from formcheck.geometry import angle_deg, line_deviation_deg
from formcheck.landmarks import PoseFrame
from formcheck.reps import RepRecord, RepThresholds
from formcheck.sides import best_side


class BridgeChecker(ExerciseChecker):
    """Counts bridges; faults: hips_too_low, hips_overarched, hold_too_short, hips_sagging.

    Activation = minus the signed hip bend (degrees, see :func:`formcheck.geometry.line_deviation_deg`)
    of the side nearer the camera. The resting bend is calibrated while the person lies still.
    """

    key_joints = ("shoulder", "hip", "knee")

    def __init__(self, spec):
        self._baseline_bend = spec.threshold("baseline_bend_deg")
        self._hug_since: float | None = None
        self._hug_noted = False
        super().__init__(spec)

    def rep_thresholds(self) -> RepThresholds:
        t = self.spec.threshold
        rest = -self._baseline_bend
        top_enter, top_exit = -t("top_bend_deg"), -t("top_exit_bend_deg")
        attempt = min(rest + t("attempt_rise_deg"), top_exit - 3.0)
        rest_exit = min(rest + t("start_rise_deg"), attempt - 4.0)
        return RepThresholds(rest_exit - 3.0, rest_exit, attempt, top_exit, top_enter)

    def on_rest_sample(self, t_s: float, m: Measurement) -> None:
        bend = m.extras["bend_deg"]
        t = self.spec.threshold
        self._note_knee_hug(t_s, bend)
        if not t("baseline_min_bend_deg") <= bend <= t("baseline_max_bend_deg"):
            return  # not a bent-knee resting position (e.g. a knee pulled to the chest): don't learn it
        # follow the person's resting bend slowly (time constant ~ 1 s at 30 fps)
        self._baseline_bend += 0.05 * (bend - self._baseline_bend)

    def _note_knee_hug(self, t_s: float, bend: float) -> None:
        """A hip flexed far past the bridge's resting position (bend >= ``knee_hug_bend_deg``)
        for ``knee_hug_min_s`` seconds is a knee pulled to the chest: remembered, not counted,
        so that the report can say what the movements looked like."""
        t = self.spec.threshold
        if bend >= t("knee_hug_bend_deg"):
            if self._hug_since is None:
                self._hug_since, self._hug_noted = t_s, False
            if not self._hug_noted and t_s - self._hug_since >= t("knee_hug_min_s"):
                self.lookalikes["knee-to-chest"] += 1
                self._hug_noted = True
        else:
            self._hug_since = None

    def measure(self, frame: PoseFrame) -> Measurement:
        side = best_side(frame, ("shoulder", "hip", "knee"), previous=self.measured_side)
        if side is None:
            return Measurement(None)
        self.measured_side = side
        sh, hip, knee = frame.px(f"{side}_shoulder"), frame.px(f"{side}_hip"), frame.px(f"{side}_knee")
        bend = line_deviation_deg(sh, hip, knee)
        if bend != bend:
            return Measurement(None)
        extras = {"bend_deg": bend}
        if frame.vis(f"{side}_ankle") >= 0.3:
            extras["knee_deg"] = angle_deg(hip, knee, frame.px(f"{side}_ankle"))
        return Measurement(value=-bend, angle_deg=angle_deg(sh, hip, knee), side="none", extras=extras)

    def frame_faults(self, sample: Sample) -> list[str]:
        if sample.m.extras["bend_deg"] <= -self.spec.threshold("overarch_deg"):
            return ["hips_overarched"]
        return []

    def rep_faults(self, rep: RepRecord, samples: list[Sample]) -> list[str]:
        faults = []
        if not rep.reached_top:
            faults.append("hips_too_low")
        faults += super().rep_faults(rep, samples)
        if self._sagged(rep, samples):
            faults.append("hips_sagging")
        return faults

    def _sagged(self, rep: RepRecord, samples: list[Sample]) -> bool:
        """True when, inside the main hold (its last ``hold_end_ignore_s`` excluded), the bend
        stayed ``sag_deg`` above its best value so far for ``sag_min_s`` seconds."""
        hold = rep.main_hold
        if hold is None:
            return False
        t = self.spec.threshold
        end = hold.end_s - t("hold_end_ignore_s")
        best = float("inf")
        sag_since = None
        for s in samples:
            if not (hold.start_s <= s.t_s <= end):
                continue
            bend = s.m.extras["bend_deg"]
            best = min(best, bend)
            if bend >= best + t("sag_deg"):
                sag_since = s.t_s if sag_since is None else sag_since
                if s.t_s - sag_since >= t("sag_min_s"):
                    return True
            else:
                sag_since = None
        return False
