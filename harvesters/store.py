"""The record store: one SQLite file (WAL) holding normalised records, raw payloads and runs.

Records are keyed by ``(source, id)`` with a SHA-256 of their canonical JSON, so harvesting
unchanged data writes nothing. Every change (new, changed, withdrawn, restored) takes the next
value of a store-wide sequence, which lets the indexer apply only what changed since its last
build. A run's records, payloads and counts are written in one transaction: a run commits whole
or leaves the store as it was. Standard library only.
"""

from __future__ import annotations

import json
import os
import sqlite3
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from harvesters.records import Record, record_from_dict

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

RUN_RUNNING = "running"
RUN_OK = "ok"
RUN_FAILED = "failed"
RUN_KILLED = "killed"
LOCKED_KINDS = {"index": "index", "update": "update"}  # run kind -> the lock it runs under


def utcnow() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class RawPayload:
    """One raw response or file, kept so records can be re-normalised without fetching again."""

    label: str
    body: bytes
    content_type: str = "application/json"
    fetched_at: str = field(default_factory=utcnow)


@dataclass
class RunCounts:
    fetched: int = 0
    records: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    withdrawn: int = 0
    failed: int = 0

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


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


@dataclass(frozen=True)
class StoredRecord:
    source: str
    id: str
    status: str
    seq: int
    hash: str
    record: Record


class RecordStore:
    """The SQLite record store. Use as a context manager; one connection per instance."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(_SCHEMA)
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

    # -- runs -------------------------------------------------------------------------------

    def begin_run(self, source: str, kind: str, options: dict[str, object] | None = None) -> int:
        """Record that a run started; committed at once so a killed run stays visible."""
        cur = self._db.execute(
            "INSERT INTO runs(source, kind, started, status, pid, options) VALUES (?,?,?,?,?,?)",
            (source, kind, utcnow(), RUN_RUNNING, os.getpid(), json.dumps(options or {})),
        )
        return int(cur.lastrowid or 0)

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
        return [_run_info(r) for r in rows]

    def last_successful_run(self, source: str, complete: bool | None = None) -> RunInfo | None:
        sql = "SELECT * FROM runs WHERE source=? AND status=?"
        args: list[object] = [source, RUN_OK]
        if complete is not None:
            sql += " AND complete=?"
            args.append(int(complete))
        row = self._db.execute(sql + " ORDER BY id DESC LIMIT 1", args).fetchone()
        return _run_info(row) if row else None

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
    ) -> RunCounts:
        """Write a run's payloads and records in one transaction and close the run as ok.

        With ``complete`` set, active records of ``source`` that the run did not return are
        marked withdrawn; ``deleted`` ids (a source's own deletions) are withdrawn either way.
        Returns the counts with new/changed/unchanged/withdrawn filled in.
        """
        now = utcnow()
        db = self._db
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
                digest = rec.content_hash()
                before = existing.get(rec.source_id)
                if before == (digest, "active"):
                    counts.unchanged += 1
                    continue
                seq += 1
                if before is None:
                    counts.new += 1
                    db.execute(
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
                else:
                    counts.changed += 1
                    db.execute(
                        "UPDATE records SET kind=?, hash=?, data=?, status='active', changed_at=?,"
                        " seq=?, run_id=? WHERE source=? AND id=?",
                        (
                            rec.kind,
                            digest,
                            rec.canonical_json(),
                            now,
                            seq,
                            run_id,
                            source,
                            rec.source_id,
                        ),
                    )
            gone = set(deleted) - seen
            if complete:
                gone |= {rid for rid in existing if rid not in seen}
            for rid in sorted(gone):
                if existing.get(rid, ("", ""))[1] == "active":
                    seq += 1
                    counts.withdrawn += 1
                    db.execute(
                        "UPDATE records SET status='withdrawn', changed_at=?, seq=?, run_id=?"
                        " WHERE source=? AND id=?",
                        (now, seq, run_id, source, rid),
                    )
            db.execute(
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
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return counts

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


def _run_info(row: sqlite3.Row) -> RunInfo:
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


def _stored(row: sqlite3.Row) -> StoredRecord:
    return StoredRecord(
        source=row["source"],
        id=row["id"],
        status=row["status"],
        seq=row["seq"],
        hash=row["hash"],
        record=record_from_dict(json.loads(row["data"])),
    )
