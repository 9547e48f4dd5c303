"""The harvesting subcommands of ``research-index``: harvest, import, reparse, sources, runs,
quarantine.

``register(subparsers)`` adds them to the one console command (``webapp.cli.commands``).
Each handler returns an exit code of ``webapp.cli.exits``; the README documents them for cron.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path

from harvesters.core.config import Config
from harvesters.core.errors import (
    ConfigError,
)
from harvesters.core.sources import Source, load_sources, sources_path
from harvesters.sources.harvest import harvest, parser_for
from harvesters.sources.run import RunReport, file_payloads, ingest
from harvesters.store.database import RecordStore
from webapp.cli.exits import (
    EXIT_CONFIG,
    EXIT_OK,
    EXIT_PARTIAL,
    EXIT_SOURCE,
    EXIT_USAGE,
    MAPPED,
    exit_code,
    fail,
)

log = logging.getLogger("research_index.cli")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("harvest", help="fetch records from a source over HTTP into the store")
    p.add_argument("source", help="a source name from `research-index sources` (e.g. swecris)")
    p.add_argument(
        "--full",
        action="store_true",
        help="harvest everything, not only what changed (OAI-PMH sources)",
    )
    p.add_argument(
        "--allow-shrink",
        action="store_true",
        help="commit even when the source returns far fewer records than last time",
    )
    p.add_argument("--search-text", help="only harvest projects matching this SweCRIS search")
    _common(p)
    p.set_defaults(handler=cmd_harvest)

    p = sub.add_parser("import", help="import files downloaded from a source")
    p.add_argument("source", help="the source the files come from (e.g. swecris)")
    p.add_argument(
        "files",
        nargs="+",
        type=Path,
        help="SweCRIS export CSV or search/projects JSON; OAI-PMH ListRecords XML",
    )
    p.add_argument(
        "--complete",
        action="store_true",
        help="the files are the whole source: withdraw stored records they lack",
    )
    p.add_argument("--allow-shrink", action="store_true")
    _common(p)
    p.set_defaults(handler=cmd_import)

    p = sub.add_parser("reparse", help="re-normalise the raw payloads of an earlier run")
    p.add_argument("source", help="a source name")
    p.add_argument("--run", type=int, help="run id (default: the last successful run)")
    _common(p)
    p.set_defaults(handler=cmd_reparse)

    p = sub.add_parser("sources", help="list the configured sources with their last harvest")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=cmd_sources)

    p = sub.add_parser("quarantine", help="list the items a run could not parse, and why")
    p.add_argument("source", nargs="?", help="only this source")
    p.add_argument("--limit", type=int, default=100, help="at most this many (default 100)")
    p.add_argument("--raw", action="store_true", help="with their raw text (at most 64 KB each)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=cmd_quarantine)

    p = sub.add_parser("runs", help="list recent harvest and import runs")
    p.add_argument("--source", help="only this source")
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=cmd_runs)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print the run report as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress output")


def _source(config: Config, name: str) -> Source | None:
    try:
        sources = load_sources(config)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None
    if name not in sources:
        print(
            f"error: no source {name!r}; configured: {', '.join(sources)} "
            "(see `research-index sources`)",
            file=sys.stderr,
        )
        return None
    return sources[name]


def cmd_harvest(args: argparse.Namespace, config: Config) -> int:
    source = _source(config, args.source)
    if source is None:
        return EXIT_USAGE
    return _report(
        args,
        lambda: harvest(
            config,
            source,
            allow_shrink=args.allow_shrink,
            quiet=args.quiet or args.json,
            full=args.full,
            search_text=args.search_text,
        ),
    )


def cmd_import(args: argparse.Namespace, config: Config) -> int:
    source = _source(config, args.source)
    if source is None:
        return EXIT_USAGE
    missing = [str(f) for f in args.files if not f.is_file()]
    if missing:
        print(f"error: no such file: {', '.join(missing)}", file=sys.stderr)
        return EXIT_USAGE
    payloads = file_payloads(args.files)
    return _report(
        args,
        lambda: ingest(
            config,
            source.name,
            "import",
            lambda _p: payloads,
            parser_for(source),
            complete=args.complete,
            allow_shrink=args.allow_shrink,
            quiet=args.quiet or args.json,
            options={"files": [f.name for f in args.files]},
        ),
    )


def cmd_reparse(args: argparse.Namespace, config: Config) -> int:
    source = _source(config, args.source)
    if source is None:
        return EXIT_USAGE
    with RecordStore(config.store_path) as store:
        runs = [
            r
            for r in store.runs(source.name, limit=1000)
            if r.status == "ok" and (args.run is None or r.id == args.run)
        ]
        if not runs:
            print(f"error: no successful run of {source.name} to re-parse", file=sys.stderr)
            return EXIT_USAGE
        run = runs[0]
        payloads = list(store.payloads(run.id))
    if not payloads:
        print(f"error: the raw payloads of run {run.id} were pruned", file=sys.stderr)
        return EXIT_USAGE
    return _report(
        args,
        lambda: ingest(
            config,
            source.name,
            "reparse",
            lambda _p: payloads,
            parser_for(source),
            complete=run.complete,
            quiet=args.quiet or args.json,
            options={"from_run": run.id},
        ),
    )


def _report(args: argparse.Namespace, call: Callable[[], RunReport]) -> int:
    """Run, print the report, and map failures to the documented exit codes."""
    try:
        report = call()
    except MAPPED as exc:
        source_failed = exit_code(exc) == EXIT_SOURCE
        return fail(exc, f"{args.source} failed: {exc}" if source_failed else None)
    _print_report(report, args.json)
    if report.failed_parts:  # committed, but part of the source failed: say so, loudly
        for part in report.failed_parts:
            print(f"{args.source}: {part}", file=sys.stderr)
        return EXIT_PARTIAL
    return EXIT_OK


def _print_report(report: RunReport, as_json: bool) -> None:
    if as_json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
        return
    c = report.counts
    print(
        f"{report.kind} {report.source}: {report.status} (run {report.run_id}, "
        f"{report.seconds:.1f} s)"
    )
    print(
        f"  fetched {c.fetched} = stored {c.stored} (new {c.new}, changed {c.changed}, "
        f"unchanged {c.unchanged}) + quarantined {c.quarantined} + skipped {c.skipped} + "
        f"deleted {c.deleted} + folded {c.folded}; withdrawn {c.withdrawn}"
    )
    for part in report.failed_parts:
        print(f"  failed: {part}")
    quarantined = report.errors[len(report.failed_parts) :]
    for err in quarantined[:10]:
        print(f"  quarantined: {err}")
    if len(quarantined) > 10:
        more = f"research-index quarantine {report.source}"
        print(f"  ... and {len(quarantined) - 10} more (see `{more}`)")


def cmd_sources(args: argparse.Namespace, config: Config) -> int:
    try:
        sources = load_sources(config)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    rows = []
    with RecordStore(config.store_path) as store:
        for source in sources.values():
            runs = store.runs(source.name, limit=50)
            last = runs[0] if runs else None
            ok = next((r for r in runs if r.status == "ok"), None)
            rows.append(
                {
                    "name": source.name,
                    "kind": source.kind,
                    "base_url": source.base_url,
                    "sets": list(source.sets),
                    "enabled": source.enabled,
                    "records": store.count(source.name),
                    "last_attempt": last.started if last else None,
                    "last_status": last.status if last else None,
                    "last_success": ok.started if ok else None,
                }
            )
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return EXIT_OK
    print(f"sources from {sources_path(config)}")
    for r in rows:
        state = "enabled" if r["enabled"] else "disabled"
        print(
            f"{r['name']:<16} {r['kind']:<10} {state:<9} {r['records']:>7} records  "
            f"last {r['last_status'] or 'never'} {r['last_attempt'] or ''}  {r['base_url']}"
        )
    return EXIT_OK


def cmd_runs(args: argparse.Namespace, config: Config) -> int:
    with RecordStore(config.store_path) as store:
        runs = store.runs(args.source, limit=args.limit)
    if args.json:
        print(json.dumps([r.__dict__ for r in runs], ensure_ascii=False, indent=2))
        return EXIT_OK
    for r in runs:
        c = r.counts
        print(
            f"{r.id:>5} {r.started} {r.source:<10} {r.kind:<8} {r.status:<8} "
            f"fetched={c.get('fetched', 0)} new={c.get('new', 0)} changed={c.get('changed', 0)}"
            f" withdrawn={c.get('withdrawn', 0)} failed={c.get('failed', 0)}"
        )
        if r.status != "ok" and r.errors:
            print(f"      {r.errors[0]}")
    return EXIT_OK


def cmd_quarantine(args: argparse.Namespace, config: Config) -> int:
    """The quarantined items, newest first: source, id or location, reason (and raw text)."""
    if not config.store_path.is_file():
        entries = []
    else:
        with RecordStore(config.store_path) as store:
            entries = store.quarantine(args.source, limit=args.limit)
    if args.json:
        print(json.dumps([q.to_dict(args.raw) for q in entries], ensure_ascii=False, indent=2))
        return EXIT_OK
    if not entries:
        print("nothing is in quarantine" + (f" for {args.source}" if args.source else ""))
    for q in entries:
        print(f"{q.source:<12} {q.record_id or q.location} (run {q.run_id}, since {q.first_seen})")
        print(f"    {q.reason}")
        if q.record_id and q.location:
            print(f"    at {q.location}")
        if args.raw:
            cut = " [cut]" if q.truncated else ""
            print("    raw" + cut + ": " + q.raw.decode("utf-8", "replace").replace("\n", "\n    "))
    return EXIT_OK
