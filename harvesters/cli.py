"""The harvesting subcommands of ``research-index``: harvest, import, reparse, runs.

``register(subparsers)`` adds them to the one console command (assembled in ``webapp.cli``).
Each handler returns an exit code from ``EXIT_*``; the README documents them for cron.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from harvesters.config import Config
from harvesters.errors import (
    AuthenticationError,
    ConfigError,
    ErrorBudgetExceeded,
    HarvestError,
    LockBusy,
    ShrinkRefused,
)
from harvesters.progress import Progress
from harvesters.run import RunReport, file_payloads, ingest, parse_swecris
from harvesters.sources import load_sources, sources_path
from harvesters.store import RawPayload, RecordStore

log = logging.getLogger("research_index.cli")

EXIT_OK = 0
EXIT_ERROR = 1  # unexpected failure
EXIT_USAGE = 2  # bad command line (argparse)
EXIT_SOURCE = 3  # the source failed: unreachable, refused the token, broke the protocol
EXIT_REJECTED = 4  # the data was rejected: error budget exceeded or shrink refused
EXIT_BUSY = 5  # another run holds the lock
EXIT_CONFIG = 6  # the configuration is invalid

SOURCES = ("swecris",)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("harvest", help="fetch records from a source over HTTP into the store")
    p.add_argument("source", choices=SOURCES)
    p.add_argument(
        "--allow-shrink",
        action="store_true",
        help="commit even when the source returns far fewer records than last time",
    )
    p.add_argument("--search-text", help="only harvest projects matching this SweCRIS search")
    _common(p)
    p.set_defaults(handler=cmd_harvest)

    p = sub.add_parser("import", help="import files downloaded from a source")
    p.add_argument("source", choices=SOURCES)
    p.add_argument("files", nargs="+", type=Path, help="SweCRIS export CSV or search/projects JSON")
    p.add_argument(
        "--complete",
        action="store_true",
        help="the files are the whole source: withdraw stored records they lack",
    )
    p.add_argument("--allow-shrink", action="store_true")
    _common(p)
    p.set_defaults(handler=cmd_import)

    p = sub.add_parser("reparse", help="re-normalise the raw payloads of an earlier run")
    p.add_argument("source", choices=SOURCES)
    p.add_argument("--run", type=int, help="run id (default: the last successful run)")
    _common(p)
    p.set_defaults(handler=cmd_reparse)

    p = sub.add_parser("sources", help="list the configured sources with their last harvest")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=cmd_sources)

    p = sub.add_parser("runs", help="list recent harvest and import runs")
    p.add_argument("--source", choices=SOURCES)
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=cmd_runs)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print the run report as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress output")


def cmd_harvest(args: argparse.Namespace, config: Config) -> int:
    from harvesters.swecris_api import fetch_search_pages

    search = {"searchText": args.search_text} if args.search_text else None

    def fetch(progress: Progress) -> list[RawPayload]:
        return fetch_search_pages(config, progress=progress, search=search)

    return _run(
        args, config, "harvest", fetch, complete=search is None, options={"search": search or {}}
    )


def cmd_import(args: argparse.Namespace, config: Config) -> int:
    missing = [str(f) for f in args.files if not f.is_file()]
    if missing:
        print(f"error: no such file: {', '.join(missing)}", file=sys.stderr)
        return EXIT_USAGE
    payloads = file_payloads(args.files)
    return _run(
        args,
        config,
        "import",
        lambda _p: payloads,
        complete=args.complete,
        options={"files": [f.name for f in args.files]},
    )


def cmd_reparse(args: argparse.Namespace, config: Config) -> int:
    with RecordStore(config.store_path) as store:
        runs = [
            r
            for r in store.runs(args.source, limit=1000)
            if r.status == "ok" and (args.run is None or r.id == args.run)
        ]
        if not runs:
            print(f"error: no successful run of {args.source} to re-parse", file=sys.stderr)
            return EXIT_USAGE
        run = runs[0]
        payloads = list(store.payloads(run.id))
    if not payloads:
        print(f"error: the raw payloads of run {run.id} were pruned", file=sys.stderr)
        return EXIT_USAGE
    return _run(
        args,
        config,
        "reparse",
        lambda _p: payloads,
        complete=run.complete,
        options={"from_run": run.id},
    )


def _run(
    args: argparse.Namespace,
    config: Config,
    kind: str,
    fetch,
    complete: bool,  # type: ignore[no-untyped-def]
    options: dict[str, object],
) -> int:
    try:
        report = ingest(
            config,
            args.source,
            kind,
            fetch,
            parse_swecris,
            complete=complete,
            allow_shrink=getattr(args, "allow_shrink", False),
            quiet=args.quiet or args.json,
            options=options,
        )
    except LockBusy as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BUSY
    except (ErrorBudgetExceeded, ShrinkRefused) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_REJECTED
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except AuthenticationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_SOURCE
    except HarvestError as exc:
        print(f"error: {args.source} failed: {exc}", file=sys.stderr)
        return EXIT_SOURCE
    _print_report(report, args.json)
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
        f"  fetched {c.fetched} rows -> {c.records} records: new {c.new}, changed {c.changed}, "
        f"unchanged {c.unchanged}, withdrawn {c.withdrawn}, failed {c.failed}"
    )
    for err in report.errors[:10]:
        print(f"  skipped: {err}")
    if len(report.errors) > 10:
        print(f"  ... and {len(report.errors) - 10} more (see `research-index runs --json`)")


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
