"""Hand-kept facility lists (CSV and JSON) into facility records, with clear errors per row."""

from __future__ import annotations

import json
from pathlib import Path

from harvesters.core.config import Config
from harvesters.core.records import Facility
from harvesters.store.database import RecordStore
from indexer.service.request import SearchRequest
from indexer.service.search import SearchService
from tests.test_facility_sources_access import EXPECTED as ACCESS_OF_THE_LIST
from webapp.cli import main

HEADER = (
    "id;name;name_en;acronym;owner;owner_id;type;city;description;description_en;"
    "services;access;access_en;contact;url;subjects"
)
GOOD = [
    "nmr-1;Svenskt NMR-centrum;Swedish NMR Centre;SNC;Göteborgs universitet;202100-1819;"
    "Core facility;Göteborg;Kärnmagnetisk resonansspektroskopi för proteiner.;Nuclear magnetic "
    "resonance for proteins.;Mätningar och utbildning;Öppen för akademi och företag;Open to "
    'academia and companies;nmr@gu.se;https://www.nmr.gu.se;"10407;104"',
    "maxiv;MAX IV-laboratoriet;MAX IV Laboratory;MAX IV;Lunds universitet;202100-3211;"
    "Synchrotron;Lund;Synkrotronljuskälla.;Synchrotron light source.;Strålrör;Ansökan via "
    "förslag;Proposal-based access;info@maxiv.lu.se;https://www.maxiv.lu.se;103",
]


def _import(config: Config, path: Path, *flags: str) -> int:
    return main(["--home", str(config.home), "import", "facilities", str(path), "--quiet", *flags])


def _write(tmp: Path, name: str, lines: list[str]) -> Path:
    path = tmp / name
    path.write_text("\ufeff" + "\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


def test_csv_list_becomes_facility_records(config: Config, tmp_path: Path) -> None:
    assert _import(config, _write(tmp_path, "list.csv", GOOD)) == 0
    with RecordStore(config.store_path) as store:
        records = {s.id: s.record for s in store.iter_records("facilities")}
    nmr = records["nmr-1"]
    assert isinstance(nmr, Facility)
    assert nmr.name.sv == "Svenskt NMR-centrum" and nmr.name.en == "Swedish NMR Centre"
    assert nmr.owners[0].id == "202100-1819"
    assert nmr.access.en == "Open to academia and companies"
    assert nmr.url == "https://www.nmr.gu.se"
    assert [p.codes() for p in nmr.subjects] == [["1", "104", "10407"], ["1", "104"]]
    assert main(["--home", str(config.home), "index", "--quiet"]) == 0
    service = SearchService(config.index_root)
    hits = service.search(SearchRequest(q="synkrotron OR synchrotron"))
    assert [h.id for h in hits.hits] == ["maxiv"]
    companies = service.search(SearchRequest(q="companies", filters={"kind": ("facility",)}))
    assert [h.id for h in companies.hits] == ["nmr-1"]


def test_bad_rows_are_reported_with_line_and_reason(config: Config, tmp_path: Path, capsys) -> None:
    rows = [
        *GOOD,
        *(GOOD[0].replace("nmr-1", f"ok-{i}") for i in range(40)),
        ";Utan id;;;;;;;;;;;;;;",
        "bad-url;Namn;;;;;;;;;;;;;ftp://x;",
        "bad-subject;Namn;;;;;;;;;;;;;;12",
        "nmr-1;Dubblett;;;;;;;;;;;;;;",
        "short;row",
    ]
    assert _import(config, _write(tmp_path, "mixed.csv", rows), "--json") == 4
    err = capsys.readouterr().err
    assert "5 of 47 records failed" in err
    with RecordStore(config.store_path) as store:
        run = store.runs("facilities")[0]
    assert run.status == "failed"
    reasons = "\n".join(run.errors)
    assert "mixed.csv line 44: no id" in reasons
    assert "bad-url: file:mixed.csv line 45: url must start with http" in reasons
    assert "bad-subject" in reasons and "not an SSIF code" in reasons
    assert "nmr-1" in reasons and "the id is used twice" in reasons
    assert "short" in reasons and "2 columns where the header has 16" in reasons


def test_json_list_and_unknown_fields(config: Config, tmp_path: Path, capsys) -> None:
    items = [{"id": f"f{i}", "name_en": f"Facility {i}", "city": "Umeå"} for i in range(30)]
    items.append({"id": "odd", "name": "Konstig", "colour": "blue"})
    path = tmp_path / "list.json"
    path.write_text(json.dumps({"facilities": items}), encoding="utf-8")
    assert _import(config, path, "--json") == 0
    report = json.loads(capsys.readouterr().out)
    assert report["counts"]["new"] == 30
    assert report["counts"]["failed"] == 1
    assert "unknown fields colour" in report["errors"][0]


def test_unknown_columns_reject_the_file(config: Config, tmp_path: Path, capsys) -> None:
    path = tmp_path / "wrong.csv"
    path.write_text("id,name,colour\n1,x,red\n", encoding="utf-8")
    assert _import(config, path) == 3
    assert "unknown: colour" in capsys.readouterr().err


def test_a_facility_list_cannot_be_harvested(config: Config, capsys) -> None:
    assert main(["--home", str(config.home), "harvest", "facilities"]) == 6
    assert "research-index import facilities" in capsys.readouterr().err


def test_access_country_and_point_columns(config: Config, tmp_path: Path, capsys) -> None:
    items = [
        {"id": "f1", "name": "Labb", "city": "Huddinge", "access": "Öppen för företag"},
        {"id": "f2", "name_en": "Lab", "access_en": "For academic researchers", "city": "Oslo"},
        {"id": "f3", "name": "Punkt", "lat": "55.7029", "lon": 13.1929, "access_for": "Both"},
        {"id": "f4", "name": "Land", "country": "Norge", "city": "Bergen"},
        {"id": "f5", "name": "Inget"},
        *({"id": f"ok{i}", "name": f"Labb {i}", "country": "SE"} for i in range(80)),
        {"id": "bad-access", "name": "X", "access_for": "everyone"},
        {"id": "bad-country", "name": "X", "country": "Atlantis"},
        {"id": "bad-lat", "name": "X", "lat": 123, "lon": 13},
        {"id": "half-point", "name": "X", "lat": 55.7},
    ]
    path = tmp_path / "list.json"
    path.write_text(json.dumps(items), encoding="utf-8")
    assert _import(config, path, "--json") == 0
    report = json.loads(capsys.readouterr().out)
    assert report["counts"]["failed"] == 4
    errors = "\n".join(report["errors"])
    assert "access_for must be companies, academia, both or unknown, not 'everyone'" in errors
    assert "unknown country 'Atlantis'" in errors
    assert "the latitude 123 is out of range" in errors
    assert "a point needs both lat and lon" in errors
    with RecordStore(config.store_path) as store:
        records = {s.id: s.record for s in store.iter_records("facilities")}
    f1, f2, f3, f4, f5 = (records[f"f{i}"] for i in range(1, 6))
    assert (f1.access_for, f1.country, f1.region) == ("companies", "SE", "Stockholm")
    assert (f2.access_for, f2.country, f2.region) == ("academia", None, None)  # not Swedish
    assert (f3.access_for, f3.country, f3.region, f3.lat) == ("both", "SE", "Skåne", 55.7029)
    assert (f4.country, f4.region) == ("NO", "Vestland")
    assert (f5.access_for, f5.country) == ("unknown", None)


def test_the_stockholm_life_science_list(config: Config, shared_data: Path, capsys) -> None:
    path = shared_data / "facilities" / "stockholm-life-science" / "facilities.csv"
    assert _import(config, path, "--json") == 0
    report = json.loads(capsys.readouterr().out)
    assert report["counts"]["new"] == 7 and report["counts"]["failed"] == 0
    with RecordStore(config.store_path) as store:
        records = {s.id: s.record for s in store.iter_records("facilities")}
    assert {k: r.access_for for k, r in records.items()} == ACCESS_OF_THE_LIST
    assert {(r.country, r.region) for r in records.values()} == {("SE", "Stockholm")}
