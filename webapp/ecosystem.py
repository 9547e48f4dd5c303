"""The ecosystem of a search: the page ``GET /ecosystem`` and its data, ``GET /api/v1/ecosystem``,
``/ecosystem.graphml`` and ``/ecosystem.csv`` (``part=nodes`` or ``part=edges``).

The page draws the network in the browser (``static/ecosystem.js`` with Cytoscape.js, served
from this site: ``static/vendor``) from the JSON of the same URL state, and shows the same
actors and links as tables that work without JavaScript; every actor links to its page
(``node_url``).

Each takes the parameters of ``/search`` (the same URL state: query, facets, status...) and
the view's own: ``type`` (repeatable: organisation, funder, facility, person, subject; all by
default), ``size_by`` (``sek`` or ``projects``: which weight ranks the nodes for the cut),
``top`` (the heaviest nodes kept, 300 by default) and ``min_weight`` (the least weight of an
edge shown). The three answer the same nodes and edges (``indexer.service.ecosystem`` says
what they mean); the JSON also says what the cut left out, and links to the other two.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from flask import Blueprint, Response, current_app, jsonify, render_template, request

from indexer.service import (
    ECOSYSTEM_MAX_TOP,
    ECOSYSTEM_TOP,
    NODE_TYPES,
    EcoNode,
    Ecosystem,
    InvalidRequest,
    edge_rows,
    graphml,
    node_rows,
)
from webapp.charts import format_number
from webapp.exports import csv_response, export_request
from webapp.i18n import current_lang, t
from webapp.params import refuse_twins, state, whole_number, with_params
from webapp.people import person_url
from webapp.service import search_service

bp = Blueprint("ecosystem", __name__)

VIEW_PARAMS = ("type", "size_by", "top", "min_weight")


def view_pairs() -> list[tuple[str, str]]:
    """The view's own parameters of this URL, in order."""
    return [(k, v) for k in VIEW_PARAMS for v in request.args.getlist(k) if v != ""]


def current_ecosystem(strict: bool = True) -> Ecosystem:
    """The ecosystem of this URL; ``strict``: ``include_twins`` is a 400 (a network counts a
    twin project once), else it is dropped (a page reached from a search with it)."""
    args = request.args
    if strict:
        refuse_twins(args, "Networks")
    raw_top, raw_min = args.get("top"), args.get("min_weight")
    return search_service(current_app).ecosystem(
        export_request(current_lang(), drop=("page", "size", "include_twins", *VIEW_PARAMS)),
        types=tuple(dict.fromkeys(kind for kind in args.getlist("type") if kind)),
        size=args.get("size_by") or "sek",
        top=whole_number("top", raw_top) if raw_top else ECOSYSTEM_TOP,
        min_weight=whole_number("min_weight", raw_min) if raw_min else 1,
    )


def _links() -> dict[str, str]:
    counted = [(k, v) for k, v in state(request.args) if k != "include_twins"]
    pairs = counted + view_pairs()
    return {
        "self": "/api/v1/ecosystem" + with_params(pairs),
        "graphml": "/ecosystem.graphml" + with_params(pairs),
        "nodes_csv": "/ecosystem.csv" + with_params(pairs, part="nodes"),
        "edges_csv": "/ecosystem.csv" + with_params(pairs, part="edges"),
        "search": "/search" + with_params(state(request.args)),
    }


def node_url(node: EcoNode) -> str:
    """The page of an actor: an organisation's, a funder's, a facility's, a person's; a
    subject group's is the search for it."""
    if node.type == "organisation":
        return "/org/" + quote(node.key, safe="")
    if node.type == "facility":
        source, _, source_id = node.key.partition(":")
        return f"/facility/{quote(source, safe='')}/{quote(source_id)}"
    if node.type == "funder":
        return "/funder/" + quote(node.key, safe="")
    if node.type == "person":
        return person_url(node.key) or ""
    return "/search?" + urlencode({"subject3": node.key})


def _as_dict(eco: Ecosystem) -> dict[str, Any]:
    data = eco.to_dict()
    for node, out in zip(eco.nodes, data["nodes"], strict=True):
        out["url"] = node_url(node)
    return data


@bp.get("/api/v1/ecosystem")
def ecosystem_json() -> Response:
    data: dict[str, Any] = {"ok": True, **_as_dict(current_ecosystem()), "links": _links()}
    return jsonify(data)


@bp.get("/ecosystem")
def ecosystem_page() -> str:
    eco = current_ecosystem(strict=False)
    labels = {n.id: n.label for n in eco.nodes}
    nodes_out, edges_out = eco.left_out
    figures = {
        "shown": len(eco.nodes),
        "total": eco.total_nodes,
        "edges": len(eco.edges),
        "all_edges": eco.total_edges,
        "nodes_out": nodes_out,
        "edges_out": edges_out,
    }
    cut = t("eco_cut" if nodes_out or edges_out else "eco_all").format(**figures)
    pairs = state(request.args)
    return render_template(
        "ecosystem.html",
        eco=eco,
        nodes=[(n, node_url(n), format_number(n.sek, current_lang())) for n in eco.nodes],
        edges=[
            (e, labels[e.source], labels[e.target], format_number(e.sek, current_lang()))
            for e in eco.edges
        ],
        cut=cut,
        links=_links(),
        node_types=NODE_TYPES,
        max_top=ECOSYSTEM_MAX_TOP,
        hidden=pairs,
        search_url="/search" + with_params(pairs),
        lang_url="/ecosystem"
        + with_params(pairs + view_pairs(), lang="en" if current_lang() == "sv" else "sv"),
    )


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
