"""People as actors (issue 18): the person filter, /person/<key> pages, project leaders in
results, names that link, the "people named so" box, CERIF person records with their
affiliations, and the organisation page's people and the facilities its projects use.

The KTH checks count a person's projects straight from the export files (the ``¤``-packed
``involvedPeople`` column), not through the code under test."""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from indexer.service import SearchRequest, SearchService
from indexer.service import ecosystem as ecosystems
from indexer.service.people import People
from webapp import create_app

MING_XIAO = "orcid:0000-0002-5407-0835"
HOUSSOS = "orcid:0000-0002-5277-285X"  # a CERIF Person affiliated with OrgUnits/312347
EKT = "OrgUnits~312347"  # the National Documentation Centre (Greece), in the CERIF sample
KTH = "202100-3054"


@pytest.fixture(scope="module")
def client(kth_home: Path) -> FlaskClient:
    return create_app({"INDEX_DIR": str(kth_home / "index"), "TESTING": True}).test_client()


@pytest.fixture(scope="module")
def full_client(full_home: Path) -> FlaskClient:
    app = create_app({"INDEX_DIR": str(full_home / "index"), "HOME_DIR": str(full_home)})
    return app.test_client()


@pytest.fixture(scope="module")
def named_in_exports(kth_exports: list[Path]) -> dict[str, set[str]]:
    """Person key -> the project ids whose rows name them, read from the export files."""
    found: dict[str, set[str]] = defaultdict(set)
    for path in kth_exports:
        with path.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh, delimiter=";"):
                for chunk in (row["involvedPeople"] or "").split("¤¤¤"):
                    parts = (chunk.split("¤") + [""] * 6)[:6]
                    person_id, _name, orcid = parts[0].strip(), parts[1], parts[2].strip()
                    key = f"orcid:{orcid}" if orcid else f"swecris-{person_id}"
                    if orcid or person_id:
                        found[key].add(row["projectId"])
    return found


def _api_ids(client: FlaskClient, key: str) -> set[str]:
    answer = client.get(f"/api/v1/search?person={key}&include_twins=true&size=100").get_json()
    assert answer["total"] <= 100
    return {h["id"] for h in answer["hits"]}


def test_the_person_filter_finds_exactly_the_projects_that_name_the_person(
    client: FlaskClient, named_in_exports: dict[str, set[str]]
) -> None:
    assert _api_ids(client, MING_XIAO) == named_in_exports[MING_XIAO]
    assert len(named_in_exports[MING_XIAO]) == 11  # 8 projects, 3 of them with twin copies
    busiest = sorted(named_in_exports, key=lambda k: -len(named_in_exports[k]))[:3]
    for key in busiest + ["swecris-67298"]:  # the busiest, and one known by SweCRIS's id
        assert _api_ids(client, key) == named_in_exports[key], key
    assert client.get("/api/v1/search?person=orcid:0000-0000-0000-0000").get_json()["total"] == 0
    bad = client.get("/api/v1/search?person=%3Cscript%3E")
    assert bad.status_code == 400 and "person value" in bad.get_json()["message"]


def test_a_project_leaders_page_lists_their_projects_with_role_and_period(
    client: FlaskClient, named_in_exports: dict[str, set[str]], kth_service: SearchService
) -> None:
    hits = kth_service.search(SearchRequest(q="batteri")).hits
    first = next(h for h in hits if h.leaders)  # Energimyndigheten's projects name no one
    leader = first.leaders[0]
    assert leader.key
    html = client.get(f"/person/{leader.key}?lang=en").get_data(as_text=True)
    assert f"<h1>{leader.name}</h1>" in html
    listed = set(re.findall(r'<h3><a href="/project/swecris/([^"]+)">', html))
    assert first.id in listed
    canonical = {
        h.id for h in kth_service.iter_hits(SearchRequest(filters={"person": (leader.key,)}))
    }
    assert listed == canonical <= named_in_exports[leader.key]
    assert 'data-testid="person-role">Principal Investigator<' in html
    assert f"{first.start} – {first.end}" in html
    total = re.search(r'data-testid="person-total">(\d+)<', html)
    assert total and int(total.group(1)) == len(canonical)
    for dim in ("year", "org", "funder"):
        assert f'data-dim="{dim}"' in html
    assert f'href="/search?person={leader.key.replace(":", "%3A")}"' in html
    assert f'href="/ecosystem?person={leader.key.replace(":", "%3A")}"' in html
    exported = client.get(f"/person/{leader.key}.csv")
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    rows = csv.DictReader(exported.get_data(as_text=True).lstrip("\ufeff").splitlines(True))
    ids = {row["id"] for row in rows}
    assert ids == canonical


def test_person_pages_show_orcid_coworkers_and_answer_404_for_nobody(
    client: FlaskClient,
) -> None:
    html = client.get(f"/person/{MING_XIAO}?lang=en").get_data(as_text=True)
    assert 'href="https://orcid.org/0000-0002-5407-0835"' in html
    assert "leads 8" in html
    coworkers = re.findall(r'<li><a href="(/person/[^"]+)">', html)
    assert coworkers  # everyone else on their projects, each with a page of their own
    for url in coworkers:
        assert client.get(url).status_code == 200, url
    bare = client.get("/person/0000-0002-5407-0835")
    assert bare.status_code == 301 and bare.headers["Location"].endswith(f"/person/{MING_XIAO}")
    assert client.get("/person/orcid:0000-0000-0000-0000").status_code == 404
    assert client.get("/person/%3Cscript%3E").status_code == 404
    assert client.get(f"/person/{MING_XIAO}?page=99").status_code == 400


def test_results_show_the_project_leader_and_names_link_to_person_pages(
    client: FlaskClient,
) -> None:
    search = client.get("/search?q=batteri&lang=en").get_data(as_text=True)
    assert re.search(r'data-testid="leaders">Project leaders?: <a href="/person/[^"]+">', search)
    api = client.get("/api/v1/search?q=batteri&size=5").get_json()
    assert any(h["leaders"] for h in api["hits"])
    assert all(p["key"] and p["name"] for h in api["hits"] for p in h["leaders"])
    project = client.get("/project/swecris/2019-00037_Formas?lang=en").get_data(as_text=True)
    rows = re.findall(r"<tr( class=\"lead\")?><td><a href=\"/person/[^\"]+\">", project)
    assert rows and rows[0] == ' class="lead"'  # the leader first, then the others
    filtered = client.get(f"/search?person={MING_XIAO}&lang=en").get_data(as_text=True)
    assert 'aria-label="Remove filter: Person Ming Xiao"' in filtered


def test_a_search_for_a_name_offers_the_people_so_named(client: FlaskClient) -> None:
    html = client.get("/search?q=ming+xiao&lang=en").get_data(as_text=True)
    box = re.search(r'data-testid="people-named">(.*?)</p>', html)
    # the link keeps the search, for the person page's way back to it
    assert box and f'<a href="/person/{MING_XIAO}?back=q%3Dming%2Bxiao">Ming Xiao</a> (8)' in (
        box.group(1)
    )
    folded = client.get("/search?q=XIAO+ming&lang=en").get_data(as_text=True)
    assert f'href="/person/{MING_XIAO}?back=' in folded  # any order, any case
    assert 'data-testid="people-named"' not in client.get("/search?q=batteri").get_data(
        as_text=True
    )


def test_cerif_persons_have_pages_and_their_organisations_list_them(
    full_client: FlaskClient, full_home: Path
) -> None:
    html = full_client.get(f"/person/{HOUSSOS}?lang=en").get_data(as_text=True)
    assert "<h1>Nikos Houssos</h1>" in html
    assert f'<a href="/org/{EKT}">National Documentation Centre</a>' in html
    assert "F-8684-2012" in html  # the ResearcherID the record gives
    assert 'data-testid="person-no-projects"' in html
    org = full_client.get(f"/org/{EKT}?lang=en").get_data(as_text=True)
    assert "<h1>National Documentation Centre</h1>" in org
    assert f'<li><a href="/person/{HOUSSOS}">Nikos Houssos</a></li>' in org
    assert 'data-testid="org-total"' not in org  # it coordinates nothing: no empty tables
    store = (full_home / "records.sqlite3").as_posix()
    import sqlite3

    with sqlite3.connect(store) as db:
        rows = db.execute("SELECT data FROM records WHERE kind = 'person'").fetchall()
    assert len(rows) == 19
    for (data,) in rows:  # every CERIF person has a page
        orcid = re.search(r'"orcid":"([^"]+)"', data)
        sid = re.search(r'"source_id":"([^"]+)"', data)
        assert sid
        key = f"orcid:{orcid.group(1)}" if orcid else f"openaire-cerif-{sid.group(1)}"
        key = key.replace("/", "~")
        assert full_client.get(f"/person/{key}").status_code == 200, key


def test_an_affiliation_is_a_works_at_link_in_the_ecosystem(kth_service: SearchService) -> None:
    v = kth_service._current()
    records = {
        "orcid:0000-0001-0000-0001": {
            "name": "Ada Example",
            "affiliations": [{"key": KTH, "name": {"sv": None, "en": "KTH"}}],
        }
    }
    people = People.load(v.table.facts, records)
    req = SearchRequest(q="batteri")
    docs = kth_service._match(req.validated(), ranked=False).final
    g = ecosystems.graph(v.table, docs, v.labels, "en", people)
    edge = g.get_edge_data("person:orcid:0000-0001-0000-0001", f"organisation:{KTH}")
    assert edge and edge["works-at"]["weight"] == 1
    assert g.nodes["person:orcid:0000-0001-0000-0001"]["label"] == "Ada Example"
    without = ecosystems.graph(v.table, docs, v.labels, "en", v.people)
    assert "person:orcid:0000-0001-0000-0001" not in without


def test_an_organisation_lists_its_active_people_and_the_facilities_its_projects_use(
    client: FlaskClient, full_client: FlaskClient, full_home: Path
) -> None:
    html = client.get(f"/org/{KTH}?lang=en").get_data(as_text=True)
    people = re.findall(
        r'<li><a href="/person/([^"]+)">[^<]+</a> · (\d+) projects(?: \((\d+) led\))?</li>', html
    )
    assert len(people) == 20
    led = [int(n or 0) for _, _, n in people]
    assert led == sorted(led, reverse=True) and led[0] > 10
    key, on, _ = people[0]
    both = client.get(f"/api/v1/search?org={KTH}&person={key}").get_json()["total"]
    assert both == int(on)  # their projects coordinated by KTH

    service = SearchService(full_home / "index")
    full = full_client.get(f"/org/{KTH}?lang=en").get_data(as_text=True)
    used = re.findall(
        r'<li><a href="(/facility/[^"]+)">[^<]+</a> · (\d+) projects</li>',
        full[full.index('data-testid="org-uses"') :],
    )
    assert used
    counts: dict[str, int] = defaultdict(int)  # the facilities of each KTH project's page
    for hit in service.iter_hits(SearchRequest(filters={"org": (KTH,), "kind": ("project",)})):
        for f in service.project_facilities(hit.source, hit.id, "en"):
            counts[f"/facility/{f.source}/{f.id}"] += 1
    for url, n in used:
        assert counts[url.replace("%3A", ":")] == int(n), url
        assert full_client.get(url).status_code == 200


def test_a_person_named_only_on_twin_copies_has_a_page_of_those_copies(
    client: FlaskClient, kth_service: SearchService
) -> None:
    v = kth_service._current()
    canonical, live = v.table.live_canonical, v.table.live
    only_twins = [
        k
        for k, docs in v.people.docs.items()
        if docs and not any(d in canonical for d in docs) and any(d in live for d in docs)
    ]
    assert only_twins  # SweCRIS names some people on one copy of an RJ/Vinnova twin only
    key = only_twins[0]
    html = client.get(f"/person/{key}?lang=en").get_data(as_text=True)
    listed = re.findall(r'<h3><a href="/project/swecris/([^"]+)">', html)
    twins = {uid.split(":", 1)[1] for d in v.people.docs[key] if (uid := v.table.uids[d])}
    assert listed and set(listed) == twins
    assert client.get(f"/person/{key}.csv").status_code == 200
    assert 'data-testid="person-network"' not in html and 'data-dim="year"' not in html
    for url in set(re.findall(r'href="(/[^"]*)"', html)):  # every link on the page answers
        if not url.startswith("/static/"):
            assert client.get(url.replace("&amp;", "&")).status_code == 200, url
    named = kth_service.people_named(v.people.names[key])
    assert any(p.key == key and p.projects == len(twins) for p in named)


def test_every_person_key_fits_a_filter_value_and_an_address() -> None:
    from harvesters.core.records import Person
    from indexer.documents.projects import person_key
    from indexer.service import SearchRequest as Request

    odd = Person("N. N.", person_id="https://cris.example.org/persons/" + "x" * 80 + "?a=1&b=2")
    key = person_key("some-cris", odd)
    assert key and re.fullmatch(r"some-cris-h[0-9a-f]{16}", key)
    assert key == person_key("some-cris", odd)  # stable
    Request(filters={"person": (key,)}).validated()  # no InvalidRequest
    assert person_key("swecris", Person("A", person_id="43471")) == "swecris-43471"
    assert person_key("x", Person("A", orcid="0000-0002-5407-0835")) == MING_XIAO


def test_two_records_of_one_orcid_are_one_person(tmp_path: Path) -> None:
    from harvesters.core.records import Identifier, PersonRecord, Ref, Text
    from harvesters.store.database import RecordStore, RunCounts
    from indexer.building.people import load_people, save_people

    store = RecordStore(tmp_path / "records.sqlite3")
    ada = "0000-0001-0000-0001"
    a = PersonRecord(
        "cris-a", "P1", "Ada Example", orcid=ada, affiliations=(Ref("OrgUnits/1", Text(en="A")),)
    )
    b = PersonRecord(
        "cris-b",
        "77",
        "Ada Example",
        orcid=ada,
        identifiers=(Identifier("scopus", "123"),),
        affiliations=(Ref("OrgUnits/2", Text(en="B")),),
    )
    for record in (a, b):
        run = store.begin_run(record.source, "import")
        store.commit_run(run, record.source, [record], [], RunCounts(), True, [])
    store.close()
    assert save_people(tmp_path, tmp_path / "records.sqlite3") == 1
    entry = load_people(tmp_path)["orcid:0000-0001-0000-0001"]
    assert entry["sources"] == ["cris-a", "cris-b"]
    assert [x["key"] for x in entry["affiliations"]] == ["OrgUnits~1", "OrgUnits~2"]
    assert entry["identifiers"] == [["scopus", "123"]]
    assert load_people(tmp_path / "nowhere") == {}  # a version built before people.json


def test_person_pages_refuse_bad_page_numbers(client: FlaskClient) -> None:
    for page in ("0", "abc", "-1", "99"):
        answer = client.get(f"/person/{MING_XIAO}?page={page}")
        assert answer.status_code == 400, page
    lower = client.get("/person/orcid:0000-0002-9907-117x")  # an ORCID's X, in either case
    assert lower.status_code == 301
    assert lower.headers["Location"].endswith("/person/orcid:0000-0002-9907-117X")
