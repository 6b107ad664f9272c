"""The analysis report: a dataclass with a stable JSON shape, CSV export and a readable summary. Pure module.

The JSON (``report_version`` 2) says which formcheck made it and when (``formcheck_version``,
``analysed_at``: ISO 8601, UTC) and names the exercise's key angle with its unit
(``key_angle``: ``{"name": "shoulder-hip-knee", "unit": "deg"}``); each rep carries that angle at
its top (``key_angle_deg``: the median over the hold).

Example:
    >>> from formcheck.core.events import RepEvent
    >>> r = Report("bridge", "clip.mp4", 10.0, 30.0, 300, 300, key_angle_name="shoulder-hip-knee",
    ...            reps=[RepEvent(1, 1.0, 2.0, 5.0, 2.5, "none", True)],
    ...            trace=[(2.0, 170.0, 0.9), (3.0, 176.0, 1.0), (4.5, 175.0, 1.0), (6.0, 140.0, 0.0)])
    >>> d = r.to_dict()
    >>> d["key_angle"], d["rep_events"][0]["key_angle_deg"]
    ({'name': 'shoulder-hip-knee', 'unit': 'deg'}, 175.0)
"""

from __future__ import annotations

import bisect
import csv
import dataclasses
import io
import json
import math
import statistics
from dataclasses import dataclass, field
from datetime import UTC, datetime

from formcheck.core import __version__
from formcheck.core.events import FaultEvent, HoldEvent, RepEvent, WarningEvent

#: 2: ``formcheck_version``, ``analysed_at``, ``key_angle`` (name and unit); a rep's
#: ``key_angle_deg`` replaces the bare ``peak`` of version 1.
REPORT_VERSION = 2
#: The unit of every key angle and of the trace.
KEY_ANGLE_UNIT = "deg"


def utc_now() -> str:
    """Now as ISO 8601 in UTC, to the second (``2026-11-30T05:12:00Z``)."""
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def angle_over(
    trace: list[tuple[float, float | None, float | None]], start_s: float | None, end_s: float | None
) -> float | None:
    """The median key angle of ``trace`` (time-sorted ``(t_s, angle_deg, value)``) from
    ``start_s`` to ``end_s``, or at the sample nearest ``start_s`` when none lies between;
    None without a finite angle there."""
    if start_s is None or not trace:
        return None
    end_s = start_s if end_s is None or end_s < start_s else end_s
    times = [t for t, _, _ in trace]
    lo, hi = bisect.bisect_left(times, start_s), bisect.bisect_right(times, end_s)
    inside = [a for _, a, _ in trace[lo:hi] if a is not None and math.isfinite(a)]
    if inside:
        return float(statistics.median(inside))
    near = [i for i in (lo - 1, lo) if 0 <= i < len(trace)]
    near = [i for i in near if trace[i][1] is not None and math.isfinite(trace[i][1])]  # type: ignore[arg-type]
    if not near:
        return None
    best = min(near, key=lambda i: abs(trace[i][0] - start_s))
    return float(trace[best][1])  # type: ignore[arg-type]


def finite_json(obj):
    """``obj`` with every NaN or infinite float replaced by ``None`` (JSON ``null``), so that
    ``json.dumps(..., allow_nan=False)`` always succeeds and strict parsers accept the output."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: finite_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [finite_json(v) for v in obj]
    return obj


def summarise_faults(faults, cue_for: dict[str, str] | None = None) -> list[dict]:
    """Fault events (:class:`FaultEvent` or their dicts) → ``[{"code", "count", "cue"}]``, one per
    code in order of first appearance; the cue is ``cue_for[code]`` or the first event's message.

    Example:
        >>> summarise_faults([{"code": "hips_too_low", "message": "Lift higher"}, {"code": "hips_too_low", "message": "x"}])
        [{'code': 'hips_too_low', 'count': 2, 'cue': 'Lift higher'}]
    """
    cue_for = cue_for or {}
    out: dict[str, dict] = {}
    for f in faults:
        code = f["code"] if isinstance(f, dict) else f.code
        message = (f.get("message") if isinstance(f, dict) else f.message) or ""
        entry = out.setdefault(code, {"code": code, "count": 0, "cue": cue_for.get(code, message)})
        entry["count"] += 1
    return list(out.values())


def _round(x, nd: int = 3):
    """``x`` rounded, or ``None`` when it is not a finite number."""
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return round(x, nd) if math.isfinite(x) else None


@dataclass
class Report:
    """What one analysed video or live set produced. Times are seconds of video time."""

    exercise: str
    source: str
    duration_s: float
    fps: float
    frames: int
    frames_with_pose: int
    reps: list[RepEvent] = field(default_factory=list)
    holds: list[HoldEvent] = field(default_factory=list)
    faults: list[FaultEvent] = field(default_factory=list)
    warnings: list[WarningEvent] = field(default_factory=list)
    target_reps: int = 0
    target_hold_s: float = 0.0
    model: str = ""
    trace: list[tuple[float, float | None, float | None]] = field(default_factory=list)
    key_angle_name: str = ""
    analysed_at: str = field(default_factory=utc_now)
    formcheck_version: str = __version__

    @property
    def good_reps(self) -> int:
        return sum(r.good for r in self.reps)

    def reps_by_side(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.reps:
            out[r.side] = out.get(r.side, 0) + 1
        return out

    def rep_events(self) -> list[RepEvent]:
        """The reps, each with its key angle at the top (from the trace, unless already set)."""
        out = []
        for r in self.reps:
            if r.key_angle_deg is None and r.top_s is not None:
                top_end = r.top_s + max(0.0, r.hold_s or 0.0)
                r = dataclasses.replace(r, key_angle_deg=angle_over(self.trace, r.top_s, top_end))
            out.append(r)
        return out

    def to_dict(self, include_trace: bool = False) -> dict:
        d = {
            "formcheck_version": self.formcheck_version,
            "analysed_at": self.analysed_at,
            "exercise": self.exercise,
            "source": self.source,
            "duration_s": _round(self.duration_s),
            "fps": _round(self.fps),
            "frames": self.frames,
            "frames_with_pose": self.frames_with_pose,
            "reps": len(self.reps),
            "good_reps": self.good_reps,
            "reps_by_side": self.reps_by_side(),
            "target_reps": self.target_reps,
            "target_hold_s": self.target_hold_s,
            "key_angle": {"name": self.key_angle_name, "unit": KEY_ANGLE_UNIT},
            "rep_events": [r.to_dict() for r in self.rep_events()],
            "holds": [h.to_dict() for h in self.holds],
            "faults": [f.to_dict() for f in self.faults],
            "warnings": [w.to_dict() for w in self.warnings],
            "model": self.model,
            "report_version": REPORT_VERSION,
        }
        if include_trace:
            d["trace"] = {
                "key_angle_name": self.key_angle_name,
                "unit": KEY_ANGLE_UNIT,
                "t_s": [_round(t) for t, _, _ in self.trace],
                "angle_deg": [_round(a, 2) for _, a, _ in self.trace],
            }
        return finite_json(d)

    def to_json(self, include_trace: bool = False) -> str:
        """The report as strict JSON (never ``NaN`` or ``Infinity``: non-finite numbers are ``null``)."""
        return json.dumps(self.to_dict(include_trace), indent=2, allow_nan=False)

    def to_csv(self) -> str:
        """One row per rep: index, start, top, end, hold (s), side, good, faults (``;``-joined)."""
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(["exercise", "source", "rep", "start_s", "top_s", "end_s", "hold_s", "side", "good", "faults"])
        for r in self.reps:
            d = finite_json(r.to_dict())  # a non-finite number is an empty cell, never "nan"
            w.writerow(
                [
                    self.exercise,
                    self.source,
                    d["index"],
                    d["start_s"],
                    d["top_s"],
                    d["end_s"],
                    d["hold_s"],
                    d["side"],
                    "yes" if d["good"] else "no",
                    ";".join(d["faults"]),
                ]
            )
        return buf.getvalue()

    def summary(self) -> str:
        """A short human-readable summary for the terminal."""
        lines = [
            f"{self.exercise}: {len(self.reps)} reps, {self.good_reps} with good form"
            f"  ({self.source}, {self.duration_s:.1f} s, person seen in {self.frames_with_pose}/{self.frames} frames)"
        ]
        sides = self.reps_by_side()
        if set(sides) - {"none"}:
            lines.append("  per side: " + ", ".join(f"{k} {v}" for k, v in sorted(sides.items())))
        for r in self.reps:
            status = "good" if r.good else "needs work: " + ", ".join(r.faults)
            top = "-" if r.top_s is None else f"{r.top_s:.1f}"
            side = "" if r.side == "none" else f" {r.side}"
            lines.append(
                f"  rep {r.index}{side}: {r.start_s:.1f}-{r.end_s:.1f} s, top {top} s, hold {r.hold_s:.1f} s — {status}"
            )
        for f in summarise_faults(self.faults):
            lines.append(f"  tip ({f['code']}): {f['cue']}")
        for w in self.warnings:
            lines.append(f"  note ({w.code}): {w.message}")
        return "\n".join(lines)
