"""MERIL GeoJSON into facilities: the real map, and broken copies of it."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from harvesters.core.config import Config
from harvesters.core.records import Facility
from harvesters.sources.facilities.meril import split_name
from tests.facility_import import adds_up, last_run, quarantine, run_import, snapshot, stored


@pytest.fixture(scope="module")
def meril_file(shared_data: Path) -> Path:
    return shared_data / "facilities" / "meril" / "data_cartography_meril.geojson"


@pytest.fixture(scope="module")
def meril_data(meril_file: Path) -> dict[str, Any]:
    return json.loads(meril_file.read_text(encoding="utf-8"))


def _write(tmp_path: Path, data: dict[str, Any], name: str = "meril.geojson") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_the_real_map(config: Config, capsys, meril_file: Path) -> None:
    code, report, _ = run_import(config, capsys, "meril", meril_file)
    assert code == 0 and report is not None
    counts = report["counts"]
    assert counts["fetched"] == 529 and counts["new"] == 529
    assert counts["quarantined"] == 0 and adds_up(counts)
    records = stored(config, "meril")
    assert all(isinstance(r, Facility) for r in records.values())
    swedish = {r.name.en: r for r in records.values() if r.country == "SE"}
    assert len(swedish) == 12
    max_iv = swedish["MAX IV Laboratory"]
    assert (max_iv.acronym, max_iv.region, max_iv.city) == ("MAX IV", "Skåne", "Lund")
    assert (max_iv.lat, max_iv.lon) == (55.7029, 13.1929)
    assert max_iv.source_id == "max-iv-laboratory-max-iv" and max_iv.source_url is None
    ess = swedish["European Spallation Source"]
    assert ess.acronym == "ESS-Neutrons" and ess.region == "Skåne"
    abisko = swedish["Abisko Scientific Research Station"]
    assert abisko.city is None and abisko.region is None  # its nearest town is Norwegian
    for name in ("Onsala Space Observatory", "Swedish National Infrastructure for Computing"):
        assert name in swedish
    # importing the same file again changes nothing
    code, report, _ = run_import(config, capsys, "meril", meril_file)
    assert code == 0 and report is not None
    assert report["counts"]["unchanged"] == 529 and report["counts"]["new"] == 0
    assert report["counts"]["changed"] == 0


def test_names_and_acronyms() -> None:
    assert split_name("MAX IV Laboratory (MAX IV)") == ("MAX IV Laboratory", "MAX IV")
    assert split_name("European Centre for Medium-Range Weather Forecasts (ECMWF (CEPMMT))") == (
        "European Centre for Medium-Range Weather Forecasts",
        "ECMWF (CEPMMT)",
    )
    assert split_name("PRIO-GRID") == ("PRIO-GRID", None)
    assert split_name("(ABC)") == ("(ABC)", None)


def test_bad_features_are_quarantined_with_their_reason(
    config: Config, capsys, tmp_path: Path, meril_data: dict[str, Any]
) -> None:
    data = copy.deepcopy(meril_data)
    features = data["features"]
    features[0]["properties"]["name"] = ["a", "list"]
    features[1]["geometry"]["coordinates"][1] = "56.3"  # a string
    features[2]["geometry"]["coordinates"][1] = 123.0  # lat out of range
    features[3]["geometry"] = {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}
    del features[4]["properties"]["name"]
    features[5] = "not a feature"
    features.append(copy.deepcopy(features[10]))  # the same name at the same point
    other = copy.deepcopy(features[10])
    other["geometry"]["coordinates"] = [18.0686, 59.3293]  # the same name in Stockholm
    features.append(other)
    code, report, _ = run_import(config, capsys, "meril", _write(tmp_path, data))
    assert code == 0 and report is not None
    counts = report["counts"]
    assert counts["fetched"] == 531 and counts["quarantined"] == 7 and counts["records"] == 524
    assert adds_up(counts)
    reasons = "\n".join(f"{q.location} {q.reason}" for q in quarantine(config, "meril"))
    assert "feature 1: name must be a single value" in reasons
    assert "feature 2: the latitude is a string" in reasons
    assert "feature 3: the latitude 123 is out of range" in reasons
    assert "feature 4: the geometry must be a Point, not LineString" in reasons
    assert "feature 5: the feature has no name" in reasons
    assert "feature 6: a feature must be an object, not str" in reasons
    assert "feature 530: the same name at the same point as" in reasons
    entry = next(q for q in quarantine(config, "meril") if q.location.endswith("feature 3"))
    assert entry.record_id == "infrastructure-for-the-exploration-of-syntax-and-semantics-iness"
    assert b"123.0" in entry.raw
    records = stored(config, "meril")
    twins = sorted(r.source_id for r in records.values() if r.acronym == "IGI")
    assert twins == ["italian-grid-initiative-igi", "italian-grid-initiative-igi-stockholm"]
    assert records["italian-grid-initiative-igi-stockholm"].country == "SE"


def test_a_broken_file_fails_the_run_and_changes_nothing(
    config: Config, capsys, tmp_path: Path, meril_file: Path
) -> None:
    assert run_import(config, capsys, "meril", meril_file)[0] == 0
    before = snapshot(config)
    truncated = tmp_path / "truncated.geojson"
    truncated.write_bytes(meril_file.read_bytes()[:50_000])
    code, report, err = run_import(config, capsys, "meril", truncated)
    assert code == 3 and report is None
    assert "not valid JSON" in err
    assert snapshot(config) == before
    assert last_run(config, "meril").status == "failed"
    not_geojson = _write(tmp_path, {"type": "Feature"}, "feature.geojson")
    assert run_import(config, capsys, "meril", not_geojson)[0] == 3
    assert snapshot(config) == before


def test_past_the_error_budget_nothing_is_committed(
    config: Config, capsys, tmp_path: Path, meril_data: dict[str, Any]
) -> None:
    data = copy.deepcopy(meril_data)
    for feature in data["features"][:40]:  # 40 of 529: over the 5% budget
        feature["geometry"]["coordinates"] = ["east", "north"]
    code, report, err = run_import(config, capsys, "meril", _write(tmp_path, data))
    assert code == 4 and report is None
    assert "40 of 529 records failed" in err
    assert snapshot(config) == (0, 0)
