"""Local history of sets, analysed videos, pain ratings and daily safety checks (SQLite).

The database is one file in the user's data folder (``$XDG_DATA_HOME/formcheck/history.sqlite3``,
else ``~/.local/share/formcheck/history.sqlite3``). ``FORMCHECK_DB`` overrides it, and a
``path`` argument overrides both. Every write runs in its own transaction; the schema version is
kept in ``PRAGMA user_version`` so later versions can migrate old files.

Thread-safe by construction: each call opens its own connection (the live video worker thread
saves sets while the Streamlit script reads them). No video or image is ever stored.

Every database problem surfaces as a one-line :class:`HistoryError` that says what to do. A
read-only file and another program's database (one with tables formcheck did not create) are
refused when the history is opened, before anything is written. Live sets are saved with a growing
``seq``: a save older than the one stored is ignored, and a finished set is never overwritten by an
unfinished save.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import math
import os
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

from formcheck.core.progress import set_progress
from formcheck.core.report import finite_json, summarise_faults

log = logging.getLogger(__name__)

SCHEMA_VERSION = 3
SOURCES = ("live", "upload", "sample")

#: Ordered migrations: MIGRATIONS[n] brings a database from version n to n + 1.
MIGRATIONS: list[list[str]] = [
    [
        """
        CREATE TABLE sets (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,
            day TEXT NOT NULL,
            started_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            exercise TEXT NOT NULL,
            source TEXT NOT NULL CHECK (source IN ('live', 'upload', 'sample')),
            source_name TEXT,
            reps INTEGER NOT NULL DEFAULT 0,
            good_reps INTEGER NOT NULL DEFAULT 0,
            holds INTEGER NOT NULL DEFAULT 0,
            hold_s_total REAL NOT NULL DEFAULT 0,
            reps_by_side TEXT NOT NULL DEFAULT '{}',
            faults TEXT NOT NULL DEFAULT '[]',
            duration_s REAL,
            pain_before INTEGER CHECK (pain_before BETWEEN 0 AND 10),
            pain_after INTEGER CHECK (pain_after BETWEEN 0 AND 10),
            stop_reason TEXT,
            finished INTEGER NOT NULL DEFAULT 0
        )
        """,
        "CREATE INDEX sets_day ON sets(day)",
        """
        CREATE TABLE safety_checks (
            id INTEGER PRIMARY KEY,
            day TEXT NOT NULL,
            at TEXT NOT NULL,
            answers TEXT NOT NULL,
            blocked INTEGER NOT NULL,
            acknowledged INTEGER NOT NULL DEFAULT 0,
            ack_at TEXT
        )
        """,
        "CREATE INDEX safety_day ON safety_checks(day)",
    ],
    # 2: live saves carry a sequence number, so a late periodic save cannot undo a newer one
    ["ALTER TABLE sets ADD COLUMN save_seq INTEGER NOT NULL DEFAULT 0"],
    # 3: what a set reached (longest hold, range of motion), its report (numbers only) for the HTML
    # report, paced sets, and the person's settings (doses, today's routine) as small JSON values
    [
        "ALTER TABLE sets ADD COLUMN best_hold_s REAL",
        "ALTER TABLE sets ADD COLUMN rom_deg REAL",
        "ALTER TABLE sets ADD COLUMN paced INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE sets ADD COLUMN report_json TEXT",
        "CREATE TABLE prefs (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at TEXT NOT NULL)",
    ],
]
assert len(MIGRATIONS) == SCHEMA_VERSION

CSV_COLUMNS = [
    "date",
    "started_at",
    "exercise",
    "source",
    "source_name",
    "reps",
    "good_reps",
    "holds",
    "hold_s_total",
    "reps_by_side",
    "faults",
    "duration_s",
    "pain_before",
    "pain_after",
    "stop_reason",
    "finished",
    "best_hold_s",
    "rom_deg",
    "paced",
]
#: Key-angle samples kept with a stored report (enough for a plot; a long live set is thinned).
STORED_TRACE_POINTS = 900


#: The columns formcheck's own tables have at version 1 (a database with other tables or columns is not ours).
OWN_TABLES = {
    "sets": {
        "id",
        "key",
        "day",
        "started_at",
        "updated_at",
        "exercise",
        "source",
        "source_name",
        "reps",
        "good_reps",
        "holds",
        "hold_s_total",
        "reps_by_side",
        "faults",
        "duration_s",
        "pain_before",
        "pain_after",
        "stop_reason",
        "finished",
    },
    "safety_checks": {"id", "day", "at", "answers", "blocked", "acknowledged", "ack_at"},
    "prefs": {"key", "value", "updated_at"},
}
#: The schema version that created each table (a database of an older version does not have it yet).
TABLE_SINCE = {"prefs": 3}
#: What to tell the person when the file cannot be used.
ELSEWHERE = "set FORMCHECK_DB to another file to keep your history there"


class HistoryError(Exception):
    """The history database cannot be used (one-line message saying what to do)."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))


def default_db_path() -> Path:
    """``FORMCHECK_DB`` if set, else ``history.sqlite3`` in the per-user data folder
    (:func:`formcheck.environment.data_dir`: ``~/.local/share/formcheck`` on Linux)."""
    from formcheck.environment import data_dir

    env = os.environ.get("FORMCHECK_DB", "").strip()
    if env:
        return Path(env).expanduser()
    return data_dir() / "history.sqlite3"


def _now() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


def today() -> str:
    return date.today().isoformat()


class History:
    """The history database at ``path`` (see :func:`default_db_path`)."""

    def __init__(self, path: str | os.PathLike | None = None) -> None:
        self.path = Path(path).expanduser() if path else default_db_path()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise HistoryError(
                f"{self.path.parent}: cannot create the history folder ({e.strerror}); {ELSEWHERE}"
            ) from None
        if self.path.exists() and not self.path.is_file():
            raise HistoryError(f"{self.path}: is not a file; {ELSEWHERE}")
        self._migrate()

    # ------------------------------------------------------------------ errors
    def _explain(self, e: BaseException, doing: str) -> HistoryError:
        """A one-line HistoryError for a database error ``e`` raised while ``doing`` something."""
        text = str(e).lower()
        if isinstance(e, sqlite3.Error) and ("readonly" in text or "read-only" in text):
            return HistoryError(
                f"{self.path}: the history file is read-only, so nothing can be saved; make it writable or {ELSEWHERE}"
            )
        if "locked" in text or "busy" in text:
            return HistoryError(f"{self.path}: the history is busy (another formcheck is writing to it); try again")
        if "full" in text:
            return HistoryError(f"{self.path}: the disk is full, so the history cannot be saved; free some space")
        if "not a database" in text or "malformed" in text or "encrypted" in text:
            return HistoryError(f"{self.path}: is not a formcheck history database; {ELSEWHERE}")
        what = e.strerror if isinstance(e, OSError) and e.strerror else (str(e).strip() or type(e).__name__)
        return HistoryError(f"{self.path}: could not {doing} ({what})")

    @contextmanager
    def _guard(self, doing: str) -> Iterator[None]:
        """Turn every database or file error inside into a one-line :class:`HistoryError`."""
        try:
            yield
        except HistoryError:
            raise
        except (sqlite3.Error, OSError) as e:
            log.debug("history: %s failed", doing, exc_info=True)
            raise self._explain(e, doing) from None

    # ------------------------------------------------------------------ plumbing
    def _connect(self) -> sqlite3.Connection:
        with self._guard("open the history"):
            conn = sqlite3.connect(self.path, timeout=10.0, isolation_level=None)
            try:
                conn.row_factory = sqlite3.Row
                conn.execute("PRAGMA foreign_keys = ON")
                conn.execute("PRAGMA busy_timeout = 10000")
                conn.execute("PRAGMA secure_delete = ON")  # deleted health data is overwritten, not left in free pages
            except BaseException:
                conn.close()
                raise
        return conn

    @contextmanager
    def _tx(self, doing: str = "save to the history") -> Iterator[sqlite3.Connection]:
        """One write transaction: committed on success, rolled back on any error (database errors
        become a :class:`HistoryError`)."""
        with closing(self._connect()) as conn, self._guard(doing):
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                try:
                    conn.execute("ROLLBACK")
                except sqlite3.Error:  # the failed statement may have ended the transaction already
                    log.debug("history: rollback failed", exc_info=True)
                raise
            else:
                conn.execute("COMMIT")

    def _read(self, sql: str, args: tuple = ()) -> list[sqlite3.Row]:
        with closing(self._connect()) as conn, self._guard("read the history"):
            return conn.execute(sql, args).fetchall()

    def schema_version(self) -> int:
        return int(self._read("PRAGMA user_version")[0][0])

    def _migrate(self) -> None:
        """Create or update the schema; refuse a read-only file or another program's database."""
        with closing(self._connect()) as conn:
            try:  # WAL lets the video worker write while the page reads; not essential
                conn.execute("PRAGMA journal_mode = WAL")
            except sqlite3.OperationalError as e:
                log.debug("history: no WAL journal (%s)", e)
            except sqlite3.DatabaseError as e:
                raise self._explain(e, "open the history") from None
        with self._tx("open the history") as conn:
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            if version > SCHEMA_VERSION:
                raise HistoryError(
                    f"{self.path}: was written by a newer formcheck (schema {version}, this one knows "
                    f"{SCHEMA_VERSION}); update formcheck or {ELSEWHERE}"
                )
            self._check_own_tables(conn, version)
            for v in range(version, SCHEMA_VERSION):
                for stmt in MIGRATIONS[v]:
                    conn.execute(stmt)
            # also a write probe: a read-only file fails here, at open, not at the first save
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _check_own_tables(self, conn: sqlite3.Connection, version: int) -> None:
        """Raise HistoryError when the file holds tables (or columns) formcheck did not create."""
        tables = {
            r[0]
            for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        }
        expected = {t for t in OWN_TABLES if TABLE_SINCE.get(t, 1) <= version}
        foreign = sorted(tables - expected) if version else sorted(tables)
        for name in sorted(expected & tables) if version else ():
            cols = {r[1] for r in conn.execute(f"PRAGMA table_info({name})")}
            if not OWN_TABLES[name] <= cols:
                foreign.append(name)
        if version and not expected <= tables:
            foreign += sorted(expected - tables)
        if foreign:
            raise HistoryError(
                f"{self.path}: is another program's database (tables {', '.join(foreign[:5])}); "
                f"formcheck leaves it alone: {ELSEWHERE}"
            )

    # ------------------------------------------------------------------ sets
    def save_set(
        self,
        key: str,
        *,
        exercise: str,
        source: str,
        report: Any = None,
        source_name: str | None = None,
        pain_before: int | None = None,
        pain_after: int | None = None,
        stop_reason: str | None = None,
        finished: bool = False,
        started_at: str | None = None,
        day: str | None = None,
        seq: int | None = None,
        paced: bool = False,
    ) -> bool:
        """Insert or update the set ``key`` (an upsert: call it as often as the set changes).

        ``report`` is a :class:`formcheck.core.report.Report` (or its ``to_dict(include_trace=True)``);
        its numbers are kept (with the key angle thinned to :data:`STORED_TRACE_POINTS`) for the
        HTML report, with the longest hold and the range of motion reached. Pain ratings and
        the stop reason are only ever filled in, never cleared, by a later save; the first stop
        reason recorded wins (e.g. "pain" is not overwritten by a later "camera stopped").

        ``seq`` orders the saves of one set (live sets: the processor's save number). A save with
        a lower ``seq`` than the stored one is ignored, and so is an unfinished save of a set that
        is already finished: the final save always wins. Returns False when the save was ignored.
        Raises :class:`HistoryError` (one line) when the database cannot take it.
        """
        if source not in SOURCES:
            raise ValueError(f"source must be one of {SOURCES}, not {source!r}")
        for name, v in (("pain_before", pain_before), ("pain_after", pain_after)):
            if v is not None and not 0 <= int(v) <= 10:
                raise ValueError(f"{name} must be 0..10, not {v}")
        d = report.to_dict(include_trace=True) if hasattr(report, "to_dict") else dict(report or {})
        holds = d.get("holds", [])
        reached = set_progress(d)
        row = {
            "key": key,
            "day": day or today(),
            "started_at": started_at or _now(),
            "updated_at": _now(),
            "exercise": exercise,
            "source": source,
            "source_name": source_name,
            "reps": int(d.get("reps", 0) or 0),
            "good_reps": int(d.get("good_reps", 0) or 0),
            "holds": len(holds),
            "hold_s_total": round(sum(float(h.get("duration_s", 0) or 0) for h in holds), 2),
            "reps_by_side": json.dumps({k: v for k, v in (d.get("reps_by_side") or {}).items() if k != "none"}),
            "faults": json.dumps(summarise_faults(d.get("faults", []))),
            "duration_s": d.get("duration_s"),
            "pain_before": None if pain_before is None else int(pain_before),
            "pain_after": None if pain_after is None else int(pain_after),
            "stop_reason": stop_reason,
            "finished": int(bool(finished)),
            "save_seq": int(seq or 0),
            "best_hold_s": reached["best_hold_s"],
            "rom_deg": reached["rom_deg"],
            "paced": int(bool(paced)),
            "report_json": json.dumps(_thin_trace(d), allow_nan=False),
        }
        cols = ", ".join(row)
        marks = ", ".join(f":{k}" for k in row)
        with self._tx() as conn:
            cur = conn.execute(
                f"""INSERT INTO sets ({cols}) VALUES ({marks})
                ON CONFLICT(key) DO UPDATE SET
                    updated_at = excluded.updated_at, exercise = excluded.exercise,
                    reps = excluded.reps, good_reps = excluded.good_reps, holds = excluded.holds,
                    hold_s_total = excluded.hold_s_total, reps_by_side = excluded.reps_by_side,
                    faults = excluded.faults, duration_s = excluded.duration_s,
                    pain_before = COALESCE(excluded.pain_before, sets.pain_before),
                    pain_after = COALESCE(excluded.pain_after, sets.pain_after),
                    stop_reason = COALESCE(sets.stop_reason, excluded.stop_reason),
                    finished = MAX(sets.finished, excluded.finished), save_seq = excluded.save_seq,
                    best_hold_s = excluded.best_hold_s, rom_deg = excluded.rom_deg, paced = excluded.paced,
                    report_json = excluded.report_json
                WHERE excluded.save_seq >= sets.save_seq AND excluded.finished >= sets.finished""",
                row,
            )
            if cur.rowcount == 0:
                log.info("history: ignored an older save of set %s (seq %s)", key, row["save_seq"])
            return cur.rowcount > 0

    def set_pain(self, key: str, *, before: int | None = None, after: int | None = None) -> bool:
        """Record a pain rating for set ``key``; returns False if there is no such set."""
        for v in (before, after):
            if v is not None and not 0 <= int(v) <= 10:
                raise ValueError(f"pain must be 0..10, not {v}")
        with self._tx() as conn:
            cur = conn.execute(
                "UPDATE sets SET pain_before = COALESCE(?, pain_before), pain_after = COALESCE(?, pain_after), "
                "updated_at = ? WHERE key = ?",
                (before, after, _now(), key),
            )
            return cur.rowcount > 0

    def get_set(self, key: str) -> dict | None:
        rows = self._read("SELECT * FROM sets WHERE key = ?", (key,))
        return self._row(rows[0]) if rows else None

    def _row(self, r: sqlite3.Row) -> dict:
        try:
            return _row(r)
        except (ValueError, TypeError) as e:  # a hand-edited or damaged row
            raise HistoryError(
                f"{self.path}: a saved set is damaged ({type(e).__name__}); export what you can or {ELSEWHERE}"
            ) from None

    def list_sets(self, limit: int | None = None, exercise: str | None = None) -> list[dict]:
        """Sets newest first."""
        sql = "SELECT * FROM sets"
        args: tuple = ()
        if exercise:
            sql += " WHERE exercise = ?"
            args = (exercise,)
        sql += " ORDER BY started_at DESC, id DESC"
        if limit:
            sql += f" LIMIT {int(limit)}"
        return [self._row(r) for r in self._read(sql, args)]

    def get_report(self, key: str) -> dict | None:
        """The stored report of set ``key`` (``Report.to_dict(include_trace=True)`` shape), or None."""
        rows = self._read("SELECT report_json FROM sets WHERE key = ?", (key,))
        if not rows or not rows[0][0]:
            return None
        try:
            d = json.loads(rows[0][0])
        except ValueError:
            raise HistoryError(f"{self.path}: the report of this set is damaged") from None
        return d if isinstance(d, dict) else None

    def progress(self) -> list[dict]:
        """Per day and exercise: sets, reps, good reps, the good-rep share (0..1 or None), the
        longest hold (``best_hold_s``), the mean hold (``mean_hold_s``) and the mean range of
        motion reached (``rom_deg``, the key angle at the tops)."""
        rows = self._read(
            "SELECT day, exercise, COUNT(*) AS sets, SUM(reps) AS reps, SUM(good_reps) AS good_reps, "
            "AVG(pain_before) AS pain_before, AVG(pain_after) AS pain_after, MAX(best_hold_s) AS best_hold_s, "
            "CASE WHEN SUM(holds) > 0 THEN SUM(hold_s_total) / SUM(holds) END AS mean_hold_s, AVG(rom_deg) AS rom_deg "
            "FROM sets GROUP BY day, exercise ORDER BY day, exercise"
        )
        out = []
        for r in rows:
            d = dict(r)
            d["good_share"] = (d["good_reps"] / d["reps"]) if d["reps"] else None
            out.append(d)
        return out

    def export_csv(self) -> str:
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(CSV_COLUMNS)
        for s in reversed(self.list_sets()):
            faults = "; ".join(f"{f['code']} x{f['count']}" for f in s["faults"])
            sides = "; ".join(f"{k} {v}" for k, v in s["reps_by_side"].items())
            w.writerow(
                [
                    s["day"],
                    s["started_at"],
                    s["exercise"],
                    s["source"],
                    s["source_name"] or "",
                    s["reps"],
                    s["good_reps"],
                    s["holds"],
                    s["hold_s_total"],
                    sides,
                    faults,
                    "" if s["duration_s"] is None else round(s["duration_s"], 1),
                    "" if s["pain_before"] is None else s["pain_before"],
                    "" if s["pain_after"] is None else s["pain_after"],
                    s["stop_reason"] or "",
                    "yes" if s["finished"] else "no",
                    "" if s["best_hold_s"] is None else s["best_hold_s"],
                    "" if s["rom_deg"] is None else s["rom_deg"],
                    "yes" if s["paced"] else "no",
                ]
            )
        return buf.getvalue()

    def delete_all(self) -> None:
        """Forget every set, safety check and setting (the file and its schema stay)."""
        with self._tx() as conn:
            conn.execute("DELETE FROM sets")
            conn.execute("DELETE FROM safety_checks")
            conn.execute("DELETE FROM prefs")
        conn = self._connect()
        try:  # shrink the file and flush the write-ahead log so nothing of the old rows stays on disk
            conn.execute("VACUUM")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.Error as e:
            log.warning("history: could not compact the database after deleting: %s", e)
        finally:
            conn.close()

    # ------------------------------------------------------------------ settings
    def get_pref(self, key: str) -> Any:
        """The saved setting ``key`` (a JSON value), or None."""
        rows = self._read("SELECT value FROM prefs WHERE key = ?", (key,))
        if not rows:
            return None
        try:
            return json.loads(rows[0][0])
        except ValueError:
            log.warning("history: the saved setting %r is damaged; using the default", key)
            return None

    def set_pref(self, key: str, value: Any) -> None:
        """Save the setting ``key`` (any JSON value; None deletes it)."""
        with self._tx() as conn:
            if value is None:
                conn.execute("DELETE FROM prefs WHERE key = ?", (key,))
            else:
                conn.execute(
                    "INSERT INTO prefs (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE "
                    "SET value = excluded.value, updated_at = excluded.updated_at",
                    (key, json.dumps(value, allow_nan=False), _now()),
                )

    # ------------------------------------------------------------------ safety checks
    def record_safety_check(self, answers: dict[str, bool], blocked: bool, day: str | None = None) -> int:
        with self._tx() as conn:
            cur = conn.execute(
                "INSERT INTO safety_checks (day, at, answers, blocked) VALUES (?, ?, ?, ?)",
                (day or today(), _now(), json.dumps(answers, sort_keys=True), int(bool(blocked))),
            )
            return int(cur.lastrowid or 0)  # an INSERT always sets it

    def acknowledge_safety_check(self, check_id: int) -> None:
        """Record the person's explicit acknowledgement that a professional has checked the flagged symptoms."""
        with self._tx() as conn:
            cur = conn.execute("UPDATE safety_checks SET acknowledged = 1, ack_at = ? WHERE id = ?", (_now(), check_id))
            if cur.rowcount == 0:
                raise HistoryError(f"no safety check with id {check_id}")

    def safety_check_for(self, day: str | None = None) -> dict | None:
        """The latest safety check of ``day`` (today by default), or None."""
        rows = self._read("SELECT * FROM safety_checks WHERE day = ? ORDER BY id DESC LIMIT 1", (day or today(),))
        if not rows:
            return None
        d = dict(rows[0])
        try:
            d["answers"] = json.loads(d["answers"])
        except (ValueError, TypeError) as e:
            raise HistoryError(
                f"{self.path}: today's safety check is damaged ({type(e).__name__}); please answer it again"
            ) from None
        d["blocked"] = bool(d["blocked"])
        d["acknowledged"] = bool(d["acknowledged"])
        return d

    def cleared_for(self, day: str | None = None) -> bool:
        """True when the day's latest check found nothing, or its flags were acknowledged."""
        c = self.safety_check_for(day)
        return c is not None and (not c["blocked"] or c["acknowledged"])


def _thin_trace(d: dict) -> dict:
    """``d`` with its key-angle trace thinned to at most :data:`STORED_TRACE_POINTS` samples."""
    d = finite_json(d)
    tr = d.get("trace")
    if isinstance(tr, dict) and len(tr.get("t_s") or []) > STORED_TRACE_POINTS:
        step = math.ceil(len(tr["t_s"]) / STORED_TRACE_POINTS)
        d["trace"] = {**tr, "t_s": tr["t_s"][::step], "angle_deg": (tr.get("angle_deg") or [])[::step]}
    return d


def _row(r: sqlite3.Row) -> dict:
    d = dict(r)
    d.pop("report_json", None)
    d["paced"] = bool(d.get("paced"))
    d["faults"] = json.loads(d.get("faults") or "[]")
    d["reps_by_side"] = json.loads(d.get("reps_by_side") or "{}")
    d["finished"] = bool(d.get("finished"))
    return d
