"""The items table of the record store: the latest state of every item a source serves.

A CERIF source's records link to each other (a project names its Funding, its coordinator
OrgUnit, the Equipment it uses), so an incremental harvest, which fetches only what changed,
must resolve those links against everything the source serves, as a full harvest would. This
table keeps, per source and item (an OAI identifier), the item's latest datestamp and its raw
metadata as the source served it; a run's parser merges its own items into it
(``ItemChanges``) and the store's commit writes them in the run's own transaction, so a
rejected or killed run leaves the table as it was. A full harvest replaces a source's items
whole (``replace_all``). ``RecordStore`` mixes ``ItemsTable`` in (it uses ``self._db``).
Standard library only.
"""

from __future__ import annotations

import sqlite3
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field

ITEMS_SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    source TEXT NOT NULL,
    item TEXT NOT NULL,
    datestamp TEXT,
    record_id TEXT,
    body BLOB NOT NULL,
    run_id INTEGER NOT NULL,
    PRIMARY KEY (source, item)
);
"""


@dataclass(frozen=True)
class Item:
    """One item as a source serves it: its datestamp, the id of the record it makes (None when
    it makes none: a Funding folds into projects, a broken item into quarantine) and its raw
    metadata."""

    datestamp: str | None
    record_id: str | None
    body: bytes


@dataclass(frozen=True)
class ItemChanges:
    """What a run changes in a source's items: ``put`` (item -> ``Item``), ``gone`` (items the
    source deleted) and, for a full harvest, ``replace_all``: every item not put is gone."""

    put: dict[str, Item] = field(default_factory=dict)
    gone: frozenset[str] = frozenset()
    replace_all: bool = False


class ItemsTable:
    """The ``items`` table; a mixin of ``RecordStore``."""

    _db: sqlite3.Connection

    def items(self, source: str) -> Iterator[tuple[str, str | None, bytes]]:
        """Every stored item of ``source`` as (item, datestamp, raw metadata), by item."""
        rows = self._db.execute(
            "SELECT item, datestamp, body FROM items WHERE source=? ORDER BY item", (source,)
        )
        for row in rows:
            yield row[0], row[1], zlib.decompress(row[2])

    def item_heads(self, source: str) -> dict[str, tuple[str | None, str | None]]:
        """Every stored item of ``source`` with its datestamp and record id (no metadata)."""
        rows = self._db.execute(
            "SELECT item, datestamp, record_id FROM items WHERE source=?", (source,)
        )
        return {row[0]: (row[1], row[2]) for row in rows}

    def has_items(self, source: str) -> bool:
        found = self._db.execute("SELECT 1 FROM items WHERE source=? LIMIT 1", (source,))
        return found.fetchone() is not None

    def _apply_items(self, run_id: int, source: str, changes: ItemChanges) -> None:
        """Write a run's item changes (inside the commit's transaction)."""
        db = self._db
        if changes.replace_all:
            db.execute("DELETE FROM items WHERE source=?", (source,))
        for item in sorted(changes.gone):
            db.execute("DELETE FROM items WHERE source=? AND item=?", (source, item))
        for item, it in changes.put.items():
            db.execute(
                "INSERT INTO items VALUES (?,?,?,?,?,?) ON CONFLICT (source, item) DO UPDATE SET"
                " datestamp=excluded.datestamp, record_id=excluded.record_id,"
                " body=excluded.body, run_id=excluded.run_id",
                (source, item, it.datestamp, it.record_id, zlib.compress(it.body, 6), run_id),
            )
