"""Pelvic tilt checker: a small change of the body's outline from the person's own rest, held.

There is no pelvis or lumbar landmark, and the joint centres hardly move in a pelvic tilt.
What a side camera does see is the outline: as the pelvis tips back, the lower belly
flattens. With a person segmentation mask the pipeline stores, per frame, the torso outline
(:func:`formcheck.outline.torso_outline`: the mask's extent either side of the
shoulder-hip line); this checker takes the torso's thickness over the lower part of that
line (next to the hips), calibrates it while the person lies still, and counts a tilt when
the thickness drops by a few percent of the torso length (:func:`outline_flattening`).

Without a mask (old tracks, or a pose model run without segmentation) it falls back to the
landmarks: the hip landmark shifts a few pixels towards the shoulder and away from the knee
as the pelvis tips (:func:`hip_shift`), and for some people the thigh turns a few degrees
(the shoulder-hip-knee bend changes); that is near the model's jitter, so the checker says
the count is less reliable. Either way, hips rising off the floor also drive the count (a
tilt with the hips lifted is a fault), a big lift is a bridge and a big bend change a knee
pulled up: those are not counted.
"""

from __future__ import annotations

import math
from collections import deque
from statistics import median

from formcheck.checker import ExerciseChecker, Measurement, Sample
from formcheck.events import Event, WarningEvent
from formcheck.geometry import angle_deg, distance, line_deviation_deg
from formcheck.landmarks import PoseFrame
from formcheck.outline import OUTLINE_FRACS, frame_outline
from formcheck.reps import RepRecord, RepThresholds
from formcheck.sides import best_side

#: Raw per-frame values that are median-filtered and compared with the resting baseline.
_KEYS = ("bend_deg", "hip_rel", "torso_px", "hip_knee_px", "belly_px")


def belly_thickness(outline: dict | None, lo: float, hi: float) -> float | None:
    """Mean torso thickness (mask extent up + down, pixels) at the outline positions between
    ``lo`` and ``hi`` (fractions of the way from the hip to the shoulder); ``None`` if unknown."""
    if not outline:
        return None
    try:
        vals = [u + d for f, u, d in zip(OUTLINE_FRACS, outline["up"], outline["down"]) if lo - 1e-9 <= f <= hi + 1e-9]
    except (KeyError, TypeError):
        return None
    vals = [v for v in vals if v is not None and math.isfinite(v)]
    return sum(vals) / len(vals) if vals else None


def pelvic_tilt_signal(frame: PoseFrame, side: str, band: tuple[float, float] = (0.1, 0.3)) -> dict[str, float] | None:
    """The raw per-frame values the pelvic-tilt count is built on, for one body ``side``.

    - ``bend_deg``: signed bend at the hip away from the shoulder-knee line (degrees;
      :func:`formcheck.geometry.line_deviation_deg`);
    - ``hip_rel``: how far the hip sits below the shoulder, in torso lengths (image y down);
      it drops when the hips lift off the floor;
    - ``torso_px``, ``hip_knee_px``: shoulder-hip and hip-knee distances (pixels);
    - ``belly_px`` (only with a body outline): torso thickness next to the hips (pixels;
      :func:`belly_thickness` over ``band``).
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
    out = {"bend_deg": bend, "hip_rel": hip_rel, "torso_px": torso, "hip_knee_px": distance(hip, knee)}
    outline = frame.outline
    if outline is None and frame.segmentation is not None:
        outline = frame_outline(frame.segmentation, frame.xyz, frame.width, frame.height, frame.visibility)
    belly = belly_thickness(outline, *band)
    if belly is not None:
        out["belly_px"] = belly
    return out


def outline_flattening(sig: dict[str, float], base: dict[str, float]) -> float | None:
    """How much thinner the torso is next to the hips than at rest, in % of the resting torso length."""
    if "belly_px" not in sig or "belly_px" not in base:
        return None
    return 100.0 * (base["belly_px"] - sig["belly_px"]) / base["torso_px"]


def hip_shift(sig: dict[str, float], base: dict[str, float]) -> float:
    """How far the hip landmark moved up the body from rest (towards the shoulder, away from
    the knee), in % of the resting torso length (landmark fallback)."""
    return 100.0 * ((base["torso_px"] - sig["torso_px"]) + (sig["hip_knee_px"] - base["hip_knee_px"])) / base["torso_px"]


class PelvicTiltChecker(ExerciseChecker):
    """Counts held pelvic tilts; faults: hips_lifted, hold_too_short."""

    key_joints = ("shoulder", "hip", "knee")

    def __init__(self, spec):
        self._base: dict[str, float] | None = None
        self.source: str | None = None  # "outline" (segmentation mask) or "landmarks", chosen at calibration
        self._calib: list[tuple[float, dict[str, float]]] = []       # samples while calibrating
        self._rest: deque[tuple[float, dict[str, float]]] = deque()  # recent samples outside holds, for re-baselining
        self._recent: deque[tuple[float, dict[str, float]]] = deque()  # for the median filter
        super().__init__(spec)

    @property
    def calibrated(self) -> bool:
        return self._base is not None

    # ------------------------------------------------------------------ thresholds
    def rep_thresholds(self) -> RepThresholds:
        t = self.spec.threshold
        p = "landmark_" if getattr(self, "source", None) == "landmarks" else ""
        return RepThresholds(t(p + "rest_enter"), t(p + "rest_exit"), t(p + "attempt"), t(p + "top_exit"), t(p + "top_enter"))

    # ------------------------------------------------------------------ measuring
    def _filtered(self, t: float, sig: dict[str, float]) -> dict[str, float]:
        self._recent.append((t, sig))
        while self._recent and self._recent[0][0] < t - self.spec.threshold("signal_median_s"):
            self._recent.popleft()
        out = {}
        for k in _KEYS:
            vals = [s[k] for _, s in self._recent if k in s]
            if k in sig and vals:
                out[k] = median(vals)
        return out

    def measure(self, frame: PoseFrame) -> Measurement:
        side = best_side(frame, ("shoulder", "hip", "knee"), previous=self.measured_side)
        if side is None:
            return Measurement(None)
        self.measured_side = side
        th = self.spec.threshold
        raw = pelvic_tilt_signal(frame, side, (th("belly_from"), th("belly_to")))
        if raw is None:
            return Measurement(None)
        t = frame.t_s
        sig = self._filtered(t, raw)
        shk = angle_deg(frame.px(f"{side}_shoulder"), frame.px(f"{side}_hip"), frame.px(f"{side}_knee"))
        extras = dict(sig)
        if not self.calibrated:
            return Measurement(0.0, angle_deg=shk, extras=extras)  # resting while the baseline is learnt
        value = self._activation(sig, extras)
        if value is None:  # outline expected but missing in this frame
            return Measurement(None, angle_deg=shk, extras=extras)
        if self._maybe_rebaseline(t, sig, value):
            extras["rebaselined"] = 1.0
        return Measurement(value=value, angle_deg=shk, extras=extras)

    def _activation(self, sig: dict[str, float], extras: dict[str, float]) -> float | None:
        """The largest of the tilt signal, the hip rise and the bend change (see the TOML), % of the resting torso length."""
        base = self._base
        assert base is not None
        th = self.spec.threshold
        if self.source == "outline":
            tilt = outline_flattening(sig, base)
            if tilt is None:
                return None
            extras["flatten_pct"] = tilt
        else:  # fallback: the hip landmark shifting up the body, or the thigh turning (bend change)
            shift = hip_shift(sig, base)
            extras["hip_shift_pct"] = shift
            tilt = max(shift, abs(sig["bend_deg"] - base["bend_deg"]) / th("landmark_bend_deg_per_unit"))
        lift = base["hip_rel"] - sig["hip_rel"]
        change = sig["bend_deg"] - base["bend_deg"]
        extras["hip_lift"] = lift
        extras["change_deg"] = change
        lift_term = max(0.0, 100.0 * lift - th("lift_ignore_pct"))
        bend_term = max(0.0, abs(change) - th("bend_ignore_deg")) / th("bend_deg_per_unit")
        return max(tilt, lift_term, bend_term)

    def _maybe_rebaseline(self, t: float, sig: dict[str, float], value: float) -> bool:
        """Re-measure the resting position after ``rebaseline_s`` of lying still outside a hold
        (the person settled into a slightly different position). True when it did."""
        th = self.spec.threshold
        if self._rest and t - self._rest[-1][0] > 0.5:
            self._rest.clear()
        if not self.ready or self.machine.current is not None or value >= self.machine.th.attempt:
            self._rest.clear()  # only a still, ready person between reps is a resting position
            return False
        self._rest.append((t, {**sig, "value": value}))
        while self._rest and self._rest[0][0] < t - th("rebaseline_s"):
            self._rest.popleft()
        if t - self._rest[0][0] < th("rebaseline_s") * 0.95:
            return False
        vals = sorted(s["value"] for _, s in self._rest)
        lo, hi = vals[len(vals) // 10], vals[(9 * len(vals)) // 10]
        if hi - lo > th("landmark_still_range" if self.source == "landmarks" else "still_range"):
            return False
        self._set_baseline([s for _, s in self._rest])
        self._rest.clear()
        return True

    def on_rest_sample(self, t_s: float, m: Measurement) -> None:
        """First calibration: the median over the first ``calibrate_s`` of ready rest."""
        if self.calibrated:
            return
        if self._calib and t_s - self._calib[-1][0] > 0.5:
            self._calib = []  # not continuous: start again
        self._calib.append((t_s, dict(m.extras)))
        if t_s - self._calib[0][0] >= self.spec.threshold("calibrate_s"):
            samples = [s for _, s in self._calib]
            with_outline = sum("belly_px" in s for s in samples)
            self.source = "outline" if with_outline >= 0.8 * len(samples) else "landmarks"
            self._set_baseline(samples)
            self._calib = []

    def _set_baseline(self, samples: list[dict[str, float]]) -> None:
        base = {}
        for k in _KEYS:
            vals = [s[k] for s in samples if k in s]
            if vals:
                base[k] = median(vals)
        self._base = base

    # ------------------------------------------------------------------ judging
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

    def finish(self) -> list[Event]:
        events = super().finish()
        if self.source == "landmarks" and self.ever_ready:
            w = WarningEvent("could_not_judge", "Could not see the outline of your belly and lower back (no body mask), "
                             "so tilts were judged from a shift of a few pixels of the hip landmark: the count is less reliable.")
            self.warnings.append(w)
            events.append(w)
        return events
