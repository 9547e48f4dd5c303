"""Search quality on the judged KTH collection (``tests/relevance/``, issue 19): this engine's
nDCG@10 must not fall more than 0.02 below the figure ``bench/relevance.py run --record``
wrote in ``bench/RELEVANCE.json``; the collection itself must stay sound (enough queries in
both languages, every query judged with relevant projects among real ones)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import ir_measures
import pytest

from bench.relevance import RECORD, load_qrels, load_queries, measure, ours
from indexer.service import RecordNotFound

TOLERANCE = 0.02


def test_the_collection_is_sound(kth_service) -> None:  # type: ignore[no-untyped-def]
    queries = load_queries()
    qrels = load_qrels()
    assert len(queries) >= 40 and len({q.id for q in queries}) == len(queries)
    langs = Counter(q.lang for q in queries)
    assert langs["sv"] >= 15 and langs["en"] >= 15, langs
    kinds = Counter(q.kind for q in queries)
    for kind in ("inflection", "compound", "crosslang", "multiword", "phrase"):
        assert kinds[kind] >= 3, kinds
    judged = Counter(q.query_id for q in qrels)
    relevant = Counter(q.query_id for q in qrels if q.relevance >= 2)
    for q in queries:
        assert judged[q.id] >= 20, f"{q.id} has {judged[q.id]} judgments"
        assert relevant[q.id] >= 1, f"{q.id} has no relevant project"
    assert {q.relevance for q in qrels} <= {0, 1, 2, 3}
    unknown = []
    for doc in sorted({q.doc_id for q in qrels}):
        try:
            kth_service.get("swecris", doc)
        except RecordNotFound:
            unknown.append(doc)
    assert not unknown, f"judged ids the KTH data does not hold: {unknown[:5]}"


def test_ndcg_at_10_keeps_to_the_recorded_figure(kth_home: Path) -> None:
    run = ours(kth_home / "index")
    runs = {q.id: run(q.text, q.lang) for q in load_queries()}
    got = measure(runs, load_qrels())
    recorded = json.loads(RECORD.read_text(encoding="utf-8"))["results"]["research-index"]
    assert got["nDCG@10"] >= recorded["nDCG@10"] - TOLERANCE, (
        f"nDCG@10 fell from the recorded {recorded['nDCG@10']} to {got['nDCG@10']} "
        f"(all: {got}); see python bench/relevance.py run"
    )


def test_a_query_answered_with_nothing_counts_as_zero() -> None:
    qrels = [
        ir_measures.Qrel("a", "d1", 3),
        ir_measures.Qrel("a", "d2", 0),
        ir_measures.Qrel("b", "d3", 2),
    ]
    assert measure({"a": ["d1", "d2"], "b": []}, qrels)["nDCG@10"] == pytest.approx(0.5)
    assert measure({"a": ["d2", "d1"], "b": ["d3"]}, qrels)["nDCG@10"] < 1.0
    perfect = {"nDCG@10": 1.0, "P@10": 0.1, "R@100": 1.0, "Judged@10": 1.0}
    assert measure({"a": ["d1"], "b": ["d3"]}, qrels) == perfect
