"""Read-only fast scans of the record store for the index builder.

Owns the cheap ways to read many records: raw canonical JSON rows (no record objects built),
a shard of the rows for one of several build processes, the ids of withdrawn records, and the
few records that carry facility links. Each scan opens its own read connection (WAL readers do
not block the harvester's writer), so a forked build process can use one of its own.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harvesters.core.records import KIND_FACILITY, KIND_PROJECT


@dataclass(frozen=True)
class RawRecord:
    source: str
    id: str
    kind: str
    status: str
    seq: int
    data: str  # the record's canonical JSON, as stored

    def plain(self) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self.data)
        return value


def _connect(path: str | Path) -> sqlite3.Connection:
    db = sqlite3.connect(f"file:{Path(path)}?mode=ro", uri=True, timeout=30)
    db.execute("PRAGMA query_only=ON")
    return db


def scan(
    path: str | Path,
    kinds: tuple[str, ...],
    shard: tuple[int, int] = (0, 1),
    since_seq: int = 0,
    include_withdrawn: bool = False,
) -> Iterator[RawRecord]:
    """Rows of the given kinds in sequence order; ``shard=(k, n)`` keeps those with
    ``seq % n == k``, so n processes together read every row exactly once."""
    k, n = shard
    marks = ",".join("?" * len(kinds))
    sql = (
        "SELECT source, id, kind, status, seq, data FROM records "
        f"WHERE seq > ? AND kind IN ({marks}) AND seq % ? = ?"
    )
    if not include_withdrawn:
        sql += " AND status = 'active'"
    db = _connect(path)
    try:
        for row in db.execute(sql + " ORDER BY seq", (since_seq, *kinds, n, k)):
            yield RawRecord(*row)
    finally:
        db.close()


def swedish_texts(path: str | Path, shard: tuple[int, int] = (0, 1)) -> Iterator[str]:
    """The Swedish title and abstract of every active project and the Swedish name and
    description of every active facility, read by SQLite's JSON functions (no parsing here);
    ``shard`` as for :func:`scan`."""
    k, n = shard
    db = _connect(path)
    try:
        for row in db.execute(
            "SELECT json_extract(data, '$.title.sv'), json_extract(data, '$.abstract.sv') "
            "FROM records WHERE status='active' AND kind = ? AND seq % ? = ? "
            "UNION ALL "
            "SELECT json_extract(data, '$.name.sv'), json_extract(data, '$.description.sv') "
            "FROM records WHERE status='active' AND kind = ? AND seq % ? = ?",
            (KIND_PROJECT, n, k, KIND_FACILITY, n, k),
        ):
            yield from (t for t in row if t)
    finally:
        db.close()


def title_pairs(path: str | Path) -> Iterator[tuple[str, str]]:
    """The (Swedish, English) titles of every active project that has both: the parallel
    texts a translation table is learnt from (``indexer.analysis.translations``)."""
    db = _connect(path)
    try:
        for sv, en in db.execute(
            "SELECT json_extract(data, '$.title.sv'), json_extract(data, '$.title.en') "
            "FROM records WHERE status='active' AND kind = ? ORDER BY seq",
            (KIND_PROJECT,),
        ):
            if sv and en:
                yield str(sv), str(en)
    finally:
        db.close()


def withdrawn_ids(path: str | Path, kinds: tuple[str, ...]) -> list[tuple[str, str]]:
    marks = ",".join("?" * len(kinds))
    db = _connect(path)
    try:
        rows = db.execute(
            f"SELECT source, id FROM records WHERE status='withdrawn' AND kind IN ({marks})",
            kinds,
        ).fetchall()
    finally:
        db.close()
    return [(str(s), str(i)) for s, i in rows]


def linked_records(path: str | Path) -> Iterator[RawRecord]:
    """Active facilities, and the active projects whose facility list is not empty.

    The canonical JSON is compact with sorted keys (``records._canonical``), so a project
    without links carries exactly ``"facilities":[]`` and the filter can skip it unparsed.
    """
    db = _connect(path)
    try:
        for row in db.execute(
            "SELECT source, id, kind, status, seq, data FROM records WHERE status='active' "
            "AND (kind = ? OR (kind = ? AND instr(data, '\"facilities\":[]') = 0)) "
            "ORDER BY seq",
            (KIND_FACILITY, KIND_PROJECT),
        ):
            yield RawRecord(*row)
    finally:
        db.close()
