"""Builds on every core: shards of the store (or of a list of changed records), one segment
writer per process.

Owns the full build's work plan. The parent reads what every document needs from the whole
store (the Swedish vocabulary for decompounding, counted by a pool) with cheap raw scans, is
handed the facility registry (``indexer.registry``), then forks ``procs`` workers; worker k
reads the records whose store sequence is k modulo ``procs`` (raw JSON, one read connection of
its own), builds their documents and writes them with :class:`indexer.engine.writer.SegmentBuilder`
into segments of its own (a new segment every ``segment_docs`` documents bounds memory on very
large builds). The parent waits, draws the progress bar from a shared counter, merges the
workers' facet labels in worker order and writes the table of contents naming every segment
(the first worker also writes the registry's facility documents). A worker's failure fails
the build with that worker's traceback; nothing is published (the caller removes the
directory). An incremental build with enough changed records hands them to
``add_in_workers`` the same way.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harvesters.core.errors import STORAGE_ERRNOS
from harvesters.core.progress import Progress
from harvesters.core.records import Project, Record, record_from_dict
from harvesters.store.scan import RawRecord, scan, swedish_texts
from indexer.analysis.compounds import Decompounder, raw_token_counts
from indexer.documents.projects import Labels, to_document
from indexer.engine import (
    SCHEMA_VERSION,
    SegmentBuilder,
    create_version,
    no_cyclic_gc,
    open_version,
)
from indexer.errors import BuildFailed
from indexer.registry.build import Registry
from indexer.registry.documents import facility_document

log = logging.getLogger("research_index.index")

#: Documents per segment before a worker starts the next one (memory stays ~1-2 GB each).
SEGMENT_DOCS = 250_000
_TICK = 64  # documents between updates of the shared progress counter


@dataclass
class Shared:
    """What every worker needs, computed once by the parent before it forks."""

    store_path: Path
    kinds: tuple[str, ...]
    registry: Registry
    decompounder: Decompounder


def document(
    record: Record,
    shared: Shared,
    labels: Labels,
    record_json: str | None = None,
) -> dict[str, Any]:
    """The Whoosh fields of a project record (facilities come from the registry)."""
    assert isinstance(record, Project)
    return to_document(record, shared.decompounder, labels, record_json)


def add_facilities(builder: SegmentBuilder, shared: Shared, labels: Labels) -> int:
    """Add the registry's facility documents to ``builder``; returns how many."""
    for facility in shared.registry.facilities:
        builder.add(facility_document(facility, shared.registry, shared.decompounder, labels))
    return len(shared.registry.facilities)


def _count_shard(args: tuple[Path, int, int]) -> Counter[str]:
    store_path, k, n = args
    return raw_token_counts(swedish_texts(store_path, shard=(k, n)))


def prepare(store_path: Path, kinds: tuple[str, ...], registry: Registry, procs: int = 1) -> Shared:
    """The decompounder's vocabulary (counted by ``procs`` processes), with the registry."""
    t0 = time.monotonic()
    if procs > 1:
        with multiprocessing.get_context("fork").Pool(procs) as pool:
            parts = pool.map(_count_shard, [(store_path, k, procs) for k in range(procs)])
        raw: Counter[str] = Counter()
        for part in parts:
            raw.update(part)
    else:
        raw = raw_token_counts(swedish_texts(store_path))
    decompounder = Decompounder.from_raw_counts(raw)
    log.info("build inputs read in %.1f s (Swedish vocabulary)", time.monotonic() - t0)
    return Shared(store_path, kinds, registry, decompounder)


def _work(
    target: Path,
    shared: Shared,
    shard: tuple[int, int],
    tick: Callable[[int], None],
    segment_docs: int,
    items: Sequence[RawRecord] | None = None,
) -> tuple[list[Any], dict[str, Any], int]:
    """Index one shard of the store, or of ``items`` when given; returns (segments, labels,
    documents). ``tick(n)`` reports progress."""
    index = open_version(target, SCHEMA_VERSION)
    labels = Labels()
    segments: list[Any] = []
    if items is None:
        source: Iterable[RawRecord] = scan(shared.store_path, shared.kinds, shard=shard)
    else:
        source = items[shard[0] :: shard[1]]
    builder = SegmentBuilder(index, lock=False)
    added = pending = 0
    with no_cyclic_gc():  # see indexer/engine/gc.py
        try:
            for raw in source:
                record = record_from_dict(raw.plain())
                builder.add(document(record, shared, labels, raw.data))
                added += 1
                pending += 1
                if pending == _TICK:
                    tick(pending)
                    pending = 0
                if builder.doc_count >= segment_docs:
                    segments.append(builder.close_worker())
                    builder = SegmentBuilder(index, lock=False)
            if items is None and shard[0] == 0:  # the first worker adds the facilities
                added += add_facilities(builder, shared, labels)
            if builder.doc_count:
                segments.append(builder.close_worker())
            else:
                builder.discard_worker()
        except BaseException:
            builder.discard_worker()
            raise
    tick(pending)
    return segments, labels.data, added


def _child(
    target: Path,
    shared: Shared,
    shard: tuple[int, int],
    counter: Any,
    segment_docs: int,
    conn: Any,
    items: Sequence[RawRecord] | None,
    parent: int,
) -> None:
    def tick(n: int) -> None:
        check_parent(parent)
        with counter.get_lock():
            counter.value += n

    try:
        conn.send(("ok", _work(target, shared, shard, tick, segment_docs, items)))
    except BaseException as exc:  # the cause for the user, the traceback for the log
        number = getattr(exc, "errno", None)
        if number in STORAGE_ERRNOS:  # the disk is full: the parent says what that means
            conn.send(("full", number))
        else:
            conn.send(("error", (f"{type(exc).__name__}: {exc}", traceback.format_exc())))
    finally:
        conn.close()


def check_parent(parent: int) -> None:
    """Stop a worker whose parent build is gone (killed, say): it would index for nothing and,
    holding a copy of the parent's lock file descriptor, keep the next build out."""
    if os.getppid() != parent:
        raise BuildFailed(f"the build process {parent} is gone; this worker stops")


def full_build(
    store_path: Path,
    kinds: tuple[str, ...],
    target: Path,
    total: int,
    registry: Registry,
    procs: int = 1,
    quiet: bool = False,
    segment_docs: int = SEGMENT_DOCS,
) -> tuple[int, Labels, Shared]:
    """Build a complete index in ``target`` (a new, empty directory): the records of
    ``kinds`` from the store and the registry's facilities; returns the number of documents,
    the merged facet labels and the shared inputs (decompounder, registry)."""
    procs = max(1, min(procs, os.cpu_count() or 1))
    shared = prepare(store_path, kinds, registry, procs)
    index = create_version(target)
    results: list[tuple[list[Any], dict[str, Any], int]] = []
    with Progress("index", total=total, quiet=quiet) as progress:
        if procs == 1:
            results.append(_work(target, shared, (0, 1), progress.advance, segment_docs))
        else:
            results = _run_workers(target, shared, procs, segment_docs, progress)
    labels = Labels()
    merge_labels(labels, (data for _, data, _ in results))
    builder = SegmentBuilder(index, lock=True)
    builder.commit(others=[seg for segs, _, _ in results for seg in segs])
    index.close()
    return sum(n for _, _, n in results), labels, shared


def add_in_workers(
    target: Path, shared: Shared, items: Sequence[RawRecord], procs: int, progress: Progress
) -> tuple[list[Any], list[dict[str, Any]]]:
    """Index ``items`` (stored records) in ``procs`` forked processes, each writing one segment
    of the index in ``target``, whose write lock the caller holds; returns the segments, for
    the caller's commit, and each process's facet labels."""
    results = _run_workers(target, shared, procs, SEGMENT_DOCS, progress, items)
    return [seg for segs, _, _ in results for seg in segs], [data for _, data, _ in results]


def merge_labels(labels: Labels, parts: Iterable[dict[str, Any]]) -> None:
    """Add the facet labels each worker collected, in worker order."""
    for data in parts:
        for facet, values in data.items():
            for value, label in values.items():
                labels.add_plain(facet, value, label)


def _run_workers(
    target: Path,
    shared: Shared,
    procs: int,
    segment_docs: int,
    progress: Progress,
    items: Sequence[RawRecord] | None = None,
) -> list[tuple[list[Any], dict[str, Any], int]]:
    ctx = multiprocessing.get_context("fork")
    counter = ctx.Value("q", 0)
    workers = []
    for k in range(procs):
        recv, send = ctx.Pipe(duplex=False)
        proc = ctx.Process(
            target=_child,
            args=(target, shared, (k, procs), counter, segment_docs, send, items, os.getpid()),
            name=f"index-worker-{k}",
        )
        proc.start()
        send.close()
        workers.append((proc, recv))
    results: list[Any] = [None] * procs
    shown = 0
    try:
        while any(r is None for r in results):
            for k, (proc, recv) in enumerate(workers):
                if results[k] is None and recv.poll(0.2):
                    results[k] = recv.recv()
                elif results[k] is None and not proc.is_alive() and not recv.poll(0):
                    raise BuildFailed(f"index worker {k} died (exit code {proc.exitcode})")
            done = counter.value
            progress.advance(done - shown)
            shown = done
    finally:
        for proc, _ in workers:
            if proc.is_alive() and any(r is None or r[0] != "ok" for r in results):
                proc.kill()
            proc.join()
    for status, number in results:
        if status == "full":  # build_index says what it means
            raise OSError(number, os.strerror(number))
    errors = [r[1] for r in results if r[0] != "ok"]
    if errors:
        cause, trace = errors[0]
        log.debug("index worker traceback:\n%s", trace)
        raise BuildFailed(f"an index worker failed: {cause}")
    return [r[1] for r in results]
