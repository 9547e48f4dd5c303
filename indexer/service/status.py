"""The operational status of a data folder: sources, their runs, and the index being served.

``collect_status(config)`` gathers, per configured source, its record count, its last attempt,
last success and recent runs (counts and the first errors), how many of its items are in
quarantine with the latest reasons (``QUARANTINE_SHOWN`` at most; the full list, raw text
included, is ``research-index quarantine``); the recent ``update`` and ``index`` runs; and the
manifest of the published index version (or None).
``status_for_home(home)`` resolves the configuration of a data folder first; the web app
calls it, so it needs no harvester imports.
``research-index status``, ``GET /status`` and ``GET /api/v1/status`` all show this one dict.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harvesters.core.config import Config, load_config
from harvesters.core.errors import ConfigError
from harvesters.core.sources import load_sources
from harvesters.store.database import RecordStore, RunInfo, utcnow
from indexer.building.versions import IndexLocation

MAX_ERRORS = 20
QUARANTINE_SHOWN = 10
RECENT_RUNS = 10
SYSTEM_SOURCES = ("update", "index")  # runs of the whole pipeline, not of one source


def run_dict(run: RunInfo | None) -> dict[str, Any] | None:
    """A run as shown on the status page: id, times, status, counts and the first errors."""
    if run is None:
        return None
    return {
        "id": run.id,
        "source": run.source,
        "kind": run.kind,
        "started": run.started,
        "ended": run.ended,
        "status": run.status,
        "counts": dict(run.counts),
        "errors": list(run.errors[:MAX_ERRORS]),
    }


def index_status(config: Config) -> dict[str, Any] | None:
    """The published version's manifest fields, or None when nothing is published."""
    current = IndexLocation(config.index_root).current()
    if current is None:
        return None
    m = current.manifest
    return {
        "version": current.name,
        "built": m.get("built"),
        "mode": m.get("mode"),
        "doc_count": int(m.get("doc_count", 0)),
        "counts": dict(m.get("counts") or {}),
        "schema_version": m.get("schema_version"),
        "facilities": _registry_summary(m.get("facilities") or {}),
    }


def _registry_summary(report: dict[str, Any]) -> dict[str, Any]:
    """What the registry made of the sources: counts, by country and by source, links."""
    keys = ("records", "grants", "facilities", "merged", "parts", "links", "by_country", "notes")
    out = {k: report[k] for k in keys if k in report}
    if "by_source" in report:
        out["by_source"] = report["by_source"]
    return out


def collect_status(config: Config) -> dict[str, Any]:
    """Everything the status page shows; see the module docstring."""
    problem: str | None = None
    try:
        sources = list(load_sources(config).values())
    except ConfigError as exc:
        sources, problem = [], str(exc)
    rows: list[dict[str, Any]] = []
    runs: list[dict[str, Any]] = []
    store_exists = config.store_path.is_file()
    store = RecordStore(config.store_path) if store_exists else None
    try:
        for source in sources:
            history = store.runs(source.name, limit=RECENT_RUNS) if store else []
            ok = store.last_successful_run(source.name) if store else None
            rows.append(
                {
                    "name": source.name,
                    "kind": source.kind,
                    "enabled": source.enabled,
                    "records": store.count(source.name) if store else 0,
                    "last_attempt": run_dict(history[0] if history else None),
                    "last_success": run_dict(ok),
                    "recent_runs": [d for r in history if (d := run_dict(r))],
                    "quarantined": store.quarantine_count(source.name) if store else 0,
                    "quarantine": [
                        q.to_dict() for q in store.quarantine(source.name, QUARANTINE_SHOWN)
                    ]
                    if store
                    else [],
                }
            )
        if store:
            for name in SYSTEM_SOURCES:
                runs += [d for r in store.runs(name, limit=RECENT_RUNS) if (d := run_dict(r))]
    finally:
        if store:
            store.close()
    runs.sort(key=lambda r: r["id"], reverse=True)
    return {
        "generated": utcnow(),
        "config_error": problem,
        "sources": rows,
        "runs": runs[:RECENT_RUNS],
        "index": index_status(config),
    }


def status_for_home(home: str | Path) -> dict[str, Any]:
    """``collect_status`` for the data folder ``home`` (settings from its environment/TOML)."""
    try:
        config = load_config(home=home)
    except ConfigError as exc:
        return {
            "generated": utcnow(),
            "config_error": str(exc),
            "sources": [],
            "runs": [],
            "index": None,
        }
    return collect_status(config)
