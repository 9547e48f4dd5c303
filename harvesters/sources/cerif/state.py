"""A CERIF source's state in the store, so an incremental run links as a full harvest would.

The store keeps the latest raw metadata of every item the source serves (the ``items`` table,
``harvesters.store.items``). An incremental run merges what it fetched into that state (an
item fetched replaces the stored one unless the stored one carries a later datestamp; a deleted
item leaves it) and links the records of the whole merged state (``resolve_state``): a changed
Funding reaches its project, a project changed alone keeps its coordinator's type and its
funder's names, a renamed Equipment renames the projects that use it, and a facility keeps the
whole list of its projects. The records of the items the run fetched are its batch; every other
record of the state is handed to the store as *relinked*, which writes only those that changed.
Items are read and parsed one at a time and resolved in the order of their identifiers, the
order a full harvest resolves in too, so both end in the same records.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator

from harvesters.core.errors import ParseError
from harvesters.core.records import Record
from harvesters.sources.cerif.links import CerifEntity, Unsupported, resolve_links
from harvesters.sources.cerif.parse import parse_entity
from harvesters.store.database import RecordStore
from harvesters.store.items import ItemChanges

Item = tuple[str | None, bytes]  # datestamp, raw metadata


def entities_of(source: str, items: Iterable[tuple[str, bytes]]) -> Iterator[CerifEntity]:
    """The entities of ``(identifier, metadata)`` pairs, leaving out what cannot be parsed
    (a run quarantines its own failures when it fetches them)."""
    for identifier, body in items:
        try:
            entity = parse_entity(body, source, identifier)
        except ParseError:
            continue
        if not isinstance(entity, Unsupported):
            yield entity


def later(stored: str | None, fetched: str | None) -> bool:
    """Whether a stored datestamp is later than a fetched one (same granularity: ISO text)."""
    return bool(stored and fetched and len(stored) == len(fetched) and stored > fetched)


def link_with_state(
    store: RecordStore,
    source: str,
    put: dict[str, Item],
    gone: Iterable[str],
    batch_ids: set[str],
) -> tuple[list[Record], list[Record], ItemChanges]:
    """The run's batch and the relinked records of the merged state, and the item changes
    to commit with them. Stored items stream from the store in identifier order and merge with
    the run's, so only entities, not every item's XML, are held at once."""
    gone = set(gone)
    stamps = store.item_stamps(source)
    changes = {
        i: item for i, item in put.items() if i not in gone and not later(stamps.get(i), item[0])
    }
    stored = (
        (i, body) for i, _stamp, body in store.items(source) if i not in gone and i not in changes
    )
    fresh = ((i, body) for i, (_stamp, body) in sorted(changes.items()))
    merged = heapq.merge(stored, fresh, key=lambda pair: pair[0])
    records = resolve_links(entities_of(source, merged))
    batch = [r for r in records if r.source_id in batch_ids]
    relinked = [r for r in records if r.source_id not in batch_ids]
    return batch, relinked, ItemChanges(put=changes, gone=frozenset(gone))
