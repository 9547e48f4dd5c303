"""The ecosystem of a search as data: ``GET /api/v1/ecosystem``, ``/ecosystem.graphml`` and
``/ecosystem.csv`` (``part=nodes`` or ``part=edges``).

Each takes the parameters of ``/search`` (the same URL state: query, facets, status...) and
the view's own: ``type`` (repeatable: organisation, funder, facility, person, subject; all by
default), ``size_by`` (``sek`` or ``projects``: which weight ranks the nodes for the cut),
``top`` (the heaviest nodes kept, 300 by default) and ``min_weight`` (the least weight of an
edge shown). The three answer the same nodes and edges (``indexer.service.ecosystem`` says
what they mean); the JSON also says what the cut left out, and links to the other two.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from indexer.service import (
    ECOSYSTEM_TOP,
    Ecosystem,
    InvalidRequest,
    edge_rows,
    graphml,
    node_rows,
)
from webapp.exports import csv_response, export_request
from webapp.i18n import current_lang
from webapp.params import state, whole_number, with_params
from webapp.service import search_service

bp = Blueprint("ecosystem", __name__)

VIEW_PARAMS = ("type", "size_by", "top", "min_weight")


def view_pairs() -> list[tuple[str, str]]:
    """The view's own parameters of this URL, in order."""
    return [(k, v) for k in VIEW_PARAMS for v in request.args.getlist(k) if v != ""]


def current_ecosystem() -> Ecosystem:
    args = request.args
    raw_top, raw_min = args.get("top"), args.get("min_weight")
    return search_service(current_app).ecosystem(
        export_request(current_lang(), drop=("page", "size", *VIEW_PARAMS)),
        types=tuple(dict.fromkeys(t for t in args.getlist("type") if t)),
        size=args.get("size_by") or "sek",
        top=whole_number("top", raw_top) if raw_top else ECOSYSTEM_TOP,
        min_weight=whole_number("min_weight", raw_min) if raw_min else 1,
    )


def _links() -> dict[str, str]:
    pairs = state(request.args) + view_pairs()
    return {
        "self": "/api/v1/ecosystem" + with_params(pairs),
        "graphml": "/ecosystem.graphml" + with_params(pairs),
        "nodes_csv": "/ecosystem.csv" + with_params(pairs, part="nodes"),
        "edges_csv": "/ecosystem.csv" + with_params(pairs, part="edges"),
        "search": "/search" + with_params(state(request.args)),
    }


@bp.get("/api/v1/ecosystem")
def ecosystem_json() -> Response:
    data: dict[str, Any] = {"ok": True, **current_ecosystem().to_dict(), "links": _links()}
    return jsonify(data)


@bp.get("/ecosystem.graphml")
def ecosystem_graphml() -> Response:
    text = "\n".join(graphml(current_ecosystem()))
    response = Response(text, mimetype="application/graphml+xml")
    name = "research-index-ecosystem.graphml"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.get("/ecosystem.csv")
def ecosystem_csv() -> Response:
    part = request.args.get("part") or "nodes"
    if part not in ("nodes", "edges"):
        raise InvalidRequest(f"part must be nodes or edges, not {part[:20]!r}")
    eco = current_ecosystem()
    rows = node_rows(eco) if part == "nodes" else edge_rows(eco)
    return csv_response(rows, f"research-index-ecosystem-{part}.csv")
