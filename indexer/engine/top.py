"""Ranking a query's matches: the best of a broad query exactly, without scoring every match.

Owns the engine's entry points for a query's matches: ``matches`` (which documents, ranked
only when a request needs it), ``rank`` (the best first where they can be told apart, else
all) and ``rank_all`` (every match scored: ``indexer.engine.scoring``'s fast paths, anything
else by Whoosh), each a form of ``indexer.engine.ranked``. Behind them ``top_rank(searcher,
query)``: for a query the fast scorer can score (terms, phrases, ANDs and ORs), every document
it matches and the first part of its ranking (``TopRanked``); the whole ranking (``Ranked``,
from the postings already read) where that is about as cheap or the best cannot be told
apart; None for other shapes. And ``match_set``: step 1 below alone, for requests that only
need which documents match.

A word is looked for in about ten fields with very different boosts, and a broad one matches
hundreds of thousands of projects mostly through the big abstract fields, with small scores,
while the first pages come from the few projects that also have it in a title. So:

1. Every leaf's postings are read once (block at a time, kept for step 3); the match set is
   the same tree evaluated on sets of document numbers (unions, intersections, in C).
2. Each leaf gets an upper bound on what it adds to any score: its BM25 at the highest weight
   found in its postings and a field length of 0, times the boosts above it (a phrase: its
   highest actual score). Leaves are taken in order of that bound until their documents (the
   candidates) are enough; the others' bounds summed is what any document outside the
   candidates can score at most.
3. The candidates are scored exactly (``indexer.engine.scoring`` restricted to them: Whoosh's
   doubles).
   Those scoring above that sum, with a small margin for rounding, are ranked: no other match
   can come before any of them, and their order among themselves is the whole ranking's.

Scores are sums of positive parts (positive boosts, BM25 is positive), which is what makes a
sum of bounds a bound.
"""

from __future__ import annotations

from array import array
from itertools import compress
from typing import Any

from whoosh import query as Q
from whoosh import scoring
from whoosh.reading import TermNotFound

from indexer.engine.gc import no_cyclic_gc
from indexer.engine.ranked import Ranked, TopRanked
from indexer.engine.scoring import (
    _scores,
    _Segment,
    _Unsupported,
    fast_rank,
    ranked_from,
    supported,
)

#: Below this many matches, ranking them all is cheap (and serves every page).
MIN_MATCHES = 20_000
#: Candidates scored before the bound is tried (more leaves are added until there are).
MIN_CANDIDATES = 2_000
#: Stop adding candidates beyond this share of the matches: rank them all instead.
MAX_SHARE = 0.25
#: Ranked documents wanted: enough for the first pages and a deep page (page 50 of 20).
WANTED = 1_000
#: Ranked documents kept at most (a prefix of the ranking is a ranking too).
KEEP = 10_000
#: Fewer ranked than this (five pages) when the candidates run out: rank every match.
ENOUGH = 100
#: Relative margin on the bound, far above the rounding of a few dozen additions.
MARGIN = 1e-7


def top_rank(searcher: Any, query: Any) -> TopRanked | Ranked | None:
    """Matches and first ranks of ``query`` (see the module), all its ranks, or None."""
    segments = _segments(searcher, query)
    if segments is None:
        return None
    leaves = _leaves(query, 1.0, [])
    try:
        if len(leaves) < 2 or most_matches(searcher, query) < MIN_MATCHES:
            return _all(query, segments)  # step 1 could only lead here
        bounds, local, matched = _matches(query, leaves, segments)
        if len(matched) < MIN_MATCHES:
            return _all(query, segments)
        return _top(query, bounds, local, matched, segments)
    except _Unsupported:
        return None


def most_matches(searcher: Any, q: Any) -> int:
    """The most documents ``q`` can match, from its words' document frequencies (deleted
    documents included): a word's own, the fewest of a phrase's or an And's parts, the sum of
    an Or's. A compound's And of its parts ("projekt" and "ledning") is bounded by its rarer
    part, so a query that cannot reach ``MIN_MATCHES`` is ranked in full at once, without
    reading every leaf's documents into sets first (step 1)."""
    kind = type(q)
    if kind is Q.Term:
        if q.fieldname not in searcher.schema:  # as Whoosh's Term.estimate_size: no match
            return 0
        try:
            return int(searcher.doc_frequency(q.fieldname, q.text))
        except TermNotFound:  # a field that is not indexed
            return 0
        except (KeyError, ValueError, TypeError):  # a text the field cannot turn into a term
            return int(searcher.doc_count_all())
    if kind is Q.Phrase:
        return min((most_matches(searcher, Q.Term(q.fieldname, w)) for w in q.words), default=0)
    subs = q.subqueries
    if not subs:
        return 0
    if kind is Q.And:
        return min(most_matches(searcher, s) for s in subs)
    return min(sum(most_matches(searcher, s) for s in subs), int(searcher.doc_count_all()))


def match_set(searcher: Any, query: Any) -> frozenset[int] | None:
    """Every document ``query`` matches (step 1 alone), or None for another shape."""
    segments = _segments(searcher, query)
    if segments is None:
        return None
    try:
        return frozenset(_matches(query, _leaves(query, 1.0, []), segments)[2])
    except _Unsupported:
        return None


def matches(searcher: Any, query: Any) -> Ranked | TopRanked:
    """A query's matches, not yet ranked where ``indexer.engine.top`` can find them without
    scoring (ranked on demand), otherwise ranked (``rank``)."""
    with no_cyclic_gc():
        docs = match_set(searcher, query)
        return (
            TopRanked(query, docs, None, rank, rank_all)
            if docs is not None
            else rank(searcher, query)
        )


def rank(searcher: Any, query: Any) -> Ranked | TopRanked:
    """A query's matches, ranked: only its best ones first where ``indexer.engine.top`` can tell
    them apart (broad queries), otherwise all of them (``rank_all``)."""
    with no_cyclic_gc():  # lists of hundreds of thousands of postings, no cycles
        found = top_rank(searcher, query)
        return found if found is not None else rank_all(searcher, query)


def rank_all(searcher: Any, query: Any) -> Ranked:
    """Score every match of ``query`` (one pass over its postings): terms, phrases, ANDs and
    ORs by ``indexer.engine.scoring`` (the same scores, block at a time), anything else by
    Whoosh."""
    with no_cyclic_gc():
        fast = fast_rank(searcher, query)
        if fast is not None:
            return fast
        results = searcher.search(query, limit=None)
        top = results.top_n  # (score, docnum), best first
        order = array("i", (d for _, d in top))
        return Ranked(order, array("f", (s for s, _ in top)), frozenset(order))


def _segments(searcher: Any, query: Any) -> list[tuple[Any, int]] | None:
    weighting = searcher.weighting
    if type(weighting) is not scoring.BM25F or weighting.use_final or not supported(query):
        return None
    norms: dict[str, list[float]] = {}
    return [
        (_Segment(leaf, weighting, norms, keep=True), offset)
        for leaf, offset in searcher.leaf_searchers()
    ]


Local = tuple[Any, int, list[set[int]], set[int]]  # segment, offset, per leaf, matched


def _matches(
    query: Any, leaves: list[tuple[Any, float]], segments: list[tuple[Any, int]]
) -> tuple[list[float], list[Local], set[int]]:
    """Step 1 and the bounds of step 2: per leaf its bound, per segment each leaf's documents
    and the matches (local numbers), and all matches (global numbers)."""
    bounds = [0.0] * len(leaves)
    local: list[Local] = []
    matched: set[int] = set()
    for seg, offset in segments:
        sets: dict[int, set[int]] = {}
        per_leaf = []
        for i, (leaf, boost) in enumerate(leaves):
            docs, bound = _leaf(seg, leaf)
            sets[id(leaf)] = docs
            per_leaf.append(docs)
            bounds[i] = max(bounds[i], bound * boost)
        here = _match(query, sets)
        local.append((seg, offset, per_leaf, here))
        matched.update(map(offset.__add__, here) if offset else here)
    return bounds, local, matched


def _top(
    query: Any,
    bounds: list[float],
    local: list[Local],
    matched: set[int],
    segments: list[tuple[Any, int]],
) -> TopRanked | Ranked:
    """Steps 2 and 3."""
    by_bound = sorted(range(len(bounds)), key=bounds.__getitem__, reverse=True)

    def floor(k: int) -> float:  # the most a match outside the first k leaves can score
        return sum(bounds[j] for j in by_bound[k:]) * (1 + MARGIN)

    scores: dict[int, float] = {}
    candidates: list[set[int]] = [set() for _ in local]  # per segment, local numbers
    count = included = 0
    for k, i in enumerate(by_bound, start=1):
        fresh = [
            (per_leaf[i] & here) - seen
            for (_, _, per_leaf, here), seen in zip(local, candidates, strict=True)
        ]
        grown = count + sum(map(len, fresh))
        if grown > MAX_SHARE * len(matched):
            break
        count, included = grown, k
        for (seg, offset, _, _), seen, new in zip(local, candidates, fresh, strict=True):
            if new:
                seen |= new
                part = _scores(seg.run(query, new))
                scores.update(zip(map(offset.__add__, part), part.values(), strict=True))
        if count >= MIN_CANDIDATES and sum(map(floor(k).__lt__, scores.values())) >= WANTED:
            break
    ranked = _best(scores, floor(included), KEEP) if included else []
    if len(ranked) < ENOUGH:
        return _all(query, segments)
    return TopRanked(query, frozenset(matched), ranked, rank, rank_all)


def _best(scores: dict[int, float], floor: float, keep: int) -> list[tuple[int, float]]:
    """The ``keep`` best documents scoring above ``floor``, best first, ties by number."""
    values = sorted(filter(floor.__lt__, scores.values()), reverse=True)
    if not values:
        return []
    least = values[min(keep, len(values)) - 1]
    chosen = sorted(compress(scores.keys(), map(least.__le__, scores.values())))
    chosen.sort(key=scores.__getitem__, reverse=True)  # stable: ties stay by number
    return [(d, scores[d]) for d in chosen[:keep]]


def _all(query: Any, segments: list[Any]) -> Ranked:
    """Every match ranked, from the postings the segments already hold."""
    scores: dict[int, float] = {}
    for seg, offset in segments:
        part = _scores(seg.run(query))
        scores.update(zip(map(offset.__add__, part), part.values(), strict=True))
    return ranked_from(scores)


def _leaves(q: Any, boost: float, out: list[tuple[Any, float]]) -> list[tuple[Any, float]]:
    """The tree's terms and phrases, each with the product of the boosts above it (a compound
    of one child drops its own, as ``CompoundQuery.matcher`` does)."""
    kind = type(q)
    if kind is Q.Term or kind is Q.Phrase:
        out.append((q, boost))
        return out
    subs = q.subqueries
    inner = boost * q.boost if len(subs) > 1 else boost
    for sub in subs:
        _leaves(sub, inner, out)
    return out


def _leaf(seg: Any, q: Any) -> tuple[set[int], float]:
    """A leaf's live documents in this segment and the most it adds to a score (times its own
    boost, not the ones above it)."""
    if type(q) is Q.Phrase:
        found = _scores(seg.phrase(q, None))
        return set(found), max(found.values(), default=0.0)
    fieldname = q.fieldname
    if fieldname not in seg.schema:
        return set(), 0.0
    field = seg.schema[fieldname]
    try:
        btext = field.to_bytes(q.text)
    except ValueError:
        return set(), 0.0
    if (fieldname, btext) not in seg.reader:
        return set(), 0.0
    _, ids, weights = seg.postings(fieldname, btext, None)
    docs = set(ids)
    docs -= seg.deleted
    if not ids:
        return docs, 0.0
    heaviest = max(weights)
    if not field.scorable:  # scoring.WeightScorer: the weight is the score
        return docs, heaviest * q.boost
    # scoring.bm25 grows with the weight and falls with the field length: at the heaviest
    # weight and a length of 0 it bounds every posting of the term.
    w = seg.weighting
    B, K1 = w._field_B.get(fieldname, w.B), w.K1
    if not 0 <= B <= 1 or K1 < 0:
        raise _Unsupported("a BM25 length norm that does not grow with length")
    idf = seg.parent.idf(fieldname, btext)
    return docs, idf * ((heaviest * (K1 + 1)) / (heaviest + K1 * (1 - B))) * q.boost


def _match(q: Any, sets: dict[int, set[int]]) -> set[int]:
    """The documents the tree matches, from its leaves' documents."""
    kind = type(q)
    if kind is Q.Term or kind is Q.Phrase:
        return sets[id(q)]
    parts = [_match(sub, sets) for sub in q.subqueries]
    if not parts:
        return set()
    if kind is Q.And:
        return set.intersection(*sorted(parts, key=len))
    return set().union(*parts)
