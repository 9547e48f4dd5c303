"""Fast BM25F scoring (``indexer.fastscore``) against Whoosh's own search, on real KTH data.

Two small real indexes of the first KTH export part: two segments (``index --procs 2``), and
the same after five projects changed (an incremental build: deleted documents in both old
segments and a third, tiny segment). Every query below is parsed as the search service parses
it; ``fast_rank`` must take the shapes it claims (terms, ANDs and ORs, nested) and give exactly
Whoosh's order and scores, with Whoosh's automatic choice of Or matcher (these small segments
get the preloaded array union, which a 100,000-project index uses only on small segments) and
with each choice forced. Other shapes (phrases, NOT, wildcards) must come back as None, and
``rank`` must then give Whoosh's own ranking.
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

from indexer.build import COMPOUNDS_FILE
from indexer.decompound import Decompounder
from indexer.fastscore import fast_rank, fast_scores
from indexer.query import parse
from indexer.ranking import rank
from indexer.versions import IndexLocation
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
    # words that match nothing
    "xyzzyqq",
    "fågelholk zzzq",
    "energi xyzzyqq",
)
# phrases (also a hyphenated word), NOT, a wildcard, a zero boost (Whoosh's array union keeps
# some zero-score documents and not others: left to Whoosh)
UNSUPPORTED = ('"machine learning"', "covid-19", "energi -vatten", "NOT energi", "energ*", "sol^0")
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
