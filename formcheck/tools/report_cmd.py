"""``formcheck report VIDEO|TRACK|SET -o report.html``: one self-contained HTML page for a set.

SOURCE is a video or a ``.fctrack`` landmark track (analysed now; ``-e`` names the exercise), or a
set from the history: ``last`` (the newest one) or the start of its key (at least 6 characters,
as ``--list`` shows them). The page is the one the app's download button gives
(:func:`formcheck.media.report_html.html_for_report`).
"""

from __future__ import annotations

import argparse
import os
import re
from datetime import date
from pathlib import Path

SET_KEY = re.compile(r"^(last|[0-9a-f]{6,32})$")


def add_parser(sub, model_arg, progress_arg) -> None:
    sp = sub.add_parser(
        "report",
        help="write one self-contained HTML report of a video, track or saved set",
        description="Analyse a video or landmark track (or take a set from your history) and write an "
        "HTML page a physiotherapist can read, print or keep: counts, holds, a table per "
        "repetition, the key-angle plot, faults with their cues, and recent sessions.",
    )
    sp.add_argument("source", nargs="?", help="video, .fctrack track, or a saved set: 'last' or the start of its key")
    sp.add_argument("-o", "--output", help="the HTML file to write")
    sp.add_argument("-e", "--exercise", help="the exercise (needed for a video or a track)")
    sp.add_argument(
        "--thumbnails",
        action="store_true",
        help="put a small picture of each repetition in the page (it shows you; off by default)",
    )
    sp.add_argument("--no-history", action="store_true", help="leave out the recent sessions from your history")
    sp.add_argument("--list", action="store_true", help="list the last sets in your history with their keys")
    sp.add_argument("--input", choices=("auto", "video", "track"), default="auto", help="how to read a file SOURCE")
    model_arg(sp)
    progress_arg(sp)
    sp.set_defaults(func=cmd_report)


def _history(required: bool):
    """The history if its file exists (the report never creates one), else None (or an error if ``required``)."""
    from formcheck.app.history import History, HistoryError, default_db_path
    from formcheck.media.pipeline import AnalysisError

    path = default_db_path()
    if not path.is_file():
        if required:
            raise AnalysisError(f"{path}: there is no history yet (set FORMCHECK_DB to use another file)")
        return None
    try:
        return History(path)
    except HistoryError as e:
        if required:
            raise AnalysisError(str(e)) from None
        return None


def cmd_report(args: argparse.Namespace) -> int:
    from formcheck.app.history import HistoryError
    from formcheck.core.fileio import atomic_output
    from formcheck.core.fileio import one_line as _one_line
    from formcheck.media.pipeline import AnalysisError, check_output_path

    if args.list:
        hist = _history(required=True)
        for s in hist.list_sets(limit=20):
            print(
                f"{s['key'][:8]}  {s['started_at'][:16].replace('T', ' ')}  {s['exercise']:<14} {s['reps']:>3} reps  "
                f"({s['source']})"
            )
        return 0
    if not args.source or not args.output:
        raise AnalysisError("give a SOURCE (video, track, 'last' or a set key) and -o report.html")
    check_output_path(args.output, suffixes=(".html", ".htm"))
    source = args.source
    try:
        if SET_KEY.match(source) and not os.path.lexists(source):
            page = _from_history(source, args)
        else:
            page = _from_file(source, args)
    except HistoryError as e:
        raise AnalysisError(str(e)) from None
    with atomic_output(args.output) as tmp:
        Path(tmp).write_text(page, encoding="utf-8")
    print(f"report: {_one_line(args.output)}")
    return 0


def _from_history(source: str, args: argparse.Namespace) -> str:
    from formcheck.media.pipeline import AnalysisError
    from formcheck.media.report_html import html_for_report

    if args.thumbnails:
        raise AnalysisError("a saved set has no video, so it cannot have pictures: leave out --thumbnails")
    hist = _history(required=True)
    sets = hist.list_sets()
    match = sets[:1] if source == "last" else [s for s in sets if s["key"].startswith(source)]
    if not match:
        raise AnalysisError(f"{source}: no such set in the history (formcheck report --list shows them)")
    if len(match) > 1:
        raise AnalysisError(f"{source}: more than one set starts with this; give more of the key")
    s = match[0]
    report = hist.get_report(s["key"])
    if report is None:
        raise AnalysisError(f"{source}: this set was saved by an older formcheck without its details")
    return html_for_report(
        report,
        hist=None if args.no_history else hist,
        exclude_key=s["key"],
        day=s["day"],
        source_kind=s["source"],
        pain_before=s["pain_before"],
        pain_after=s["pain_after"],
    )


def _from_file(source: str, args: argparse.Namespace) -> str:
    from formcheck.core.exercise import get_exercise
    from formcheck.media.pipeline import AnalysisError, analyze, input_kind
    from formcheck.media.report_html import html_for_report, rep_thumbnails
    from formcheck.tools.cli import ProgressBar, _check_paths, _model_input

    if not args.exercise:
        raise AnalysisError("a video or a track needs -e EXERCISE (see 'formcheck exercises')")
    spec = get_exercise(args.exercise)
    _check_paths([args.output], [source, _model_input(args.model)])
    kind = input_kind(source, args.input)
    if args.thumbnails and kind == "track":
        raise AnalysisError(f"{source}: a landmark track has no pictures: leave out --thumbnails or give the video")
    bar = ProgressBar(f"analysing {Path(source).name}", enabled=args.progress)
    try:
        result = analyze(source, spec, model=args.model, progress=bar, kind=args.input)
    finally:
        bar.close()
    report = result.report.to_dict(include_trace=True)
    thumbs = rep_thumbnails(source, report) if args.thumbnails else None
    hist = None if args.no_history else _history(required=False)
    return html_for_report(report, hist=hist, day=date.today().isoformat(), source_kind=kind, thumbnails=thumbs)
