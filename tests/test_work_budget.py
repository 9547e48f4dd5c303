"""Regression guard on work, not time: Python calls per query and per indexed document.

Wall time on a shared 2-core machine is noise; the number of Python function calls a fixed
query makes on a fixed small index is not (it varies by a few per cent with hash seeds and
nothing else). Each budget below is the count measured when it was set plus a margin; a
change that makes searching or indexing do markedly more work fails here and must either be
fixed or come with a new, justified budget. The figures are printed for the record
(``pytest -s``). Measured on the first KTH export part (bench/RESULTS.md has timings); set
again on 2026-12-04 after facet counts became one pass per selection and snippets stopped
analysing words that cannot match (cold queries make a third of the calls they made).
"""

from __future__ import annotations

import cProfile
import pstats
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from indexer.service.request import SearchRequest
from indexer.service.search import SearchService
from webapp.cli import main

MARGIN = 1.3

# (query, facets) -> Python calls, cold (first search of the text in a version) and warm.
QUERIES: dict[str, SearchRequest] = {
    "single word": SearchRequest(q="energi"),
    "two words": SearchRequest(q="klimat vatten"),
    "phrase": SearchRequest(q='"machine learning"'),
    "field": SearchRequest(q="title:grafen"),
    "compound": SearchRequest(q="cancerforskning"),
    "browse": SearchRequest(filters={"funder": ("202100-5208",)}),
    "deep page": SearchRequest(q="forskning", page=10, size=20),
}
BUDGET_COLD = {
    "single word": 45_199,
    "two words": 98_819,
    "phrase": 61_957,
    "field": 5_324,
    "compound": 35_860,
    "browse": 20_991,
    "deep page": 82_143,
}
BUDGET_WARM = {
    "single word": 12_370,
    "two words": 16_497,
    "phrase": 12_647,
    "field": 2_595,
    "compound": 6_594,
    "browse": 13_125,
    "deep page": 14_900,
}
BUDGET_INDEX_PER_DOC = 19_560


def calls(fn: Callable[[], Any]) -> int:
    profile = cProfile.Profile()
    profile.enable()
    fn()
    profile.disable()
    return int(pstats.Stats(profile).total_calls)  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def small_home(tmp_path_factory: pytest.TempPathFactory, kth_exports: list[Path]) -> Path:
    home = tmp_path_factory.mktemp("budget")
    assert main(["--home", str(home), "import", "swecris", str(kth_exports[0]), "--quiet"]) == 0
    assert main(["--home", str(home), "index", "--procs", "1", "--quiet"]) == 0
    return home


def test_queries_stay_within_their_work_budget(small_home: Path) -> None:
    service = SearchService(small_home / "index")
    service.search(SearchRequest(q="uppvärmning"))  # opens the version and its tables
    for name, req in QUERIES.items():
        cold = calls(lambda req=req: service.search(req))
        warm = calls(lambda req=req: service.search(req))
        print(f"{name}: cold {cold} calls, warm {warm}")
        assert cold <= BUDGET_COLD[name] * MARGIN, (name, cold)
        assert warm <= BUDGET_WARM[name] * MARGIN, (name, warm)


def test_indexing_stays_within_its_work_budget(small_home: Path, tmp_path: Path) -> None:
    from whoosh import index as whoosh_index

    from harvesters.core.config import load_config
    from harvesters.core.records import record_from_dict
    from harvesters.store.scan import scan
    from indexer.building.parallel import document, prepare
    from indexer.documents.projects import Labels
    from indexer.engine.schema import build_schema
    from indexer.engine.writer import SegmentBuilder
    from indexer.registry.build import build_registry

    store = load_config(home=small_home, env={}).store_path
    shared = prepare(store, ("project",), build_registry(store))
    raws = [r for _, r in zip(range(200), scan(store, ("project",)), strict=False)]
    labels = Labels()
    docs = [document(record_from_dict(r.plain()), shared, labels, r.data) for r in raws]
    ix = whoosh_index.create_in(tmp_path, build_schema())
    builder = SegmentBuilder(ix)

    def build() -> None:
        for doc in docs:
            builder.add(doc)
        builder.commit()

    per_doc = calls(build) // len(docs)
    print(f"indexing: {per_doc} calls per document")
    assert per_doc <= BUDGET_INDEX_PER_DOC * MARGIN
