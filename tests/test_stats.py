"""Statistics checked against figures computed independently from the raw KTH CSV.

The expectations never go through ``harvesters`` or ``indexer``: the six export parts are read
with ``csv`` and the few rules the statistics follow are re-implemented here in a few lines
(one row is one funding decision of one projectId; the ``*_RJ`` twin of a ``*_Vinnova`` project
with the same number and a shared title never counts; SEK by subject is split equally over a
project's distinct subject paths). Then the service's ``StatsTable`` must agree, value by value.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from indexer.service.export import BOM, safe_cell, stats_rows, write_csv
from indexer.service.request import SearchRequest
from indexer.service.results import StatsRow, StatsTable

VR = "202100-5208"
VINNOVA = "202100-5216"
RJ = "802012-1276"
KTH = "202100-3054"
TWIN_RJ, TWIN_VINNOVA = "2025-01169_RJ", "2025-01169_Vinnova"
TWIN_SEK = 628_832.0

_CODE = re.compile(r"(?:^|,)\s*(\d{1,5}):\s")


@dataclass(frozen=True)
class Row:
    pid: str
    sek: float
    year: str
    funder: str
    org: str
    org_type: str
    award: str
    paths: tuple[tuple[str, str, str], ...]


def _slug(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")


def _paths(scbs: str) -> tuple[tuple[str, str, str], ...]:
    out: list[tuple[str, str, str]] = []
    for record in scbs.split("¤¤¤"):
        codes = {len(c): c for c in _CODE.findall(record)}
        if codes:
            path = (codes.get(1, ""), codes.get(3, ""), codes.get(5, ""))
            if path not in out:
                out.append(path)
    return tuple(out)


def _row(r: dict[str, str]) -> Row:
    award = r["typeOfAwardId"].strip()
    return Row(
        pid=r["projectId"],
        sek=float(r["fundingsSek"]) if r["fundingsSek"].strip() else 0.0,
        year=r["fundingYear"].strip(),
        funder=r["fundingOrganisationId"].replace(" ", ""),
        org=r["coordinatingOrganisationId"].replace(" ", ""),
        org_type=_slug(r["coordinatingOrganisationTypeOfOrganisationEn"]),
        award=award[:-2] if award.endswith(".0") else award,
        paths=_paths(r["scbs"]),
    )


@dataclass(frozen=True)
class Raw:
    rows: tuple[Row, ...]  # every row except the twins
    twins: frozenset[str]
    all_rows: int

    def by_id(self) -> dict[str, Row]:
        return {r.pid: r for r in self.rows}


@pytest.fixture(scope="module")
def raw(kth_exports: list[Path]) -> Raw:
    records: list[dict[str, str]] = []
    for part in kth_exports:
        with part.open(encoding="utf-8-sig", newline="") as fh:
            records.extend(csv.DictReader(fh, delimiter=";"))
    by_id = {r["projectId"]: r for r in records}

    def titles(r: dict[str, str]) -> set[str]:
        return {t.strip().casefold() for t in (r["projectTitleSv"], r["projectTitleEn"]) if t}

    twins = set()
    for pid, r in by_id.items():
        if pid.endswith("_RJ"):
            other = by_id.get(pid[: -len("_RJ")] + "_Vinnova")
            if other and titles(r) & titles(other):
                twins.add(pid)
    rows = tuple(_row(r) for r in records if r["projectId"] not in twins)
    return Raw(rows, frozenset(twins), len(records))


_LEVEL = {"subject1": 0, "subject3": 1, "subject5": 2}


def expected(rows: Any, by: tuple[str, ...]) -> dict[tuple[str, ...], tuple[int, float]]:
    """Projects and SEK per key, SweCRIS-style, from raw rows (one funding per row)."""
    members: dict[tuple[str, ...], set[str]] = defaultdict(set)
    sek: dict[tuple[str, ...], float] = defaultdict(float)
    for r in rows:
        split = any(d in _LEVEL for d in by)
        paths = r.paths if split and r.paths else (("", "", ""),)
        for path in paths:
            key = tuple(path[_LEVEL[d]] if d in _LEVEL else getattr(r, d) for d in by)
            members[key].add(r.pid)
            sek[key] += r.sek / len(paths)
    return {k: (len(members[k]), sek[k]) for k in members}


def actual(table: StatsTable) -> dict[tuple[str, ...], tuple[int, float]]:
    out = {row.keys: (row.projects, row.sek) for row in table.rows}
    assert len(out) == len(table.rows), "a key appears twice in the table"
    return out


def assert_same(table: StatsTable, want: dict[tuple[str, ...], tuple[int, float]]) -> None:
    got = actual(table)
    assert set(got) == set(want)
    for key, (projects, sek) in want.items():
        assert got[key][0] == projects, key
        assert got[key][1] == pytest.approx(sek, rel=1e-9, abs=1e-4), key


# -- whole collection ---------------------------------------------------------------------------


#: Statistics count projects; the facilities the registry makes of grants are no projects.
PROJECTS = {"kind": ("project",)}


def test_raw_figures_match_the_documented_ones(raw: Raw) -> None:
    assert raw.all_rows == 6519
    assert len(raw.twins) == 1372  # data-sources.md 1.6
    assert TWIN_RJ in raw.twins and TWIN_VINNOVA not in raw.twins


def test_totals_without_a_query(kth_service, raw: Raw) -> None:
    table = kth_service.stats(SearchRequest(), ("year",))
    assert table.total_projects == len({r.pid for r in raw.rows}) == 6519 - 1372
    assert table.total_sek == pytest.approx(sum(r.sek for r in raw.rows), rel=1e-12)
    assert kth_service.count(SearchRequest(filters=PROJECTS)) == table.total_projects
    assert sum(row.sek for row in table.rows) == pytest.approx(table.total_sek, rel=1e-12)


@pytest.mark.parametrize("dim", ["year", "funder", "org", "org_type", "award"])
def test_one_dimension(kth_service, raw: Raw, dim: str) -> None:
    table = kth_service.stats(SearchRequest(), (dim,))
    assert table.dimensions == (dim,)
    assert_same(table, expected(raw.rows, (dim,)))


def test_year_rows_follow_the_funding_year(kth_service, raw: Raw) -> None:
    got = actual(kth_service.stats(SearchRequest(), ("year",)))
    rows_2020 = [r for r in raw.rows if r.year == "2020"]
    assert got[("2020",)] == (len(rows_2020), pytest.approx(sum(r.sek for r in rows_2020)))
    # rows without a funding year (and without an amount) are counted under "Unknown"
    assert got[("",)][0] == sum(1 for r in raw.rows if r.year == "") == 11


def test_org_type_keys_are_slugs_of_the_english_label(kth_service) -> None:
    table = kth_service.stats(SearchRequest(), ("org_type",))
    labels = {row.keys[0]: row.labels[0] for row in table.rows}
    assert labels["university"] == "University"
    assert labels["non-profits-foundations"] == "Non profits & Foundations"
    assert labels["university-college"] == "University College"
    sv = kth_service.stats(SearchRequest(lang="sv"), ("org_type",))
    assert {row.keys[0]: row.labels[0] for row in sv.rows}["university"] == "Universitet"
    years_sv = kth_service.stats(SearchRequest(lang="sv"), ("year",))
    assert years_sv.rows[0].keys == ("",) and years_sv.rows[0].labels == ("Okänd",)


@pytest.mark.parametrize("dim", ["subject1", "subject3", "subject5"])
def test_subjects_split_sek_equally_across_paths(kth_service, raw: Raw, dim: str) -> None:
    table = kth_service.stats(SearchRequest(), (dim,))
    assert_same(table, expected(raw.rows, (dim,)))
    # the split moves money between subjects but neither creates nor loses any
    assert sum(row.sek for row in table.rows) == pytest.approx(table.total_sek, rel=1e-9)
    assert table.total_projects == len(raw.rows)


def test_subject_labels_and_unknown(kth_service, raw: Raw) -> None:
    table = kth_service.stats(SearchRequest(), ("subject1",))
    labels = {row.keys[0]: row.labels[0] for row in table.rows}
    assert labels["1"] == "Natural Sciences"
    assert labels["9"] == "Unclassified"
    assert labels[""] == "Unknown"
    assert actual(table)[("",)][0] == sum(1 for r in raw.rows if not r.paths)


@pytest.mark.parametrize("by", [("year", "funder"), ("funder", "award"), ("year", "subject1")])
def test_two_dimensions_crossed(kth_service, raw: Raw, by: tuple[str, str]) -> None:
    table = kth_service.stats(SearchRequest(), by)
    assert table.dimensions == by
    assert_same(table, expected(raw.rows, by))


def test_crossed_rows_add_up_to_the_single_dimension(kth_service) -> None:
    crossed = kth_service.stats(SearchRequest(), ("year", "funder"))
    single = actual(kth_service.stats(SearchRequest(), ("year",)))
    per_year: dict[str, float] = defaultdict(float)
    for row in crossed.rows:
        per_year[row.keys[0]] += row.sek
    assert set(per_year) == {k[0] for k in single}
    for year, sek in per_year.items():
        assert sek == pytest.approx(single[(year,)][1])


def test_row_order(kth_service) -> None:
    years = [row.keys[0] for row in kth_service.stats(SearchRequest(), ("year",)).rows]
    assert years == sorted(years)
    funders = kth_service.stats(SearchRequest(), ("funder",)).rows
    assert [r.sek for r in funders] == sorted((r.sek for r in funders), reverse=True)
    crossed = kth_service.stats(SearchRequest(), ("year", "funder")).rows
    assert [r.keys[0] for r in crossed] == sorted(r.keys[0] for r in crossed)


# -- filters, queries, twins --------------------------------------------------------------------


def test_filter_funder_and_year(kth_service, raw: Raw) -> None:
    req = SearchRequest(filters={"funder": (VR,), "year": ("2020",)})
    rows = [r for r in raw.rows if r.funder == VR and r.year == "2020"]
    assert rows
    for by in (("award",), ("subject1",), ("org", "org_type")):
        table = kth_service.stats(req, by)
        assert table.total_projects == len(rows) == kth_service.count(req)
        assert table.total_sek == pytest.approx(sum(r.sek for r in rows))
        assert_same(table, expected(rows, by))
    assert table.filters == {"funder": [VR], "year": ["2020"]}


def test_filter_values_or_within_and_across_facets(kth_service, raw: Raw) -> None:
    req = SearchRequest(
        filters={"funder": (VINNOVA, RJ), "org_type": ("company",), "subject1": ("2",)}
    )
    rows = [
        r
        for r in raw.rows
        if r.funder in (VINNOVA, RJ)
        and r.org_type == "company"
        and any(p[0] == "2" for p in r.paths)
    ]
    assert rows
    table = kth_service.stats(req, ("year", "funder"))
    assert table.total_projects == len(rows)
    assert_same(table, expected(rows, ("year", "funder")))


def test_a_twin_never_adds_sek(kth_service, raw: Raw) -> None:
    by_id = raw.by_id()
    assert TWIN_RJ not in by_id and by_id[TWIN_VINNOVA].sek == TWIN_SEK
    both = SearchRequest(q=f"id:{TWIN_RJ} OR id:{TWIN_VINNOVA}", include_twins=True)
    hits = {h.id: h for h in kth_service.iter_hits(both)}
    assert set(hits) == {TWIN_RJ, TWIN_VINNOVA}
    assert hits[TWIN_RJ].twin_of == TWIN_VINNOVA
    for by in (("year",), ("funder",), ("subject5",)):
        table = kth_service.stats(both, by)
        assert table.total_projects == 1
        assert table.total_sek == TWIN_SEK
        assert sum(row.sek for row in table.rows) == TWIN_SEK
    assert {row.keys[0] for row in kth_service.stats(both, ("funder",)).rows} == {VINNOVA}
    alone = kth_service.stats(SearchRequest(q=f"id:{TWIN_RJ}", include_twins=True), ("year",))
    assert (alone.total_projects, alone.total_sek, alone.rows) == (0, 0.0, ())
    # RJ money in the statistics is only the RJ projects without a Vinnova twin
    table = kth_service.stats(SearchRequest(filters={"funder": (RJ,)}), ("funder",))
    rj_rows = [r for r in raw.rows if r.funder == RJ]
    assert table.total_projects == len(rj_rows) == 1438 - 1372
    assert table.total_sek == pytest.approx(sum(r.sek for r in rj_rows))


def test_showing_twins_does_not_change_statistics(kth_service) -> None:
    plain = kth_service.stats(SearchRequest(), ("year", "funder"))
    shown = kth_service.stats(SearchRequest(include_twins=True), ("year", "funder"))
    assert kth_service.count(SearchRequest(include_twins=True, filters=PROJECTS)) == 6519
    assert (shown.total_projects, shown.total_sek) == (plain.total_projects, plain.total_sek)
    assert actual(shown) == actual(plain)


def _search_ids(service, req: SearchRequest) -> list[str]:
    ids: list[str] = []
    page = 1
    while True:
        result = service.search(replace(req, page=page, size=100))
        ids.extend(h.id for h in result.hits)
        if page >= result.pages:
            return ids
        page += 1


@pytest.mark.parametrize(
    ("q", "filters"),
    [
        ("graphene", {}),
        ("energi", {}),
        ("robot OR robotar", {}),
        ("batteri*", {"year": ("2019", "2020", "2021")}),
        ("title:vätgas OR hydrogen", {"org_type": ("university",)}),
    ],
)
def test_query_stats_equal_the_stats_of_the_hits(
    kth_service, raw: Raw, q: str, filters: dict[str, tuple[str, ...]]
) -> None:
    req = SearchRequest(q=q, filters={**filters, **PROJECTS})
    ids = _search_ids(kth_service, req)
    assert len(ids) == len(set(ids)) == kth_service.count(req) > 0
    assert sorted(h.id for h in kth_service.iter_hits(req)) == sorted(ids)
    by_id = raw.by_id()
    assert not set(ids) & raw.twins
    rows = [by_id[i] for i in ids]
    for by in (("year",), ("funder", "subject3")):
        table = kth_service.stats(req, by)
        assert table.query == q
        assert table.total_projects == len(ids)
        assert table.total_sek == pytest.approx(sum(r.sek for r in rows))
        assert_same(table, expected(rows, by))


# -- result objects and CSV ---------------------------------------------------------------------


def test_to_dict_shape(kth_service) -> None:
    req = SearchRequest(q="graphene", filters={"funder": (VR, VINNOVA)})
    table = kth_service.stats(req, ("year", "funder"))
    data = table.to_dict()
    assert set(data) == {
        "dimensions",
        "query",
        "filters",
        "lang",
        "total_projects",
        "total_sek",
        "note",
        "rows",
    }
    assert data["dimensions"] == ["year", "funder"]
    assert data["query"] == "graphene"
    assert data["filters"] == {"funder": [VR, VINNOVA]}
    assert data["lang"] == "en"
    assert data["total_projects"] == table.total_projects
    assert data["total_sek"] == round(table.total_sek, 2)
    assert "twin" in data["note"]
    assert len(data["rows"]) == len(table.rows) > 0
    for row, obj in zip(data["rows"], table.rows, strict=True):
        assert set(row) == {"year", "year_label", "funder", "funder_label", "projects", "sek"}
        assert (row["year"], row["funder"]) == obj.keys
        assert (row["year_label"], row["funder_label"]) == obj.labels
        assert row["projects"] == obj.projects
        assert row["sek"] == round(obj.sek, 2)
    assert {r["funder_label"] for r in data["rows"]} <= {"Swedish Research Council", "Vinnova"}


def _csv_text(table: StatsTable, **kwargs: Any) -> str:
    out = io.StringIO()
    write_csv(stats_rows(table), out, **kwargs)
    return out.getvalue()


def test_stats_csv_rows(kth_service) -> None:
    table = kth_service.stats(SearchRequest(filters={"funder": (VR,)}), ("year", "award"))
    text = _csv_text(table)
    assert text.startswith(BOM)
    assert "\r\n" in text
    lines = list(csv.reader(io.StringIO(text[len(BOM) :], newline="")))
    assert lines[0] == ["year", "year_label", "award", "award_label", "projects", "sek"]
    assert len(lines) == len(table.rows) + 1
    for line, row in zip(lines[1:], table.rows, strict=True):
        assert tuple(line[0:4:2]) == row.keys
        assert tuple(line[1:4:2]) == row.labels
        assert int(line[4]) == row.projects
        assert float(line[5]) == pytest.approx(row.sek, abs=0.005)
    assert sum(float(line[5]) for line in lines[1:]) == pytest.approx(table.total_sek, abs=1)


def test_stats_csv_semicolon_without_bom(kth_service) -> None:
    table = kth_service.stats(SearchRequest(), ("org_type",))
    text = _csv_text(table, delimiter=";", bom=False)
    assert not text.startswith(BOM)
    first, second = text.split("\r\n")[:2]
    assert first == "org_type;org_type_label;projects;sek"
    assert second.startswith("university;University;")
    assert "non-profits-foundations;Non profits & Foundations;" in text


def test_formula_looking_labels_are_neutralised() -> None:
    table = StatsTable(
        ("org",),
        (
            StatsRow(("name-1",), ('=HYPERLINK("http://x")',), 2, 10.0),
            StatsRow(("-cmd",), ("@SUM(A1)",), 1, 2.5),
            StatsRow(("x",), ("Plain; with semicolon",), 1, 1.0),
        ),
        4,
        13.5,
    )
    lines = list(csv.reader(io.StringIO(_csv_text(table, bom=False), newline="")))
    assert lines[1] == ["name-1", '\'=HYPERLINK("http://x")', "2", "10"]
    assert lines[2] == ["'-cmd", "'@SUM(A1)", "1", "2.5"]
    semi = list(
        csv.reader(
            io.StringIO(_csv_text(table, bom=False, delimiter=";"), newline=""), delimiter=";"
        )
    )
    assert semi[3] == ["x", "Plain; with semicolon", "1", "1"]


@pytest.mark.parametrize("text", ["=1+1", "+1", "-cmd", "@SUM(A1)", "\t=1", "\r=1"])
def test_safe_cell_prefixes_formula_text(text: str) -> None:
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        (-5, -5),
        (3.5, 3.5),
        (-2.25, -2.25),
        (0, 0),
        (12.0, 12),
        (None, ""),
        (True, "true"),
        ("KTH, Royal Institute of Technology", "KTH, Royal Institute of Technology"),
        ("2020", "2020"),
        ("", ""),
    ],
)
def test_safe_cell_leaves_numbers_and_plain_text(value: Any, cell: Any) -> None:
    got = safe_cell(value)
    assert got == cell and type(got) is type(cell)
