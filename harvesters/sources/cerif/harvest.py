"""Harvesting a CERIF source over OAI-PMH into the record store.

``harvest_cerif(config, source)`` asks the repository who it is (Identify: granularity,
deletedRecord), picks the OpenAIRE CERIF metadata format, and walks ListRecords for each of the
source's sets. The pages are the run's raw payloads; ``parse_cerif_pages`` turns them into
records (the same function re-parses stored payloads), so what was fetched is always what was
parsed. Incremental runs ask ``from`` = the start of the last successful run minus an overlap,
in the server's granularity; that start is saved only when the whole run succeeded. A source
whose ``deletedRecord`` is ``no`` cannot announce deletions, so every ``RECONCILE_DAYS`` it is
harvested in full and records it no longer lists are withdrawn (under the shrink guard).
Every item's latest metadata is kept in the store, and an incremental run links its records
against that whole state (``harvesters.sources.cerif.state``), so it ends in the records a
full harvest of the same server would; a store without that state is harvested in full once.
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
from harvesters.sources.cerif.fetch import SWEEP, Fetched, fetch_parts
from harvesters.sources.cerif.links import FundingEntity, Unsupported, resolve_links
from harvesters.sources.cerif.parse import parse_entity
from harvesters.sources.cerif.state import link_with_state
from harvesters.sources.http import HttpClient
from harvesters.sources.oai.client import OAIClient
from harvesters.sources.oai.errors import OAIError
from harvesters.sources.oai.responses import (
    OAIRecord,
    choose_prefix,
    next_from,
    parse_header,
    parse_record,
    q,
    verb_element,
)
from harvesters.sources.oai.salvage import parse_page
from harvesters.sources.run import Parsed, RunReport, ingest
from harvesters.store.database import ItemChanges, RawPayload, RecordStore, utcnow
from harvesters.store.items import Item
from harvesters.store.quarantine import raw_bytes

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
    sets = list(source.sets or DEFAULT_SETS)
    froms, complete = _window(config, source, client, full, sets)
    fetched = Fetched()

    def fetch(progress: Progress) -> list[RawPayload]:
        prefix = choose_prefix(client.list_metadata_formats())
        if prefix is None:
            raise SourceProtocolError(
                f"{source.base_url} offers no OpenAIRE CERIF metadata format "
                "(a prefix starting with oai_cerif_openaire, or the CERIF namespace)"
            )
        got = fetch_parts(client, source.name, prefix, froms, progress, strict=full)
        fetched.failed, fetched.rewalked = got.failed, got.rewalked
        return got.pages

    def parse(payloads: Sequence[RawPayload], progress: Progress) -> Parsed:
        parsed = parse_cerif_pages(source.name, payloads, progress)
        parsed.rewalked = fetched.rewalked
        if fetched.failed:  # the next run asks these parts again from where this one did
            parsed.failed_parts = [
                f"{_part(p)} failed (the others were kept; the next run asks it again): {why}"
                for p, why in fetched.failed.items()
            ]
            parsed.notes = {"failed_sets": dict(fetched.failed)}
            parsed.incomplete = True  # a full harvest that missed a set withdraws nothing
        return parsed

    try:
        return ingest(
            config,
            source.name,
            "harvest",
            fetch,
            parse,
            complete=complete,
            allow_shrink=allow_shrink,
            quiet=quiet,
            options={
                "harvest_start": started,
                "from": min((f for f in froms.values() if f), default=None),
                "set_from": froms,
                "sets": sets,
            },
        )
    finally:
        http.close()


def _part(part: str) -> str:
    return "the deletions sweep" if part == SWEEP else f"set {part}"


def _window(
    config: Config, source: Source, client: OAIClient, full: bool, sets: list[str]
) -> tuple[dict[str, str | None], bool]:
    """(from per part, complete): a full harvest has no ``from`` and withdraws what it did
    not see. A part (a set, the deletions sweep) that failed in the last run is asked again
    from the ``from`` it had then; a set new to the configuration is walked whole; a set
    dropped from it makes a full harvest (its records would otherwise stay for good)."""
    identify = client.identify()
    with RecordStore(config.store_path) as store:
        last = store.last_successful_run(source.name)
        last_full = store.last_successful_run(source.name, complete=True)
        known = store.has_items(source.name)
    start = last.options.get("harvest_start") if last else None
    everything: dict[str, str | None] = dict.fromkeys(sets)
    if full or not isinstance(start, str) or last is None:
        return everything, True
    before = last.options.get("sets")
    known_sets = set(before) if isinstance(before, list) else set(sets)
    if known_sets - set(sets):
        log.info("%s: sets left the configuration: a full harvest", source.name)
        return everything, True
    if not known:  # a store from before item states were kept: links need the whole source
        log.info("%s: no stored item state yet: a full harvest makes it", source.name)
        return everything, True
    stale = last_full is None or _older_than(last_full.started, RECONCILE_DAYS)
    if identify.deleted_record == "no" and stale:
        log.info("%s keeps no deletions: a full harvest reconciles identifiers", source.name)
        return everything, True
    base = next_from(start, identify.granularity)
    failed = last.options.get("failed_sets")
    tried = last.options.get("set_from")
    froms: dict[str, str | None] = {}
    for part in [*sets, SWEEP]:
        again = isinstance(failed, dict) and part in failed and isinstance(tried, dict)
        if again and isinstance(tried, dict):
            froms[part] = tried.get(part)
        else:
            froms[part] = base if part in known_sets or part == SWEEP else None
    return froms, False


def _older_than(stamp: str, days: int) -> bool:
    when = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return datetime.now(UTC) - when > timedelta(days=days)


def _deleted_headers(root: etree._Element, label: str) -> list[OAIRecord]:
    """The deleted headers of a ListIdentifiers page (the run's sweep for deletions that
    name no set); its other headers say nothing the set walks did not."""
    try:
        element = verb_element(root, "ListIdentifiers", label)
    except (SourceProtocolError, OAIError):
        return []
    found = []
    for el in element.findall(q("header")):
        header = parse_header(el, label)
        if header.deleted and header.identifier:
            found.append(OAIRecord(**vars(header)))
    return found


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
            for header in _deleted_headers(root, payload.label):
                latest[header.identifier] = header
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
    # a record without an identifier comes again with every walk of its list: once each
    failures = list({raw_bytes(f.raw): f for f in nameless}.values())
    unnamed = len(failures)
    deleted: list[str] = []
    gone: dict[str, str | None] = {}
    put: dict[str, Item] = {}
    skipped = 0
    for identifier, rec in sorted(latest.items()):  # the order the stored state resolves in
        if progress:
            progress.advance()
        if isinstance(rec, ParseError):
            failures.append(rec)
            put[identifier] = Item(None, None, raw_bytes(rec.raw))  # the source's, broken or not
            continue
        if rec.deleted or rec.metadata_xml is None:
            deleted.append(internal_id(identifier))
            gone[identifier] = rec.datestamp
            continue
        put[identifier] = Item(rec.datestamp, None, rec.metadata_xml)
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
        if not isinstance(entity, FundingEntity):  # the record it makes (a Funding folds)
            put[identifier] = Item(rec.datestamp, entity.source_id, rec.metadata_xml)
        entities.append(entity)
    records = resolve_links(entities)
    folded = len(entities) - len(records)  # Fundings, and one entity listed in two sets
    batch = {r.source_id for r in records}
    parsed = Parsed(records, len(latest) + unnamed, failures, deleted, skipped, folded)
    parsed.items = ItemChanges(put=put, gone=frozenset(gone))
    parsed.relink = lambda store: link_with_state(store, source, put, gone, batch)
    return parsed
