"""The unattended update: harvest every source, then bring the published index up to date.

``run_update`` is what cron runs (``research-index update``). It takes the data folder's
``update`` lock (a second run gets ``LockBusy`` at once; the kernel frees the lock of a killed
run), harvests each enabled source on its own (a failing source is recorded and the others go
on; facility lists are imported by hand, so they are skipped), then builds, validates and
publishes the index (incremental, or full when the schema changed). The shrink guards of the
harvest and of the index refuse to publish far smaller data unless ``allow_shrink``. Each update
is recorded in the runs table (source and kind ``update``) next to the runs it caused; the
outcome (``ok`` / ``partial`` / ``failed``) maps to the exit codes the README documents.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from harvesters.core.config import Config
from harvesters.core.errors import HarvestError
from harvesters.core.lock import data_lock
from harvesters.core.sources import Source, load_sources
from harvesters.sources.harvest import harvest
from harvesters.store.database import RUN_FAILED, RUN_OK, RecordStore, utcnow
from indexer.building.build import BuildReport, build_index
from indexer.errors import IndexerError

log = logging.getLogger("research_index.update")

OK, PARTIAL, FAILED = "ok", "partial", "failed"
# kinds whose data is imported from files, not fetched
NOT_HARVESTED = ("facility-list", "meril", "esfri", "lightsources", "scilifelab")


@dataclass
class SourceOutcome:
    """What the update did with one source."""

    name: str
    kind: str
    status: str  # ok | failed | skipped
    run_id: int | None = None
    counts: dict[str, int] = field(default_factory=dict)
    error: str | None = None
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "status": self.status,
            "run_id": self.run_id,
            "counts": self.counts,
            "error": self.error,
            "seconds": round(self.seconds, 3),
        }


@dataclass
class UpdateReport:
    """One update: the outcome per source and of the index build."""

    run_id: int | None = None
    started: str = field(default_factory=utcnow)
    sources: list[SourceOutcome] = field(default_factory=list)
    index: BuildReport | None = None
    index_error: str | None = None
    seconds: float = 0.0

    @property
    def failed_sources(self) -> list[SourceOutcome]:
        return [s for s in self.sources if s.status == FAILED]

    @property
    def status(self) -> str:
        """``failed``: nothing published; ``partial``: some sources failed; else ``ok``."""
        if self.index is None:
            return FAILED
        return PARTIAL if self.failed_sources else OK

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "run_id": self.run_id,
            "started": self.started,
            "sources": [s.to_dict() for s in self.sources],
            "index": self.index.to_dict() if self.index else None,
            "index_error": self.index_error,
            "seconds": round(self.seconds, 3),
        }


def run_update(
    config: Config,
    allow_shrink: bool = False,
    quiet: bool = False,
    full_index: bool = False,
    procs: int = 1,
) -> UpdateReport:
    """Harvest every source, then build and publish the index; see the module docstring.

    Raises ``LockBusy`` when another update holds the lock, ``ConfigError`` when the sources
    file is invalid; per-source and index failures are in the report, never raised.
    """
    t0 = time.monotonic()
    report = UpdateReport()
    with data_lock(config, "update"):
        with RecordStore(config.store_path) as store:
            store.mark_abandoned_runs(lock="update")
            report.run_id = store.begin_run(
                "update", "update", {"allow_shrink": allow_shrink, "full_index": full_index}
            )
        try:
            sources = load_sources(config)
            for source in sources.values():
                report.sources.append(_harvest_one(config, source, allow_shrink, quiet))
            built = _build(config, allow_shrink, quiet, full_index, procs)
            report.index, report.index_error = built
        except BaseException as exc:
            _finish(config, report, [f"update: {exc!r}"])
            raise
        report.seconds = time.monotonic() - t0
        _finish(config, report, [])
    failed = ", ".join(s.name for s in report.failed_sources) or "none"
    log.info(
        "update %s in %.1f s: %d source(s), failed: %s; index %s",
        report.status,
        report.seconds,
        len(report.sources),
        failed,
        report.index.version if report.index else "not published",
    )
    return report


def _harvest_one(config: Config, source: Source, allow_shrink: bool, quiet: bool) -> SourceOutcome:
    outcome = SourceOutcome(source.name, source.kind, "skipped")
    if not source.enabled or source.kind in NOT_HARVESTED:
        why = "disabled" if not source.enabled else f"a {source.kind} is imported, not harvested"
        log.info("update: %s skipped (%s)", source.name, why)
        return outcome
    t0 = time.monotonic()
    try:
        run = harvest(config, source, allow_shrink=allow_shrink, quiet=quiet)
        outcome.status, outcome.run_id, outcome.counts = OK, run.run_id, run.counts.to_dict()
        if run.failed_parts:  # committed, but part of the source failed: the update is partial
            outcome.status, outcome.error = FAILED, "; ".join(run.failed_parts)
    except HarvestError as exc:
        outcome.status, outcome.error = FAILED, str(exc)
    except Exception as exc:  # a bug in one harvester must not stop the other sources
        log.exception("update: %s failed unexpectedly", source.name)
        outcome.status, outcome.error = FAILED, f"unexpected error: {exc!r}"
    outcome.seconds = time.monotonic() - t0
    if outcome.error:
        log.error("update: %s failed in %.1f s: %s", source.name, outcome.seconds, outcome.error)
    else:
        c = outcome.counts
        log.info(
            "update: %s ok in %.1f s: records %d, new %d, changed %d, withdrawn %d, failed %d",
            source.name,
            outcome.seconds,
            c.get("records", 0),
            c.get("new", 0),
            c.get("changed", 0),
            c.get("withdrawn", 0),
            c.get("failed", 0),
        )
    return outcome


def _build(
    config: Config, allow_shrink: bool, quiet: bool, full: bool, procs: int
) -> tuple[BuildReport | None, str | None]:
    t0 = time.monotonic()
    try:
        built = build_index(config, full=full, quiet=quiet, procs=procs, allow_shrink=allow_shrink)
    except (IndexerError, HarvestError) as exc:  # HarvestError: LockBusy on the index lock
        log.error("update: index not published (%.1f s): %s", time.monotonic() - t0, exc)
        return None, str(exc)
    log.info(
        "update: index %s %s in %.1f s: %d documents (+%d ~%d -%d)",
        built.version,
        "published" if built.published else "unchanged",
        time.monotonic() - t0,
        built.doc_count,
        built.added,
        built.updated,
        built.deleted,
    )
    return built, None


def _finish(config: Config, report: UpdateReport, extra: list[str]) -> None:
    if report.run_id is None:
        return
    errors = [f"{s.name}: {s.error}" for s in report.failed_sources]
    if report.index_error:
        errors.append(f"index: {report.index_error}")
    counts = {
        "sources": len(report.sources),
        "sources_ok": sum(s.status == OK for s in report.sources),
        "sources_failed": len(report.failed_sources),
        "published": int(bool(report.index and report.index.published)),
        "documents": report.index.doc_count if report.index else 0,
    }
    status = RUN_FAILED if extra else (RUN_OK if report.status == OK else report.status)
    with RecordStore(config.store_path) as store:
        store.finish_run(report.run_id, status, counts, [*extra, *errors])
