"""Progress that means something: per set, the longest hold and the range of motion reached. Pure module.

The range of motion is the exercise's key angle at the top of each repetition (the middle of its
hold, else its top): the bridge's shoulder-hip-knee line, the bird-dog's limb height above
hanging, the knee-to-chest's hip flexion. The set's value is the median over its repetitions,
so one wild frame of pose noise does not make a record.

Example:
    >>> set_progress({"holds": [{"duration_s": 2.5}, {"duration_s": 3.1}],
    ...               "rep_events": [{"top_s": 1.0, "start_s": 0.5, "end_s": 2.0}],
    ...               "trace": {"t_s": [0.9, 1.0, 1.1], "angle_deg": [160.0, 170.0, 171.0]}})
    {'best_hold_s': 3.1, 'rom_deg': 170.0}
"""

from __future__ import annotations

import bisect
import math
from statistics import median
from typing import Any


def _num(x: Any) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def trace_of(report: Any) -> tuple[list[float], list[float | None]]:
    """(times, key angles) of a :class:`~formcheck.core.report.Report` or its ``to_dict(include_trace=True)``."""
    if isinstance(report, dict):
        tr = report.get("trace") or {}
        return list(tr.get("t_s") or []), list(tr.get("angle_deg") or [])
    rows = list(getattr(report, "trace", None) or [])
    return [r[0] for r in rows], [r[1] for r in rows]


def angle_at(ts: list[float], angles: list[float | None], t: float, within_s: float = 0.25) -> float | None:
    """The key angle nearest to time ``t`` (at most ``within_s`` away), or None."""
    if not ts:
        return None
    i = bisect.bisect_left(ts, t)
    best = None
    for j in (i - 1, i, i + 1):
        if 0 <= j < len(ts) and _num(angles[j]) is not None and _num(ts[j]) is not None and abs(ts[j] - t) <= within_s:
            if best is None or abs(ts[j] - t) < abs(ts[best] - t):
                best = j
    return None if best is None else _num(angles[best])


def rep_top_angles(report: Any) -> list[float | None]:
    """The key angle at the top of each repetition (None where it was not seen)."""
    d = (
        report
        if isinstance(report, dict)
        else {"rep_events": [r.to_dict() for r in report.reps], "holds": [h.to_dict() for h in report.holds]}
    )
    ts, angles = trace_of(report)
    holds = {h.get("rep"): h for h in d.get("holds") or [] if isinstance(h, dict)}
    out = []
    for r in d.get("rep_events") or []:
        h = holds.get(r.get("index"))
        t = None
        if h and _num(h.get("start_s")) is not None and _num(h.get("end_s")) is not None:
            t = (h["start_s"] + h["end_s"]) / 2
        t = t if t is not None else _num(r.get("top_s"))
        out.append(None if t is None else angle_at(ts, angles, t))
    return out


def set_progress(report: Any) -> dict[str, float | None]:
    """``best_hold_s`` (longest hold, s) and ``rom_deg`` (median key angle at the tops, degrees) of a set."""
    holds = report.get("holds") if isinstance(report, dict) else [h.to_dict() for h in getattr(report, "holds", [])]
    durations = [v for v in (_num(h.get("duration_s")) for h in holds or [] if isinstance(h, dict)) if v is not None]
    tops = [a for a in rep_top_angles(report) if a is not None]
    return {
        "best_hold_s": round(max(durations), 2) if durations else None,
        "rom_deg": round(median(tops), 1) if tops else None,
    }
