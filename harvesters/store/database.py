"""The record store: one SQLite file (WAL) holding normalised records, raw payloads and runs.

Records are keyed by ``(source, id)`` with a SHA-256 of their canonical JSON, so harvesting
unchanged data writes nothing. Every change (new, changed, withdrawn, restored) takes the next
value of a store-wide sequence, which lets the indexer apply only what changed since its last
build. A run's records, payloads, quarantine and counts are written in one transaction: a run
commits whole or leaves the store as it was. The runs table lives in ``harvesters.store.runs``
and the quarantine of items that could not be parsed in ``harvesters.store.quarantine``; both
are mixed into ``RecordStore``, and their names are re-exported here. Tables are created with
``IF NOT EXISTS``, so opening an older store adds what it lacks. Standard library only.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from harvesters.core.pausepoints import pause_point
from harvesters.core.records import Record, record_from_dict
from harvesters.store.items import ITEMS_SCHEMA, ItemChanges, ItemsTable
from harvesters.store.quarantine import (
    QUARANTINE_SCHEMA,
    RAW_LIMIT,
    Quarantined,
    QuarantineEntry,
    QuarantineTable,
)
from harvesters.store.runs import (
    LOCKED_KINDS,
    RUN_FAILED,
    RUN_KILLED,
    RUN_OK,
    RUN_RUNNING,
    RUNS_SCHEMA,
    RunCounts,
    RunInfo,
    RunsTable,
    utcnow,
)

__all__ = [
    "ItemChanges",
    "LOCKED_KINDS",
    "RAW_LIMIT",
    "RUN_FAILED",
    "RUN_KILLED",
    "RUN_OK",
    "RUN_RUNNING",
    "QuarantineEntry",
    "Quarantined",
    "RawPayload",
    "RecordStore",
    "RunCounts",
    "RunInfo",
    "StoredRecord",
    "utcnow",
]

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS records (
    source TEXT NOT NULL,
    id TEXT NOT NULL,
    kind TEXT NOT NULL,
    hash TEXT NOT NULL,
    data TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'withdrawn')),
    first_seen TEXT NOT NULL,
    changed_at TEXT NOT NULL,
    seq INTEGER NOT NULL,
    run_id INTEGER NOT NULL,
    PRIMARY KEY (source, id)
);
CREATE INDEX IF NOT EXISTS records_seq ON records(seq);
CREATE INDEX IF NOT EXISTS records_kind ON records(kind, status);
-- Counts per source and status (every build checks them) without reading the records.
CREATE INDEX IF NOT EXISTS records_source_status ON records(source, status, kind);
CREATE TABLE IF NOT EXISTS payloads (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    n INTEGER NOT NULL,
    source TEXT NOT NULL,
    label TEXT NOT NULL,
    content_type TEXT NOT NULL,
    fetched_at TEXT NOT NULL,
    body BLOB NOT NULL,
    PRIMARY KEY (run_id, n)
);
"""


@dataclass(frozen=True)
class RawPayload:
    """One raw response or file, kept so records can be re-normalised without fetching again."""

    label: str
    body: bytes
    content_type: str = "application/json"
    fetched_at: str = field(default_factory=utcnow)


@dataclass(frozen=True)
class StoredRecord:
    source: str
    id: str
    status: str
    seq: int
    hash: str
    record: Record


class RecordStore(RunsTable, QuarantineTable, ItemsTable):
    """The SQLite record store. Use as a context manager; one connection per instance."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(RUNS_SCHEMA + _SCHEMA + QUARANTINE_SCHEMA + ITEMS_SCHEMA)
        known = "SELECT 1 FROM meta WHERE key='schema_version'"
        if self._db.execute(known).fetchone() is None:  # no write (and no lock) once it is set
            self._db.execute(
                "INSERT OR IGNORE INTO meta(key, value) VALUES ('schema_version', ?)",
                (str(SCHEMA_VERSION),),
            )

    def __enter__(self) -> RecordStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    # -- records ----------------------------------------------------------------------------

    def commit_run(
        self,
        run_id: int,
        source: str,
        records: Iterable[Record],
        payloads: Iterable[RawPayload],
        counts: RunCounts,
        complete: bool,
        errors: list[str],
        deleted: Iterable[str] = (),
        quarantine: Iterable[Quarantined] = (),
        relinked: Iterable[Record] = (),
        items: ItemChanges | None = None,
    ) -> RunCounts:
        """Write a run's payloads, records and quarantine in one transaction; close it as ok.

        With ``complete`` set, active records of ``source`` that the run did not return are
        marked withdrawn, except those it quarantined (the source still has them; their last
        good version stays); ``deleted`` ids (a source's own deletions) are withdrawn either way.
        ``relinked`` are stored records the run rewrites without having fetched them (twin
        links, a CERIF record whose linked records changed); they count as ``relinked``, not
        as new/changed/unchanged. ``quarantine`` is applied as ``harvesters.store.quarantine``
        describes, and ``items`` as ``harvesters.store.items`` does. Returns the counts with
        new/changed/unchanged/stored/withdrawn/relinked/quarantined filled in.
        """
        now = utcnow()
        db = self._db
        tally = dict.fromkeys(("new", "changed", "unchanged", "withdrawn", "relinked"), 0)
        db.execute("BEGIN IMMEDIATE")
        try:
            for n, p in enumerate(payloads):
                db.execute(
                    "INSERT INTO payloads VALUES (?,?,?,?,?,?,?)",
                    (
                        run_id,
                        n,
                        source,
                        p.label,
                        p.content_type,
                        p.fetched_at,
                        zlib.compress(p.body, 6),
                    ),
                )
            existing = {
                row["id"]: (row["hash"], row["status"])
                for row in db.execute(
                    "SELECT id, hash, status FROM records WHERE source=?", (source,)
                )
            }
            seq = self._max_seq()
            seen: set[str] = set()
            for rec in records:
                seen.add(rec.source_id)
                outcome, seq = self._write(run_id, source, rec, existing, seq, now)
                tally[outcome] += 1
            for rec in relinked:
                if rec.source_id not in seen:
                    seen.add(rec.source_id)
                    outcome, seq = self._write(run_id, source, rec, existing, seq, now)
                    tally["relinked"] += outcome != "unchanged"
            quarantine = list(quarantine)
            held = {q.record_id for q in quarantine if q.record_id}  # known, but unreadable now
            gone = set(deleted) - seen
            if complete:
                gone |= {rid for rid in existing if rid not in seen and rid not in held}
            for rid in sorted(gone):
                if existing.get(rid, ("", ""))[1] == "active":
                    seq += 1
                    tally["withdrawn"] += 1
                    db.execute(
                        "UPDATE records SET status='withdrawn', changed_at=?, seq=?, run_id=?"
                        " WHERE source=? AND id=?",
                        (now, seq, run_id, source, rid),
                    )
            quarantined = self._apply_quarantine(
                run_id, source, quarantine, complete, seen | set(deleted), now
            )
            if items is not None:
                self._apply_items(run_id, source, items)
            for name, value in tally.items():
                setattr(counts, name, getattr(counts, name) + value)
            counts.stored = counts.new + counts.changed + counts.unchanged
            counts.quarantined = counts.failed = quarantined
            self._close_run_ok(run_id, complete, counts, errors)
            pause_point("commit")
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:  # a failed COMMIT (disk full) may have rolled back already
                with contextlib.suppress(sqlite3.Error):  # the first error is the one to report
                    db.execute("ROLLBACK")
            raise
        return counts

    def _write(
        self,
        run_id: int,
        source: str,
        rec: Record,
        existing: dict[str, tuple[str, str]],
        seq: int,
        now: str,
    ) -> tuple[str, int]:
        """Insert or update one record unless unchanged: (new|changed|unchanged, next seq)."""
        digest = rec.content_hash()
        before = existing.get(rec.source_id)
        if before == (digest, "active"):
            return "unchanged", seq
        seq += 1
        if before is None:
            self._db.execute(
                "INSERT INTO records VALUES (?,?,?,?,?,'active',?,?,?,?)",
                (
                    source,
                    rec.source_id,
                    rec.kind,
                    digest,
                    rec.canonical_json(),
                    now,
                    now,
                    seq,
                    run_id,
                ),
            )
            return "new", seq
        self._db.execute(
            "UPDATE records SET kind=?, hash=?, data=?, status='active', changed_at=?,"
            " seq=?, run_id=? WHERE source=? AND id=?",
            (rec.kind, digest, rec.canonical_json(), now, seq, run_id, source, rec.source_id),
        )
        return "changed", seq

    def _max_seq(self) -> int:
        row = self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM records").fetchone()
        return int(row[0])

    def max_seq(self) -> int:
        return self._max_seq()

    def count(
        self, source: str | None = None, status: str = "active", kind: str | None = None
    ) -> int:
        sql = "SELECT COUNT(*) FROM records WHERE status=?"
        args: list[object] = [status]
        if source:
            sql += " AND source=?"
            args.append(source)
        if kind:
            sql += " AND kind=?"
            args.append(kind)
        return int(self._db.execute(sql, args).fetchone()[0])

    def get(self, source: str, record_id: str) -> StoredRecord | None:
        row = self._db.execute(
            "SELECT * FROM records WHERE source=? AND id=?", (source, record_id)
        ).fetchone()
        return _stored(row) if row else None

    def iter_records(
        self,
        source: str | None = None,
        include_withdrawn: bool = False,
        since_seq: int = 0,
        kind: str | None = None,
    ) -> Iterator[StoredRecord]:
        """Records in sequence order; ``since_seq`` gives only those changed after it."""
        sql = "SELECT * FROM records WHERE seq > ?"
        args: list[object] = [since_seq]
        if source:
            sql += " AND source=?"
            args.append(source)
        if kind:
            sql += " AND kind=?"
            args.append(kind)
        if not include_withdrawn:
            sql += " AND status='active'"
        for row in self._db.execute(sql + " ORDER BY seq", args):
            yield _stored(row)

    def payloads(self, run_id: int) -> Iterator[RawPayload]:
        for row in self._db.execute(
            "SELECT label, content_type, fetched_at, body FROM payloads WHERE run_id=? ORDER BY n",
            (run_id,),
        ):
            yield RawPayload(
                label=row["label"],
                body=zlib.decompress(row["body"]),
                content_type=row["content_type"],
                fetched_at=row["fetched_at"],
            )

    def prune_payloads(self, source: str, keep_runs: int = 5) -> int:
        """Drop raw payloads of all but the newest ``keep_runs`` successful runs of a source."""
        keep = [
            r[0]
            for r in self._db.execute(
                "SELECT id FROM runs WHERE source=? AND status=? ORDER BY id DESC LIMIT ?",
                (source, RUN_OK, keep_runs),
            )
        ]
        if not keep:
            return 0
        marks = ",".join("?" * len(keep))
        cur = self._db.execute(
            f"DELETE FROM payloads WHERE source=? AND run_id NOT IN ({marks})", (source, *keep)
        )
        return cur.rowcount


def _stored(row: sqlite3.Row) -> StoredRecord:
    return StoredRecord(
        source=row["source"],
        id=row["id"],
        status=row["status"],
        seq=row["seq"],
        hash=row["hash"],
        record=record_from_dict(json.loads(row["data"])),
    )
