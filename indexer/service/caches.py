"""Every cache of the search engine and service, listed in one registry (``CACHES``).

The service's own per-version caches live here (``VersionCaches``: a new index version starts
with new ones, so nothing cached is ever stale, and they are dropped by replacing them whole):
``ranks`` (``RankCache``: query text -> its matches, ranked or not yet, bounded by the
documents they hold together, least recently used first out), ``bases`` (the same bound: a
query's matches among the documents a list shows), ``records``, ``snippets``,
``facets`` and ``stats`` (``Lru``s bounded by entries). The other caches stay beside the code
that fills them; ``CACHES`` names each with its scope, its bound and what it holds.
``tests/test_engine_compat.py`` checks that every listed cache is still there, and fails when
a cache it can recognise (``lru_cache``, ``cache``, ``cached_property``, weak maps, a name with
"cache" in it, an ``Lru``) appears in ``indexer/`` unlisted.
Besides caches, a version is warmed (the predecessor's recent queries ranked before it is
served: ``indexer.service.search``) and frozen out of the collector's walks
(``indexer.engine.gc.settle_after_open``) when it opens.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from indexer.engine import Ranked, TopRanked


@dataclass(frozen=True)
class CacheInfo:
    """One cache: ``where`` (module and name), ``scope`` (process, version or build), its
    ``bound`` and what it ``holds``."""

    where: str
    scope: str
    bound: str
    holds: str


CACHES: tuple[CacheInfo, ...] = (
    CacheInfo(
        "indexer.service.caches:RankCache",
        "version",
        "MAX_CACHED_DOCS documents, or CACHED_DOCS_PER_DOC per document",
        "query text -> its matches (ranked forms)",
    ),
    CacheInfo(
        "indexer.service.caches:bases",
        "version",
        "MAX_CACHED_DOCS documents, or CACHED_DOCS_PER_DOC per document",
        "(query key, twins shown) -> its matches among the listed documents",
    ),
    CacheInfo(
        "indexer.service.caches:records",
        "version",
        "RECORD_CACHE entries",
        "document -> parsed record of a recent hit",
    ),
    CacheInfo(
        "indexer.service.caches:snippets",
        "version",
        "SNIPPET_CACHE entries",
        "(query, language, document) -> highlighted snippet",
    ),
    CacheInfo(
        "indexer.service.caches:facets",
        "version",
        "SELECTION_CACHE entries",
        "a selection -> its facet counts",
    ),
    CacheInfo(
        "indexer.service.caches:stats",
        "version",
        "SELECTION_CACHE entries",
        "a selection and dimensions -> its statistics table",
    ),
    CacheInfo(
        "indexer.service.caches:graphs",
        "version",
        "GRAPH_CACHE entries",
        "a selection -> its ecosystem graph (every node and edge, before any view's cut)",
    ),
    CacheInfo(
        "indexer.service.facets:DocTable._orders",
        "version",
        "one per sort key",
        "sort key and direction -> every live document in that order",
    ),
    CacheInfo(
        "indexer.service.facets:DocTable._status_cache",
        "version",
        "one per day asked",
        "day -> the documents ongoing, upcoming and finished on it",
    ),
    CacheInfo(
        "indexer.service.facets:DocTable._tallies",
        "version",
        "one per pool",
        "a pool of documents -> its facet value counts",
    ),
    CacheInfo(
        "indexer.service.facets:DocTable._status_counts",
        "version",
        "one per pool",
        "a pool, day and facet -> status counts",
    ),
    CacheInfo(
        "indexer.service.facets:DocTable.derived",
        "version",
        "one per deriver",
        "what other modules derive once per version (statistics groups)",
    ),
    CacheInfo(
        "indexer.service.facets:DocTable.tallier",
        "version",
        "one, made as the version opens",
        "every facet value occurrence as flat (document, value) arrays, for numpy counts",
    ),
    CacheInfo(
        "indexer.service.facets:DocTable.live_canonical",
        "version",
        "one",
        "the live documents that are not twins",
    ),
    CacheInfo(
        "indexer.service.served:ServedVersion.facility_maps",
        "version",
        "one",
        "the facility maps, read when first needed",
    ),
    CacheInfo(
        "indexer.service.facility_maps:FacilityMaps.aliases",
        "version",
        "one file",
        "record uid -> the facility it became part of",
    ),
    CacheInfo(
        "indexer.service.facility_maps:FacilityMaps._loaded",
        "version",
        "one entry per file",
        "the facility maps' files, each read once when first needed",
    ),
    CacheInfo(
        "indexer.service.snippets:Snippets.plans",
        "version",
        "one TextPlan per field",
        "each plan's term cache: token -> term (the version's vocabulary)",
    ),
    CacheInfo(
        "indexer.service.snippets:Snippets.lows",
        "version",
        "the tokens of the texts highlighted",
        "token -> its NFC lowercase form (the snippet prefilter's)",
    ),
    CacheInfo(
        "indexer.analysis.compounds:Decompounder._cache",
        "version",
        "_CACHE_LIMIT words, then cleared",
        "query word -> its compound parts",
    ),
    CacheInfo(
        "indexer.engine.query:analysed",
        "process",
        "8,192 entries (lru_cache)",
        "(field, word) -> its terms under the field's analysis",
    ),
    CacheInfo(
        "indexer.engine.scoring:_LENGTHS",
        "process, per segment reader (weak)",
        "the readers alive",
        "field -> the length byte of every document",
    ),
    CacheInfo(
        "indexer.engine.frequent:_TABLES",
        "process, per segment reader (weak)",
        "the readers alive",
        "the segment's frequent terms' table, with a view of its mapped file (freed with the"
        " reader, so a closed version's mapping lasts until its reader is collected)",
    ),
    CacheInfo(
        "indexer.engine.analyzers:StemFilter",
        "process",
        "STEM_CACHE_SIZE stems per analyzer",
        "word -> stem",
    ),
    CacheInfo(
        "indexer.engine.writer:SegmentBuilder._qcache",
        "build",
        "one segment",
        "field length -> its quantised byte",
    ),
    CacheInfo(
        "indexer.registry.mentions:Named.context_prefixes",
        "build",
        "one per facility",
        "its context words cut to six letters",
    ),
    CacheInfo(
        "indexer.registry.mention_cache:MentionCache",
        "build, kept per version",
        "one file per version",
        "text digest -> the facilities it mentions",
    ),
    CacheInfo("indexer.registry.types:default_types", "process", "one", "the facility types"),
    CacheInfo(
        "indexer.analysis.languages:analysis_id",
        "process",
        "one",
        "the installed lemma table's and stemmers' versions",
    ),
    CacheInfo(
        "indexer.analysis.lemmas:_LEXICON",
        "process",
        "one (744,594 forms, about 190 MB while loading)",
        "the Swedish lemma table, loaded when the first version opens",
    ),
    CacheInfo(
        "indexer.engine.compat:_resolve",
        "process",
        "the names checked",
        "a dotted Whoosh path -> the object",
    ),
)

#: Matched documents all cached rankings may hold together (about 45 bytes each): at least
#: this many, and ``CACHED_DOCS_PER_DOC`` per document of the version (a broad query matches
#: a quarter of a collection; at 1,000,000 projects a fixed 2,000,000 held eight of them).
MAX_CACHED_DOCS = 2_000_000
CACHED_DOCS_PER_DOC = 8


class SizedLru:
    """Key -> a value holding documents, thread-safe, least recently used first out, bounded
    by the documents all values hold together (``size_of``); a value larger than the bound
    is returned but not kept."""

    def __init__(self, max_docs: int, size_of: Callable[[Any], int]) -> None:
        self.max_docs = max_docs
        self._size_of = size_of
        self._items: OrderedDict[Any, Any] = OrderedDict()
        self._docs = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Any, compute: Callable[[], Any]) -> Any:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                self.hits += 1
                return found
            self.misses += 1
        value = compute()  # outside the lock: other requests go on meanwhile
        size = self._weight(value)
        if size > self.max_docs:
            return value
        with self._lock:
            if key not in self._items:
                self._items[key] = value
                self._docs += size
                while self._docs > self.max_docs:
                    _, old = self._items.popitem(last=False)
                    self._docs -= self._weight(old)
        return value

    def _weight(self, value: Any) -> int:
        """What a value counts against the bound: its documents, and at least one (an empty
        one is an entry too: queries matching nothing must not pile up unbounded)."""
        return max(1, self._size_of(value))

    def __len__(self) -> int:
        return len(self._items)

    def recent(self, n: int) -> list[Any]:
        """The ``n`` most recently used keys, newest first."""
        with self._lock:
            keys = list(self._items)
        return keys[::-1][:n]


class RankCache(SizedLru):
    """Query text -> ``Ranked`` for one index version."""

    def __init__(self, max_docs: int = MAX_CACHED_DOCS) -> None:
        super().__init__(max_docs, _rank_size)

    def get(self, key: str, compute: Callable[[], Ranked | TopRanked]) -> Ranked | TopRanked:
        found: Ranked | TopRanked = super().get(key, compute)
        return found


def _rank_size(ranked: Ranked | TopRanked) -> int:
    return ranked.size


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
GRAPH_CACHE = 20  # ecosystems of selections (up to a few MB each at 100,000 projects)


@dataclass
class VersionCaches:
    """What one index version remembers between requests; dropped by replacing it whole."""

    ranks: RankCache = field(default_factory=RankCache)  # query text -> Ranked
    records: Lru = field(default_factory=lambda: Lru(RECORD_CACHE))  # docnum -> Record
    snippets: Lru = field(default_factory=lambda: Lru(SNIPPET_CACHE))  # (query, doc) -> html
    facets: Lru = field(default_factory=lambda: Lru(SELECTION_CACHE))  # selection -> facets
    stats: Lru = field(default_factory=lambda: Lru(SELECTION_CACHE))  # selection -> table
    graphs: Lru = field(default_factory=lambda: Lru(GRAPH_CACHE))  # selection -> its graph
    # (query key, twins shown) -> the matches among the documents listed: intersecting a broad
    # query's matches with the collection was most of a repeated search's time (3 ms at 20,000)
    bases: SizedLru = field(default_factory=lambda: SizedLru(MAX_CACHED_DOCS, len))

    @classmethod
    def for_size(cls, docs: int) -> VersionCaches:
        """Caches for a version of ``docs`` documents (the ranking cache grows with it)."""
        bound = max(MAX_CACHED_DOCS, CACHED_DOCS_PER_DOC * docs)
        return cls(ranks=RankCache(bound), bases=SizedLru(bound, len))
