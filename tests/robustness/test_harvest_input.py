"""Bad harvest input through the real paths: each item is parsed, or quarantined with a reason.

OAI-PMH pages come from the loopback ``FakeOAI`` (``research-index harvest cris``), SweCRIS pages
from ``FakeSwecris`` (``harvest swecris``), files through ``research-index import``. For every
case: the exit code, the report's arithmetic (fetched = stored + quarantined + skipped +
deleted + folded), what is stored, what is quarantined and why, and that the reason is on the
rendered ``/status`` page and in ``research-index status`` (the sources of
``GET /api/v1/status``). A broken *page* or file (not one record) fails the run loudly
instead: exit 3, nothing committed. Billion laughs runs in a subprocess so its peak memory can
be measured (the child's own ``VmHWM``).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from harvesters.store.database import RAW_LIMIT, RecordStore
from tests.fakes.oai_faults import HUGE, LATIN_KEYWORD
from tests.fakes.oai_server import FakeOAI
from tests.fakes.swecris_server import FakeSwecris
from tests.robustness.harvest_support import (
    FAST_HTTP,
    balanced,
    cli,
    fingerprint,
    last_run,
    peak_of_harvest,
    quarantine,
    record,
    shown,
    status_api,
    status_page,
    swecris_source,
    write_sources,
)

FIRST = "Projects/112348"  # the first record of the first page of the projects set


@pytest.fixture
def cris(shared_data: Path, home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOAI]:
    with FakeOAI(shared_data) as fake:
        write_sources(home, fake.base_url)
        for key, value in FAST_HTTP.items():
            monkeypatch.setenv(key, value)
        yield fake


@pytest.fixture
def swecris(
    shared_data: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FakeSwecris]:
    with swecris_source(shared_data, home, monkeypatch, FAST_HTTP) as fake:
        yield fake


# -- OAI-PMH records -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        ("ctrlchar", "PCDATA invalid Char value 26"),
        ("badbytes", "Invalid bytes in character encoding"),
        ("ndash", "Entity 'ndash' not defined"),
        ("noident", "a record has no identifier"),
    ],
)
def test_a_broken_oai_record_is_quarantined_and_the_page_kept(
    cris: FakeOAI, home: Path, fault: str, reason: str
) -> None:
    clean = cli(home, "harvest", "cris", "--json")
    assert clean.code == 0, clean.err
    good = clean.report["counts"]
    cris.script([fault], page=1)
    run = cli(home, "harvest", "cris", "--full", "--json")
    assert run.code == 0, run.err
    counts = run.report["counts"]
    assert balanced(counts) and counts["quarantined"] == 1
    assert counts["fetched"] == good["fetched"] and counts["stored"] == good["stored"] - 1
    [entry] = quarantine(home, "cris")
    assert reason in entry.reason and entry.raw.startswith(b"<record")
    if fault == "noident":  # no id: it is known by where it was
        assert entry.record_id is None and entry.location and "ListRecords" in entry.location
    else:  # known by id: its last good version stays, even through a complete harvest
        assert entry.record_id == FIRST and "verb=ListRecords" in (entry.location or "")
        with RecordStore(home / "records.sqlite3") as store:
            assert store.get("cris", FIRST).status == "active"  # type: ignore[union-attr]
        assert counts["withdrawn"] == 0
    shown(home, "cris", [reason])
    record(
        f"OAI record: {fault}",
        f"quarantined: '{reason}' — {counts['stored']} stored, 1 quarantined "
        f"(fetched {counts['fetched']} = {counts['stored']} + 1 + {counts['skipped']} skipped "
        f"+ {counts['folded']} folded)",
    )
    again = cli(home, "harvest", "cris", "--full", "--json")  # the source fixed it
    assert again.code == 0 and again.report["counts"]["quarantined"] == 0
    assert quarantine(home, "cris") == []
    assert 'data-testid="quarantined-cris">0<' in status_page(home)


def test_latin1_page_without_declaration_is_read_as_latin1(cris: FakeOAI, home: Path) -> None:
    cris.script(["latinone"], page=1)
    run = cli(home, "harvest", "cris", "--json")
    assert run.code == 0, run.err
    assert run.report["counts"]["quarantined"] == 0 and balanced(run.report["counts"])
    with RecordStore(home / "records.sqlite3") as store:
        project = store.get("cris", FIRST)
    assert project is not None and LATIN_KEYWORD in project.record.keywords  # type: ignore[attr-defined]
    record("OAI page: ISO-8859-1 åäö, no declaration", f"parsed: keyword {LATIN_KEYWORD!r} intact")


def test_a_12_mb_text_node_is_parsed(cris: FakeOAI, home: Path) -> None:
    cris.script(["hugetext"], page=1)
    run = cli(home, "harvest", "cris", "--json")
    assert run.code == 0, run.err
    with RecordStore(home / "records.sqlite3") as store:
        project = store.get("cris", FIRST)
    assert project is not None and len(project.record.abstract.en or "") == HUGE  # type: ignore[attr-defined]
    record(
        "OAI record: 12 MB text node", f"parsed: abstract of {HUGE} chars in {run.seconds:.1f} s"
    )


@pytest.mark.parametrize("fault", ["xxe", "truncated", "broken"])
def test_a_broken_page_fails_loudly_and_commits_nothing(
    cris: FakeOAI, home: Path, fault: str
) -> None:
    assert cli(home, "harvest", "cris").code == 0
    before = fingerprint(home)
    cris.script([fault, fault], page=1)
    run = cli(home, "harvest", "cris", "--full")
    assert run.code == 3, run.err
    assert fingerprint(home) == before and last_run(home, "cris").status == "failed"
    assert "root:" not in run.err and "root:" not in json.dumps(status_page(home))
    message = last_run(home, "cris").errors[0]
    assert ("entity" if fault == "xxe" else "not well-formed") in message
    assert message in status_page(home)
    record(f"OAI page: {fault}", f"exit 3, nothing committed: {message[:90]}")


@pytest.mark.slow
def test_billion_laughs_is_refused_in_bounded_memory(cris: FakeOAI, home: Path) -> None:
    env = {**os.environ, **FAST_HTTP}
    code, baseline, _ = peak_of_harvest(home, env)
    assert code == 0
    cris.script(["lol", "lol"], page=1)
    code, peak, seconds = peak_of_harvest(home, env)
    assert code == 3
    assert peak < baseline + 64, (peak, baseline)  # 10**9 "lol"s would be gigabytes
    assert seconds < 15
    assert "entity" in last_run(home, "cris").errors[0]
    record(
        "OAI page: billion laughs",
        f"exit 3 in {seconds:.1f} s; peak RSS {peak:.0f} MB (a clean harvest: {baseline:.0f} MB)",
    )


# -- SweCRIS API pages -----------------------------------------------------------------------

BAD_ROWS = [
    ({"projectId": "2099-00001_VR", "fundingsSek": "lots"}, "unrecognised amount 'lots'"),
    ({"projectId": "2099-00002_VR", "fundingsSek": True}, "expected an amount, got True"),
    ({"projectId": "2099-00003_VR", "fundingsSek": 1e400}, "not a finite number"),
    ({"projectId": "2099-00004_VR", "projectTitleEn": {"sv": "x"}}, "expected a single value"),
    ({"projectId": "2099-00005_VR", "peopleList": 5}, "people must be a list"),
    ({"projectId": "2099-00006_VR", "projectStartDate": "31.12.2023"}, "unrecognised date"),
    ({"projectId": "2099-00007_VR", "fundingYear": "2020.5"}, "expected a whole number"),
    ({"projectTitleEn": "a row without its id"}, "no projectId"),
    (["not", "an", "object"], "expected an object, got list"),
]


def test_swecris_rows_of_wrong_types_are_quarantined(swecris: FakeSwecris, home: Path) -> None:
    swecris.rows += [row for row, _ in BAD_ROWS]
    swecris.rows.append({"projectId": "2099-00010_VR"})  # every other field missing: fine
    run = cli(home, "harvest", "swecris", "--json")
    assert run.code == 0, run.err
    counts = run.report["counts"]
    assert balanced(counts) and counts["quarantined"] == len(BAD_ROWS)
    assert counts["fetched"] == len(swecris.rows)
    entries = quarantine(home, "swecris")
    for _, reason in BAD_ROWS:
        assert any(reason in q.reason for q in entries), reason
    by_id = {q.record_id: q for q in entries}
    assert "2099-00004_VR" in by_id and by_id["2099-00004_VR"].raw.startswith(b'{"projectId"')
    nameless = next(q for q in entries if "no projectId" in q.reason)
    assert nameless.record_id is None and "scp/search" in (nameless.location or "")
    with RecordStore(home / "records.sqlite3") as store:
        assert store.get("swecris", "2099-00010_VR") is not None
    shown(home, "swecris", [r for _, r in BAD_ROWS])
    record(
        "SweCRIS JSON: wrong types, missing fields, unseen date",
        f"{counts['quarantined']} quarantined with their reasons, {counts['stored']} stored "
        f"(fetched {counts['fetched']} = {counts['stored']} + {counts['quarantined']} + "
        f"{counts['folded']} folded)",
    )


def test_swecris_bytes_json_cannot_express(swecris: FakeSwecris, home: Path) -> None:
    swecris.rows[3] = {**swecris.rows[3], "projectTitleEn": "MARKERFF"}
    swecris.rows[4] = {**swecris.rows[4], "projectTitleEn": "MARKER1A"}
    swecris.rows[5] = {**swecris.rows[5], "projectAbstractEn": "MARKERHUGE"}
    bad_id, ctrl_id = swecris.rows[3]["projectId"], swecris.rows[4]["projectId"]
    swecris.body_filter = lambda body: (
        body.replace(b"MARKERFF", "på ".encode() + b"\xff")
        .replace(b"MARKER1A", b"ctrl \x1a char")
        .replace(b"MARKERHUGE", b"y" * HUGE)
    )
    run = cli(home, "harvest", "swecris", "--json")
    assert run.code == 0, run.err
    assert balanced(run.report["counts"]) and run.report["counts"]["quarantined"] == 1
    [entry] = quarantine(home, "swecris")
    assert entry.record_id == bad_id and entry.reason == "not valid UTF-8 (byte 0xff)"
    with RecordStore(home / "records.sqlite3") as store:
        ctrl = store.get("swecris", ctrl_id)
        huge = store.get("swecris", swecris.rows[5]["projectId"])
    assert ctrl is not None and ctrl.record.title.en == "ctrl char"  # type: ignore[attr-defined]
    assert huge is not None and len(huge.record.abstract.en) == HUGE  # type: ignore[attr-defined]
    shown(home, "swecris", ["not valid UTF-8 (byte 0xff)"])
    record(
        "SweCRIS JSON: bad UTF-8 byte, bare 0x1a, 12 MB abstract",
        "bad byte: quarantined 'not valid UTF-8 (byte 0xff)'; 0x1a dropped by cleaning; "
        f"12 MB abstract stored (run {run.seconds:.1f} s)",
    )


def test_a_truncated_swecris_page_fails_loudly(swecris: FakeSwecris, home: Path) -> None:
    assert cli(home, "harvest", "swecris").code == 0
    before = fingerprint(home)
    swecris.script(["badjson"] * 3, page=2)
    run = cli(home, "harvest", "swecris")
    assert run.code == 3 and "not usable JSON" in run.err
    assert fingerprint(home) == before
    record("SweCRIS page: truncated JSON", "exit 3 after 3 attempts, nothing committed")


# -- files: research-index import ------------------------------------------------------------

HEADER = "ProjectId;ProjectTitleEn;ProjectStartDate;FundingsSek;FundingYear;FundingOrganisationId"


def _csv_rows(n: int, title: str = "Title") -> list[str]:
    return [f"2098-{i:05d}_VR;{title} {i};2020-01-01;{1000 + i};2020;202100-5208" for i in range(n)]


def _import(home: Path, path: Path, *args: str) -> tuple[int, dict, str]:
    run = cli(home, "import", *args, str(path), "--json")
    return run.code, (run.report if run.code == 0 else {}), run.err


def test_csv_extra_missing_columns_and_a_stray_quote(home: Path, tmp_path: Path) -> None:
    rows = _csv_rows(80)
    rows[10] += ";an extra column"
    rows[20] = rows[20].rsplit(";", 1)[0]
    rows[30] = rows[30].replace(";Title 30;", ';"Title 30 with a stray quote;')
    path = tmp_path / "export.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    code, report, err = _import(home, path, "swecris")
    assert code == 0, err
    counts = report["counts"]
    assert (counts["fetched"], counts["stored"], counts["quarantined"]) == (80, 77, 3)
    assert balanced(counts)
    reasons = {q.location: q.reason for q in quarantine(home, "swecris")}
    assert reasons == {
        "file:export.csv line 12": "line 12: 7 columns where the header has 6",
        "file:export.csv line 22": "line 22: 5 columns where the header has 6",
        "file:export.csv line 32": 'line 32: an unbalanced quote (") swallowed lines 33-81; '
        "they were read on their own",
    }
    with RecordStore(home / "records.sqlite3") as store:
        assert store.get("swecris", "2098-00079_VR") is not None  # after the stray quote
    shown(home, "swecris", list(reasons.values()))
    record(
        "CSV: extra column, missing column, stray quote",
        "3 quarantined with line and reason, 77 stored; the 49 lines after the stray quote are "
        "read (before the fix they vanished into one field)",
    )


@pytest.mark.parametrize(
    ("name", "source"), [("export.csv", "swecris"), ("list.csv", "facilities")]
)
def test_an_empty_file_fails_the_import(home: Path, tmp_path: Path, name: str, source: str) -> None:
    """A 0-byte file (a download cut off before its first byte) is a failed run, exit 3 as
    unreadable bytes are, never a successful import of nothing (issue 22, case 2)."""
    path = tmp_path / name
    path.write_bytes(b"")
    code, _, err = _import(home, path, source)
    assert code == 3, err
    assert f"{name}: the file is empty (0 bytes)" in err, err
    assert "Traceback" not in err
    with RecordStore(home / "records.sqlite3") as store:
        runs = store.runs(source, limit=5)
    assert [r.status for r in runs] == ["failed"]
    record("Import of a 0-byte file", f"exit 3: {err.strip().splitlines()[-1][:100]}")


def test_csv_in_windows_1252_with_a_12_mb_field(home: Path, tmp_path: Path) -> None:
    rows = _csv_rows(20, title="Forskning på älvar och öar")
    head = HEADER + ";ProjectAbstractEn"
    text = "\n".join([head, *(r + ";short" for r in rows[:-1]), rows[-1] + ";" + "z" * HUGE, ""])
    path = tmp_path / "latin.csv"
    path.write_bytes(text.encode("cp1252"))
    code, report, err = _import(home, path, "swecris")
    assert code == 0, err
    assert report["counts"]["stored"] == 20 and report["counts"]["quarantined"] == 0
    with RecordStore(home / "records.sqlite3") as store:
        first = store.get("swecris", "2098-00000_VR")
        last = store.get("swecris", "2098-00019_VR")
    assert first is not None and first.record.title.en == "Forskning på älvar och öar 0"  # type: ignore[attr-defined]
    assert last is not None and len(last.record.abstract.en) == HUGE  # type: ignore[attr-defined]
    record("CSV: Windows-1252 åäö, 12 MB field", "parsed: 20 stored, åäö intact, 12 MB field kept")


def test_a_latin_1_export_with_one_lucky_utf_8_sequence_is_read_as_latin_1(
    home: Path, tmp_path: Path, shared_data: Path
) -> None:
    """The KTH export saved as Windows-1252: "Hampus André" before an empty ORCID is E9 A4 A4
    ("é¤¤"), a valid UTF-8 character. Before the fix that one sequence made the whole file
    "UTF-8", every row with å, ä or ö was quarantined and the run rejected (issue 22, case 1)."""
    text = (shared_data / "swecris" / "kth_scp_export_part1of6.csv").read_text("utf-8")
    records = re.split(r"\n(?=\d{4}-\d+_)", text)  # abstracts may hold newlines
    assert any("Hampus André¤¤" in row for row in records[1:101])
    # what Excel's "CSV" save does to a name outside Windows-1252: a question mark
    body = ("\n".join(records[:101]) + "\n").encode("cp1252", errors="replace")
    assert "\u9924" in body.decode("utf-8", "surrogateescape")  # é¤¤, the lucky sequence
    path = tmp_path / "kth-latin1.csv"
    path.write_bytes(body)
    code, report, err = _import(home, path, "swecris")
    assert code == 0, err
    assert report["counts"]["quarantined"] == 0, quarantine(home, "swecris")
    with RecordStore(home / "records.sqlite3") as store:
        people = [
            p.name
            for project in store.iter_records("swecris")
            for p in getattr(project.record, "people", [])
        ]
    assert "Hampus André" in people
    assert sum("å" in n or "ä" in n or "ö" in n for n in people) >= 3
    record(
        "CSV: the KTH export in Windows-1252 with one valid UTF-8 sequence (é¤¤)",
        f"read as Latin-1: {report['counts']['fetched']} rows, 0 quarantined, 'Hampus André' "
        "intact (before: exit 4, every row with åäö quarantined)",
    )


def test_an_export_cut_inside_the_last_field_of_its_last_row(
    home: Path, tmp_path: Path, shared_data: Path
) -> None:
    """A download cut inside the last, unquoted field (the subjects) of the last row, no line
    end after it: the column count is right and the value short. Before the fix the row was
    stored with its subjects cut off (issue 22, case 3); cuts elsewhere were already caught."""
    text = (shared_data / "swecris" / "kth_scp_export_part1of6.csv").read_text("utf-8")
    records = re.split(r"\n(?=\d{4}-\d+_)", text)[:41]
    last_id = records[-1].split(";", 1)[0]
    cut = "\n".join(records)
    cut = cut[: cut.rindex(";") + 12]  # 11 characters into the last field
    path = tmp_path / "cut.csv"
    path.write_text(cut, encoding="utf-8")
    code, report, err = _import(home, path, "swecris")
    assert code == 0, err
    assert report["counts"]["quarantined"] == 1, report
    (entry,) = quarantine(home, "swecris")
    assert entry.record_id == last_id
    assert "the file ends inside this row (no line end after it)" in entry.reason
    with RecordStore(home / "records.sqlite3") as store:
        assert store.get("swecris", last_id) is None
    whole = tmp_path / "whole.csv"
    whole.write_text("\n".join(records) + "\n", encoding="utf-8")
    code, report, err = _import(home, whole, "swecris")
    assert code == 0 and report["counts"]["quarantined"] == 0, err
    record(
        "CSV: the KTH export cut inside the last field of its last row (no line end)",
        f"the cut row quarantined: '{entry.reason}'; the whole file then imports it",
    )


def test_csv_bad_byte_and_unseen_date_quarantine_their_rows_only(
    home: Path, tmp_path: Path
) -> None:
    rows = _csv_rows(60, title="Forskning på")
    rows[5] = rows[5].replace("2020-01-01", "2020-13-45")
    body = (
        "\n".join([HEADER, *rows, ""]).encode("utf-8").replace(b"Forskning p\xc3\xa5 7;", b"\xff;")
    )
    path = tmp_path / "mixed.csv"
    path.write_bytes(body)
    code, report, err = _import(home, path, "swecris")
    assert code == 0, err
    assert report["counts"]["quarantined"] == 2 and report["counts"]["stored"] == 58
    reasons = sorted(q.reason for q in quarantine(home, "swecris"))
    assert reasons == ["line 9: not valid UTF-8 (byte 0xff)", "unrecognised date '2020-13-45'"]
    shown(home, "swecris", reasons)
    record("CSV: one bad UTF-8 byte, one unseen date", "2 rows quarantined, 58 stored")


def test_facility_list_with_wrong_types(home: Path, tmp_path: Path) -> None:
    items = [{"id": f"f{i}", "name": f"Lab {i}"} for i in range(80)]
    items += [{"id": "f-bad", "name": {"sv": "x"}}, {"id": ["f-list"], "name": "y"}, "text"]
    path = tmp_path / "facilities.json"
    path.write_text(json.dumps(items), encoding="utf-8")
    code, report, err = _import(home, path, "facilities")
    assert code == 0, err
    assert report["counts"]["quarantined"] == 3 and balanced(report["counts"])
    reasons = [q.reason for q in quarantine(home, "facilities")]
    assert any("name must be a single value" in r for r in reasons)
    assert any("the id must be a single value" in r for r in reasons)
    assert any("expected an object, got str" in r for r in reasons)
    record("Facility JSON: wrong types", "3 quarantined (name object, id list, bare string)")


def test_saved_oai_pages_import_with_one_broken_record(
    home: Path, tmp_path: Path, shared_data: Path
) -> None:
    from tests.fakes.oai_faults import corrupt

    write_sources(home, "http://127.0.0.1:9/oai")
    pages = sorted((shared_data / "openaire-cerif").glob("openaire_cerif_xml_example_*.xml"))
    paths = []
    for page in pages:
        body = page.read_bytes()
        target = tmp_path / page.name
        target.write_bytes(corrupt(body, "ndash") if "projects" in page.name else body)
        paths.append(str(target))
    run = cli(home, "import", "cris", *paths, "--json")
    assert run.code == 0, run.err
    counts = run.report["counts"]
    assert counts["quarantined"] == 1 and balanced(counts)
    assert quarantine(home, "cris")[0].record_id == FIRST
    shown(home, "cris", ["Entity 'ndash' not defined"])
    assert cli(home, "index", "--quiet").code == 0  # the API answers once an index is served
    [api] = [s for s in status_api(home)["sources"] if s["name"] == "cris"]
    assert api["quarantined"] == 1 and "ndash" in api["quarantine"][0]["reason"]
    truncated = tmp_path / "truncated.xml"
    whole = (
        shared_data / "openaire-cerif" / "openaire_cerif_xml_example_projects.xml"
    ).read_bytes()
    truncated.write_bytes(whole[: len(whole) // 2])
    before = fingerprint(home)
    assert cli(home, "import", "cris", str(truncated)).code == 3
    assert fingerprint(home) == before
    record(
        "Saved OAI pages: &ndash; in one record; a truncated file",
        f"quarantined: 'Entity ndash not defined' — {counts['stored']} stored, 1 quarantined; "
        "the truncated file: exit 3, nothing committed",
    )


def test_quarantine_keeps_64_kb_of_raw_text_and_releases_a_fixed_record(
    home: Path, tmp_path: Path
) -> None:
    good = [{"projectId": f"2097-{i:05d}_VR", "projectTitleEn": f"T {i}"} for i in range(30)]
    bad = {"projectId": "2097-99999_VR", "projectEndDate": "soon", "projectAbstractEn": "q" * HUGE}
    path = tmp_path / "rows.json"
    path.write_text(json.dumps([*good, bad]), encoding="utf-8")
    code, _, err = _import(home, path, "swecris")
    assert code == 0, err
    listing = cli(home, "quarantine", "swecris", "--json", "--raw")
    [entry] = json.loads(listing.out)
    assert entry["record_id"] == "2097-99999_VR" and entry["raw_truncated"] is True
    assert entry["raw_size"] > HUGE and len(entry["raw"].encode()) == RAW_LIMIT
    assert "unrecognised date 'soon'" in cli(home, "quarantine").out
    fixed = tmp_path / "fixed.json"
    fixed.write_text(json.dumps([{**bad, "projectEndDate": "2030-01-01"}]), encoding="utf-8")
    code, report, err = _import(home, fixed, "swecris")  # a partial import
    assert code == 0 and report["counts"]["new"] == 1, err
    assert quarantine(home, "swecris") == []
    assert "nothing is in quarantine" in cli(home, "quarantine", "swecris").out
    record(
        "Quarantine: raw text bound, release",
        f"raw kept {RAW_LIMIT} of {entry['raw_size']} bytes; the fixed record left quarantine",
    )
