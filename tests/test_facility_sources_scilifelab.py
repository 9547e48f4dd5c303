"""SciLifeLab units and the publications they served."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from harvesters.core.config import Config
from harvesters.core.records import Facility, FacilityUse, Publication, Ref, Text, YearCount
from harvesters.sources.facilities.scilifelab import TYPE, split_acronym
from tests.facility_import import adds_up, quarantine, run_import, snapshot, stored

UNITS = "DERIVED_infrastructure_units_from_labels.json"
PUBS_2016 = "scilifelab_publications_2016.json"
PUBS_2017 = "scilifelab_publications_2017_2017-11-06.json"


@pytest.fixture(scope="module")
def folder(shared_data: Path) -> Path:
    return shared_data / "facilities" / "scilifelab-publications"


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _write(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_the_real_files(config: Config, capsys, folder: Path) -> None:
    files = [folder / UNITS, folder / PUBS_2016, folder / PUBS_2017, folder / "universities.csv"]
    code, report, _ = run_import(config, capsys, "scilifelab", *files)
    assert code == 0 and report is not None
    counts = report["counts"]
    # 42 units + 620 + 429 publications (no iuid in both files) + 39 universities, skipped
    assert counts["fetched"] == 42 + 620 + 429 + 39
    assert (counts["records"], counts["skipped"], counts["folded"]) == (42 + 1049, 39, 0)
    assert counts["quarantined"] == 0 and adds_up(counts)
    records = stored(config, "scilifelab")
    units = {k: r for k, r in records.items() if isinstance(r, Facility)}
    publications = {k: r for k, r in records.items() if isinstance(r, Publication)}
    assert (len(units), len(publications)) == (42, 1049)
    ngi = units["ngi-uppsala-snp-and-seq-technology-platform"]
    wanted = _load(folder / UNITS)["units"][0]
    assert wanted["label"] == ngi.name.en == "NGI Uppsala (SNP&SEQ Technology Platform)"
    assert ngi.publications_by_year == tuple(
        YearCount(int(y), c) for y, c in sorted(wanted["by_year"].items())
    )
    assert ngi.acronym is None and ngi.types == (TYPE,) and ngi.country == "SE"
    assert ngi.description.en == (
        "Named in 695 publications of SciLifeLab's publication database (2010-2017): "
        "379 without saying how, 293 as a service, 18 in collaboration, "
        "5 in technology development."
    )
    assert units["chemical-biology-consortium-sweden-cbcs"].acronym == "CBCS"
    first = publications["c1f37d688720468bba85733e96431889"]
    assert first.title.en.startswith("Identification of Compounds that Selectively")
    assert (first.year, first.published, first.journal) == (2016, "2016-12-23", "Chemistry")
    assert first.authors[0] == "Jan Jamroskovic" and first.pmid == "27862378"
    assert first.doi == "10.1002/chem.201603463"
    assert first.facilities == (
        FacilityUse(
            Ref(
                "chemical-biology-consortium-sweden-cbcs",
                Text(en="Chemical Biology Consortium Sweden (CBCS)"),
            ),
            "Collaborative",
        ),
    )
    assert first.source_url == (
        "https://publications.scilifelab.se/publication/c1f37d688720468bba85733e96431889"
    )
    december = publications["0fc10e2a8e984be2a2db97949bcb3821"]
    assert december.published == "2017-12" and december.year == 2017  # "2017-12-00"
    assert december.title.en.startswith("In muro deacetylation")  # leading spaces gone
    # every unit a publication names is a unit record
    named = {use.facility.id for p in publications.values() for use in p.facilities}
    assert named <= set(units)
    code, report, _ = run_import(config, capsys, "scilifelab", *files)
    assert code == 0 and report is not None
    assert (report["counts"]["unchanged"], report["counts"]["changed"]) == (1091, 0)


def test_acronyms_only_when_they_look_like_one() -> None:
    assert split_acronym("Swedish NMR Centre (SNC)") == "SNC"
    assert split_acronym("BioMaterial Interactions (BioMat)") == "BioMat"
    assert split_acronym("NGI Stockholm (Genomics Production)") is None
    assert split_acronym("NGI Uppsala (SNP&SEQ Technology Platform)") is None
    assert split_acronym("Cryo-EM") is None


def test_a_unit_only_the_publications_name_and_a_publication_in_two_files(
    config: Config, capsys, tmp_path: Path, folder: Path
) -> None:
    units = _load(folder / UNITS)
    units["units"] = [u for u in units["units"] if u["label"] != "Cryo-EM"]
    pubs = _load(folder / PUBS_2017)
    later = copy.deepcopy(pubs)
    later["publications"] = later["publications"][:1]
    later["publications"][0]["title"] = "A corrected title"
    files = [
        _write(tmp_path / "units.json", units),
        _write(tmp_path / "a-2017.json", pubs),
        _write(tmp_path / "b-2017-later.json", later),
    ]
    code, report, _ = run_import(config, capsys, "scilifelab", *files)
    assert code == 0 and report is not None
    counts = report["counts"]
    assert counts["fetched"] == 41 + 429 + 1 + 1  # Cryo-EM comes from the labels
    assert (counts["folded"], counts["records"]) == (1, 41 + 1 + 429) and adds_up(counts)
    records = stored(config, "scilifelab")
    cryo = records["cryo-em"]
    cryo_2017 = sum(1 for p in pubs["publications"] if "Cryo-EM" in p["labels"])
    assert cryo.publications_by_year == (YearCount(2017, cryo_2017),)
    assert cryo.types == (TYPE,)
    assert records[later["publications"][0]["iuid"]].title.en == "A corrected title"


def test_bad_publications_and_broken_files(
    config: Config, capsys, tmp_path: Path, folder: Path
) -> None:
    pubs = _load(folder / PUBS_2017)
    broken = copy.deepcopy(pubs)
    items = broken["publications"]
    items[0]["title"] = ["a", "list"]
    items[1]["published"] = "sometime"
    items[2]["labels"] = ["Cryo-EM"]
    del items[3]["iuid"]
    items[4] = 42
    path = _write(tmp_path / "pubs.json", broken)
    code, report, _ = run_import(config, capsys, "scilifelab", path)
    assert code == 0 and report is not None and report["counts"]["quarantined"] == 5
    reasons = {q.location.rsplit(" ", 1)[-1]: q.reason for q in quarantine(config, "scilifelab")}
    assert "title must be a single value" in reasons["1"]
    assert "published is not a date: 'sometime'" in reasons["2"]
    assert "labels must be an object" in reasons["3"]
    assert "a publication needs an iuid" in reasons["4"]
    assert "a publication must be an object" in reasons["5"]
    before = snapshot(config)
    for item in items[5:40]:  # now 40 of 429: past the budget
        item["authors"] = "Somebody"
    code, _, err = run_import(config, capsys, "scilifelab", _write(path, broken))
    # the units the labels name count among the items, so 40 of 429 + 32
    assert code == 4 and "40 of 461 records failed" in err
    truncated = tmp_path / "truncated.json"
    truncated.write_bytes((folder / PUBS_2017).read_bytes()[:100_000])
    code, _, err = run_import(config, capsys, "scilifelab", truncated)
    assert code == 3 and "not valid JSON" in err
    other = _write(tmp_path / "other.json", {"entity": "something else"})
    code, _, err = run_import(config, capsys, "scilifelab", other)
    assert code == 3 and "not a SciLifeLab units, publications or universities file" in err
    assert snapshot(config) == before
