"""Property tests: the query parser, the CSV writer, and pages over records with fields missing.

- Any text (unicode, brackets, quotes, colons, operators, wildcards, control characters) is
  either a query or the project's ``InvalidQuery``, never another exception: in
  ``indexer.engine.query.parse``, in the search service, and as a 200 or a 400 on the web.
- ``safe_cell`` neutralises every text cell that starts with a formula character and nothing
  else; any cell survives the CSV writer and ``csv.reader`` unchanged but for that apostrophe;
  numbers (negative ones too) stay numbers; the streamed and the written CSV are the same.
- An index of 60 hypothesis-generated projects and 15 facilities, in which every optional
  field may be missing, empty or None, serves every page (search, project, facility,
  organisation, statistics), the JSON API, the CSV and the Atom feed with 200 for each.

Hypothesis runs derandomized with a fixed number of examples, so the module is repeatable and
takes a few seconds.
"""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import date
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from whoosh import query as Q

from harvesters.core.config import load_config
from harvesters.core.records import (
    AwardType,
    Facility,
    Funding,
    Identifier,
    OrgRef,
    Person,
    Project,
    Ref,
    Subject,
    SubjectPath,
    Text,
)
from harvesters.store.database import RecordStore, RunCounts
from indexer.building.build import build_index
from indexer.documents.projects import org_key
from indexer.engine.query import parse
from indexer.errors import InvalidQuery, InvalidRequest
from indexer.service.export import iter_csv, safe_cell, write_csv
from indexer.service.request import SearchRequest
from indexer.service.search import SearchService
from webapp import create_app

FAST = settings(max_examples=300, deadline=None, derandomize=True, database=None)
FORMULA = ("=", "+", "-", "@", "\t", "\r", "\x00")
RECORDS = 60
FACILITIES = 15
Sparse = tuple[Flask, list[Project | Facility]]

# -- query text -----------------------------------------------------------------------------

PIECES = (
    *("(", ")", '"', ":", "*", "?", "-", "+", "^", "~", "[", "]", "{", "}", "\\", "/", "'"),
    *(" TO ", " AND ", " OR ", " NOT ", " ANDNOT ", "&&", "||", "!", "^2", "^-1", "~2"),
    *("title:", "abstract:", "person:", "id:", "orcid:", "start:", "active:", "Title:"),
    *("energi", "klimat", "för", "forskning", "2021-00157_VR", "abc*", "ene?gi*", "a*"),
    *("å", "ÅÄÖ", "İ", "ß", "\u0301", "🤖", "\u202e", "\x00", "\t", "\n", "\u3000", " "),
)
query_text = st.one_of(
    st.text(max_size=40),
    st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=3)), max_size=30).map("".join),
)


@FAST
@given(query_text)
def test_parse_gives_a_query_or_invalid_query(text: str) -> None:
    try:
        result = parse(text)
    except InvalidQuery as exc:
        error: str | None = str(exc)
    else:
        error = None
        assert result is None or isinstance(result, Q.Query)
    assert error is None or error.strip()  # the message is for the person who typed it


# -- CSV ------------------------------------------------------------------------------------


def _read(text: str, delimiter: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:], newline=""), delimiter=delimiter))


@FAST
@given(st.text(), st.sampled_from([",", ";"]))
def test_text_cells_round_trip_and_never_start_a_formula(text: str, delimiter: str) -> None:
    cell = safe_cell(text)
    assert cell == ("'" + text if text.startswith(FORMULA) else text)
    assert not cell.startswith(FORMULA)
    out = io.StringIO()
    write_csv([[text, "x"]], out, delimiter=delimiter)
    assert _read(out.getvalue(), delimiter) == [[cell, "x"]]


@FAST
@given(st.one_of(st.integers(-(10**15), 10**15), st.floats(-1e15, 1e15, allow_nan=False)))
def test_numbers_stay_numbers(number: float) -> None:
    cell = safe_cell(number)
    assert isinstance(cell, int | float) and cell == number
    out = io.StringIO()
    write_csv([[number]], out)
    assert float(_read(out.getvalue(), ",")[0][0]) == number  # "-5" stays -5, no apostrophe


cells = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=6))


@settings(max_examples=40, deadline=None, derandomize=True, database=None)
@given(st.lists(st.lists(cells, max_size=4), max_size=450))
def test_streamed_csv_equals_written_csv(rows: list[list[object]]) -> None:
    out = io.StringIO()
    write_csv(rows, out, delimiter=";")
    assert "".join(iter_csv(rows, delimiter=";")) == out.getvalue()


# -- records with optional fields missing ---------------------------------------------------

maybe_text = st.one_of(st.none(), st.just(""), st.text(max_size=12))
texts = st.builds(Text, sv=maybe_text, en=maybe_text)
dates = st.one_of(
    st.none(),
    st.just(""),
    st.dates(date(1985, 1, 1), date(2040, 12, 31)).map(date.isoformat),
)
org_ids = st.one_of(st.none(), st.just(""), st.sampled_from(["202100-3054", "202100-5208"]))
orgs = st.builds(OrgRef, id=org_ids, name=texts, type=texts)
awards = st.one_of(st.none(), st.builds(AwardType, id=st.sampled_from(["1", "5", ""]), label=texts))
amounts = st.one_of(st.none(), st.floats(-1e6, 1e9, allow_nan=False))
fundings = st.builds(
    Funding,
    funder=orgs,
    amount=amounts,
    currency=st.sampled_from(["SEK", "EUR", ""]),
    year=st.one_of(st.none(), st.integers(1985, 2040)),
    start=dates,
    end=dates,
    award_type=awards,
    source_id=st.one_of(st.none(), st.just("")),
)
people = st.builds(
    Person,
    name=st.one_of(st.just(""), st.text(max_size=10)),
    role=texts,
    orcid=st.one_of(st.none(), st.just(""), st.just("0000-0002-5407-0835")),
    person_id=st.one_of(st.none(), st.just("")),
)


def _level(code: str) -> st.SearchStrategy[Subject | None]:
    return st.one_of(st.none(), st.builds(Subject, code=st.just(code), label=texts))


subjects = st.builds(SubjectPath, level1=_level("1"), level3=_level("101"), level5=_level("10101"))
projects = st.builds(
    Project,
    source=st.just("swecris"),
    source_id=st.just("placeholder"),
    title=texts,
    abstract=texts,
    start=dates,
    end=dates,
    coordinator=st.one_of(st.none(), orgs),
    fundings=st.lists(fundings, max_size=3).map(tuple),
    award_type=awards,
    people=st.lists(people, max_size=2).map(tuple),
    subjects=st.lists(subjects, max_size=2).map(tuple),
    source_url=st.one_of(st.none(), st.just(""), st.just("https://example.org/p")),
    loaded=st.one_of(st.none(), st.just(""), st.just("2024-01-02T03:04:05")),
    updated=st.one_of(st.none(), st.just("")),
    acronym=maybe_text,
    keywords=st.lists(st.text(max_size=6), max_size=2).map(tuple),
    identifiers=st.lists(
        st.builds(Identifier, type=st.text(max_size=4), value=st.text(max_size=4)), max_size=1
    ).map(tuple),
    facilities=st.lists(
        st.builds(Ref, id=st.one_of(st.none(), st.just("")), name=texts), max_size=1
    ).map(tuple),
)


maybe_url = st.one_of(st.none(), st.just(""), st.just("https://example.org/f"))
facilities = st.builds(
    Facility,
    source=st.just("swecris"),
    source_id=st.just("placeholder"),
    name=texts,
    acronym=maybe_text,
    description=texts,
    owners=st.lists(orgs, max_size=2).map(tuple),
    types=st.lists(texts, max_size=2).map(tuple),
    used_by=st.lists(
        st.builds(Ref, id=st.sampled_from([None, "", "H000", "H001", "gone"]), name=texts),
        max_size=3,
    ).map(tuple),
    subjects=st.lists(subjects, max_size=1).map(tuple),
    city=maybe_text,
    services=texts,
    access=texts,
    contact=maybe_text,
    url=maybe_url,
    source_url=maybe_url,
)


def generated(strategy: st.SearchStrategy[Any], n: int, prefix: str) -> list[Any]:
    """``n`` records from a derandomized run (the first ones are the emptiest), named
    ``prefix`` and a number."""
    found: list[Project | Facility] = []

    @settings(
        max_examples=n,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(record: Project | Facility) -> None:
        found.append(record)

    collect()
    return [replace(r, source_id=f"{prefix}{i:03d}") for i, r in enumerate(found[:n])]


@pytest.fixture(scope="module")
def sparse(tmp_path_factory: pytest.TempPathFactory) -> Sparse:
    home = tmp_path_factory.mktemp("sparse")
    records = generated(projects, RECORDS, "H")
    assert len(records) == RECORDS
    records += generated(facilities, FACILITIES, "F")
    config = load_config(home=home, env={})
    with RecordStore(config.store_path) as store:
        run = store.begin_run("swecris", "import")
        store.commit_run(run, "swecris", records, [], RunCounts(), True, [])
    build_index(config, quiet=True, procs=1)
    app = create_app(
        {"INDEX_DIR": str(home / "index"), "HOME_DIR": str(home), "TESTING": True, "FEED_SIZE": 100}
    )
    return app, records


def _failures(app: Flask, urls: list[str]) -> list[str]:
    client = app.test_client()
    bad = []
    for url in urls:
        response = client.get(url)
        response.get_data()
        if response.status_code != 200:
            bad.append(f"{url} -> {response.status_code}: {response.get_data()[:200]!r}")
    return bad


def test_every_record_page_answers_200(sparse: Sparse) -> None:
    app, records = sparse
    urls = []
    for p in records:
        if isinstance(p, Facility):
            urls += [
                f"/facility/swecris/{p.source_id}",
                f"/facility/swecris/{p.source_id}?lang=sv",
                f"/api/v1/projects/swecris/{p.source_id}",
            ]
            continue
        urls += [
            f"/project/swecris/{p.source_id}",
            f"/project/swecris/{p.source_id}?lang=sv",
            f"/api/v1/projects/swecris/{p.source_id}",
            f"/api/v1/projects/swecris/{p.source_id}/similar",
            f"/search?q=id:{p.source_id}",
            f"/search.csv?q=id:{p.source_id}",
            f"/search.atom?q=id:{p.source_id}&lang=sv",
        ]
        key = org_key(p.coordinator) if p.coordinator else None
        if key:
            urls += [f"/org/{quote(key, safe='')}", f"/org/{quote(key, safe='')}.csv"]
    assert _failures(app, urls) == []


def test_every_list_page_answers_200(sparse: Sparse) -> None:
    app, records = sparse
    urls = [
        *(
            f"/search?size=100&sort={s}&lang={lang}"
            for s in ("relevance", "end_asc", "amount_desc")
            for lang in ("en", "sv")
        ),
        "/search?size=100&status=ongoing&status=finished&status=upcoming",
        "/search?size=100&kind=facility",
        "/api/v1/search?size=100",
        "/api/v1/search?cursor=eyJvIjowfQ&size=100",
        "/search.csv",
        "/search.atom",
        "/stats",
        "/stats?by=year&by=funder&lang=sv",
        "/stats?by=subject5&by=award",
        "/stats.csv?by=org&by=org_type",
        "/api/v1/stats?by=subject3&by=year",
        "/status",
    ]
    data = app.test_client().get("/api/v1/search?size=1").get_json()
    for name, facet in data["facets"].items():
        urls += [f"/search?{urlencode({name: v['value']})}" for v in facet["values"]]
    assert _failures(app, urls) == []
    hits = app.test_client().get("/api/v1/search?size=100&kind=project").get_json()
    assert hits["total"] == sum(isinstance(r, Project) for r in records)


@pytest.fixture(scope="module")
def sparse_service(sparse: Sparse) -> SearchService:
    return SearchService(sparse[0].config["INDEX_DIR"])


@settings(max_examples=120, deadline=None, derandomize=True, database=None)
@given(text=query_text)
def test_the_service_and_the_site_answer_any_query(
    sparse: Sparse, sparse_service: SearchService, text: str
) -> None:
    try:
        result = sparse_service.search(SearchRequest(q=text))
    except (InvalidQuery, InvalidRequest) as exc:
        error: str | None = str(exc)
        expected = 400
    else:
        error = None
        # every document at most: the records, their facilities and those the registry made
        assert 0 <= result.total <= sparse_service.info()["doc_count"]
        expected = 200
    assert error is None or error.strip()
    client = sparse[0].test_client()
    for path in ("/search", "/api/v1/search", "/search.csv"):
        response = client.get(path, query_string={"q": text})
        assert response.status_code == expected, (path, text, response.get_data()[:200])
