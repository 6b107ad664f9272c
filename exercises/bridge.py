"""Glute bridge checker: the hip's bend from the shoulder-knee line drives reps and holds.

The person's own resting bend (lying, knees bent, feet down) is learnt from a still moment
before counting; the rep thresholds sit at shares of the way from that rest to a straight
shoulder-hip-knee line, so feet near or far from the buttocks, or a camera turned off the pure
side view (which shrinks the projected resting bend but keeps a straight line straight), count
the same. A movement in which the hips never leave the floor (a leg raise or pull-in, which also
straightens the line) is not a bridge.
"""

from __future__ import annotations

import math

from formcheck.core.calibration import Follower, RestEstimate
from formcheck.core.checker import ExerciseChecker, Measurement, Sample
from formcheck.core.geometry import (
    angle_deg,
    distance,
    inclination_deg,
    line_deviation_deg,
)
from formcheck.core.landmarks import PoseFrame
from formcheck.core.reps import RepRecord, RepThresholds
from formcheck.core.sides import best_side


class BridgeChecker(ExerciseChecker):
    """Counts bridges; faults: hips_too_low, hips_overarched, hold_too_short, hips_sagging.

    Activation = minus the signed hip bend (degrees, see :func:`formcheck.core.geometry.line_deviation_deg`)
    of the side nearer the camera. The resting bend is calibrated while the person lies still.
    """

    key_joints = ("shoulder", "hip", "knee")

    def __init__(self, spec):
        t = spec.threshold
        self._rest_hip = Follower(t("rest_follow_s"))  # hip height above the shoulder at rest, torso lengths
        self._hug_since: float | None = None
        self._hug_noted = False
        super().__init__(spec)

    def rep_thresholds(self) -> RepThresholds:
        """Shares of the way from the resting bend R to a straight line (bend 0), as activations
        (minus the bend). The hold zone is never asked to be straighter than ``top_zone_bend_deg``
        (whether the top was high enough is the ``hips_too_low`` fault's business, not the timer's).
        Also sets the machine's stillness speed from the person's range."""
        t = self.spec.threshold
        rest = self.rest.level if self.rest is not None else t("baseline_bend_deg")
        rom = max(rest, t("min_range_deg"))
        noise = self.rest.noise if self.rest is not None else 0.0
        rest_enter = min(rest - t("end_share") * rom, rest - 4.0 * noise)
        rest_exit = min(rest_enter, rest - t("start_share") * rom)
        attempt = min(rest_exit, rest - t("attempt_share") * rom)
        top_exit = min(attempt, t("top_exit_bend_deg"), rest - t("top_exit_share") * rom)
        top_enter = min(top_exit, t("top_zone_bend_deg"), rest - t("top_share") * rom)
        # "still" at the top is a share of the person's own range per second (a small range moves slowly)
        if self.rest is not None:
            self.machine.still_speed = max(t("still_speed_min"), t("still_share_per_s") * rom)
        return RepThresholds(-rest_enter, -rest_exit, -attempt, -top_exit, -top_enter)

    def calibration_value(self, m: Measurement) -> float | None:
        return m.extras.get("bend_deg")

    def accept_rest(self, rest: RestEstimate) -> bool:
        t = self.spec.threshold
        return t("baseline_min_bend_deg") <= rest.level <= t("baseline_max_bend_deg")

    def _at_rest_bend(self, bend: float, rest: float) -> bool:
        """``bend`` is within ``rest_band_share`` of the person's range of the resting bend
        ``rest`` (degrees): the hips are down."""
        t = self.spec.threshold
        return abs(bend - rest) <= t("rest_band_share") * max(rest, t("min_range_deg"))

    def on_calibrated(self) -> None:
        """Files: frames kept from before the rest was known are replayed next; a rep among them
        is judged against the resting hip height of the frames kept at the resting bend (the
        median), so a leg movement at the start of a clip is not taken for a bridge."""
        if self._rest_hip.value is not None or self.rest is None:
            return
        rest = self.rest.level
        heights = sorted(
            m.extras["hip_height"]
            for _, m in self._pending
            if m is not None
            and math.isfinite(m.extras.get("hip_height", math.nan))
            and self._at_rest_bend(m.extras.get("bend_deg", math.inf), rest)
        )
        if heights:
            self._rest_hip.value = heights[len(heights) // 2]

    def on_rest_sample(self, t_s: float, m: Measurement) -> None:
        rest = self.rest.level if self.rest is not None else self.spec.threshold("baseline_bend_deg")
        if self._at_rest_bend(m.extras["bend_deg"], rest):
            self._rest_hip.update(t_s, m.extras["hip_height"])  # near the resting bend: the hips are down

    def _note_knee_hug(self, t_s: float, bend: float) -> None:
        """A hip flexed far past the bridge's resting position (bend >= ``knee_hug_bend_deg``)
        for ``knee_hug_min_s`` seconds is a knee pulled to the chest: remembered, not counted,
        so that the report can say what the movements looked like."""
        t = self.spec.threshold
        if bend >= t("knee_hug_bend_deg") and self.ready:
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
        steep = inclination_deg(sh, knee) > self.spec.threshold("steep_axis_deg")
        if steep:
            # camera near the head or feet end: the shoulder-knee line runs up the picture and
            # "above the line" has no meaning; the size of the bend still shows the movement
            bend = abs(bend)
        torso = distance(sh, hip)
        if not torso > 1.0:
            return Measurement(None)
        extras = {"bend_deg": bend, "hip_height": float(sh[1] - hip[1]) / torso, "steep": float(steep)}
        if frame.vis(f"{side}_ankle") >= 0.3:
            extras["knee_deg"] = angle_deg(hip, knee, frame.px(f"{side}_ankle"))
        self._note_knee_hug(frame.t_s, bend)
        if bend > self.spec.threshold("knee_hug_bend_deg"):
            # the thigh is drawn past the trunk's perpendicular: a knee pulled in, or the pose model
            # has flipped the body end to end; either way not a bridge position, so not measured
            return Measurement(None, angle_deg=angle_deg(sh, hip, knee), extras=extras)
        unjudged = (
            ("whether the hips went above the shoulder-knee line (camera at the head or feet end)",) if steep else ()
        )
        return Measurement(
            value=-bend, angle_deg=angle_deg(sh, hip, knee), side="none", extras=extras, unjudged=unjudged
        )

    def frame_faults(self, sample: Sample) -> list[str]:
        if not sample.m.extras["steep"] and sample.m.extras["bend_deg"] <= -self.spec.threshold("overarch_deg"):
            return ["hips_overarched"]
        return []

    def looks_like(self, rep: RepRecord, samples: list[Sample]) -> str | None:
        """A movement that straightened the line without lifting the hips is a leg movement."""
        base = self._rest_hip.value
        heights = [s.m.extras["hip_height"] for s in samples]
        if base is None or not heights:
            return None
        if max(heights) - base < self.spec.threshold("hips_rise_min"):
            return "a leg raise or leg pull-in (the hips stayed on the floor)"
        return None

    def rep_faults(self, rep: RepRecord, samples: list[Sample]) -> list[str]:
        faults = []
        if -rep.peak > self.spec.threshold("top_bend_deg"):
            faults.append("hips_too_low")
        faults += super().rep_faults(rep, samples)
        if self._sagged(rep, samples):
            faults.append("hips_sagging")
        return faults

    def _sagged(self, rep: RepRecord, samples: list[Sample]) -> bool:
        """True when, inside the main hold (its last ``hold_end_ignore_s`` excluded), the bend
        stayed ``sag_deg`` above its best value so far for ``sag_min_s`` seconds; or when, after
        the top was reached, the hips settled that far below their best (see :meth:`_settled_low`)."""
        hold = rep.main_hold
        if hold is None:
            return False
        if self._settled_low(min(h.start_s for h in rep.holds), samples):
            return True
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

    def _settled_low(self, since_s: float, samples: list[Sample]) -> bool:
        """From ``since_s`` (the start of the first hold) to the end of the rep: the hips stayed
        ``sag_deg`` or more below the best line reached so far, and still there (the bend within
        ``sag_settle_deg`` of one level, on the filtered signal), for ``sag_min_s`` seconds. A sag
        that takes the hips out of the timed hold (the hold ends where they start to sink) is still
        a sag; the way down is a steady movement, never still for that long."""
        t = self.spec.threshold
        best = float("inf")
        run: list[tuple[float, float]] = []  # (t_s, bend) of the current low, still run
        for s in samples:
            if s.t_s < since_s or s.m.value is None:
                continue
            bend = -s.m.value
            best = min(best, bend)
            if bend < best + t("sag_deg"):
                run = []
                continue
            run.append((s.t_s, bend))
            while run and max(b for _, b in run) - min(b for _, b in run) > t("sag_settle_deg"):
                run.pop(0)
            if run and run[-1][0] - run[0][0] >= t("sag_min_s"):
                return True
        return False
