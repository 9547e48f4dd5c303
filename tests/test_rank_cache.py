"""The per-version ranking cache: bounded by documents held, least recently used out, and
sized with the version (a broad query at a million projects holds hundreds of thousands)."""

from __future__ import annotations

from array import array
from pathlib import Path

import pytest

from indexer.engine.ranked import Ranked
from indexer.service import caches as ranking
from indexer.service.caches import (
    CACHED_DOCS_PER_DOC,
    MAX_CACHED_DOCS,
    RankCache,
    SizedLru,
    VersionCaches,
)
from indexer.service.search import SearchService


def _ranked(n: int) -> Ranked:
    order = array("i", range(n))
    return Ranked(order, array("f", [1.0] * n), frozenset(order))


def test_least_recently_used_rankings_leave_first() -> None:
    cache = RankCache(max_docs=10)
    for key in ("a", "b", "c"):
        cache.get(key, lambda: _ranked(4))  # 12 documents > 10: "a" leaves
    assert len(cache) == 2 and cache.recent(3) == ["c", "b"]
    cache.get("b", lambda: _ranked(4))  # a hit moves "b" to the front
    cache.get("d", lambda: _ranked(4))  # "c" is now the oldest
    assert cache.recent(3) == ["d", "b"]
    assert (cache.hits, cache.misses) == (1, 4)
    big = cache.get("e", lambda: _ranked(11))  # larger than the whole cache: not kept
    assert len(big.order) == 11 and "e" not in cache.recent(5)


def test_the_ranking_cache_grows_with_the_version() -> None:
    assert VersionCaches.for_size(1_000).ranks.max_docs == MAX_CACHED_DOCS
    million = VersionCaches.for_size(1_000_000).ranks.max_docs
    assert million == CACHED_DOCS_PER_DOC * 1_000_000 > MAX_CACHED_DOCS


def test_a_served_version_gets_a_cache_of_its_size(
    kth_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ranking, "CACHED_DOCS_PER_DOC", 10_000)  # so its size decides
    version = SearchService(kth_home / "index")._current()
    assert version.caches.ranks.max_docs == 10_000 * version.table.n > MAX_CACHED_DOCS


def test_queries_that_match_nothing_do_not_pile_up() -> None:
    """An empty match set holds no documents but is an entry: it counts one against the bound,
    so a server asked random words keeps at most ``max_docs`` of them."""
    cache = SizedLru(3, len)
    for i in range(10):
        assert cache.get(f"nothing {i}", frozenset) == frozenset()
    assert len(cache) == 3 and cache.recent(1) == ["nothing 9"]
