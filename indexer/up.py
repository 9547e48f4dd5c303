"""``research-index up``: everything a new user needs before the site can serve.

``bring_up(config, from_dir)`` makes the index current and says, line by line, what it did:

- with ``--from DIR``, every folder of saved files (``DIR`` itself and its sub-folders) is
  imported as one source: SweCRIS exports and search/projects JSON as ``swecris``, saved
  OAI-PMH ListRecords responses with CERIF as a source named after the folder; files of
  another kind are skipped with a note, and a folder that fails is reported, not fatal;
- without it, an empty or day-old store is refreshed with ``research-index update``'s logic; a
  source that cannot be reached (offline) is reported plainly and the site serves what it has;
- then the index is built or brought up to date (nothing happens when it already is).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from harvesters.config import Config
from harvesters.errors import LockBusy
from harvesters.saved_files import classify, import_saved
from harvesters.store import RecordStore
from indexer.build import build_index
from indexer.errors import IndexerError
from indexer.update import run_update
from indexer.versions import IndexLocation

STALE_AFTER = timedelta(days=1)


def bring_up(config: Config, from_dir: Path | None, quiet: bool = False) -> Iterator[str]:
    if from_dir is not None:
        if not from_dir.is_dir():
            yield f"--from {from_dir}: no such folder; serving what the data folder has"
        else:
            yield from _import_folders(config, from_dir, quiet)
    elif _needs_refresh(config):
        yield from _refresh(config, quiet)
    try:
        report = build_index(config, quiet=quiet, procs=2)
    except (IndexerError, LockBusy) as exc:
        yield f"index: not rebuilt ({exc}); the previous index keeps serving"
    else:
        state = "up to date" if report.mode == "unchanged" else f"built ({report.mode})"
        yield f"index {report.version}: {state}, {report.doc_count} documents"
        if report.doc_count == 0:
            yield (
                "the index is empty: import saved files with `research-index up --from DIR`"
                " or harvest when the sources can be reached"
            )
    if IndexLocation(config.index_root).current_path() is None:
        yield "no index yet: the site answers 503 until data is imported or harvested"


def _needs_refresh(config: Config) -> bool:
    with RecordStore(config.store_path) as store:
        if store.count() == 0:
            return True
        last = next(
            (
                r
                for r in store.runs(limit=50)
                if r.kind in ("harvest", "import") and r.status == "ok"
            ),
            None,
        )
    if last is None:
        return True
    when = datetime.fromisoformat(last.started.replace("Z", "+00:00"))
    return datetime.now(UTC) - when > STALE_AFTER


def _refresh(config: Config, quiet: bool) -> Iterator[str]:
    try:
        report = run_update(config, quiet=quiet)
    except LockBusy as exc:
        yield f"update skipped: {exc}"
        return
    for outcome in report.sources:
        if outcome.status == "failed":
            yield (
                f"{outcome.name}: could not be harvested ({outcome.error}); "
                "serving what the data folder has"
            )
        elif outcome.status == "ok":
            yield f"{outcome.name}: harvested"


def _import_folders(config: Config, root: Path, quiet: bool) -> Iterator[str]:
    folders = [root, *sorted(p for p in root.iterdir() if p.is_dir())]
    for folder in folders:
        files = sorted(p for p in folder.iterdir() if p.is_file())
        saved = classify(files)
        if saved.skipped:
            yield f"{folder.name}: skipped {len(saved.skipped)} file(s) of another kind"
        if saved.swecris:
            yield import_saved(config, "swecris", saved.swecris, quiet)
        if saved.cerif:
            name = re.sub(r"[^a-z0-9_-]+", "-", folder.name.lower()).strip("-") or "cerif"
            yield import_saved(config, name, saved.cerif, quiet, cerif=True)
