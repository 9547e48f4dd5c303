"""Building index versions from the record store: full or incremental, validated, published.

``build_index`` takes the data folder's index lock, decides between a full build (no index
yet, another schema/analysis version, or ``full=True``) and an incremental one (only records
changed or withdrawn since the store sequence the current version was built from), builds a
*new* version directory, validates it (document count against the store, smoke queries), and
only then publishes it by swapping the ``current`` pointer. The published version is never
written to; a failed or killed build leaves it serving. A build that would shrink the published
document count below ``shrink_threshold`` is refused unless ``allow_shrink``. Every build is
recorded in the store's runs table (source and kind ``index``) for the status page.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypedDict

from harvesters.core.config import Config
from harvesters.core.errors import STORAGE_ERRNOS, cannot_write
from harvesters.core.lock import data_lock
from harvesters.core.progress import Progress
from harvesters.core.records import KIND_FACILITY, KIND_PROJECT, record_from_dict
from harvesters.store.database import (
    LOCKED_KINDS,
    RUN_FAILED,
    RUN_OK,
    RecordStore,
    utcnow,
)
from harvesters.store.scan import scan, title_pairs, withdrawn_ids
from indexer.analysis.compounds import Decompounder
from indexer.analysis.languages import analysis_id
from indexer.analysis.translations import learn as learn_translations
from indexer.building.facility_maps import save_registry
from indexer.building.parallel import (
    Shared,
    add_facilities,
    add_in_workers,
    document,
    full_build,
    merge_labels,
)
from indexer.building.people import save_people
from indexer.building.versions import (
    MANIFEST,
    SUPERSEDED,
    IndexLocation,
    Version,
    write_manifest,
)
from indexer.documents.projects import Labels, uid_of
from indexer.engine import SCHEMA_VERSION, SegmentBuilder, exact_terms, no_cyclic_gc, open_version
from indexer.errors import BuildFailed, IndexShrinkRefused, IndexStorageFull
from indexer.registry.build import Registry, build_registry

log = logging.getLogger("research_index.index")

LABELS_FILE = "labels.json"
COMPOUNDS_FILE = "compounds.json"
# the version's Swedish <-> English table, learnt from the projects' title pairs by a full
# build (an incremental one carries it forward, as it does the compound lexicon)
TRANSLATIONS_FILE = "translations.json"
WITHDRAWN_FILE = "withdrawn.json"
MAX_SEGMENTS = 12


class _Cleanup(TypedDict, total=False):
    """``IndexLocation.cleanup``'s keyword arguments that a build passes on."""

    grace_seconds: float


@dataclass
class BuildReport:
    mode: str  # full | incremental | unchanged
    version: str | None
    published: bool
    doc_count: int
    added: int = 0
    updated: int = 0
    deleted: int = 0
    store_seq: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def run_counts(self) -> dict[str, int]:
        """The figures kept in the runs table."""
        return {
            "documents": self.doc_count,
            "added": self.added,
            "updated": self.updated,
            "deleted": self.deleted,
            "published": int(self.published),
        }


def build_index(
    config: Config,
    full: bool = False,
    quiet: bool = False,
    procs: int = 1,
    grace_seconds: float | None = None,
    allow_shrink: bool = False,
) -> BuildReport:
    """Bring the published index up to date with the store; see the module docstring.

    Raises ``LockBusy`` when another build runs (nothing recorded), ``IndexShrinkRefused``,
    ``IndexStorageFull`` (the disk is full or a file past the size limit, in this process or a
    worker) or ``BuildFailed`` when nothing was published (the run is recorded as failed).
    """
    with data_lock(config, "index"), RecordStore(config.store_path) as store:
        store.mark_abandoned_runs(lock="index")
        run_id = store.begin_run("index", "index", {"full": full, "allow_shrink": allow_shrink})
        try:
            try:
                report = _build(config, store, full, quiet, procs, grace_seconds, allow_shrink)
            except OSError as exc:
                if exc.errno not in STORAGE_ERRNOS:
                    raise
                detail = os.strerror(exc.errno or 0)
                message = cannot_write(config.home, detail, "nothing was published")
                raise IndexStorageFull(message) from exc
        except BaseException as exc:
            store.finish_run(run_id, RUN_FAILED, {}, [str(exc) or repr(exc)])
            raise
        store.finish_run(run_id, RUN_OK, report.run_counts(), [])
        return report


def _check_shrink(
    config: Config, current: Version | None, expected: int, allow_shrink: bool
) -> None:
    if current is None or allow_shrink:
        return
    before = int(current.manifest.get("doc_count", 0))
    if not before or expected >= config.shrink_threshold * before:
        return
    raise IndexShrinkRefused(
        f"the new index would hold {expected} documents where the published {current.name} "
        f"holds {before} ({100 * expected / before:.0f}% < "
        f"{100 * config.shrink_threshold:.0f}%); not publishing it. Re-run with --allow-shrink "
        "if the data really shrank"
    )


def _build(
    config: Config,
    store: RecordStore,
    full: bool,
    quiet: bool,
    procs: int,
    grace_seconds: float | None,
    allow_shrink: bool,
) -> BuildReport:
    t0 = time.monotonic()
    location = IndexLocation(config.index_root)
    current = location.current()
    seq = store.max_seq()
    same_schema = bool(current and analysed_now(current.manifest))
    if current and same_schema and not full and current.manifest.get("store_seq") == seq:
        log.info("index %s is up to date with the store (seq %d)", current.name, seq)
        return BuildReport(
            "unchanged",
            current.name,
            False,
            current.manifest["doc_count"],
            store_seq=seq,
            seconds=time.monotonic() - t0,
        )
    previous = current.path if current and same_schema and not full else None
    registry = build_registry(config.store_path, config.home, previous)
    expected = store.count(kind=KIND_PROJECT) + len(registry.facilities)
    _check_shrink(config, current, expected, allow_shrink)
    target = location.new_version_dir()
    try:
        if current and same_schema and not full and not _needs_full(current.path):
            report = _incremental(
                config, store, current.path, target, current.manifest, registry, quiet, procs
            )
        else:
            report = _full(config, target, expected, registry, quiet, procs)
        report.store_seq = seq
        _save_withdrawn(target, config)
        save_people(target, config.store_path)
        save_registry(target, registry)
        validate(target, expected)
        report.doc_count = expected
        report.seconds = time.monotonic() - t0
        write_manifest(
            target,
            {
                "version": target.name,
                "schema_version": SCHEMA_VERSION,
                "analysis": analysis_id(),
                "built": utcnow(),
                "mode": report.mode,
                "base": current.name if current and report.mode == "incremental" else None,
                "doc_count": expected,
                "store_seq": seq,
                "counts": _counts_by_source(store),
                "facilities": registry.report,
                "build_seconds": round(report.seconds, 3),
            },
        )
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    location.publish(target)
    report.version = target.name
    report.published = True
    options: _Cleanup = {} if grace_seconds is None else {"grace_seconds": grace_seconds}
    removed = location.cleanup(**options)
    log.info(
        "published index %s (%s, %d documents, %.1f s); removed %d old version(s)",
        target.name,
        report.mode,
        expected,
        report.seconds,
        len(removed),
    )
    return report


INDEXED_KINDS = (KIND_PROJECT, KIND_FACILITY)  # withdrawn ones answer 410
#: Store records indexed one document each; facilities are made by the registry.
RECORD_KINDS = (KIND_PROJECT,)

#: Changed records per process below which an incremental build stays in one process (each
#: process adds a segment, and starting one costs more than indexing a few hundred records).
PARALLEL_MIN_DOCS = 250


def _full(
    config: Config, target: Path, total: int, registry: Registry, quiet: bool, procs: int
) -> BuildReport:
    added, labels, shared = full_build(
        config.store_path, RECORD_KINDS, target, total, registry, procs=procs, quiet=quiet
    )
    shared.decompounder.save(target / COMPOUNDS_FILE)
    t0 = time.monotonic()
    translations = learn_translations(title_pairs(config.store_path))
    translations.save(target / TRANSLATIONS_FILE)
    log.info(
        "translations: %d words from %d title pairs (%.1f s)",
        len(translations),
        translations.pairs,
        time.monotonic() - t0,
    )
    _save_labels(target, labels)
    return BuildReport("full", None, False, added, added=added)


def analysed_now(manifest: dict[str, Any]) -> bool:
    """Whether a version (its manifest) has this code's schema and was analysed with the
    installed lexicon and stemmers: a base for incremental builds, searched as it was built."""
    return (
        manifest.get("schema_version") == SCHEMA_VERSION
        and manifest.get("analysis") == analysis_id()
    )


def _needs_full(base: Path) -> bool:
    """An incremental build adds a segment; past ``MAX_SEGMENTS`` a full one starts afresh
    (searching many small segments costs more than rebuilding)."""
    with open_version(base, SCHEMA_VERSION) as index:
        return index.segment_count() >= MAX_SEGMENTS


def _link_or_copy(src: Path, dst: Path) -> None:
    """Segment files are never changed once written (deletions live in the TOC), so the new
    version shares them with the base by hard link; a copy where links are not possible."""
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _incremental(
    config: Config,
    store: RecordStore,
    base: Path,
    target: Path,
    manifest: dict[str, Any],
    registry: Registry,
    quiet: bool,
    procs: int = 1,
) -> BuildReport:
    """Apply records changed since the base version; facilities are made anew every time
    by the registry (their links follow the projects), which costs little: they are few. With
    ``procs`` > 1 and at least ``PARALLEL_MIN_DOCS`` changed records per process, forked
    processes index them (one new segment each) while this one holds the write lock."""
    for item in base.iterdir():
        if (
            item.is_file()
            and item.name not in (MANIFEST, SUPERSEDED)
            and not item.name.endswith("_LOCK")
        ):
            if item.name.endswith((".json", ".toc")):
                shutil.copy2(item, target / item.name)
            else:
                _link_or_copy(item, target / item.name)
    shared = Shared(
        config.store_path,
        RECORD_KINDS,
        registry,
        Decompounder.load(target / COMPOUNDS_FILE),
    )
    labels = _load_labels(target)
    index = open_version(target, SCHEMA_VERSION)
    report = BuildReport("incremental", None, False, 0)
    since = int(manifest.get("store_seq", 0))
    changed = list(scan(config.store_path, RECORD_KINDS, since_seq=since, include_withdrawn=True))
    active = [r for r in changed if r.status == "active"]
    procs = max(1, min(procs, os.cpu_count() or 1, len(active) // PARALLEL_MIN_DOCS))
    builder = SegmentBuilder(index)
    try:
        before = builder.delete("kind", KIND_FACILITY)
        with Progress("index (incremental)", total=len(changed), quiet=quiet) as progress:
            for raw in changed:  # first every old copy goes: changed, withdrawn or deleted
                deleted = builder.delete("uid", uid_of(raw.source, raw.id))
                if raw.status != "active":
                    report.deleted += deleted
                    progress.advance()
                else:
                    report.updated += bool(deleted)
                    report.added += not deleted
            made = add_facilities(builder, shared, labels)
            report.updated += min(before, made)
            report.added += max(0, made - before)
            report.deleted += max(0, before - made)
            if procs > 1:
                segments, label_data = add_in_workers(target, shared, active, procs, progress)
                merge_labels(labels, label_data)
                builder.commit(others=segments)
            else:
                with no_cyclic_gc():
                    for raw in active:
                        record = record_from_dict(raw.plain())
                        builder.add(document(record, shared, labels, raw.data))
                        progress.advance()
                builder.commit()
    except BaseException:
        builder.cancel()
        raise
    finally:
        index.close()
    _save_labels(target, labels)
    return report


def validate(path: Path, expected: int) -> None:
    """Open the new version as a reader would and check it before it is published."""
    try:
        index = open_version(path, SCHEMA_VERSION)
    except Exception as exc:  # whoosh raises plain Exceptions for damaged indexes
        raise BuildFailed(f"the new index in {path} does not open: {exc}") from exc
    with index:
        count = index.doc_count()
        if count != expected:
            raise BuildFailed(
                f"the new index holds {count} documents but the store has {expected} active "
                "records; not publishing it"
            )
        # The last documents: they are in the newest (for an update, the small) segment.
        samples = index.last_documents(3)
        with index.snapshot() as snapshot:
            for fields in samples:
                hits = snapshot.count("uid", fields["uid"], limit=2)
                if hits != 1:
                    raise BuildFailed(f"smoke query for {fields['uid']} found {hits} hits")
                record = json.loads(fields["record"])
                word = _first_word(record)
                if word and not snapshot.count("title_exact", word):
                    raise BuildFailed(f"smoke query for the title word {word!r} found nothing")


def _first_word(record: dict[str, Any]) -> str | None:
    title = record.get("title") or {}
    for text in (title.get("sv"), title.get("en")):
        if text:
            for word in exact_terms(text):
                return word
    return None


def _counts_by_source(store: RecordStore) -> dict[str, int]:
    counts: dict[str, int] = {}
    for run in store.runs(limit=1000):
        if run.kind not in LOCKED_KINDS:
            counts.setdefault(run.source, store.count(run.source))
    return counts


def _save_withdrawn(path: Path, config: Config) -> None:
    """The ids the store holds as withdrawn, so their pages can answer 410, not 404."""
    gone = [uid_of(s, i) for s, i in withdrawn_ids(config.store_path, INDEXED_KINDS)]
    with (path / WITHDRAWN_FILE).open("w", encoding="utf-8") as fh:
        json.dump(sorted(gone), fh)


def _save_labels(path: Path, labels: Labels) -> None:
    with (path / LABELS_FILE).open("w", encoding="utf-8") as fh:
        json.dump(labels.data, fh, ensure_ascii=False, sort_keys=True)


def _load_labels(path: Path) -> Labels:
    with (path / LABELS_FILE).open(encoding="utf-8") as fh:
        return Labels(json.load(fh))
