"""The OpenAPI 3.1 description of the JSON API, served at ``GET /api/v1/openapi.json``.

``spec()`` builds the description as a plain dict from the same constants the code checks
against (``indexer.service.request`` bounds, sorts, statuses and dimensions; the facet names of
``indexer.engine.schema``), so a new sort or facet shows up here by itself. Response schemas mirror
``to_dict()`` of the result objects and of ``Project`` and are closed (no unlisted field);
``tests/test_openapi.py`` validates real answers against them and fuzzes every operation.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify

from indexer.service import (
    FACET_FIELDS,
    FILTERS,
    LANGS,
    MAX_DEPTH,
    MAX_FILTER_VALUES,
    MAX_SIZE,
    SORTS,
    STAT_DIMENSIONS,
    STATUSES,
    VALUE_PATTERN,
    YEAR_PATTERN,
)
from webapp.openapi.downloads import download_parameters, download_paths
from webapp.openapi.ecosystem import (
    ecosystem_parameters,
    ecosystem_schemas,
)
from webapp.openapi.shapes import (
    COUNT,
    JSON,
    NNUM,
    NSTR,
    STR,
    TRUE,
    arr,
    desc,
    enum,
    maybe,
    obj,
    ref,
)
from webapp.openapi.status import status_schemas
from webapp.openapi.texts import PARAM_TEXT
from webapp.stats import MAX_TOP

bp = Blueprint("openapi", __name__, url_prefix="/api/v1")

FACETS = (*FACET_FIELDS, "status")


def _schemas() -> dict[str, Any]:
    row = {"projects": COUNT, "sek": {"type": "number"}}
    table = {
        "dimensions": arr(enum(STAT_DIMENSIONS), minItems=1, maxItems=2),
        "query": STR,
        "filters": ref("Filters"),
        "lang": enum(LANGS),
        "total_projects": COUNT,
        "total_sek": {"type": "number"},
        "note": STR,
        "rows": arr(ref("StatsRow")),
        "rows_total": desc(COUNT, "Rows before `top` cut the table."),
        "links": obj(dict.fromkeys(("html", "csv", "json", "search"), STR)),
    }
    return {
        "Error": obj(
            {
                "ok": {"const": False},
                "status": {"type": "integer", "minimum": 400, "maximum": 599},
                "error": desc(STR, "A stable code, e.g. invalid_request or not_found."),
                "message": desc(STR, "What is wrong, for a person to read."),
            },
            description="The one shape of every error answer.",
        ),
        "OrgName": obj({"id": NSTR, "key": desc(NSTR, "Key of /org/{key}."), "name": NSTR}),
        "PersonName": obj(
            {"key": desc(NSTR, "Key of /person/{key} and the person filter."), "name": STR},
            description="A person who leads a project; no key when the source gives a name alone.",
        ),
        "Hit": obj(
            {
                "uid": desc(STR, "source:id"),
                **dict.fromkeys(("source", "id", "kind", "title"), STR),
                "title_lang": {"type": ["string", "null"], "enum": [*LANGS, None]},
                "coordinator": maybe("OrgName"),
                "funders": arr(ref("OrgName")),
                "start": NSTR,
                "end": NSTR,
                "status": desc(enum((*STATUSES, "")), "A project's status; empty for a facility."),
                "total_sek": NNUM,
                "snippet": desc(STR, 'Escaped text; matches wrapped in <b class="match">.'),
                "score": NNUM,
                "twin_of": NSTR,
                "twins": arr(STR),
                "leaders": arr(ref("PersonName")),
            },
            description="One project in a list of results.",
        ),
        "FacetValue": obj(
            {
                "value": desc(STR, "The code to filter on."),
                "label": STR,
                "count": COUNT,
                "selected": {"type": "boolean"},
                "parent": desc(NSTR, "The code one SSIF level up."),
            }
        ),
        "Facet": obj(
            {
                "name": enum(FACETS),
                "values": arr(ref("FacetValue")),
                "selected": arr(STR),
                "more": desc(COUNT, "Values left out beyond the facet size."),
            }
        ),
        "Filters": obj(
            {
                **dict.fromkeys(FILTERS, arr(STR)),
                "status": arr(enum(STATUSES)),
                "on": {"type": "string", "format": "date"},
                "amount_min": {"type": "number"},
                "amount_max": {"type": "number"},
                "include_twins": TRUE,
            },
            required=(),
            description="The filters in effect, echoed.",
        ),
        "SearchResult": obj(
            {
                "ok": TRUE,
                "query": STR,
                "total": COUNT,
                "page": {"type": "integer", "minimum": 1},
                "size": {"type": "integer", "minimum": 1, "maximum": MAX_SIZE},
                "pages": {"type": "integer", "minimum": 1},
                "sort": enum(SORTS),
                "lang": enum(LANGS),
                "filters": ref("Filters"),
                "did_you_mean": desc(NSTR, "A better spelled query, when few things match."),
                "all_words": desc(
                    {"type": ["integer", "null"], "minimum": 0},
                    "When fewer than 10 documents hold every word of a query of plain words "
                    "(filters aside), the results also hold those with some of its words, "
                    "ranked after the full matches: this many of total hold every word. "
                    "Null when all hits do. "
                    "AND, quotes or + before each word require every word.",
                ),
                "also_searched": desc(
                    arr(obj({"words": STR, "lang": enum(LANGS)})),
                    "Translations of the query's words searched too, at a lower weight "
                    "(translate=false: none).",
                ),
                "took_ms": {"type": "number", "minimum": 0},
                "index_version": NSTR,
                "hits": arr(ref("Hit"), maxItems=MAX_SIZE),
                "facets": obj({n: ref("Facet") for n in FACETS}, required=()),
                "links": {
                    "type": "object",
                    "properties": {
                        "self": STR,
                        "next": desc(NSTR, "The next page; null on the last one."),
                        "walk": desc(STR, "The start of a cursor walk over every hit."),
                        "csv": desc(STR, "The same search as CSV."),
                    },
                    "required": ["self", "next", "walk", "csv"],
                },
            },
            description="One page of a search, with facet counts.",
        ),
        "WalkPage": obj(
            {
                "ok": TRUE,
                "total": COUNT,
                "offset": COUNT,
                "hits": arr(ref("Hit"), maxItems=MAX_SIZE),
                "links": obj({"next": desc(NSTR, "null when the walk is done.")}),
            },
            description="One step of a cursor walk (a search request with `cursor`).",
        ),
        "Text": obj({"sv": NSTR, "en": NSTR}, description="A text in Swedish and English."),
        "OrgRef": obj({"id": NSTR, "name": ref("Text"), "type": ref("Text")}),
        "AwardType": obj({"id": STR, "label": ref("Text")}),
        "Funding": obj(
            {
                "funder": ref("OrgRef"),
                "amount": NNUM,
                "currency": desc(NSTR, "ISO 4217 code of the amount; null without an amount."),
                "year": {"type": ["integer", "null"]},
                "start": NSTR,
                "end": NSTR,
                "award_type": maybe("AwardType"),
                "source_id": NSTR,
            },
            description="One funding decision.",
        ),
        "Person": obj({"name": STR, "role": ref("Text"), "orcid": NSTR, "person_id": NSTR}),
        "Identifier": obj({"type": desc(STR, "Scheme: orgnr, ror, doi, a URI..."), "value": STR}),
        "Ref": obj({"id": NSTR, "name": ref("Text")}, description="A link to another record."),
        "Subject": obj({"code": STR, "label": ref("Text")}),
        "SubjectPath": obj(
            {**{f"level{n}": maybe("Subject") for n in (1, 3, 5)}, "scheme": STR},
            description="A subject at SSIF levels 1, 3 and 5.",
        ),
        "Project": obj(
            {
                "source": STR,
                "source_id": STR,
                "title": ref("Text"),
                "abstract": ref("Text"),
                "start": NSTR,
                "end": NSTR,
                "coordinator": maybe("OrgRef"),
                "fundings": arr(ref("Funding")),
                "award_type": maybe("AwardType"),
                "people": arr(ref("Person")),
                "subjects": arr(ref("SubjectPath")),
                **dict.fromkeys(("source_url", "loaded", "updated"), NSTR),
                "twin_of": desc(NSTR, "Set on the duplicate copy of a twin pair."),
                "twins": arr(STR),
                "acronym": NSTR,
                "keywords": arr(STR),
                "identifiers": arr(ref("Identifier")),
                "facilities": arr(ref("Ref")),
                "kind": STR,
            },
            description="The full record of a project, as harvested and normalised.",
        ),
        "ProjectResponse": obj(
            {
                "ok": TRUE,
                "project": ref("Project"),
                "links": obj({"html": STR, "similar": STR}, additionalProperties=True),
            }
        ),
        "SimilarResponse": obj({"ok": TRUE, "hits": arr(ref("Hit"))}),
        **status_schemas(),
        **ecosystem_schemas(),
        "StatsTable": obj(
            {"ok": TRUE, **table},
            description="Projects and SEK by one or two dimensions, over a search.",
        ),
        "StatsRow": obj(
            row,
            additionalProperties=STR,
            description="Per dimension, `<dimension>` (the code; '' when unknown) and "
            "`<dimension>_label`; then the number of projects and the SEK.",
        ),
    }


def _parameters(max_query: int, page_size: int) -> dict[str, Any]:
    value = {"type": "string", "pattern": VALUE_PATTERN}
    amount = {"type": "number", "minimum": 0, "exclusiveMaximum": 1e15}
    schemas: dict[str, dict[str, Any]] = {
        "q": {"type": "string", "maxLength": max_query},
        "page": {"type": "integer", "minimum": 1, "maximum": MAX_DEPTH, "default": 1},
        "size": {"type": "integer", "minimum": 1, "maximum": MAX_SIZE, "default": page_size},
        "sort": enum(SORTS, default="relevance"),
        "lang": enum(LANGS),
        **dict.fromkeys(FILTERS, arr(value, maxItems=MAX_FILTER_VALUES)),
        "year": arr({"type": "string", "pattern": YEAR_PATTERN}, maxItems=MAX_FILTER_VALUES),
        "status": arr(enum(STATUSES)),
        "on": {"type": "string", "format": "date"},
        "amount_min": amount,
        "amount_max": amount,
        "include_twins": {"type": "boolean", "default": False},
        "translate": {"type": "boolean", "default": True},
        "cursor": {"type": "string", "minLength": 1},
        "top": {"type": "integer", "minimum": 1, "maximum": MAX_TOP},
        "by": arr(enum(STAT_DIMENSIONS), minItems=1, maxItems=2, uniqueItems=True),
        **ecosystem_parameters(),
    }
    extra: dict[str, dict[str, Any]] = {"by": {"required": True}}
    out = {}
    for name, schema in schemas.items():
        query_name = "top" if name == "graph_top" else name
        param = {
            "name": query_name,
            "in": "query",
            "schema": schema,
            "description": PARAM_TEXT[name],
        }
        if schema.get("type") == "array":
            param |= {"style": "form", "explode": True}
        out[name] = param | extra.get(name, {})
    for key, name, example in (
        ("record_source", "source", "swecris"),
        ("record_id", "id", "2019-00037_Formas"),
    ):  # path parameters: "source" is also a filter of the search
        out[key] = {
            "name": name,
            "in": "path",
            "required": True,
            "example": example,
            "schema": {"type": "string", "minLength": 1},
            "description": PARAM_TEXT[key],
        }
    return out | download_parameters()


def _responses() -> dict[str, Any]:
    def error(text: str, **extra: Any) -> dict[str, Any]:
        return {"description": text, "content": {JSON: {"schema": ref("Error")}}, **extra}

    retry = {"schema": {"type": "integer"}, "description": "Seconds to wait."}
    return {
        "BadRequest": error("A parameter or the search text is not valid; the message says why."),
        "NotFound": error("No such record."),
        "Gone": error("The record was withdrawn by its source."),
        "Unavailable": error(
            "No index is published yet, or it cannot be read: try again later.",
            headers={"Retry-After": retry},
        ),
    }


def _get(op: str, summary: str, params: list[str], ok: dict[str, Any], errors: str) -> dict:
    """One GET operation: ``ok`` is the 200 answer, ``errors`` its error codes ("400 503")."""
    names = {"400": "BadRequest", "404": "NotFound", "410": "Gone", "503": "Unavailable"}
    responses = {"200": {"description": ok.pop("description"), "content": {JSON: ok}}}
    responses |= {code: ref(names[code], "responses") for code in errors.split()}
    operation = {"operationId": op, "summary": summary, "responses": responses}
    if params:
        operation["parameters"] = [ref(n, "parameters") for n in params]
    return {"get": operation}


def _paths() -> dict[str, Any]:
    counted = [*FILTERS, "status", "on", "amount_min", "amount_max", "translate"]  # once each
    filters = [*counted, "include_twins"]
    found = {"oneOf": [ref("SearchResult"), ref("WalkPage")]}
    return {
        "/api/v1/search": _get(
            "search",
            "Search projects, with facet counts and links",
            ["q", "page", "size", "sort", "lang", *filters, "cursor"],
            {"schema": found, "description": "A SearchResult, or with cursor a WalkPage."},
            "400 503",
        ),
        "/api/v1/stats": _get(
            "stats",
            "Projects and SEK by one or two dimensions over what a search matches",
            ["by", "top", "q", "lang", *counted],
            {"schema": ref("StatsTable"), "description": "The table (SweCRIS's rules)."},
            "400 503",
        ),
        "/api/v1/ecosystem": _get(
            "ecosystem",
            "Who funds, coordinates, hosts, uses and works on what a search matches",
            ["q", "lang", *counted, "type", "size_by", "graph_top", "min_weight"],
            {"schema": ref("EcosystemResponse"), "description": "Nodes and edges."},
            "400 503",
        ),
        "/api/v1/projects/{source}/{id}": _get(
            "project",
            "One project: the full record",
            ["record_source", "record_id"],
            {"schema": ref("ProjectResponse"), "description": "The record, with links."},
            "404 410 503",
        ),
        "/api/v1/projects/{source}/{id}/similar": _get(
            "similar",
            "Up to ten projects with similar titles and abstracts",
            ["record_source", "record_id", "lang"],
            {"schema": ref("SimilarResponse"), "description": "Most similar first."},
            "400 404 503",
        ),
        "/api/v1/status": _get(
            "status",
            "The index version being served, and the harvest runs per source",
            [],
            {"schema": ref("StatusResponse"), "description": "The version, sources and runs."},
            "503",
        ),
        **download_paths(counted, filters, ["type", "size_by", "graph_top", "min_weight"]),
        "/api/v1/openapi.json": _get(
            "openapi",
            "This description",
            [],
            {"schema": {"type": "object"}, "description": "The OpenAPI 3.1 description."},
            "",
        ),
    }


def spec(max_query: int = 1000, page_size: int = 20) -> dict[str, Any]:
    """The OpenAPI 3.1 description; bounds from the app's settings where they have one."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Research index API",
            "version": "1",
            "summary": "Swedish research projects, their funding, and statistics over them.",
            "description": "Read-only JSON over GET, and the same searches as downloads "
            "(CSV, Atom, GraphML). Unknown parameters are ignored; a known "
            "one outside its schema is a 400, and so is a known one (a parameter of any "
            "operation here) with an empty value (leave it out instead; the web pages read "
            "empty values as absent, the API does not). "
            "Rules the schema cannot state are 400s as well: amount_min above amount_max, "
            f"page x size past {MAX_DEPTH}, a q that is not query syntax, and a cursor that "
            "links did not give. Every error has "
            "one shape (Error): 400 a bad parameter or query, 404 an unknown record, 410 a "
            "withdrawn one, 503 no index yet (with Retry-After).",
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "paths": _paths(),
        "components": {
            "schemas": _schemas(),
            "parameters": _parameters(max_query, page_size),
            "responses": _responses(),
        },
    }


@bp.get("/openapi.json")
def openapi_json() -> Response:
    cfg = current_app.config
    return jsonify(spec(cfg["MAX_QUERY_CHARS"], cfg["PAGE_SIZE"]))
