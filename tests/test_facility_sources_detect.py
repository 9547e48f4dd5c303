"""Facility formats recognised by content, and the source kinds that import them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from harvesters.core.config import Config
from harvesters.core.sources import FILE_KINDS, load_sources
from harvesters.sources.saved_files import NOT_READ, classify
from indexer.operations.update import NOT_HARVESTED
from webapp.cli import main

EXPECTED = {
    "meril/data_cartography_meril.geojson": "meril",
    "meril/esfri.csv": "esfri",
    "xas-data-library/synchrotrons.json": "lightsources",
    "xas-data-library/fels.json": "lightsources",
    "xas-data-library/Europe.json": "lightsources",
    "xas-data-library/Americas.json": "lightsources",
    "xas-data-library/Asia.json": "lightsources",
    "xas-data-library/lightsources.org.json": "lightsources",
    "xas-data-library/names.json": "lightsources",
    "scilifelab-publications/DERIVED_infrastructure_units_from_labels.json": "scilifelab",
    "scilifelab-publications/scilifelab_publications_2016.json": "scilifelab",
    "stockholm-life-science/facilities.csv": "facility-list",
}


def test_every_facility_file_is_recognised_by_its_content(
    shared_data: Path, tmp_path: Path
) -> None:
    facilities = shared_data / "facilities"
    renamed = []
    for n, rel in enumerate(EXPECTED):  # names say nothing: every copy is "file-N.dat"
        target = tmp_path / f"file-{n}.dat"
        shutil.copy(facilities / rel, target)
        renamed.append(target)
    saved = classify(renamed)
    found = {p.label: kind for kind, payloads in saved.facilities.items() for p in payloads}
    assert found == {f"file:file-{n}.dat": kind for n, kind in enumerate(EXPECTED.values())}
    assert not saved.skipped and not saved.swecris and not saved.cerif


def test_other_files_are_skipped_and_the_known_kinds_stay(shared_data: Path) -> None:
    files = [
        shared_data / "facilities" / "scilifelab-publications" / "universities.csv",
        shared_data / "facilities" / "meril" / "MERIL_README.md",
        shared_data / "ssif" / "ssif2011_research_subjects.json",
        shared_data / "swecris" / "c2b2_marine_projects_2019on.json",
        shared_data / "openaire-cerif" / "openaire_cerif_xml_example_equipments.xml",
    ]
    saved = classify(files)
    assert saved.skipped == files[:3]
    assert all(saved.reasons[p] == NOT_READ for p in files[:3])
    assert len(saved.swecris) == 1 and len(saved.cerif) == 1 and not saved.facilities


def test_the_file_kinds_are_configured_and_never_harvested(config: Config, capsys) -> None:
    sources = load_sources(config, environ={})
    for name in ("meril", "esfri", "lightsources", "scilifelab"):
        assert sources[name].kind == name and sources[name].enabled
    assert set(NOT_HARVESTED) == set(FILE_KINDS)
    assert main(["--home", str(config.home), "harvest", "meril"]) == 6
    assert "research-index import meril FILE" in capsys.readouterr().err


@pytest.mark.parametrize("kind", ["meril", "esfri", "lightsources", "scilifelab"])
def test_a_file_kind_needs_no_base_url(config: Config, tmp_path: Path, kind: str) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(f'[sources.mine]\nkind = "{kind}"\n', encoding="utf-8")
    sources = load_sources(config, environ={"RESEARCH_INDEX_SOURCES": str(path)})
    assert sources["mine"].kind == kind
