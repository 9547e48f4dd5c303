"""Fetching a CERIF source's lists for one run: the parts of a harvest and how each may fail.

The parts are each set's ListRecords walk and, in an incremental run, the ListIdentifiers
sweep (``SWEEP``: one list with ``from`` and no set, for deletions whose headers name no set).
Each part has its own ``from`` (``harvesters.sources.cerif.harvest`` chooses them). A list that
shifted under its walk (``ListWalk.drift``: an item twice, or a moving completeListSize) is
walked again, at most ``MAX_WALKS`` times in all; after that it counts as failed. A part that
fails (unreachable, a page the server answers with HTTP 500, a protocol error, a list that
keeps shifting) is set aside with its reason, and the run goes on with the others, unless the
run is ``strict`` (an explicit full harvest must see everything: it withdraws what it did not
see) or no set at all came through; then the first failure is raised.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from harvesters.core.errors import HarvestError, SourceProtocolError, SourceUnavailable
from harvesters.core.progress import Progress
from harvesters.sources.oai.client import ListWalk, OAIClient
from harvesters.sources.oai.errors import OAIError
from harvesters.store.database import RawPayload

log = logging.getLogger("research_index.harvest")

SWEEP = "*deletions*"  # the part that is the ListIdentifiers sweep, not a set
MAX_WALKS = 3  # walks of one list, when it keeps shifting, before the part counts as failed


class ListKeptShifting(SourceProtocolError):
    """A list shifted under every one of ``MAX_WALKS`` walks."""


@dataclass
class Fetched:
    pages: list[RawPayload] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # part -> why it failed
    rewalked: int = 0


def fetch_parts(
    client: OAIClient,
    name: str,
    prefix: str,
    froms: dict[str, str | None],
    progress: Progress,
    strict: bool,
) -> Fetched:
    """The pages of every part of ``froms`` (the sweep only with a ``from``)."""
    out = Fetched()
    first: HarvestError | None = None
    for part, from_ in froms.items():
        if part == SWEEP and not from_:
            continue
        try:
            out.pages += _walk(_lister(client, prefix, part, from_, progress), name, part, out)
        except (SourceUnavailable, SourceProtocolError, OAIError) as exc:
            if strict:
                raise
            log.error("%s %s failed; keeping the other parts: %s", name, part, exc)
            out.failed[part] = str(exc)
            first = first or exc
    sets = [p for p in froms if p != SWEEP]
    if first is not None and all(s in out.failed for s in sets):
        raise first
    return out


def _lister(
    client: OAIClient, prefix: str, part: str, from_: str | None, progress: Progress
) -> Callable[[], ListWalk[Any]]:
    if part == SWEEP:
        return lambda: client.list_identifier_pages(prefix, from_=from_, progress=progress)
    return lambda: client.list_record_pages(prefix, set_spec=part, from_=from_, progress=progress)


def _walk(
    make: Callable[[], ListWalk[Any]], name: str, part: str, out: Fetched
) -> list[RawPayload]:
    """One part's pages; walked again when it shifted under the walk (a record changed while
    it was paged can push another back past the walk: that one would be missed for good, its
    datestamp being old)."""
    pages: list[RawPayload] = []
    drift = None
    for attempt in range(1, MAX_WALKS + 1):
        walk = make()
        pages += [page.payload for page in walk]
        if walk.size_mismatch:
            log.warning("%s %s: %s", name, part, walk.size_mismatch)
        drift = walk.drift
        if drift is None:
            return pages
        log.warning("%s %s: the list shifted while it was walked: %s", name, part, drift)
        if attempt < MAX_WALKS:
            out.rewalked += 1
    raise ListKeptShifting(
        f"{name} {part}: the list kept shifting over {MAX_WALKS} walks ({drift})"
    )
