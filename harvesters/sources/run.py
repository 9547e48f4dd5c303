"""Run orchestration: lock, fetch, normalise within an error budget, guard, commit, report.

Every harvest, import and re-parse goes through ``ingest``. The order is always the same:
take the data folder's lock (a second run exits at once), mark runs a killed process left
behind, record the run, fetch the raw payloads, normalise them (a bad item is logged, counted
and quarantined with its reason and raw text; past the error budget the run fails), apply the
shrink guard to complete runs, then write payloads, records and quarantine in one transaction.
A run that fails leaves the store as it was and says why in the runs table; a store that
cannot be written (disk full) is a ``StorageError``. The report's counts add up:
``fetched = stored + quarantined + skipped + deleted + folded`` (``harvesters.store.runs``);
a parser that loses track of an item is reported loudly in the run's errors.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from harvesters.core.config import Config
from harvesters.core.errors import (
    STORAGE_ERRNOS,
    ErrorBudgetExceeded,
    HarvestError,
    ParseError,
    ShrinkRefused,
    StorageError,
    cannot_write,
)
from harvesters.core.lock import data_lock
from harvesters.core.pausepoints import pause_point
from harvesters.core.progress import Progress
from harvesters.core.records import KIND_PROJECT, Project, Record
from harvesters.sources.swecris import normalise as swecris
from harvesters.store.database import ItemChanges, RawPayload, RecordStore, RunCounts, utcnow
from harvesters.store.quarantine import Quarantined, raw_bytes

log = logging.getLogger("research_index.harvest")

MAX_LOGGED_ERRORS = 200
COMMITTED_NOTHING = "nothing of this run was committed"


@dataclass
class RunReport:
    """What a run did: the figures the CLI prints, ``--json`` emits and the status page shows."""

    source: str
    kind: str
    status: str
    run_id: int | None = None
    complete: bool = False
    counts: RunCounts = field(default_factory=RunCounts)
    errors: list[str] = field(default_factory=list)
    failed_parts: list[str] = field(default_factory=list)  # parts of the source that failed
    started: str = field(default_factory=utcnow)
    ended: str | None = None
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "kind": self.kind,
            "status": self.status,
            "run_id": self.run_id,
            "complete": self.complete,
            "counts": self.counts.to_dict(),
            "errors": self.errors,
            "failed_parts": self.failed_parts,
            "started": self.started,
            "ended": self.ended,
            "seconds": round(self.seconds, 3),
        }


@dataclass
class Parsed:
    """What a parser made of a run's payloads."""

    records: list[Record]
    fetched: int  # items the payloads held (rows, distinct OAI records)
    failures: list[ParseError]  # items that could not be used: quarantined
    deleted: list[str] = field(default_factory=list)  # ids the source says it deleted
    skipped: int = 0  # records of kinds we do not map (counted, not failures)
    folded: int = 0  # items merged into another record (a project's further funding rows)
    rewalked: int = 0  # lists walked again because they shifted under the walk
    #: parts of the source that failed while the others were kept ("set X: why"), and what
    #: the run adds to its options for the next run (which parts to ask again, from when)
    failed_parts: list[str] = field(default_factory=list)
    notes: dict[str, object] = field(default_factory=dict)
    incomplete: bool = False  # a run meant to be complete that did not see everything
    #: the source items the payloads hold, kept in the store (``harvesters.store.items``)
    items: ItemChanges | None = None
    #: a partial run's links against the stored state: (batch, relinked, item changes, the
    #: ids of records the state no longer makes)
    relink: (
        Callable[[RecordStore], tuple[list[Record], list[Record], ItemChanges, list[str]]] | None
    ) = None


Parser = Callable[[Sequence[RawPayload], Progress], Parsed]


def ingest(
    config: Config,
    source: str,
    kind: str,
    fetch: Callable[[Progress], list[RawPayload]],
    parse: Parser,
    complete: bool,
    allow_shrink: bool = False,
    quiet: bool = False,
    options: dict[str, object] | None = None,
) -> RunReport:
    """Run one harvest/import/re-parse of ``source`` and return its report.

    Raises ``LockBusy`` when another run holds the lock (nothing recorded), and re-raises
    any ``HarvestError`` after recording the failed run; the store is unchanged then.
    """
    report = RunReport(source=source, kind=kind, status="running", complete=complete)
    t0 = time.monotonic()
    with _storage(config), data_lock(config), RecordStore(config.store_path) as store:
        killed = store.mark_abandoned_runs()
        if killed:
            log.warning("%d earlier run(s) had been interrupted; they committed nothing", killed)
        report.run_id = store.begin_run(source, kind, {**(options or {}), "complete": complete})
        log.info("%s %s: run %d started", kind, source, report.run_id)
        try:
            if kind == "harvest":
                with Progress(f"fetch {source}", quiet=quiet) as progress:
                    payloads = fetch(progress)
            else:
                payloads = fetch(Progress(kind, quiet=True))
            log.info("%s %s: %d payload(s) fetched", kind, source, len(payloads))
            _refuse_empty_files(payloads)
            with Progress(f"normalise {source}", quiet=quiet) as progress:
                parsed = parse(payloads, progress)
            records, failures = parsed.records, parsed.failures
            _count(report, parsed)
            for failure in failures[:MAX_LOGGED_ERRORS]:
                log.warning("quarantined %s", failure)
            if parsed.skipped:
                log.info("%s %s: %d record(s) of kinds not indexed", kind, source, parsed.skipped)
            _check_budget(config, parsed.fetched, len(failures))
            if parsed.notes:
                store.add_run_options(report.run_id, parsed.notes)
            pause_point("parsed")
            relinked: list[Record] = []
            items = parsed.items
            deleted = parsed.deleted
            if complete and parsed.incomplete:  # it withdraws nothing, and merges its items
                complete = report.complete = False
            if not complete and parsed.relink is not None:
                records, relinked, items, deleted = parsed.relink(store)
            elif not complete:
                records, relinked = _relink_with_store(store, source, records)
            else:
                _check_shrink(config, store, source, len(records), allow_shrink)
                if items is not None:  # the whole source: its items are these alone
                    items = replace(items, gone=frozenset(), replace_all=True)
            store.commit_run(
                report.run_id,
                source,
                records,
                payloads,
                report.counts,
                complete,
                report.errors,
                deleted=deleted,
                quarantine=[_quarantined(f) for f in failures],
                relinked=relinked,
                items=items,
            )
            report.status = "ok"
            try:
                store.prune_payloads(source)
            except sqlite3.Error as exc:  # the run is committed; pruning can wait for the next
                log.warning("could not prune old payloads of %s: %s", source, exc)
        except HarvestError as exc:
            report.status = "failed"
            report.errors.insert(0, str(exc))
            _close_failed(store, report, report.errors[:MAX_LOGGED_ERRORS])
            raise
        except BaseException as exc:
            report.status = "failed"
            storage = _storage_error(config, exc)
            _close_failed(
                store, report, [str(storage) if storage else f"unexpected error: {exc!r}"]
            )
            if storage:
                raise storage from exc
            raise
        finally:
            report.ended = utcnow()
            report.seconds = time.monotonic() - t0
    c = report.counts
    log.info(
        "%s %s: ok in %.1f s: fetched %d = stored %d (new %d, changed %d, unchanged %d) + "
        "quarantined %d + skipped %d + deleted %d + folded %d; withdrawn %d",
        kind,
        source,
        report.seconds,
        c.fetched,
        c.stored,
        c.new,
        c.changed,
        c.unchanged,
        c.quarantined,
        c.skipped,
        c.deleted,
        c.folded,
        c.withdrawn,
    )
    return report


def _count(report: RunReport, parsed: Parsed) -> None:
    """The parser's figures into the report; an item it lost track of is an error, loudly."""
    c = report.counts
    c.fetched, c.records = parsed.fetched, len(parsed.records)
    c.quarantined = c.failed = len(parsed.failures)
    c.skipped, c.deleted, c.folded = parsed.skipped, len(parsed.deleted), parsed.folded
    c.rewalked = parsed.rewalked
    report.failed_parts = list(parsed.failed_parts)
    report.errors = parsed.failed_parts + [str(f) for f in parsed.failures[:MAX_LOGGED_ERRORS]]
    if c.balance():
        message = (
            f"internal: the counts do not add up: fetched {c.fetched} != records {c.records} + "
            f"quarantined {c.quarantined} + skipped {c.skipped} + deleted {c.deleted} + "
            f"folded {c.folded} (please report this)"
        )
        log.error("%s %s: %s", report.kind, report.source, message)
        report.errors.insert(0, message)


def _quarantined(failure: ParseError) -> Quarantined:
    return Quarantined(failure.record_id, failure.where, failure.reason, raw_bytes(failure.raw))


def _close_failed(store: RecordStore, report: RunReport, errors: list[str]) -> None:
    """Record the failure; a store that cannot even take that must not hide the first error."""
    assert report.run_id is not None
    try:
        store.fail_run(report.run_id, errors, report.counts)
    except (sqlite3.Error, OSError) as exc:
        log.error("could not record the failure of run %s: %s", report.run_id, exc)


@contextmanager
def _storage(config: Config) -> Iterator[None]:
    """A store or data folder that cannot be written becomes a ``StorageError`` that says so."""
    try:
        yield
    except (sqlite3.Error, OSError) as exc:
        storage = _storage_error(config, exc)
        if storage is None:
            raise
        raise storage from exc


def _storage_error(config: Config, exc: BaseException) -> StorageError | None:
    """``exc`` as a ``StorageError`` when it means the disk is full or not writable."""
    if isinstance(exc, sqlite3.Error):
        text = str(exc).lower()
        if any(k in text for k in ("full", "disk i/o", "readonly", "read-only")):
            return StorageError(cannot_write(config.home, str(exc), COMMITTED_NOTHING))
    elif isinstance(exc, OSError) and exc.errno in STORAGE_ERRNOS:
        return StorageError(
            cannot_write(config.home, os.strerror(exc.errno or 0), COMMITTED_NOTHING)
        )
    return None


def _check_budget(config: Config, fetched: int, failed: int) -> None:
    if fetched and failed / fetched > config.error_budget:
        raise ErrorBudgetExceeded(
            f"{failed} of {fetched} records failed to normalise "
            f"({100 * failed / fetched:.1f}% > budget {100 * config.error_budget:.1f}%); "
            "nothing was committed"
        )


def _check_shrink(
    config: Config, store: RecordStore, source: str, n: int, allow_shrink: bool
) -> None:
    before = store.count(source)
    if allow_shrink or before == 0:
        return
    if n < config.shrink_threshold * before:
        raise ShrinkRefused(
            f"the source returned {n} records where the store has {before} active "
            f"({100 * n / before:.0f}% < {100 * config.shrink_threshold:.0f}%); refusing to "
            "withdraw the rest. Re-run with --allow-shrink if the source really shrank"
        )


def _relink_with_store(
    store: RecordStore, source: str, batch: list[Record]
) -> tuple[list[Record], list[Record]]:
    """Twin links of a partial run must see the records already stored, not just the batch.

    Returns the batch (relinked) and the stored records whose twin links change because of it.
    """
    if source != swecris.SOURCE or not all(isinstance(p, Project) for p in batch):
        return batch, []
    ids = {p.source_id for p in batch}
    stored = [
        s.record
        for s in store.iter_records(source, kind=KIND_PROJECT)
        if s.id not in ids and isinstance(s.record, Project)
    ]
    linked = swecris.link_twins([*batch, *stored])  # type: ignore[list-item]
    before = {p.source_id: (p.twin_of, p.twins) for p in stored}
    others = [p for p in linked[len(batch) :] if before[p.source_id] != (p.twin_of, p.twins)]
    return list(linked[: len(batch)]), list(others)


def parse_swecris(payloads: Sequence[RawPayload], progress: Progress | None = None) -> Parsed:
    """SweCRIS payloads (API JSON pages or export CSV/JSON files) into linked projects.

    A row that cannot be used is quarantined with where it was (page URL or file, item or
    line) and its raw text, and so are the other rows of its project: a project missing a
    funding would change its totals, so its last good version stays instead. Rows of one
    project after the first are ``folded`` into it."""
    rows: list[tuple[str, Any, str | None]] = []  # (where, row, raw text when known)
    for payload in payloads:
        if _is_csv(payload):
            for row, line in swecris.csv_rows(payload.body):
                rows.append((f"{payload.label} {line.lines}", row, line.raw))
        else:
            for n, row in enumerate(swecris.rows_from_json(payload.body)[0], start=1):
                rows.append((f"{payload.label} item {n}", row, None))
    if progress:
        progress.set_total(len(rows))
    funding_rows: list[tuple[Project, str, Any, str | None]] = []
    failures: list[ParseError] = []
    for where, raw, text in rows:
        try:
            funding_rows.append((swecris.normalise_row(raw), where, raw, text))
        except ParseError as exc:
            failures.append(exc.located(where, text if text is not None else _as_json(raw)))
        if progress:
            progress.advance()
    broken = {f.record_id for f in failures if f.record_id}
    kept: list[Project] = []
    for project, where, raw, text in funding_rows:
        if project.source_id in broken:  # a project is stored whole or not at all
            reason = "held back: another funding row of this project could not be read"
            shown = text if text is not None else _as_json(raw)
            failures.append(ParseError(project.source_id, reason, where=where, raw=shown))
        else:
            kept.append(project)
    projects = swecris.link_twins(swecris.group_projects(kept))
    return Parsed(list(projects), len(rows), failures, folded=len(kept) - len(projects))


def _as_json(row: Any) -> str:
    return json.dumps(row, ensure_ascii=False, default=repr)


def _is_csv(payload: RawPayload) -> bool:
    if "csv" in payload.content_type:
        return True
    if "json" in payload.content_type:
        return False
    return payload.body.lstrip(b"\xef\xbb\xbf \r\n\t")[:1] not in (b"[", b"{")


def _refuse_empty_files(payloads: list[RawPayload]) -> None:
    """A file of 0 bytes is a download cut off before its first byte, not a source with
    nothing in it: the run fails (under cron an empty import must not look like a good run)."""
    for payload in payloads:
        if payload.label.startswith("file:") and not payload.body:
            name = payload.label.removeprefix("file:")
            raise ParseError(
                None,
                f"{name}: the file is empty (0 bytes): a download cut off? nothing was imported",
                where=name,
            )


def file_payloads(paths: Sequence[str | os.PathLike[str]]) -> list[RawPayload]:
    """Files a user downloaded, as payloads; the content type comes from the extension."""
    out = []
    for p in paths:
        path = Path(p)
        suffix = path.suffix.lower()
        ctype = {".csv": "text/csv", ".json": "application/json", ".xml": "application/xml"}.get(
            suffix, ""
        )
        out.append(
            RawPayload(
                label=f"file:{path.name}",
                body=path.read_bytes(),
                content_type=ctype or "application/octet-stream",
            )
        )
    return out
