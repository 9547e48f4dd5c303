"""The statistics page, its CSV/JSON tables and the organisation page, through Flask's test
client; and the SVG charts as plain functions.

Numbers are compared with ``SearchService.stats`` for the same parameters on the real KTH
index; the organisation page's order is checked on the tiny portfolio index of
``test_web_exports`` (ongoing, upcoming, finished); hostile records of ``evil_home`` must reach
no page as live markup.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from indexer.service.export import BOM
from indexer.service.request import SearchRequest
from tests.conftest import XSS_FUNDER, XSS_ORG, XSS_TITLE
from tests.test_web_exports import ORG, PORTFOLIO_ORDER, build_home, portfolio_rows, rows_of
from webapp import create_app
from webapp.charts import bar_chart, chart_variants, format_number, short_number, truncate

KTH = "202100-3054"
VR = "202100-5208"


def page(client: FlaskClient, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.data[:300])
    return response.get_data(as_text=True)


def section(html: str, ident: str) -> str:
    start = html.index(f'<section class="stat" id="{ident}"')
    return html[start : html.index("</section>", start)]


# -- charts -----------------------------------------------------------------------------------


def test_chart_has_role_title_desc_and_one_bar_per_row() -> None:
    svg = bar_chart(["a", "b", "c"], [1, 2, 3], title="Projects", unit="projects")
    assert svg.startswith("<svg ") and svg.endswith("</svg>")
    assert 'role="img"' in svg and 'viewBox="0 0 ' in svg
    assert '<title id="chart-title">Projects</title>' in svg
    assert '<desc id="chart-desc">3 bars. Largest: c (3 projects)' in svg
    assert svg.count('class="bar"') == 3
    assert "style" not in svg


@pytest.mark.parametrize("horizontal", [True, False])
def test_chart_edge_cases(horizontal: bool) -> None:
    empty = bar_chart([], [], title="Empty", empty_text="Nothing here", horizontal=horizontal)
    assert 'role="img"' in empty and "Nothing here" in empty and 'class="bar"' not in empty
    one = bar_chart(["only"], [0], title="One", horizontal=horizontal)
    assert one.count('class="bar"') == 1
    huge = bar_chart(["x", "y"], [18_454_616_159, 2.5e6], title="SEK", horizontal=horizontal)
    assert ">18.5bn<" in huge and ">2.5M<" in huge
    assert "18,454,616,159" in huge  # in full in the bar's tooltip
    with pytest.raises(ValueError, match="length"):
        bar_chart(["a"], [1, 2], title="x", horizontal=horizontal)


def test_chart_escapes_and_truncates_labels() -> None:
    label = '<script>alert(1)</script> "><img src=x onerror=alert(1)> and a very long tail'
    svg = bar_chart([label], [5], title="<b>T</b>", chart_id='x" onload="y')
    assert "<script" not in svg and "<img" not in svg and "<b>" not in svg
    assert 'onload="' not in svg
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &quot;&gt;&lt;img" in svg  # in the <title>
    assert "…</text>" in svg  # cut on the axis


def test_column_chart_has_a_bar_chart_twin_for_phones() -> None:
    variants = chart_variants(["2020", "2021"], [1, 2], title="T", horizontal=False)
    assert [cls for cls, _ in variants] == ["only-wide", "only-narrow"]
    assert 'id="chart"' in variants[0][1] and 'id="chart-narrow"' in variants[1][1]
    assert all(svg.count('class="bar"') == 2 for _, svg in variants)
    assert [cls for cls, _ in chart_variants(["a"], [1], title="T")] == [""]


def test_number_formats() -> None:
    assert format_number(12345.6) == "12,346"
    assert format_number(12345, "sv") == "12\u202f345"
    assert short_number(999) == "999"
    assert short_number(2_400_000) == "2.4M"
    assert short_number(1.2e9, "sv") == "1,2\u00a0md"
    assert short_number(628_832, compact=True) == "629k"
    assert truncate("abcdef", 4) == "abc…" and truncate("abc", 4) == "abc"


# -- /stats page ------------------------------------------------------------------------------


def test_stats_page_has_four_sections_with_chart_table_and_links(
    client: FlaskClient, kth_service: Any
) -> None:
    html = page(client, "/stats")
    assert "style=" not in html and "<script>" not in html
    for dim, shown in (("year", None), ("funder", None), ("org", 20), ("subject1", None)):
        table = kth_service.stats(SearchRequest(), (dim,))
        rows = len(table.rows) if shown is None else min(shown, len(table.rows))
        block = section(html, f"by-{dim}")
        charts = 4 if dim == "year" else 2  # projects and SEK; years also as bars for phones
        assert block.count("<svg ") == charts, dim
        assert block.count('class="bar"') == charts * rows, dim
        assert block.count('<th scope="row">') == rows, dim
        top = "&amp;top=20" if shown else ""
        assert f'href="/stats.csv?by={dim}{top}"' in block
        assert f'href="/stats.json?by={dim}{top}"' in block
        assert f'href="/stats.csv?by={dim}&amp;delimiter=semicolon{top}"' in block
    years = re.findall(r'<th scope="row"><a href="/search\?year=(\d+)">', section(html, "by-year"))
    assert years == sorted(years)  # chronological
    assert 'href="/org/202100-3054"' in section(html, "by-org")
    assert format_number(kth_service.stats(SearchRequest(), ("year",)).total_projects) in html


def test_stats_page_keeps_the_search(client: FlaskClient, kth_service: Any) -> None:
    html = page(client, f"/stats?q=energi&funder={VR}&status=finished")
    req = SearchRequest(q="energi", filters={"funder": (VR,)}, status=("finished",))
    total = kth_service.stats(req, ("year",)).total_projects
    assert f'data-testid="stats-total">{format_number(total)}<' in html
    assert 'href="/search?q=energi&amp;funder=202100-5208&amp;status=finished"' in html
    assert 'href="/stats.csv?q=energi&amp;funder=202100-5208&amp;status=finished&amp;by=year"' in (
        html
    )
    assert "Swedish Research Council" in html.split('class="scope"')[1].split("</div>")[0]
    assert '<input type="hidden" name="q" value="energi">' in html  # kept by the cross form


def test_stats_cross_table(client: FlaskClient, kth_service: Any) -> None:
    html = page(client, "/stats?by=year&by=funder&org=202100-3054")
    table = kth_service.stats(SearchRequest(filters={"org": (KTH,)}), ("year",))
    assert 0 < len(table.rows) <= 40
    cross = html[html.index('data-testid="cross-grid"') :]  # years down, funders across
    cross = cross[: cross.index("</table>")]
    assert cross.count("<tr>") == len(table.rows) + 2  # the head, a row a year, the totals
    assert 'href="/stats.csv?org=202100-3054&amp;by=year&amp;by=funder"' in html
    assert '<option value="funder" selected>' in html


@pytest.mark.parametrize(
    "url",
    [
        "/stats?by=nonsense",
        "/stats?by=year&by=year",
        "/stats?by=year&by=funder&by=org",
        "/stats?page=0",
    ],
)
def test_stats_page_bad_parameters_are_400_pages(client: FlaskClient, url: str) -> None:
    html = page(client, url, 400)
    assert "<h1>" in html and "(400)" in html


# -- /stats.csv, /stats.json, /api/v1/stats -----------------------------------------------------


@pytest.mark.parametrize(
    ("query", "req", "by"),
    [
        ("by=year", SearchRequest(), ("year",)),
        ("by=funder&by=year&q=klimat", SearchRequest(q="klimat"), ("funder", "year")),
        (
            f"by=subject1&org={KTH}&status=ongoing",
            SearchRequest(filters={"org": (KTH,)}, status=("ongoing",)),
            ("subject1",),
        ),
    ],
)
def test_stats_csv_and_json_equal_the_service(
    client: FlaskClient, kth_service: Any, query: str, req: SearchRequest, by: tuple[str, ...]
) -> None:
    expected = kth_service.stats(req, by)
    response = client.get(f"/stats.csv?{query}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    name = "-".join(by)
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="research-index-stats-{name}.csv"'
    )
    body = response.get_data()
    header = ",".join(c for d in by for c in (d, f"{d}_label")) + ",projects,sek\r\n"
    assert body.startswith(BOM.encode() + header.encode())
    assert body.count(b"\n") == body.count(b"\r\n")
    rows = rows_of(body)[1:]
    assert len(rows) == len(expected.rows)
    for got, want in zip(rows, expected.rows, strict=True):
        assert tuple(got[0 : 2 * len(by) : 2]) == want.keys
        assert int(got[-2]) == want.projects
        assert float(got[-1]) == pytest.approx(want.sek, abs=0.01)
    for url in (f"/stats.json?{query}", f"/api/v1/stats?{query}"):
        data = client.get(url).get_json()
        assert data["ok"] is True
        assert data["rows"] == expected.to_dict()["rows"]
        assert data["total_projects"] == expected.total_projects
        assert data["rows_total"] == len(expected.rows)
        assert data["links"]["csv"].startswith("/stats.csv?")


def test_stats_csv_semicolon_and_top(client: FlaskClient, kth_service: Any) -> None:
    body = client.get("/stats.csv?by=org&top=3&delimiter=semicolon&lang=sv").get_data()
    assert body.startswith(BOM.encode() + b"org;org_label;projects;sek\r\n")
    rows = rows_of(body, ";")
    assert len(rows) == 4
    assert rows[1][:2] == [KTH, "KTH, Kungliga tekniska högskolan"]
    data = client.get("/stats.json?by=org&top=3").get_json()
    assert len(data["rows"]) == 3
    assert data["rows_total"] == len(kth_service.stats(SearchRequest(), ("org",)).rows)


@pytest.mark.parametrize(
    "url",
    [
        "/stats.csv",
        "/stats.json?by=nonsense",
        "/api/v1/stats",
        "/api/v1/stats?by=year&by=year",
        "/api/v1/stats?by=year&top=0",
        "/stats.csv?by=year&delimiter=tab",
        "/api/v1/stats?by=year&funder=<script>",
    ],
)
def test_stats_data_errors_have_the_json_shape(client: FlaskClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 400
    data = response.get_json()
    assert set(data) == {"ok", "status", "error", "message"}
    assert data["ok"] is False and data["status"] == 400 and data["message"]


# -- /org/<key> -------------------------------------------------------------------------------


def test_kth_org_page_totals_and_ongoing_first(client: FlaskClient, kth_service: Any) -> None:
    html = page(client, f"/org/{KTH}?lang=en")
    assert "<h1>KTH, Royal Institute of Technology</h1>" in html
    assert f'data-testid="org-key">{KTH}<' in html
    req = SearchRequest(filters={"org": (KTH,)})
    years = kth_service.stats(req, ("year",))
    assert f'data-testid="org-total">{format_number(years.total_projects)}<' in html
    assert f'data-testid="org-sek">{format_number(years.total_sek)}<' in html
    funders = kth_service.stats(req, ("funder",))
    assert section(html, "org-by-funder").count('<th scope="row">') == len(funders.rows)
    assert section(html, "org-by-year").count('class="bar"') == 2 * len(years.rows)
    assert section(html, "org-by-funder").count('class="bar"') == len(funders.rows)
    statuses = re.findall(r'<li class="hit" data-status="(\w+)">', html)
    assert statuses == ["ongoing"] * 20
    assert f'href="/org/{KTH}.csv"' in html and f'href="/stats?org={KTH}"' in html
    ongoing = kth_service.count(SearchRequest(filters={"org": (KTH,)}, status=("ongoing",)))
    last = -(-years.total_projects // 20)
    tail = page(client, f"/org/{KTH}?page={last}")
    assert set(re.findall(r'data-status="(\w+)"', tail)) == {"finished"}
    assert ongoing > 20


@pytest.mark.parametrize("url", ["/org/000000-0000", "/org/not%20a%20key!", "/org/name-0"])
def test_unknown_org_is_404(client: FlaskClient, url: str) -> None:
    html = page(client, url, 404)
    assert "(404)" in html


def test_org_page_past_the_last_page_is_400(client: FlaskClient) -> None:
    page(client, f"/org/{KTH}?page=100000", 400)
    page(client, f"/org/{KTH}?page=two", 400)


def test_org_page_orders_ongoing_upcoming_finished_across_pages(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    home = build_home(tmp_path_factory.mktemp("portfolio-org"), portfolio_rows())
    client = create_app(
        {"INDEX_DIR": str(home / "index"), "TESTING": True, "PAGE_SIZE": 4}
    ).test_client()
    first = page(client, f"/org/{ORG}?lang=sv")
    assert "<h1>Göteborgs universitet</h1>" in first
    second = page(client, f"/org/{ORG}?page=2&lang=sv")
    ids = re.findall(r'href="/project/swecris/([^"?]+)"', first + second)
    assert ids == PORTFOLIO_ORDER
    assert [h for h in re.findall(r'<h3 class="group">(\w+)</h3>', first)] == [
        "Pågående",
        "Kommande",
    ]
    assert 'href="?page=2&amp;lang=sv"' in first and 'rel="prev"' in second


# -- hostile records --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def evil(evil_home: Path) -> FlaskClient:
    return create_app({"INDEX_DIR": str(evil_home / "index"), "TESTING": True}).test_client()


@pytest.mark.parametrize(
    "url",
    ["/stats", "/stats?by=org&by=funder", "/stats?by=subject1&by=org_type", "/org/999999-0001"],
)
def test_hostile_names_are_escaped_on_pages(evil: FlaskClient, url: str) -> None:
    html = page(evil, url)
    assert html.count("<script") == 1  # the site's own script file, nothing else
    for live in ("<script>", "<img", "<svg onload", "<iframe", "<s>", "<i>", "<b>"):
        assert live not in html, (url, live)
    assert "&lt;svg onload=alert(2)&gt; Evil University" in html
    assert "style=" not in html


def test_hostile_names_are_data_in_json(evil: FlaskClient) -> None:
    response = evil.get("/api/v1/stats?by=org&by=funder")
    assert response.mimetype == "application/json"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    row = response.get_json()["rows"][0]
    assert row["org_label"] == XSS_ORG and row["funder_label"] == XSS_FUNDER
    csv_rows = rows_of(evil.get("/stats.csv?by=funder").get_data())
    assert csv_rows[1][1] == "'" + XSS_FUNDER  # starts with @: neutralised
    html = page(evil, "/org/999999-0001")
    assert "&lt;script&gt;alert(&#34;t&#34;)&lt;/script&gt; Evil title =HYPERLINK(" in html
    assert XSS_TITLE not in html
