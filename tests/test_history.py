"""The SQLite history: schema version, upserts, pain, safety checks, CSV, paths."""

from __future__ import annotations

import csv
import io
import sqlite3
import threading

import pytest

from formcheck.events import FaultEvent, HoldEvent, RepEvent
from formcheck.history import SCHEMA_VERSION, History, HistoryError, default_db_path
from formcheck.report import Report


def report(reps=2, good=1, faults=("hips_too_low",)) -> Report:
    r = Report(exercise="bridge", source="x", duration_s=12.0, fps=30, frames=360, frames_with_pose=350)
    for i in range(reps):
        r.reps.append(RepEvent(i + 1, i * 5.0, i * 5 + 1.0, i * 5 + 4.0, 3.0, "none", i < good,
                               [] if i < good else list(faults)))
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
    h.save_set("a", exercise="bridge", source="live", report=report(2, 1), day="2026-01-01", pain_before=4, pain_after=3)
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
    from formcheck.history import History

    db = tmp_path / "h.sqlite3"
    h = History(db)
    h.record_safety_check({"fever": False, "secret_marker_answer_xyz": False}, blocked=False)
    h.delete_all()
    raw = db.read_bytes() + (db.with_name(db.name + "-wal").read_bytes() if db.with_name(db.name + "-wal").exists() else b"")
    assert b"secret_marker_answer_xyz" not in raw
