"""The HTML report: rendering (pure), from a saved set, and the command's plain errors."""

from __future__ import annotations

import re

import pytest

from formcheck.app.history import History
from formcheck.core.events import FaultEvent
from formcheck.media.report_html import render_report
from formcheck.tools.cli import main


@pytest.fixture
def db(tmp_path, monkeypatch):
    p = tmp_path / "h.sqlite3"
    monkeypatch.setenv("FORMCHECK_DB", str(p))
    return p


def _report():
    from test_history import report

    r = report(2, 1)
    r.trace = [(i / 10, 130.0 + 40.0 * (1.0 <= i / 10 <= 4.0 or 6.0 <= i / 10 <= 9.0), None) for i in range(120)]
    r.faults[0] = FaultEvent("hips_too_low", 6.5, 2, "<b>cue</b>")
    return r


def test_the_page_is_self_contained_escaped_and_complete():
    d = _report().to_dict(include_trace=True)
    page = render_report(
        d,
        exercise_name="Glute <bridge>",
        cue_for={},
        dose_text="10 reps, hold 3 s",
        day="2026-02-01",
        pain_before=4,
        pain_after=3,
        trend=[{"day": "2026-01-30", "reps": 8, "good_reps": 7, "best_hold_s": 3.2, "rom_deg": 171.0}],
    )
    assert "Glute &lt;bridge&gt;" in page and "<b>cue</b>" not in page and "&lt;b&gt;cue&lt;/b&gt;" in page
    assert not re.search(r"(src|href)=['\"]?(https?:|//)", page)  # nothing is fetched: it opens offline
    assert "@media print" in page and page.count("<svg") == 1
    assert page.count("class='rep-band'") == 2 and page.count("class='hold-bar'") == 2
    assert page.count("class='fault-mark'") == 1 and "6.5" in page
    assert "4 → 3 / 10" in page and "2026-01-30" in page and "171°" in page
    assert "<img" not in page and "numbers only" in page


def test_a_set_without_reps_or_trace_still_makes_a_page():
    page = render_report(
        {"exercise": "bridge", "reps": 0, "rep_events": [], "holds": [], "faults": [], "warnings": []},
        exercise_name="Glute bridge",
    )
    assert "No repetitions were counted" in page and "no plot" in page


def test_report_of_a_saved_set_and_plain_errors(db, tmp_path, capsys):
    out = tmp_path / "r.html"
    assert main(["report", "last", "-o", str(out)]) == 2
    assert "no history yet" in capsys.readouterr().err
    h = History(db)
    h.save_set(
        "abcdef0123",
        exercise="bridge",
        source="live",
        report=_report(),
        finished=True,
        pain_before=5,
        pain_after=4,
        day="2026-02-02",
    )
    assert main(["report", "last", "-o", str(out)]) == 0
    page = out.read_text()
    assert "2026-02-02" in page and "5 → 4 / 10" in page and "live camera set" in page
    assert main(["report", "abcdef", "-o", str(tmp_path / "r2.html")]) == 0
    assert (tmp_path / "r2.html").read_text() == page
    for argv, words in (
        (["report", "fedcba", "-o", str(out)], "no such set"),
        (["report", "last", "-o", str(out), "--thumbnails"], "cannot have pictures"),
        (["report", "last", "-o", str(tmp_path / "r.pdf")], ".html"),
        (["report", str(tmp_path / "missing.mp4"), "-o", str(out)], "-e EXERCISE"),
        (["report", "last"], "-o report.html"),
    ):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert words in err and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert main(["report", "--list"]) == 0 and "abcdef01" in capsys.readouterr().out
