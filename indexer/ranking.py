"""Per-version caches: relevance rankings of a query's matches (computed once), and an LRU.

Owns the one scoring pass: every document a query matches, with its BM25F score, in
relevance order (Whoosh's own scoring, ties in document order), or for a broad query its
matches with only the best of them ranked (``TopRanked``, from ``indexer.fasttop``; the rest
is ranked when a request first needs it). Filters, facet clicks, pages and exports of the same
query text then only intersect sets and walk this order; the index is not read again. The
cache belongs to one index version (a new version starts empty, so a ranking is never stale)
and is bounded by the number of documents it holds, least recently used first out.
"""

from __future__ import annotations

import threading
from array import array
from collections import OrderedDict
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any

from indexer.nogc import no_cyclic_gc

#: Matched documents all cached rankings may hold together (about 45 bytes each): at least
#: this many, and ``CACHED_DOCS_PER_DOC`` per document of the version (a broad query matches
#: a quarter of a collection; at 1,000,000 projects a fixed 2,000,000 held eight of them).
MAX_CACHED_DOCS = 2_000_000
CACHED_DOCS_PER_DOC = 8


@dataclass(frozen=True)
class Ranked:
    """A query's matches: ``order`` best first, ``scores`` alongside, ``docs`` as a set."""

    order: array[int]
    scores: array[float]
    docs: frozenset[int]

    @property
    def size(self) -> int:
        return len(self.order)

    def ordered_within(
        self, final: AbstractSet[int], limit: int, searcher: Any = None
    ) -> list[tuple[int, float]]:
        """The first ``limit`` matches that are in ``final``, with their scores."""
        out: list[tuple[int, float]] = []
        if not final or limit <= 0:
            return out
        scores = self.scores
        for i, docnum in enumerate(self.order):
            if docnum in final:
                out.append((docnum, scores[i]))
                if len(out) >= limit:
                    break
        return out


class TopRanked:
    """A query's matches (``docs``) of which only the best are ranked yet (``indexer.fasttop``):
    ``top`` is (document, score) best first, exactly as the whole ranking begins, and no other
    match can come before its last one; None when none is ranked yet (the matches were wanted
    without an order). A request that needs more than ``top`` holds (deep pages, filters that
    leave too few of them, exports) makes the whole ranking, once."""

    def __init__(
        self, query: Any, docs: frozenset[int], top: list[tuple[int, float]] | None
    ) -> None:
        self.query = query
        self.docs = docs
        self.top: list[tuple[int, float]] | None = None
        self.full: Ranked | None = None
        if top is not None:
            self._keep(top)

    def _keep(self, top: list[tuple[int, float]]) -> None:
        scores = array("f", (s for _, s in top))  # the precision Ranked keeps
        self.top = list(zip((d for d, _ in top), scores, strict=True))

    @property
    def size(self) -> int:
        return len(self.docs)

    def ordered_within(
        self, final: AbstractSet[int], limit: int, searcher: Any = None
    ) -> list[tuple[int, float]]:
        """As ``Ranked.ordered_within`` (``final`` within ``docs``); ``searcher`` ranks the
        matches when ``top`` is not enough."""
        if not final or limit <= 0:
            return []
        if self.full is None and self.top is None:
            if searcher is None:
                raise ValueError("ranking the matches needs a searcher")
            found = rank(searcher, self.query)
            if isinstance(found, Ranked):
                self.full = Ranked(found.order, found.scores, self.docs)
            else:
                self.top = found.top
        if self.full is None and self.top is not None:
            out: list[tuple[int, float]] = []
            for docnum, score in self.top:
                if docnum in final:
                    out.append((docnum, score))
                    if len(out) >= limit:
                        return out
            if len(out) == len(final):  # every document asked for is among the best
                return out
            if searcher is None:
                raise ValueError("ranking every match needs a searcher")
            full = rank_all(searcher, self.query)
            self.full = Ranked(full.order, full.scores, self.docs)
        assert self.full is not None
        return self.full.ordered_within(final, limit)


def matches(searcher: Any, query: Any) -> Ranked | TopRanked:
    """A query's matches, not yet ranked where ``indexer.fasttop`` can find them without
    scoring (ranked on demand), otherwise ranked (``rank``)."""
    from indexer.fasttop import match_set

    with no_cyclic_gc():
        docs = match_set(searcher, query)
        return TopRanked(query, docs, None) if docs is not None else rank(searcher, query)


def rank(searcher: Any, query: Any) -> Ranked | TopRanked:
    """A query's matches, ranked: only its best ones first where ``indexer.fasttop`` can tell
    them apart (broad queries), otherwise all of them (``rank_all``)."""
    from indexer.fasttop import top_rank  # they import from here

    with no_cyclic_gc():  # lists of hundreds of thousands of postings, no cycles
        found = top_rank(searcher, query)
        return found if found is not None else rank_all(searcher, query)


def rank_all(searcher: Any, query: Any) -> Ranked:
    """Score every match of ``query`` (one pass over its postings): terms, phrases, ANDs and
    ORs by ``indexer.fastscore`` (the same scores, block at a time), anything else by Whoosh."""
    from indexer.fastscore import fast_rank

    with no_cyclic_gc():
        fast = fast_rank(searcher, query)
        if fast is not None:
            return fast
        results = searcher.search(query, limit=None)
        top = results.top_n  # (score, docnum), best first
        order = array("i", (d for _, d in top))
        return Ranked(order, array("f", (s for s, _ in top)), frozenset(order))


class RankCache:
    """Query text -> ``Ranked`` for one index version; thread-safe, bounded, LRU."""

    def __init__(self, max_docs: int = MAX_CACHED_DOCS) -> None:
        self.max_docs = max_docs
        self._items: OrderedDict[str, Ranked | TopRanked] = OrderedDict()
        self._docs = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: str, compute: Callable[[], Ranked | TopRanked]) -> Ranked | TopRanked:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                self.hits += 1
                return found
            self.misses += 1
        ranked = compute()  # outside the lock: other queries go on meanwhile
        size = ranked.size
        if size > self.max_docs:
            return ranked
        with self._lock:
            if key not in self._items:
                self._items[key] = ranked
                self._docs += size
                while self._docs > self.max_docs:
                    _, old = self._items.popitem(last=False)
                    self._docs -= old.size
        return ranked

    def __len__(self) -> int:
        return len(self._items)

    def recent(self, n: int) -> list[str]:
        """The ``n`` most recently used query texts, newest first."""
        with self._lock:
            keys = list(self._items)
        return keys[::-1][:n]


class Lru:
    """A small thread-safe least-recently-used map (per index version: parsed records of
    hits, snippets per query and document), bounded by its number of entries."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any, compute: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = compute()
        with self._lock:
            self._items[key] = value
            if len(self._items) > self.size:
                self._items.popitem(last=False)
        return value


#: Bounds of the per-version LRUs (entries).
RECORD_CACHE = 4_000  # parsed records of recent hits (~20 KB each)
SNIPPET_CACHE = 20_000
SELECTION_CACHE = 500  # facet counts, statistics tables


@dataclass
class VersionCaches:
    """What one index version remembers between requests; dropped by replacing it whole."""

    ranks: RankCache = field(default_factory=RankCache)  # query text -> Ranked
    records: Lru = field(default_factory=lambda: Lru(RECORD_CACHE))  # docnum -> Record
    snippets: Lru = field(default_factory=lambda: Lru(SNIPPET_CACHE))  # (query, doc) -> html
    facets: Lru = field(default_factory=lambda: Lru(SELECTION_CACHE))  # selection -> facets
    stats: Lru = field(default_factory=lambda: Lru(SELECTION_CACHE))  # selection -> table

    @classmethod
    def for_size(cls, docs: int) -> VersionCaches:
        """Caches for a version of ``docs`` documents (the ranking cache grows with it)."""
        return cls(ranks=RankCache(max(MAX_CACHED_DOCS, CACHED_DOCS_PER_DOC * docs)))
