"""The ESFRI roadmap (TAB-separated, comments first) into facilities."""

from __future__ import annotations

from pathlib import Path

import pytest

from harvesters.core.config import Config
from harvesters.core.records import Identifier, Text
from tests.facility_import import adds_up, quarantine, run_import, snapshot, stored


@pytest.fixture(scope="module")
def esfri_file(shared_data: Path) -> Path:
    return shared_data / "facilities" / "meril" / "esfri.csv"


def test_the_real_roadmap(config: Config, capsys, esfri_file: Path) -> None:
    code, report, _ = run_import(config, capsys, "esfri", esfri_file)
    assert code == 0 and report is not None
    counts = report["counts"]
    # 50 rows; the commented-out "ESRF UPGRADES Phase II" row is no item
    assert (counts["fetched"], counts["new"], counts["quarantined"]) == (50, 50, 0)
    assert adds_up(counts)
    records = stored(config, "esfri")
    ess = records["european-spallation-source-eric"]
    assert ess.name == Text(en="European Spallation Source")
    assert ess.acronym == "European Spallation Source ERIC"
    assert ess.types == (Text(sv="ESFRI-landmärke", en="ESFRI landmark"),)
    assert (ess.city, ess.country, ess.region) == ("Lund", "SE", "Skåne")
    assert (ess.lat, ess.lon) == (55.7341, 13.2475)
    assert ess.identifiers == (Identifier("meril", "15395"),)
    assert ess.description.en == (
        "ESFRI landmark in Physical Sciences & Engineering, on the roadmap since 2006, "
        "in operation from 2025; legal status: ERIC, 2015."
    )
    myrrha = records["myrrha"]
    assert myrrha.identifiers == (Identifier("meril", "15802"),)  # "(15802)" in the file
    assert myrrha.types[0].en == "ESFRI project" and myrrha.country == "BE"
    assert records["eu-solaris"].lat is None and records["eu-solaris"].country is None
    assert "legal status" not in myrrha.description.en  # "NA"
    assert sum(1 for r in records.values() if r.types[0].sv == "ESFRI-projekt") == 21
    code, report, _ = run_import(config, capsys, "esfri", esfri_file)
    assert code == 0 and report is not None
    assert (report["counts"]["unchanged"], report["counts"]["changed"]) == (50, 0)


def test_bad_rows_are_quarantined(config: Config, capsys, tmp_path: Path, esfri_file: Path) -> None:
    lines = esfri_file.read_text(encoding="utf-8").split("\n")
    header, rows = lines[:2], [line for line in lines[2:] if line.strip()]
    ess = next(r for r in rows if r.startswith("Landmark\tPhysical Sciences & Engineering\tEuro"))
    bad = [
        ess.replace("55.7341", "123").replace("European Spallation Source ERIC", "Bad lat"),
        ess.replace("55.7341", "north").replace("European Spallation Source ERIC", "Text lat"),
        ess.replace("\t13.2475", "\t").replace("European Spallation Source ERIC", "Half"),
        ess.replace("Landmark", "Dream").replace("European Spallation Source ERIC", "Odd"),
        ess.replace("15395", "MERIL-1").replace("European Spallation Source ERIC", "Bad id"),
        ess,  # the Name again
        "Landmark\tEnergy\tShort",
    ]
    path = tmp_path / "esfri.csv"
    path.write_text("\n".join([*header, *rows, *bad]) + "\n", encoding="utf-8")
    # 7 bad rows of 57 is past the 5% budget: nothing is committed
    code, _, err = run_import(config, capsys, "esfri", path)
    assert code == 4 and "7 of 57 records failed" in err
    assert snapshot(config) == (0, 0)
    # with the 50 rows twice more under other Names, 7 of 157 is within the budget
    renamed = [
        "\t".join(f"{c}-{n}" if i == 2 else c for i, c in enumerate(row.split("\t")))
        for n in (2, 3)
        for row in rows
    ]
    path.write_text("\n".join([*header, *rows, *renamed, *bad]) + "\n", encoding="utf-8")
    code, report, _ = run_import(config, capsys, "esfri", path)
    assert code == 0 and report is not None
    counts = report["counts"]
    assert (counts["fetched"], counts["records"], counts["quarantined"]) == (157, 150, 7)
    assert adds_up(counts)
    reasons = {q.record_id: q.reason for q in quarantine(config, "esfri")}
    assert "the latitude 123 is out of range" in reasons["bad-lat"]
    assert "the latitude is not a number: 'north'" in reasons["text-lat"]
    assert "a point needs both Lat and Long" in reasons["half"]
    assert "the Type must be Landmark or Project" in reasons["odd"]
    assert "the Meril ID must be a number" in reasons["bad-id"]
    assert "3 columns where the header has 14" in reasons["short"]
    assert "the Name is used twice" in reasons["european-spallation-source-eric"]
    assert all("line " in q.location for q in quarantine(config, "esfri"))
    assert "european-spallation-source-eric-2" in stored(config, "esfri")


def test_a_duplicate_name_and_a_file_that_is_no_roadmap(
    config: Config, capsys, tmp_path: Path, esfri_file: Path
) -> None:
    text = esfri_file.read_text(encoding="utf-8")
    row = next(line for line in text.split("\n") if "\tFAIR\t" in line)
    path = tmp_path / "twice.csv"
    path.write_text(text.rstrip("\n") + "\n" + row + "\n", encoding="utf-8")
    code, report, _ = run_import(config, capsys, "esfri", path)
    assert code == 0 and report is not None and report["counts"]["quarantined"] == 1
    (entry,) = quarantine(config, "esfri")
    assert entry.record_id == "fair" and "the Name is used twice (first at" in entry.reason
    before = snapshot(config)
    other = tmp_path / "other.csv"
    other.write_text("a\tb\tc\n1\t2\t3\n", encoding="utf-8")
    code, _, err = run_import(config, capsys, "esfri", other)
    assert code == 3 and "not the ESFRI roadmap table" in err
    assert snapshot(config) == before
