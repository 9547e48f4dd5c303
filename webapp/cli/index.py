"""The indexing and search subcommands of ``research-index``: index, search, stats, and the
unattended ``update`` (harvest everything, then index) with its ``status`` report.

``register(subparsers)`` adds them to the one console command (``webapp.cli.commands``).
They call the same search service as the web app and print its plain result objects as text,
JSON or CSV.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from datetime import date

from harvesters.core.config import Config
from harvesters.core.errors import ConfigError, LockBusy
from indexer.building.build import build_index
from indexer.operations.update import FAILED, PARTIAL, UpdateReport, run_update
from indexer.service import (
    SORTS,
    STAT_DIMENSIONS,
    STATUSES,
    IndexerError,
    IndexMissing,
    InvalidQuery,
    InvalidRequest,
    SearchRequest,
    SearchResult,
    SearchService,
    collect_status,
    stats_rows,
    write_csv,
)
from webapp.cli.exits import EXIT_NOT_PUBLISHED, EXIT_OK, EXIT_PARTIAL, fail

log = logging.getLogger("research_index.index")

DEFAULT_PROCS = min(2, os.cpu_count() or 1)
DEFAULT_NICE = 10  # a build's CPU priority below a server's on the same machine (0-19)


def _niceness(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 19:
        raise argparse.ArgumentTypeError(f"--nice takes 0 to 19, not {value}")
    return value


def _build_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--procs", type=int, default=DEFAULT_PROCS, help="indexing processes (default: up to 2)"
    )
    p.add_argument(
        "--nice",
        type=_niceness,
        default=os.environ.get("RESEARCH_INDEX_BUILD_NICE", str(DEFAULT_NICE)),  # parsed by type
        help="lower the build's CPU priority by this much, 0-19 (default 10, or "
        "$RESEARCH_INDEX_BUILD_NICE), so a server on the same machine keeps answering "
        "quickly; --procs 1 also leaves it a core",
    )


def _yield_cpu(nice: int) -> None:
    """Run this process (and the workers it forks) ``nice`` steps below the server."""
    if nice:
        now = os.nice(nice)
        log.info("building at CPU priority nice %d (a server here keeps the upper hand)", now)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("index", help="build and publish a new index version from the store")
    p.add_argument("--full", action="store_true", help="rebuild everything, not only changes")
    _build_options(p)
    p.add_argument(
        "--allow-shrink",
        action="store_true",
        help="publish even when the new index holds far fewer documents than the current one",
    )
    p.add_argument("--json", action="store_true", help="print the build report as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(handler=cmd_index)

    p = sub.add_parser(
        "update", help="harvest every source, then update and publish the index (for cron)"
    )
    p.add_argument(
        "--allow-shrink",
        action="store_true",
        help="accept harvests and an index far smaller than the last ones",
    )
    p.add_argument("--full-index", action="store_true", help="rebuild the index from scratch")
    _build_options(p)
    p.add_argument("--json", action="store_true", help="print the update report as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(handler=cmd_update)

    p = sub.add_parser("status", help="sources, their last runs, and the index being served")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=cmd_status)

    p = sub.add_parser("search", help="search the published index from a terminal")
    p.add_argument("query", nargs="?", default="", help="search text (see README: syntax)")
    _filters(p)
    p.add_argument("--sort", choices=SORTS, default="relevance")
    p.add_argument("--page", type=int, default=1)
    p.add_argument("--size", type=int, default=10)
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(handler=cmd_search)

    p = sub.add_parser("stats", help="projects and SEK by one or two dimensions")
    p.add_argument(
        "--by",
        action="append",
        choices=STAT_DIMENSIONS,
        required=True,
        help="a dimension; give it twice to cross two (e.g. --by year --by funder)",
    )
    p.add_argument("--q", default="", help="only projects matching this search")
    _filters(p, twins=False)  # statistics count a twin project once
    p.add_argument("--format", choices=("csv", "json", "text"), default="text")
    p.add_argument("--delimiter", choices=("comma", "semicolon"), default="comma")
    p.add_argument("--bom", action="store_true", help="start the CSV with a UTF-8 BOM (Excel)")
    p.set_defaults(handler=cmd_stats)


def _filters(p: argparse.ArgumentParser, twins: bool = True) -> None:
    g = p.add_argument_group("filters (repeat an option to select several values)")
    g.add_argument("--funder", action="append", default=[], help="funder org number")
    g.add_argument("--org", action="append", default=[], help="coordinating org number")
    g.add_argument("--org-type", action="append", default=[], help="e.g. university, company")
    g.add_argument("--award", action="append", default=[], help="award type id (1-5, 999)")
    g.add_argument("--year", action="append", default=[], help="funding year")
    g.add_argument("--subject", action="append", default=[], help="SSIF code (1, 3 or 5 digits)")
    g.add_argument("--kind", action="append", default=[], choices=("project", "facility"))
    g.add_argument("--access", action="append", default=[], help="facilities open to: companies")
    g.add_argument("--country", action="append", default=[], help="facility country, e.g. SE")
    g.add_argument("--source", action="append", default=[], help="record source, e.g. meril")
    g.add_argument(
        "--person", action="append", default=[], help="a person's key, e.g. orcid:0000-..."
    )
    g.add_argument("--status", action="append", default=[], choices=STATUSES)
    g.add_argument("--on", type=date.fromisoformat, help="status date (default today)")
    g.add_argument("--amount-min", type=float)
    g.add_argument("--amount-max", type=float)
    if twins:
        g.add_argument("--include-twins", action="store_true", help="show twin copies too")
    g.add_argument(
        "--as-typed",
        action="store_true",
        help="search only the words typed, not their Swedish/English translations too",
    )
    g.add_argument("--lang", choices=("en", "sv"), default="en")


def request_from_args(args: argparse.Namespace, query: str) -> SearchRequest:
    filters: dict[str, tuple[str, ...]] = {}
    for name in (
        "funder",
        "org",
        "org_type",
        "award",
        "year",
        "kind",
        "access",
        "country",
        "source",
        "person",
    ):
        if getattr(args, name):
            filters[name] = tuple(getattr(args, name))
    for code in args.subject:
        level = {1: "subject1", 3: "subject3", 5: "subject5"}.get(len(code))
        if level is None or not code.isdigit():
            raise InvalidRequest(f"SSIF codes have 1, 3 or 5 digits, not {code!r}")
        filters[level] = (*filters.get(level, ()), code)
    return SearchRequest(
        q=query,
        filters=filters,
        status=tuple(args.status),
        on=args.on,
        amount_min=args.amount_min,
        amount_max=args.amount_max,
        include_twins=getattr(args, "include_twins", False),
        translate=not getattr(args, "as_typed", False),
        lang=args.lang,
        sort=getattr(args, "sort", "relevance"),
        page=getattr(args, "page", 1),
        size=getattr(args, "size", 10),
    )


def cmd_index(args: argparse.Namespace, config: Config) -> int:
    _yield_cpu(args.nice)
    try:
        report = build_index(
            config,
            full=args.full,
            quiet=args.quiet or args.json,
            procs=args.procs,
            allow_shrink=args.allow_shrink,
        )
    except LockBusy as exc:
        return fail(exc)
    except IndexerError as exc:
        return fail(exc, f"{exc}; the previous index keeps serving")
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    elif report.mode == "unchanged":
        print(f"index {report.version} is up to date ({report.doc_count} documents)")
    else:
        print(
            f"published {report.version}: {report.mode} build, {report.doc_count} documents "
            f"(+{report.added} ~{report.updated} -{report.deleted}) in {report.seconds:.1f} s"
        )
    return EXIT_OK


def _call(args: argparse.Namespace, config: Config, action):  # type: ignore[no-untyped-def]
    """Run a service call; a bad request exits 2 and a missing index 7, with the message."""
    try:
        return action(SearchService(config.index_root)), EXIT_OK
    except (InvalidQuery, InvalidRequest, IndexMissing) as exc:
        return None, fail(exc)


def cmd_search(args: argparse.Namespace, config: Config) -> int:
    result, code = _call(args, config, lambda s: s.search(request_from_args(args, args.query)))
    if result is None:
        return code
    if args.format == "json":
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        _print_result(result)
    return EXIT_OK


def _print_result(result: SearchResult) -> None:
    first = (result.page - 1) * result.size + 1
    last = first + len(result.hits) - 1
    noun = _noun(result)
    print(f"{result.total} {noun}" + (f", showing {first}-{last}" if result.hits else ""))
    if result.all_words is not None:
        print(
            f"{result.all_words} hold every word; after them those with some of the words "
            "(AND or + before each word requires every word)"
        )
    if result.also_searched:
        also = ", ".join(a.words for a in result.also_searched)
        print(f"also searched: {also} (--as-typed: only the words typed)")
    if result.did_you_mean:
        print(f"did you mean: {result.did_you_mean}")
    for h in result.hits:
        money = f"{h.total_sek:,.0f} SEK" if h.total_sek is not None else "- SEK"
        org = h.coordinator.name if h.coordinator else "-"
        if h.kind == "facility":
            where = ", ".join(x for x in (h.record.get("city"), h.record.get("country")) if x)
            print(f"\n{h.source}/{h.id}  [facility]  {where or '-'}")
            print(f"  {h.title}")
            print(f"  {org}; access: {h.record.get('access_for') or 'unknown'}")
            continue
        print(f"\n{h.id}  [{h.status}]  {h.start or '?'} – {h.end or '?'}  {money}")
        print(f"  {h.title}")
        print(f"  {org}; {', '.join(f.name or '?' for f in h.funders)}")


def _noun(result: SearchResult) -> str:
    """What the count counts: projects, facilities, or both."""
    chosen = set(result.filters.get("kind", ()))
    kinds = chosen or {
        v.value for f in result.facets if f.name == "kind" for v in f.values if v.count
    }
    kinds = kinds or {h.kind for h in result.hits}
    if kinds == {"facility"}:
        return "facilities"
    return "projects" if kinds <= {"project"} else "results (projects and facilities)"


def cmd_stats(args: argparse.Namespace, config: Config) -> int:
    table, code = _call(
        args, config, lambda s: s.stats(request_from_args(args, args.q), tuple(args.by))
    )
    if table is None:
        return code
    if args.format == "json":
        print(json.dumps(table.to_dict(), ensure_ascii=False, indent=2))
    elif args.format == "csv":
        write_csv(
            stats_rows(table),
            sys.stdout,
            delimiter=";" if args.delimiter == "semicolon" else ",",
            bom=args.bom,
        )
    else:
        for row in table.rows:
            print(f"{' x '.join(row.labels):<60} {row.projects:>7} {row.sek:>18,.0f}")
        print(f"{'total':<60} {table.total_projects:>7} {table.total_sek:>18,.0f}")
    return EXIT_OK


def cmd_update(args: argparse.Namespace, config: Config) -> int:
    """0: all sources ok and the index current; 9: some sources failed; 10: nothing published."""
    _yield_cpu(args.nice)
    try:
        report = run_update(
            config,
            allow_shrink=args.allow_shrink,
            quiet=args.quiet or args.json,
            full_index=args.full_index,
            procs=args.procs,
        )
    except (LockBusy, ConfigError) as exc:
        return fail(exc)
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        _print_update(report)
    if report.status == FAILED:
        print(f"error: {report.index_error}; the previous index keeps serving", file=sys.stderr)
        return EXIT_NOT_PUBLISHED
    if report.status == PARTIAL:
        names = ", ".join(s.name for s in report.failed_sources)
        print(f"warning: source(s) failed: {names}", file=sys.stderr)
        return EXIT_PARTIAL
    return EXIT_OK


def _print_update(report: UpdateReport) -> None:
    print(f"update {report.status} (run {report.run_id}, {report.seconds:.1f} s)")
    for s in report.sources:
        c = s.counts
        figures = (
            f"records {c.get('records', 0)}, new {c.get('new', 0)}, changed {c.get('changed', 0)}"
            f", withdrawn {c.get('withdrawn', 0)}, failed {c.get('failed', 0)}"
        )
        print(
            f"  {s.name:<16} {s.status:<8} " + (s.error or figures if s.status != "skipped" else "")
        )
    if report.index:
        state = "published" if report.index.published else "unchanged"
        print(f"  index {report.index.version} {state}: {report.index.doc_count} documents")
    else:
        print(f"  index not published: {report.index_error}")


def cmd_status(args: argparse.Namespace, config: Config) -> int:
    status = collect_status(config)
    if args.json:
        print(json.dumps(status, ensure_ascii=False, indent=2))
        return EXIT_OK
    if status["config_error"]:
        print(f"configuration problem: {status['config_error']}")
    index = status["index"]
    if index:
        print(
            f"index {index['version']} built {index['built']}: {index['doc_count']} documents "
            f"({', '.join(f'{k} {v}' for k, v in sorted(index['counts'].items()))})"
        )
    else:
        print("no index is published yet")
    for src in status["sources"]:
        last, ok = src["last_attempt"], src["last_success"]
        state = "enabled" if src["enabled"] else "disabled"
        print(f"\n{src['name']} ({src['kind']}, {state}): {src['records']} records")
        print(
            f"  last success: {ok['started'] + ' (run ' + str(ok['id']) + ')' if ok else 'never'}"
        )
        if last:
            c = last["counts"]
            print(
                f"  last attempt: {last['started']} run {last['id']} {last['status']}: "
                f"new {c.get('new', 0)}, changed {c.get('changed', 0)}, "
                f"withdrawn {c.get('withdrawn', 0)}, failed {c.get('failed', 0)}"
            )
            for err in last["errors"][:5]:
                print(f"    {err}")
        if src.get("quarantined"):
            print(
                f"  quarantined: {src['quarantined']} (`research-index quarantine {src['name']}`)"
            )
            for q in src["quarantine"][:5]:
                print(f"    {q['record_id'] or q['location']}: {q['reason']}")
    if status["runs"]:
        print("\nrecent update and index runs:")
    for run in status["runs"]:
        print(
            f"  {run['id']:>5} {run['started']} {run['kind']:<7} {run['status']:<8} {run['counts']}"
        )
        for err in run["errors"][:3]:
            print(f"        {err}")
    return EXIT_OK
