"""Fast BM25F scoring (``indexer.engine.scoring``) against Whoosh's own search, on real KTH data.

Two small real indexes of the first KTH export part: two segments (``index --procs 2``), and
the same after five projects changed (an incremental build: deleted documents in both old
segments and a third, tiny segment). Every query below is parsed as the search service parses
it; ``fast_rank`` must take the shapes it claims (terms, phrases, ANDs and ORs, nested) and
give exactly Whoosh's order and scores, with Whoosh's automatic choice of Or matcher (these
small segments get the preloaded array union, which a 100,000-project index uses only on small
segments) and with each choice forced. Other shapes (NOT, wildcards, sloppy phrases) must come
back as None, and ``rank`` must then give Whoosh's own ranking.
"""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from whoosh import index as whoosh_index
from whoosh import query as Q

from indexer.analysis.compounds import Decompounder
from indexer.building.build import COMPOUNDS_FILE
from indexer.building.versions import IndexLocation
from indexer.engine.query import parse
from indexer.engine.scoring import fast_rank, fast_scores
from indexer.engine.top import rank
from webapp.cli import main

QUERIES = (
    # single words, Swedish and English (an Or over every default field)
    "energi",
    "forskning",
    "research",
    "klimat",
    "hållbarhet",
    "sustainable",
    "batterier",
    "quantum",
    "nätverk",
    "6G",
    # two and three words (an And of Ors)
    "machine learning",
    "klimat vatten",
    "hållbar energi transport",
    "artificial intelligence systems",
    # OR, groups, boosts
    "energi OR klimat",
    "solceller OR batterier OR vätgas",
    "(energi OR sol) vatten",
    "energi^3 vatten",
    "research^0.5 energy^2",
    # field queries, unscorable keyword fields among them (id, orcid)
    "title:energi",
    "title:research",
    "abstract:batteri",
    "person:anna",
    "org:kth",
    "funder:vinnova",
    "funder:vetenskapsrådet",
    "id:2024-00252_vr",
    "orcid:0000-0002-5407-0835",
    # Swedish compounds (their parts an And of Ors inside the word's Or)
    "cancerforskning",
    "energiforskning",
    "vattenrening",
    "klimatförändringar",
    "kvantdatorer",
    # phrases (positions: ``indexer.engine.phrases``), a hyphenated word, phrases among words
    '"machine learning"',
    '"artificial intelligence"',
    '"royal institute of technology"',
    '"climate change" energi',
    '"energi energi"',
    '"machine xyzzyqq"',
    'person:"anna"',
    'title:"machine learning" OR klimat',
    "covid-19",
    "co2-utsläpp",
    # words that match nothing
    "xyzzyqq",
    "fågelholk zzzq",
    "energi xyzzyqq",
)
# NOT, a wildcard, a zero boost (Whoosh's array union keeps some zero-score documents and not
# others: left to Whoosh)
UNSUPPORTED = ("energi -vatten", "NOT energi", "energ*", "sol^0")
CHANGED = (
    "2025-01169_RJ",
    "2024-00108_SNSB",
    "2024-00252_VR",
    "2024-00995_Formas",
    "2024-01579_Formas",
)
OR_MATCHERS = {
    "auto": Q.Or.AUTO_MATCHER,
    "union-tree": Q.Or.DEFAULT_MATCHER,
    "array": Q.Or.ARRAY_MATCHER,
}


def _changed_rows() -> list[dict[str, object]]:
    return [
        {
            "projectId": pid,
            "projectTitleSv": f"Ändrad titel om energi och vatten {i}",
            "projectTitleEn": f"Changed title on energy and water research {i}",
            "projectAbstractEn": "A changed abstract about energy research.",
            "projectStartDate": "2020-01-01 00:00:00",
            "projectEndDate": "2030-12-31 00:00:00",
            "coordinatingOrganisationId": "202100-3054",
            "coordinatingOrganisationNameEn": "KTH, Royal Institute of Technology",
            "fundingOrganisationId": "202100-5208",
            "fundingOrganisationNameEn": "Swedish Research Council",
            "fundingsSek": 1000,
            "fundingYear": "2020",
        }
        for i, pid in enumerate(CHANGED)
    ]


@pytest.fixture(scope="module")
def homes(tmp_path_factory: pytest.TempPathFactory, kth_exports: list[Path]) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("fastscore")
    plain = base / "plain"
    assert main(["--home", str(plain), "import", "swecris", str(kth_exports[0]), "--quiet"]) == 0
    assert main(["--home", str(plain), "index", "--procs", "2", "--quiet"]) == 0
    changed = base / "changed"
    shutil.copytree(plain, changed, symlinks=True)
    rows = base / "changed.json"
    rows.write_text(json.dumps(_changed_rows()), encoding="utf-8")
    assert main(["--home", str(changed), "import", "swecris", str(rows), "--quiet"]) == 0
    assert main(["--home", str(changed), "index", "--procs", "2", "--quiet"]) == 0
    return {"plain": plain, "changed": changed}


@pytest.fixture(params=["plain", "changed"])
def opened(request: pytest.FixtureRequest, homes: dict[str, Path]) -> Iterator[tuple[Any, Any]]:
    path = IndexLocation(homes[request.param] / "index").current_path()
    assert path is not None
    ix = whoosh_index.open_dir(path)
    decompounder = Decompounder.load(path / COMPOUNDS_FILE)
    with ix.searcher() as searcher:
        leaves = searcher.leaf_searchers()
        if request.param == "plain":
            assert len(leaves) == 2
            assert not any(s.reader().has_deletions() for s, _ in leaves)
        else:
            assert len(leaves) == 3
            deleted = sum(s.doc_count_all() - s.doc_count() for s, _ in leaves)
            assert deleted >= len(CHANGED)
        yield searcher, decompounder
    ix.close()


def _same_as_whoosh(searcher: Any, query: Any) -> int:
    """Assert fast_rank gives Whoosh's ranking; the number of matches."""
    whoosh = searcher.search(query, limit=None).top_n  # (score, docnum), best first
    fast = fast_rank(searcher, query)
    assert fast is not None, query
    assert list(fast.order) == [d for _, d in whoosh], query
    assert fast.docs == {d for _, d in whoosh}
    for (expected, _), got in zip(whoosh, fast.scores, strict=True):
        assert math.isclose(got, expected, rel_tol=1e-5), query
    # not only close: the same doubles, summed in the same order as Whoosh sums them
    scores = fast_scores(searcher, query)
    assert scores is not None
    assert [(scores[d], d) for _, d in whoosh] == whoosh, query
    return len(whoosh)


@pytest.mark.parametrize("matcher", OR_MATCHERS)
def test_fast_rank_is_whooshs_ranking(
    opened: tuple[Any, Any], matcher: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    searcher, decompounder = opened
    monkeypatch.setattr(Q.Or, "matcher_type", OR_MATCHERS[matcher])
    totals = {}
    for text in QUERIES:
        totals[text] = _same_as_whoosh(searcher, parse(text, decompounder))
    assert len(QUERIES) >= 30
    assert totals["research"] > 500 and totals["energi"] > 200  # broad ones among them
    assert totals["xyzzyqq"] == totals["fågelholk zzzq"] == totals["energi xyzzyqq"] == 0
    assert sum(1 for n in totals.values() if n) >= 30


def test_the_shapes_are_the_real_ones(opened: tuple[Any, Any]) -> None:
    """The queries exercise what the parser makes: Ors of boosted terms, Ands of Ors and the
    compound's And of Ors nested in a word's Or."""
    _, decompounder = opened
    word = parse("cancerforskning", decompounder)
    assert type(word) is Q.Or and any(type(q) is Q.And for q in word.subqueries)
    two = parse("klimat vatten", decompounder)
    assert type(two) is Q.And and all(type(q) is Q.Or for q in two.subqueries)
    assert any(q.boost != 1.0 for q in parse("energi", decompounder).subqueries)


def test_other_shapes_fall_back_to_whoosh(opened: tuple[Any, Any]) -> None:
    searcher, decompounder = opened
    for text in UNSUPPORTED:
        query = parse(text, decompounder)
        assert fast_rank(searcher, query) is None, text
        ranked = rank(searcher, query)
        whoosh = searcher.search(query, limit=None).top_n
        assert list(ranked.order) == [d for _, d in whoosh], text
    assert fast_rank(searcher, Q.Every()) is None
    assert fast_rank(searcher, Q.Or([Q.Term("title_sv", "energi")], scale=0.5)) is None


def test_rank_takes_the_fast_path_with_the_same_result(opened: tuple[Any, Any]) -> None:
    searcher, decompounder = opened
    query = parse("energi vatten", decompounder)
    ranked = rank(searcher, query)
    fast = fast_rank(searcher, query)
    assert fast is not None
    assert ranked == fast
    assert len(ranked.order) > 10


def test_terms_and_plain_compounds(opened: tuple[Any, Any]) -> None:
    """Hand-made shapes: a bare term, boosted compounds, a one-child Or (its boost is dropped,
    as Whoosh drops it), an unknown field, and deeper nesting."""
    searcher, _ = opened
    energi = Q.Term("title_sv", "energi")
    queries = [
        energi,
        Q.Term("abstract_en", "energi", boost=2.5),
        Q.Term("nosuchfield", "energi"),
        Q.Or([energi], boost=3.0),
        Q.And([Q.Term("org", "kth"), Q.Term("funder_name", "vinnova")], boost=1.5),
        Q.Or(
            [
                Q.And([Q.Or([energi, Q.Term("title_en", "energi")]), Q.Term("org", "kth")]),
                Q.Term("pid", "2024-00252_vr", boost=4.0),
                Q.Term("abstract_sv", "forskning", boost=0.3),
            ],
            boost=2.0,
        ),
    ]
    for query in queries:
        _same_as_whoosh(searcher, query)


def test_phrases_by_hand(opened: tuple[Any, Any]) -> None:
    """Phrases as the parser does not make them: boosted, four words, words in the wrong
    order, inside an And and an Or; each must match only where its words stand next to each
    other, in order (fewer documents than the And of its words)."""
    searcher, _ = opened
    ml = Q.Phrase("text_exact", ["machine", "learning"], boost=2.5)
    phrases = [
        ml,
        Q.Phrase("text_exact", ["royal", "institute", "of", "technology"]),
        Q.Phrase("title_exact", ["machine", "learning"]),
        Q.Phrase("text_exact", ["learning", "machine"]),  # the same words, reversed
        Q.Phrase("text_exact", ["climate", "change"]),
    ]
    found = {}
    for query in phrases:
        found[tuple(query.words), query.fieldname] = n = _same_as_whoosh(searcher, query)
        words = Q.And([Q.Term(query.fieldname, w) for w in query.words])
        assert n <= len(searcher.search(words, limit=None).top_n), query
    assert found[("machine", "learning"), "text_exact"] > 20
    assert found[("royal", "institute", "of", "technology"), "text_exact"] > 0
    assert (
        found[("learning", "machine"), "text_exact"] < found[("machine", "learning"), "text_exact"]
    )
    both = Q.And([Q.Term("text_exact", "climate"), Q.Term("text_exact", "change")])
    assert (
        0
        < found[("climate", "change"), "text_exact"]
        < len(searcher.search(both, limit=None).top_n)
    )
    _same_as_whoosh(searcher, Q.And([ml, Q.Term("org", "kth")]))
    _same_as_whoosh(searcher, Q.Or([phrases[1], Q.Term("title_sv", "energi")], boost=1.5))
    assert fast_rank(searcher, Q.Phrase("org", ["kth"])) is None  # one word: Whoosh's


def test_phrases_whoosh_alone_answers(opened: tuple[Any, Any]) -> None:
    """A sloppy phrase, and a phrase on a field without positions (Whoosh's own error)."""
    searcher, _ = opened
    sloppy = Q.Phrase("text_exact", ["machine", "learning"], slop=3)
    assert fast_rank(searcher, sloppy) is None
    no_positions = Q.Phrase("abstract_sv", ["klimat", "förändring"])
    assert not searcher.schema["abstract_sv"].format.supports("positions")
    assert fast_rank(searcher, no_positions) is None
