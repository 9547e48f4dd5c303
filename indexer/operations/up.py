"""``research-index up``: everything a new user needs before the site can serve.

``bring_up(config, from_dir)`` makes the index current and says, line by line, what it did:

- with ``--from DIR``, every folder of saved files (``DIR`` itself and its sub-folders at any
  depth, sorted, hidden ones left out) is imported, one line per folder that holds files:
  SweCRIS exports and search/projects JSON as ``swecris``; saved OAI-PMH ListRecords
  responses with CERIF and hand-kept facility lists as a source named after the folder; MERIL,
  ESFRI, light-source and SciLifeLab files as ``meril``, ``esfri``, ``lightsources`` and
  ``scilifelab``. The line ("facilities/meril/ esfri: imported 1 file(s): 50 records (new
  50, changed 0, failed 0); meril: ...; skipped 2 file(s) of another kind (COPYRIGHT.md: not
  a format research-index reads, ...)") says what each import gave and which files were
  skipped and why; a folder that fails is reported on its line, never fatal;
- without it, an empty or day-old store is refreshed with ``research-index update``'s logic; a
  source that cannot be reached (offline) is reported plainly and the site serves what it has;
- then the index is built or brought up to date (nothing happens when it already is).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from harvesters.core.config import Config
from harvesters.core.errors import HarvestError, LockBusy
from harvesters.sources.saved_files import NOT_READ, classify, import_saved
from harvesters.store.database import RecordStore
from indexer.building.build import build_index
from indexer.building.versions import IndexLocation
from indexer.errors import IndexerError
from indexer.operations.update import run_update

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
    for folder in _folders(root):
        try:
            files = sorted(p for p in folder.iterdir() if p.is_file() and not _hidden(p))
        except OSError as exc:
            yield f"{_label(root, folder)} could not be read ({exc.strerror or exc})"
            continue
        if files:
            parts = _import_folder(config, folder, files, quiet)
            yield f"{_label(root, folder)} {'; '.join(parts)}"


def _import_folder(config: Config, folder: Path, files: list[Path], quiet: bool) -> list[str]:
    """What importing one folder's files gave, one part per source, then what was skipped."""
    try:
        saved = classify(files)
        parts = []
        if saved.swecris:
            parts.append(import_saved(config, "swecris", saved.swecris, quiet))
        if saved.cerif:
            parts.append(
                import_saved(
                    config, _folder_source(folder, "cerif"), saved.cerif, quiet, cerif=True
                )
            )
        for kind, payloads in sorted(saved.facilities.items()):
            name = _folder_source(folder, "facilities") if kind == "facility-list" else kind
            parts.append(import_saved(config, name, payloads, quiet, kind=kind))
    except (HarvestError, OSError) as exc:  # never fatal: the next folder goes on
        return [f"failed: {exc}"]
    if saved.skipped:
        shown = ", ".join(f"{p.name}: {saved.reasons.get(p, NOT_READ)}" for p in saved.skipped[:5])
        more = f", and {len(saved.skipped) - 5} more" if len(saved.skipped) > 5 else ""
        note = f"skipped {len(saved.skipped)} file(s) of another kind ({shown}{more})"
        parts.append(note if parts else f"nothing to import: {note}")
    return parts


def _folders(root: Path) -> list[Path]:
    """``root`` and every folder below it that is not hidden, sorted by path."""
    found = [root]
    for path, dirs, _ in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(Path(path) / d for d in dirs)
    return sorted(found, key=lambda p: p.relative_to(root).parts)


def _hidden(path: Path) -> bool:
    return path.name.startswith(".")


def _label(root: Path, folder: Path) -> str:
    """How a folder line starts: its path below ``root`` ("facilities/meril/")."""
    if folder == root:
        return f"{root.name or root}/"
    return f"{folder.relative_to(root).as_posix()}/"


def _folder_source(folder: Path, default: str) -> str:
    return re.sub(r"[^a-z0-9_-]+", "-", folder.name.lower()).strip("-") or default
