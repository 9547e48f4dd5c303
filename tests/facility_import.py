"""Helpers of the facility importer tests: run ``research-index import`` and read the store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harvesters.core.config import Config
from harvesters.store.database import RecordStore
from webapp.cli import main


def run_import(
    config: Config, capsys: pytest.CaptureFixture[str], source: str, *paths: Path
) -> tuple[int, dict[str, Any] | None, str]:
    """(exit code, the run report when it committed, stderr) of one import."""
    capsys.readouterr()
    code = main(
        ["--home", str(config.home), "import", source, *map(str, paths), "--quiet", "--json"]
    )
    out = capsys.readouterr()
    report = json.loads(out.out) if code == 0 and out.out.strip() else None
    return code, report, out.err


def stored(config: Config, source: str) -> dict[str, Any]:
    """The active records of ``source`` by id."""
    if not config.store_path.exists():
        return {}
    with RecordStore(config.store_path) as store:
        return {s.id: s.record for s in store.iter_records(source)}


def snapshot(config: Config) -> tuple[int, int]:
    """(active records, quarantined items) of the whole store: what a failed run must keep."""
    if not config.store_path.exists():
        return (0, 0)
    with RecordStore(config.store_path) as store:
        return store.count(), store.quarantine_count()


def last_run(config: Config, source: str) -> Any:
    with RecordStore(config.store_path) as store:
        return store.runs(source)[0]


def adds_up(counts: dict[str, int]) -> bool:
    """fetched = stored + quarantined + skipped + deleted + folded."""
    return counts["fetched"] == (
        counts["records"]
        + counts["quarantined"]
        + counts["skipped"]
        + counts["deleted"]
        + counts["folded"]
    )


def quarantine(config: Config, source: str) -> list[Any]:
    """The quarantine entries of ``source`` (record_id, location, reason, raw)."""
    with RecordStore(config.store_path) as store:
        return store.quarantine(source, limit=None)
