"""The OpenAPI schemas and parameters of ``GET /api/v1/ecosystem``: actors and their links.

Part of the description ``webapp.openapi.document`` builds, from the shapes of ``shapes`` and
the constants of ``indexer.service`` (node types, edge kinds, the bounds of the cut), so the
document follows the code.
"""

from __future__ import annotations

from typing import Any

from indexer.service import (
    ECOSYSTEM_MAX_TOP,
    ECOSYSTEM_TOP,
    EDGE_KINDS,
    LANGS,
    NODE_TYPES,
    SIZES,
)
from webapp.openapi.shapes import COUNT, STR, TRUE, arr, desc, enum, obj, ref

ECOSYSTEM_PARAM_TEXT = {
    "type": "Only actors of these types (repeat for more); all by default.",
    "size_by": "The weight that ranks actors for the top-N cut.",
    "graph_top": "Keep the heaviest actors and the edges between them.",
    "min_weight": "Only edges at least this heavy (projects; people or facilities for "
    "shares-*), and only the nodes that keep an edge.",
}


def ecosystem_schemas() -> dict[str, Any]:
    return {
        "EcoNode": obj(
            {
                "id": desc(STR, "`<type>:<key>`, e.g. funder:202100-5208."),
                "type": enum(NODE_TYPES),
                "key": desc(STR, "An org number, facility uid, person key or SSIF code."),
                "label": STR,
                "projects": desc(COUNT, "Matching projects the actor takes part in."),
                "sek": desc({"type": "number"}, "Their SEK (a funder's: what it granted)."),
                "url": desc(STR, "The actor's page on this site (or the search for it)."),
            },
            description="An actor of the ecosystem.",
        ),
        "EcoEdge": obj(
            {
                "source": STR,
                "target": STR,
                "kind": enum(EDGE_KINDS),
                "weight": desc(
                    COUNT,
                    "Projects behind it; for shares-* the people or facilities shared; a "
                    "hosts edge weighs the projects that use the facility, at least 1.",
                ),
                "sek": {"type": "number"},
                "projects": desc(arr(STR), "The first of the projects' uids (source:id)."),
            },
            description="A link between two actors, with the projects behind it.",
        ),
        "EcosystemResponse": obj(
            {
                "ok": TRUE,
                "query": STR,
                "filters": ref("Filters"),
                "lang": enum(LANGS),
                "size_by": enum(SIZES),
                "types": arr(enum(NODE_TYPES)),
                "top": COUNT,
                "min_weight": COUNT,
                "nodes": arr(ref("EcoNode")),
                "edges": arr(ref("EcoEdge")),
                "total_nodes": desc(COUNT, "Nodes before the top-N cut."),
                "total_edges": desc(COUNT, "Edges before the top-N cut."),
                "left_out": obj({"nodes": COUNT, "edges": COUNT}),
                "links": obj(
                    dict.fromkeys(("self", "graphml", "nodes_csv", "edges_csv", "search"), STR)
                ),
            },
            description="Who funds, coordinates, hosts, uses and works on what a search "
            "matches: the heaviest nodes and the edges between them.",
        ),
    }


def ecosystem_parameters() -> dict[str, dict[str, Any]]:
    return {
        "type": arr(enum(NODE_TYPES)),
        "size_by": enum(SIZES, default="sek"),
        "graph_top": {
            "type": "integer",
            "minimum": 1,
            "maximum": ECOSYSTEM_MAX_TOP,
            "default": ECOSYSTEM_TOP,
        },
        "min_weight": {"type": "integer", "minimum": 1, "maximum": 10**6, "default": 1},
    }
