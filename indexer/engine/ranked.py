"""The ranked forms of a query's matches: all of them in order, or only the best of them yet.

Owns ``Ranked`` (every match, best first, with its score: what Whoosh's ``search(limit=None)``
gives), ``TopRanked`` (every match as a set, only the first part of the order known; the
rest is ranked, once, when a request first needs it, by the functions it was made with) and
``Tiered`` (a query of plain words that few documents match in full: those first, then the
documents that match some of the words, in their own order).
Plain data for the engine's callers: the service walks them; it never reads the index again
for the same query.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

#: What ranks a query's matches: (searcher, query) -> all ranked, or only the best yet.
Ranker = Callable[[Any, Any], "Ranked | TopRanked"]


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
    """A query's matches (``docs``) of which only the best are ranked yet (``indexer.engine.top``):
    ``top`` is (document, score) best first, exactly as the whole ranking begins, and no other
    match can come before its last one; None when none is ranked yet (the matches were wanted
    without an order). A request that needs more than ``top`` holds (deep pages, filters that
    leave too few of them, exports) makes the whole ranking, once."""

    def __init__(
        self,
        query: Any,
        docs: frozenset[int],
        top: list[tuple[int, float]] | None,
        rank: Ranker,
        rank_all: Callable[[Any, Any], Ranked],
    ) -> None:
        self.query = query
        self._rank = rank
        self._rank_all = rank_all
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
            found = self._rank(searcher, self.query)
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
            full = self._rank_all(searcher, self.query)
            self.full = Ranked(full.order, full.scores, self.docs)
        assert self.full is not None
        return self.full.ordered_within(final, limit)


class Tiered:
    """The matches of every word (``strict``) first, in their order, then the documents that
    match only some of the words (``loose``, a superset), in theirs: BM25 over the words a
    document holds ranks those with more of them, and the rarer ones, higher."""

    def __init__(self, strict: Ranked | TopRanked, loose: Ranked | TopRanked) -> None:
        self.strict = strict
        self.loose = loose
        self.docs = loose.docs  # any of the words: every full match among them

    @property
    def size(self) -> int:
        return len(self.docs)

    def ordered_within(
        self, final: AbstractSet[int], limit: int, searcher: Any = None
    ) -> list[tuple[int, float]]:
        first = self.strict.ordered_within(final & self.strict.docs, limit, searcher)
        if len(first) >= limit:
            return first
        rest = final - self.strict.docs
        return first + self.loose.ordered_within(rest, limit - len(first), searcher)
