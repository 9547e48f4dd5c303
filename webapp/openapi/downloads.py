"""The OpenAPI description of the downloads: the CSV, Atom and GraphML forms of searches.

Part of the description ``webapp.openapi.document`` builds. The downloads take the search
parameters of the JSON API (and ``delimiter``, ``part``), answer in their own formats
(``text/csv`` UTF-8 with a BOM and formulas neutralised, ``application/atom+xml``,
``application/graphml+xml``) and their errors in the API's one JSON shape. A CSV export waits
for a free place among the exports being prepared; when none comes it is a 503 with
Retry-After, like a missing index.
"""

from __future__ import annotations

from typing import Any

from webapp.openapi.shapes import enum, ref

CSV, ATOM, GRAPHML = "text/csv", "application/atom+xml", "application/graphml+xml"
DOWNLOAD_PARAM_TEXT = {
    "delimiter": "The CSV's delimiter: comma, or semicolon for a spreadsheet set to Swedish.",
    "part": "Which table of the network: its actors (nodes) or its links (edges).",
    "shape": "long: a row per value (pair); wide: two dimensions as a cross table, the first "
    "down and the second across, with totals (each project once); wide with one by is a 400.",
    "measure": "What the cells of a wide table count: projects or SEK.",
    "org_key": "An organisation's key: its organisation number, e.g. 202100-3054.",
    "person_key": "A person's key: orcid:<ORCID>, else the source's person id.",
}


def download_parameters() -> dict[str, dict[str, Any]]:
    """The parameters only downloads take (the others are the API's)."""
    query = {
        "delimiter": enum(("comma", "semicolon"), default="comma"),
        "part": enum(("nodes", "edges"), default="nodes"),
        "shape": enum(("long", "wide"), default="long"),
        "measure": enum(("projects", "sek"), default="projects"),
    }
    out: dict[str, dict[str, Any]] = {
        name: {
            "name": name,
            "in": "query",
            "schema": schema,
            "description": DOWNLOAD_PARAM_TEXT[name],
        }
        for name, schema in query.items()
    }
    for name, example in (("org_key", "202100-3054"), ("person_key", "orcid:0000-0002-5407-0835")):
        out[name] = {
            "name": "key",
            "in": "path",
            "required": True,
            "example": example,
            "schema": {"type": "string", "pattern": r"^[\w.\-:~]{1,64}$"},
            "description": DOWNLOAD_PARAM_TEXT[name],
        }
    return out


ROWS = {  # the result lists' CSV: how many rows it will hold, before they stream
    "X-Total-Count": {
        "description": "The rows of results (projects, facilities) the file will hold (the cap "
        "at most), sent before they stream",
        "schema": {"type": "integer", "minimum": 0},
    }
}


def _download(
    op: str, summary: str, params: list[str], media: str, errors: str, counted: bool = False
) -> dict:
    names = {"400": "BadRequest", "404": "NotFound", "503": "Unavailable"}
    body = {"schema": {"type": "string"}}
    ok: dict[str, Any] = {"description": summary, "content": {media: body}}
    if counted:
        ok["headers"] = ROWS
    responses: dict[str, Any] = {"200": ok}
    responses |= {code: ref(names[code], "responses") for code in errors.split()}
    return {
        "get": {
            "operationId": op,
            "summary": summary,
            "parameters": [ref(n, "parameters") for n in params],
            "responses": responses,
        }
    }


def download_paths(counted: list[str], filters: list[str], view: list[str]) -> dict[str, Any]:
    """``counted``: the filters of statistics and networks (a twin counts once); ``filters``:
    those of result lists; ``view``: the network's view parameters."""
    return {
        "/search.csv": _download(
            "searchCsv",
            "Every project a search matches, in its order, as CSV (capped; a last row says so)",
            ["q", "lang", "sort", *filters, "delimiter"],
            CSV,
            "400 503",
            counted=True,
        ),
        "/search.atom": _download(
            "searchAtom",
            "An Atom feed of the newest projects a search matches",
            ["q", "lang", *filters],
            ATOM,
            "400 503",
        ),
        "/stats.csv": _download(
            "statsCsv",
            "Projects and SEK by one or two dimensions, as CSV",
            ["by", "top", "q", "lang", *counted, "shape", "measure", "delimiter"],
            CSV,
            "400 503",
        ),
        "/ecosystem.csv": _download(
            "ecosystemCsv",
            "The actors or the links of a search's network, as CSV",
            ["part", "q", "lang", *counted, *view, "delimiter"],
            CSV,
            "400 503",
        ),
        "/ecosystem.graphml": _download(
            "ecosystemGraphml",
            "A search's network as GraphML (for Gephi, Cytoscape or networkx)",
            ["q", "lang", *counted, *view],
            GRAPHML,
            "400 503",
        ),
        "/org/{key}.csv": _download(
            "orgCsv",
            "The projects an organisation coordinates, as CSV",
            ["org_key", "lang", "delimiter"],
            CSV,
            "404 400 503",
            counted=True,
        ),
        "/person/{key}.csv": _download(
            "personCsv",
            "The projects a person is named on, as CSV",
            ["person_key", "lang", "delimiter"],
            CSV,
            "404 400 503",
            counted=True,
        ),
    }
