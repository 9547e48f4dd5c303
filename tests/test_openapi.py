"""The OpenAPI description of /api/v1: it validates, it covers every route, real answers on the
KTH index match their documented schemas, and schemathesis finds no server error.

Schemas are closed (no unlisted field), so a field added to a result object or a record
without documenting it fails here. The fuzzing runs in-process against the Flask app with a
fixed seed and a bounded number of examples per operation.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, settings
from openapi_spec_validator import validate
from schemathesis.checks import positive_data_acceptance

from indexer.service import MAX_DEPTH
from webapp import create_app
from webapp.cli import main

Spec = dict[str, Any]
FUZZ_EXAMPLES = int(os.environ.get("RESEARCH_INDEX_FUZZ_EXAMPLES", "60"))  # per operation


@pytest.fixture(scope="module")
def app(kth_home: Path) -> Flask:
    return create_app({"INDEX_DIR": str(kth_home / "index"), "TESTING": True})


@pytest.fixture(scope="module")
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture(scope="module")
def spec(client: FlaskClient) -> Spec:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.get_json()


def body_schema(spec: Spec, path: str, status: int) -> dict[str, Any]:
    """The documented schema of the JSON body of ``GET path`` answering ``status``."""
    response = spec["paths"][path]["get"]["responses"][str(status)]
    if "$ref" in response:
        response = spec["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    return response["content"]["application/json"]["schema"]


def validator(spec: Spec, schema: dict[str, Any]) -> jsonschema.Draft202012Validator:
    root = {**schema, "components": spec["components"]}
    return jsonschema.Draft202012Validator(
        root, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def component(spec: Spec, name: str) -> jsonschema.Draft202012Validator:
    return validator(spec, {"$ref": f"#/components/schemas/{name}"})


def check(spec: Spec, client: FlaskClient, path: str, url: str, status: int) -> Any:
    """GET ``url``, expect ``status`` and a body valid against the documented schema."""
    response = client.get(url)
    assert response.status_code == status, (url, response.get_data(as_text=True)[:300])
    assert response.mimetype == "application/json", url
    body = response.get_json()
    errors = [e.message for e in validator(spec, body_schema(spec, path, status)).iter_errors(body)]
    assert not errors, (url, errors[:5])
    return body


# -- the description itself ------------------------------------------------------------------


def test_the_description_is_valid_openapi_3_1(spec: Spec) -> None:
    validate(spec)
    assert spec["openapi"].startswith("3.1")


def test_every_api_route_is_documented_and_nothing_else(app: Flask, spec: Spec) -> None:
    """The JSON API, and the downloads (CSV, Atom, GraphML) of the same searches."""
    routes = set()
    for rule in app.url_map.iter_rules():
        download = rule.rule.endswith((".csv", ".atom", ".graphml"))
        if (rule.rule.startswith("/api/v1/") or download) and "GET" in (rule.methods or ()):
            path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
            routes.add(path.replace("{pid}", "{id}"))
    assert routes == set(spec["paths"])
    assert {"/api/v1/search", "/api/v1/stats", "/api/v1/status"} <= routes
    assert {"/search.csv", "/search.atom", "/stats.csv", "/ecosystem.graphml"} <= routes


def test_parameters_carry_the_bounds_of_the_code(spec: Spec) -> None:
    from indexer.service.request import _VALUE, MAX_SIZE, SORTS, STAT_DIMENSIONS

    params = spec["components"]["parameters"]
    assert params["funder"]["schema"]["items"]["pattern"] == _VALUE.pattern
    assert params["size"]["schema"]["maximum"] == MAX_SIZE
    assert params["sort"]["schema"]["enum"] == list(SORTS)
    assert params["by"]["schema"]["items"]["enum"] == list(STAT_DIMENSIONS)
    assert params["by"]["schema"]["maxItems"] == 2 and params["by"]["required"] is True
    assert params["funder"]["explode"] is True  # repeatable: funder=a&funder=b
    assert "'/'" in params["record_id"]["description"]
    search = spec["paths"]["/api/v1/search"]["get"]
    names = {p["$ref"].rsplit("/", 1)[1] for p in search["parameters"]}
    assert {"q", "page", "size", "sort", "lang", "status", "cursor", "funder", "org"} <= names
    for op in spec["paths"].values():
        codes = set(op["get"]["responses"])
        assert "200" in codes and codes <= {"200", "400", "404", "410", "503"}


# -- real answers against their schemas ---------------------------------------------------------

SEARCH, STATS = "/api/v1/search", "/api/v1/stats"
PROJECT, SIMILAR = "/api/v1/projects/{source}/{id}", "/api/v1/projects/{source}/{id}/similar"
FORMAS = "2019-00037_Formas"
CASES = [
    (SEARCH, "/api/v1/search?q=klimat&size=5", 200),
    (
        SEARCH,
        "/api/v1/search?q=klimat&funder=202100-5232&status=ongoing&status=finished&lang=sv"
        "&sort=amount_desc&amount_min=1&amount_max=1e9&include_twins=true",
        200,
    ),
    (SEARCH, "/api/v1/search?subject1=2&year=2020&on=2020-06-30&page=2&size=3", 200),
    (SEARCH, "/api/v1/search?q=zzzxqqnothing", 200),
    (SEARCH, "/api/v1/search?page=200&size=100", 400),
    (SEARCH, "/api/v1/search?q=*", 400),
    (SEARCH, "/api/v1/search?sort=colour", 400),
    (SEARCH, "/api/v1/search?cursor=!!", 400),
    # issue 22, case 4: each of these was a 200, or a 400 the document did not describe
    (SEARCH, "/api/v1/search?year=abc", 400),
    (SEARCH, "/api/v1/search?year=99999", 400),
    (SEARCH, "/api/v1/search?year=-1", 400),
    (SEARCH, "/api/v1/search?on=", 400),
    (SEARCH, "/api/v1/search?include_twins=maybe", 400),
    (SEARCH, "/api/v1/search?include_twins=1", 400),  # a page's checkbox value, not JSON's
    (SEARCH, "/api/v1/search?page=2%0A", 400),  # "$" in a Python pattern allows a final \n
    (SEARCH, "/api/v1/search?year=2020%0A", 400),
    (SEARCH, "/api/v1/search?amount_min=1_000", 400),  # float() reads it
    (SEARCH, "/api/v1/search?amount_min=%205%20", 400),
    (SEARCH, "/api/v1/search?amount_min=5&amount_max=1", 400),
    (SEARCH, "/api/v1/search?access=unknown&size=50", 200),  # facilities: status ""
    (STATS, "/api/v1/stats?by=org&on=", 400),
    (STATS, "/api/v1/stats?by=year&lang=de", 400),
    (STATS, "/api/v1/stats?by=year&top=%205", 400),
    (STATS, "/api/v1/stats?by=year", 200),
    (STATS, "/api/v1/stats?by=funder&by=subject1&q=klimat&lang=sv&top=5", 200),
    (STATS, "/api/v1/stats", 400),
    (STATS, "/api/v1/stats?by=colour", 400),
    (PROJECT, f"/api/v1/projects/swecris/{FORMAS}", 200),
    (PROJECT, "/api/v1/projects/swecris/2025-01169_RJ", 200),
    (PROJECT, "/api/v1/projects/swecris/no/such/id", 404),
    (SIMILAR, f"/api/v1/projects/swecris/{FORMAS}/similar?lang=sv", 200),
    (SIMILAR, "/api/v1/projects/swecris/no%2Fsuch/similar", 404),
    (SIMILAR, f"/api/v1/projects/swecris/{FORMAS}/similar?lang=null&lang=null", 400),
    ("/api/v1/ecosystem", "/api/v1/ecosystem?q=batteri&top=40", 200),
    ("/api/v1/ecosystem", "/api/v1/ecosystem?type=funder&size_by=projects&min_weight=2", 200),
    ("/api/v1/ecosystem", "/api/v1/ecosystem?type=planet", 400),
    ("/api/v1/status", "/api/v1/status", 200),
    ("/api/v1/openapi.json", "/api/v1/openapi.json", 200),
]


DOWNLOADS = [  # path, URL, status, media type
    ("/search.csv", "/search.csv?q=batteri&delimiter=semicolon", 200, "text/csv"),
    ("/search.csv", "/search.csv?delimiter=tab", 400, "application/json"),
    ("/search.atom", "/search.atom?q=batteri&status=ongoing", 200, "application/atom+xml"),
    ("/search.atom", "/search.atom?year=abc", 400, "application/json"),
    ("/stats.csv", "/stats.csv?by=year&by=funder&q=batteri", 200, "text/csv"),
    ("/stats.csv", "/stats.csv?by=year&include_twins=true", 400, "application/json"),
    ("/ecosystem.csv", "/ecosystem.csv?part=edges&q=batteri", 200, "text/csv"),
    ("/ecosystem.graphml", "/ecosystem.graphml?q=batteri&top=40", 200, "application/graphml+xml"),
    ("/org/{key}.csv", "/org/202100-3054.csv?delimiter=semicolon", 200, "text/csv"),
    ("/org/{key}.csv", "/org/000000-0000.csv", 404, "application/json"),
    ("/person/{key}.csv", "/person/orcid:0000-0002-5407-0835.csv", 200, "text/csv"),
    ("/person/{key}.csv", "/person/orcid:0000-0000-0000-0000.csv", 404, "application/json"),
]


def test_the_cases_cover_every_documented_path(spec: Spec) -> None:
    covered = {path for path, _, _ in CASES} | {d[0] for d in DOWNLOADS}
    assert covered == set(spec["paths"])


@pytest.mark.parametrize(
    ("path", "url", "status", "media"), DOWNLOADS, ids=[d[1] for d in DOWNLOADS]
)
def test_downloads_answer_as_documented(
    spec: Spec, client: FlaskClient, path: str, url: str, status: int, media: str
) -> None:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.mimetype == media
    documented = spec["paths"][path]["get"]["responses"][str(status)]
    if "$ref" in documented:  # an error: the API's one shape
        errors = component(spec, "Error").iter_errors(response.get_json())
        assert not list(errors)
    else:
        assert media in documented["content"]


@pytest.mark.parametrize(("path", "url", "status"), CASES, ids=[c[1][8:60] for c in CASES])
def test_real_answers_match_their_schema(
    spec: Spec, client: FlaskClient, path: str, url: str, status: int
) -> None:
    body = check(spec, client, path, url, status)
    if status >= 400:
        assert body["status"] == status and body["message"]
    if "access=unknown" in url:
        assert {h["status"] for h in body["hits"]} == {""} and body["total"] > 0


def test_pages_still_read_empty_values_as_absent(client: FlaskClient) -> None:
    """The API's strictness is its own: an HTML form sends every field, empty ones included."""
    for url in ("/search?q=klimat&on=&year=&amount_min=&lang=", "/stats?by=year&on=&top="):
        assert client.get(url).status_code == 200, url
    assert client.get("/search?year=abc").status_code == 400


def test_search_and_walk_answers_are_told_apart(spec: Spec, client: FlaskClient) -> None:
    page = check(spec, client, SEARCH, "/api/v1/search?q=klimat&size=3", 200)
    assert component(spec, "SearchResult").is_valid(page)
    assert not component(spec, "WalkPage").is_valid(page)
    assert page["facets"] and page["hits"][0]["snippet"]
    step = check(spec, client, SEARCH, page["links"]["walk"], 200)
    assert component(spec, "WalkPage").is_valid(step)
    assert step["offset"] == 0 and len(step["hits"]) == 3
    step = check(spec, client, SEARCH, step["links"]["next"], 200)
    assert step["offset"] == 3
    check(spec, client, SEARCH, page["links"]["next"], 200)


def test_the_schemas_are_not_vacuous(spec: Spec, client: FlaskClient) -> None:
    hit = client.get("/api/v1/search?q=klimat&size=1").get_json()["hits"][0]
    record = client.get(f"/api/v1/projects/swecris/{FORMAS}").get_json()["project"]
    assert component(spec, "Hit").is_valid(hit)
    assert not component(spec, "Hit").is_valid({**hit, "surprise": 1})
    assert not component(spec, "Hit").is_valid({k: v for k, v in hit.items() if k != "title"})
    assert not component(spec, "Hit").is_valid({**hit, "status": "paused"})
    assert component(spec, "Project").is_valid(record)
    assert not component(spec, "Project").is_valid({**record, "fundings": [{"amount": 1}]})
    error = {"ok": False, "status": 404, "error": "not_found", "message": "x"}
    assert component(spec, "Error").is_valid(error)
    assert not component(spec, "Error").is_valid({**error, "ok": True})


def test_other_methods_answer_405_with_allow(spec: Spec, client: FlaskClient) -> None:
    response = client.post("/api/v1/search")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    assert component(spec, "Error").is_valid(response.get_json())


def test_without_an_index_every_operation_answers_503(spec: Spec, tmp_path: Path) -> None:
    client = create_app({"INDEX_DIR": str(tmp_path / "none"), "TESTING": True}).test_client()
    for path, url, status in CASES:
        if status == 200 and path != "/api/v1/openapi.json":
            check(spec, client, path, url, 503)
            assert client.get(url).headers["Retry-After"] == "60"
    assert client.get("/api/v1/openapi.json").status_code == 200


def test_a_withdrawn_project_answers_410_in_the_documented_shape(
    spec: Spec, tmp_path: Path
) -> None:
    rows = [
        {"projectId": f"2020-0000{i}_VR", "projectTitleEn": f"Project {i}", "fundingsSek": 1}
        for i in range(10)
    ]
    home = tmp_path / "home"
    for n, subset in enumerate((rows, rows[1:])):
        path = tmp_path / f"rows{n}.json"
        path.write_text(json.dumps(subset), encoding="utf-8")
        argv = ["--home", str(home), "import", "swecris", str(path), "--complete", "--quiet"]
        assert main(argv) == 0
    assert main(["--home", str(home), "index", "--quiet"]) == 0
    client = create_app({"INDEX_DIR": str(home / "index"), "TESTING": True}).test_client()
    body = check(spec, client, PROJECT, "/api/v1/projects/swecris/2020-00000_VR", 410)
    assert body["error"] == "withdrawn"
    check(spec, client, PROJECT, "/api/v1/projects/swecris/2020-00001_VR", 200)


# -- schemathesis -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def api_schema(app: Flask) -> Any:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    schema.config.generation.update(max_examples=FUZZ_EXAMPLES, deterministic=True)
    return schema


fuzzed = schemathesis.pytest.from_fixture("api_schema")


def _rules_broken(query: dict[str, Any]) -> set[str]:
    """The error codes the document's rules across parameters allow for ``query``."""

    def number(name: str) -> float | None:
        try:
            return float(query[name])
        except (KeyError, TypeError, ValueError):
            return None

    codes = set()
    low, high = number("amount_min"), number("amount_max")
    if low is not None and high is not None and low > high:
        codes.add("invalid_request")
    page, size = number("page") or 1, number("size") or 20
    if page * size > MAX_DEPTH:
        codes.add("invalid_request")
    if query.get("cursor"):
        codes.add("invalid_request")  # opaque: only what links.walk and links.next give
    by = query.get("by")
    if query.get("shape") == "wide" and len(by if isinstance(by, list) else [by]) != 2:
        codes.add("invalid_request")  # a cross table has two dimensions
    if str(query.get("q", "")).strip():
        codes.add("invalid_query")  # search text may be malformed query syntax
    return codes


@fuzzed.parametrize()
@settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_schemathesis_finds_no_server_error_and_no_drift(case: Any) -> None:
    """Every check schemathesis has, the two data checks included (issue 22, case 4): data
    outside the schema must be refused (``on=``, ``lang=null``, ``year=abc`` were answered 200)
    and data inside it accepted. The one exception is a request inside the schema that breaks
    a rule the document states across parameters: it must be a 400 with the rule's error code
    (and for search text, only ever ``invalid_query``)."""
    response = case.call()
    positive = case.meta is not None and case.meta.generation.mode.is_positive
    rules = _rules_broken(case.query or {}) if positive else set()
    if rules and response.status_code == 400:
        assert response.json()["error"] in rules, response.text
        case.validate_response(response, excluded_checks=[positive_data_acceptance])
    else:
        case.validate_response(response)
