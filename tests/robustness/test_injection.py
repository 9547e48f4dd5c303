"""Hostile record text never becomes live markup, script or a spreadsheet formula.

Two indexes. ``evil_home`` (conftest) holds SweCRIS rows with payloads in every text field,
in the ids and in the organisation number. ``forged`` is written straight into the store, so
it carries payloads where no importer lets them through: ``javascript:`` source, facility and
ORCID links, identifiers, twins, facility links, subject and award codes, plus a failed run
and a quarantined row whose reasons are payloads (the status page).

Every HTML page is parsed (lxml.html), not string-searched: each element and attribute must be
one the templates and charts write, no ``on*`` or ``style`` attribute, no ``javascript:`` (or
other non-http) link, scripts only the site's own file, ``<b>`` only the search highlight,
one ``<title>``; and the payload is still there as text. Atom is parsed as XML with the same
idea. JSON must be served as ``application/json`` with ``nosniff``, parse, keep each payload
as data and carry no raw ``<``, ``>`` or ``&``. CSV is parsed: no cell starts with ``=``,
``+``, ``-``, ``@``, tab, CR or NUL unless it is a number, and the negative amount stays -5.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from urllib.parse import quote
from xml.etree import ElementTree

import lxml.html
import pytest
from flask import Flask
from flask.testing import FlaskClient

import webapp
from tests.conftest import XSS_FUNDER, XSS_ID, XSS_ORG, XSS_ORG_ID, XSS_TITLE
from tests.robustness.forged import FORGED_TEXTS, forged_home, forged_urls
from webapp import create_app

WEBAPP = Path(webapp.__file__).resolve().parent
_SOURCES = [*(WEBAPP / "templates").glob("*.html"), WEBAPP / "charts.py"]
_TEXT = "\n".join(p.read_text(encoding="utf-8") for p in _SOURCES)
SITE_TAGS = {t.lower() for t in re.findall(r"<([a-zA-Z][a-zA-Z0-9]*)", _TEXT)}
_TAG_SPANS = re.findall(r"<[a-zA-Z][^<>]*>", re.sub(r"\{\{.*?\}\}|\{%.*?%\}|\"[^\"]*\"", "", _TEXT))
SITE_ATTRS = {a.lower() for span in _TAG_SPANS for a in re.findall(r"\s([a-zA-Z][\w:-]*)", span)}
SITE_ATTRS |= {a.lower() for a in re.findall(r"[\s'\"]([a-zA-Z][\w:-]*)=\"", _TEXT)}  # charts
SITE_TAGS.add("b")  # the search highlight (indexer.service.hits), checked below
SITE_ATTRS.add("selected")  # written by an expression: {{ ' selected' if … }}
SITE_ATTRS.add("open")  # the subject tree's open branches: {{ ' open' if … }}
URL_ATTRS = ("href", "src", "action", "formaction", "xlink:href", "data")
ATOM = "{http://www.w3.org/2005/Atom}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
ATOM_TAGS = {
    *("feed", "id", "title", "subtitle", "updated", "link", "author", "name", "generator"),
    *("entry", "published", "category", "summary"),
}
FORMULA = ("=", "+", "-", "@", "\t", "\r", "\x00")

EVIL_PID = quote(XSS_ID, safe="")
EVIL_PAGES = (
    "/search",
    "/search?lang=sv",
    "/search?q=evil",
    "/search?q=alert",
    "/search?q=script&lang=sv",
    "/search?q=forskning&lang=sv",
    "/search?q=forskniing",  # did you mean "forskning"
    "/search?funder=999999-0002&org=999999-0001&award=1&subject1=1&subject3=101&subject5=10101",
    "/search?status=ongoing&q=%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E",
    "/search?q=%3C%2Ftitle%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "/project/swecris/2020-66601_VR",
    "/project/swecris/2020-66601_VR?lang=sv",
    "/project/swecris/2020-66602_VR",
    f"/project/swecris/{EVIL_PID}",
    f"/project/swecris/{EVIL_PID}?lang=sv",
    "/org/999999-0001",
    "/org/999999-0001?lang=sv",
    "/stats",
    "/stats?lang=sv&q=alert",
    "/stats?by=org&by=funder",
    "/stats?by=subject5&by=award",
    "/stats?by=org_type&by=subject3&lang=sv",
    "/status",
)
EVIL_ERRORS = (
    f"/org/{quote(XSS_ORG_ID, safe='')}",
    "/project/swecris/%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E",
    "/search?sort=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "/search?q=%3Csvg%3E%20nosuch%3Ax",
    "/stats?by=%22%3E%3Csvg%20onload%3Dalert(1)%3E",
)
EVIL_FEEDS = ("/search.atom", "/search.atom?lang=sv", "/search.atom?q=alert")
EVIL_JSON = (
    "/api/v1/search",
    "/api/v1/search?q=alert&lang=sv",
    "/api/v1/search?cursor=eyJvIjowfQ",
    "/api/v1/projects/swecris/2020-66601_VR",
    f"/api/v1/projects/swecris/{EVIL_PID}",
    f"/api/v1/projects/swecris/{EVIL_PID}/similar",
    "/api/v1/stats?by=org&by=funder",
    "/stats.json?by=subject5&by=award&lang=sv",
    "/api/v1/status",
    "/api/v1/projects/swecris/%3Cscript%3Ealert(1)%3C%2Fscript%3E",
)
EVIL_CSV = (
    "/search.csv",
    "/search.csv?delimiter=semicolon&lang=sv",
    "/org/999999-0001.csv",
    "/stats.csv?by=funder",
    "/stats.csv?by=org&by=subject5",
    "/stats.csv?by=award&by=org_type&lang=sv&delimiter=semicolon",
)


# -- checkers -------------------------------------------------------------------------------


def _scheme(url: str) -> str:
    """The scheme a browser would see: control characters and spaces dropped, lower case."""
    cleaned = re.sub(r"[\x00-\x20]", "", url).lower()
    match = re.match(r"([a-z][a-z0-9+.-]*):", cleaned)
    return match.group(1) if match else ""


def live_markup(page: str) -> list[str]:
    """Every element or attribute of ``page`` that the site itself does not write."""
    doc = lxml.html.document_fromstring(page)
    found: list[str] = []
    for el in doc.iter():
        if not isinstance(el.tag, str):
            continue  # comments and processing instructions are not markup that runs
        tag = el.tag.lower()
        if tag not in SITE_TAGS:
            found.append(f"<{tag}>")
        for name, value in el.attrib.items():
            low = name.lower()
            if low.startswith("on") or low in ("style", "srcdoc") or low not in SITE_ATTRS:
                found.append(f"<{tag} {low}=…>")
            if low in URL_ATTRS and _scheme(value) not in ("", "http", "https"):
                found.append(f"<{tag} {low}={value[:40]!r}>")
        if tag == "script" and (el.get("src") != "/static/app.js" or (el.text or "").strip()):
            found.append("<script> that is not the site's")
        if tag == "b" and "match" not in (el.get("class") or "").split():
            found.append("<b> that is not a highlight")
        if tag == "svg" and el.get("role") != "img":
            found.append("<svg> that is not a chart")
    titles = [t for t in doc.iter("title") if not any(a.tag == "svg" for a in t.iterancestors())]
    if len(titles) != 1 or titles[0].getparent().tag != "head":
        found.append(f"{len(titles)} page <title> elements")  # charts have their own
    return found


def page_text(page: str) -> str:
    return str(lxml.html.document_fromstring(page).text_content())


def check_feed(body: bytes) -> str:
    root = ElementTree.fromstring(body)
    for el in root.iter():
        assert el.tag.removeprefix(ATOM) in ATOM_TAGS, el.tag
        assert set(el.attrib) <= {"href", "rel", "type", "term", "label", XML_LANG}, el.attrib
        if "href" in el.attrib:
            assert el.attrib["href"].startswith("http://localhost/"), el.attrib
    return " ".join(root.itertext())


def check_json(response) -> object:  # type: ignore[no-untyped-def]
    assert response.mimetype == "application/json"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    raw = response.get_data(as_text=True)
    assert not set(raw) & {"<", ">", "&"}, raw[:200]
    return json.loads(raw)


def csv_cells(body: bytes, delimiter: str) -> list[list[str]]:
    text = body.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:], newline=""), delimiter=delimiter))


def unneutralised(rows: list[list[str]]) -> list[str]:
    bad = []
    for row in rows:
        for cell in row:
            if cell.startswith(FORMULA):
                try:
                    float(cell)
                except ValueError:
                    bad.append(cell)
    return bad


# -- fixtures -------------------------------------------------------------------------------


def _app(home: Path) -> Flask:
    return create_app({"INDEX_DIR": str(home / "index"), "HOME_DIR": str(home), "TESTING": True})


@pytest.fixture(scope="module")
def evil_app(evil_home: Path) -> Flask:
    return _app(evil_home)


@pytest.fixture(scope="module")
def forged_app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    return _app(forged_home(tmp_path_factory.mktemp("forged")))


@pytest.fixture
def evil(evil_app: Flask) -> FlaskClient:
    return evil_app.test_client()  # a fresh cookie jar: the language is the URL's


@pytest.fixture
def forged(forged_app: Flask) -> FlaskClient:
    return forged_app.test_client()


# -- tests ----------------------------------------------------------------------------------


def test_the_checker_catches_live_markup() -> None:
    base = "<!doctype html><html><head><title>x</title></head><body>{}</body></html>"
    assert live_markup(base.format('<p class="message">fine</p>')) == []
    for bad in (
        "<img src=x onerror=alert(1)>",
        '<svg onload="alert(1)"></svg>',
        '<a href=" javascript:alert(1)">x</a>',
        '<a href="/x" onmouseover="alert(1)">x</a>',
        "<script>alert(1)</script>",
        "<b>bold</b>",
        "</title><title>again",
        '<p class="message" autofocus="">x</p>',
    ):
        assert live_markup(base.format(bad)), bad


@pytest.mark.parametrize("url", EVIL_PAGES)
def test_pages_show_payloads_as_text_only(evil: FlaskClient, url: str) -> None:
    response = evil.get(url)
    assert response.status_code == 200, (url, response.data[:300])
    page = response.get_data(as_text=True)
    assert live_markup(page) == [], url
    text = page_text(page)
    if url.startswith("/project/swecris/2020-66601"):
        assert XSS_TITLE in text and XSS_ORG in text
    if url == "/search?q=forskniing":
        assert 'data-testid="did-you-mean">forskning<' in page


def test_every_payload_reaches_some_page_as_text(evil_app: Flask) -> None:
    """Not vacuous: the hostile values are shown (escaped), not dropped."""
    pages = [evil_app.test_client().get(u).get_data(as_text=True) for u in EVIL_PAGES]
    text = " ".join(page_text(page) for page in pages)
    for payload in (XSS_TITLE, XSS_ORG, XSS_FUNDER, "<b>Mallory</b>", "<u>PL</u>"):
        assert payload in text, payload
    for payload in ("<img src=x onerror=alert(5)> Project grant", "'><marquee>Analysis"):
        assert payload in text, payload


@pytest.mark.parametrize("url", EVIL_ERRORS)
def test_error_pages_reflect_nothing_live(evil: FlaskClient, url: str) -> None:
    response = evil.get(url)
    assert response.status_code in (400, 404), url
    assert live_markup(response.get_data(as_text=True)) == [], url


@pytest.mark.parametrize("url", EVIL_FEEDS)
def test_feeds_carry_payloads_as_text(evil: FlaskClient, url: str) -> None:
    response = evil.get(url)
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    text = check_feed(response.get_data())
    if url == "/search.atom":
        assert XSS_TITLE in text and XSS_FUNDER in text


@pytest.mark.parametrize("url", EVIL_JSON)
def test_json_is_html_safe_and_keeps_the_data(evil: FlaskClient, url: str) -> None:
    response = evil.get(url)
    assert response.status_code in (200, 404), url
    data = check_json(response)
    if url == "/api/v1/projects/swecris/2020-66601_VR":
        assert data["project"]["title"]["en"] == XSS_TITLE  # type: ignore[index]
    if url == f"/api/v1/projects/swecris/{EVIL_PID}":
        assert data["project"]["source_id"] == XSS_ID  # type: ignore[index]


@pytest.mark.parametrize("url", EVIL_CSV)
def test_csv_cells_are_neutralised_and_numbers_stay_numbers(evil: FlaskClient, url: str) -> None:
    response = evil.get(url)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    rows = csv_cells(response.get_data(), ";" if "semicolon" in url else ",")
    assert unneutralised(rows) == [], url
    if url == "/search.csv":
        header = rows[0]
        by_id = {r[0]: dict(zip(header, r, strict=False)) for r in rows[1:]}
        assert by_id[XSS_ID]["total_sek"] == "-5"  # a negative amount is a number, not text
        assert by_id["2020-66602_VR"]["title"] == "'-cmd|' /C calc'!A0"


@pytest.mark.parametrize("url", forged_urls())
def test_forged_records_render_without_live_markup(forged: FlaskClient, url: str) -> None:
    response = forged.get(url)
    assert response.status_code in (200, 404), (url, response.data[:300])
    body = response.get_data()
    if url.startswith("/api/") or ".json" in url:
        check_json(response)
    elif ".csv" in url:
        rows = csv_cells(body, ",")
        assert unneutralised(rows) == [], url
    elif ".atom" in url:
        check_feed(body)
    else:
        assert live_markup(body.decode("utf-8")) == [], url


def test_forged_payloads_are_shown_as_text(forged_app: Flask) -> None:
    urls = [u for u in forged_urls() if not u.startswith("/api/") and "." not in u]
    pages = [forged_app.test_client().get(u) for u in urls]
    text = " ".join(page_text(r.get_data(as_text=True)) for r in pages if r.status_code == 200)
    for payload in FORGED_TEXTS:
        assert payload in text, payload
