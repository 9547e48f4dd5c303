"""The order of a facility-only search: home first, then relevance weighed by evidence, and a
facility before its parts.

A search that matches facilities only (the "Kind" filter set to facilities, or a query only
facilities answer) is ordered for someone looking for a facility they can use:

1. facilities in ``HOME_COUNTRY`` of ``indexer.registry.documents`` first (a country filter
   shows any other);
2. then by score times the facility's prior (``prior`` there: evidence of use);
3. a facility that is the parent of a part in the results comes just before its first part
   (MAX IV before its beamlines, NGI before its units).

Searches that hold projects keep the plain relevance order.
"""

from __future__ import annotations

from typing import Any

from indexer.service.facets import DocTable


def facility_order(every: list[tuple[int, float]], table: DocTable) -> list[tuple[int, float]]:
    """``every`` (document, score), best first as ranked, in facility order."""
    facts = [table.facts[d] or {} for d, _ in every]
    order = sorted(
        range(len(every)),
        key=lambda i: (not facts[i].get("home"), -every[i][1] * facts[i].get("prior", 1.0)),
    )
    return [every[i] for i in _parents_first(order, facts, table, every)]


def _parents_first(
    order: list[int], facts: list[dict[str, Any]], table: DocTable, every: list[Any]
) -> list[int]:
    at = {table.uids[d]: i for i, (d, _) in enumerate(every)}
    out: list[int] = []
    placed: set[int] = set()
    for i in order:
        chain: list[int] = []
        parent = facts[i].get("parent")
        while parent in at and at[parent] not in placed and at[parent] not in chain:
            chain.append(at[parent])
            parent = facts[at[parent]].get("parent")
        for j in [*reversed(chain), i]:
            if j not in placed:
                placed.add(j)
                out.append(j)
    return out
