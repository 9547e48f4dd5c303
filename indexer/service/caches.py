"""The search service's caches, all in one place: what each remembers, for how long, how big.

Per index version (``VersionCaches``; a new version starts with new ones, so nothing cached is
ever stale, and they are dropped by replacing them whole):

- ``ranks``: query text -> its matches, ranked or not yet (``indexer.engine.ranked``),
  bounded by the documents they hold together, least recently used first out (``RankCache``);
- ``records``: document number -> parsed record of a recent hit (``RECORD_CACHE`` entries);
- ``snippets``: (query, document) -> highlighted snippet (``SNIPPET_CACHE``);
- ``facets`` and ``stats``: a selection -> its facet counts / statistics table
  (``SELECTION_CACHE`` each).

Per version too, made once when a version opens and kept with it: the document table
(``indexer.service.facets.DocTable``), the statistics preparation (``indexer.service.stats``),
the facility maps (``indexer.building.facility_maps``) and the compound lexicon. Process-wide:
the query parser's parsed-text cache (``indexer.engine.query``, an ``lru_cache``) and the
stemmers' caches inside the analyzers (``STEM_CACHE_SIZE`` stems each).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from indexer.engine import Ranked, TopRanked

#: Matched documents all cached rankings may hold together (about 45 bytes each): at least
#: this many, and ``CACHED_DOCS_PER_DOC`` per document of the version (a broad query matches
#: a quarter of a collection; at 1,000,000 projects a fixed 2,000,000 held eight of them).
MAX_CACHED_DOCS = 2_000_000
CACHED_DOCS_PER_DOC = 8


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
