"""The facility page: what a facility can do for you and how to get access, and its evidence.

Answers a company's questions first (what it offers, who may use it, how to get access,
where, who owns and hosts it, contact and web page), then the record of its use: funding
history (its infrastructure grants), the projects that use or name it (each with the kind of
link and the sentence that names it), the publications it served, counts by year, its parts
and what it is part of, its sources and similar facilities. A record merged into another
facility answers 301 with the merged facility's address (``webapp.errors``).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from flask import Blueprint, current_app, render_template, request

from harvesters.core.records import (
    LINK_FUNDED_BY,
    LINK_HOSTED_BY,
    LINK_MENTIONS,
    LINK_SERVED,
    LINK_USES,
    Facility,
)
from indexer.service import ACCESS_LABELS, RecordNotFound, country_name, org_key, source_label
from webapp.charts import format_number
from webapp.i18n import current_lang
from webapp.params import state, with_params
from webapp.service import search_service

bp = Blueprint("facilities", __name__)

#: Projects and publications listed on a page; the counts by year cover all of them.
LIST_LIMIT = 200


@bp.get("/facility/<source>/<path:fid>")
def facility(source: str, fid: str) -> str:
    lang = current_lang()
    service = search_service(current_app)
    f = service.get(source, fid)
    if not isinstance(f, Facility):
        raise RecordNotFound(f"no facility {fid!r} in {source}")
    projects = [x for x in f.links if x.kind in (LINK_USES, LINK_MENTIONS)]
    projects.sort(key=lambda x: (-(x.year or 0), x.target))
    served = sorted(
        (x for x in f.links if x.kind == LINK_SERVED), key=lambda x: (-(x.year or 0), x.target)
    )
    grants = [x for x in f.links if x.kind == LINK_FUNDED_BY]
    return render_template(
        "facility.html",
        f=f,
        lang=lang,
        org_key=org_key,
        access_label=ACCESS_LABELS[f.access_for or "unknown"].get(lang),
        country=country_name(f.country).get(lang) if f.country else None,
        hosts=[x for x in f.links if x.kind == LINK_HOSTED_BY],
        funding=_funding(f, lang),
        grants=grants,
        projects=projects[:LIST_LIMIT],
        projects_total=len(projects),
        served=served[:LIST_LIMIT],
        served_total=len(served),
        by_year=_by_year(f),
        sources=_sources(f, lang),
        similar=service.similar(f.source, f.source_id, limit=5, lang=lang),
        fmt=lambda v: format_number(v, lang),
        lang_url=with_params(state(request.args), lang="en" if lang == "sv" else "sv"),
    )


def _funding(f: Facility, lang: str) -> list[dict[str, Any]]:
    """One row per funding decision of its grants, newest first."""
    rows = [
        {
            "year": x.year,
            "funder": x.funder.name.get(lang) or x.funder.id,
            "funder_key": org_key(x.funder),
            "amount": x.amount if x.currency == "SEK" else None,
            "grant": x.source_id,
        }
        for x in f.fundings
    ]
    return sorted(rows, key=lambda r: (-(r["year"] or 0), r["grant"] or ""))


def _by_year(f: Facility) -> list[dict[str, int]]:
    """Projects (uses, names it) and publications (served) per year, newest first.

    Publications counted by the source (SciLifeLab counts years we hold no record of) win
    over the records we hold when they are more."""
    projects = Counter(x.year for x in f.links if x.kind in (LINK_USES, LINK_MENTIONS) and x.year)
    held = Counter(x.year for x in f.links if x.kind == LINK_SERVED and x.year)
    counted = {yc.year: yc.count for yc in f.publications_by_year}
    years = sorted(set(projects) | set(held) | set(counted), reverse=True)
    return [
        {
            "year": y,
            "projects": projects.get(y, 0),
            "publications": max(held.get(y, 0), counted.get(y, 0)),
        }
        for y in years
    ]


def _sources(f: Facility, lang: str) -> list[dict[str, Any]]:
    """Each source the facility was made from, with its records."""
    out: dict[str, dict[str, Any]] = {}
    for m in f.members:
        if not m.id:
            continue
        source, _, rid = m.id.partition(":")
        entry = out.setdefault(
            source, {"name": source, "label": source_label(source).get(lang), "records": []}
        )
        entry["records"].append({"id": rid, "name": m.name.get(lang) or rid})
    return list(out.values())
