"""The HTML pages and the JSON API through Flask's test client, on the real KTH index.

Assertions look for key fragments and status codes, not whole pages.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from flask.testing import FlaskClient

from tests.conftest import XSS_FUNDER, XSS_ORG, XSS_TITLE
from webapp import create_app
from webapp.cli import main


def html(client: FlaskClient, url: str, status: int = 200, **kw) -> str:  # type: ignore[no-untyped-def]
    response = client.get(url, **kw)
    assert response.status_code == status, (url, response.data[:500])
    return response.get_data(as_text=True)


def test_search_page_has_box_facets_results_and_tools(client: FlaskClient) -> None:
    page = html(client, "/search?q=klimat")
    assert '<input id="q" name="q" type="search" value="klimat"' in page
    assert '<label for="q">' in page
    for facet in ("funder", "org", "org_type", "award", "year", "subject1", "status"):
        assert f'data-facet="{facet}"' in page, facet
    assert 'data-testid="total"' in page
    assert page.count('class="hit"') == 20
    assert '<b class="match' in page
    assert 'href="/search.csv?q=klimat"' in page
    assert 'href="/stats?q=klimat"' in page
    assert 'type="application/atom+xml"' in page
    assert re.search(r'href="/org/202100-3054\?back=q%3Dklimat"', page)
    assert page.count("<h1") == 1 and "Search results for “klimat”</h1>" in page
    assert '<a class="skip" href="#results">Skip to results</a>' in page
    assert 'href="/search.csv?q=klimat&amp;delimiter=semicolon"' in page


def test_facet_links_toggle_and_chips_remove(client: FlaskClient) -> None:
    page = html(client, "/search?q=klimat")
    link = re.search(
        r'<a href="([^"]+)" class="fv" data-value="202100-5208">.*?'
        r'<span class="visually-hidden">Add filter Funder: </span>Swedish Research Council',
        page,
    )
    assert link, "the VR funder value should be offered"
    url = link.group(1).replace("&amp;", "&")
    assert dict(parse_qsl(urlsplit(url).query)) == {"q": "klimat", "funder": "202100-5208"}
    selected = html(client, "/search" + url)
    assert 'class="fv on" data-value="202100-5208" aria-current="true"' in selected
    assert "Remove filter Funder: </span>Swedish Research Council" in selected
    chip = re.search(r'<a class="chip" href="([^"]+)"', selected)
    assert chip
    assert chip.group(1).replace("&amp;", "&") == "?q=klimat"
    assert 'data-testid="clear-all"' in selected
    narrower = int(re.search(r'data-testid="total">([\d,]+)<', selected).group(1).replace(",", ""))  # type: ignore[union-attr]
    wider = int(re.search(r'data-testid="total">([\d,]+)<', page).group(1).replace(",", ""))  # type: ignore[union-attr]
    assert 0 < narrower < wider


def test_state_lives_in_the_url_and_unknown_parameters_are_ignored(client: FlaskClient) -> None:
    page = html(client, "/search?q=energi&sort=amount_desc&year=2020&utm_source=x&page=2")
    assert '<option value="amount_desc" selected>' in page
    assert 'data-testid="prev"' in page
    assert "utm_source" not in page


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/search?page=abc", "page must be a whole number"),
        ("/search?size=1000", "size must be between 1 and 100"),
        ("/search?q=*", "lone *"),
        ("/search?q=foo:bar", "Unknown field"),
        ("/search?sort=sideways", "sort must be one of"),
        ("/search?on=yesterday", "on must be a date"),
        ("/search?amount_min=lots", "amount_min must be a number"),
        ("/search?page=1000000000", "pages reach only the first"),
        ("/search?q=" + "a" * 1001, "at most 1000"),
    ],
)
def test_bad_parameters_get_a_helpful_400_page(client: FlaskClient, url: str, message) -> None:
    page = html(client, url, status=400)
    assert message in page.replace("&#39;", "'")
    assert 'href="/search"' in page


def test_did_you_mean_and_pagination(client: FlaskClient) -> None:
    page = html(client, "/search?q=forskniing")
    assert 'data-testid="did-you-mean">forskning<' in page
    first = html(client, "/search?q=energi")
    assert 'data-testid="next"' in first
    assert 'data-testid="prev"' not in first


def test_project_page_shows_every_part(client: FlaskClient) -> None:
    page = html(client, "/project/swecris/2025-01169_Vinnova")
    assert "<h1>Multi-Dimensional Resource Management" in page
    assert 'href="https://orcid.org/0000-0002-5407-0835"' in page
    assert 'class="fundings"' in page and "628,832" in page
    assert 'href="/org/202100-3054"' in page
    assert "Also filed as" in page and "2025-01169_RJ" in page
    assert "https://www.vr.se/english/swecris.html#/project/2025-01169_Vinnova" in page
    assert "Similar projects" in page
    twin = html(client, "/project/swecris/2025-01169_RJ")
    assert "This is a duplicate listing of" in twin


def test_missing_project_is_404(client: FlaskClient) -> None:
    page = html(client, "/project/swecris/1999-00000_VR", status=404)
    assert "Not found" in page


def test_language_switch_is_remembered(client: FlaskClient) -> None:
    response = client.get("/search?q=energi&lang=sv")
    assert "lang=sv" in response.headers["Set-Cookie"]
    page = response.get_data(as_text=True)
    assert '<html lang="sv">' in page and "Finansiär" in page and "Sortera" in page
    again = html(client, "/search?q=energi")
    assert '<html lang="sv">' in again
    assert 'href="?q=energi&amp;lang=en"' in again
    english = html(client, "/search?q=energi&lang=en")
    assert '<html lang="en">' in english and "Funder" in english


def test_browser_language_is_the_default() -> None:
    fresh = create_app({"INDEX_DIR": "/nonexistent", "TESTING": True}).test_client()
    page = fresh.get("/nope", headers={"Accept-Language": "sv-SE,sv;q=0.9,en;q=0.5"})
    assert '<html lang="sv">' in page.get_data(as_text=True)


def test_security_headers(client: FlaskClient) -> None:
    response = client.get("/search")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert 'style="' not in response.get_data(as_text=True)


def test_large_and_unexpected_requests_never_500(client: FlaskClient) -> None:
    assert client.post("/search", data=b"x" * (1024 * 1024)).status_code in (405, 413)
    assert client.get("/project/swecris/../../etc/passwd").status_code == 404
    assert client.get("/static/../pyproject.toml").status_code == 404
    assert client.get("/search?q=%ff%fe").status_code in (200, 400)
    assert client.get("/search?funder=a&funder=a&funder=b").status_code == 200


def test_api_search_shape_and_links(client: FlaskClient) -> None:
    data = client.get("/api/v1/search?q=klimat&size=5&funder=202100-5208").get_json()
    assert data["ok"] is True
    assert {"total", "hits", "facets", "page", "size", "pages", "links"} <= set(data)
    assert len(data["hits"]) == 5
    assert data["links"]["next"].startswith("/api/v1/search?")
    assert data["facets"]["funder"]["selected"] == ["202100-5208"]


def test_api_cursor_walks_every_result(client: FlaskClient) -> None:
    first = client.get("/api/v1/search?q=energi&year=2021&size=7").get_json()
    total = first["total"]
    seen: list[str] = []
    url = first["links"]["walk"]
    while url:
        page = client.get(url).get_json()
        seen += [h["id"] for h in page["hits"]]
        url = page["links"]["next"]
    assert len(seen) == len(set(seen)) == total
    assert client.get("/api/v1/search?cursor=!!!").status_code == 400
    assert client.get("/api/v1/search?cursor=eyJvIjogdHJ1ZX0").status_code == 400  # {"o": true}


@pytest.mark.parametrize(
    ("url", "status", "error"),
    [
        ("/api/v1/search?q=*", 400, "invalid_query"),
        ("/api/v1/search?size=0", 400, "invalid_request"),
        ("/api/v1/projects/swecris/nope", 404, "not_found"),
        ("/api/v1/nothing-here", 404, "not_found"),
    ],
)
def test_api_errors_share_one_shape(client: FlaskClient, url: str, status: int, error) -> None:
    response = client.get(url)
    assert response.status_code == status
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"ok", "status", "error", "message"}
    assert body["ok"] is False and body["status"] == status and body["error"] == error
    assert body["message"]


def test_api_project_and_status(client: FlaskClient) -> None:
    data = client.get("/api/v1/projects/swecris/2022-03516_VR").get_json()
    assert data["project"]["source_id"] == "2022-03516_VR"
    status = client.get("/api/v1/status").get_json()
    registry = status["index"]["facilities"]  # the facilities made of infrastructure grants
    assert registry["grants"] == 69 and 40 < registry["facilities"] < 69
    assert status["index"]["doc_count"] == 6519 + registry["facilities"]


def test_no_index_answers_503_not_500(tmp_path: Path) -> None:
    client = create_app({"INDEX_DIR": str(tmp_path / "none"), "TESTING": True}).test_client()
    response = client.get("/search")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "60"
    assert client.get("/api/v1/search").get_json()["error"] == "index_unavailable"


def test_withdrawn_project_answers_410(tmp_path: Path) -> None:
    rows = [
        {
            "projectId": f"2020-0000{i}_VR",
            "projectTitleEn": f"Project {i}",
            "fundingsSek": 1,
            "fundingYear": "2020",
        }
        for i in range(10)
    ]
    home = tmp_path / "home"
    for n, subset in enumerate((rows, rows[1:])):
        path = tmp_path / f"rows{n}.json"
        path.write_text(json.dumps(subset), encoding="utf-8")
        assert (
            main(["--home", str(home), "import", "swecris", str(path), "--complete", "--quiet"])
            == 0
        )
    assert main(["--home", str(home), "index", "--quiet"]) == 0
    client = create_app({"INDEX_DIR": str(home / "index"), "TESTING": True}).test_client()
    page = client.get("/project/swecris/2020-00000_VR")
    assert page.status_code == 410
    assert "withdrawn" in page.get_data(as_text=True)
    assert client.get("/api/v1/projects/swecris/2020-00000_VR").get_json()["error"] == "withdrawn"


@pytest.fixture(scope="module")
def evil_client(evil_home: Path) -> FlaskClient:
    return create_app({"INDEX_DIR": str(evil_home / "index"), "TESTING": True}).test_client()


@pytest.mark.parametrize(
    "url",
    [
        "/search",
        "/search?q=evil",
        "/search?q=forskning&lang=sv",
        "/project/swecris/2020-66601_VR",
        "/project/swecris/2020-66602_VR",
        "/search?q=" + "%3Cscript%3Ealert(9)%3C/script%3E",
    ],
)
def test_record_payloads_never_become_markup(evil_client: FlaskClient, url: str) -> None:
    response = evil_client.get(url)
    assert response.status_code in (200, 400)
    page = response.get_data(as_text=True)
    for raw in (
        "<script>alert",
        "<img src=x",
        "<svg onload",
        "<iframe",
        "<b>Mallory",
        "<u>PI</u>",
        "<s>Natur",
        "<i>University",
    ):
        assert raw not in page, (url, raw)
    assert "<script>alert(9)" not in page


def test_payloads_are_shown_as_text(evil_client: FlaskClient) -> None:
    page = evil_client.get("/project/swecris/2020-66601_VR").get_data(as_text=True)
    assert "&lt;script&gt;alert(&#34;t&#34;)&lt;/script&gt;" in page
    assert "<title>&lt;script&gt;" in page
    assert "Evil University" in page
    data = evil_client.get("/api/v1/projects/swecris/2020-66601_VR").get_json()
    assert data["project"]["title"]["en"] == XSS_TITLE
    assert data["project"]["coordinator"]["name"]["en"] == XSS_ORG
    assert XSS_FUNDER in json.dumps(data, ensure_ascii=False)
