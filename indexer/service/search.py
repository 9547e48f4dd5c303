"""The search service: the one API the web app and the CLI use. Returns plain objects only.

``SearchService(index_root)`` follows the published index: on every call it compares the real
path of ``current`` with the version it has open and loads the new one when it changed (the
version's Whoosh index, document table, labels and compound lexicon, loaded once and shared).
Each thread keeps its own reading view (``Snapshot``) per version, so a search in flight finishes
on the version it started with while new requests move on. Nothing here writes to an index.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from harvesters.core.records import Record, record_from_dict
from indexer.building.versions import IndexLocation
from indexer.documents.projects import today_int, uid_of
from indexer.engine import (
    Ranked,
    Snapshot,
    Tiered,
    TopRanked,
    loosened,
)
from indexer.errors import (
    IndexMissing,
    InvalidRequest,
    RecordMoved,
    RecordNotFound,
    RecordWithdrawn,
)
from indexer.service import ecosystem as ecosystems
from indexer.service.caches import VersionCaches
from indexer.service.facility_order import facility_order
from indexer.service.hits import HitMaker
from indexer.service.people import canonical_key
from indexer.service.request import SearchRequest, check_dimensions
from indexer.service.results import (
    AlsoSearched,
    Ecosystem,
    FacetValue,
    Hit,
    PersonCount,
    PersonProfile,
    ProjectFacility,
    SearchResult,
    StatsTable,
    Window,
)
from indexer.service.served import LOOSE, ServedVersion, open_served, rank_key, warm
from indexer.service.similar import similar_hits
from indexer.service.stats import statistics
from indexer.service.suggest import did_you_mean as did_you_mean_for

SORT_FIELDS = {
    "start_desc": ("start", True),
    "start_asc": ("start", False),
    "end_desc": ("end", True),
    "end_asc": ("end", False),
    "amount_desc": ("amount", True),
    "amount_asc": ("amount", False),
}
EXPORT_CAP = 50_000
RELAX_BELOW = 10  # fewer projects with every word of a plain query: rank those with some too
WARM_QUERIES = 50  # recent query texts ranked on a new version before it is served

log = logging.getLogger("research_index.search")


@dataclass
class _Match:
    version: ServedVersion
    snapshot: Snapshot
    query: Any
    request: SearchRequest
    final: AbstractSet[int]
    per_facet: dict[str, AbstractSet[int]]
    base: AbstractSet[int]
    ranked: Ranked | TopRanked | Tiered | None = None
    scores: dict[int, float] = field(default_factory=dict)
    strict: frozenset[int] | None = None  # when loosened: the matches of every word
    also_searched: tuple[AlsoSearched, ...] = ()  # the words' translations searched too


class SearchService:
    """Search, statistics, look-up and similar projects over the published index."""

    def __init__(self, index_root: str | Path, switch_in_background: bool = False) -> None:
        """``switch_in_background``: when a new version is published, go on serving the
        open one while a thread opens the new one and ranks its predecessor's recent queries
        (a long-running server); otherwise the next request opens it (tests, the CLI)."""
        self.location = IndexLocation(index_root)
        self._lock = threading.Lock()
        self._version: ServedVersion | None = None
        self._local = threading.local()
        self.switch_in_background = switch_in_background
        self._loading: Path | None = None

    # -- public API -------------------------------------------------------------------------

    def search(self, request: SearchRequest) -> SearchResult:
        t0 = time.perf_counter()
        req = request.validated()
        m = self._match(req)
        hits = self._page(m)
        facets: list[Any] = []
        if req.with_facets:  # the same selection again (another page, back): counted once
            key = (*_state_key(req), m.strict is not None)  # loosened: more documents
            facets = m.version.caches.facets.get(
                key, lambda: m.version.table.facets(m.per_facet, req, m.version.labels)
            )
        strict = len(m.final) if m.strict is None else len(m.final & m.strict)
        all_words = None if strict == len(m.final) else strict  # some hold only some words
        did_you_mean = None
        if req.q.strip():
            count = lambda q: len(self._match(replace(req, q=q), ranked=False).final)  # noqa: E731
            did_you_mean = did_you_mean_for(m.snapshot, req.q, strict, count)
        return SearchResult(
            query=req.q,
            total=len(m.final),
            page=req.page,
            size=req.size,
            sort=req.sort,
            lang=req.lang,
            hits=tuple(hits),
            facets=tuple(facets),
            filters=req.filters_dict(),
            did_you_mean=did_you_mean,
            took_ms=(time.perf_counter() - t0) * 1000,
            index_version=m.version.name,
            all_words=all_words,
            also_searched=m.also_searched,
        )

    def stats(self, request: SearchRequest, by: tuple[str, ...]) -> StatsTable:
        req = replace(request, page=1, size=1, with_facets=False).validated()
        dims = check_dimensions(tuple(by))
        m = self._match(req, ranked=False)
        table: StatsTable = m.version.caches.stats.get(
            (_state_key(req), dims),
            lambda: statistics(
                m.version.table,
                m.final,
                dims,
                m.version.labels,
                req.lang,
                query=req.q,
                filters=req.filters_dict(),
            ),
        )
        return table

    def ecosystem(
        self,
        request: SearchRequest,
        types: tuple[str, ...] = (),
        size: str = "sek",
        top: int = ecosystems.DEFAULT_TOP,
        min_weight: int = 1,
    ) -> Ecosystem:
        """Who funds, coordinates, hosts, uses and works on what ``request`` matches
        (``indexer.service.ecosystem``); the graph of a selection is kept per version."""
        req = replace(request, page=1, size=1, with_facets=False).validated()
        ecosystems.check_view(types, size, top, min_weight)
        m = self._match(req, ranked=False)
        v = m.version
        g = v.caches.graphs.get(
            _state_key(req),  # the language too: the labels
            lambda: ecosystems.graph(
                v.table, m.final, v.labels, req.lang, v.people, v.facility_maps.uids_of
            ),
        )
        return ecosystems.shown(g, v.table.uids, req, types, size, top, min_weight)

    def iter_hits(
        self, request: SearchRequest, cap: int = EXPORT_CAP, offset: int = 0
    ) -> Iterator[Hit]:
        """Every match in the request's order from ``offset``, up to ``cap`` in all (exports,
        the API's cursor walk); only the hits after ``offset`` are built."""
        yield from self._hits(request, offset, cap, keep_records=False)[1]

    def window(self, request: SearchRequest, offset: int, limit: int) -> Window:
        """Hits ``offset`` to ``offset + limit`` in the request's order, and how many match:
        the paging of the API's walk and of organisation pages (a page of ``search`` is the
        same slice at ``(page - 1) * size``, with facets and snippets; exports stream
        ``iter_hits``)."""
        if offset < 0 or limit < 0:
            raise InvalidRequest("a window starts at an offset of 0 or more, of 0 or more hits")
        total, hits = self._hits(request, offset, offset + limit, keep_records=True)
        return Window(total, offset, tuple(hits))

    def _hits(
        self, request: SearchRequest, offset: int, end: int, keep_records: bool
    ) -> tuple[int, Iterator[Hit]]:
        """How many match, and hits ``offset`` to ``end`` in the request's order, built as
        they are taken (records kept in the version's cache with ``keep_records``: not for an
        export's thousands, which would push out the records of recent pages)."""
        req = replace(request, page=1, size=1, with_facets=False).validated()
        m = self._match(req)
        cache = m.version.caches.records if keep_records else None
        maker = HitMaker(m.version.table, req.lang, today_int(req.on), cache)
        order = self._ordered(m, limit=end)[offset:] if end > offset else []
        return len(m.final), (maker.from_docnum(m.snapshot, d) for d in order)

    def count(self, request: SearchRequest) -> int:
        """How many ``search`` and ``iter_hits`` give (a loosened query's too)."""
        req = replace(request, page=1, size=1, with_facets=False).validated()
        return len(self._match(req, ranked=False, loosen=True).final)

    def get(self, source: str, source_id: str) -> Record:
        """The record with this id; ``RecordWithdrawn`` or ``RecordNotFound`` otherwise."""
        version = self._current()
        uid = uid_of(source, source_id)
        snapshot = self._snapshot(version)
        docnum = snapshot.document_number(uid)
        if docnum is None:
            moved = version.facility_maps.facility_of(uid)
            if moved:
                new_source, _, new_id = moved.partition(":")
                raise RecordMoved(f"{source_id} is part of {moved}", new_source, new_id)
            if uid in version.withdrawn:
                raise RecordWithdrawn(f"{source_id} was withdrawn by its source ({source})")
            raise RecordNotFound(f"no record {source_id!r} in {source}")
        return record_from_dict(json.loads(snapshot.stored(docnum)["record"]))

    def project_facilities(self, source: str, source_id: str, lang: str) -> list[ProjectFacility]:
        """The facilities a project uses, names or is a grant of (the registry's links)."""
        return self._current().facility_maps.of_project(uid_of(source, source_id), lang)

    def similar(self, source: str, source_id: str, limit: int = 5, lang: str = "en") -> list[Hit]:
        """The records most like this one (``indexer.service.similar``)."""
        version = self._current()
        return similar_hits(version, self._snapshot(version), source, source_id, limit, lang)

    def facilities_used(self, request: SearchRequest) -> list[FacetValue]:
        """The facilities the projects ``request`` matches use (the ecosystem's ``uses``
        rule), with how many projects use each, most first."""
        m = self._match(replace(request, page=1, size=1, with_facets=False).validated(), False)
        v = m.version
        counts = ecosystems.used_facilities(v.table, m.final, v.facility_maps.uids_of)
        out = [
            FacetValue(u, v.labels.get("facility", u, request.lang), n) for u, n in counts.items()
        ]
        return sorted(out, key=lambda x: (-x.count, x.label.casefold(), x.value))

    def person(self, key: str, lang: str = "en") -> PersonProfile:
        """A person page's facts (``indexer.service.people``); ``RecordNotFound`` if none."""
        v = self._current()
        table = v.table
        return v.people.profile(key, table.facts, table.live_canonical, table.live, lang)

    def people(self, request: SearchRequest, limit: int = 20) -> tuple[list[PersonCount], int]:
        """The people of the projects ``request`` matches, those who lead most first, and
        how many people they are in all."""
        m = self._match(replace(request, page=1, size=1, with_facets=False).validated(), False)
        return m.version.people.counted(m.version.table.facts, m.final, limit)

    def people_named(self, text: str, limit: int = 8) -> list[PersonCount]:
        """People whose names hold every word of ``text``, most projects first."""
        v = self._current()
        return v.people.named(text, v.table.live_canonical, v.table.live, limit)

    def person_name(self, key: str) -> str | None:
        """The name of the person ``key``, if the version knows them (a filter's label)."""
        people = self._current().people
        return people.names.get(canonical_key(key))

    def affiliated(self, org: str) -> list[PersonCount]:
        """The people whose person records name organisation ``org`` as an affiliation."""
        return self._current().people.affiliated(org)

    def drop_caches(self) -> None:
        """Forget every cached ranking, record, snippet and facet count of the version being
        served (benchmarks measure cold queries this way; the index itself stays open)."""
        version = self._current()
        version.caches = VersionCaches.for_size(version.table.n)

    def info(self) -> dict[str, Any]:
        """The version being served: name, build time, document counts."""
        version = self._current()
        return {"version": version.name, **version.manifest}

    # -- matching ---------------------------------------------------------------------------

    def _match(self, req: SearchRequest, ranked: bool = True, loosen: bool | None = None) -> _Match:
        """The request's documents. ``ranked``: whether relevance order may be needed (a
        search, an export), else only which documents match (statistics, counts; sorting by
        another key): a query met first that way is ranked when a request needs it.
        ``loosen`` (by default: when ranked): a plain query of several words that fewer than
        ``RELAX_BELOW`` documents match in full (filters aside: the same for every facet
        click), in relevance order, is answered with the documents of some of its words after
        them (``Tiered``; ``strict`` keeps the full
        matches). Statistics and networks never loosen: they count what a search means."""
        version = self._current()
        snapshot = self._snapshot(version)
        parsed = version.parse(req.q, req.translate)
        query, text_key = parsed.query, rank_key(req.q, req.translate)
        found: Ranked | TopRanked | None = None
        if query is not None:
            if ranked and req.sort == "relevance":
                compute = lambda: snapshot.rank(query)  # noqa: E731
            else:
                compute = lambda: snapshot.matches(query)  # noqa: E731
            found = version.caches.ranks.get(text_key, compute)
        strict = None
        ranking: Ranked | TopRanked | Tiered | None = found
        if (ranked if loosen is None else loosen) and found is not None:
            loose = loosened(req.q, query) if req.sort == "relevance" else None
            if loose is not None and len(found.docs) < RELAX_BELOW:
                some = version.caches.ranks.get(LOOSE + text_key, lambda: snapshot.rank(loose))
                strict, ranking = found.docs, Tiered(found, some)
        matched = None if ranking is None else ranking.docs
        if matched is not None and req.amount_min is None and req.amount_max is None:
            known = (text_key, strict is not None, req.include_twins)
            base = version.caches.bases.get(known, lambda: version.table.base(matched, req))
        else:
            base = version.table.base(matched, req)
        final, per_facet = version.table.apply(base, req)
        also = tuple(AlsoSearched(words, lang) for words, lang in parsed.also_searched)
        return _Match(
            version,
            snapshot,
            query,
            req,
            final,
            per_facet,
            base,
            ranking,
            strict=strict,
            also_searched=also,
        )

    def _ordered(self, m: _Match, limit: int) -> list[int]:
        if not m.final:
            return []
        sort = m.request.sort
        if sort == "relevance" and m.query is None:
            sort = "start_desc"
        if sort == "relevance":
            assert m.ranked is not None
            table = m.version.table
            if m.final.isdisjoint(table.projects):  # facilities: home first, then evidence
                every = m.snapshot.best_within(m.ranked, m.final, len(m.final))
                full = m.strict if m.strict is not None else m.final  # each tier in itself
                best = facility_order([x for x in every if x[0] in full], table)
                best += facility_order([x for x in every if x[0] not in full], table)
                best = best[:limit]
            else:
                best = m.snapshot.best_within(m.ranked, m.final, limit)
            m.scores = dict(best)
            return [docnum for docnum, _ in best]
        key, reverse = SORT_FIELDS[sort]
        return m.version.table.first_in_order(key, reverse, m.final, limit)

    def _page(self, m: _Match) -> list[Hit]:
        """The page's hits, highlighted against the query's terms (one search, not two)."""
        req = m.request
        maker = HitMaker(m.version.table, req.lang, today_int(req.on), m.version.caches.records)
        wanted = self._ordered(m, limit=req.page * req.size)[(req.page - 1) * req.size :]
        if m.query is None or not wanted:
            return [maker.from_docnum(m.snapshot, d) for d in wanted]
        terms = m.snapshot.query_terms(m.query)  # prefixes expanded to the index's terms
        v, key = m.version, (rank_key(req.q, req.translate), req.lang)  # translations light up
        return [
            maker.highlighted(
                m.snapshot, d, terms, m.scores.get(d), v.snippets, v.caches.snippets, key
            )
            for d in wanted
        ]

    def _snapshot(self, version: ServedVersion) -> Snapshot:
        """This thread's reading view of ``version`` (kept open between its requests)."""
        held = getattr(self._local, "held", None)
        if held is not None and held[0] is version:
            snapshot: Snapshot = held[1]
            return snapshot
        if held is not None:
            held[1].close()
        snapshot = version.index.snapshot()
        self._local.held = (version, snapshot)
        return snapshot

    def _current(self) -> ServedVersion:
        path = self.location.current_path()
        if path is None:
            raise IndexMissing("no index has been published yet: run `research-index index`")
        version = self._version
        if version is not None and version.path == path:
            return version
        if version is not None and self.switch_in_background and version.path.is_dir():
            self._load_in_background(path, version)
            return version
        with self._lock:
            if self._version is None or self._version.path != path:
                self._version = open_served(path)
            return self._version

    def _load_in_background(self, path: Path, old: ServedVersion) -> None:
        with self._lock:
            if self._loading == path:
                return
            self._loading = path
        threading.Thread(
            target=self._switch, args=(path, old), name="index-switch", daemon=True
        ).start()

    def _switch(self, path: Path, old: ServedVersion) -> None:
        t0 = time.perf_counter()
        try:
            version = open_served(path)
            warm(version, old.caches.ranks.recent(WARM_QUERIES))
        except Exception:  # keep serving the old version; the next request tries again
            log.exception("could not open the new index version %s", path.name)
            with self._lock:
                self._loading = None
            return
        with self._lock:
            self._version = version
            self._loading = None
        log.info("now serving %s (opened in %.1f s)", path.name, time.perf_counter() - t0)


def _state_key(req: SearchRequest) -> tuple[Any, ...]:
    """What a request's match set, facets and statistics depend on (not page or sort)."""
    return (
        rank_key(req.q, req.translate),
        tuple(sorted((k, tuple(v)) for k, v in req.filters.items())),
        tuple(req.status),
        today_int(req.on),  # "today" moves: status counts are per day
        req.amount_min,
        req.amount_max,
        req.include_twins,
        req.lang,
        req.facet_size,
        req.facet_sizes,
        req.open_facet,
        req.open_match.strip().casefold() if req.open_facet else "",
    )
