"""The runs table of the record store: one row per harvest, import, re-parse, index build, update.

``RunsTable`` is a mixin of ``harvesters.store.database.RecordStore`` (it uses the store's
connection, ``self._db``): a run is recorded when it starts (committed at once, so a killed run
stays visible), closed as ok with its counts by the store's commit, or as failed with its errors;
runs a killed process left ``running`` are marked ``killed`` by the next run under the same
lock. ``RunCounts`` holds a run's figures and the arithmetic that ties them together:

    fetched = stored + quarantined + skipped + deleted + folded

``fetched`` counts the items the source delivered (SweCRIS rows, distinct OAI records, rows of
a facility list); ``stored`` = ``new + changed + unchanged``, the records the run wrote or found
unchanged; ``quarantined`` the items that could not be parsed or normalised (``failed`` is the
same number, kept for older readers); ``skipped`` the well-formed items of kinds not indexed
(CERIF publications ...); ``deleted`` the deletion notices of an OAI source; ``folded`` the
items merged into another record (a project's second SweCRIS funding row, a CERIF Funding
folded into its projects, one entity listed in two sets). ``withdrawn`` and ``relinked``
(stored records whose twin links a partial run changed) describe the store, not the input.
Standard library only.
"""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import asdict, dataclass
from typing import Any

from harvesters.core.clock import utcnow

RUN_RUNNING = "running"
RUN_OK = "ok"
RUN_FAILED = "failed"
RUN_KILLED = "killed"
LOCKED_KINDS = {"index": "index", "update": "update"}  # run kind -> the lock it runs under

RUNS_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT NOT NULL,
    kind TEXT NOT NULL,
    started TEXT NOT NULL,
    ended TEXT,
    status TEXT NOT NULL,
    pid INTEGER,
    complete INTEGER NOT NULL DEFAULT 0,
    counts TEXT NOT NULL DEFAULT '{}',
    errors TEXT NOT NULL DEFAULT '[]',
    options TEXT NOT NULL DEFAULT '{}'
);
"""


@dataclass
class RunCounts:
    """A run's figures; see the module docstring for how they add up."""

    fetched: int = 0
    records: int = 0  # records the parser produced (= stored once committed)
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    withdrawn: int = 0
    failed: int = 0  # = quarantined (the older name)
    stored: int = 0
    quarantined: int = 0
    skipped: int = 0
    deleted: int = 0
    folded: int = 0
    relinked: int = 0
    rewalked: int = 0  # lists walked again in the run because they shifted while walked

    def to_dict(self) -> dict[str, int]:
        return asdict(self)

    def balance(self) -> int:
        """``fetched`` minus what became of it; 0 when every item is accounted for."""
        accounted = self.records + self.quarantined + self.skipped + self.deleted + self.folded
        return self.fetched - accounted


@dataclass(frozen=True)
class RunInfo:
    id: int
    source: str
    kind: str
    started: str
    ended: str | None
    status: str
    complete: bool
    counts: dict[str, int]
    errors: list[str]
    options: dict[str, object]


class RunsTable:
    """Run bookkeeping on the store's connection (mixed into ``RecordStore``)."""

    _db: sqlite3.Connection

    def begin_run(self, source: str, kind: str, options: dict[str, object] | None = None) -> int:
        """Record that a run started; committed at once so a killed run stays visible."""
        cur = self._db.execute(
            "INSERT INTO runs(source, kind, started, status, pid, options) VALUES (?,?,?,?,?,?)",
            (source, kind, utcnow(), RUN_RUNNING, os.getpid(), json.dumps(options or {})),
        )
        return int(cur.lastrowid or 0)

    def add_run_options(self, run_id: int, extra: dict[str, object]) -> None:
        """Add what a run learnt while it ran to its options (the sets that failed in it)."""
        row = self._db.execute("SELECT options FROM runs WHERE id=?", (run_id,)).fetchone()
        merged = {**json.loads(row[0] if row else "{}"), **extra}
        self._db.execute("UPDATE runs SET options=? WHERE id=?", (json.dumps(merged), run_id))

    def fail_run(self, run_id: int, errors: list[str], counts: RunCounts) -> None:
        self._db.execute(
            "UPDATE runs SET status=?, ended=?, errors=?, counts=? WHERE id=?",
            (
                RUN_FAILED,
                utcnow(),
                json.dumps(errors, ensure_ascii=False),
                json.dumps(counts.to_dict()),
                run_id,
            ),
        )

    def finish_run(
        self, run_id: int, status: str, counts: dict[str, int], errors: list[str]
    ) -> None:
        """Close a run that commits no records (an index build, an update) with its figures."""
        self._db.execute(
            "UPDATE runs SET status=?, ended=?, counts=?, errors=? WHERE id=?",
            (status, utcnow(), json.dumps(counts), json.dumps(errors, ensure_ascii=False), run_id),
        )

    def _close_run_ok(
        self, run_id: int, complete: bool, counts: RunCounts, errors: list[str]
    ) -> None:
        """Inside the commit's transaction: the run is ok, with its final counts."""
        self._db.execute(
            "UPDATE runs SET status=?, ended=?, complete=?, counts=?, errors=? WHERE id=?",
            (
                RUN_OK,
                utcnow(),
                int(complete),
                json.dumps(counts.to_dict()),
                json.dumps(errors, ensure_ascii=False),
                run_id,
            ),
        )

    def mark_abandoned_runs(self, lock: str = "store") -> int:
        """Runs still 'running' under the lock the caller holds were killed: say so.

        Index builds and updates run under their own locks (``LOCKED_KINDS``); the store lock
        covers every other kind of run.
        """
        kinds = [k for k, name in LOCKED_KINDS.items() if name == lock]
        marks = ",".join("?" * (len(kinds) or len(LOCKED_KINDS)))
        where = f"kind IN ({marks})" if kinds else f"kind NOT IN ({marks})"
        cur = self._db.execute(
            f"UPDATE runs SET status=?, ended=?, errors=? WHERE status=? AND {where}",
            (
                RUN_KILLED,
                utcnow(),
                json.dumps(
                    ["the run was interrupted before it finished; nothing of it was committed"]
                ),
                RUN_RUNNING,
                *(kinds or LOCKED_KINDS),
            ),
        )
        return cur.rowcount

    def runs(self, source: str | None = None, limit: int = 20) -> list[RunInfo]:
        sql = "SELECT * FROM runs"
        args: tuple[object, ...] = ()
        if source:
            sql += " WHERE source=?"
            args = (source,)
        rows = self._db.execute(sql + " ORDER BY id DESC LIMIT ?", (*args, limit)).fetchall()
        return [run_info(r) for r in rows]

    def last_successful_run(self, source: str, complete: bool | None = None) -> RunInfo | None:
        sql = "SELECT * FROM runs WHERE source=? AND status=?"
        args: list[object] = [source, RUN_OK]
        if complete is not None:
            sql += " AND complete=?"
            args.append(int(complete))
        row = self._db.execute(sql + " ORDER BY id DESC LIMIT 1", args).fetchone()
        return run_info(row) if row else None


def run_info(row: Any) -> RunInfo:
    return RunInfo(
        id=row["id"],
        source=row["source"],
        kind=row["kind"],
        started=row["started"],
        ended=row["ended"],
        status=row["status"],
        complete=bool(row["complete"]),
        counts=json.loads(row["counts"]),
        errors=json.loads(row["errors"]),
        options=json.loads(row["options"]),
    )
