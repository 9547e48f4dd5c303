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
from datetime import datetime

from harvesters.core.errors import ParseError
from harvesters.core.records import Record
from harvesters.sources.cerif.links import CerifEntity, Unsupported, resolve_links
from harvesters.sources.cerif.parse import parse_entity
from harvesters.store.database import RecordStore
from harvesters.store.items import Item, ItemChanges


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
    """Whether a stored datestamp is later than a fetched one (day or second granularity, as
    datetimes; a tie, or a datestamp that cannot be read, goes to the fetched item)."""
    a, b = _when(stored), _when(fetched)
    return a is not None and b is not None and a > b


def _when(stamp: str | None) -> datetime | None:
    if not stamp:
        return None
    try:
        return datetime.fromisoformat(stamp.strip().replace("Z", "+00:00")).replace(tzinfo=None)
    except ValueError:
        return None


def link_with_state(
    store: RecordStore,
    source: str,
    put: dict[str, Item],
    gone: dict[str, str | None],
    batch_ids: set[str],
) -> tuple[list[Record], list[Record], ItemChanges, list[str]]:
    """The run's batch, the relinked records of the merged state, the item changes to commit
    with them, and the record ids the state no longer makes (a deleted item's record, or the
    old id of an item whose CERIF id changed; not that of an item now broken, which stays
    as it was, quarantined, as in a full harvest). ``gone``: deleted items with their datestamps.
    A fetched item or deletion older than what the store holds is left out (a re-parse of
    old pages). Stored items stream from the store in identifier order and merge with the
    run's, so only entities, not every item's XML, are held at once."""
    heads = store.item_heads(source)
    deleted = {i for i, stamp in gone.items() if not later(heads.get(i, (None, None))[0], stamp)}
    changes = {
        i: item
        for i, item in put.items()
        if i not in deleted and not later(heads.get(i, (None, None))[0], item.datestamp)
    }
    stored = (
        (i, body)
        for i, _stamp, body in store.items(source)
        if i not in deleted and i not in changes
    )
    fresh = ((i, item.body) for i, item in sorted(changes.items()))
    merged = heapq.merge(stored, fresh, key=lambda pair: pair[0])
    records = resolve_links(entities_of(source, merged))
    made = {r.source_id for r in records}
    before = {heads[i][1] for i in deleted if i in heads}
    for i, item in changes.items():  # an item now broken keeps its record (quarantined)
        if item.record_id is not None and i in heads:
            before.add(heads[i][1])
    withdrawn = sorted(rid for rid in before if rid and rid not in made)
    batch = [r for r in records if r.source_id in batch_ids]
    relinked = [r for r in records if r.source_id not in batch_ids]
    return batch, relinked, ItemChanges(put=changes, gone=frozenset(deleted)), withdrawn
