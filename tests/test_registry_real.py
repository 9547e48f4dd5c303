"""The facility registry on the whole shared data set, as ``up --from ../shared/data`` serves
it: how many facilities and where from, what a company finds, the MAX IV page with its
evidence, the access filter, and the precision of mention links on a judged sample."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from harvesters.core.records import Facility
from indexer.service.request import SearchRequest
from indexer.service.search import SearchService
from webapp import create_app

JUDGED = Path(__file__).resolve().parent / "data" / "mention_judgments.csv"
FACILITIES = {"kind": ("facility",)}


@pytest.fixture(scope="module")
def service(full_home: Path) -> SearchService:
    return SearchService(full_home / "index")


@pytest.fixture(scope="module")
def client(full_home: Path) -> FlaskClient:
    app = create_app({"INDEX_DIR": str(full_home / "index"), "HOME_DIR": str(full_home)})
    app.config["TESTING"] = True
    return app.test_client()


def test_the_default_data_serves_facilities_by_country_and_source(
    service: SearchService, client: FlaskClient
) -> None:
    facilities = service.count(SearchRequest(filters=FACILITIES))
    assert facilities >= 100
    registry = client.get("/api/v1/status").get_json()["index"]["facilities"]
    assert registry["facilities"] == facilities
    assert registry["by_country"]["SE"] >= 50
    assert set(registry["by_source"]) >= {
        "meril",
        "esfri",
        "lightsources",
        "scilifelab",
        "swecris",
        "stockholm-life-science",
        "openaire-cerif",
    }
    assert registry["records"] + registry["grants"] > registry["facilities"]  # merges happened
    page = client.get("/status").get_data(as_text=True)
    assert 'data-testid="facilities-by-country"' in page and ">Sweden</a>" in page
    assert 'data-testid="facilities-by-source"' in page and "MERIL (European research" in page


@pytest.mark.parametrize(
    ("query", "wanted"),
    [
        ("cellterapi", "Vecura"),
        ("cellterapi", "Karolinska ATMP Center"),
        ("cell therapy", "Vecura"),
        ("cell therapy", "Karolinska ATMP Center"),
        ("synkrotron", "MAX IV Laboratory"),
        ("synchrotron", "MAX IV Laboratory"),
        ("sekvensering", "National Genomics Infrastructure"),
        ("sequencing", "National Genomics Infrastructure"),
        ("nanofabrication", "Myfab"),
        ("neutron", "European Spallation Source"),
    ],
)
def test_a_company_finds_the_facility_among_the_first_five(
    service: SearchService, query: str, wanted: str
) -> None:
    result = service.search(SearchRequest(q=query, filters=FACILITIES, size=5))
    assert wanted in [h.title for h in result.hits], [h.title for h in result.hits]


def test_one_max_iv_from_three_sources_with_its_projects_and_evidence(
    service: SearchService, client: FlaskClient
) -> None:
    found = service.search(SearchRequest(q='"MAX IV"', filters=FACILITIES, size=1)).hits[0]
    f = service.get(found.source, found.id)
    assert isinstance(f, Facility)
    sources = {m.id.split(":", 1)[0] for m in f.members if m.id}
    assert {"meril", "lightsources", "swecris"} <= sources
    assert (f.country, f.region, f.city) == ("SE", "Skåne", f.city) and f.city
    assert len(f.parts) >= 5  # beamlines
    linked = [x for x in f.links if x.kind in ("uses", "mentions")]
    assert len(linked) >= 20
    assert all(x.evidence and "MAX" in x.evidence for x in linked if x.kind == "mentions")
    html = client.get(f"/facility/{f.source}/{f.source_id}").get_data(as_text=True)
    assert int(html.split('data-testid="project-count">')[1].split("<")[0]) == len(linked)
    assert html.count('class="evidence"') >= 20
    # the light-source record's own address leads to the merged facility
    moved = client.get("/facility/lightsources/max-iv")
    assert moved.status_code == 301
    assert moved.headers["Location"].endswith(f"/facility/{f.source}/{f.source_id}")


def test_the_access_filter_narrows_to_facilities_open_to_companies(
    service: SearchService,
) -> None:
    every = service.search(SearchRequest(filters=FACILITIES))
    access = {v.value: v.count for f in every.facets if f.name == "access" for v in f.values}
    companies = service.search(
        SearchRequest(filters={**FACILITIES, "access": ("companies",)}, size=100)
    )
    assert 0 < companies.total == access["companies"] < every.total
    assert all(h.record["access_for"] in ("companies", "both") for h in companies.hits)
    assert "Vecura" in {h.title for h in companies.hits}
    assert "Karolinska ATMP Center" not in {h.title for h in companies.hits}  # academia


def test_a_project_page_names_its_facilities_and_credits_its_source(
    client: FlaskClient, service: SearchService
) -> None:
    html = client.get("/project/swecris/2020-06154_VR").get_data(as_text=True)
    assert ">MAX IV Laboratory</a>" in html
    assert "Data from SweCRIS (Swedish Research Council)." in html
    ess = client.get("/facility/meril/european-spallation-source-ess-neutrons")
    assert ess.status_code == 301  # merged with the ESFRI record, which ranks first
    text = client.get(ess.headers["Location"]).get_data(as_text=True)
    assert "Data from ESFRI roadmap 2016, MERIL (European research infrastructures)." in text
    assert "SweCRIS</a>" not in text


def test_mention_links_are_precise_on_the_judged_sample(full_home: Path) -> None:
    """Each judged link is a (facility, project) pair a person read with its evidence; the
    registry of today's data must still make at least 100 of them, and at least 90% of those
    it makes must be judged right."""
    from harvesters.core.config import load_config
    from indexer.registry.build import build_registry

    registry = build_registry(load_config(home=full_home, env={}).store_path, full_home)
    made = {
        (f"{f.source}:{f.source_id}", link.target)
        for f in registry.facilities
        for link in f.links
        if link.kind == "mentions"
    }
    with JUDGED.open(encoding="utf-8") as fh:
        judged = [(row["facility"], row["project"], row["judgement"]) for row in csv.DictReader(fh)]
    assert len(judged) >= 100
    present = [j for f, p, j in judged if (f, p) in made]
    assert len(present) >= 100, f"only {len(present)} judged links are still made"
    precision = sum(j == "1" for j in present) / len(present)
    assert precision >= 0.9, f"precision {precision:.3f} on {len(present)} judged links"


def test_counts_feeds_and_the_command_line_name_facilities_as_facilities(
    client: FlaskClient, full_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from webapp.cli import main

    page = client.get("/search?q=synkrotron&kind=facility").get_data(as_text=True)
    assert '<span data-testid="noun">facilities</span>' in page
    mixed = client.get("/search?q=synkrotron").get_data(as_text=True)
    assert '<span data-testid="noun">results</span>' in mixed
    feed = client.get("/search.atom?q=synkrotron&kind=facility").get_data(as_text=True)
    assert "/facility/" in feed and "/project/" not in feed
    assert "? – open-ended" not in feed
    capsys.readouterr()
    code = main(["--home", str(full_home), "search", "synkrotron", "--kind", "facility"])
    out = capsys.readouterr().out
    assert code == 0 and re.match(r"\d+ facilities, showing 1-10", out), out
    assert "[facility]" in out and "MAX IV Laboratory" in out


def test_organisations_without_an_org_number_have_pages(client: FlaskClient) -> None:
    """A Working Lab's owner, Akademiska Hus, has no org number in the list: its page lists
    the facility (and no project)."""
    html = client.get("/facility/stockholm-life-science/a-working-lab").get_data(as_text=True)
    key = html.split('href="/org/')[1].split('"')[0]
    assert key.startswith("name-")
    org = client.get(f"/org/{key}")
    assert org.status_code == 200
    assert "A Working Lab" in org.get_data(as_text=True)


def test_facilities_by_source_count_each_facility_once(client: FlaskClient) -> None:
    registry = client.get("/api/v1/status").get_json()["index"]["facilities"]
    for source, n in registry["by_source"].items():
        found = client.get(f"/api/v1/search?kind=facility&source={source}&size=1").get_json()
        assert found["total"] == n, source


def test_the_csv_of_a_facility_search_says_what_each_row_is(client: FlaskClient) -> None:
    text = client.get("/search.csv?q=synkrotron&kind=facility").get_data(as_text=True)
    rows = list(csv.reader(text.lstrip("\ufeff").splitlines()))
    header = rows[0]
    assert header[-3:] == ["kind", "country", "access_for"]
    assert {r[header.index("kind")] for r in rows[1:]} == {"facility"}
    assert "SE" in {r[header.index("country")] for r in rows[1:]}
