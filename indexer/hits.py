"""Turning index documents into plain ``Hit`` objects, with safe highlighted snippets.

Titles fall back to the other language (and say which language they are in); snippets are
Whoosh highlights of the abstract in the request's language, then the other language, then
the start of the abstract. Whoosh's ``HtmlFormatter`` escapes everything it does not wrap, and
the fallback is escaped here, so a snippet is always safe HTML for an element's content (never
for an attribute).
"""

from __future__ import annotations

import html
import json
from typing import Any

from whoosh import highlight

from harvesters.records import OrgRef, Project
from indexer.documents import org_key
from indexer.facets import DocTable
from indexer.results import Hit, OrgName

SNIPPET_CHARS = 300
_FORMATTER = highlight.HtmlFormatter(tagname="b", classname="match", between=" … ")
_FRAGMENTER = highlight.ContextFragmenter(maxchars=SNIPPET_CHARS, surround=80)


def org_name(org: OrgRef | None, lang: str) -> OrgName | None:
    if org is None:
        return None
    return OrgName(id=org.id, key=org_key(org), name=org.name.get(lang))


class HitMaker:
    """Builds hits for one request: language, status date, and whether to highlight."""

    def __init__(self, table: DocTable, lang: str, day: int) -> None:
        self.table = table
        self.lang = lang
        self.day = day

    def from_whoosh(self, hit: Any, highlight_terms: bool) -> Hit:
        stored = hit.fields()
        project = Project.from_dict(json.loads(stored["record"]))
        snippet = self._highlight(hit, project) if highlight_terms else ""
        return self.make(
            hit.docnum,
            project,
            snippet or self.fallback(project),
            score=float(hit.score) if hit.score is not None else None,
        )

    def from_docnum(self, searcher: Any, docnum: int) -> Hit:
        stored = searcher.stored_fields(docnum)
        project = Project.from_dict(json.loads(stored["record"]))
        return self.make(docnum, project, self.fallback(project))

    def make(self, docnum: int, p: Project, snippet: str, score: float | None = None) -> Hit:
        lang = self.lang
        return Hit(
            uid=f"{p.source}:{p.source_id}",
            source=p.source,
            id=p.source_id,
            kind=p.kind,
            title=p.title.get(lang) or p.source_id,
            title_lang=p.title.lang_of(lang),
            coordinator=org_name(p.coordinator, lang),
            funders=tuple(o for o in (org_name(f, lang) for f in p.funders()) if o),
            start=p.start,
            end=p.end,
            status=self.table.status_of(docnum, self.day),
            total_sek=p.total_sek(),
            snippet=snippet,
            score=score,
            twin_of=p.twin_of,
            twins=p.twins,
            record=p.to_dict(),
        )

    def _highlight(self, hit: Any, p: Project) -> str:
        first, second = ("sv", "en") if self.lang == "sv" else ("en", "sv")
        for lang in (first, second):
            text = getattr(p.abstract, lang)
            if not text:
                continue
            for field in (f"abstract_{lang}", "text_exact"):
                try:
                    out = hit.highlights(field, text=text, top=2)
                except (KeyError, ValueError):
                    out = ""
                if out:
                    return str(out)
        return ""

    def fallback(self, p: Project) -> str:
        text = p.abstract.get(self.lang) or ""
        if len(text) > SNIPPET_CHARS:
            cut = text[:SNIPPET_CHARS].rsplit(" ", 1)[0]
            text = cut + " …"
        return html.escape(text, quote=True)


def configure(results: Any) -> None:
    """Use our formatter and fragmenter on a Whoosh ``Results``."""
    results.formatter = _FORMATTER
    results.fragmenter = _FRAGMENTER
