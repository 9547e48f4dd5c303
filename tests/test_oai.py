"""The OAI-PMH client against a fake repository over real loopback HTTP (reliability.md H1-H11).

Two fakes (``tests.fakes.oai_server``): ``sickle`` serves Sickle's OAI-PMH fixture files as they
are, ``cerif`` serves the OpenAIRE CRIS v1.2 samples in pages of 3 with generated tokens. Nothing
is mocked: faults are scripted on the server.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from harvesters.core.errors import AuthenticationError, HarvestError, SourceProtocolError
from harvesters.sources.http import HttpClient
from harvesters.sources.oai import errors as oe
from harvesters.sources.oai.client import (
    DAY,
    SECONDS,
    MalformedResponse,
    MetadataFormat,
    OAIClient,
    choose_prefix,
    format_datestamp,
    next_from,
)
from harvesters.sources.oai.responses import parse_xml
from tests.fakes.oai_server import FakeOAI

PREFIX = "oai_cerif_openaire_v1_2"
FUNDING = "openaire_cris_funding"  # 11 records: pages of 3, 3, 3, 2
NS12 = "https://www.openaire.eu/cerif-profile/1.2/"
NS11 = "https://www.openaire.eu/cerif-profile/1.1/"


@pytest.fixture
def http() -> Iterator[HttpClient]:
    with HttpClient(timeout=5, max_retries=3, retry_budget=10) as client:
        yield client


@pytest.fixture
def sickle(shared_data: Path) -> Iterator[FakeOAI]:
    with FakeOAI(shared_data, "sickle") as fake:
        yield fake


@pytest.fixture
def cerif(shared_data: Path) -> Iterator[FakeOAI]:
    with FakeOAI(shared_data, "cerif", page_size=3) as fake:
        yield fake


def funding_ids(fake: FakeOAI) -> list[str]:
    return [r.identifier for r in fake.records if r.set_spec == FUNDING]


def list_requests(fake: FakeOAI) -> list[dict[str, list[str]]]:
    return [r.query for r in fake.requests if r.verb == "ListRecords"]


# -- Identify, ListMetadataFormats, ListSets, GetRecord -------------------------------------------


def test_sickle_identify_formats_and_sets(sickle: FakeOAI, http: HttpClient) -> None:
    client = OAIClient(sickle.base_url, http)
    info = client.identify()
    assert info.repository_name == "A Test Repository"
    assert info.granularity == DAY and client.granularity == DAY
    assert info.earliest_datestamp == "1970-01-01T00:00:00Z"
    assert info.deleted_record == "persistent"
    assert info.response_date == "2013-02-27T10:01:15Z"
    assert info.payload.body.startswith(b"<?xml") and "verb=Identify" in info.payload.label
    formats = client.list_metadata_formats()
    assert " ".join(f.prefix for f in formats) == "epicur xMetaDissPlus oai_dc mods swepub_mods"
    assert formats[2].namespace == "http://www.openarchives.org/OAI/2.0/oai_dc/"
    assert choose_prefix(formats) is None  # no CERIF here: the caller flags the source
    sets = client.list_sets()
    assert len(sets) == 131 and sets[0].spec == "bi"
    assert sets[0].name == "All BI publications (already published)"
    sickle.script(["noSetHierarchy"])
    assert client.list_sets() == []  # a repository without sets


def test_openaire_identify_formats_and_sets(cerif: FakeOAI, http: HttpClient) -> None:
    client = OAIClient(cerif.base_url, http)
    info = client.identify()
    assert (info.repository_name, info.granularity) == ("cris.example.org", SECONDS)
    assert (info.deleted_record, info.earliest_datestamp) == ("no", "2008-11-23T13:11:02Z")
    assert info.admin_emails == ("admin@cris.example.org",)
    formats = client.list_metadata_formats()
    assert formats == [
        MetadataFormat(
            PREFIX, "https://www.openaire.eu/schema/cris/1.2/openaire-cerif-profile.xsd", NS12
        )
    ]
    assert choose_prefix(formats) == PREFIX
    specs = [s.spec for s in client.list_sets()]
    assert len(specs) == 9 and {"openaire_cris_projects", FUNDING} <= set(specs)
    assert "openaire_cris_equipments" in specs


def test_prefix_by_start_and_by_namespace(shared_data: Path, http: HttpClient) -> None:
    renamed = [("oai_dc", "dc.xsd", "http://www.openarchives.org/OAI/2.0/oai_dc/")]
    renamed.append(("cerif", "cerif.xsd", NS11))
    with FakeOAI(shared_data, "cerif", formats=renamed) as fake:
        client = OAIClient(fake.base_url, http)
        prefix = choose_prefix(client.list_metadata_formats())
        assert prefix == "cerif"
        assert len(list(client.list_records(prefix, "openaire_cris_equipments"))) == 2
    both = [
        MetadataFormat("oai_cerif_openaire_v1_1", "x", NS11),
        MetadataFormat("oai_cerif_openaire", "y", NS12.rstrip("/")),
        MetadataFormat("cerif_12", "z", NS12),
    ]
    assert choose_prefix(both) == "oai_cerif_openaire"  # by start first, 1.2 preferred
    assert choose_prefix(both[:1]) == "oai_cerif_openaire_v1_1"
    assert choose_prefix([MetadataFormat("x", "x", "urn:other")]) is None


def test_get_record(sickle: FakeOAI, cerif: FakeOAI, http: HttpClient) -> None:
    record = OAIClient(sickle.base_url, http).get_record("oai:test.example.com:1996652", "oai_dc")
    assert record.identifier == "oai:test.example.com:1996652" and not record.deleted
    assert record.metadata_xml is not None and b"<dc:title>Sample Title</dc:title>" in (
        record.metadata_xml
    )
    client = OAIClient(cerif.base_url, http)
    project = client.get_record("oai:cris.example.org:Projects/112348", PREFIX)
    assert project.metadata_xml is not None and project.metadata_xml.startswith(b"<Project ")
    assert f'xmlns="{NS12}"'.encode() in project.metadata_xml  # self-contained
    with pytest.raises(oe.IdDoesNotExist):
        client.get_record("oai:cris.example.org:Projects/0", PREFIX)
    with pytest.raises(oe.CannotDisseminateFormat):
        client.get_record("oai:cris.example.org:Projects/112348", "oai_dc")


# -- lists and resumption tokens ------------------------------------------------------------------


def test_sickle_resumption_chain_yields_all_eight(sickle: FakeOAI, http: HttpClient) -> None:
    walk = OAIClient(sickle.base_url, http).list_record_pages("oai_dc")
    pages = list(walk)
    assert [p.number for p in pages] == [1, 2, 3, 4]
    assert [p.token for p in pages] == [f"ListRecords{n}.xml" for n in (2, 3, 4)] + [None]
    records = [r for p in pages for r in p.items]
    assert len(records) == 8 and walk.count == 8 == walk.complete_list_size
    assert walk.finished and walk.size_mismatch is None and walk.restarts == 0
    assert [r.deleted for r in records] == [True, False] * 4
    assert all(r.metadata_xml is None for r in records if r.deleted)
    assert records[-1].identifier == "oai:test.example.com:1585322"
    assert records[-2].identifier == ""  # the fixture's header without identifier is counted
    assert pages[1].payload.body == (sickle.fixtures / "ListRecords2.xml").read_bytes()
    queries = list_requests(sickle)
    assert queries[0] == {"verb": ["ListRecords"], "metadataPrefix": ["oai_dc"]}
    assert queries[1] == {"verb": ["ListRecords"], "resumptionToken": ["ListRecords2.xml"]}


def test_tokens_are_stripped_and_encoded_once(cerif: FakeOAI, http: HttpClient) -> None:
    walk = OAIClient(cerif.base_url, http).list_record_pages(PREFIX, FUNDING)
    pages = list(walk)
    assert [len(p.items) for p in pages] == [3, 3, 3, 2]
    assert [r.identifier for p in pages for r in p.items] == funding_ids(cerif)
    assert walk.count == 11 == walk.complete_list_size and walk.size_mismatch is None
    assert pages[0].token is not None and pages[0].token.startswith("rt")
    assert b"\n      rt" in pages[0].payload.body  # the server pads its tokens with whitespace
    sent = [q["resumptionToken"][0] for q in list_requests(cerif)[1:]]
    assert sent == [p.token for p in pages[:-1]]  # exactly the token: stripped, decoded once
    assert all("&" in t and "%3D" in t for t in sent)
    assert all(set(q) == {"verb", "resumptionToken"} for q in list_requests(cerif)[1:])
    assert all(r.sets == (FUNDING,) for p in pages for r in p.items)


def test_list_identifiers_walks_headers(cerif: FakeOAI, http: HttpClient) -> None:
    headers = list(OAIClient(cerif.base_url, http).list_identifiers(PREFIX, FUNDING))
    assert [h.identifier for h in headers] == funding_ids(cerif)
    assert not hasattr(headers[0], "metadata_xml")


def test_no_records_match_is_an_empty_success(
    sickle: FakeOAI, cerif: FakeOAI, http: HttpClient
) -> None:
    walk = OAIClient(cerif.base_url, http).list_record_pages(PREFIX, from_="2099-01-01T00:00:00Z")
    assert list(walk) == [] and walk.finished and walk.count == 0
    sickle.script(["noRecordsMatch"], page=1)
    assert list(OAIClient(sickle.base_url, http).list_records("oai_dc")) == []


def test_complete_list_size_mismatch_is_reported(
    cerif: FakeOAI, http: HttpClient, caplog: pytest.LogCaptureFixture
) -> None:
    cerif.script(["size+2"], page=4)
    walk = OAIClient(cerif.base_url, http).list_record_pages(PREFIX, FUNDING)
    with caplog.at_level(logging.WARNING, logger="research_index.oai"):
        assert sum(len(p.items) for p in walk) == 11
    assert walk.complete_list_size == 13 and walk.size_mismatch is not None
    assert "completeListSize=13" in walk.size_mismatch and "11" in walk.size_mismatch
    assert "completeListSize=13" in caplog.text


def test_deleted_records_come_through(cerif: FakeOAI, http: HttpClient) -> None:
    gone = funding_ids(cerif)[4]
    cerif.delete(gone)
    records = {
        r.identifier: r for r in OAIClient(cerif.base_url, http).list_records(PREFIX, FUNDING)
    }
    assert len(records) == 11
    assert records[gone].deleted and records[gone].metadata_xml is None
    assert sum(r.deleted for r in records.values()) == 1


# -- OAI errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("badArgument", oe.BadArgument),
        ("badResumptionToken", oe.BadResumptionToken),
        ("badVerb", oe.BadVerb),
        ("cannotDisseminateFormat", oe.CannotDisseminateFormat),
        ("idDoesNotExist", oe.IdDoesNotExist),
        ("noRecordsMatch", oe.NoRecordsMatch),
        ("noMetadataFormats", oe.NoMetadataFormats),
        ("noSetHierarchy", oe.NoSetHierarchy),
        ("undefinedError", oe.OAIError),
    ],
)
def test_every_error_code_has_its_class(
    code: str, expected: type[oe.OAIError], sickle: FakeOAI, http: HttpClient
) -> None:
    sickle.script([code])
    with pytest.raises(oe.OAIError) as caught:
        OAIClient(sickle.base_url, http).get_record("oai:test.example.com:1996652", "oai_dc")
    assert type(caught.value) is expected and caught.value.code == code
    assert isinstance(caught.value, HarvestError) and sickle.base_url in str(caught.value)
    assert (sickle.fixtures / f"{code}.xml").is_file() or code in ("badVerb", "noMetadataFormats")


def test_real_argument_errors(shared_data: Path, cerif: FakeOAI, http: HttpClient) -> None:
    client = OAIClient(cerif.base_url, http)
    with pytest.raises(oe.CannotDisseminateFormat):
        list(client.list_records("oai_dc"))
    with pytest.raises(oe.BadArgument):  # a day-granularity date mixed with a seconds one
        list(client.list_records(PREFIX, from_="2020-01-01", until="2021-01-01T00:00:00Z"))
    with (
        FakeOAI(shared_data, "cerif", granularity=DAY) as day,
        pytest.raises(oe.BadArgument),  # seconds sent to a day-granularity repository
    ):
        list(OAIClient(day.base_url, http).list_records(PREFIX, from_="2020-01-01T00:00:00Z"))


# -- broken pages, restarts, loops ----------------------------------------------------------------


@pytest.mark.parametrize("fault", ["broken", "truncated"])
def test_a_broken_page_fails_loudly(fault: str, sickle: FakeOAI, http: HttpClient) -> None:
    sickle.script([fault, fault], page=2)
    walk = OAIClient(sickle.base_url, http).list_record_pages("oai_dc")
    got: list[int] = []
    with pytest.raises(MalformedResponse) as caught:
        got.extend(len(p.items) for p in walk)
    assert isinstance(caught.value, SourceProtocolError)
    assert "resumptionToken=ListRecords2.xml" in str(caught.value)
    assert "not well-formed" in str(caught.value) and caught.value.detail
    assert got == [2] and not walk.finished


def test_a_broken_page_is_fetched_once_more(sickle: FakeOAI, http: HttpClient) -> None:
    sickle.script(["broken"], page=3)
    sickle.script(["cut"], page=2)  # a connection cut mid-body is HttpClient's to retry
    assert len(list(OAIClient(sickle.base_url, http).list_records("oai_dc"))) == 8
    assert [r.page for r in sickle.requests] == [1, 2, 2, 3, 3, 4]


def test_bad_resumption_token_restarts_the_list(cerif: FakeOAI, http: HttpClient) -> None:
    cerif.script(["badResumptionToken"], page=3)
    walk = OAIClient(cerif.base_url, http).list_record_pages(PREFIX, FUNDING)
    ids = [r.identifier for r in walk.items()]
    assert walk.restarts == 1 and walk.finished and walk.size_mismatch is None
    assert len(ids) == 6 + 11  # the first two pages come again: the caller dedupes
    assert list(dict.fromkeys(ids)) == funding_ids(cerif) and walk.count == 11
    first = list_requests(cerif)[3]
    assert first == {"verb": ["ListRecords"], "metadataPrefix": [PREFIX], "set": [FUNDING]}


def test_expired_tokens_restart_with_the_same_arguments(cerif: FakeOAI, http: HttpClient) -> None:
    walk = OAIClient(cerif.base_url, http).list_record_pages(PREFIX, FUNDING, from_="2018-01-01")
    seen: list[str] = []
    for page in walk:
        seen.extend(r.identifier for r in page.items)
        if len(seen) == 3:
            cerif.expire_tokens()  # the server forgets its tokens mid-walk
    assert walk.restarts == 1 and set(seen) == set(funding_ids(cerif)[:7])
    assert list_requests(cerif)[2]["from"] == ["2018-01-01"]


def test_too_many_restarts_fail(cerif: FakeOAI, http: HttpClient) -> None:
    cerif.script(["badResumptionToken"] * 3, page=2)
    walk = OAIClient(cerif.base_url, http, restarts=2).list_record_pages(PREFIX, FUNDING)
    with pytest.raises(oe.BadResumptionToken, match="restarted 2 time"):
        list(walk)
    assert walk.restarts == 2 and len(list_requests(cerif)) == 6


@pytest.mark.parametrize("mode", ["sickle", "cerif"])
def test_a_repeated_token_stops_the_walk(mode: str, shared_data: Path, http: HttpClient) -> None:
    with FakeOAI(shared_data, mode) as fake:
        fake.script(["repeat"], page=2)
        prefix = "oai_dc" if mode == "sickle" else PREFIX
        with pytest.raises(SourceProtocolError, match="again"):
            list(OAIClient(fake.base_url, http).list_records(prefix))
        assert len(list_requests(fake)) == 2


def test_empty_pages_with_a_token_are_followed(sickle: FakeOAI, http: HttpClient) -> None:
    sickle.script(["empty"] * 3, page=2)
    walk = OAIClient(sickle.base_url, http).list_record_pages("oai_dc")
    assert sum(len(p.items) for p in walk) == 8 and walk.pages == 7
    assert walk.size_mismatch is None


def test_an_endless_run_of_empty_pages_is_bounded(cerif: FakeOAI, http: HttpClient) -> None:
    cerif.fail_every_request("empty")
    with pytest.raises(SourceProtocolError, match="in a row"):
        list(OAIClient(cerif.base_url, http, max_empty_pages=5).list_records(PREFIX))
    assert len(cerif.requests) == 6
    cerif.fail_every_request(None)
    with pytest.raises(SourceProtocolError, match="within 2 pages"):
        list(OAIClient(cerif.base_url, http, max_pages=2).list_records(PREFIX))


# -- incremental harvesting -----------------------------------------------------------------------


def test_incremental_list_returns_only_the_changes(cerif: FakeOAI, http: HttpClient) -> None:
    client = OAIClient(cerif.base_url, http)
    started = datetime.now(UTC)
    assert len(list(client.list_records(PREFIX, FUNDING))) == 11
    changed, gone = funding_ids(cerif)[0], funding_ids(cerif)[9]
    cerif.touch(changed, metadata=f'<Funding xmlns="{NS12}" id="x"><Name>New</Name></Funding>')
    cerif.delete(gone)
    since = next_from(started, SECONDS)
    records = list(client.list_records(PREFIX, FUNDING, from_=since))
    assert {r.identifier for r in records} == {changed, gone}
    assert next(r for r in records if r.identifier == changed).metadata_xml == (
        f'<Funding xmlns="{NS12}" id="x"><Name>New</Name></Funding>'.encode()
    )


def test_datetime_from_uses_the_server_granularity(shared_data: Path, http: HttpClient) -> None:
    with FakeOAI(shared_data, "cerif", granularity=DAY) as fake:
        client = OAIClient(fake.base_url, http)
        when = datetime(2021, 6, 17, 23, 30, tzinfo=UTC)
        records = list(client.list_records(PREFIX, FUNDING, from_=when))
        assert len(records) == 5  # the five records stamped 2021-06-17
        assert list_requests(fake)[0]["from"] == ["2021-06-17"]
        assert fake.verbs()[0] == "Identify"  # the granularity was asked for first


def test_format_datestamp_and_next_from() -> None:
    cet = timezone(timedelta(hours=1))
    when = datetime(2024, 1, 1, 0, 30, 15, 999, tzinfo=cet)
    assert format_datestamp(when, SECONDS) == "2023-12-31T23:30:15Z"
    assert format_datestamp(when, DAY) == "2023-12-31"
    assert format_datestamp(datetime(2024, 5, 1, 10, 0), SECONDS) == "2024-05-01T10:00:00Z"
    with pytest.raises(ValueError, match="granularity"):
        format_datestamp(when, "YYYY")
    start = datetime(2024, 5, 1, 0, 1, 0, tzinfo=UTC)
    assert next_from(start, SECONDS) == "2024-04-30T23:59:00Z"
    assert next_from(start, DAY) == "2024-04-30"  # the overlap crosses midnight
    assert next_from("2024-05-01T10:00:00Z", DAY, overlap=timedelta(0)) == "2024-05-01"
    assert next_from("2024-05-01T10:00:00Z", SECONDS) == "2024-05-01T09:58:00Z"
    assert next_from(None, SECONDS) is None


# -- HTTP faults ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fault", ["503:1", "503@1"])
def test_503_with_retry_after_is_retried(fault: str, sickle: FakeOAI, http: HttpClient) -> None:
    sickle.script([fault], page=2)
    started = time.monotonic()
    assert len(list(OAIClient(sickle.base_url, http).list_records("oai_dc"))) == 8
    assert [r.fault for r in sickle.requests if r.page == 2] == [fault, None]
    assert time.monotonic() - started < 5


def test_403_aborts_without_retry(sickle: FakeOAI, http: HttpClient) -> None:
    sickle.script(["403"])
    with pytest.raises(AuthenticationError):
        OAIClient(sickle.base_url, http).identify()
    assert len(sickle.requests) == 1


# -- hostile XML ----------------------------------------------------------------------------------


def test_external_entities_are_not_resolved(sickle: FakeOAI, http: HttpClient) -> None:
    sickle.script(["xxe"], page=1)
    with pytest.raises(SourceProtocolError, match="entity") as caught:
        list(OAIClient(sickle.base_url, http).list_records("oai_dc"))
    assert "root:" not in str(caught.value)


def test_an_external_entity_never_reads_the_file(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT", encoding="utf-8")
    body = (
        f'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY s SYSTEM "{secret.as_uri()}">]>\n'
        '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><x>&s;</x></OAI-PMH>'
    ).encode()
    with pytest.raises(SourceProtocolError) as caught:
        parse_xml(body, "http://example.org/oai")
    assert "TOP-SECRET" not in str(caught.value) and "&s;" in str(caught.value)


def test_billion_laughs_is_rejected_quickly(sickle: FakeOAI, http: HttpClient) -> None:
    sickle.script(["lol", "lol"], page=1)
    started = time.monotonic()
    with pytest.raises(SourceProtocolError):
        list(OAIClient(sickle.base_url, http).list_records("oai_dc"))
    assert time.monotonic() - started < 3


def test_undefined_entities_fail_and_huge_text_nodes_parse() -> None:
    with pytest.raises(MalformedResponse, match="ndash"):
        parse_xml(b"<OAI-PMH><x>a &ndash; b</x></OAI-PMH>", "u")
    huge = b"<r><abstract>" + b"x" * (12 * 1024 * 1024) + b"</abstract></r>"
    assert len(parse_xml(huge, "u")[0].text) == 12 * 1024 * 1024
