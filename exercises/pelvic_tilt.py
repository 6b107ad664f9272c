"""Pelvic tilt checker: several weak cues, each against the person's own resting jitter.

There is no pelvis or lumbar landmark, and a pelvic tilt moves the body by millimetres. What
a side camera can see, and how much, differs from person to person and camera to camera:

- ``hip``: the hip landmark sits on the pelvis, and as it tips the landmark moves up or down
  the picture relative to the shoulder by a few percent of the torso length (which way depends
  on the body and the model, so only the size counts);
- ``torso``: the shoulder-hip distance changes by a few percent (either way, likewise);
- ``bend``: for some people the thighs turn a few degrees with the pelvis (the shoulder-hip-knee
  bend changes, either way);
- ``flatten`` (with a person segmentation mask): the lower belly next to the hips flattens
  (only flattening counts: a belly getting thicker is a breath in, not a tilt).

Each cue is measured from the resting position learnt while the person lies still, in units
of its own resting jitter (a robust standard deviation, never below a floor); the activation is
the mean of the two strongest cues, so a change seen by one cue alone (a breath lifting the
belly, a hand moving the outline) must be twice as large to count. When the person lay still
in position but no tilt ever rose above that jitter, the report says the tilt could not be seen
from this camera rather than giving a silent 0. Hips rising off the floor are flagged, a big
lift is a bridge and a big bend change a knee pulled up: those are not counted.
"""

from __future__ import annotations

import math
from bisect import insort
from collections import deque
from statistics import median

from formcheck.core.calibration import RestEstimate, robust_rest
from formcheck.core.checker import ExerciseChecker, Measurement, Sample
from formcheck.core.events import Event, WarningEvent
from formcheck.core.geometry import angle_deg, distance, line_deviation_deg
from formcheck.core.landmarks import PoseFrame
from formcheck.core.outline import OUTLINE_FRACS, frame_outline
from formcheck.core.reps import RepRecord
from formcheck.core.sides import best_side

#: Raw per-frame values that are median-filtered and compared with the resting baseline.
_KEYS = (
    "bend_deg",
    "hip_rel",
    "torso_px",
    "hip_knee_px",
    "belly_px",
    "knee_x_left",
    "knee_y_left",
    "knee_x_right",
    "knee_y_right",
)


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
      :func:`formcheck.core.geometry.line_deviation_deg`);
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
    for s in (
        "left",
        "right",
    ):  # where each clearly seen knee is, from the shoulder (which stays down), in torso lengths
        if frame.is_visible(f"{s}_knee", 0.5):
            k = (frame.px(f"{s}_knee") - sh) / torso
            if math.isfinite(k[0]) and math.isfinite(k[1]):
                out[f"knee_x_{s}"], out[f"knee_y_{s}"] = float(k[0]), float(k[1])
    outline = frame.outline
    if outline is None and frame.segmentation is not None:
        outline = frame_outline(frame.segmentation, frame.xyz, frame.width, frame.height, frame.visibility)
    belly = belly_thickness(outline, *band)
    if belly is not None:
        out["belly_px"] = belly
    return out


#: The cues, and their noise floors (the smallest resting jitter assumed, in their units: % of the
#: resting torso length, degrees for the bend): a perfectly still rendered body must not make a
#: 0.1 % change a tilt.
CUE_FLOORS = {"hip": 0.4, "torso": 0.3, "flatten": 0.15, "bend": 1.0}


def cue_values(sig: dict[str, float], base: dict[str, float]) -> dict[str, float]:
    """The cues of one frame: % of the resting torso length, the bend in degrees (see the module docstring)."""
    torso = base["torso_px"]
    out = {"hip": 100.0 * sig["hip_rel"], "torso": 100.0 * sig["torso_px"] / torso, "bend": sig["bend_deg"]}
    if "belly_px" in sig and "belly_px" in base:
        out["flatten"] = 100.0 * (base["belly_px"] - sig["belly_px"]) / torso
    return out


class PelvicTiltChecker(ExerciseChecker):
    """Counts held pelvic tilts; faults: hips_lifted, hold_too_short; warns tilt_not_seen."""

    key_joints = ("shoulder", "hip", "knee")
    #: a file is analysed at every frame, never strided (media.pipeline): the cues are compared with
    #: their resting jitter measured frame by frame after a 0.2 s median, and that jitter depends on
    #: how many frames the median holds (half the frames: up to 3x the jitter, tilts missed)
    full_rate = True

    def __init__(self, spec):
        self._base: dict[str, float] | None = None  # resting raw values (medians)
        self._cue_rest: dict[str, tuple[float, float]] = {}  # cue -> (resting level, jitter), % torso
        self.source: str | None = None  # "outline" (segmentation mask) or "landmarks", chosen at calibration
        self._window: deque[tuple[float, dict[str, float]]] = deque()  # recent raw samples: the still window's
        self._recent: deque[tuple[float, dict[str, float]]] = deque()  # for the median filter
        super().__init__(spec)

    @property
    def calibrated(self) -> bool:
        return self._base is not None

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
        self._window.append((t, sig))
        while self._window and self._window[0][0] < t - th("calibrate_s"):
            self._window.popleft()
        shk = angle_deg(frame.px(f"{side}_shoulder"), frame.px(f"{side}_hip"), frame.px(f"{side}_knee"))
        return self.remeasure(Measurement(0.0, angle_deg=shk, extras=dict(sig)))

    def remeasure(self, m: Measurement) -> Measurement:
        """The activation of a measured frame against the current resting position."""
        if not self.calibrated:
            return Measurement(0.0, angle_deg=m.angle_deg, extras=m.extras)  # resting while the baseline is learnt
        extras = {k: v for k, v in m.extras.items() if k in _KEYS}
        value = self._activation(extras)
        return Measurement(value=value, angle_deg=m.angle_deg, extras=extras)

    def calibration_value(self, m: Measurement) -> float | None:
        """Stillness is judged on the hip's height relative to the shoulder (% torso)."""
        return 100.0 * m.extras["hip_rel"] if "hip_rel" in m.extras else None

    def accept_rest(self, rest: RestEstimate) -> bool:
        """Files: a still window found only after the person already moved is more likely the first
        tilt's hold than the rest (a hold is as still as a rest). When the first moments in position
        were still for at least ``early_rest_s`` at a clearly different hip height, those moments are
        the resting position: the guide asks for a still start, and a clip rarely starts mid-tilt."""
        if self.offline and self.rest is None:
            early = self._first_still_moments(rest)
            if early:
                self._window = deque(early)
        return True

    def _first_still_moments(self, rest: RestEstimate) -> list[tuple[float, dict[str, float]]] | None:
        """The still run of frames the file began with, if it ended before the still window of ``rest``
        began and sat more than ``calibrate_still`` away from it (see :meth:`accept_rest`)."""
        th = self.spec.threshold
        start = rest.t_s - th("calibrate_s")
        still = th("calibrate_still")
        run: list[tuple[float, dict[str, float]]] = []
        values: list[float] = []
        for t, m in self._pending:
            if t >= start:
                break
            value = None if m is None else self.calibration_value(m)
            if value is None or not math.isfinite(value) or (run and t - run[-1][0] > 0.5):
                break
            insort(values, value)  # kept sorted: the spread is read off it as the run grows
            if len(values) > 1:
                lo, hi = values[int(0.1 * (len(values) - 1))], values[int(0.9 * (len(values) - 1))]
                if hi - lo > still:
                    break
            assert m is not None
            run.append((t, {k: v for k, v in m.extras.items() if k in _KEYS}))
        if not run or run[-1][0] - run[0][0] < th("early_rest_s"):
            return None
        level = median(100.0 * s["hip_rel"] for _, s in run if "hip_rel" in s)
        return run if abs(level - rest.level) > still else None

    def on_calibrated(self) -> None:
        """The resting position: medians and jitter of every cue over the still window."""
        samples = [s for _, s in self._window]
        if not samples:
            return
        base = {k: median([s[k] for s in samples if k in s]) for k in _KEYS if any(k in s for s in samples)}
        if "torso_px" not in base or "hip_rel" not in base:
            return
        with_outline = sum("belly_px" in s for s in samples)
        self.source = "outline" if with_outline >= 0.8 * len(samples) else "landmarks"
        if self.source == "landmarks":
            base.pop("belly_px", None)
        self._base = base
        cues = [cue_values(s, base) for s in samples if "torso_px" in s and "hip_rel" in s]
        before, self._cue_rest = self._cue_rest, {}
        for name, floor in CUE_FLOORS.items():
            est = robust_rest([c[name] for c in cues if name in c])
            if est is not None:
                # the jitter never shrinks at a later rest: one still window may catch only part of a
                # breath, and every rest seen so far shows how much this body wobbles when still
                old = before.get(name, (0.0, 0.0))[1]
                self._cue_rest[name] = (est.level, max(floor, est.noise, old))

    def _activation(self, sig: dict[str, float]) -> float | None:
        """Mean of the two strongest cues, each in units of its resting jitter (see the module docstring)."""
        base = self._base
        assert base is not None
        if "torso_px" not in sig or "hip_rel" not in sig:
            return None
        if self.source == "outline" and "belly_px" not in sig:
            return None  # outline expected but missing in this frame
        z = []
        for name, value in cue_values(sig, base).items():
            if name not in self._cue_rest:
                continue
            level, jitter = self._cue_rest[name]
            change = value - level
            z.append(max(0.0, change) / jitter if name == "flatten" else abs(change) / jitter)
        z.sort(reverse=True)
        sig["hip_lift"] = base["hip_rel"] - sig["hip_rel"]
        sig["change_deg"] = sig["bend_deg"] - base["bend_deg"]
        moves = [
            math.hypot(sig[f"knee_x_{s}"] - base[f"knee_x_{s}"], sig[f"knee_y_{s}"] - base[f"knee_y_{s}"])
            for s in ("left", "right")
            if f"knee_x_{s}" in sig and f"knee_x_{s}" in base
        ]
        if moves:
            sig["knee_move"] = max(moves)
        if not z:
            return None
        return (z[0] + (z[1] if len(z) > 1 else 0.0)) / 2.0

    # ------------------------------------------------------------------ judging
    def frame_faults(self, sample: Sample) -> list[str]:
        if sample.m.extras.get("hip_lift", 0.0) > self.spec.threshold("hips_lift_frac"):
            return ["hips_lifted"]
        return []

    def looks_like(self, rep: RepRecord, samples: list[Sample]) -> str | None:
        th = self.spec.threshold
        lift = max((s.m.extras.get("hip_lift", 0.0) for s in samples), default=0.0)
        change = [s.m.extras.get("change_deg", 0.0) for s in samples]
        if lift >= th("bridge_lift_frac"):
            return "a glute bridge"
        knee = max((s.m.extras.get("knee_move", 0.0) for s in samples), default=0.0)
        if max(change, default=0.0) >= th("knee_flex_deg") or knee >= th("knee_move_frac"):
            return "knee-to-chest or another leg movement"
        if min(change, default=0.0) <= -th("bridge_bend_drop_deg") and lift >= th("hips_lift_frac"):
            return "a glute bridge"  # hips up into a straight line (a knee drawn past the chest also flips the bend: checked above)
        return None

    def _no_rep_warning(self) -> WarningEvent | None:
        w = super()._no_rep_warning()
        if w is not None and w.code == "no_reps" and self.calibrated:
            return WarningEvent(
                "tilt_not_seen",
                "Could not see a pelvic tilt: whatever moved stayed within the jitter of your "
                "resting position as this camera sees it. The tilt is a small movement; count and time your "
                "holds yourself, and check the camera advice (side view, close-fitting clothes).",
            )
        return w

    def finish(self) -> list[Event]:
        events = super().finish()
        if self.source == "landmarks" and self.ever_ready:
            w = WarningEvent(
                "could_not_judge",
                "Could not see the outline of your belly and lower back (no body mask), "
                "so tilts were judged from the hip and torso landmarks alone: the count is less reliable.",
            )
            self.warnings.append(w)
            events.append(w)
        return events
