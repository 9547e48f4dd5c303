"""The search page's filters as the template draws them: facet lists, the subject tree, chips.

A facet is a list of links, each saying whether it adds or removes its value; a long facet
opens in place ("show all": ``open=<facet>``, up to ``MAX_OPEN_FACET`` values, with a filter
box, ``match=``, for its labels); the SSIF subject levels are one tree (areas, their fields,
their subjects) instead of three flat lists; every chosen filter, the amount range and the
status date included, is a chip that removes it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from indexer.service import Facet, SearchResult
from webapp.charts import format_number
from webapp.i18n import current_lang, t
from webapp.params import toggle, with_params

SUBJECTS = ("subject1", "subject3", "subject5")
FILTER_BOX_FROM = 15  # an opened facet with more values than this gets a filter box


def facet_view(
    facet: Facet, pairs: list[tuple[str, str]], opened: str, match: str
) -> dict[str, Any]:
    name = facet.name
    anchor = f"#facet-{name}"
    is_open = name == opened
    # an opened list stays open (with its filter text) while values are picked from it
    kept = pairs
    if is_open:
        kept = [*pairs, ("open", name), *([("match", match)] if match else [])]
    return {
        "name": name,
        "label": t(name),
        "more": facet.more,
        "open": is_open,
        "match": match if is_open else "",
        "filter_box": is_open and (len(facet.values) > FILTER_BOX_FROM or bool(match)),
        "open_url": "?" + urlencode([*pairs, ("open", name)]) + anchor,  # the page stays
        "close_url": "?" + urlencode(pairs) + anchor,
        "values": [
            {
                "value": v.value,
                "label": v.label,
                "count": v.count,
                "selected": v.selected,
                "parent": v.parent,
                "url": toggle(kept, name, v.value) + (anchor if is_open else ""),
            }
            for v in facet.values
        ],
    }


def subject_tree(views: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The SSIF levels' values as one tree: each node a value (its ``facet`` named) with its
    ``children`` and whether it is ``open`` (a value within it is chosen)."""
    nodes: dict[str, dict[str, Any]] = {}  # by code: a level's codes have their own length
    roots: list[dict[str, Any]] = []
    for name in SUBJECTS:  # areas first, so a parent is there before its children
        for v in views[name]["values"] if name in views else []:
            node = nodes[v["value"]] = {**v, "facet": name, "children": [], "open": v["selected"]}
            parent = nodes.get(v["parent"] or "")
            (parent["children"] if parent else roots).append(node)
    for node in reversed(list(nodes.values())):  # children before parents: open upwards
        node["open"] = node["open"] or any(c["open"] for c in node["children"])
    return roots


def chips(
    result: SearchResult,
    pairs: list[tuple[str, str]],
    person_name: Callable[[str], str | None],
) -> list[dict[str, str]]:
    """A chip per chosen filter, each a link that removes it."""
    labels = {(f.name, v.value): v.label for f in result.facets for v in f.values}
    labels.update({("person", v): person_name(v) or v for k, v in pairs if k == "person"})
    out = []
    for name, value in pairs:
        if (name, value) in labels or name == "status":
            label = labels.get((name, value), t(value))
            out.append({"facet": t(name), "label": label, "url": toggle(pairs, name, value)})
        elif name in ("amount_min", "amount_max", "on"):
            if name == "on":
                shown = value
            else:
                shown = f"{format_number(float(value), current_lang())} {t('sek')}"
            label = t(f"chip_{name}").format(value=shown)
            out.append({"facet": "", "label": label, "url": with_params(pairs, **{name: None})})
    return out
