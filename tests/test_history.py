"""The SQLite history: schema version, upserts, pain, safety checks, CSV, paths."""

from __future__ import annotations

import csv
import io
import sqlite3
import threading

import pytest

from formcheck.app.history import SCHEMA_VERSION, History, HistoryError, default_db_path
from formcheck.core.events import FaultEvent, HoldEvent, RepEvent
from formcheck.core.report import Report


def report(reps=2, good=1, faults=("hips_too_low",)) -> Report:
    r = Report(exercise="bridge", source="x", duration_s=12.0, fps=30, frames=360, frames_with_pose=350)
    for i in range(reps):
        r.reps.append(
            RepEvent(i + 1, i * 5.0, i * 5 + 1.0, i * 5 + 4.0, 3.0, "none", i < good, [] if i < good else list(faults))
        )
        r.holds.append(HoldEvent(i * 5 + 1.0, i * 5 + 4.0, "none", i + 1))
    for code in faults:
        r.faults.append(FaultEvent(code, 6.0, 2, "Lift your hips a little higher."))
    return r


def test_default_path_env_and_argument(tmp_path, monkeypatch):
    monkeypatch.delenv("FORMCHECK_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_db_path() == tmp_path / "xdg" / "formcheck" / "history.sqlite3"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_db_path() == tmp_path / "home" / ".local" / "share" / "formcheck" / "history.sqlite3"
    monkeypatch.setenv("FORMCHECK_DB", str(tmp_path / "env.sqlite3"))
    assert History().path == tmp_path / "env.sqlite3"
    assert History(tmp_path / "arg.sqlite3").path == tmp_path / "arg.sqlite3"  # the argument wins
    assert (tmp_path / "env.sqlite3").exists() and (tmp_path / "arg.sqlite3").exists()


def test_schema_version_and_reopen(tmp_path):
    p = tmp_path / "h.sqlite3"
    h = History(p)
    assert h.schema_version() == SCHEMA_VERSION
    h.save_set("a", exercise="bridge", source="live", report=report())
    assert History(p).list_sets()[0]["key"] == "a"  # reopening keeps data, no re-migration


def test_newer_schema_is_refused(tmp_path):
    p = tmp_path / "h.sqlite3"
    History(p)
    with sqlite3.connect(p) as c:
        c.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(HistoryError, match="newer formcheck"):
        History(p)


def test_not_a_database(tmp_path):
    p = tmp_path / "h.sqlite3"
    p.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(HistoryError):
        History(p)


def test_upsert_keeps_one_row_and_fills_fields(tmp_path):
    h = History(tmp_path / "h.sqlite3")
    h.save_set("k", exercise="bridge", source="live", report=report(1, 1, ()), pain_before=3)
    h.save_set("k", exercise="bridge", source="live", report=report(2, 1))  # pain_before not cleared
    h.save_set("k", exercise="bridge", source="live", report=report(2, 1), stop_reason="pain", finished=True)
    h.save_set("k", exercise="bridge", source="live", report=report(2, 1), stop_reason="camera stopped")
    rows = h.list_sets()
    assert len(rows) == 1
    r = rows[0]
    assert (r["reps"], r["good_reps"], r["holds"], r["pain_before"]) == (2, 1, 2, 3)
    assert r["stop_reason"] == "pain" and r["finished"]  # the first stop reason wins; finished stays
    assert r["faults"] == [{"code": "hips_too_low", "count": 1, "cue": "Lift your hips a little higher."}]
    assert r["hold_s_total"] == pytest.approx(6.0)
    assert h.set_pain("k", after=5) and h.get_set("k")["pain_after"] == 5
    assert not h.set_pain("missing", after=5)


def test_bad_values_are_refused_and_nothing_is_half_written(tmp_path):
    h = History(tmp_path / "h.sqlite3")
    with pytest.raises(ValueError):
        h.save_set("k", exercise="bridge", source="somewhere", report=report())
    with pytest.raises(ValueError):
        h.save_set("k", exercise="bridge", source="live", report=report(), pain_before=11)
    with pytest.raises(ValueError):
        h.set_pain("k", after=-1)
    assert h.list_sets() == []


def test_transaction_rolls_back(tmp_path):
    h = History(tmp_path / "h.sqlite3")
    with pytest.raises(RuntimeError):
        with h._tx() as conn:
            conn.execute("INSERT INTO safety_checks (day, at, answers, blocked) VALUES ('d', 'a', '{}', 0)")
            raise RuntimeError("boom")
    assert h.safety_check_for("d") is None


def test_progress_and_csv(tmp_path):
    h = History(tmp_path / "h.sqlite3")
    h.save_set(
        "a", exercise="bridge", source="live", report=report(2, 1), day="2026-01-01", pain_before=4, pain_after=3
    )
    h.save_set("b", exercise="bridge", source="upload", report=report(4, 4, ()), day="2026-01-02", source_name="me.mp4")
    h.save_set("c", exercise="bridge", source="sample", report=report(0, 0, ()), day="2026-01-02")
    prog = h.progress()
    assert [(p["day"], p["reps"], p["good_reps"]) for p in prog] == [("2026-01-01", 2, 1), ("2026-01-02", 4, 4)]
    assert prog[0]["good_share"] == 0.5 and prog[1]["good_share"] == 1.0
    rows = list(csv.DictReader(io.StringIO(h.export_csv())))
    assert len(rows) == 3
    assert {r["source"] for r in rows} == {"live", "upload", "sample"}
    a = next(r for r in rows if r["date"] == "2026-01-01")
    assert a["pain_before"] == "4" and a["pain_after"] == "3" and "hips_too_low x1" in a["faults"]
    h.delete_all()
    assert h.list_sets() == []


def test_safety_checks_per_day(tmp_path):
    h = History(tmp_path / "h.sqlite3")
    assert h.safety_check_for() is None and not h.cleared_for()
    cid = h.record_safety_check({"fever": True}, blocked=True)
    assert not h.cleared_for()
    c = h.safety_check_for()
    assert c["blocked"] and not c["acknowledged"] and c["answers"] == {"fever": True}
    h.acknowledge_safety_check(cid)
    assert h.cleared_for() and h.safety_check_for()["ack_at"]
    assert h.safety_check_for("1999-01-01") is None
    with pytest.raises(HistoryError):
        h.acknowledge_safety_check(9999)
    h.record_safety_check({"fever": False}, blocked=False, day="2026-03-03")
    assert h.cleared_for("2026-03-03")


def test_concurrent_writers(tmp_path):
    h = History(tmp_path / "h.sqlite3")

    def work(n):
        for i in range(20):
            h.save_set(f"{n}-{i % 3}", exercise="bridge", source="live", report=report(i % 4, 0, ()))

    ts = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert len(h.list_sets()) == 12


def test_delete_all_leaves_no_trace_of_the_rows_in_the_file(tmp_path):
    from formcheck.app.history import History

    db = tmp_path / "h.sqlite3"
    h = History(db)
    h.record_safety_check({"fever": False, "secret_marker_answer_xyz": False}, blocked=False)
    h.delete_all()
    raw = db.read_bytes() + (
        db.with_name(db.name + "-wal").read_bytes() if db.with_name(db.name + "-wal").exists() else b""
    )
    assert b"secret_marker_answer_xyz" not in raw


# ---------------------------------------------------------------------------- save order (issue 9)
def test_an_older_save_never_lowers_a_set(tmp_path):
    h = History(tmp_path / "h.sqlite3")
    assert h.save_set("k", exercise="bridge", source="live", report=report(2, 2, ()), seq=4)
    assert h.save_set(
        "k", exercise="bridge", source="live", report=report(3, 3, ()), seq=5, finished=True, stop_reason="finished"
    )
    assert not h.save_set("k", exercise="bridge", source="live", report=report(2, 2, ()), seq=4)  # late periodic save
    assert not h.save_set(
        "k", exercise="bridge", source="live", report=report(2, 2, ()), seq=9
    )  # unfinished after final
    row = h.get_set("k")
    assert (row["reps"], row["finished"], row["stop_reason"], row["save_seq"]) == (3, True, "finished", 5)


def test_a_newer_save_replaces_an_older_one(tmp_path):
    h = History(tmp_path / "h.sqlite3")
    h.save_set("k", exercise="bridge", source="live", report=report(1, 1, ()), seq=1)
    h.save_set("k", exercise="bridge", source="live", report=report(2, 2, ()), seq=2)
    assert h.get_set("k")["reps"] == 2


def test_version_1_database_is_upgraded_and_keeps_its_sets(tmp_path):
    from formcheck.app.history import MIGRATIONS

    p = tmp_path / "h.sqlite3"
    with sqlite3.connect(p) as c:
        for stmt in MIGRATIONS[0]:
            c.execute(stmt)
        c.execute(
            "INSERT INTO sets (key, day, started_at, updated_at, exercise, source, reps) "
            "VALUES ('old', '2026-01-01', 'a', 'a', 'bridge', 'live', 4)"
        )
        c.execute("PRAGMA user_version = 1")
    h = History(p)
    assert h.schema_version() == SCHEMA_VERSION
    assert h.get_set("old")["reps"] == 4
    assert h.save_set("old", exercise="bridge", source="live", report=report(5, 5, ()), seq=1)


# ---------------------------------------------------------------------------- unusable databases (issue 9)
def _read_only(monkeypatch):
    """Open every database read-only, as SQLite does for a file the user may not write (root ignores chmod)."""
    real = sqlite3.connect

    def connect(path, *a, **kw):
        return real(f"file:{path}?mode=ro", *a, uri=True, **kw)

    monkeypatch.setattr("formcheck.app.history.sqlite3.connect", connect)


def test_read_only_database_is_detected_at_open(tmp_path, monkeypatch):
    p = tmp_path / "h.sqlite3"
    History(p).save_set("a", exercise="bridge", source="live", report=report())
    _read_only(monkeypatch)
    with pytest.raises(HistoryError) as e:
        History(p)
    msg = str(e.value)
    assert "\n" not in msg and "read-only" in msg and "FORMCHECK_DB" in msg and str(p) in msg


def test_read_only_after_open_gives_one_line_errors(tmp_path, monkeypatch):
    h = History(tmp_path / "h.sqlite3")
    _read_only(monkeypatch)
    for call in (
        lambda: h.save_set("a", exercise="bridge", source="live", report=report()),
        lambda: h.record_safety_check({"fever": False}, blocked=False),
        lambda: h.set_pain("a", after=3),
        h.delete_all,
    ):
        with pytest.raises(HistoryError, match="read-only") as e:
            call()
        assert "\n" not in str(e.value)
    assert h.list_sets() == []  # reading still works


@pytest.mark.parametrize(
    "tables",
    [
        ["CREATE TABLE sets (id INTEGER PRIMARY KEY, name TEXT, price REAL)"],  # another app's "sets"
        ["CREATE TABLE users (id INTEGER PRIMARY KEY)"],
    ],
)
def test_foreign_database_is_refused_and_left_untouched(tmp_path, tables):
    p = tmp_path / "other.db"
    with sqlite3.connect(p) as c:
        for stmt in tables:
            c.execute(stmt)
    before = p.read_bytes()
    with pytest.raises(HistoryError) as e:
        History(p)
    msg = str(e.value)
    assert "another program's database" in msg and "FORMCHECK_DB" in msg and "\n" not in msg
    with sqlite3.connect(p) as c:
        assert int(c.execute("PRAGMA user_version").fetchone()[0]) == 0
        assert [r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type='table'")] == [
            t.split()[2] for t in tables
        ]
    assert len(p.read_bytes()) == len(before)


def test_foreign_database_with_formcheck_version_number_is_refused(tmp_path):
    p = tmp_path / "other.db"
    with sqlite3.connect(p) as c:
        c.execute("CREATE TABLE sets (id INTEGER PRIMARY KEY, name TEXT)")
        c.execute("PRAGMA user_version = 1")
    with pytest.raises(HistoryError, match="another program's database"):
        History(p)


def test_folder_instead_of_a_file(tmp_path):
    (tmp_path / "h.sqlite3").mkdir()
    with pytest.raises(HistoryError, match="not a file"):
        History(tmp_path / "h.sqlite3")


def test_busy_database_is_one_line(tmp_path, monkeypatch):
    p = tmp_path / "h.sqlite3"
    h = History(p)
    blocker = sqlite3.connect(p, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    monkeypatch.setattr(History, "_connect", _fast_timeout(History._connect))
    try:
        with pytest.raises(HistoryError, match="busy") as e:
            h.save_set("a", exercise="bridge", source="live", report=report())
        assert "\n" not in str(e.value)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()


def _fast_timeout(connect):
    def wrapped(self):
        conn = connect(self)
        conn.execute("PRAGMA busy_timeout = 50")
        return conn

    return wrapped


def test_damaged_rows_are_one_line_errors(tmp_path):
    p = tmp_path / "h.sqlite3"
    h = History(p)
    h.save_set("a", exercise="bridge", source="live", report=report())
    h.record_safety_check({"fever": False}, blocked=False)
    with sqlite3.connect(p) as c:
        c.execute("UPDATE sets SET faults = '{not json'")
        c.execute("UPDATE safety_checks SET answers = 'nope'")
    for call in (h.list_sets, lambda: h.get_set("a"), h.export_csv, h.safety_check_for):
        with pytest.raises(HistoryError, match="damaged") as e:
            call()
        assert "\n" not in str(e.value)


# ---------------------------------------------------------------------------- issue 12: progress, reports, settings
def test_holds_range_of_motion_and_the_report_are_kept_per_set(tmp_path):
    h = History(tmp_path / "h.sqlite3")
    r = report(2, 2, ())
    r.holds[1] = HoldEvent(6.0, 10.5, "none", 2)  # a 4.5 s hold
    r.trace = [
        (i / 10, 150.0 + (20.0 if 1.0 <= i / 10 <= 4.0 or 6.0 <= i / 10 <= 10.5 else 0.0), None) for i in range(0, 2000)
    ]  # 200 s of key angle: thinned when stored
    h.save_set("a", exercise="bridge", source="upload", report=r, day="2026-01-01", paced=True)
    h.save_set("b", exercise="bridge", source="live", report=report(1, 1, ()), day="2026-01-02")
    a = h.get_set("a")
    assert a["best_hold_s"] == 4.5 and a["rom_deg"] == 170.0 and a["paced"] is True and "report_json" not in a
    stored = h.get_report("a")
    assert stored["reps"] == 2 and len(stored["trace"]["t_s"]) <= 900 and stored["rep_events"][1]["hold_s"] == 3.0
    assert h.get_report("missing") is None
    prog = {p["day"]: p for p in h.progress()}
    assert prog["2026-01-01"]["best_hold_s"] == 4.5 and prog["2026-01-01"]["rom_deg"] == 170.0
    assert prog["2026-01-02"]["rom_deg"] is None and prog["2026-01-02"]["mean_hold_s"] == 3.0
    rows = list(csv.DictReader(io.StringIO(h.export_csv())))
    assert rows[0]["best_hold_s"] == "4.5" and rows[0]["paced"] == "yes"


def test_settings_are_saved_and_deleted_with_the_history(tmp_path):
    h = History(tmp_path / "h.sqlite3")
    assert h.get_pref("doses") is None
    h.set_pref("doses", [{"exercise": "bridge", "reps": 12}])
    h.set_pref("doses", [{"exercise": "bridge", "reps": 8}])
    assert History(tmp_path / "h.sqlite3").get_pref("doses") == [{"exercise": "bridge", "reps": 8}]
    with h._tx() as conn:
        conn.execute("UPDATE prefs SET value = 'not json' WHERE key = 'doses'")
    assert h.get_pref("doses") is None  # a damaged setting falls back to the default
    h.set_pref("routine", {"phase": "set"})
    h.set_pref("routine", None)
    assert h.get_pref("routine") is None
    h.set_pref("x", 1)
    h.delete_all()
    assert h.get_pref("x") is None


def test_version_2_database_is_upgraded(tmp_path):
    from formcheck.app.history import MIGRATIONS

    p = tmp_path / "h.sqlite3"
    with sqlite3.connect(p) as c:
        for stmt in MIGRATIONS[0] + MIGRATIONS[1]:
            c.execute(stmt)
        c.execute(
            "INSERT INTO sets (key, day, started_at, updated_at, exercise, source, reps) "
            "VALUES ('old', '2026-01-01', 'a', 'a', 'bridge', 'live', 4)"
        )
        c.execute("PRAGMA user_version = 2")
    h = History(p)
    assert h.schema_version() == SCHEMA_VERSION == 3
    assert h.get_set("old")["best_hold_s"] is None and h.get_report("old") is None
    h.set_pref("doses", [])
