"""Property tests (hypothesis) for the harvest-side parsers and normalisers.

For any input: no exception escapes but the project's documented ones (``ValueError`` from the
value cleaners, ``ParseError`` for a record, ``SourceProtocolError`` for a page), and the
round trips that mean something hold: cleaning twice is cleaning once; a date normalises to
ISO and re-parses to itself; an amount written the Swedish way reads back; a normalised
record survives ``to_dict``/``record_from_dict``; a page with bytes inserted anywhere either
fails loudly or accounts for every record (read, or broken and reported).
Deterministic (``derandomize``) and bounded so the file runs in seconds.
"""

from __future__ import annotations

import contextlib
import html
import unicodedata
from datetime import date, datetime

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from lxml import etree

from harvesters.core.errors import HarvestError, ParseError, SourceProtocolError
from harvesters.core.records import Project, record_from_dict
from harvesters.sources.cerif.links import Unsupported
from harvesters.sources.cerif.parse import NS_12, parse_entity
from harvesters.sources.clean import (
    clean_orcid,
    clean_str,
    clean_text,
    parse_amount,
    parse_date,
    parse_timestamp,
)
from harvesters.sources.oai.responses import parse_record, q, resumption, verb_element
from harvesters.sources.oai.salvage import parse_page
from harvesters.sources.swecris.normalise import normalise_row

FAST = settings(
    derandomize=True,
    deadline=None,
    max_examples=150,
    suppress_health_check=[HealthCheck.too_slow],
)
CONTROL = {chr(c) for c in [*range(0, 9), 11, 12, *range(14, 32), 127]}
TEXT = st.text(st.characters(codec="utf-8"), max_size=60)
XML_TEXT = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",)).filter(
        lambda c: c in "\t\n\r" or (ord(c) >= 32 and c not in "\ufffe\uffff")
    ),
    max_size=40,
)


# -- harvesters.sources.clean


@FAST
@given(TEXT)
@example("e\x01\u0301")  # a control char between a letter and its accent: NFC comes last
def test_clean_str_is_idempotent_trimmed_nfc_and_free_of_controls(value: str) -> None:
    once = clean_str(value)
    assert clean_str(once) == once
    if once is not None:
        assert once == once.strip() and unicodedata.is_normalized("NFC", once)
        assert not CONTROL & set(once)


@FAST
@given(TEXT)
def test_clean_text_is_free_of_controls_nfc_and_decodes_once(value: str) -> None:
    once = clean_text(value)
    if once is not None:
        assert not CONTROL & set(once) and unicodedata.is_normalized("NFC", once)
        assert once == once.strip()
    plain = value.replace("<", "").replace("&", "")  # no markup: cleaning is a fixed point
    assert clean_text(clean_text(plain)) == clean_text(plain)
    # an escaped text decodes exactly once: what was written is what is read
    assert clean_text(html.escape(plain, quote=False)) == clean_text(plain)


def test_clean_text_decodes_entities_once() -> None:
    assert clean_text("&amp;lt;b&amp;gt; is a tag") == "&lt;b&gt; is a tag"
    assert clean_text("<p>a &amp; b</p>") == "a & b"


DATE_FORMATS = [
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M:%S.%f",
    "%Y-%m-%dT%H:%M:%SZ",
    "%m/%d/%Y %H:%M:%S",
    "%b %d %Y %I:%M%p",
    "%Y%m%d",
]


@FAST
@given(
    st.datetimes(min_value=datetime(1000, 1, 1), max_value=datetime(9999, 12, 31)),
    st.sampled_from(DATE_FORMATS),
)
def test_every_known_date_format_normalises_to_iso_and_reparses(when: datetime, fmt: str) -> None:
    iso = parse_date(when.strftime(fmt))
    assert iso == when.date().isoformat()
    assert parse_date(iso) == iso and date.fromisoformat(iso)


@FAST
@given(st.one_of(TEXT, st.integers(), st.floats(), st.booleans(), st.none()), st.booleans())
@example("0000", True)  # was "0000-12-31", which no date parser accepts
@example("2023-00", True)  # was "2022-12-31"
@example("9999-12", True)  # was a ValueError: the end of 9999 is a date
def test_any_date_is_iso_none_or_a_value_error(value: object, end: bool) -> None:
    try:
        iso = parse_date(value, end=end)
        stamp = parse_timestamp(value)
    except ValueError:
        return
    if iso is not None:
        assert date.fromisoformat(iso).isoformat() == iso and parse_date(iso) == iso
    if stamp is not None:
        assert datetime.fromisoformat(stamp).isoformat() == stamp


@FAST
@given(st.integers(min_value=1, max_value=9999), st.integers(min_value=1, max_value=12))
def test_a_period_end_is_the_last_day(year: int, month: int) -> None:
    last = date.fromisoformat(parse_date(f"{year:04d}-{month:02d}", end=True) or "")
    assert (last.year, last.month) == (year, month)
    assert parse_date(f"{year:04d}", end=True) == f"{year:04d}-12-31"


@FAST
@given(st.one_of(TEXT, st.integers(), st.floats(allow_nan=True), st.booleans()))
@example("inf")  # was an infinite amount of SEK
@example(10**400)  # was an OverflowError that crashed the run
@example(True)  # was 1.0 SEK
def test_an_amount_is_finite_none_or_a_value_error(value: object) -> None:
    try:
        amount = parse_amount(value)
    except ValueError:
        return
    assert amount is None or (isinstance(amount, float) and abs(amount) < float("inf"))


@FAST
@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=0, max_value=99))
def test_swedish_amounts_read_back(crowns: int, ore: int) -> None:
    grouped = f"{crowns:,}".replace(",", "\u00a0")
    assert parse_amount(f"{grouped},{ore:02d}") == float(f"{crowns}.{ore:02d}")
    assert parse_amount(str(crowns)) == crowns


@FAST
@given(TEXT)
def test_orcid_cleaning_is_idempotent(value: str) -> None:
    once = clean_orcid(value)
    assert clean_orcid(once) == once
    assert once is None or len(once) == 19


# -- the SweCRIS row normaliser --------------------------------------------------------------

JSON_VALUE = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), TEXT),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(TEXT, inner, max_size=3)),
    max_leaves=6,
)
FIELDS = [
    "projectId",
    "projectTitleEn",
    "projectAbstractSv",
    "projectStartDate",
    "projectEndDate",
    "fundingsSek",
    "fundingYear",
    "fundingStartDate",
    "typeOfAwardId",
    "coordinatingOrganisationId",
    "loadedDate",
    "peopleList",
    "scbs",
    "InvolvedPeople",
    "Scbs",
]


@FAST
@given(st.dictionaries(st.sampled_from(FIELDS), JSON_VALUE, max_size=8), TEXT)
def test_a_swecris_row_is_a_project_or_a_parse_error(row: dict, pid: str) -> None:
    row.setdefault("projectId", pid)
    try:
        project = normalise_row(row)
    except ParseError as exc:
        assert exc.reason  # noqa: PT017 (the other outcome is checked below)
        return
    assert isinstance(project, Project) and project.source_id == clean_str(row["projectId"])
    again = record_from_dict(project.to_dict())
    assert again == project and again.content_hash() == project.content_hash()


# -- CERIF -----------------------------------------------------------------------------------

CHILDREN = ["Title", "Abstract", "StartDate", "EndDate", "Acronym", "Keyword", "Subject"]


@st.composite
def cerif_project(draw: st.DrawFn) -> bytes:
    root = etree.Element(f"{{{NS_12}}}Project", nsmap={None: NS_12})
    if draw(st.booleans()):
        root.set("id", draw(XML_TEXT))
    for name in draw(st.lists(st.sampled_from(CHILDREN), max_size=6)):
        child = etree.SubElement(root, f"{{{NS_12}}}{name}")
        child.text = draw(XML_TEXT)
        if draw(st.booleans()):
            child.set(
                "{http://www.w3.org/XML/1998/namespace}lang",
                draw(st.sampled_from(["sv", "en", "de", "x"])),
            )
    for _ in range(draw(st.integers(0, 2))):
        funded = etree.SubElement(root, f"{{{NS_12}}}Funded")
        funding = etree.SubElement(
            etree.SubElement(funded, f"{{{NS_12}}}As"), f"{{{NS_12}}}Funding"
        )
        amount = etree.SubElement(funding, f"{{{NS_12}}}Amount")
        amount.text = draw(XML_TEXT)
        amount.set("currency", draw(st.sampled_from(["SEK", "EUR", "", "kr"])))
    return etree.tostring(root)


@FAST
@given(cerif_project())
def test_a_cerif_project_parses_or_is_a_parse_error(xml: bytes) -> None:
    try:
        entity = parse_entity(xml, "cris", "oai:x:1")
    except ParseError as exc:
        assert exc.reason  # noqa: PT017 (the other outcome is checked below)
        return
    assert isinstance(entity, Project | Unsupported)
    if isinstance(entity, Project):
        assert record_from_dict(entity.to_dict()) == entity


@FAST
@given(st.binary(max_size=200), st.integers(min_value=0, max_value=400))
def test_any_bytes_in_a_cerif_record_give_a_parse_error_at_worst(junk: bytes, at: int) -> None:
    xml = f'<Project xmlns="{NS_12}" id="P1"><Title>t</Title></Project>'.encode()
    at = min(at, len(xml))
    with contextlib.suppress(ParseError):  # anything else fails the test
        parse_entity(xml[:at] + junk + xml[at:], "cris", "oai:x:1")


# -- OAI-PMH pages ---------------------------------------------------------------------------

OAI = "http://www.openarchives.org/OAI/2.0/"


def oai_page(records: list[tuple[str, bool]], token: str, size: str) -> bytes:
    items = []
    for n, (ident, deleted) in enumerate(records):
        status = ' status="deleted"' if deleted else ""
        metadata = "" if deleted else f'<metadata><Project xmlns="{NS_12}" id="P{n}"/></metadata>'
        items.append(
            f"<record><header{status}><identifier>{html.escape(ident)}</identifier>"
            f"<datestamp>2024-01-01</datestamp></header>{metadata}</record>"
        )
    resumption_token = (
        f'<resumptionToken completeListSize="{html.escape(size)}">{html.escape(token)}'
        "</resumptionToken>"
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><OAI-PMH xmlns="{OAI}"><responseDate>'
        f"2024-01-01T00:00:00Z</responseDate><request>u</request><ListRecords>{''.join(items)}"
        f"{resumption_token}</ListRecords></OAI-PMH>"
    ).encode()


PAGES = st.builds(
    oai_page,
    st.lists(st.tuples(XML_TEXT, st.booleans()), min_size=1, max_size=5),
    XML_TEXT,
    XML_TEXT,
)


@FAST
@given(PAGES)
def test_a_generated_oai_page_parses_into_headers_and_a_token(body: bytes) -> None:
    root, broken = parse_page(body, "u")
    assert broken == []
    element = verb_element(root, "ListRecords", "u")
    records = [parse_record(r, "u") for r in element.iterchildren(q("record"))]
    assert len(records) == body.count(b"<record>")
    token, size = resumption(element)
    assert token is None or token == token.strip()
    assert size is None or size >= 0


@settings(derandomize=True, deadline=None, max_examples=200)
@given(PAGES, st.binary(min_size=1, max_size=8), st.integers(min_value=0))
def test_bytes_inserted_anywhere_fail_loudly_or_lose_no_record(
    body: bytes, junk: bytes, position: int
) -> None:
    at = position % (len(body) + 1)
    count = body.count(b"<record>")
    try:
        root, broken = parse_page(body[:at] + junk + body[at:], "u")
        element = verb_element(root, "ListRecords", "u")
    except SourceProtocolError:
        return  # the page is refused as a whole: the run fails, nothing is lost silently
    except HarvestError as exc:  # an OAI error code can only come from a well-formed page
        raise AssertionError(f"unexpected {exc!r}") from exc
    read = len(element.findall(q("record")))
    assert read + len(broken) in (count, count + junk.count(b"<record>"))
