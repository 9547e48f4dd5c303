"""URL parameters <-> search requests, shared by the HTML pages, the JSON API and exports.

Every state of a search lives in the query string, so any page can be bookmarked and shared:
``q``, ``page``, ``size``, ``sort``, ``lang``, one parameter per facet (repeatable: ``funder``,
``org``, ``org_type``, ``award``, ``year``, ``subject1``, ``subject3``, ``subject5``...), the
``person`` filter (a person's key: their projects), ``status`` (repeatable), ``on``,
``amount_min``, ``amount_max``, ``include_twins`` and ``translate`` (``false``: search only the
words typed, not their Swedish/English translations too). Unknown parameters are ignored; a known
one with a bad value raises ``InvalidRequest`` (a 400).

Pages read an empty value as absent (an HTML form sends every field) and an unknown ``lang`` as
no choice; the JSON API is stricter (``check_api_args``), as its OpenAPI document says: an empty
value or an unknown language is a 400, since a program that sends ``on=`` has a bug worth
telling.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from urllib.parse import urlencode

from werkzeug.datastructures import MultiDict

from indexer.service import FILTERS, LANGS, InvalidRequest, SearchRequest

LIST_PARAMS = (*FILTERS, "status")
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
    "translate",
)

# what the API reads beyond a search: statistics, the walk, the ecosystem's view, downloads
API_PARAMS = (
    *SCALAR_PARAMS,
    *LIST_PARAMS,
    *("by", "top", "cursor", "type", "size_by", "min_weight", "delimiter", "part"),
    *("shape", "measure"),
)
_WHOLE = re.compile(r"[+-]?[0-9]{1,18}")  # not int()'s " 5" or "1_000"
_NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # not fromisoformat's 20240630 or 2024-W01
_YES, _NO = ("1", "true", "yes", "on"), ("", "0", "false", "no", "off")


def check_api_args(args: MultiDict[str, str]) -> None:
    """The API's stricter reading of the parameters ``request_from_args`` also reads."""
    for name in API_PARAMS:
        if name != "q" and "" in args.getlist(name):
            raise InvalidRequest(f"{name} is empty: leave the parameter out, or give it a value")
    for lang in args.getlist("lang"):
        if lang not in LANGS:
            raise InvalidRequest(f"lang must be one of {', '.join(LANGS)}, not {lang[:40]!r}")
    for name in ("include_twins", "translate"):
        for flag in args.getlist(name):
            if flag not in ("true", "false"):  # a JSON boolean; pages also take 1, yes and on
                raise InvalidRequest(f"{name} must be true or false, not {flag[:40]!r}")


ONCE = (
    "{what} count each project once, as SweCRIS does: the duplicate copy of an RJ/Vinnova "
    "twin project never counts, so include_twins applies to result lists only"
)


def refuse_twins(args: MultiDict[str, str], what: str) -> None:
    """A 400 for ``include_twins`` where a twin project must count once (statistics and
    networks: counting its duplicate copy too would count it twice)."""
    if _flag(args, "include_twins"):
        raise InvalidRequest(ONCE.format(what=what))


def request_from_args(
    args: MultiDict[str, str], lang: str, page_size: int, max_query: int
) -> SearchRequest:
    q = args.get("q", "")
    if len(q) > max_query:
        raise InvalidRequest(f"the search text is {len(q)} characters; at most {max_query}")
    filters: dict[str, tuple[str, ...]] = {}
    for name in FILTERS:
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
        include_twins=_flag(args, "include_twins"),
        translate=_flag(args, "translate", default=True),
        sort=args.get("sort") or "relevance",
        page=_int(args, "page", 1),
        size=_int(args, "size", page_size),
        lang=lang,
    ).validated()


def _int(args: MultiDict[str, str], name: str, default: int) -> int:
    raw = args.get(name)
    if raw in (None, ""):
        return default
    return whole_number(name, raw)


def whole_number(name: str, raw: str) -> int:
    """``raw`` as a whole number (digits, a sign), or the 400 that says so."""
    if not _WHOLE.fullmatch(raw):
        raise InvalidRequest(f"{name} must be a whole number, not {raw[:40]!r}")
    value = int(raw)
    if abs(value) > 10**9:
        raise InvalidRequest(f"{name} is out of range")
    return value


def list_pages(args: MultiDict[str, str], last: int) -> dict[str, Any]:
    """The paging of a list page (an organisation's, a person's): the ``page`` asked for
    (a 400 outside 1..``last``), and the links to the pages before and after it."""
    current = whole_number("page", args.get("page") or "1")
    if not 1 <= current <= last:
        raise InvalidRequest(f"page must be between 1 and {last}, not {current}")
    lang = args.get("lang")
    keep = f"&lang={lang}" if lang in LANGS else ""
    return {
        "current": current,
        "last": last,
        "prev": f"?page={current - 1}{keep}" if current > 1 else None,
        "next": f"?page={current + 1}{keep}" if current < last else None,
    }


def _flag(args: MultiDict[str, str], name: str, default: bool = False) -> bool:
    raw = args.get(name, "").lower()
    if raw not in _YES + _NO:
        raise InvalidRequest(f"{name} must be true or false, not {raw[:40]!r}")
    return default if raw == "" else raw in _YES


def _number(args: MultiDict[str, str], name: str) -> float | None:
    raw = args.get(name)
    if raw in (None, ""):
        return None
    if not _NUMBER.fullmatch(raw):  # not float()'s " 5 ", "1_000", "nan" or other digits
        raise InvalidRequest(f"{name} must be a number, not {raw[:40]!r}")
    value = float(raw)
    if value != value or value in (float("inf"), float("-inf")):
        raise InvalidRequest(f"{name} must be a finite number")
    return value


def _date(raw: str | None) -> date | None:
    if not raw:
        return None
    try:
        if not _DAY.fullmatch(raw):
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidRequest(f"on must be a date like 2024-06-30, not {raw[:40]!r}") from None


def state(args: MultiDict[str, str]) -> list[tuple[str, str]]:
    """The known parameters of a URL as ordered pairs (unknown ones dropped), in the forms
    the API takes, so the links a page builds from them (downloads too) answer: a page's
    ``include_twins=1`` becomes ``true`` (and ``false`` goes; ``translate=0`` becomes
    ``false`` and ``true`` goes), a language it ignored goes."""
    pairs: list[tuple[str, str]] = []
    for name in SCALAR_PARAMS:
        value = args.get(name)
        if value in (None, ""):
            continue
        if name == "include_twins":
            if value.lower() in _YES:
                pairs.append((name, "true"))
        elif name == "translate":  # on unless switched off
            if value.lower() in _NO:
                pairs.append((name, "false"))
        elif name != "lang" or value in LANGS:
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
