"""The quarantine table of the record store: every item a run could not parse, and why.

``QuarantineTable`` is a mixin of ``harvesters.store.database.RecordStore`` (it uses ``self._db``).
A parser hands each failure over as a ``Quarantined`` (record id when known, its location (page
URL, file and line, item number), the reason and its raw text); the store's commit writes them
in the run's own transaction, so a rejected or killed run leaves the quarantine as it was.
One entry per ``(source, key)``: the key is the record id, else the location. Raw text is kept
up to ``RAW_LIMIT`` bytes (``raw_size`` says how long it was).

What leaves quarantine, at the commit of a run of the same source: everything, when the run
was complete (it saw the whole source; what is still broken is quarantined again); otherwise
the entries of records the run parsed cleanly, deleted, or quarantined again (replaced by the
new entry, which keeps the first time it was seen). Standard library only.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

RAW_LIMIT = 64 * 1024  # bytes of an item's raw text kept in quarantine

QUARANTINE_SCHEMA = """
CREATE TABLE IF NOT EXISTS quarantine (
    source TEXT NOT NULL,
    key TEXT NOT NULL,
    record_id TEXT,
    location TEXT,
    reason TEXT NOT NULL,
    raw BLOB NOT NULL,
    raw_size INTEGER NOT NULL,
    run_id INTEGER NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    PRIMARY KEY (source, key)
);
CREATE INDEX IF NOT EXISTS quarantine_run ON quarantine(source, run_id);
"""


def raw_bytes(raw: str | bytes | None) -> bytes:
    """An item's raw text as bytes (UTF-8 for text)."""
    if raw is None:
        return b""
    if isinstance(raw, bytes):
        return raw
    try:
        return raw.encode("utf-8", "surrogateescape")  # undecodable bytes as they came
    except UnicodeEncodeError:
        return raw.encode("utf-8", "replace")


@dataclass(frozen=True)
class Quarantined:
    """One item a parser could not use, as it hands it to the store's commit."""

    record_id: str | None
    location: str | None
    reason: str
    raw: bytes = b""


@dataclass(frozen=True)
class QuarantineEntry:
    """One stored quarantine entry."""

    source: str
    key: str
    record_id: str | None
    location: str | None
    reason: str
    raw: bytes  # at most RAW_LIMIT bytes
    raw_size: int  # the length of the raw text as received
    run_id: int
    first_seen: str
    last_seen: str

    @property
    def truncated(self) -> bool:
        return self.raw_size > len(self.raw)

    def to_dict(self, with_raw: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "source": self.source,
            "record_id": self.record_id,
            "location": self.location,
            "reason": self.reason,
            "run_id": self.run_id,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "raw_size": self.raw_size,
        }
        if with_raw:
            out["raw"] = self.raw.decode("utf-8", "replace")
            out["raw_truncated"] = self.truncated
        return out


class QuarantineTable:
    """Quarantine bookkeeping on the store's connection (mixed into ``RecordStore``)."""

    _db: sqlite3.Connection

    def _apply_quarantine(
        self,
        run_id: int,
        source: str,
        items: Iterable[Quarantined],
        complete: bool,
        cleared_ids: set[str],
        now: str,
    ) -> int:
        """Inside the commit's transaction: release and (re)quarantine; returns the count.

        ``cleared_ids`` are the ids the run stored or saw deleted; see the module docstring.
        """
        db = self._db
        items = list(items)
        ids = {q.record_id for q in items if q.record_id}
        places = {q.location for q in items if not q.record_id and q.location}
        first_by_id: dict[str, str] = {}
        first_by_place: dict[str, str] = {}
        for row in db.execute(
            "SELECT key, record_id, location, first_seen FROM quarantine WHERE source=?",
            (source,),
        ).fetchall():
            rid, place = row["record_id"], row["location"]
            if rid:
                old = first_by_id.get(rid)
                first_by_id[rid] = min(old, row["first_seen"]) if old else row["first_seen"]
            elif place:
                first_by_place[place] = row["first_seen"]
            release = (
                complete
                or (rid is not None and (rid in cleared_ids or rid in ids))
                or (rid is None and place in places)
            )
            if release:
                db.execute("DELETE FROM quarantine WHERE source=? AND key=?", (source, row["key"]))
        used: dict[str, int] = {}
        for n, q in enumerate(items, start=1):
            base = q.record_id or q.location or f"item {n}"
            used[base] = used.get(base, 0) + 1
            key = base if used[base] == 1 else f"{base} #{used[base]}"
            first = (
                first_by_id.get(q.record_id)
                if q.record_id
                else first_by_place.get(q.location or "")
            )
            db.execute(
                "INSERT OR REPLACE INTO quarantine VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    source,
                    key,
                    q.record_id,
                    q.location,
                    q.reason,
                    q.raw[:RAW_LIMIT],
                    len(q.raw),
                    run_id,
                    first or now,
                    now,
                ),
            )
        return len(items)

    def quarantine(
        self, source: str | None = None, limit: int | None = 100
    ) -> list[QuarantineEntry]:
        """Quarantined items, the most recently seen first (all sources unless ``source``)."""
        sql = "SELECT * FROM quarantine"
        args: list[object] = []
        if source:
            sql += " WHERE source=?"
            args.append(source)
        sql += " ORDER BY run_id DESC, rowid"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(limit)
        return [_entry(row) for row in self._db.execute(sql, args)]

    def quarantine_count(self, source: str | None = None) -> int:
        if source:
            row = self._db.execute("SELECT COUNT(*) FROM quarantine WHERE source=?", (source,))
        else:
            row = self._db.execute("SELECT COUNT(*) FROM quarantine")
        return int(row.fetchone()[0])


def _entry(row: Any) -> QuarantineEntry:
    return QuarantineEntry(
        source=row["source"],
        key=row["key"],
        record_id=row["record_id"],
        location=row["location"],
        reason=row["reason"],
        raw=bytes(row["raw"]),
        raw_size=int(row["raw_size"]),
        run_id=int(row["run_id"]),
        first_seen=row["first_seen"],
        last_seen=row["last_seen"],
    )
