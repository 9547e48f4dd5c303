"""The fast segment writer against Whoosh's own: same postings, lengths and stored fields.

Builds the same KTH documents twice, once with ``IndexWriter.add_document`` and once with
:class:`indexer.engine.writer.SegmentBuilder`, and compares every term of every field posting by
posting (docnum, weight, encoded value), every field length and every stored field; then the
same queries must score the same.
"""

from __future__ import annotations

import gc
import weakref
from pathlib import Path
from typing import Any

import pytest
from whoosh import index as whoosh_index
from whoosh.qparser import MultifieldParser

from harvesters.core.config import load_config
from harvesters.core.records import Project
from harvesters.store.database import RecordStore
from indexer.analysis.compounds import Decompounder
from indexer.documents.projects import Labels, to_document
from indexer.engine.analyzers import english_analyzer, exact_analyzer, swedish_analyzer
from indexer.engine.schema import DEFAULT_FIELDS, build_schema
from indexer.engine.writer import SegmentBuilder, TextPlan
from webapp.cli import main

N_DOCS = 400


@pytest.fixture(scope="module")
def documents(tmp_path_factory: pytest.TempPathFactory, kth_exports: list[Path]) -> list[Any]:
    home = tmp_path_factory.mktemp("fast-home")
    assert main(["--home", str(home), "import", "swecris", str(kth_exports[0]), "--quiet"]) == 0
    with RecordStore(load_config(home=home, env={}).store_path) as store:
        records = [s.record for _, s in zip(range(N_DOCS), store.iter_records(), strict=False)]
    projects = [r for r in records if isinstance(r, Project)]
    texts = [t for p in projects for t in (p.title.sv, p.abstract.sv) if t]
    dc = Decompounder.from_texts(texts)
    labels = Labels()
    docs = [to_document(p, dc, labels) for p in projects]
    # Edge cases: stopwords first (renumbered positions), soft hyphens, NFD, empty fields.
    docs[0]["title_sv"] = "och i den nya forsk\u00adningen om fa\u030agel och fisk"
    docs[0]["title_en"] = "the a of The New research of the a"
    docs[1]["abstract_sv"] = ""
    docs[1]["text_exact"] = "\u00ad"
    return docs


def _postings(ix: Any) -> dict[tuple[str, bytes], list[tuple[int, float, bytes]]]:
    out = {}
    with ix.reader() as reader:
        for fieldname, tbytes in reader.all_terms():
            m = reader.postings(fieldname, tbytes)
            items = []
            while m.is_active():
                items.append((m.id(), m.weight(), m.value()))
                m.next()
            out[(fieldname, tbytes)] = items
    return out


def _build_both(tmp_path: Path, docs: list[dict[str, Any]]) -> tuple[Any, Any]:
    (tmp_path / "stock").mkdir()
    (tmp_path / "fast").mkdir()
    stock = whoosh_index.create_in(tmp_path / "stock", build_schema())
    w = stock.writer()
    for d in docs:
        w.add_document(**d)
    w.commit()
    fast = whoosh_index.create_in(tmp_path / "fast", build_schema())
    builder = SegmentBuilder(fast)
    for d in docs:
        builder.add(d)
    builder.commit()
    return whoosh_index.open_dir(tmp_path / "stock"), whoosh_index.open_dir(tmp_path / "fast")


def test_fast_writer_writes_what_whoosh_writes(
    tmp_path: Path, documents: list[dict[str, Any]]
) -> None:
    stock, fast = _build_both(tmp_path, documents)
    assert fast.doc_count() == stock.doc_count() == len(documents)
    a, b = _postings(stock), _postings(fast)
    assert len(a) > 10_000
    assert a.keys() == b.keys()
    assert [k for k in a if a[k] != b[k]] == []
    with stock.reader() as ra, fast.reader() as rb:
        for name in build_schema().scorable_names():
            assert ra.field_length(name) == rb.field_length(name), name
            for n in range(len(documents)):
                assert ra.doc_field_length(n, name) == rb.doc_field_length(n, name), (name, n)
        assert list(ra.all_stored_fields()) == list(rb.all_stored_fields())
    parser = MultifieldParser(list(DEFAULT_FIELDS), stock.schema)
    for text in ("energi", "machine learning", "forskning om klimat", "fågel"):
        query = parser.parse(text)
        with stock.searcher() as sa, fast.searcher() as sb:
            ha = [(h.docnum, round(h.score, 9)) for h in sa.search(query, limit=30)]
            hb = [(h.docnum, round(h.score, 9)) for h in sb.search(query, limit=30)]
        assert ha == hb, text


@pytest.mark.parametrize("make", [swedish_analyzer, english_analyzer, exact_analyzer])
def test_text_plan_terms_match_the_analyzer(make: Any, documents: list[dict[str, Any]]) -> None:
    analyzer = make()
    plan = TextPlan(analyzer, positions=True)
    for doc in documents[:100]:
        for text in (doc["title_sv"], doc["title_en"], doc["abstract_sv"], doc["abstract_en"]):
            expected: dict[str, list[int]] = {}
            for t in analyzer(text, positions=True):
                expected.setdefault(t.text, []).append(t.pos)
            assert plan.positions_of(text) == expected


def test_two_processes_build_the_same_index_as_one(tmp_path: Path, kth_exports: list[Path]) -> None:
    """Shards in two worker processes give the same documents, counts and ranking as one
    process (Whoosh scores with index-wide statistics, whatever the segments)."""
    from indexer.service.request import SearchRequest
    from indexer.service.search import SearchService

    results = []
    for procs in ("1", "2"):
        home = tmp_path / f"procs{procs}"
        assert main(["--home", str(home), "import", "swecris", str(kth_exports[1]), "--quiet"]) == 0
        assert main(["--home", str(home), "index", "--procs", procs, "--quiet"]) == 0
        service = SearchService(home / "index")
        got = []
        for q in ("energi", "machine learning", "title:grafen", ""):
            res = service.search(SearchRequest(q=q, size=10))
            # Equal scores (or dates, when browsing) are ordered by document number, which differs.
            ranked = sorted((-round(h.score or 0, 6), h.uid) for h in res.hits) if q else []
            got.append((res.total, ranked, [(f.name, f.values) for f in res.facets]))
        results.append(got)
    assert results[0] == results[1]
    assert results[0][0][0] > 10


def test_tiny_parallel_builds_never_trip_over_each_other(tmp_path: Path, shared_data: Path) -> None:
    """Workers share Whoosh's temporary folder: one with an empty shard must not delete it
    under the other (it did: builds of 2-10 records failed now and then)."""
    source = shared_data / "swecris" / "scp_search_response_scb40107.json"
    for n in range(4):
        home = tmp_path / f"tiny{n}"
        assert main(["--home", str(home), "import", "swecris", str(source), "--quiet"]) == 0
        assert main(["--home", str(home), "index", "--procs", "2", "--quiet"]) == 0


def test_a_worker_stops_when_its_parent_build_is_gone(tmp_path: Path, shared_data: Path) -> None:
    """A worker checks at every progress tick that the build that forked it still runs; an
    orphan (parent killed) stops instead of indexing on while holding the lock's descriptor."""
    import multiprocessing
    import os

    from whoosh import index as whoosh_index

    from harvesters.store.scan import scan
    from indexer.building import parallel
    from indexer.registry.build import build_registry

    source = shared_data / "swecris" / "scp_search_response_scb40107.json"
    home = tmp_path / "home"
    assert main(["--home", str(home), "import", "swecris", str(source), "--quiet"]) == 0
    store_path = load_config(home=home, env={}).store_path
    kinds = ("project",)
    shared = parallel.prepare(store_path, kinds, build_registry(store_path))
    target = tmp_path / "target"
    target.mkdir()
    whoosh_index.create_in(target, build_schema()).close()
    items = list(scan(store_path, kinds))
    assert items
    counter = multiprocessing.Value("q", 0)
    outcomes = {}
    for name, parent in (("alive", os.getppid()), ("gone", os.getpid())):
        recv, send = multiprocessing.Pipe(duplex=False)
        parallel._child(target, shared, (0, 1), counter, 1000, send, items, parent)
        outcomes[name] = recv.recv()
    assert outcomes["alive"][0] == "ok"
    status, (cause, _trace) = outcomes["gone"]
    assert status == "error" and "is gone" in cause


def test_a_text_plan_is_freed_without_the_cyclic_collector() -> None:
    """Workers index with the collector off; a plan and its term cache must not form a cycle,
    or every finished segment's caches would stay in memory until the worker ends."""
    plan = TextPlan.for_field(build_schema()["abstract_sv"])
    assert plan is not None
    assert plan.terms("Forskningen om vatten") == ["forskning", None, "vatten"]
    ref = weakref.ref(plan)
    was_on = gc.isenabled()
    gc.disable()
    try:
        del plan
        assert ref() is None
    finally:
        if was_on:
            gc.enable()
