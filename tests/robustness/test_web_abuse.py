"""Abuse of every route family through Flask's test client: no hostile URL costs a 500.

Hostile query text (10,000 characters, 5,000 terms, 3,000 brackets, lone and leading
wildcards, field and range abuse), hostile paging and sizes, hundreds of repeated or unknown
parameters, undecodable bytes and NULs, path traversal and monster ids, 1 MB bodies and
other methods are sent to the HTML search, ``/api/v1/search``, ``/search.csv``,
``/search.atom``, ``/stats`` with its CSV and JSON, ``/api/v1/stats``, project pages and their
API, organisation pages and their CSV, and ``/static``. Every answer must have the expected
status, arrive within ``BOUND`` seconds on the KTH index, and, when it is an error, have the
project's shape: JSON ``{ok, status, error, message}`` for ``/api/``, ``.json`` and ``.csv``, an
HTML error page with a way back otherwise. The raw-socket cases (bytes a test client cannot
send) are in ``test_web_server``. Each case's status and time go to
``tests/artifacts/web-abuse.json``; tests/robustness/README.md tabulates them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

import webapp

BOUND = 2.0  # seconds per request on the 6,519-project KTH index
ARTIFACT = Path(webapp.__file__).resolve().parent.parent / "tests" / "artifacts" / "web-abuse.json"
RESULTS: list[dict[str, object]] = []

# -- the cases ------------------------------------------------------------------------------

# query text: (id, text, status); sent to every family that reads q
QUERIES: tuple[tuple[str, str, int], ...] = (
    ("q-10000-chars", "a" * 10_000, 400),
    ("q-5000-terms", " ".join(f"w{i}" for i in range(5000)), 414),  # a 29 KB address
    ("q-65-terms", " ".join(f"w{i}" for i in range(65)), 400),
    ("q-3000-open-brackets", "(" * 3000, 400),
    ("q-900-close-brackets", ")" * 900, 400),
    ("q-400-balanced-brackets", "(" * 400 + "energi" + ")" * 400, 200),
    ("q-20-nested-groups", "(energi OR (klimat " * 10 + "vind" + "))" * 10, 400),
    ("q-20-flat-groups", "(energi OR " * 20 + "klimat" + ")" * 20, 200),
    ("q-40-nots", "NOT " * 40 + "energi", 400),
    ("q-unbalanced-open", "((((energi klimat", 200),
    ("q-bare-star", "*", 400),
    ("q-question-star", "?*", 400),
    ("q-leading-wildcard", "*ning", 400),
    ("q-short-prefix", "ab*", 400),
    ("q-prefix-wildcard", "energ*", 200),
    ("q-inner-wildcard", "ene?gi*", 200),
    ("q-4-wildcards", "energ* klimat* hållbar* transp*", 200),
    ("q-5-wildcards", "energ* klimat* hållbar* transp* batter*", 400),
    ("q-date-range-field", "start:[abc to]", 400),
    ("q-quoted-boolean-field", 'active:"true"', 400),
    ("q-unknown-field", "nosuchfield:x", 400),
    ("q-range-syntax", "title:[a TO z] {a TO b}", 200),
    ("q-colons-only", "::::", 400),
    ("q-operators-only", "AND OR NOT", 200),
    ("q-common-words-only", "och the", 200),
    ("q-lone-quote", '"', 400),
    ("q-huge-boost", "energi^1e308 klimat^inf", 200),
    ("q-fuzzy-slop", 'energi~ "sol vind"~99', 200),
    ("q-script-tag", "<script>alert(1)</script>", 200),
    ("q-nul", "energi\x00klimat", 200),
    ("q-unicode-mix", "fa\u0301gel 🤖 İstanbul straße \u202e", 200),
)
QUERY_FAMILIES: tuple[tuple[str, str], ...] = (
    ("html", "/search?q="),
    ("api", "/api/v1/search?q="),
    ("csv", "/search.csv?year=2019&q="),  # narrowed: time the query, not a big export
    ("atom", "/search.atom?q="),
    ("stats", "/stats?q="),
    ("stats-csv", "/stats.csv?by=year&q="),
    ("stats-json", "/stats.json?by=year&q="),
    ("api-stats", "/api/v1/stats?by=funder&q="),
)
REPEAT = 300
KTH = "202100-3054"
BIG_ID = "a" * 10_000


@dataclass(frozen=True)
class Case:
    id: str
    url: str
    status: int
    method: str = "GET"
    body: bytes | None = None


def _query_cases() -> Iterator[Case]:
    for qid, text, status in QUERIES:
        for family, prefix in QUERY_FAMILIES:
            yield Case(f"{family}:{qid}", prefix + quote(text, safe=""), status)


def _rep(name: str, value: str, n: int = REPEAT) -> str:
    return "&".join(f"{name}={value}" for _ in range(n))


PARAM_CASES: tuple[Case, ...] = tuple(
    case
    for family, path in (("html", "/search"), ("api", "/api/v1/search"))
    for case in (
        Case(f"{family}:page-10^9", f"{path}?page=1000000000", 400),
        Case(f"{family}:page-10^30", f"{path}?page=" + "9" * 30, 400),
        Case(f"{family}:page-0", f"{path}?page=0", 400),
        Case(f"{family}:page--1", f"{path}?page=-1", 400),
        Case(f"{family}:page-abc", f"{path}?page=abc", 400),
        Case(f"{family}:page-1.5", f"{path}?page=1.5", 400),
        Case(f"{family}:page-past-depth", f"{path}?page=101&size=100", 400),
        Case(f"{family}:size-10^6", f"{path}?size=1000000", 400),
        Case(f"{family}:size-0", f"{path}?size=0", 400),
        Case(f"{family}:size--5", f"{path}?size=-5", 400),
        Case(f"{family}:sort-unknown", f"{path}?sort=%00", 400),
        Case(f"{family}:lang-markup", f"{path}?lang=%3Cx%3E", 200 if family == "html" else 400),
        Case(f"{family}:amount-nan", f"{path}?amount_min=nan", 400),
        Case(f"{family}:amount-1e400", f"{path}?amount_max=1e400", 400),
        Case(f"{family}:on-bad-date", f"{path}?on=99999-01-01", 400),
        Case(f"{family}:repeated-q", f"{path}?" + _rep("q", "energi"), 200),
        Case(f"{family}:repeated-page", f"{path}?" + _rep("page", "2"), 200),
        Case(f"{family}:repeated-page-conflict", f"{path}?page=2&page=0&page=x", 200),
        Case(f"{family}:repeated-facet-300", f"{path}?" + _rep("funder", "202100-5208"), 400),
        Case(f"{family}:repeated-facet-50", f"{path}?" + _rep("year", "2020", 50), 200),
        Case(
            f"{family}:distinct-facets-300",
            f"{path}?" + "&".join(f"year={1800 + i}" for i in range(REPEAT)),
            400,
        ),
        Case(f"{family}:repeated-status", f"{path}?" + _rep("status", "ongoing"), 200),
        Case(f"{family}:bad-status", f"{path}?status=%3Cscript%3E", 400),
        Case(f"{family}:facet-value-markup", f"{path}?org=%22%3E%3Cscript%3E", 400),
        Case(f"{family}:facet-value-nul", f"{path}?funder=a%00b", 400),
        Case(
            f"{family}:unknown-params-300",
            f"{path}?" + "&".join(f"x{i}=%ff" for i in range(REPEAT)),
            200,
        ),
        Case(f"{family}:pct-ff-in-q", f"{path}?q=%ff%fe", 200),
        Case(f"{family}:pct-ff-as-key", f"{path}?%ff=1&q=energi", 200),
        Case(f"{family}:overlong-utf8", f"{path}?q=%c0%ae%c0%ae", 200),
        Case(f"{family}:encoded-surrogate", f"{path}?q=%ed%a0%80", 200),
        Case(f"{family}:url-over-16kb", f"{path}?x=" + "a" * 17_000, 414),
    )
) + (
    Case("api:cursor-garbage", "/api/v1/search?cursor=" + "!" * 5000, 400),
    Case("api:cursor-negative", "/api/v1/search?cursor=eyJvIjotMX0", 400),
    Case("api:cursor-past-end", "/api/v1/search?cursor=eyJvIjoxMDAwMDAwMDAwMDB9", 200),
    Case("csv:delimiter-nul", "/search.csv?delimiter=%00", 400),
    Case("csv:page-size-ignored", "/search.csv?q=energi&page=-1&size=10000000", 200),
    Case("stats:by-unknown", "/stats?by=%ff", 400),
    Case("stats:by-repeated", "/stats?" + _rep("by", "year"), 400),
    Case("stats-json:no-by", "/stats.json", 400),
    Case("stats-json:top-huge", "/stats.json?by=year&top=" + "9" * 100, 400),
    Case("stats-csv:top-0", "/stats.csv?by=year&top=0", 400),
    Case("api-stats:three-dims", "/api/v1/stats?by=year&by=org&by=funder", 400),
)

ID_CASES: tuple[Case, ...] = (
    Case("project:traversal-encoded", "/project/swecris/..%2f..%2fetc%2fpasswd", 404),
    Case("project:traversal-raw", "/project/swecris/../../etc/passwd", 404),
    Case("project:id-with-slashes", "/project/swecris/a/b/c", 404),
    Case("project:id-nul", "/project/swecris/a%00b", 404),
    Case("project:id-pct-ff", "/project/swecris/%ff%fe", 404),
    Case("project:id-10000-chars", "/project/swecris/" + BIG_ID, 404),
    Case("project:id-over-16kb", "/project/swecris/" + "a" * 17_000, 414),
    Case("project:source-unknown", "/project/%3Cscript%3E/2021-00157_VR", 404),
    Case("facility:id-nul", "/facility/swecris/a%00b", 404),
    Case("api-project:traversal", "/api/v1/projects/swecris/..%2f..%2fetc%2fpasswd", 404),
    Case("api-project:id-nul", "/api/v1/projects/swecris/a%00b", 404),
    Case("api-project:id-10000-chars", "/api/v1/projects/swecris/" + BIG_ID, 404),
    Case("api-project:pct-ff", "/api/v1/projects/%ff/%fe", 404),
    Case("api-similar:id-10000-chars", f"/api/v1/projects/swecris/{BIG_ID}/similar", 404),
    Case("api:unknown-route", "/api/v1/../../etc/passwd", 404),
    Case("org:key-nul", "/org/a%00b", 404),
    Case("org:key-10000-chars", "/org/" + BIG_ID, 404),
    Case("org:key-pct-ff", "/org/%ff", 404),
    Case("org:key-traversal", "/org/..%2f..%2fetc%2fpasswd", 404),
    Case("org:key-markup", "/org/%22%3E%3Csvg%20onload=alert(1)%3E", 404),
    Case("org:page-10^9", f"/org/{KTH}?page=1000000000", 400),
    Case("org:page-0", f"/org/{KTH}?page=0", 400),
    Case("org:page--1", f"/org/{KTH}?page=-1", 400),
    Case("org:page-abc", f"/org/{KTH}?page=abc", 400),
    Case("org:repeated-page", f"/org/{KTH}?" + _rep("page", "2"), 200),
    Case("org-csv:key-nul", "/org/a%00b.csv", 404),
    Case("org-csv:key-10000-chars", f"/org/{BIG_ID}.csv", 404),
    Case("static:traversal-raw", "/static/../webapp/__init__.py", 404),
    Case("static:traversal-up-two", "/static/../../pyproject.toml", 404),
    Case("static:traversal-pct-dots", "/static/%2e%2e/__init__.py", 404),
    Case("static:traversal-pct-slash", "/static/..%2f..%2fpyproject.toml", 404),
    Case("static:traversal-backslash", "/static/..%5c..%5cpyproject.toml", 404),
    Case("static:nul", "/static/style.css%00.py", 404),
    Case("static:name-10000-chars", "/static/" + BIG_ID, 404),
)

BODY = b"x" * (1024 * 1024)
BODY_CASES: tuple[Case, ...] = tuple(
    Case(f"{family}:{method.lower()}-1mb", url, 413, method, BODY)
    for family, url in (
        ("html", "/search"),
        ("api", "/api/v1/search"),
        ("csv", "/search.csv"),
        ("atom", "/search.atom"),
        ("stats", "/stats"),
        ("stats-json", "/stats.json?by=year"),
        ("project", "/project/swecris/2021-00157_VR"),
        ("org", f"/org/{KTH}"),
    )
    for method in ("POST", "GET")
) + (
    Case("html:post-small", "/search", 405, "POST", b"q=energi"),
    Case("api:put-small", "/api/v1/search", 405, "PUT", b"{}"),
    Case("api-project:delete", "/api/v1/projects/swecris/2021-00157_VR", 405, "DELETE"),
    Case("csv:patch", "/search.csv", 405, "PATCH", b"x"),
)

ALL_CASES = (*_query_cases(), *PARAM_CASES, *ID_CASES, *BODY_CASES)


# -- checks ---------------------------------------------------------------------------------


class _ErrorPage(HTMLParser):
    """Collects what an HTML error page must have: a heading, the message, a way back."""

    def __init__(self) -> None:
        super().__init__()
        self.h1 = ""
        self.message = ""
        self.links: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "h1" or (tag == "p" and ("class", "message") in attrs):
            self._in = tag
        if tag == "a":
            self.links.append(dict(attrs).get("href") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == self._in:
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "h1":
            self.h1 += data
        elif self._in == "p":
            self.message += data


def wants_json(url: str) -> bool:
    path = url.split("?", 1)[0]
    return path.startswith("/api/") or path.endswith((".json", ".csv", ".atom", ".graphml"))


def check_error_shape(url: str, response: TestResponse) -> None:
    """An error answer has the project's shape: JSON for data routes, an HTML page otherwise."""
    status = response.status_code
    if wants_json(url):
        assert response.mimetype == "application/json", url
        body = response.get_json()
        assert set(body) == {"ok", "status", "error", "message"}, body
        assert body["ok"] is False and body["status"] == status and body["message"], body
        return
    assert response.mimetype == "text/html", url
    page = _ErrorPage()
    page.feed(response.get_data(as_text=True))
    assert f"({status})" in page.h1, page.h1
    assert page.message.strip(), url
    assert "/search" in page.links, page.links


def timed(client: FlaskClient, case: Case) -> tuple[TestResponse, float]:
    start = time.perf_counter()
    response = client.open(case.url, method=case.method, data=case.body)
    response.get_data()  # a streamed download counts until its last byte
    return response, time.perf_counter() - start


@pytest.fixture(scope="module", autouse=True)
def record_results() -> Iterator[None]:
    """Writes every case's status and time to the artifacts folder after the module."""
    RESULTS.clear()
    yield
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    ARTIFACT.write_text(json.dumps(RESULTS, indent=1), encoding="utf-8")


@pytest.fixture(scope="module")
def warm(app: Flask) -> FlaskClient:
    client = app.test_client()
    assert client.get("/search?q=energi").status_code == 200  # opens the index once
    return client


# -- tests ----------------------------------------------------------------------------------


def test_the_cases_cover_every_route_family() -> None:
    families = {c.id.split(":")[0] for c in ALL_CASES}
    assert families >= {
        *("html", "api", "csv", "atom", "stats", "stats-csv", "stats-json", "api-stats"),
        *("project", "api-project", "api-similar", "facility", "org", "org-csv", "static"),
    }
    assert len({c.id for c in ALL_CASES}) == len(ALL_CASES)


@pytest.mark.parametrize("case", ALL_CASES, ids=lambda c: c.id)
def test_abuse_gets_a_helpful_answer_in_bounded_time(warm: FlaskClient, case: Case) -> None:
    response, seconds = timed(warm, case)
    RESULTS.append(
        {"case": case.id, "status": response.status_code, "ms": round(seconds * 1000, 1)}
    )
    assert response.status_code == case.status, (case.id, response.get_data()[:300])
    assert seconds < BOUND, f"{case.id} took {seconds:.2f} s"
    if response.status_code >= 400:
        check_error_shape(case.url, response)
    if response.status_code == 405:
        assert "GET" in response.headers["Allow"]
    if case.id.startswith("static:"):
        assert b"import" not in response.data and b"[project]" not in response.data


def test_the_site_still_answers_after_the_barrage(warm: FlaskClient) -> None:
    response = warm.get("/search?q=energi")
    assert response.status_code == 200
    assert 'data-testid="total"' in response.get_data(as_text=True)
    assert warm.get("/api/v1/search?q=energi").get_json()["total"] > 0
