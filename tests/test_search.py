"""Relevance and behaviour of the search service on the real KTH data (6,519 SweCRIS rows).

Expectations are derived from the records' own text in the store, not hard-coded result
lists, so the tests say what must hold ("every project whose English text mentions batteries
is found by 'battery'") rather than what happened to come back.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from harvesters.core.records import Project
from harvesters.store.database import RecordStore
from indexer.documents.projects import today_int
from indexer.engine.analyzers import english_analyzer, exact_analyzer, swedish_analyzer
from indexer.errors import InvalidQuery, InvalidRequest, RecordNotFound
from indexer.service.request import SearchRequest
from indexer.service.search import SearchService
from indexer.service.stats import PREPARED


@pytest.fixture(scope="module")
def records(kth_home: Path) -> dict[str, Project]:
    with RecordStore(kth_home / "records.sqlite3") as store:
        return {s.id: s.record for s in store.iter_records()}


PROJECTS = {"kind": ("project",)}


def ids(service: SearchService, q: str, **kw: object) -> set[str]:
    """The projects a query finds (the registry's facilities made of grants left out)."""
    kw.setdefault("filters", {"kind": ("project",)})
    out: set[str] = set()
    page = 1
    while True:
        req = SearchRequest(q=q, include_twins=True, size=100, page=page, with_facets=False, **kw)  # type: ignore[arg-type]
        result = service.search(req)
        out |= {h.id for h in result.hits}
        if page * 100 >= result.total:
            return out
        page += 1


def sv_text(p: Project) -> str:
    return " ".join(t for t in (p.title.sv, p.abstract.sv) if t).lower()


def en_text(p: Project) -> str:
    return " ".join(t for t in (p.title.en, p.abstract.en) if t).lower()


def words(text: str) -> Iterator[str]:
    return iter(re.findall(r"\w+", text))


def test_swedish_inflections_find_each_other(kth_service: SearchService, records) -> None:
    only_genitive = [
        i
        for i, p in records.items()
        if "forskningens" in set(words(sv_text(p)))
        and not {"forskning", "forskningen"} & set(words(sv_text(p) + en_text(p)))
    ]
    assert only_genitive, "the data should hold a project that says only 'forskningens'"
    found = ids(kth_service, "forskning")
    assert set(only_genitive) <= found
    assert ids(kth_service, "forskningen") == ids(kth_service, "forskningens")
    assert len(found ^ ids(kth_service, "forskningen")) <= len(found) // 100


def test_compound_is_found_by_its_part(kth_service: SearchService, records) -> None:
    compound_only = [
        i
        for i, p in records.items()
        if "cancerforskning" in sv_text(p)
        and "cancer" not in set(words(sv_text(p) + " " + en_text(p)))
    ]
    assert compound_only
    assert set(compound_only) <= ids(kth_service, "cancer")


def test_compound_query_finds_its_parts_written_apart(kth_service: SearchService, records) -> None:
    apart = [
        i
        for i, p in records.items()
        if {"cancer", "forskning"} <= set(words(sv_text(p))) and "cancerforskning" not in sv_text(p)
    ]
    assert apart
    assert set(apart) <= ids(kth_service, "cancerforskning")


def test_english_plural_and_singular_find_the_same(kth_service: SearchService, records) -> None:
    mentions = {i for i, p in records.items() if re.search(r"\bbatter(y|ies)\b", en_text(p))}
    assert len(mentions) > 50
    assert mentions <= ids(kth_service, "battery")
    assert mentions <= ids(kth_service, "batteries")
    studies = {i for i, p in records.items() if re.search(r"\bstudies\b", en_text(p))}
    assert studies <= ids(kth_service, "study")


def test_swedish_and_english_queries_find_the_same_project(kth_service, records) -> None:
    both = [
        i
        for i, p in records.items()
        if "klimatförändring" in (p.title.sv or "").lower()
        and "climate change" in (p.title.en or "").lower()
    ]
    assert both
    sv = ids(kth_service, "klimatförändringar")
    en = ids(kth_service, "climate change")
    assert set(both) <= sv & en


def test_phrase_query_requires_the_words_together(kth_service: SearchService, records) -> None:
    phrase = ids(kth_service, '"machine learning"')
    loose = ids(kth_service, "machine learning")
    assert phrase <= loose
    assert phrase
    for i in phrase:
        text = " ".join(words(en_text(records[i]) + " " + sv_text(records[i])))
        assert "machine learning" in text, i


def _title_matches(p: Project, word: str) -> bool:
    """Whether the title holds ``word`` as the index analyses it (stem or exact form)."""
    pairs = (
        (swedish_analyzer(), p.title.sv),
        (english_analyzer(), p.title.en),
        (exact_analyzer(), f"{p.title.sv} {p.title.en}"),
    )
    return any({t.text for t in an(word)} & {t.text for t in an(text or "")} for an, text in pairs)


@pytest.mark.parametrize("word", ["grafen", "batterier", "turbulence"])
def test_title_match_ranks_above_abstract_only(kth_service: SearchService, records, word) -> None:
    result = kth_service.search(SearchRequest(q=word, size=100, filters=PROJECTS))
    in_title = [_title_matches(records[h.id], word) for h in result.hits]
    assert True in in_title and False in in_title
    first_abstract_only = in_title.index(False)
    assert not any(in_title[first_abstract_only:]), [h.id for h in result.hits]


def test_swedish_letters_are_not_folded(kth_service: SearchService, records) -> None:
    far_only = {
        i
        for i, p in records.items()
        if "far" in set(words(sv_text(p) + " " + en_text(p)))
        and not re.search(r"\bfår", sv_text(p) + " " + en_text(p))
    }
    assert far_only
    assert not far_only & ids(kth_service, "får")
    for i in list(ids(kth_service, "får"))[:50]:
        assert re.search(r"\bfår", sv_text(records[i]) + " " + en_text(records[i])), i


def test_nfd_query_finds_nfc_text(kth_service: SearchService) -> None:
    nfc = "värmeöverföring"
    nfd = unicodedata.normalize("NFD", nfc)
    assert nfd != nfc
    assert ids(kth_service, nfd) == ids(kth_service, nfc) != set()


def test_boolean_operators_and_fields(kth_service: SearchService, records) -> None:
    cancer = ids(kth_service, "cancer")
    tumour = ids(kth_service, "tumör")
    assert ids(kth_service, "cancer OR tumör") == cancer | tumour
    without = ids(kth_service, "cancer -forskning")
    assert without == ids(kth_service, "cancer NOT forskning")
    assert without < cancer
    assert ids(kth_service, "id:2025-01169_Vinnova") == {"2025-01169_Vinnova"}
    p = records["2025-01169_Vinnova"]
    assert "2025-01169_Vinnova" in ids(kth_service, f'person:"{p.people[0].name}"')
    assert "2025-01169_Vinnova" in ids(kth_service, f"orcid:{p.people[0].orcid}")
    vinnova = ids(kth_service, "funder:vinnova")
    assert vinnova and all(
        any(f.funder.name.en == "Vinnova" for f in records[i].fundings) for i in vinnova
    )
    assert ids(kth_service, "org:kth") <= {
        i for i, r in records.items() if r.coordinator and "KTH" in (r.coordinator.name.en or "")
    }


@pytest.mark.parametrize(
    "query",
    [
        '"unbalanced quote',
        "((unbalanced brackets",
        "cancer)",
        "title:",
        "AND OR NOT",
        "[a TO b]",
        "^^^",
        "!!!???",
        "cancer AND (",
        "¤¤¤",
    ],
)
def test_odd_queries_get_a_sane_answer(kth_service: SearchService, query: str) -> None:
    outcome = _outcome(kth_service, query)
    assert (isinstance(outcome, int) and outcome >= 0) or (isinstance(outcome, str) and outcome)


def test_an_andnot_inside_a_group(kth_service: SearchService) -> None:
    """Whoosh's AndNot under an intersection raised an IndexError (a 500 on the site); the
    engine's answers as the same query written with NOT does."""
    for query, same in (
        ("title:a (title:b ANDNOT title:a)", "title:a title:b NOT title:a"),
        ("energi (klimat ANDNOT sol)", "energi klimat NOT sol"),
    ):
        got = kth_service.search(SearchRequest(q=query, size=100))
        want = kth_service.search(SearchRequest(q=same, size=100))
        assert got.total == want.total
        assert [h.uid for h in got.hits] == [h.uid for h in want.hits]


def _outcome(service: SearchService, query: str) -> int | str:
    """The number of hits, or the message of the clear error; anything else escapes."""
    try:
        return service.search(SearchRequest(q=query)).total
    except InvalidQuery as exc:
        return str(exc)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("*", "lone \\*"),
        ("*bio", "at least 3 letters"),
        ("ab*", "at least 3 letters"),
        ("start:[abc TO def]", "Unknown field 'start:'"),
        ("nosuchfield:x", "Unknown field"),
        ("a " * 5000, "characters long"),
        (" ".join(f"w{i}" for i in range(80)), "more than 64 terms"),
    ],
)
def test_bad_queries_are_clear_errors(kth_service: SearchService, query: str, message: str) -> None:
    with pytest.raises(InvalidQuery, match=message):
        kth_service.search(SearchRequest(q=query))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"page": 0},
        {"page": 10**9},
        {"size": 0},
        {"size": 101},
        {"sort": "random"},
        {"lang": "de"},
        {"filters": {"colour": ("red",)}},
        {"status": ("paused",)},
        {"filters": {"funder": ("<script>",)}},
        {"amount_min": -1.0},
    ],
)
def test_bad_requests_are_clear_errors(kth_service: SearchService, kwargs) -> None:
    with pytest.raises(InvalidRequest):
        kth_service.search(SearchRequest(q="cancer", **kwargs))


def test_wildcard_with_a_real_prefix_works(kth_service: SearchService, records) -> None:
    literal = {
        i for i, p in records.items() if re.search(r"\bcancerfors", sv_text(p) + " " + en_text(p))
    }
    assert literal
    assert ids(kth_service, "cancerfors*") == literal


def test_multi_select_facets_ignore_their_own_selection(kth_service: SearchService) -> None:
    plain = kth_service.search(SearchRequest(q="energi"))
    funders = {v.value: v.count for v in _facet(plain, "funder").values}
    top_two = sorted(funders, key=funders.get, reverse=True)[:2]  # type: ignore[arg-type]
    one = kth_service.search(SearchRequest(q="energi", filters={"funder": (top_two[0],)}))
    assert one.total == funders[top_two[0]]
    assert {v.value: v.count for v in _facet(one, "funder").values} == funders
    assert sum(v.count for v in _facet(one, "year").values) <= sum(
        v.count for v in _facet(plain, "year").values
    )
    two = kth_service.search(SearchRequest(q="energi", filters={"funder": tuple(top_two)}))
    assert two.total <= funders[top_two[0]] + funders[top_two[1]]
    assert two.total >= max(funders[top_two[0]], funders[top_two[1]])
    assert [v.value for v in _facet(two, "funder").values if v.selected] == sorted(
        top_two, key=lambda v: (-funders[v], v)
    )


def test_subject_levels_nest(kth_service: SearchService) -> None:
    result = kth_service.search(SearchRequest(filters={"subject1": ("2",)}))
    level3 = _facet(result, "subject3").values
    assert level3
    assert all(v.value.startswith("2") and v.parent == "2" for v in level3)
    narrowed = kth_service.search(
        SearchRequest(filters={"subject1": ("2",), "subject3": (level3[0].value,)})
    )
    assert all(v.value.startswith(level3[0].value) for v in _facet(narrowed, "subject5").values)
    assert narrowed.total == level3[0].count
    labels = {v.value: v.label for v in _facet(result, "subject1").values}
    assert labels["2"] == "Engineering and Technology"
    sv = kth_service.search(SearchRequest(filters={"subject1": ("2",)}, lang="sv"))
    assert {v.value: v.label for v in _facet(sv, "subject1").values}["2"] == "Teknik"


def test_status_is_computed_for_the_requested_date(kth_service: SearchService, records) -> None:
    day = date(2020, 6, 1)
    result = kth_service.search(SearchRequest(status=("ongoing",), on=day, size=100))
    for h in result.hits:
        p = records[h.id]
        assert (p.start or "0000") <= "2020-06-01" <= (p.end or "9999"), h.id
        assert h.status == "ongoing"
    status = {v.value: v.count for v in _facet(result, "status").values}
    everything = kth_service.search(SearchRequest(on=day, filters=PROJECTS))
    assert sum(status.values()) == everything.total
    assert status["ongoing"] == result.total
    later = kth_service.search(SearchRequest(status=("ongoing",), on=date(2035, 1, 1)))
    assert later.total < result.total


def test_sorting(kth_service: SearchService) -> None:
    by_amount = kth_service.search(SearchRequest(q="energi", sort="amount_desc", size=50))
    amounts = [h.total_sek or 0 for h in by_amount.hits]
    assert amounts == sorted(amounts, reverse=True)
    by_start = kth_service.search(SearchRequest(q="energi", sort="start_asc", size=50))
    starts = [h.start or "" for h in by_start.hits]
    assert starts == sorted(starts)
    browse = kth_service.search(SearchRequest(size=20))
    assert [h.start for h in browse.hits] == sorted((h.start for h in browse.hits), reverse=True)


def test_sort_orders_and_statistics_are_made_when_a_version_opens(kth_home: Path) -> None:
    """Browsing sorts the whole collection: its orders are made as the version opens (a
    million documents: about 0.3 s each), and each is the order a sort of the live
    documents gives (ties by document number); so are the common statistics groups and the
    whole collection's facet counts."""
    service = SearchService(kth_home / "index")
    service.count(SearchRequest())
    table = service._current().table
    assert set(table.derived["stats"]) == set(PREPARED) == {("year",), ("year", "funder")}
    assert set(table._tallies) == {0, 1}  # the whole collection's facet counts
    assert len(table._status_counts) == 6  # three statuses today, in either pool
    assert set(table._orders) == {(k, r) for k in ("start", "end", "amount") for r in (0, 1)}
    for (key, reverse), order in table._orders.items():
        values = {"start": table.start, "end": table.end, "amount": table.amount}[key]
        expected = sorted(table.live, key=lambda d: (-values[d] if reverse else values[d], d))
        assert order == expected


def test_pages_do_not_overlap_and_are_bounded(kth_service: SearchService) -> None:
    first = kth_service.search(SearchRequest(q="energi", page=1, size=10))
    second = kth_service.search(SearchRequest(q="energi", page=2, size=10))
    assert len(first.hits) == len(second.hits) == 10
    assert not {h.id for h in first.hits} & {h.id for h in second.hits}
    beyond = kth_service.search(SearchRequest(q="energi", page=100, size=100))
    assert beyond.hits == () and beyond.total == first.total


def test_did_you_mean(kth_service: SearchService) -> None:
    result = kth_service.search(SearchRequest(q="forskniing"))
    assert result.did_you_mean == "forskning"
    assert kth_service.search(SearchRequest(q="forskning")).did_you_mean is None


def test_did_you_mean_takes_the_nearest_word_then_the_most_frequent(
    kth_service: SearchService, kth_home: Path
) -> None:
    """ "energgi" is one edit from "energi" and two from the more frequent "energy": the nearer
    wins (Whoosh's corrector ranked by frequency alone). Candidates are Whoosh's own: the
    same set as its ``terms_within`` for a sample of misspellings."""
    assert kth_service.search(SearchRequest(q="energgi")).did_you_mean == "energi"
    assert kth_service.search(SearchRequest(q="batterri")).did_you_mean == "batteri"
    from rapidfuzz import process
    from rapidfuzz.distance import OSA

    from indexer.engine import SCHEMA_VERSION, open_version
    from indexer.engine.spelling import Vocabulary

    with open_version((kth_home / "index" / "current").resolve(), SCHEMA_VERSION) as index:
        snapshot = index.snapshot()
        reader = snapshot._searcher.reader()
        vocabulary = Vocabulary()
        for word in ("klimatförändrngar", "sverigge", "kvantdatorr", "ab", "zzxqwv", "ener"):
            terms = vocabulary.terms(reader, "text_exact", word[0])
            ours = {
                t
                for t, _, _ in process.extract(
                    word, terms, scorer=OSA.distance, score_cutoff=2, limit=None
                )
            }
            assert ours == set(reader.terms_within("text_exact", word, 2, prefix=1)), word
        snapshot.close()


def test_twins_are_collapsed_unless_asked_for(kth_service: SearchService) -> None:
    title = '"Multidimensionell resurshantering för 6G IoT-nätverk"'
    default = kth_service.search(SearchRequest(q=title))
    assert {h.id for h in default.hits} == {"2025-01169_Vinnova"}
    assert default.hits[0].twins == ("2025-01169_RJ",)
    both = kth_service.search(SearchRequest(q=title, include_twins=True))
    assert {h.id for h in both.hits} == {"2025-01169_Vinnova", "2025-01169_RJ"}


def test_lookup_similar_and_snippets(kth_service: SearchService, records) -> None:
    p = kth_service.get("swecris", "2022-03516_VR")
    assert p == records["2022-03516_VR"]
    with pytest.raises(RecordNotFound):
        kth_service.get("swecris", "nope")
    similar = kth_service.similar("swecris", "2022-03516_VR", limit=5)
    assert 0 < len(similar) <= 5
    assert "2022-03516_VR" not in {h.id for h in similar}
    hit = kth_service.search(SearchRequest(q="cancerforskning", lang="sv")).hits[0]
    assert '<b class="match' in hit.snippet
    assert hit.title_lang == "sv"
    english = kth_service.search(SearchRequest(q="id:2025-01169_Vinnova", lang="en")).hits[0]
    assert english.title.startswith("Multi-Dimensional")


def _facet(result, name):  # type: ignore[no-untyped-def]
    return next(f for f in result.facets if f.name == name)


def test_facet_tallies_of_most_of_the_collection(kth_service: SearchService) -> None:
    """More than half of the collection is tallied as the whole less the rest: the same
    counts as counting the documents themselves, for the canonical pool and all live ones,
    and the same status counts."""
    table = kth_service._current().table

    def direct(docs: frozenset[int]) -> dict[int, int]:
        counts: dict[int, int] = {}
        for d in docs:
            for v in table.doc_values[d]:
                counts[v] = counts.get(v, 0) + 1
        return counts

    by_status = table.status_sets(today_int(None))
    for pool in (table.live_canonical, table.live):
        ordered = sorted(pool)
        for docs in (pool, frozenset(ordered[::3]), frozenset(ordered[: len(ordered) * 9 // 10])):
            for known in (None, pool):
                got = {v: c for v, c in table.tally(docs, known).items() if c}
                assert got == direct(docs)
            status = table._status_facet(docs, SearchRequest(), pool)
            assert {v.value: v.count for v in status.values} == {
                s: len(by_status[s] & docs) for s in ("ongoing", "upcoming", "finished")
            }
    assert 2 * len(frozenset(ordered[: len(ordered) * 9 // 10])) > len(table.live)
