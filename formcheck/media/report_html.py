"""One self-contained HTML page per set, for the person and their physiotherapist.

Inline CSS, an inline SVG plot of the key angle (repetitions, holds and faults marked), a table per
repetition, each fault with its time and cue, pain before and after, and the trend of the last
sessions of that exercise from the history. It opens offline and prints well to PDF from a browser.
No names, file names or video are inside; a small picture of each repetition only when asked
for (``thumbnails``). ``formcheck report`` and the app's download button both call
:func:`render_report`, so the same inputs give the same file.
"""

from __future__ import annotations

import base64
import html
import math
from pathlib import Path
from typing import Any

from formcheck.core.progress import set_progress, trace_of

SOURCE_WORDS = {
    "live": "live camera set",
    "upload": "recorded video",
    "sample": "sample clip",
    "video": "recorded video",
    "track": "landmark track",
}
#: Thumbnail width in pixels (small: the page stays light and prints on one or two sheets).
THUMB_W = 160

CSS = (
    """
:root{--fg:#111;--bg:#fff;--muted:#555;--good:#1b5e20;--bad:#b71c1c;--hold:#0d47a1;--line:#222;--band:#eee}
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:var(--fg);
 background:var(--bg);max-width:60rem;margin:1.5rem auto;padding:0 1rem}
h1{font-size:1.6rem;margin:0 0 .2rem}h2{font-size:1.15rem;margin:1.4rem 0 .4rem;border-bottom:2px solid #ccc}
.muted{color:var(--muted)}.note{border-left:4px solid #999;padding:.3rem .7rem;background:#f6f6f6;margin:.4rem 0}
.kpis{display:flex;flex-wrap:wrap;gap:.6rem;margin:.6rem 0}
.kpi{border:1px solid #bbb;border-radius:.4rem;padding:.35rem .7rem;min-width:8rem}
.kpi b{display:block;font-size:1.5rem}
table{border-collapse:collapse;width:100%;margin:.4rem 0}
th,td{border:1px solid #bbb;padding:.3rem .45rem;text-align:left;vertical-align:middle}
th{background:#f0f0f0}td.num{text-align:right;font-variant-numeric:tabular-nums}
.good{color:var(--good);font-weight:600}.bad{color:var(--bad);font-weight:600}
img.thumb{width:"""
    + str(THUMB_W)
    + """px;height:auto;display:block}
svg{width:100%;height:auto;border:1px solid #ccc}
footer{margin-top:2rem;font-size:.85rem;color:var(--muted)}
@media print{body{margin:0;max-width:none;font-size:11pt}h2{break-after:avoid}tr,.kpi,svg{break-inside:avoid}
 *{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
"""
)


def _e(x: Any) -> str:
    return html.escape(str(x), quote=True)


def _num(x: Any) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _s(x: Any, nd: int = 1, unit: str = "") -> str:
    v = _num(x)
    return "—" if v is None else f"{v:.{nd}f}{unit}"


def plot_svg(report: dict, cue_for: dict[str, str], width: int = 860, height: int = 280) -> str:
    """The key angle over time as an inline SVG: shaded repetitions (green good, red needs work),
    holds as blue bars along the bottom, faults as red triangles with their time."""
    ts, angles = trace_of(report)
    pts = [
        (float(t), float(a))
        for t, a in zip(ts, angles)
        if t is not None and a is not None and _num(t) is not None and _num(a) is not None
    ]
    name = (report.get("trace") or {}).get("key_angle_name") or "key angle"
    if len(pts) < 2:
        return "<p class='muted'>No key angle was recorded for this set, so there is no plot.</p>"
    left, right, top, bottom = 52, 12, 14, 40
    t0, t1 = pts[0][0], max(pts[-1][0], pts[0][0] + 1e-3)
    lo, hi = min(a for _, a in pts), max(a for _, a in pts)
    pad = max(2.0, 0.08 * (hi - lo))
    lo, hi = lo - pad, hi + pad
    pw, ph = width - left - right, height - top - bottom

    def x(t: float) -> float:
        return left + (t - t0) / (t1 - t0) * pw

    def y(a: float) -> float:
        return top + (hi - a) / (hi - lo) * ph

    out = [
        f"<svg viewBox='0 0 {width} {height}' role='img' aria-labelledby='plot-title' "
        f"xmlns='http://www.w3.org/2000/svg' font-family='sans-serif' font-size='12'>",
        f"<title id='plot-title'>{_e(name)} angle over time, with repetitions, holds and faults marked</title>",
        f"<rect x='{left}' y='{top}' width='{pw}' height='{ph}' fill='#fff' stroke='#999'/>",
    ]
    for r in report.get("rep_events") or []:
        a, b = _num(r.get("start_s")), _num(r.get("end_s"))
        if a is None or b is None:
            continue
        colour = "#2e7d32" if r.get("good") else "#c62828"
        out.append(
            f"<rect class='rep-band' x='{x(a):.1f}' y='{top}' width='{max(1.0, x(b) - x(a)):.1f}' height='{ph}' "
            f"fill='{colour}' fill-opacity='0.16'><title>Rep {_e(r.get('index'))}: "
            f"{'good form' if r.get('good') else 'needs work'}</title></rect>"
        )
        out.append(
            f"<text x='{x(a) + 3:.1f}' y='{top + 13}' fill='{colour}' font-weight='bold'>Rep {_e(r.get('index'))}</text>"
        )
    for h in report.get("holds") or []:
        a, b = _num(h.get("start_s")), _num(h.get("end_s"))
        if a is None or b is None:
            continue
        out.append(
            f"<rect class='hold-bar' x='{x(a):.1f}' y='{top + ph - 7}' width='{max(1.0, x(b) - x(a)):.1f}' "
            f"height='6' fill='#0d47a1'><title>Hold {_s(h.get('duration_s'))} s</title></rect>"
        )
    # grid and axes
    for i in range(5):
        a = lo + (hi - lo) * i / 4
        out.append(
            f"<line x1='{left}' x2='{left + pw}' y1='{y(a):.1f}' y2='{y(a):.1f}' stroke='#ddd'/>"
            f"<text x='{left - 6}' y='{y(a) + 4:.1f}' text-anchor='end'>{a:.0f}°</text>"
        )
    step = _nice_step((t1 - t0) / 8)
    k = math.ceil(t0 / step)
    while k * step <= t1 + 1e-9:
        t = k * step
        out.append(
            f"<line x1='{x(t):.1f}' x2='{x(t):.1f}' y1='{top + ph}' y2='{top + ph + 4}' stroke='#555'/>"
            f"<text x='{x(t):.1f}' y='{top + ph + 17}' text-anchor='middle'>{t:g}</text>"
        )
        k += 1
    out.append(f"<text x='{left + pw / 2:.0f}' y='{height - 4}' text-anchor='middle'>time (s)</text>")
    line = " ".join(f"{x(t):.1f},{y(a):.1f}" for t, a in _thin(pts, 1200))
    out.append(f"<polyline points='{line}' fill='none' stroke='#222' stroke-width='1.6'/>")
    for f in report.get("faults") or []:
        tf = _num(f.get("t_s"))
        if tf is None:
            continue
        cx = x(min(max(tf, t0), t1))
        out.append(
            f"<path class='fault-mark' d='M{cx:.1f},{top + 2} l-6,-10 h12 z' transform='translate(0,10)' "
            f"fill='#b71c1c'><title>{_e(tf)} s: {_e(cue_for.get(f.get('code'), f.get('message', '')))}</title></path>"
        )
    out.append("</svg>")
    return "".join(out)


def _nice_step(raw: float) -> float:
    if raw <= 0 or not math.isfinite(raw):
        return 1.0
    mag = 10 ** math.floor(math.log10(raw))
    return next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)


def _thin(pts: list, n: int) -> list:
    step = max(1, math.ceil(len(pts) / n))
    return pts[::step]


def render_report(
    report: dict,
    *,
    exercise_name: str,
    cue_for: dict[str, str] | None = None,
    dose_text: str = "",
    day: str = "",
    source_kind: str = "video",
    pain_before: int | None = None,
    pain_after: int | None = None,
    trend: list[dict] | None = None,
    thumbnails: dict[int, str] | None = None,
    key_angle_words: str = "",
) -> str:
    """The HTML page for one set's ``report`` (``Report.to_dict(include_trace=True)``).

    ``trend``: earlier sets of the exercise from the history, oldest first (rows of
    :meth:`formcheck.app.history.History.list_sets`); ``thumbnails``: {rep index: data URI}.
    """
    cue_for = cue_for or {}
    reps = report.get("rep_events") or []
    holds = report.get("holds") or []
    durations = [v for v in (_num(h.get("duration_s")) for h in holds) if v is not None]
    reached = set_progress(report)
    angle_name = (report.get("trace") or {}).get("key_angle_name") or "key angle"
    paced = any(w.get("code") == "paced" for w in report.get("warnings") or [])
    p: list[str] = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>formcheck report: {_e(exercise_name)}{' — ' + _e(day) if day else ''}</title>",
        f"<style>{CSS}</style></head><body>",
        f"<h1>{_e(exercise_name)}</h1>",
        f"<p class='muted'>formcheck exercise report · {_e(day) or 'date not recorded'} · "
        f"{_e(SOURCE_WORDS.get(source_kind, source_kind))}{' · paced set' if paced else ''}</p>",
    ]
    if dose_text:
        p.append(f"<p><b>Dose:</b> {_e(dose_text)}</p>")
    kpis = [
        ("Repetitions", str(report.get("reps", len(reps)))),
        ("With good form", str(report.get("good_reps", 0))),
        ("Holds", str(len(holds))),
        ("Longest hold", _s(max(durations) if durations else None, 1, " s")),
        ("Mean hold", _s(sum(durations) / len(durations) if durations else None, 1, " s")),
        ("Length", _s(report.get("duration_s"), 0, " s")),
    ]
    if reached["rom_deg"] is not None:
        kpis.append((f"Reached ({angle_name})", _s(reached["rom_deg"], 0, "°")))
    if pain_before is not None or pain_after is not None:
        kpis.append(
            (
                "Pain before → after",
                f"{'—' if pain_before is None else pain_before} → {'—' if pain_after is None else pain_after} / 10",
            )
        )
    p.append(
        "<div class='kpis'>"
        + "".join(f"<div class='kpi'><span class='muted'>{_e(k)}</span><b>{_e(v)}</b></div>" for k, v in kpis)
        + "</div>"
    )
    if key_angle_words:
        p.append(f"<p class='muted'>{_e(key_angle_words)}</p>")
    # per-rep table
    p.append("<h2>Each repetition</h2>")
    if reps:
        has_thumbs = bool(thumbnails)
        head = (
            ["Rep"]
            + (["Picture at the top"] if has_thumbs else [])
            + [
                "Side",
                "Start (s)",
                "Hold (s)",
                "End (s)",
                f"{angle_name.capitalize()} at the top",
                "Form",
                "What to change",
            ]
        )
        from formcheck.core.progress import rep_top_angles

        tops = rep_top_angles(report)
        p.append(
            "<table id='reps'><caption class='muted'>Times are seconds from the start of the set.</caption><thead><tr>"
            + "".join(f"<th scope='col'>{_e(h)}</th>" for h in head)
            + "</tr></thead><tbody>"
        )
        for r, top in zip(reps, tops):
            idx = r.get("index")
            faults = r.get("faults") or []
            cells = [f"<td class='num'>{_e(idx)}</td>"]
            if has_thumbs:
                src = (thumbnails or {}).get(int(idx)) if idx is not None else None
                cells.append(
                    f"<td><img class='thumb' alt='Rep {_e(idx)} at the top' src='{src}'></td>"
                    if src
                    else "<td class='muted'>—</td>"
                )
            side = r.get("side")
            cells += [
                f"<td>{'—' if side in (None, 'none') else _e(side)}</td>",
                f"<td class='num'>{_s(r.get('start_s'))}</td>",
                f"<td class='num'>{_s(r.get('hold_s'))}</td>",
                f"<td class='num'>{_s(r.get('end_s'))}</td>",
                f"<td class='num'>{_s(top, 0, '°')}</td>",
                "<td class='good'>Good</td>" if r.get("good") else "<td class='bad'>Needs work</td>",
                f"<td>{_e(' '.join(cue_for.get(f, f.replace('_', ' ')) for f in faults) or '—')}</td>",
            ]
            p.append("<tr>" + "".join(cells) + "</tr>")
        p.append("</tbody></table>")
    else:
        p.append("<p>No repetitions were counted in this set.</p>")
    # plot
    p.append(f"<h2>{_e(angle_name.capitalize())} angle over time</h2>")
    p.append(
        "<p class='muted'>Shaded bands are repetitions (green: good form, red: needs work); blue bars along the "
        "bottom are holds; red triangles mark form faults.</p>"
    )
    p.append(f"<figure id='plot'>{plot_svg(report, cue_for)}</figure>")
    # faults
    p.append("<h2>Form faults</h2>")
    faults = report.get("faults") or []
    if faults:
        p.append(
            "<table id='faults'><thead><tr><th scope='col'>Time (s)</th><th scope='col'>Rep</th>"
            "<th scope='col'>Cue</th></tr></thead><tbody>"
        )
        for f in faults:
            p.append(
                f"<tr><td class='num'>{_s(f.get('t_s'))}</td><td class='num'>{_e(f.get('rep') or '—')}</td>"
                f"<td>{_e(cue_for.get(f.get('code'), f.get('message', '')))}</td></tr>"
            )
        p.append("</tbody></table>")
    else:
        p.append("<p>No form faults were seen.</p>")
    notes = report.get("warnings") or []
    if notes:
        p.append("<h2>Notes</h2>" + "".join(f"<p class='note'>{_e(w.get('message', ''))}</p>" for w in notes))
    # trend
    p.append("<h2>Recent sessions of this exercise</h2>")
    if trend:
        p.append(
            "<table id='trend'><thead><tr>"
            + "".join(
                f"<th scope='col'>{h}</th>"
                for h in (
                    "Date",
                    "Reps",
                    "Good form",
                    "Longest hold (s)",
                    f"{_e(angle_name)} reached",
                    "Pain before → after",
                )
            )
            + "</tr></thead><tbody>"
        )
        for s in trend:
            p.append(
                f"<tr><td>{_e(s.get('day', ''))}</td><td class='num'>{_e(s.get('reps', 0))}</td>"
                f"<td class='num'>{_e(s.get('good_reps', 0))}</td><td class='num'>{_s(s.get('best_hold_s'))}</td>"
                f"<td class='num'>{_s(s.get('rom_deg'), 0, '°')}</td>"
                f"<td>{'—' if s.get('pain_before') is None else _e(s['pain_before'])} → "
                f"{'—' if s.get('pain_after') is None else _e(s['pain_after'])}</td></tr>"
            )
        p.append("</tbody></table>")
    else:
        p.append("<p class='muted'>No earlier sessions of this exercise are in the history.</p>")
    made = (
        "from pose landmarks, with a small picture of each repetition because it was asked for"
        if thumbnails
        else "from pose landmarks (numbers only: no pictures, no names)"
    )
    p.append(
        f"<footer>Made by formcheck on this computer {made}. formcheck gives feedback on exercise form; it is not a "
        "diagnosis and does not replace a doctor or physiotherapist.</footer>"
    )
    p.append("</body></html>")
    return "\n".join(p) + "\n"


def rep_thumbnails(video: str | Path, report: dict, width: int = THUMB_W) -> dict[int, str]:
    """{rep index: JPEG data URI} of the video frame at the top of each repetition (the middle of
    its hold, else its top). Decodes the video once; a rep whose time is never reached gets none."""
    import cv2

    from formcheck.media.video import open_video

    holds = {h.get("rep"): h for h in report.get("holds") or []}
    want: list[tuple[float, int]] = []
    for r in report.get("rep_events") or []:
        h = holds.get(r.get("index"))
        t = (
            (h["start_s"] + h["end_s"]) / 2
            if h and _num(h.get("start_s")) is not None and _num(h.get("end_s")) is not None
            else _num(r.get("top_s"))
        )
        if t is not None:
            want.append((t, int(r["index"])))
    want.sort()
    out: dict[int, str] = {}
    if not want:
        return out
    i = 0
    with open_video(video, max_side=640) as reader:
        for t_s, image in reader:
            while i < len(want) and t_s >= want[i][0] - 1e-6:
                h, w = image.shape[:2]
                small = cv2.resize(image, (width, max(1, round(h * width / w))), interpolation=cv2.INTER_AREA)
                ok, buf = cv2.imencode(".jpg", small, [int(cv2.IMWRITE_JPEG_QUALITY), 70])
                if ok:
                    out[want[i][1]] = "data:image/jpeg;base64," + base64.b64encode(buf.tobytes()).decode("ascii")
                i += 1
            if i >= len(want):
                break
    return out


def spec_words(exercise: str) -> tuple[str, dict[str, str], str]:
    """(display name, {fault code: cue}, dose text) of an exercise; the id itself when it is unknown."""
    from formcheck.core.exercise import ExerciseError, get_exercise

    try:
        spec = get_exercise(exercise)
    except ExerciseError:
        return exercise, {}, ""
    d = spec.dosage
    dose = f"{d.reps} reps" + (" on each side" if d.per_side else "") + (f", hold {d.hold_s:g} s" if d.hold_s else "")
    return spec.name, {k: f.cue for k, f in spec.faults.items()}, dose


def trend_rows(hist: Any, exercise: str, exclude_key: str | None = None, n: int = 6) -> list[dict]:
    """The last ``n`` finished sets of ``exercise`` in the history (oldest first), without ``exclude_key``."""
    if hist is None:
        return []
    rows = [s for s in hist.list_sets(limit=n + 1, exercise=exercise) if s["key"] != exclude_key and s["finished"]]
    return list(reversed(rows[:n]))


def html_for_report(
    report: dict,
    *,
    hist: Any = None,
    exclude_key: str | None = None,
    day: str = "",
    source_kind: str = "video",
    pain_before: int | None = None,
    pain_after: int | None = None,
    thumbnails: dict[int, str] | None = None,
    dose_text: str | None = None,
) -> str:
    """:func:`render_report` with the exercise's words and the history's trend filled in (what the CLI
    and the app both call)."""
    name, cues, dose = spec_words(str(report.get("exercise", "")))
    if dose_text is None:
        target = report.get("target_reps")
        hold = _num(report.get("target_hold_s"))
        each = " on each side" if "on each side" in dose else ""
        dose_text = (f"{target} reps{each}" + (f", hold {hold:g} s" if hold else "")) if target else dose
    return render_report(
        report,
        exercise_name=name,
        cue_for=cues,
        dose_text=dose_text,
        day=day,
        source_kind=source_kind,
        pain_before=pain_before,
        pain_after=pain_after,
        trend=trend_rows(hist, str(report.get("exercise", "")), exclude_key),
        thumbnails=thumbnails,
    )
