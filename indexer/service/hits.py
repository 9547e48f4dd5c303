"""Turning index documents into plain ``Hit`` objects, with safe highlighted snippets.

Titles fall back to the other language (and say which language they are in); snippets mark
the query's terms in the abstract in the request's language, then the other language, else
show the start of the abstract (:mod:`indexer.service.snippets` escapes everything it does not wrap,
and the fallback is escaped here), so a snippet is always safe HTML for an element's content
(never for an attribute).
"""

from __future__ import annotations

import html
import json
from typing import Any

from harvesters.core.records import Facility, OrgRef, Project, Record, Text, record_from_dict
from indexer.documents.projects import leads, org_key, person_key
from indexer.engine import Snapshot
from indexer.service.caches import Lru
from indexer.service.facets import DocTable
from indexer.service.results import Hit, OrgName, PersonName
from indexer.service.snippets import SNIPPET_CHARS, Snippets


def org_name(org: OrgRef | None, lang: str) -> OrgName | None:
    if org is None:
        return None
    return OrgName(id=org.id, key=org_key(org), name=org.name.get(lang))


class HitMaker:
    """Builds hits for one request: language, status date, and whether to highlight."""

    def __init__(self, table: DocTable, lang: str, day: int, records: Lru | None = None) -> None:
        self.table = table
        self.lang = lang
        self.day = day
        self.records = records

    def highlighted(
        self,
        snapshot: Snapshot,
        docnum: int,
        terms: dict[str, set[str]],
        score: float | None,
        snippets: Snippets,
        cache: Lru | None = None,
        query_key: Any = None,
    ) -> Hit:
        """A hit whose snippet marks ``terms`` (field -> indexed term texts) in its body;
        with a ``cache``, snippets are kept per (``query_key``, document)."""
        record = self.record(snapshot, docnum)

        def make() -> str:
            return self._highlight(body(record), terms, snippets)

        snippet: str = make() if cache is None else cache.get((query_key, docnum), make)
        return self.make(docnum, record, snippet or self.fallback(record), score=score)

    def record(self, snapshot: Snapshot, docnum: int) -> Record:
        """The stored record of a document (parsed once per version when a cache is given)."""
        if self.records is None:
            return _parse(snapshot, docnum)
        found: Record = self.records.get(docnum, lambda: _parse(snapshot, docnum))
        return found

    def from_docnum(self, snapshot: Snapshot, docnum: int) -> Hit:
        record = self.record(snapshot, docnum)
        return self.make(docnum, record, self.fallback(record))

    def make(self, docnum: int, r: Record, snippet: str, score: float | None = None) -> Hit:
        if isinstance(r, Facility):
            return self._facility(r, snippet, score)
        assert isinstance(r, Project)
        return self._project(docnum, r, snippet, score)

    def _facility(self, f: Facility, snippet: str, score: float | None) -> Hit:
        lang = self.lang
        return Hit(
            uid=f"{f.source}:{f.source_id}",
            source=f.source,
            id=f.source_id,
            kind=f.kind,
            title=f.name.get(lang) or f.acronym or f.source_id,
            title_lang=f.name.lang_of(lang),
            coordinator=org_name(f.owners[0], lang) if f.owners else None,
            funders=(),
            start=None,
            end=None,
            status="",
            total_sek=None,
            snippet=snippet,
            score=score,
            source_record=f,
        )

    def _project(self, docnum: int, p: Project, snippet: str, score: float | None) -> Hit:
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
            leaders=leaders(p),
            source_record=p,
        )

    def _highlight(self, text_of: Text, terms: dict[str, set[str]], snippets: Snippets) -> str:
        """Best fragments of the body in the request's language, else the other one."""
        first, second = ("sv", "en") if self.lang == "sv" else ("en", "sv")
        for lang in (first, second):
            text = getattr(text_of, lang)
            if not text:
                continue
            wanted = {f: terms[f] for f in (f"abstract_{lang}", "text_exact") if terms.get(f)}
            if wanted:
                out = snippets.make(text, wanted)
                if out:
                    return out
        return ""

    def fallback(self, r: Record) -> str:
        text = body(r).get(self.lang) or ""
        if len(text) > SNIPPET_CHARS:
            cut = text[:SNIPPET_CHARS].rsplit(" ", 1)[0]
            text = cut + " …"
        return html.escape(text, quote=True)


def leaders(p: Project) -> tuple[PersonName, ...]:
    """The people who lead a project (principal investigator, coordinator), each once."""
    out: dict[str, PersonName] = {}
    for person in p.people:
        if leads(person):
            key = person_key(p.source, person)
            out.setdefault(key or person.name, PersonName(key, person.name))
    return tuple(out.values())


def _parse(snapshot: Snapshot, docnum: int) -> Record:
    return record_from_dict(json.loads(snapshot.stored(docnum)["record"]))


def body(r: Record) -> Text:
    """The long text of a record: a project's abstract, a facility's description."""
    if isinstance(r, Facility):
        return r.description
    if isinstance(r, Project):
        return r.abstract
    return Text()


def title(r: Record) -> Text:
    if isinstance(r, Facility):
        return r.name
    if isinstance(r, Project):
        return r.title
    return Text()
