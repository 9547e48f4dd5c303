"""URL parameters <-> search requests, shared by the HTML pages, the JSON API and exports.

Every state of a search lives in the query string, so any page can be bookmarked and shared:
``q``, ``page``, ``size``, ``sort``, ``lang``, one parameter per facet (repeatable: ``funder``,
``org``, ``org_type``, ``award``, ``year``, ``subject1``, ``subject3``, ``subject5``),
``status`` (repeatable), ``on``, ``amount_min``, ``amount_max`` and ``include_twins``. Unknown
parameters are ignored; a known one with a bad value raises ``InvalidRequest`` (a 400).
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from werkzeug.datastructures import MultiDict

from indexer.service import FACET_FIELDS, InvalidRequest, SearchRequest

LIST_PARAMS = (*FACET_FIELDS, "status")
SCALAR_PARAMS = (
    "q",
    "page",
    "size",
    "sort",
    "lang",
    "on",
    "amount_min",
    "amount_max",
    "include_twins",
)


def request_from_args(
    args: MultiDict[str, str], lang: str, page_size: int, max_query: int
) -> SearchRequest:
    q = args.get("q", "")
    if len(q) > max_query:
        raise InvalidRequest(f"the search text is {len(q)} characters; at most {max_query}")
    filters: dict[str, tuple[str, ...]] = {}
    for name in FACET_FIELDS:
        values = tuple(v for v in args.getlist(name) if v != "")
        if values:
            filters[name] = values
    return SearchRequest(
        q=q,
        filters=filters,
        status=tuple(v for v in args.getlist("status") if v),
        on=_date(args.get("on")),
        amount_min=_number(args, "amount_min"),
        amount_max=_number(args, "amount_max"),
        include_twins=args.get("include_twins") in ("1", "true", "yes", "on"),
        sort=args.get("sort") or "relevance",
        page=_int(args, "page", 1),
        size=_int(args, "size", page_size),
        lang=lang,
    ).validated()


def _int(args: MultiDict[str, str], name: str, default: int) -> int:
    raw = args.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidRequest(f"{name} must be a whole number, not {raw[:40]!r}") from None
    if abs(value) > 10**9:
        raise InvalidRequest(f"{name} is out of range")
    return value


def _number(args: MultiDict[str, str], name: str) -> float | None:
    raw = args.get(name)
    if raw in (None, ""):
        return None
    try:
        value = float(raw)
    except ValueError:
        raise InvalidRequest(f"{name} must be a number, not {raw[:40]!r}") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise InvalidRequest(f"{name} must be a finite number")
    return value


def _date(raw: str | None) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidRequest(f"on must be a date like 2024-06-30, not {raw[:40]!r}") from None


def state(args: MultiDict[str, str]) -> list[tuple[str, str]]:
    """The known parameters of a URL as ordered pairs (unknown ones dropped)."""
    pairs: list[tuple[str, str]] = []
    for name in SCALAR_PARAMS:
        value = args.get(name)
        if value not in (None, ""):
            pairs.append((name, value))
    for name in LIST_PARAMS:
        pairs.extend((name, v) for v in args.getlist(name) if v != "")
    return pairs


def with_params(pairs: list[tuple[str, str]], **changes: Any) -> str:
    """A query string from ``pairs`` with scalar ``changes`` (None removes); page resets."""
    out = [(k, v) for k, v in pairs if k not in changes and k != "page"]
    for key, value in changes.items():
        if value is not None and value != "":
            out.append((key, str(value)))
    return "?" + urlencode(out) if out else "?"


def toggle(pairs: list[tuple[str, str]], name: str, value: str) -> str:
    """The query string with one facet value switched on or off (page back to 1)."""
    if (name, value) in pairs:
        out = [(k, v) for k, v in pairs if (k, v) != (name, value) and k != "page"]
        if name == "subject1":  # removing an area also removes its groups and subjects
            out = [
                (k, v)
                for k, v in out
                if not (k in ("subject3", "subject5") and v.startswith(value))
            ]
        elif name == "subject3":
            out = [(k, v) for k, v in out if not (k == "subject5" and v.startswith(value))]
    else:
        out = [(k, v) for k, v in pairs if k != "page"] + [(name, value)]
    return "?" + urlencode(out) if out else "?"


def without_filters(pairs: list[tuple[str, str]]) -> str:
    out = [(k, v) for k, v in pairs if k in ("q", "sort", "lang", "size")]
    return "?" + urlencode(out) if out else "?"
