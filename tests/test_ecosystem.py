"""The ecosystem of a search (issue 18, first part): the graph from the stored facts of the KTH
data, its view (types, weights, the top-N cut) and its three forms, JSON, GraphML and CSV,
which hold the same nodes and edges; funder and organisation weights agree with the
statistics of the same search."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from flask.testing import FlaskClient

from indexer.service import SearchRequest, SearchService
from webapp import create_app


@pytest.fixture(scope="module")
def client(kth_home: Path) -> FlaskClient:
    app = create_app({"INDEX_DIR": str(kth_home / "index"), "TESTING": True})
    return app.test_client()


def graph_of(client: FlaskClient, query: str) -> dict[str, Any]:
    response = client.get("/api/v1/ecosystem?" + query)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    data: dict[str, Any] = response.get_json()
    return data


def test_a_search_draws_funders_organisations_people_and_subjects(client: FlaskClient) -> None:
    eco = graph_of(client, "q=batteri")
    types = {n["type"] for n in eco["nodes"]}
    assert {"funder", "organisation", "person", "subject"} <= types
    kinds = {e["kind"] for e in eco["edges"]}
    assert {"funds", "coordinates", "leads"} <= kinds
    ids = [n["id"] for n in eco["nodes"]]
    assert len(ids) == len(set(ids))
    for e in eco["edges"]:
        assert e["source"] in ids and e["target"] in ids
        assert e["weight"] >= 1
    kth = next(n for n in eco["nodes"] if n["id"] == "organisation:202100-3054")
    assert kth["label"] == "KTH, Royal Institute of Technology" and kth["projects"] > 5
    funds = [e for e in eco["edges"] if e["kind"] == "funds"]
    assert all(e["source"].startswith("funder:") for e in funds)
    assert all(e["projects"] and e["projects"][0].startswith("swecris:") for e in funds)
    leads = [e for e in eco["edges"] if e["kind"] == "leads"]
    assert all(e["source"].startswith("person:") for e in leads)


def test_weights_agree_with_the_statistics(client: FlaskClient, kth_service: SearchService) -> None:
    """A funder's node: the projects it funded among the matches and the SEK it granted to
    them, as the statistics by funder count them; an organisation's and a subject group's:
    their projects and SEK (a project's SEK split across its subject paths)."""
    eco = graph_of(client, "q=batteri&top=2000")
    for node_type, dimension in (
        ("funder", "funder"),
        ("organisation", "org"),
        ("subject", "subject3"),
    ):
        nodes = {n["key"]: n for n in eco["nodes"] if n["type"] == node_type}
        rows = [r for r in kth_service.stats(SearchRequest(q="batteri"), (dimension,)).rows]
        known = [r for r in rows if r.keys[0]]  # the statistics' "Unknown" is no actor
        assert nodes and len(nodes) == len(known), node_type
        for row in known:
            node = nodes[row.keys[0]]
            assert node["projects"] == row.projects, (node_type, row.keys)
            assert node["sek"] == pytest.approx(row.sek, abs=0.01), (node_type, row.keys)


def test_graphml_csv_and_json_hold_the_same_nodes_and_edges(client: FlaskClient) -> None:
    eco = graph_of(client, "q=batteri&top=60")
    nodes = {n["id"]: n for n in eco["nodes"]}
    edges = {(e["source"], e["target"], e["kind"]): e for e in eco["edges"]}
    assert eco["links"]["graphml"] == "/ecosystem.graphml?q=batteri&top=60"

    response = client.get(eco["links"]["graphml"])
    assert response.status_code == 200 and response.mimetype == "application/graphml+xml"
    ids = re.findall(rb"<edge [^>]*\bid=\"([^\"]*)\"", response.get_data())
    assert len(ids) == len(edges) == len(set(ids))  # Gephi drops an edge whose id repeats
    g = nx.read_graphml(io.BytesIO(response.get_data()), force_multigraph=True)
    assert set(g.nodes) == set(nodes)
    assert {(a, b, d["kind"]) for a, b, d in g.edges(data=True)} == set(edges)
    for nid, d in g.nodes(data=True):
        assert d["label"] == nodes[nid]["label"] and d["projects"] == nodes[nid]["projects"]
    for a, b, d in g.edges(data=True):
        assert d["weight"] == edges[(a, b, d["kind"])]["weight"]
        assert (d.get("projects") or "") == ";".join(edges[(a, b, d["kind"])]["projects"])

    node_csv = _rows(client.get(eco["links"]["nodes_csv"]).get_data())
    assert node_csv[0] == ["id", "type", "key", "label", "projects", "sek"]
    assert {r[0] for r in node_csv[1:]} == set(nodes)
    edge_csv = _rows(client.get(eco["links"]["edges_csv"]).get_data())
    assert edge_csv[0] == ["source", "target", "kind", "weight", "sek", "projects"]
    assert {(r[0], r[1], r[2]) for r in edge_csv[1:]} == set(edges)


def _rows(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_the_cut_keeps_the_heaviest_and_says_what_it_left_out(client: FlaskClient) -> None:
    whole = graph_of(client, "q=batteri&top=2000")
    cut = graph_of(client, "q=batteri&top=5")
    assert len(cut["nodes"]) == 5
    by_sek = sorted(whole["nodes"], key=lambda n: (-n["sek"], -n["projects"], n["id"]))
    assert [n["id"] for n in cut["nodes"]] == [n["id"] for n in by_sek[:5]]
    kept = {n["id"] for n in cut["nodes"]}
    assert all(e["source"] in kept and e["target"] in kept for e in cut["edges"])
    assert cut["total_nodes"] == whole["total_nodes"] == len(whole["nodes"])
    assert cut["left_out"] == {
        "nodes": cut["total_nodes"] - 5,
        "edges": cut["total_edges"] - len(cut["edges"]),
    }
    by_count = graph_of(client, "q=batteri&top=5&size_by=projects")
    assert [n["projects"] for n in by_count["nodes"]] == sorted(
        (n["projects"] for n in whole["nodes"]), reverse=True
    )[:5]


def test_types_and_the_least_weight_filter(client: FlaskClient) -> None:
    only = graph_of(client, "q=batteri&type=funder&type=organisation&top=2000")
    assert {n["type"] for n in only["nodes"]} == {"funder", "organisation"}
    assert {e["kind"] for e in only["edges"]} <= {"funds", "shares-people", "shares-facility"}
    whole = graph_of(client, "q=batteri&top=2000")
    strong = graph_of(client, "q=batteri&min_weight=3&top=2000")
    assert strong["edges"] and all(e["weight"] >= 3 for e in strong["edges"])
    assert len(strong["edges"]) < len(whole["edges"])
    linked = {n for e in strong["edges"] for n in (e["source"], e["target"])}
    had = {n for e in whole["edges"] for n in (e["source"], e["target"])}
    assert {n["id"] for n in strong["nodes"]} == linked | ({n["id"] for n in whole["nodes"]} - had)
    funders = graph_of(client, "q=batteri&type=funder&min_weight=2")  # no edge among funders:
    assert {n["type"] for n in funders["nodes"]} == {"funder"}  # none lost one, all stay


def test_facilities_join_with_the_organisations_that_host_them(client: FlaskClient) -> None:
    """Facilities of the registry (here the KTH data's infrastructure grants) are actors:
    a search for facilities draws them with their owners."""
    eco = graph_of(client, "kind=facility&top=2000")
    facilities = {n["id"] for n in eco["nodes"] if n["type"] == "facility"}
    assert len(facilities) > 10
    hosts = [e for e in eco["edges"] if e["kind"] == "hosts"]
    assert {e["target"] for e in hosts} == facilities
    agata = "facility:swecris:infrastructure-agata"
    assert ("organisation:202100-3054", agata) in {(e["source"], e["target"]) for e in hosts}


def test_the_url_state_of_search_narrows_the_graph(client: FlaskClient) -> None:
    """The same parameters as /search: a funder filter leaves that funder alone."""
    every = graph_of(client, "q=batteri&top=2000")
    one = graph_of(client, "q=batteri&funder=202100-5208&top=2000")
    assert len({n["key"] for n in every["nodes"] if n["type"] == "funder"}) > 1
    assert {n["key"] for n in one["nodes"] if n["type"] == "funder"} == {"202100-5208"}
    assert one["filters"] == {"funder": ["202100-5208"]}
    assert one["total_nodes"] < every["total_nodes"]


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("/api/v1/ecosystem?type=planet", "type must be one of"),
        ("/api/v1/ecosystem?size_by=colour", "size_by must be sek or projects"),
        ("/api/v1/ecosystem?top=0", "top must be between 1 and 2000"),
        ("/api/v1/ecosystem?top=abc", "top must be a whole number"),
        ("/api/v1/ecosystem?min_weight=0", "min_weight must be a whole number from 1"),
        ("/ecosystem.csv?part=middle", "part must be nodes or edges"),
        ("/ecosystem.graphml?q=*", "A lone * would match everything"),
    ],
)
def test_bad_view_parameters_are_400(client: FlaskClient, url: str, words: str) -> None:
    response = client.get(url)
    assert response.status_code == 400 and words in response.get_json()["message"]


def test_every_actor_links_to_a_page_that_answers(client: FlaskClient) -> None:
    """The page of each actor (organisation, facility) or the search for it (funder, subject,
    person) answers, and finds something."""
    eco = graph_of(client, "q=batteri&top=60")
    eco["nodes"] += graph_of(client, "kind=facility&top=3&type=facility")["nodes"]
    assert {n["type"] for n in eco["nodes"]} == {
        "organisation",
        "funder",
        "facility",
        "person",
        "subject",
    }
    for node in eco["nodes"]:
        response = client.get(node["url"])
        assert response.status_code == 200, node
        if node["url"].startswith("/search"):
            assert b'data-testid="total"' in response.data
            assert not re.search(rb'data-testid="total">\s*0<', response.data), node
