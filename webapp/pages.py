"""HTML pages: the search page with facets, the project page, the facility page, the status.

Views parse the URL (``webapp.params``), call the search service and render its plain result
objects; they never touch Whoosh or the store. Everything from records is escaped by Jinja;
the only markup let through is the snippet, which the indexer builds as escaped HTML.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, current_app, redirect, render_template, request

from harvesters.core.records import Facility, Project
from indexer.service import (
    MAX_DEPTH,
    SORTS,
    RecordNotFound,
    SearchRequest,
    SearchResult,
    country_name,
    org_key,
    people_of,
    project_status,
    source_label,
    status_for_home,
)
from webapp.facetview import SUBJECTS, chips, facet_view, subject_tree
from webapp.i18n import current_lang, t
from webapp.params import request_from_args, state, with_params, without_filters
from webapp.service import search_service
from webapp.trail import keep

bp = Blueprint("pages", __name__)
# what a link to statistics or a network leaves out: they count each project once
COUNTED: dict[str, None] = dict.fromkeys(("page", "size", "sort", "include_twins"))


def search_request(lang: str) -> SearchRequest:
    cfg = current_app.config
    return request_from_args(request.args, lang, cfg["PAGE_SIZE"], cfg["MAX_QUERY_CHARS"])


def page_request(lang: str) -> SearchRequest:
    """The search page's request: the search, with its facets as the page draws them (every
    SSIF field in the tree, an area's or field's subjects once one is chosen, a facet opened
    in full with its filter text)."""
    req = search_request(lang)
    chosen = bool(req.filters.get("subject1") or req.filters.get("subject3"))
    return replace(
        req,
        facet_sizes=(("subject1", 20), ("subject3", 100), ("subject5", 400 if chosen else 0)),
        open_facet=request.args.get("open", ""),
        open_match=request.args.get("match", "")[:100],
    ).validated()


@bp.get("/")
@bp.get("/search")
def search() -> str:
    lang = current_lang()
    req = page_request(lang)
    service = search_service(current_app)
    result = service.search(req)
    pairs = state(request.args)
    keep(pairs)
    views = {
        f.name: facet_view(f, pairs, req.open_facet, req.open_match)
        for f in result.facets
        if f.values or f.selected or f.name == req.open_facet
    }
    return render_template(
        "search.html",
        result=result,
        noun=count_noun(result),
        facets=[v for name, v in views.items() if name not in SUBJECTS[1:]],
        subjects=subject_tree(views),
        chips=chips(result, pairs, service.person_name),
        limits=dict(pairs),
        home=_coverage(service, req) if not pairs or pairs == [("lang", lang)] else None,
        people=service.people_named(req.q) if req.q.strip() and req.page == 1 else [],
        clear_url=without_filters(pairs),
        pages=_pagination(result, pairs),
        sorts=[(s, t(s), with_params(pairs, sort=s)) for s in SORTS],
        pairs=pairs,
        csv_url="/search.csv" + with_params(pairs, page=None, size=None),
        csv_semicolon_url="/search.csv"
        + with_params(pairs, page=None, size=None, delimiter="semicolon"),
        feed_url="/search.atom" + with_params(pairs, page=None, size=None, sort=None),
        stats_url="/stats" + with_params(pairs, **COUNTED),
        ecosystem_url="/ecosystem" + with_params(pairs, **COUNTED),
        lang_url=with_params(pairs, lang="en" if lang == "sv" else "sv"),
        suggestion_url=with_params(pairs, q=result.did_you_mean) if result.did_you_mean else None,
        translate_url=with_params(pairs, translate=None),
        as_typed_url=with_params(pairs, translate="false"),
        translated=req.translate,
    )


@bp.get("/project/<source>/<path:pid>")
def project(source: str, pid: str) -> Response | str:
    lang = current_lang()
    service = search_service(current_app)
    p = service.get(source, pid)
    if isinstance(p, Facility):
        query = request.query_string.decode("latin-1")  # lang and back go along
        there = f"/facility/{quote(source)}/{quote(pid)}"
        return redirect(f"{there}?{query}" if query else there, code=301)
    if not isinstance(p, Project):
        raise RecordNotFound(f"{pid} is not a project")
    similar = service.similar(source, pid, limit=5, lang=lang)
    status = project_status(p.start, p.end)
    return render_template(
        "project.html",
        p=p,
        facilities=service.project_facilities(source, pid, lang),
        people=people_of(p),
        source_name=source_label(p.source).get(lang),
        similar=similar,
        status=status,
        lang=lang,
        org_key=org_key,
        lang_url=with_params(state(request.args), lang="en" if lang == "sv" else "sv"),
    )


_QUARANTINE_TEXT = {
    "en": {
        "title": "Quarantined",
        "intro": "item(s) could not be read. The latest:",
        "none": "nothing in quarantine",
        "item": "Item",
        "reason": "Reason",
        "since": "Since",
        "run": "Run",
        "more": "The full list, with the raw text: research-index quarantine",
    },
    "sv": {
        "title": "I karantän",
        "intro": "post(er) kunde inte läsas. De senaste:",
        "none": "inget i karantän",
        "item": "Post",
        "reason": "Orsak",
        "since": "Sedan",
        "run": "Körning",
        "more": "Hela listan, med rådata: research-index quarantine",
    },
}


@bp.get("/status")
def status() -> str:
    """Harvest and index status: per source the last runs, its quarantine, the index served."""
    status = status_for_home(current_app.config["HOME_DIR"])
    return render_template(
        "status.html",
        status=status,
        registry=_registry_view(status.get("index") or {}, current_lang()),
        qt=_QUARANTINE_TEXT.get(current_lang(), _QUARANTINE_TEXT["en"]),
    )


def _registry_view(index: dict[str, Any], lang: str) -> dict[str, Any] | None:
    """The facility registry's figures with names: facilities by country and by source."""
    report = index.get("facilities") or {}
    if not report:
        return None
    by_country = [
        (code, country_name(code).get(lang) if code else t("unknown"), n)
        for code, n in sorted(report.get("by_country", {}).items(), key=lambda x: -x[1])
    ]
    by_source = [
        (name, source_label(name).get(lang), n)
        for name, n in sorted(report.get("by_source", {}).items(), key=lambda x: -x[1])
    ]
    return {**report, "countries": by_country, "sources": by_source}


def _coverage(service: Any, req: SearchRequest) -> dict[str, Any]:
    """What the home page says the site holds, from the projects' facets (the kind facet
    still counts both kinds: multi-select) and the index's manifest: projects and their
    funding years (all of them), facilities, the sources by name, the build date, and how much
    the largest organisation weighs (a KTH-centred export says so)."""
    projects = {"kind": ("project",)}
    whole = service.search(
        replace(req, size=1, filters=projects, facet_sizes=(("year", 200), ("org", 1)))
    )
    counts = {f.name: {v.value: v.count for v in f.values} for f in whole.facets}
    kinds, years = counts.get("kind", {}), sorted(counts.get("year", {}))
    top = next((v for f in whole.facets if f.name == "org" for v in f.values), None)
    share = round(100 * top.count / kinds["project"]) if top and kinds.get("project") else 0
    info = service.info()
    return {
        "projects": kinds.get("project", 0),
        "facilities": kinds.get("facility", 0),
        "first": years[0] if years else "",
        "last": years[-1] if years else "",
        "sources": [source_label(n).get(req.lang) for n in sorted(info.get("counts") or {})],
        "built": str(info.get("built") or "")[:10],
        "top_org": top.label if top and share >= 25 else "",
        "share": share,
    }


def count_noun(result: SearchResult) -> str:
    """What a result count counts: projects, facilities, or both ("results")."""
    kinds = {v.value for f in result.facets if f.name == "kind" for v in f.values if v.count}
    chosen = set(result.filters.get("kind", ()))
    present = chosen or kinds
    if present == {"facility"}:
        return t("facilities")
    if present == {"project"} or not present:
        return t("results")
    return t("hits_mixed")


def _pagination(result: SearchResult, pairs: list[tuple[str, str]]) -> dict[str, Any]:
    last = min(result.pages, MAX_DEPTH // max(result.size, 1))
    return {
        "current": result.page,
        "last": last,
        "prev": with_params(pairs, page=result.page - 1) if result.page > 1 else None,
        "next": with_params(pairs, page=result.page + 1) if result.page < last else None,
        "first_item": (result.page - 1) * result.size + 1 if result.hits else 0,
        "last_item": (result.page - 1) * result.size + len(result.hits),
    }
