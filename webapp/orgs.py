"""Organisation pages: what a university reviewing its portfolio opens first.

``GET /org/<key>`` (``key`` is the organisation number, e.g. ``202100-3054`` for KTH, or the
``name-…`` key of an organisation without one) shows the organisation's name in the request's
language, its projects as coordinator (ongoing first, then upcoming, then finished, each newest
first; paginated), totals, and projects and SEK by funding year and by funder (tables and SVG
charts). ``GET /org/<key>.csv`` is the same list as CSV, in the columns of ``/search.csv``.
The page also lists the facilities the organisation owns (an owner with no project, such as
a CERIF OrgUnit or an owner without an org number, gets a page of its facilities), the
facilities its projects use, the people most active on its projects (those who lead most
first) and the people whose person records name it as an affiliation (a CERIF Person; such an
organisation gets a page for them alone). Everything goes through the search service with the
``org`` filter; an organisation with no projects, facilities or people is a 404.
"""

from __future__ import annotations

from dataclasses import replace
from itertools import chain
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, current_app, render_template, request
from markupsafe import Markup

from harvesters.core.records import OrgRef, Text
from indexer.service import (
    MAX_DEPTH,
    MAX_SIZE,
    Hit,
    InvalidRequest,
    PersonCount,
    RecordNotFound,
    SearchRequest,
    SearchResult,
    SearchService,
    StatsTable,
    org_key,
)
from webapp.charts import chart_variants, format_number
from webapp.exports import delimiter_from, hits_csv, in_turn
from webapp.i18n import current_lang, t
from webapp.params import list_pages
from webapp.service import search_service
from webapp.stats import value_url

bp = Blueprint("orgs", __name__)

STATUS_ORDER = ("ongoing", "upcoming", "finished")
ACTIVE_PEOPLE = 20


def org_request(key: str, lang: str) -> SearchRequest:
    """Projects coordinated by ``key``, newest first; ``RecordNotFound`` for a malformed key."""
    req = SearchRequest(filters={"org": (key,)}, sort="start_desc", lang=lang, with_facets=False)
    try:
        return req.validated()
    except InvalidRequest:
        raise RecordNotFound(f"no organisation {key[:80]!r}") from None


def status_counts(service: SearchService, req: SearchRequest) -> dict[str, int]:
    return {s: service.count(replace(req, status=(s,))) for s in STATUS_ORDER}


@bp.get("/org/<key>")
def page(key: str) -> str:
    lang = current_lang()
    service = search_service(current_app)
    req = org_request(key, lang)
    counts = status_counts(service, req)
    total = sum(counts.values())
    facilities = service.search(
        replace(req, filters={"org": (key,), "kind": ("facility",)}, size=MAX_SIZE)
    )
    affiliated = service.affiliated(key)
    if not total and not facilities.total and not affiliated:
        raise RecordNotFound(f"no projects, facilities or people of organisation {key[:80]!r}")
    size = min(int(current_app.config["PAGE_SIZE"]), MAX_SIZE)
    last = min(max(1, -(-total // size)), MAX_DEPTH // size)
    pages = list_pages(request.args, last)
    current = pages["current"]
    start = (current - 1) * size
    hits = _slice(service, req, counts, start, start + size)
    by_year = service.stats(req, ("year",))
    by_funder = service.stats(req, ("funder",))
    org_type = service.stats(req, ("org_type",))
    pairs = [("org", key)]
    q = f"?org={quote(key, safe='')}"
    return render_template(
        "org.html",
        key=key,
        name=_name(service.stats(req, ("org",)), key)
        if total
        else _owner(facilities, key)
        if facilities.total
        else _affiliation(service, affiliated, key, lang),
        facilities=facilities,
        uses=_uses(service, req) if total else [],
        people=service.people(req, ACTIVE_PEOPLE) if total else ([], 0),
        affiliated=affiliated,
        org_type=next((r.labels[0] for r in org_type.rows if r.keys[0]), None),
        total_projects=format_number(by_year.total_projects, lang),
        total_sek=format_number(by_year.total_sek, lang),
        counts=[(s, format_number(n, lang)) for s, n in counts.items()],
        tables=[
            _table(by_year, "year", "by_year", pairs, lang),
            _table(by_funder, "funder", "by_funder", pairs, lang),
        ],
        groups=_groups(hits, start + 1),
        pages=pages,
        csv_url=f"/org/{quote(key, safe='')}.csv",
        total=total,
        search_url="/search" + q,
        ecosystem_url="/ecosystem" + q,
        stats_url="/stats" + q,
        fmt=lambda v: format_number(v, lang),
    )


@bp.get("/org/<key>.csv")
def csv(key: str) -> Response:
    service = search_service(current_app)
    req = org_request(key, current_lang())
    counts = status_counts(service, req)
    total = sum(counts.values())
    if not total:
        raise RecordNotFound(f"no projects are coordinated by organisation {key[:80]!r}")
    cap = int(current_app.config["CSV_MAX_ROWS"])
    hits = chain.from_iterable(
        service.iter_hits(replace(req, status=(s,)), cap=cap) for s in STATUS_ORDER if counts[s]
    )
    delimiter_from(request.args)  # a bad delimiter is a 400 before waiting for a turn
    name = f"research-index-org-{_filename(key)}.csv"
    return in_turn(lambda: hits_csv(hits, total, cap, name))


def _owner(facilities: SearchResult, key: str) -> str:
    """The name of organisation ``key`` as its facilities' records give it."""
    for h in facilities.hits:
        for o in h.record.get("owners") or ():
            if org_key(OrgRef(o.get("id"), Text(**(o.get("name") or {})))) == key:
                return str(Text(**(o.get("name") or {})).get(current_lang()) or key)
    return key


def _uses(service: SearchService, req: SearchRequest) -> list[dict[str, Any]]:
    """The facilities the organisation's projects use, most projects first."""
    out = []
    for v in service.facilities_used(req):
        source, _, fid = v.value.partition(":")
        out.append(
            {
                "url": f"/facility/{quote(source, safe='')}/{quote(fid)}",
                "label": v.label,
                "projects": v.count,
            }
        )
    return out


def _affiliation(service: SearchService, affiliated: list[PersonCount], key: str, lang: str) -> str:
    """The organisation's name as its people's records give it."""
    for p in affiliated:
        for a in service.person(p.key, lang).affiliations:
            if a.key == key and a.name:
                return a.name
    return key


def _groups(hits: list[Hit], first: int) -> list[dict[str, Any]]:
    """Consecutive hits of one status, each group with the list number it starts at."""
    out: list[dict[str, Any]] = []
    for i, hit in enumerate(hits):
        if not out or out[-1]["status"] != hit.status:
            out.append({"status": hit.status, "start": first + i, "hits": []})
        out[-1]["hits"].append(hit)
    return out


def _slice(
    service: SearchService, req: SearchRequest, counts: dict[str, int], lo: int, hi: int
) -> list[Hit]:
    """Hits ``lo`` to ``hi`` of the list ongoing + upcoming + finished, each newest first."""
    out: list[Hit] = []
    offset = 0
    for status in STATUS_ORDER:
        n = counts[status]
        a, b = max(lo - offset, 0), min(hi - offset, n)
        if a < b:
            out.extend(service.window(replace(req, status=(status,)), a, b - a).hits)
        offset += n
    return out


def _name(table: StatsTable, key: str) -> str:
    return next((r.labels[0] for r in table.rows if r.keys[0] == key), key)


def _filename(key: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in key)[:64]


def _table(
    table: StatsTable, dim: str, heading: str, pairs: list[tuple[str, str]], lang: str
) -> dict[str, Any]:
    rows = list(table.rows)
    if dim == "year":  # chronological, "unknown" last
        rows = [r for r in rows if r.keys[0]] + [r for r in rows if not r.keys[0]]
    return {
        "id": f"org-by-{dim}",
        "heading": t(heading),
        "dim_label": t(dim),
        "charts": [
            {"cls": cls, "svg": Markup(svg)}
            for cls, svg in chart_variants(
                [r.labels[0] for r in rows],
                [r.sek for r in rows],
                title=f"{t('sek_long')} – {t(heading).lower()}",
                unit=t("sek"),
                horizontal=dim != "year",
                lang=lang,
                chart_id=f"org-chart-{dim}",
                empty_text=t("no_results"),
            )
        ],
        "rows": [
            {
                "label": r.labels[0],
                "url": value_url(dim, r.keys[0], pairs),
                "projects": format_number(r.projects, lang),
                "sek": format_number(r.sek, lang),
            }
            for r in rows
        ],
    }
