"""The page of a person: ``GET /person/<key>`` and its CSV, ``GET /person/<key>.csv``.

``key`` is a person's key (``orcid:<ORCID>``, else the source's own person id such as
``swecris-43471``); a bare ORCID redirects to its ``orcid:`` key. The page shows who the person
is (name, ORCID link, the identifiers and affiliations of a source's person record), their
projects newest first with their role and period (paginated), their projects and SEK by year,
by coordinating organisation and by funder (the statistics' sections, with the ``person``
filter), and the people they share projects with. From there a visitor goes on to the same
projects in the search, or to their network (``/ecosystem?person=<key>``). A person named
only on the duplicate copies of twin projects (RJ/Vinnova) is shown with those copies. A key
that no project or person record names is a 404.
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import quote

from flask import Blueprint, Response, current_app, redirect, render_template, request

from indexer.service import (
    MAX_DEPTH,
    InvalidRequest,
    RecordNotFound,
    SearchRequest,
    canonical_key,
    role_of,
)
from webapp.charts import format_number
from webapp.exports import delimiter_from, hits_csv, in_turn
from webapp.i18n import current_lang
from webapp.params import list_pages, with_params
from webapp.service import search_service
from webapp.stats import Section, stat_section

bp = Blueprint("people", __name__)

PERSON_SECTIONS = (
    Section("year", "by_year"),
    Section("org", "by_org", top=20),
    Section("funder", "by_funder", top=20),
)


def person_url(key: str | None) -> str | None:
    """The page of the person ``key`` (None for a name without a key)."""
    return "/person/" + quote(key, safe=":~") if key else None


def _request(
    key: str, lang: str, size: int = 1, page: int = 1, twins: bool = False
) -> SearchRequest:
    """The projects of person ``key``, newest first (with ``twins``, the duplicate copies of
    twin projects too: a person named only there); ``RecordNotFound`` for a malformed key."""
    req = SearchRequest(
        filters={"person": (key,)},
        include_twins=twins,
        sort="start_desc",
        lang=lang,
        size=size,
        page=page,
        with_facets=False,
    )
    try:
        return req.validated()
    except InvalidRequest:
        raise RecordNotFound(f"no person {key[:80]!r}") from None


@bp.get("/person/<key>")
def person(key: str) -> Response | str:
    wanted = canonical_key(key)
    if wanted != key:
        query = request.query_string.decode("ascii", "replace")
        return redirect(f"{person_url(wanted)}{'?' + query if query else ''}", code=301)
    lang = current_lang()
    service = search_service(current_app)
    profile = service.person(key, lang)
    size = int(current_app.config["PAGE_SIZE"])
    last = max(1, min(-(-profile.projects // size), MAX_DEPTH // size))
    pages = list_pages(request.args, last)
    current = pages["current"]
    twins = profile.twins_only
    projects = (
        service.search(_request(key, lang, size=size, page=current, twins=twins)).hits
        if profile.projects
        else ()
    )
    pairs = [("person", key)]
    # statistics and networks count a twin project once, through its main copy: a person
    # named only on duplicate copies has none, and the page lists those copies alone
    tables = (
        {s.dim: service.stats(_request(key, lang), (s.dim,)) for s in PERSON_SECTIONS}
        if profile.projects and not twins
        else {}
    )
    return render_template(
        "person.html",
        profile=profile,
        projects=[(h, role_of(h, key, lang)) for h in projects],
        first=(current - 1) * size + 1,
        pages=pages,
        sections=[stat_section(s, tables[s.dim], pairs, lang) for s in PERSON_SECTIONS]
        if tables
        else [],
        total_sek=format_number(tables["year"].total_sek, lang) if tables else None,
        search_url="/search" + with_params(pairs + [("include_twins", "true")] * twins),
        ecosystem_url=None if twins else "/ecosystem" + with_params(pairs),
        csv_url=f"{person_url(key)}.csv",
        lang_url=f"{person_url(key)}?lang={'en' if lang == 'sv' else 'sv'}",
        fmt=lambda v: format_number(v, lang),
    )


@bp.get("/person/<key>.csv")
def person_csv(key: str) -> Response:
    service = search_service(current_app)
    req = _request(canonical_key(key), current_lang())
    total = service.count(req)
    if not total:  # named only on twin copies, as the page lists them
        req = replace(req, include_twins=True)
        total = service.count(req)
    if not total:
        raise RecordNotFound(f"no projects name the person {key[:80]!r}")
    cap = int(current_app.config["CSV_MAX_ROWS"])
    delimiter_from(request.args)  # a bad delimiter is a 400 before waiting for a turn
    safe = "".join(c if c.isascii() and c.isalnum() else "-" for c in key)[:64]
    name = "research-index-person-" + safe
    return in_turn(lambda: hits_csv(service.iter_hits(req, cap=cap), total, cap, name + ".csv"))
