"""The page of a funder: ``GET /funder/<org number>``.

What one funder funds, in the rules of the statistics (``webapp.stats``): its projects and
the SEK it granted by funding year, by coordinating organisation, by subject area and by award
type, each with its chart, table and CSV and JSON links, and its newest projects. From there
a visitor goes on to all its projects in the search, or to its network (``/ecosystem``). A
key that funds nothing here answers 404.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, current_app, render_template

from indexer.service import RecordNotFound, SearchRequest
from webapp.charts import format_number
from webapp.i18n import current_lang, t
from webapp.params import with_params
from webapp.service import search_service
from webapp.stats import Section, stat_section

bp = Blueprint("funders", __name__)

FUNDER_SECTIONS = (
    Section("year", "by_year"),
    Section("org", "by_org", top=20),
    Section("subject1", "by_subject"),
    Section("award", "by_award"),
)
NEWEST = 10


@bp.get("/funder/<key>")
def funder(key: str) -> str:
    lang = current_lang()
    service = search_service(current_app)
    pairs = [("funder", key)]
    req = SearchRequest(filters={"funder": (key,)}, lang=lang, sort="start_desc", size=NEWEST)
    newest = service.search(req.validated())
    if not newest.total:
        raise RecordNotFound(f"no projects are funded by organisation {key[:80]!r}")
    tables = {s.dim: service.stats(req, (s.dim,)) for s in FUNDER_SECTIONS}
    name = next((f.name for h in newest.hits for f in h.funders if f.key == key and f.name), key)
    first = tables["year"]
    return render_template(
        "funder.html",
        key=key,
        name=name,
        sections=[stat_section(s, tables[s.dim], pairs, lang) for s in FUNDER_SECTIONS],
        newest=newest,
        total_projects=format_number(first.total_projects, lang),
        total_sek=format_number(first.total_sek, lang),
        all_label=t("funder_all").format(n=format_number(newest.total, lang)),
        search_url="/search" + with_params(pairs),
        ecosystem_url="/ecosystem" + with_params(pairs),
        lang_url=f"/funder/{quote(key, safe='')}?lang={'en' if lang == 'sv' else 'sv'}",
    )
