"""Index versions on disk: versioned directories, the ``current`` pointer, publishing, clean-up.

Layout under ``<home>/index``::

    versions/v-20261123T150102.123456Z-4f2a/   one complete index: Whoosh files + MANIFEST.json
    current -> versions/v-...           a relative symlink, swapped with one rename(2)

A version's index files are never changed after it is published. Readers resolve ``current``
to its real path and reopen when that path changes (a new version has a new directory, so a
same-generation swap cannot go unnoticed). When a version stops being current it gets a
``SUPERSEDED`` file, and it is removed only once the grace period has passed since then, so
searches in flight and a server that has not switched yet finish on the files they opened
(a version that was current for a week is not old when it is replaced). A directory without a
manifest is an unfinished build; it goes once the grace period has passed since it was made.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

MANIFEST = "MANIFEST.json"
SUPERSEDED = "SUPERSEDED"  # written into a version when another one replaces it as current
DEFAULT_GRACE_SECONDS = 600.0
DEFAULT_KEEP = 2


@dataclass(frozen=True)
class Version:
    path: Path
    manifest: dict[str, Any]

    @property
    def name(self) -> str:
        return self.path.name


class IndexLocation:
    """The index folder of one data home."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.versions_dir = self.root / "versions"
        self.pointer = self.root / "current"

    def new_version_dir(self) -> Path:
        """A fresh, empty directory for a build; it is invisible to readers until published."""
        self.versions_dir.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")  # sorts chronologically
        path = self.versions_dir / f"v-{stamp}-{secrets.token_hex(3)}"
        path.mkdir()
        return path

    def current_path(self) -> Path | None:
        """The real path of the published version, or None when nothing is published."""
        try:
            target = os.readlink(self.pointer)
        except FileNotFoundError:
            return None
        path = (self.pointer.parent / target).resolve()
        return path if (path / MANIFEST).is_file() else None

    def current(self) -> Version | None:
        path = self.current_path()
        return Version(path, read_manifest(path)) if path else None

    def publish(self, version_dir: Path) -> None:
        """Point ``current`` at ``version_dir`` with one atomic rename."""
        if not (version_dir / MANIFEST).is_file():
            raise ValueError(f"{version_dir} has no {MANIFEST}: refusing to publish it")
        previous = self.current_path()
        tmp = self.root / f".current.{os.getpid()}.{secrets.token_hex(3)}"
        target = os.path.relpath(version_dir, self.root)
        os.symlink(target, tmp)
        os.replace(tmp, self.pointer)
        _fsync(self.root)
        if previous is not None and previous != version_dir.resolve():
            _mark_superseded(previous)

    def versions(self) -> list[Path]:
        if not self.versions_dir.is_dir():
            return []
        return sorted(p for p in self.versions_dir.iterdir() if p.is_dir())

    def cleanup(
        self, grace_seconds: float = DEFAULT_GRACE_SECONDS, keep: int = DEFAULT_KEEP
    ) -> list[Path]:
        """Remove versions that are not current, not among the newest ``keep`` complete ones,
        and superseded longer ago than the grace period (for a version without a
        ``SUPERSEDED`` file, an unfinished build say: made longer ago than that)."""
        current = self.current_path()
        complete = [p for p in self.versions() if (p / MANIFEST).is_file()]
        protected = set(complete[-keep:]) if keep > 0 else set()
        if current:
            protected.add(current)
        now = time.time()
        removed = []
        for path in self.versions():
            if path in protected:
                continue
            if now - _since(path) < grace_seconds:
                continue
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
        return removed


def _mark_superseded(path: Path) -> None:
    """Note when ``path`` stopped being current (best effort: without the note, clean-up goes
    by the version's own age, as it did before the note existed)."""
    with contextlib.suppress(OSError):
        (path / SUPERSEDED).write_text(datetime.now(UTC).isoformat(), encoding="utf-8")


def _since(path: Path) -> float:
    """When ``path`` stopped being current, or else when it was last written."""
    marker = path / SUPERSEDED
    try:
        return marker.stat().st_mtime
    except OSError:
        return path.stat().st_mtime


def write_manifest(path: Path, manifest: dict[str, Any]) -> None:
    """Write the manifest last, atomically: its presence marks the version complete."""
    tmp = path / (MANIFEST + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        json.dump(manifest, fh, ensure_ascii=False, indent=2, sort_keys=True)
        fh.flush()
        os.fsync(fh.fileno())
    for child in path.iterdir():
        if child.is_file() and child.name != MANIFEST + ".tmp":
            _fsync(child)
    os.replace(tmp, path / MANIFEST)
    _fsync(path)


def read_manifest(path: Path) -> dict[str, Any]:
    with (path / MANIFEST).open(encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


def _fsync(path: Path) -> None:
    """Flush a file's or a directory's entries to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
