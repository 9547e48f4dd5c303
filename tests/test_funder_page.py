"""The page of a funder (issue 18): /funder/<org number> on the KTH index shows what it funds
by year, organisation, subject and award type, as the statistics count it, with its newest
projects and the way on to its search and its network; funder names elsewhere link to it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from indexer.service import SearchRequest, SearchService
from webapp import create_app

VR = "202100-5208"  # the Swedish Research Council


@pytest.fixture(scope="module")
def client(kth_home: Path) -> FlaskClient:
    return create_app({"INDEX_DIR": str(kth_home / "index"), "TESTING": True}).test_client()


def test_the_swedish_research_council_shows_what_it_funds(
    client: FlaskClient, kth_service: SearchService
) -> None:
    response = client.get(f"/funder/{VR}?lang=en")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<h1>Swedish Research Council</h1>" in html
    req = SearchRequest(filters={"funder": (VR,)})
    total = kth_service.count(req)
    shown = re.search(r'data-testid="funder-total">([\d,]+)<', html)
    assert shown and int(shown.group(1).replace(",", "")) == total > 100
    newest = re.findall(r'<li><a href="/project/swecris/([^"]+)">', html)
    want = kth_service.search(SearchRequest(filters={"funder": (VR,)}, sort="start_desc", size=10))
    assert newest == [h.id for h in want.hits]
    for dim in ("year", "org", "subject1", "award"):
        assert f'data-dim="{dim}"' in html
        assert f"/stats.csv?funder={VR}&amp;by={dim}" in html
    years = html[html.index('data-dim="year"') : html.index('data-dim="org"')]
    for row in kth_service.stats(req, ("year",)).rows:  # every funding year, with its count
        label = re.escape(row.labels[0])
        assert re.search(rf">{label}(</a>)?</th><td class=.num.>{row.projects:,}<", years), row
    assert f'href="/search?funder={VR}"' in html and f'href="/ecosystem?funder={VR}"' in html
    assert client.get(f"/funder/{VR}?lang=sv").status_code == 200


def test_a_key_that_funds_nothing_is_404(client: FlaskClient) -> None:
    assert client.get("/funder/000000-0000").status_code == 404
    assert client.get("/funder/%3Cscript%3E").status_code in (400, 404)


def test_funder_names_link_to_their_page(client: FlaskClient) -> None:
    search = client.get("/search?q=batteri&lang=en").get_data(as_text=True)
    assert f'<a href="/funder/{VR}?back=q%3Dbatteri">Swedish Research Council</a>' in search
    stats = client.get("/stats?q=batteri&lang=en").get_data(as_text=True)
    assert f'href="/funder/{VR}"' in stats
    project = client.get("/project/swecris/2019-00037_Formas?lang=en").get_data(as_text=True)
    assert '<a href="/funder/202100-5232">Formas</a>' in project
    assert client.get("/funder/202100-5232").status_code == 200
    eco = client.get("/api/v1/ecosystem?q=batteri").get_json()
    node = next(n for n in eco["nodes"] if n["id"] == f"funder:{VR}")
    assert node["url"] == f"/funder/{VR}"


def test_statistics_and_networks_refuse_include_twins(client: FlaskClient) -> None:
    """They count a twin project once: include_twins would change nothing, so the tables and
    networks a program asks for say so (400), and the pages a search links to leave it out."""
    for url in (
        "/api/v1/stats?by=year&include_twins=true",
        "/stats.csv?by=year&include_twins=true",
        "/api/v1/ecosystem?q=batteri&include_twins=true",
        "/ecosystem.graphml?q=batteri&include_twins=true",
    ):
        answer = client.get(url)
        assert answer.status_code == 400, url
        assert "include_twins applies to result lists only" in answer.get_data(as_text=True)
    assert client.get("/api/v1/stats?by=year&include_twins=false").status_code == 200
    search = client.get("/search?q=batteri&include_twins=true&lang=en").get_data(as_text=True)
    assert 'href="/stats?q=batteri&amp;lang=en"' in search
    assert 'href="/ecosystem?q=batteri&amp;lang=en"' in search
    assert client.get("/stats?q=batteri&include_twins=true").status_code == 200
    assert client.get("/ecosystem?q=batteri&include_twins=true").status_code == 200


def test_links_a_page_builds_to_downloads_answer(client: FlaskClient) -> None:
    """Pages are lenient (``include_twins=1``, an unknown language) and downloads keep to the
    API's forms: the links a page builds carry the forms the downloads take."""
    for page in (
        "/search?q=batteri&include_twins=1",
        "/search?q=batteri&lang=de",
        "/stats?q=batteri&lang=de&include_twins=yes",
        "/ecosystem?q=batteri&include_twins=1&top=30",
    ):
        html = client.get(page).get_data(as_text=True)
        links = set(re.findall(r'href="(/[^"]*\.(?:csv|atom|graphml)[^"]*)"', html))
        assert links, page
        for url in links:
            answer = client.get(url.replace("&amp;", "&"))
            assert answer.status_code == 200, (page, url, answer.get_data(as_text=True)[:200])
