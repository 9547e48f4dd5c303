"""Run orchestration: lock, fetch, normalise within an error budget, guard, commit, report.

Every harvest, import and re-parse goes through ``ingest``. The order is always the same:
take the data folder's lock (a second run exits at once), mark runs a killed process left
behind, record the run, fetch the raw payloads, normalise them (a bad row is logged, counted
and skipped; past the error budget the run fails), apply the shrink guard to complete runs,
then write payloads and records in one transaction. A run that fails leaves the store as it
was and says why in the runs table.
"""

from __future__ import annotations

import fcntl
import logging
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harvesters import swecris
from harvesters.config import Config
from harvesters.errors import (
    ErrorBudgetExceeded,
    HarvestError,
    LockBusy,
    ParseError,
    ShrinkRefused,
)
from harvesters.progress import Progress
from harvesters.records import KIND_PROJECT, Project, Record
from harvesters.store import RawPayload, RecordStore, RunCounts, utcnow

log = logging.getLogger("research_index.harvest")

MAX_LOGGED_ERRORS = 200


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
            "started": self.started,
            "ended": self.ended,
            "seconds": round(self.seconds, 3),
        }


@contextmanager
def data_lock(config: Config, name: str = "store") -> Iterator[None]:
    """An exclusive, non-blocking ``flock`` on ``<home>/locks/<name>.lock``.

    The kernel releases it when the holder dies, so a lock left by a killed run is simply
    taken over. A second live run gets ``LockBusy`` at once, naming the holder's pid.
    """
    config.lock_dir.mkdir(parents=True, exist_ok=True)
    path = config.lock_dir / f"{name}.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = Path(path).read_text(encoding="utf-8", errors="replace").strip()
            raise LockBusy(
                f"another run holds the {name} lock of {config.home} ({holder or 'unknown pid'}); "
                "try again when it has finished"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()} since {utcnow()}".encode())
        yield
    finally:
        os.close(fd)


@dataclass
class Parsed:
    """What a parser made of a run's payloads."""

    records: list[Record]
    fetched: int
    failures: list[ParseError]
    deleted: list[str] = field(default_factory=list)  # ids the source says it deleted
    skipped: int = 0  # records of kinds we do not map (counted, not failures)


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
    with data_lock(config), RecordStore(config.store_path) as store:
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
            with Progress(f"normalise {source}", quiet=quiet) as progress:
                parsed = parse(payloads, progress)
            records, failures = parsed.records, parsed.failures
            report.counts.fetched = parsed.fetched
            report.counts.failed = len(failures)
            report.errors = [str(f) for f in failures[:MAX_LOGGED_ERRORS]]
            for failure in failures[:MAX_LOGGED_ERRORS]:
                log.warning("skipped record %s", failure)
            if parsed.skipped:
                log.info("%s %s: %d record(s) of kinds not indexed", kind, source, parsed.skipped)
            _check_budget(config, parsed.fetched, len(failures))
            if not complete:
                records = _relink_with_store(store, source, records)
            else:
                _check_shrink(config, store, source, len(records), allow_shrink)
            report.counts.records = len(records)
            store.commit_run(
                report.run_id,
                source,
                records,
                payloads,
                report.counts,
                complete,
                report.errors,
                deleted=parsed.deleted,
            )
            store.prune_payloads(source)
            report.status = "ok"
        except HarvestError as exc:
            report.status = "failed"
            report.errors.insert(0, str(exc))
            store.fail_run(report.run_id, report.errors[:MAX_LOGGED_ERRORS], report.counts)
            raise
        except BaseException as exc:
            report.status = "failed"
            store.fail_run(report.run_id, [f"unexpected error: {exc!r}"], report.counts)
            raise
        finally:
            report.ended = utcnow()
            report.seconds = time.monotonic() - t0
    c = report.counts
    log.info(
        "%s %s: ok in %.1f s: fetched %d, records %d, new %d, changed %d, unchanged %d, "
        "withdrawn %d, failed %d",
        kind,
        source,
        report.seconds,
        c.fetched,
        c.records,
        c.new,
        c.changed,
        c.unchanged,
        c.withdrawn,
        c.failed,
    )
    return report


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


def _relink_with_store(store: RecordStore, source: str, batch: list[Record]) -> list[Record]:
    """Twin links of a partial run must see the records already stored, not just the batch.

    Returns the batch plus any stored record whose twin links change because of it.
    """
    if source != swecris.SOURCE or not all(isinstance(p, Project) for p in batch):
        return batch
    ids = {p.source_id for p in batch}
    stored = [
        s.record
        for s in store.iter_records(source, kind=KIND_PROJECT)
        if s.id not in ids and isinstance(s.record, Project)
    ]
    linked = swecris.link_twins([*batch, *stored])  # type: ignore[list-item]
    before = {p.source_id: (p.twin_of, p.twins) for p in stored}
    out: list[Record] = list(linked[: len(batch)])
    out += [p for p in linked[len(batch) :] if before[p.source_id] != (p.twin_of, p.twins)]
    return out


def parse_swecris(payloads: Sequence[RawPayload], progress: Progress | None = None) -> Parsed:
    """SweCRIS payloads (API JSON pages or export CSV/JSON files) into linked projects."""
    rows: list[Any] = []
    for payload in payloads:
        if _is_csv(payload):
            rows.extend(swecris.rows_from_csv(payload.body))
        else:
            rows.extend(swecris.rows_from_json(payload.body)[0])
    if progress:
        progress.set_total(len(rows))
    funding_rows: list[Project] = []
    failures: list[ParseError] = []
    for raw in rows:
        try:
            funding_rows.append(swecris.normalise_row(raw))
        except ParseError as exc:
            failures.append(exc)
        if progress:
            progress.advance()
    projects = swecris.link_twins(swecris.group_projects(funding_rows))
    return Parsed(list(projects), len(rows), failures)


def _is_csv(payload: RawPayload) -> bool:
    if "csv" in payload.content_type:
        return True
    if "json" in payload.content_type:
        return False
    return payload.body.lstrip(b"\xef\xbb\xbf \r\n\t")[:1] not in (b"[", b"{")


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
