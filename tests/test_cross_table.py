"""The statistics of two dimensions as a real cross table (issue 21): years down, funders
across on the KTH data, each cell the projects of both (or their SEK), linked to the search
that counts them, row and column totals that count a project once, and the same table as CSV."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from indexer.service import SearchRequest, SearchService
from webapp import create_app


@pytest.fixture(scope="module")
def client(kth_home: Path) -> FlaskClient:
    return create_app({"INDEX_DIR": str(kth_home / "index"), "TESTING": True}).test_client()


def _number(text: str) -> int:
    return int(re.sub(r"[^\d]", "", text) or 0)


def test_years_down_funders_across_with_totals_and_links(
    client: FlaskClient, kth_service: SearchService
) -> None:
    html = client.get("/stats?q=batteri&by=year&by=funder&lang=en").get_data(as_text=True)
    grid = html[
        html.index('data-testid="cross-grid"') : html.index(
            "</table>", html.index('data-testid="cross-grid"')
        )
    ]
    req = SearchRequest(q="batteri")
    cross = kth_service.stats(req, ("year", "funder"))
    cells = {(r.keys[0], r.keys[1]): r.projects for r in cross.rows}
    years = [r.keys[0] for r in kth_service.stats(req, ("year",)).rows if r.keys[0]]
    shown_years = re.findall(
        r'<th scope="row"><a href="/search\?q=batteri&amp;lang=en&amp;year=(\d{4})">', grid
    )
    assert shown_years == sorted(years)  # chronological, down
    links = re.findall(r'<a href="(/search\?[^"]+)">([\d,]+)</a></td>', grid)
    assert links
    for url, text in links[:25]:  # each cell counts what its search finds
        query = dict(re.findall(r"(year|funder)=([^&]+)", url.replace("&amp;", "&")))
        assert cells[(query["year"], query["funder"])] == _number(text)
        api = client.get("/api/v1/search?" + url.split("?", 1)[1].replace("&amp;", "&") + "&size=1")
        assert api.get_json()["total"] == _number(text)
    by_year = {r.keys[0]: r.projects for r in kth_service.stats(req, ("year",)).rows}
    totals = re.findall(r'<td class="num total">([\d,]+)</td></tr>', grid)
    assert [_number(x) for x in totals[: len(shown_years)]] == [by_year[y] for y in shown_years]
    grand = re.search(r'data-testid="cross-grand-total">([\d,]+)<', html)
    projects = SearchRequest(q="batteri", filters={"kind": ("project",)})
    assert grand and _number(grand.group(1)) == cross.total_projects == kth_service.count(projects)
    assert re.search(r'class="num h5"', grid)  # the largest cells are the darkest
    sek = client.get("/stats?q=batteri&by=year&by=funder&measure=sek&lang=en").get_data(
        as_text=True
    )
    assert "show projects instead" in sek


def test_the_cross_table_as_csv_in_the_same_shape(
    client: FlaskClient, kth_service: SearchService
) -> None:
    body = client.get("/stats.csv?by=year&by=funder&shape=wide&delimiter=semicolon").get_data()
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    req = SearchRequest()
    funders = kth_service.stats(req, ("funder",)).rows
    years = kth_service.stats(req, ("year",)).rows
    assert rows[0][0] == "year \\ funder" and rows[0][-1] == "total"
    assert len(rows[0]) == len(funders) + 2 and len(rows) == len(years) + 2
    cells = {
        (r.keys[0], r.keys[1]): r.projects for r in kth_service.stats(req, ("year", "funder")).rows
    }
    keys = [
        re.search(r"\(([^)]+)\)$", h).group(1) if h.endswith(")") else "" for h in rows[0][1:-1]
    ]  # type: ignore[union-attr]
    labels = {r.labels[0]: r.keys[0] for r in years}
    for row in rows[1:-1]:
        year = labels[row[0]]
        for key, value in zip(keys, row[1:-1], strict=True):
            assert int(value) == cells.get((year, key), 0)
    assert int(rows[-1][-1]) == kth_service.count(SearchRequest(filters={"kind": ("project",)}))
    sek = client.get("/stats.csv?by=year&by=funder&shape=wide&measure=sek").get_data()
    assert b"total" in sek


@pytest.mark.parametrize(
    "url",
    [
        "/stats.csv?by=year&shape=wide",
        "/stats.csv?by=year&by=funder&shape=tall",
        "/stats.csv?by=year&by=funder&shape=wide&measure=euros",
        "/stats?by=year&by=funder&measure=euros",
    ],
)
def test_bad_cross_parameters_are_400(client: FlaskClient, url: str) -> None:
    assert client.get(url).status_code == 400


def test_the_unknown_row_shows_its_figures_without_links(
    client: FlaskClient, kth_service: SearchService
) -> None:
    """Projects without a funding year are counted in a row of their own; "unknown" is no
    filter value, so its figures stand without links."""
    unknown = next(r for r in kth_service.stats(SearchRequest(), ("year",)).rows if not r.keys[0])
    html = client.get("/stats?by=year&by=funder&lang=en").get_data(as_text=True)
    grid = html[html.index('data-testid="cross-grid"') :]
    row = re.search(r'<th scope="row">Unknown</th>(.*?)</tr>', grid)
    assert row and unknown.projects > 0
    figures = [_number(x) for x in re.findall(r">([\d,]+)</td>", row.group(1))]
    assert len(figures) >= 2  # cells as well as the row total
    assert figures[-1] == unknown.projects and "<a " not in row.group(1)
