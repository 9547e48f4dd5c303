"""Search quality on a judged test collection: nDCG@10, P@10 and recall@100 of this engine,
SQLite FTS5 and tantivy on the same queries over the KTH data (issue 19).

The collection is ``tests/relevance/`` (``queries.tsv``: the queries, each with its
information need and the other wordings its pool was drawn with; ``qrels.tsv``: graded
judgments in TREC's format; ``README.md``: how it was made). Measures come from ir-measures
(trec_eval's code through pytrec_eval): nDCG@10 on the grades (0-3), P@10 and R@100 counting
grades 2 and 3 as relevant; Judged@10 says how much of the first ten was judged (an unjudged
project counts as not relevant, so a change that brings new ones up is under-rated until the
pools are topped up). ``tests/test_relevance.py`` fails when this engine's nDCG@10 falls
more than 0.02 below the figure recorded here.

    python bench/relevance.py pool --out DIR [--depth 15]   # the pools to judge
    python bench/relevance.py run [--record]                # the table (and bench/RELEVANCE.*)

Both build the KTH index from ``../shared/data`` in a temporary folder (or use ``--home``).
The peers index the same projects (``bench.corpus.plain``) with their closest analysis
(``bench.peer_fts5``, ``bench.peer_tantivy``) and answer as their query languages do by default
with every word required (FTS5's implicit AND; tantivy's parser set to conjunction, as ours).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(REPO))

import ir_measures  # noqa: E402
from ir_measures import Judged, P, R, nDCG  # noqa: E402

COLLECTION = REPO / "tests" / "relevance"
RECORD = REPO / "bench" / "RELEVANCE.json"
MEASURES = (nDCG @ 10, P(rel=2) @ 10, R(rel=2) @ 100, Judged @ 10)
NAMES = {str(nDCG @ 10): "nDCG@10", str(P(rel=2) @ 10): "P@10", str(R(rel=2) @ 100): "R@100"}
NAMES[str(Judged @ 10)] = "Judged@10"  # the share of the first ten that were judged
DEPTH = 100  # a run's length: recall is counted in the first 100


@dataclass(frozen=True)
class Query:
    id: str
    lang: str
    kind: str  # what it tries: inflection, compound, crosslang, multiword, phrase, ...
    text: str
    need: str
    pool: tuple[str, ...] = ()  # other wordings its pool was also drawn with


def load_queries(path: Path = COLLECTION / "queries.tsv") -> list[Query]:
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    return [
        Query(
            r["id"],
            r["lang"],
            r["class"],
            r["query"],
            r["need"],
            tuple(x for x in (r.get("pool") or "").split("|") if x),
        )
        for r in rows
    ]


def load_qrels(path: Path = COLLECTION / "qrels.tsv") -> list[Any]:
    return list(ir_measures.read_trec_qrels(str(path)))


def ours(index_dir: Path) -> Any:
    """This engine's runs: ``run(text, lang)`` -> project ids, best first."""
    from indexer.service import InvalidRequest, SearchRequest
    from indexer.service.search import SearchService

    service = SearchService(index_dir)

    def run(text: str, lang: str, k: int = DEPTH) -> list[str]:
        req = SearchRequest(
            q=text, size=k, lang=lang, filters={"kind": ("project",)}, with_facets=False
        )
        try:
            return [h.id for h in service.search(req).hits]
        except InvalidRequest:
            return []

    return run


def _scored(runs: dict[str, list[str]]) -> list[Any]:
    """``runs`` (query id -> ids, best first) as the scored documents ir-measures reads."""
    return [
        ir_measures.ScoredDoc(qid, doc, float(len(ids) - i))
        for qid, ids in runs.items()
        for i, doc in enumerate(ids)
    ]


def measure(runs: dict[str, list[str]], qrels: list[Any]) -> dict[str, float]:
    """The measures of ``runs`` (query id -> ids, best first) over every judged query (a query
    a system answers with nothing scores 0)."""
    aggregate = ir_measures.calc_aggregate(MEASURES, qrels, _scored(runs))  # a judged query left
    # unanswered counts as 0 (tests/test_relevance.py holds ir-measures to it)
    return {NAMES[str(m)]: round(float(v), 4) for m, v in aggregate.items()}


def per_query(runs: dict[str, list[str]], qrels: list[Any]) -> dict[str, float]:
    """Each judged query's nDCG@10 (0 when unanswered)."""
    out = {q.query_id: 0.0 for q in qrels}
    for m in ir_measures.iter_calc([nDCG @ 10], qrels, _scored(runs)):
        out[m.query_id] = round(float(m.value), 4)
    return out


# -- the KTH data and the peers ------------------------------------------------------------


def kth_home(workdir: Path) -> Path:
    """The KTH exports of ``../shared/data`` imported and indexed in ``workdir``."""
    from webapp.cli import main

    shared = REPO.parent / "shared" / "data" / "swecris"
    parts = sorted(str(p) for p in shared.glob("kth_scp_export_part*of6.csv"))
    assert main(["--home", str(workdir), "import", "swecris", *parts, "--quiet"]) == 0
    assert main(["--home", str(workdir), "index", "--quiet"]) == 0
    return workdir


def plain_projects(home: Path) -> Iterator[dict[str, Any]]:
    from bench.corpus import plain
    from harvesters.core.records import Project
    from harvesters.store.database import RecordStore

    with RecordStore(home / "records.sqlite3") as store:
        for stored in store.iter_records(kind="project"):
            if isinstance(stored.record, Project):
                yield plain(stored.record)


def peers(projects: list[dict[str, Any]], workdir: Path) -> dict[str, Any]:
    """FTS5 and tantivy, each built over ``projects`` (the store read once for both)."""
    from bench.peer_fts5 import Fts5Peer
    from bench.peer_tantivy import TantivyPeer

    built: dict[str, Any] = {}
    for peer in (Fts5Peer(), TantivyPeer(threads=1)):  # one writer: one segment, same scores
        peer.build(projects, workdir / peer.name)
        built[peer.name] = peer
    return built


# -- commands -------------------------------------------------------------------------------


def all_runs(home: Path, workdir: Path, queries: list[Query]) -> dict[str, dict[str, list[str]]]:
    run = ours(home / "index")
    systems = {"research-index": {q.id: run(q.text, q.lang) for q in queries}}
    for name, peer in peers(list(plain_projects(home)), workdir).items():
        systems[name] = {q.id: peer.ranked(q.text, DEPTH) for q in queries}
    return systems


def pool(home: Path, workdir: Path, queries: list[Query], depth: int, out: Path) -> None:
    """For each query, the union of the first ``depth`` ids of every system, the query read
    with every word required and with any, in each of its wordings: one JSON line per
    (query, project) with the texts a judge reads."""
    run = ours(home / "index")
    projects = list(plain_projects(home))
    found = peers(projects, workdir)
    texts = {r["id"]: r for r in projects}
    out.mkdir(parents=True, exist_ok=True)
    for q in queries:
        ids: dict[str, set[str]] = {}
        for wording in (q.text, *q.pool):
            lists = {"ours": run(wording, q.lang, depth)}
            for name, peer in found.items():
                lists[f"{name}-all"] = peer.ranked(wording, depth)
                lists[f"{name}-any"] = peer.ranked(wording, depth, any_word=True)
            for system, got in lists.items():
                for doc in got:
                    ids.setdefault(doc, set()).add(system)
        with (out / f"{q.id}.jsonl").open("w", encoding="utf-8") as f:
            for doc in sorted(ids):
                r = texts[doc]
                f.write(json.dumps({"qid": q.id, "doc": doc, **_texts(r)}, ensure_ascii=False))
                f.write("\n")
        print(f"{q.id}: {len(ids)} to judge", file=sys.stderr)


def _texts(r: dict[str, Any]) -> dict[str, str]:
    return {k: r[k][:1500] for k in ("title_sv", "title_en", "abstract_sv", "abstract_en")}


def table(results: dict[str, dict[str, float]]) -> str:
    names = ("nDCG@10", "P@10", "R@100", "Judged@10")
    lines = ["| system | " + " | ".join(names) + " |", "| --- |" + " ---: |" * len(names)]
    for system, figures in results.items():
        lines.append(f"| {system} | " + " | ".join(f"{figures[n]:.3f}" for n in names) + " |")
    return "\n".join(lines)


def by_kind(
    queries: list[Query], by_query: dict[str, dict[str, float]]
) -> dict[str, dict[str, float]]:
    """Each system's mean nDCG@10 over the queries of each kind (inflection, compound...)."""
    kinds = sorted({q.kind for q in queries})
    return {
        system: {
            k: round(sum(scores[q.id] for q in queries if q.kind == k) / n, 3)
            for k in kinds
            if (n := sum(1 for q in queries if q.kind == k))
        }
        for system, scores in by_query.items()
    }


def kinds_table(kinds: dict[str, dict[str, float]]) -> str:
    names = sorted({k for figures in kinds.values() for k in figures})
    lines = ["| system | " + " | ".join(names) + " |", "| --- |" + " ---: |" * len(names)]
    for system, figures in kinds.items():
        lines.append(f"| {system} | " + " | ".join(f"{figures[n]:.3f}" for n in names) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("pool", "run"))
    parser.add_argument("--home", type=Path, help="a data folder with the KTH index")
    parser.add_argument("--out", type=Path, help="pool: the folder for the pools")
    parser.add_argument("--depth", type=int, default=15)
    parser.add_argument("--record", action="store_true", help="run: write bench/RELEVANCE.*")
    args = parser.parse_args(argv)
    queries = load_queries()
    with tempfile.TemporaryDirectory() as tmp:
        home = args.home or kth_home(Path(tmp) / "home")
        if args.command == "pool":
            if not args.out:
                parser.error("pool needs --out")
            pool(home, Path(tmp) / "peers", queries, args.depth, args.out)
            return 0
        qrels = load_qrels()
        systems = all_runs(home, Path(tmp) / "peers", queries)
    results = {name: measure(runs, qrels) for name, runs in systems.items()}
    print(table(results))
    by_query = {name: per_query(runs, qrels) for name, runs in systems.items()}
    kinds = by_kind(queries, by_query)
    print(kinds_table(kinds))
    if args.record:
        record = {
            "queries": len(queries),
            "results": results,
            "ndcg10_by_kind": kinds,
            "per_query_ndcg10": by_query,
        }
        RECORD.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
        RECORD.with_suffix(".md").write_text(
            "# Relevance on the judged KTH collection\n\n"
            f"{len(queries)} queries, `tests/relevance/` (how it was made: its README).\n\n"
            + table(results)
            + "\n\nnDCG@10 by what the queries try:\n\n"
            + kinds_table(kinds)
            + "\n",
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
