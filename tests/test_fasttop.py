"""The best matches without ranking them all (``indexer.engine.top``), against Whoosh's ranking.

On the same two real KTH indexes as ``test_fastscore`` (two segments; then deletions and a
third segment), with the thresholds lowered to this small collection's size so that the bound
decides: a ``TopRanked``'s matches must be exactly Whoosh's, its ranked documents exactly the
beginning of Whoosh's order with the same scores, and any request it cannot answer alone (a
longer page, a filter) must get Whoosh's order from the whole ranking it then makes.
"""

from __future__ import annotations

from array import array
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from whoosh import query as Q

from indexer.engine import top as fasttop
from indexer.engine.query import parse
from indexer.engine.ranked import Ranked, TopRanked
from indexer.engine.top import matches, rank
from indexer.service.request import SearchRequest
from indexer.service.search import SearchService
from tests import test_fastscore

QUERIES = test_fastscore.QUERIES
homes = test_fastscore.homes  # the same real indexes (built again for this module)
opened = test_fastscore.opened
FILTER = {"year": ("2024",)}


@pytest.fixture
def small(monkeypatch: pytest.MonkeyPatch) -> None:
    """Thresholds for a collection of about a thousand projects."""
    monkeypatch.setattr(fasttop, "MIN_MATCHES", 0)
    monkeypatch.setattr(fasttop, "MIN_CANDIDATES", 5)
    monkeypatch.setattr(fasttop, "WANTED", 10)
    monkeypatch.setattr(fasttop, "ENOUGH", 3)
    monkeypatch.setattr(fasttop, "MAX_SHARE", 0.6)


def _whoosh(searcher: Any, query: Any) -> list[tuple[int, float]]:
    """Whoosh's whole ranking, (docnum, score as the rankings keep it: float32)."""
    top = searcher.search(query, limit=None).top_n
    return list(zip((d for _, d in top), array("f", (s for s, _ in top)), strict=True))


def _check(searcher: Any, query: Any) -> TopRanked | Ranked:
    expected = _whoosh(searcher, query)
    found = fasttop.top_rank(searcher, query)
    assert found is not None, query
    assert found.docs == {d for d, _ in expected}, query
    if isinstance(found, Ranked):
        assert list(zip(found.order, found.scores, strict=True)) == expected, query
        return found
    assert 0 < len(found.top) < len(expected), query
    assert found.top == expected[: len(found.top)], query
    n = len(found.top)
    assert found.ordered_within(found.docs, n) == expected[:n]
    assert found.full is None  # answered from the best ones alone
    every_third = frozenset(d for d, _ in expected[::3])
    assert (
        found.ordered_within(every_third, 8, searcher)
        == [(d, s) for d, s in expected if d in every_third][:8]
    )
    assert found.ordered_within(found.docs, n + 5, searcher) == expected[: n + 5]
    return found


@pytest.mark.usefixtures("small")
def test_top_ranks_are_whooshs_first_ranks(opened: tuple[Any, Any]) -> None:
    searcher, decompounder = opened
    kinds = {}
    for text in QUERIES:
        kinds[text] = type(_check(searcher, parse(text, decompounder)))
    tops = [t for t, kind in kinds.items() if kind is TopRanked]
    assert len(tops) >= 10, kinds  # the bound decides for most broad queries here
    assert {"research", "energi", "forskning"} <= set(tops)


@pytest.mark.usefixtures("small")
def test_hand_made_shapes(opened: tuple[Any, Any]) -> None:
    """Boosts at every level (products of them bound the leaves), a phrase among words, an
    Or of one child (its boost dropped, as Whoosh drops it)."""
    searcher, _ = opened
    research = Q.Or(
        [Q.Term("title_en", "research", boost=8.0), Q.Term("text_exact", "research")], boost=2.0
    )
    queries = [
        research,
        Q.Or([research, Q.Term("abstract_en", "energi", boost=0.5)], boost=0.5),
        Q.And([Q.Or([research], boost=9.0), Q.Term("org", "kth", boost=3.0)]),
        Q.Or([Q.Phrase("text_exact", ["machine", "learning"], boost=4.0), research]),
    ]
    assert any(isinstance(_check(searcher, q), TopRanked) for q in queries)


def test_real_thresholds_rank_small_queries_whole(opened: tuple[Any, Any]) -> None:
    """At the real thresholds a thousand projects is too few to bother: the whole ranking,
    from the postings already read, as ``rank`` gives it."""
    searcher, decompounder = opened
    query = parse("research", decompounder)
    found = rank(searcher, query)
    assert isinstance(found, Ranked)
    assert list(zip(found.order, found.scores, strict=True)) == _whoosh(searcher, query)
    assert fasttop.top_rank(searcher, Q.Every()) is None  # not a shape it scores


def test_most_matches_bounds_every_query_and_spares_step_1(
    opened: tuple[Any, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``most_matches`` is never below a query's real number of matches, and a compound's And
    is bounded by its rarer part; below ``MIN_MATCHES`` the query is ranked in full without
    reading its leaves into sets first (step 1), with Whoosh's ranking."""
    searcher, decompounder = opened
    for text in QUERIES:
        query = parse(text, decompounder)
        found = len(searcher.search(query, limit=None).top_n)
        assert fasttop.most_matches(searcher, query) >= found, text
    # A field the index does not have matches nothing, beside others or alone.
    research = Q.Term("abstract_en", "research")
    for query in (
        Q.Or([research, Q.Term("nosuchfield", "x")]),
        Q.And([research, Q.Phrase("nosuchfield", ["a", "b"])]),
    ):
        most = fasttop.most_matches(searcher, query)  # deleted documents counted too
        assert (
            most >= len(searcher.search(research, limit=None).top_n)
            if type(query) is Q.Or
            else most == 0
        )
        _check(searcher, query)
    compound = parse("cancerforskning", decompounder)
    part = next(q for q in compound.subqueries if type(q) is Q.And)
    words = [fasttop.most_matches(searcher, q) for q in part.subqueries]
    assert fasttop.most_matches(searcher, part) == min(words) < max(words)
    monkeypatch.setattr(fasttop, "MIN_MATCHES", fasttop.most_matches(searcher, compound) + 1)

    def step_1(*args: Any) -> None:
        raise AssertionError("step 1 for a query that cannot reach MIN_MATCHES")

    monkeypatch.setattr(fasttop, "_matches", step_1)
    ranked = fasttop.top_rank(searcher, compound)
    assert isinstance(ranked, Ranked)
    assert list(zip(ranked.order, ranked.scores, strict=True)) == _whoosh(searcher, compound)


@pytest.mark.usefixtures("small")
def test_a_bound_too_low_would_be_caught(
    opened: tuple[Any, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The test above can fail: with the bound ignored, documents from outside the
    candidates are missed and the first ranks differ from Whoosh's for some query."""
    searcher, decompounder = opened
    monkeypatch.setattr(fasttop, "MARGIN", -1.0)  # floor = 0: every candidate "ranked"
    wrong = 0
    for text in QUERIES:
        query = parse(text, decompounder)
        found = fasttop.top_rank(searcher, query)
        if isinstance(found, TopRanked):
            expected = _whoosh(searcher, query)
            wrong += found.top != expected[: len(found.top)]
    assert wrong


@pytest.mark.usefixtures("small")
def test_matches_alone_then_ranked_when_asked(opened: tuple[Any, Any]) -> None:
    """Statistics, counts and other sorts need only which documents match: ``matches``
    finds them without scoring, and the first request that needs relevance order ranks them
    (the best first where the bound allows, all of them when a request needs more)."""
    searcher, decompounder = opened
    for text in ("research", "energi", "klimat vatten", '"machine learning" OR energi'):
        query = parse(text, decompounder)
        expected = _whoosh(searcher, query)
        found = matches(searcher, query)
        assert isinstance(found, TopRanked), text
        assert found.top is None and found.full is None
        assert found.docs == {d for d, _ in expected}
        with pytest.raises(ValueError, match="searcher"):
            found.ordered_within(found.docs, 5)
        assert found.ordered_within(found.docs, 5, searcher) == expected[:5]
        assert found.top is not None or found.full is not None
        assert found.ordered_within(found.docs, len(expected), searcher) == expected
        assert found.full is not None
    other = parse("energi -vatten", decompounder)  # NOT: Whoosh ranks it, in full
    assert isinstance(matches(searcher, other), Ranked)


def test_the_service_orders_alike_whatever_came_first(homes: dict[str, Path]) -> None:
    """A query first met by statistics and a sort by amount (matches only) and then searched
    by relevance gives the page a fresh service gives, page after page and filtered."""
    warmed = SearchService(homes["plain"] / "index")
    fresh = SearchService(homes["plain"] / "index")
    for text in ("energi", "research", "klimat vatten"):
        req = SearchRequest(q=text, size=10)
        warmed.stats(req, ("year",))
        by_amount = warmed.search(replace(req, sort="amount_desc"))
        assert warmed.count(req) == by_amount.total > 10
        for page in (1, 3):
            for r in (replace(req, page=page), replace(req, page=page, filters=FILTER)):
                got, want = warmed.search(r), fresh.search(r)
                assert got.total == want.total
                assert [(h.uid, h.score) for h in got.hits] == [(h.uid, h.score) for h in want.hits]
