"""Which values of a counted facet a result shows, and in what order.

Counting is ``facets.DocTable``'s; this room decides the list: years newest first, other
facets by count (ties by code); the first ``facet_size`` values (a page may size single
facets, as the subject tree does) and every chosen value beyond them; a facet opened in full
("show all") up to ``MAX_OPEN_FACET`` values, narrowed to the labels that hold the words of
its filter box. SSIF levels nest: a level-3 or level-5 value knows its parent's code.
"""

from __future__ import annotations

from indexer.documents.projects import Labels
from indexer.registry.names import fold
from indexer.service.request import MAX_OPEN_FACET, SearchRequest
from indexer.service.results import FacetValue

PARENT = {"subject3": ("subject1",), "subject5": ("subject3", "subject1")}
_ORDER_BY_VALUE = {"year"}  # chronological, newest first; others by count

Count = tuple[str, int, bool]  # a value's code, its count, whether it is chosen


def listed(
    name: str, counts: list[Count], req: SearchRequest, labels: Labels
) -> tuple[tuple[FacetValue, ...], int]:
    """The values of facet ``name`` to show, and how many more there are."""
    if name in _ORDER_BY_VALUE:
        counts.sort(key=lambda x: x[0], reverse=True)
    else:
        counts.sort(key=lambda x: (-x[1], x[0]))
    size = dict(req.facet_sizes).get(name, req.facet_size)
    if name == req.open_facet:
        size = MAX_OPEN_FACET
        if req.open_match.strip():
            counts = _matching(counts, name, req, labels)
    shown = counts[:size] + [x for x in counts[size:] if x[2]]
    values = tuple(
        FacetValue(v, labels.get(name, v, req.lang), c, sel, parent=parent_code(name, v))
        for v, c, sel in shown
    )
    return values, max(0, len(counts) - len(shown))


def parent_code(name: str, value: str) -> str | None:
    """The SSIF code one level up: ``10201`` -> ``102``, ``102`` -> ``1``."""
    return value[:1] if name == "subject3" else value[:3] if name == "subject5" else None


def _matching(counts: list[Count], name: str, req: SearchRequest, labels: Labels) -> list[Count]:
    """The values whose label (or code) holds every word of the facet's filter text, accents
    and case folded ("goteborg" finds "Göteborgs universitet"); chosen values stay."""
    wanted = fold(req.open_match).split()
    return [
        x
        for x in counts
        if x[2] or all(w in fold(f"{labels.get(name, x[0], req.lang)} {x[0]}") for w in wanted)
    ]
