"""Facilities in the index: searchable with projects or apart, linked both ways to projects."""

from __future__ import annotations

from pathlib import Path

import pytest

from harvesters.core.records import Facility, Project
from indexer.service.request import SearchRequest
from indexer.service.search import SearchService
from tests.fakes.oai_server import FakeOAI
from webapp import create_app
from webapp.cli import main

EQUIPMENT = "cris:82394874"


@pytest.fixture(scope="module")
def cris_home(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("cris")
    with FakeOAI(shared_data) as fake:
        (home / "sources.toml").write_text(
            f'[sources.cris]\nkind = "oai-cerif"\nbase_url = "{fake.base_url}"\n',
            encoding="utf-8",
        )
        assert main(["--home", str(home), "harvest", "cris", "--quiet"]) == 0
    assert main(["--home", str(home), "index", "--quiet"]) == 0
    return home


@pytest.fixture(scope="module")
def service(cris_home: Path) -> SearchService:
    return SearchService(cris_home / "index")


def _facet(result, name):  # type: ignore[no-untyped-def]
    return {v.value: v for f in result.facets if f.name == name for v in f.values}


def test_one_query_finds_both_kinds_and_a_facet_separates_them(service: SearchService) -> None:
    everything = service.search(SearchRequest())
    kinds = _facet(everything, "kind")
    assert (kinds["project"].count, kinds["facility"].count) == (4, 2)
    assert kinds["facility"].label == "Facilities and equipment"
    aircraft = service.search(SearchRequest(q="SkyArrow"))
    assert aircraft.hits[0].kind == "facility"
    owner = aircraft.hits[0].coordinator
    assert owner is not None
    assert owner.name == "NATIONAL RESEARCH COUNCIL"
    only = service.search(SearchRequest(filters={"kind": ("facility",)}))
    assert only.total == 2
    assert {h.title for h in only.hits} == {
        "SkyArrow 650 TCNS operated by IBIMET CNR",
        "Cessna T207A operated by Freie Universität Berlin",
    }
    assert all(h.status == "" and h.total_sek is None for h in only.hits)


def test_projects_that_use_a_facility(service: SearchService) -> None:
    users = service.search(SearchRequest(filters={"facility": (EQUIPMENT,)}))
    assert [h.id for h in users.hits] == ["Projects/112347"]
    label = _facet(service.search(SearchRequest()), "facility")[EQUIPMENT].label
    assert label == "SkyArrow 650 TCNS operated by IBIMET CNR"
    project = service.get("cris", "Projects/112347")
    assert isinstance(project, Project)
    assert EQUIPMENT.split(":", 1)[1] in {r.id for r in project.facilities}
    facility = service.get("cris", "82394874")
    assert isinstance(facility, Facility)
    assert [r.id for r in facility.used_by] == ["Projects/112347"]


def test_facilities_never_count_in_statistics_or_status(service: SearchService) -> None:
    table = service.stats(SearchRequest(), ("year",))
    assert table.total_projects == 4
    status = _facet(service.search(SearchRequest()), "status")
    assert sum(v.count for v in status.values()) == 4
    ongoing = service.search(SearchRequest(status=("ongoing", "finished", "upcoming")))
    assert {h.kind for h in ongoing.hits} == {"project"}


def test_facility_owner_is_an_organisation_facet(service: SearchService) -> None:
    only = service.search(SearchRequest(filters={"kind": ("facility",)}))
    owners = _facet(only, "org")
    assert owners
    assert all(v.count >= 1 for v in owners.values())


def test_project_uses_equipment_is_visible_on_both_pages(cris_home: Path) -> None:
    client = create_app({"INDEX_DIR": str(cris_home / "index"), "TESTING": True}).test_client()
    facility = client.get("/facility/cris/82394874").get_data(as_text=True)
    assert "<h1>SkyArrow 650 TCNS operated by IBIMET CNR" in facility
    assert (
        'href="/project/cris/Projects/112347">European Facility for Airborne Research' in facility
    )
    assert "NATIONAL RESEARCH COUNCIL" in facility
    owner = facility.split('href="/org/')[1].split('"')[0]  # a CERIF OrgUnit, no org number
    org = client.get(f"/org/{owner}")
    assert org.status_code == 200, owner
    assert "SkyArrow 650 TCNS operated by IBIMET CNR" in org.get_data(as_text=True)
    project = client.get("/project/cris/Projects/112347").get_data(as_text=True)
    assert 'href="/facility/cris/82394874">SkyArrow 650 TCNS operated by IBIMET CNR' in project
    assert 'href="/facility/cris/82394875">Cessna T207A' in project
    moved = client.get("/project/cris/82394874")
    assert moved.status_code == 301
    assert moved.headers["Location"].endswith("/facility/cris/82394874")
    assert client.get("/facility/cris/Projects/112347").status_code == 404
    listing = client.get("/search?kind=facility").get_data(as_text=True)
    assert listing.count('href="/facility/cris/') == 2


def test_uses_links_from_both_sides_reach_the_registry(cris_home: Path) -> None:
    """CERIF says "uses" on the project (Project/Uses) and the registry keeps the link, with
    the project's title, on the facility; the project's page lists the facility by name."""
    from harvesters.core.config import load_config
    from indexer.registry.build import build_registry

    registry = build_registry(load_config(home=cris_home, env={}).store_path, cris_home)
    by_id = {f.source_id: f for f in registry.facilities}
    links = [(x.kind, x.target) for x in by_id["82394874"].links if x.kind == "uses"]
    assert links == [("uses", "cris:Projects/112347")]
    on_project = registry.projects["cris:Projects/112347"]
    assert {x["uid"] for x in on_project} == {"cris:82394874", "cris:82394875"}
    assert registry.report["facilities"] == 2 and registry.report["records"] == 2
