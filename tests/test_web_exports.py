"""Downloads through Flask's test client: search CSV, organisation CSV and the Atom feed.

CSV is checked byte by byte (BOM, header, delimiter, CRLF, quoting, formula neutralisation,
truncation row) on the real KTH index and on a tiny "portfolio" index built here, whose titles
start with ``=``, ``+``, ``@`` and ``-``. The Atom feed is parsed (tests may use xml.etree).
Payloads of the shared ``evil_home`` index must never reach a download as live markup.
"""

from __future__ import annotations

import csv
import io
import json
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree

import pytest
from flask.testing import FlaskClient

from indexer.service.export import BOM, HIT_COLUMNS
from indexer.service.request import SearchRequest
from tests.conftest import XSS_FUNDER, XSS_ORG, XSS_TITLE
from webapp import create_app
from webapp.cli import main

ATOM = "{http://www.w3.org/2005/Atom}"
ORG = "555555-0001"
OTHER_ORG = "555555-0002"
VR, FORMAS = "202100-5208", "202100-5232"
HEADER = ",".join(HIT_COLUMNS).encode() + b"\r\n"


def _row(pid: str, title: str, start: str, end: str, funder: str, year: str, sek: float) -> dict:
    names = {VR: "Vetenskapsrådet", FORMAS: "Formas"}
    return {
        "projectId": pid,
        "projectTitleSv": title,
        "projectAbstractSv": f"Sammanfattning av {title}",
        "projectStartDate": f"{start} 00:00:00",
        "projectEndDate": f"{end} 00:00:00",
        "coordinatingOrganisationId": ORG,
        "coordinatingOrganisationNameSv": "Göteborgs universitet",
        "coordinatingOrganisationNameEn": "University of Gothenburg",
        "coordinatingOrganisationTypeOfOrganisationEn": "University",
        "fundingOrganisationId": funder,
        "fundingOrganisationNameSv": names[funder],
        "fundingsSek": sek,
        "fundingYear": year,
    }


def portfolio_rows() -> list[dict[str, Any]]:
    """One organisation with two ongoing, two upcoming and two finished projects (the dates
    are far from today), titles that a spreadsheet would evaluate, and one other organisation."""
    other = _row("2022-00007_VR", "Annan organisation", "2022-01-01", "2096-12-31", VR, "2022", 7)
    other["coordinatingOrganisationId"] = OTHER_ORG
    other["coordinatingOrganisationNameSv"] = "Annat lärosäte"
    return [
        _row("2021-00001_VR", '=HYPERLINK("http://x")', "2021-01-01", "2098-12-31", VR, "2021", 1),
        _row("2021-00001_VR", '=HYPERLINK("http://x")', "2021-01-01", "2098-12-31", VR, "2022", 2),
        _row("2023-00002_Formas", "+1 och mer", "2023-05-01", "2097-12-31", FORMAS, "2023", 2e9),
        _row("2098-00003_VR", "@SUM(A1)", "2098-01-01", "2099-12-31", VR, "2098", 300_000),
        _row("2097-00004_VR", "Åkerjord i Östersjön", "2097-01-01", "2099-12-31", VR, "2097", 4),
        _row("2001-00005_Formas", "-cmd", "2001-01-01", "2003-12-31", FORMAS, "2001", 100),
        _row("2005-00006_VR", "\t=1 tabb", "2005-01-01", "2006-12-31", VR, "2005", 0),
        other,
    ]


# Order on the organisation page: ongoing, upcoming, finished; newest first within each.
PORTFOLIO_ORDER = [
    "2023-00002_Formas",
    "2021-00001_VR",
    "2098-00003_VR",
    "2097-00004_VR",
    "2005-00006_VR",
    "2001-00005_Formas",
]


def build_home(root: Path, rows: list[dict[str, Any]]) -> Path:
    source = root / "projects.json"
    source.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    assert main(["--home", str(root), "import", "swecris", str(source), "--quiet"]) == 0
    assert main(["--home", str(root), "index", "--quiet"]) == 0
    return root


@pytest.fixture(scope="module")
def portfolio(tmp_path_factory: pytest.TempPathFactory) -> FlaskClient:
    home = build_home(tmp_path_factory.mktemp("portfolio"), portfolio_rows())
    app = create_app(
        {"INDEX_DIR": str(home / "index"), "TESTING": True, "PAGE_SIZE": 3, "FEED_SIZE": 3}
    )
    return app.test_client()


def rows_of(body: bytes, delimiter: str = ",") -> list[list[str]]:
    assert body.startswith(BOM.encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline=""), delimiter=delimiter))


def assert_crlf(body: bytes) -> None:
    assert body.endswith(b"\r\n")
    assert body.count(b"\n") == body.count(b"\r\n")


# -- /search.csv ------------------------------------------------------------------------------


def test_search_csv_has_every_match_with_bom_header_and_crlf(
    client: FlaskClient, kth_service: Any
) -> None:
    response = client.get("/search.csv?q=energi&funder=202100-5000")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="research-index-search.csv"'
    )
    assert response.is_streamed
    body = response.get_data()
    assert body.startswith(BOM.encode() + HEADER)
    assert_crlf(body)
    rows = rows_of(body)
    expected = kth_service.count(SearchRequest(q="energi", filters={"funder": ("202100-5000",)}))
    assert 20 < expected < 50_000
    assert len(rows) == expected + 1  # every match, beyond the page size, no truncation row
    assert all(len(r) == len(HIT_COLUMNS) for r in rows)
    assert {r[HIT_COLUMNS.index("funder_ids")] for r in rows[1:]} >= {"202100-5000"}


def test_search_csv_has_the_columns_a_reviewer_needs(client: FlaskClient, kth_service: Any) -> None:
    """Both titles, the project leaders with their keys, award types, funding years and
    subjects, each as the record says, in the language asked for."""
    rows = rows_of(client.get("/search.csv?q=batteri&lang=sv&kind=project").get_data())
    col = {name: rows[0].index(name) for name in rows[0]}
    req = SearchRequest(q="batteri", lang="sv", filters={"kind": ("project",)})
    hits = {h.id: h for h in kth_service.iter_hits(req)}
    assert len(rows) - 1 == len(hits) > 50
    for row in rows[1:]:
        hit = hits[row[col["id"]]]
        p = hit.source_record
        assert row[col["title_sv"]] == (p.title.sv or "")
        assert row[col["title_en"]] == (p.title.en or "")
        assert row[col["leaders"]] == "; ".join(x.name for x in hit.leaders)
        assert row[col["leader_keys"]] == "; ".join(x.key or "" for x in hit.leaders)
        assert row[col["funding_years"]] == "; ".join(map(str, p.funding_years()))
        awards = {f.award_type.label.sv for f in p.fundings if f.award_type}
        assert set(filter(None, row[col["award"]].split("; "))) == awards
        codes = {(s.level5 or s.level3 or s.level1).code for s in p.subjects}
        assert {x.split(" ", 1)[0] for x in row[col["subjects"]].split("; ") if x} == codes
    assert any(r[col["leaders"]] for r in rows[1:]) and any(r[col["subjects"]] for r in rows[1:])
    assert any("Projektbidrag" in r[col["award"]] for r in rows[1:])  # Swedish labels


def test_search_csv_names_facilities_in_both_languages(client: FlaskClient) -> None:
    rows = rows_of(client.get("/search.csv?kind=facility").get_data())
    col = {name: rows[0].index(name) for name in rows[0]}
    assert len(rows) > 10
    assert all(r[col["title_sv"]] or r[col["title_en"]] for r in rows[1:])


def test_search_csv_follows_the_sort_and_ignores_paging(
    client: FlaskClient, kth_service: Any
) -> None:
    url = "/search.csv?org=202100-3054&funder=202100-5000&sort=amount_desc&page=3&size=5"
    rows = rows_of(client.get(url).get_data())[1:]
    req = SearchRequest(
        filters={"org": ("202100-3054",), "funder": ("202100-5000",)}, sort="amount_desc"
    )
    assert [r[0] for r in rows] == [h.id for h in kth_service.iter_hits(req)]
    amounts = [float(r[HIT_COLUMNS.index("total_sek")] or 0) for r in rows]
    assert amounts == sorted(amounts, reverse=True)


def test_search_csv_semicolon_keeps_swedish_letters(client: FlaskClient) -> None:
    body = client.get("/search.csv?q=klimat&delimiter=semicolon&lang=sv").get_data()
    assert body.startswith(BOM.encode() + ";".join(HIT_COLUMNS).encode() + b"\r\n")
    text = body.decode("utf-8-sig")
    assert "Kungliga tekniska högskolan" in text
    rows = rows_of(body, ";")
    assert all(len(r) == len(HIT_COLUMNS) for r in rows)


def test_search_csv_truncation_row_states_the_cap(kth_home: Path, kth_service: Any) -> None:
    app = create_app({"INDEX_DIR": str(kth_home / "index"), "TESTING": True, "CSV_MAX_ROWS": 5})
    body = app.test_client().get("/search.csv?q=klimat").get_data()
    rows = rows_of(body)
    total = kth_service.count(SearchRequest(q="klimat"))
    assert len(rows) == 1 + 5 + 1
    assert len(rows[-1]) == 1
    assert rows[-1][0].startswith("Truncated:")
    assert f"{total} projects matched" in rows[-1][0] and "first 5" in rows[-1][0]
    # No truncation row when everything fits.
    small = app.test_client().get("/search.csv?q=klimat&funder=202100-5240").get_data()
    assert not rows_of(small)[-1][0].startswith("Truncated")


def test_exports_take_turns_and_leave_threads_to_searches(kth_home: Path) -> None:
    """At most EXPORTS_AT_ONCE search CSVs are prepared at once (issue 22, case 7: a broad
    export holds a server thread for its whole stream); one more waits EXPORT_WAIT seconds,
    then is a 503 with Retry-After; a place comes back when a stream ends or its client goes.
    Searches never wait for a place."""
    app = create_app(
        {"INDEX_DIR": str(kth_home / "index"), "TESTING": True, "EXPORTS_AT_ONCE": 1}
        | {"EXPORT_WAIT": 0.2}
    )
    client = app.test_client()
    held = client.get("/search.csv", buffered=False)  # the stream is open, not yet read
    assert held.status_code == 200
    busy = client.get("/search.csv?q=klimat")
    assert busy.status_code == 503 and busy.headers["Retry-After"] == "10"
    assert "try again in a few seconds" in busy.get_json()["message"]
    assert client.get("/search?q=klimat").status_code == 200
    assert client.get("/api/v1/search?q=klimat").status_code == 200
    assert client.get("/org/202100-3054.csv").status_code == 503  # an organisation's too
    # one export may wait in line for the place; any beyond it is a 503 at once
    app.config["EXPORT_WAIT"] = 3.0
    waited: list[int] = []
    in_line = threading.Thread(
        target=lambda: waited.append(app.test_client().get("/search.csv?q=energi").status_code)
    )
    in_line.start()
    time.sleep(0.3)
    t0 = time.perf_counter()
    assert client.get("/search.csv?q=klimat").status_code == 503
    assert time.perf_counter() - t0 < 1.0
    first = next(iter(held.response))  # a client that read a little, then went away
    assert first.startswith(b"\xef\xbb\xbf")
    held.close()
    in_line.join()
    assert waited == [200]  # the one in line got the place when the first stream closed
    again = client.get("/search.csv?q=klimat")
    assert again.status_code == 200 and len(rows_of(again.get_data())) > 10
    assert client.get("/search.csv?q=klimat").status_code == 200  # read to the end: freed


@pytest.mark.parametrize(
    "url",
    ["/search.csv?delimiter=pipe", "/search.csv?sort=sideways", "/search.csv?q=" + "x" * 1001],
)
def test_search_csv_bad_parameters_are_400_json(client: FlaskClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 400
    data = response.get_json()
    assert data["ok"] is False and data["status"] == 400 and data["message"]


def test_csv_neutralises_formulas_and_keeps_numbers(portfolio: FlaskClient) -> None:
    body = portfolio.get(f"/search.csv?org={ORG}&sort=start_asc").get_data()
    assert body.startswith(BOM.encode() + HEADER)
    assert_crlf(body)
    assert b'"\'=HYPERLINK(""http://x"")"' in body  # apostrophe first, RFC 4180 quoting
    rows = {r[0]: r for r in rows_of(body)[1:]}
    title = HIT_COLUMNS.index("title")
    assert rows["2021-00001_VR"][title] == '\'=HYPERLINK("http://x")'
    assert rows["2023-00002_Formas"][title] == "'+1 och mer"
    assert rows["2098-00003_VR"][title] == "'@SUM(A1)"
    assert rows["2001-00005_Formas"][title] == "'-cmd"
    assert rows["2005-00006_VR"][title].startswith("'")
    assert rows["2097-00004_VR"][title] == "Åkerjord i Östersjön"
    assert b",2000000000," in body  # a number stays a bare number
    assert rows["2021-00001_VR"][HIT_COLUMNS.index("total_sek")] == "3"


# -- /org/<key>.csv ---------------------------------------------------------------------------


def test_org_csv_lists_ongoing_then_upcoming_then_finished(portfolio: FlaskClient) -> None:
    response = portfolio.get(f"/org/{ORG}.csv")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="research-index-org-{ORG}.csv"'
    )
    body = response.get_data()
    assert body.startswith(BOM.encode() + HEADER)
    rows = rows_of(body)[1:]
    assert [r[0] for r in rows] == PORTFOLIO_ORDER
    status = HIT_COLUMNS.index("status")
    assert [r[status] for r in rows] == ["ongoing"] * 2 + ["upcoming"] * 2 + ["finished"] * 2


def test_org_csv_of_kth_has_every_project(client: FlaskClient, kth_service: Any) -> None:
    rows = rows_of(client.get("/org/202100-3054.csv?delimiter=semicolon").get_data(), ";")
    projects = SearchRequest(filters={"org": ("202100-3054",), "kind": ("project",)})
    assert len(rows) - 1 == kth_service.count(projects)
    assert rows[1][HIT_COLUMNS.index("status")] == "ongoing"
    assert rows[-1][HIT_COLUMNS.index("status")] == "finished"


def test_org_csv_unknown_is_404_json(client: FlaskClient) -> None:
    response = client.get("/org/000000-0000.csv")
    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"


# -- /search.atom -----------------------------------------------------------------------------


def feed(client: FlaskClient, url: str) -> ElementTree.Element:
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    body = response.get_data()
    assert body.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ElementTree.fromstring(body)


def test_atom_feed_is_well_formed_with_newest_matches(
    client: FlaskClient, kth_service: Any
) -> None:
    root = feed(client, "/search.atom?q=klimat&funder=202100-5208&page=2&sort=amount_asc")
    assert root.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated", "author"):
        assert root.find(f"{ATOM}{name}") is not None, name
    links = {link.get("rel"): link.get("href") for link in root.findall(f"{ATOM}link")}
    assert urlsplit(links["self"]).path == "/search.atom"
    assert "q=klimat" in links["self"] and "funder=202100-5208" in links["self"]
    assert "sort=" not in links["self"] and "page=" not in links["self"]
    assert urlsplit(links["alternate"]).path == "/search"
    entries = root.findall(f"{ATOM}entry")
    req = SearchRequest(q="klimat", filters={"funder": ("202100-5208",)}, sort="start_desc")
    expected = [h.id for h in kth_service.iter_hits(req, cap=50)]
    assert len(entries) == min(50, kth_service.count(req)) == len(expected)
    ids = []
    for entry in entries:
        link = entry.find(f"{ATOM}link").get("href")
        assert urlsplit(link).path.startswith("/project/swecris/")
        assert entry.find(f"{ATOM}id").text == link
        assert entry.find(f"{ATOM}title").text
        assert entry.find(f"{ATOM}updated").text.endswith("Z")
        assert entry.find(f"{ATOM}summary").get("type") == "text"
        ids.append(link.rsplit("/", 1)[1])
    assert ids == expected


def test_atom_feed_size_and_empty_feed(portfolio: FlaskClient) -> None:
    entries = feed(portfolio, "/search.atom").findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}link").get("href").rsplit("/", 1)[1] for e in entries] == [
        "2098-00003_VR",
        "2097-00004_VR",
        "2023-00002_Formas",
    ]
    empty = feed(portfolio, "/search.atom?q=nothingmatchesthisword")
    assert empty.findall(f"{ATOM}entry") == []
    assert empty.find(f"{ATOM}updated").text.endswith("Z")


def test_atom_bad_parameter_is_400(client: FlaskClient) -> None:
    assert client.get("/search.atom?status=someday").status_code == 400


# -- hostile records --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def evil(evil_home: Path) -> FlaskClient:
    return create_app({"INDEX_DIR": str(evil_home / "index"), "TESTING": True}).test_client()


ATOM_ELEMENTS = {
    *("feed", "id", "title", "subtitle", "updated", "link", "author", "name", "generator"),
    *("entry", "published", "category", "summary"),
}
LIVE = ("<script", "<img", "<svg onload", "<iframe", "<b>", "<s>", "<i>")


def test_hostile_text_is_plain_text_in_the_feed(evil: FlaskClient) -> None:
    response = evil.get("/search.atom")
    text = response.get_data(as_text=True)
    for tag in LIVE:
        assert tag not in text, tag
    root = ElementTree.fromstring(response.get_data())
    assert {e.tag.removeprefix(ATOM) for e in root.iter()} <= ATOM_ELEMENTS
    titles = {e.find(f"{ATOM}title").text for e in root.findall(f"{ATOM}entry")}
    assert XSS_TITLE in titles
    summaries = " ".join(e.find(f"{ATOM}summary").text for e in root.findall(f"{ATOM}entry"))
    assert XSS_ORG in summaries and XSS_FUNDER in summaries


def test_hostile_text_in_csv_is_neutralised(evil: FlaskClient) -> None:
    rows = rows_of(evil.get("/search.csv").get_data())
    by_id = {r[0]: r for r in rows[1:]}
    assert by_id["2020-66601_VR"][HIT_COLUMNS.index("title")] == XSS_TITLE
    assert by_id["2020-66602_VR"][HIT_COLUMNS.index("title")] == "'-cmd|' /C calc'!A0"
    assert by_id["2020-66601_VR"][HIT_COLUMNS.index("funders")] == "'" + XSS_FUNDER
    org_rows = rows_of(evil.get("/org/999999-0001.csv").get_data())
    assert {r[0] for r in org_rows[1:]} == {"2020-66601_VR", "2020-66602_VR"}
