"""Light sources and beamlines of the XAS Data Library, all files in one run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from harvesters.core.config import Config
from harvesters.core.records import Ref, Text
from harvesters.sources.facilities.lightsources import BEAMLINE, FEL, SYNCHROTRON
from tests.facility_import import adds_up, quarantine, run_import, snapshot, stored

FILES = (
    "synchrotrons.json",
    "fels.json",
    "Europe.json",
    "Americas.json",
    "Asia.json",
    "lightsources.org.json",
    "names.json",
)


@pytest.fixture(scope="module")
def xas(shared_data: Path) -> Path:
    return shared_data / "facilities" / "xas-data-library"


def test_the_whole_folder(config: Config, capsys, xas: Path) -> None:
    code, report, _ = run_import(config, capsys, "lightsources", *(xas / f for f in FILES))
    assert code == 0 and report is not None
    counts = report["counts"]
    # 55 synchrotrons + 18 FELs + 181 beamlines + 77 lightsources.org entries, of which 71
    # add to a light source (folded) and 6 are facilities of their own
    assert counts["fetched"] == 55 + 18 + 53 + 64 + 64 + 77
    assert (counts["records"], counts["folded"], counts["quarantined"]) == (260, 71, 0)
    assert adds_up(counts)
    records = stored(config, "lightsources")
    max_iv = records["max-iv"]
    assert max_iv.name == Text(en="MAX IV Laboratory") and max_iv.acronym == "MAX IV"
    assert "MAXLAB" in max_iv.aliases
    assert (max_iv.city, max_iv.country, max_iv.region) == ("Lund", "SE", "Skåne")
    assert max_iv.types == (SYNCHROTRON,) and max_iv.access_for == "unknown"
    assert max_iv.url == "http://www.maxlab.lu.se/" and max_iv.contact == "maxlab@maxlab.lu.se"
    beamlines = [r for r in records.values() if r.part_of and r.part_of.id == "max-iv"]
    assert sorted(r.name.en for r in beamlines) == [
        "D1011",
        "I1011",
        "I311",
        "I411",
        "I511",
        "I811",
    ]
    i811 = records["max-iv.i811"]
    assert i811.part_of == Ref("max-iv", Text(en="MAX IV Laboratory"))
    assert i811.types == (BEAMLINE,) and (i811.country, i811.city) == ("SE", "Lund")
    assert i811.description.en == (
        "Beamline I811 of MAX IV Laboratory. Purpose: General purpose XAFS. Energy range: "
        "2.3 - 20 keV. Flux: 10^11 - 10^12 photons/s. Beam size: 0.5 x 0.5 mm. "
        "Status: Operational."
    )
    b18 = records["diamond.b18"]
    assert (b18.name.en, b18.acronym) == ("Core XAFS", "B18")
    assert records["flash"].types == (FEL,) and records["flash"].city == "Hamburg"
    assert records["as"].name.en == "Australian Synchrotron"  # matched without abbreviation
    assert records["ssrl"].city == "Menlo Park" and records["ssrl"].region == "California"
    own = {k for k, r in records.items() if not r.types}
    assert own == {"imp", "kipt", "spfel", "cnm", "cfn", "foundry"}  # no category
    assert records["cnm"].contact == "apsuser@aps.anl.gov"
    assert "<br" not in json.dumps([r.to_dict() for r in records.values()])  # no HTML kept
    assert sum(1 for r in records.values() if r.types == (BEAMLINE,)) == 181
    code, report, _ = run_import(config, capsys, "lightsources", *(xas / f for f in FILES))
    assert code == 0 and report is not None
    assert (report["counts"]["unchanged"], report["counts"]["changed"]) == (260, 0)


def test_missing_files_take_away_only_what_they_say(
    config: Config, capsys, xas: Path, tmp_path: Path
) -> None:
    code, report, _ = run_import(config, capsys, "lightsources", xas / "Europe.json")
    assert code == 0 and report is not None and report["counts"]["records"] == 53
    i811 = stored(config, "lightsources")["max-iv.i811"]
    assert i811.part_of == Ref("max-iv", Text(en="MAX IV"))  # the key, no table to name it
    assert i811.country is None
    files = [xas / f for f in FILES if f not in ("lightsources.org.json", "names.json")]
    code, report, _ = run_import(config, capsys, "lightsources", *files)
    assert code == 0 and report is not None
    assert report["counts"]["records"] == 55 + 18 + 181 and report["counts"]["folded"] == 0
    records = stored(config, "lightsources")
    assert records["max-iv"].aliases == ()
    assert records["max-iv.i811"].country == "SE"  # the same id, now with its country
    only_lso = tmp_path / "lso"
    only_lso.mkdir()
    shutil.copy(xas / "lightsources.org.json", only_lso)
    code, report, _ = run_import(config, capsys, "lightsources", only_lso / "lightsources.org.json")
    assert code == 0 and report is not None and report["counts"]["records"] == 77
    assert "max-iv" in stored(config, "lightsources")  # the same id as from the table


def test_bad_entries_and_broken_files(config: Config, capsys, xas: Path, tmp_path: Path) -> None:
    table = json.loads((xas / "synchrotrons.json").read_text(encoding="utf-8"))
    table["ALBA"]["fullname"] = ["ALBA", "CELLS"]
    table["ALS"] = "not an object"
    synchrotrons = tmp_path / "synchrotrons.json"
    synchrotrons.write_text(json.dumps(table), encoding="utf-8")
    fels = json.loads((xas / "fels.json").read_text(encoding="utf-8"))
    fels["MAX IV"] = {"fullname": "MAX IV again", "country": "Sweden"}  # a key used twice
    fels_path = tmp_path / "fels.json"
    fels_path.write_text(json.dumps(fels), encoding="utf-8")
    beamlines = [xas / f for f in ("Europe.json", "Americas.json", "Asia.json")]
    code, report, _ = run_import(
        config, capsys, "lightsources", synchrotrons, fels_path, *beamlines
    )
    assert code == 0 and report is not None
    assert report["counts"]["quarantined"] == 3 and adds_up(report["counts"])
    reasons = {q.record_id: q.reason for q in quarantine(config, "lightsources")}
    assert "fullname must be a single value" in reasons["alba"]
    assert "an entry must be an object" in reasons["als"]
    assert "listed twice" in reasons["max-iv"]
    before = snapshot(config)
    truncated = tmp_path / "Europe.json"
    truncated.write_bytes((xas / "Europe.json").read_bytes()[:3000])
    code, _, err = run_import(config, capsys, "lightsources", xas / "synchrotrons.json", truncated)
    assert code == 3 and "not valid JSON" in err
    other = tmp_path / "other.json"
    other.write_text('{"a": 1}', encoding="utf-8")
    code, _, err = run_import(config, capsys, "lightsources", other)
    assert code == 3 and "not a light-source file" in err
    assert snapshot(config) == before
