"""Harvesting a CERIF source over OAI-PMH into the record store.

``harvest_cerif(config, source)`` asks the repository who it is (Identify: granularity,
deletedRecord), picks the OpenAIRE CERIF metadata format, and walks ListRecords for each of the
source's sets. The pages are the run's raw payloads; ``parse_cerif_pages`` turns them into
records (the same function re-parses stored payloads), so what was fetched is always what was
parsed. Incremental runs ask ``from`` = the start of the last successful run minus an overlap,
in the server's granularity; that start is saved only when the whole run succeeded. A source
whose ``deletedRecord`` is ``no`` cannot announce deletions, so every ``RECONCILE_DAYS`` it is
harvested in full and records it no longer lists are withdrawn (under the shrink guard).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from lxml import etree

from harvesters.core.config import Config
from harvesters.core.errors import ParseError, SourceProtocolError
from harvesters.core.progress import Progress
from harvesters.core.sources import Source
from harvesters.sources.cerif.links import Unsupported, resolve_links
from harvesters.sources.cerif.parse import parse_entity
from harvesters.sources.http import HttpClient
from harvesters.sources.oai.client import OAIClient
from harvesters.sources.oai.errors import OAIError
from harvesters.sources.oai.responses import (
    OAIRecord,
    choose_prefix,
    next_from,
    parse_record,
    q,
    verb_element,
)
from harvesters.sources.oai.salvage import parse_page
from harvesters.sources.run import Parsed, RunReport, ingest
from harvesters.store.database import RawPayload, RecordStore, utcnow

log = logging.getLogger("research_index.harvest")

RECONCILE_DAYS = 7
DEFAULT_SETS = (
    "openaire_cris_projects",
    "openaire_cris_funding",
    "openaire_cris_orgunits",
    "openaire_cris_persons",
    "openaire_cris_equipments",
)


def harvest_cerif(
    config: Config,
    source: Source,
    allow_shrink: bool = False,
    quiet: bool = False,
    full: bool = False,
) -> RunReport:
    """One harvest of a CERIF source; see the module docstring for incremental rules."""
    started = utcnow()
    http = HttpClient(
        timeout=source.timeout or config.timeout,
        max_response_time=config.response_time,
        max_retries=source.max_retries if source.max_retries is not None else config.max_retries,
        retry_budget=config.retry_budget,
    )
    client = OAIClient(source.base_url, http)
    from_, complete = _window(config, source, client, full)
    sets = source.sets or DEFAULT_SETS

    def fetch(progress: Progress) -> list[RawPayload]:
        prefix = choose_prefix(client.list_metadata_formats())
        if prefix is None:
            raise SourceProtocolError(
                f"{source.base_url} offers no OpenAIRE CERIF metadata format "
                "(a prefix starting with oai_cerif_openaire, or the CERIF namespace)"
            )
        pages: list[RawPayload] = []
        for set_spec in sets:
            walk = client.list_record_pages(
                prefix, set_spec=set_spec, from_=from_, progress=progress
            )
            for page in walk:
                pages.append(page.payload)
            if walk.size_mismatch:
                log.warning("%s %s: %s", source.name, set_spec, walk.size_mismatch)
        return pages

    try:
        return ingest(
            config,
            source.name,
            "harvest",
            fetch,
            lambda p, prog: parse_cerif_pages(source.name, p, prog),
            complete=complete,
            allow_shrink=allow_shrink,
            quiet=quiet,
            options={"harvest_start": started, "from": from_, "sets": list(sets)},
        )
    finally:
        http.close()


def _window(
    config: Config, source: Source, client: OAIClient, full: bool
) -> tuple[str | None, bool]:
    """(from, complete): a full harvest has no ``from`` and withdraws what it did not see."""
    identify = client.identify()
    with RecordStore(config.store_path) as store:
        last = store.last_successful_run(source.name)
        last_full = store.last_successful_run(source.name, complete=True)
    start = last.options.get("harvest_start") if last else None
    if full or not isinstance(start, str):
        return None, True
    stale = last_full is None or _older_than(last_full.started, RECONCILE_DAYS)
    if identify.deleted_record == "no" and stale:
        log.info("%s keeps no deletions: a full harvest reconciles identifiers", source.name)
        return None, True
    return next_from(start, identify.granularity), False


def _older_than(stamp: str, days: int) -> bool:
    when = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return datetime.now(UTC) - when > timedelta(days=days)


def internal_id(oai_identifier: str) -> str:
    """``oai:cris.example.org:Projects/112348`` -> ``Projects/112348`` (the CERIF id)."""
    if oai_identifier.startswith("oai:"):
        parts = oai_identifier.split(":", 2)
        if len(parts) == 3 and parts[2]:
            return parts[2]
    return oai_identifier


def parse_cerif_pages(
    source: str, payloads: Sequence[RawPayload], progress: Progress | None = None
) -> Parsed:
    """ListRecords pages -> records, deletions and failures; later pages win per identifier.

    A record that is not well-formed XML on its own (``parse_page``), has no identifier or
    cannot be mapped is a failure, quarantined with where it was and its raw XML."""
    latest: dict[str, OAIRecord | ParseError] = {}
    nameless: list[ParseError] = []
    for payload in payloads:
        root, broken = parse_page(payload.body, payload.label)
        for bad in broken:
            failure = ParseError(
                internal_id(bad.identifier) if bad.identifier else None,
                f"not well-formed XML: {bad.reason}",
                where=f"{payload.label} record {bad.position}",
                raw=bad.raw,
            )
            if bad.identifier:
                latest[bad.identifier] = failure
            else:
                nameless.append(failure)
        try:
            element = verb_element(root, "ListRecords", payload.label)
        except (SourceProtocolError, OAIError):
            continue  # an error page (e.g. noRecordsMatch) holds no records
        for position, record_el in enumerate(element.findall(q("record")), start=1):
            record = parse_record(record_el, payload.label)
            if not record.identifier:
                raw = etree.tostring(record_el, encoding="utf-8")
                where = f"{payload.label} record {position}"
                nameless.append(
                    ParseError(None, "a record has no identifier", where=where, raw=raw)
                )
                continue
            latest[record.identifier] = record
    if progress:
        progress.set_total(len(latest))
    entities = []
    failures = list(nameless)
    deleted: list[str] = []
    skipped = 0
    for identifier, rec in latest.items():
        if progress:
            progress.advance()
        if isinstance(rec, ParseError):
            failures.append(rec)
            continue
        if rec.deleted or rec.metadata_xml is None:
            deleted.append(internal_id(identifier))
            continue
        try:
            entity = parse_entity(rec.metadata_xml, source, identifier)
        except ParseError as exc:
            rid = internal_id(exc.record_id) if exc.record_id else internal_id(identifier)
            failures.append(
                ParseError(rid, exc.reason, where=f"{rec.page} {identifier}", raw=rec.metadata_xml)
            )
            continue
        if isinstance(entity, Unsupported):
            skipped += 1
            continue
        entities.append(entity)
    records = resolve_links(entities)
    folded = len(entities) - len(records)  # Fundings, and one entity listed in two sets
    return Parsed(records, len(latest) + len(nameless), failures, deleted, skipped, folded)
