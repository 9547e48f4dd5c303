"""Fast BM25F scoring of the common query shapes: the same matches and scores as Whoosh.

Owns ``fast_rank(searcher, query)``: every document a query of terms, phrases
(``indexer.engine.phrases``), ANDs and ORs matches, with the score ``searcher.search(query,
limit=None)`` gives it, bit for bit, in the same order (score descending, then document
number), or None for any other shape (NOT, wildcards, sloppy phrases, ...) so that the caller
asks Whoosh. Whoosh walks a tree of matchers one posting at
a time, a few microseconds per posting and tree level; here each term's postings are read a
whole block at a time (ids and weights as decoded by the codec), scored with one expression
per posting against the segment's field-length column (read once per segment and field, then
kept), and the tree is combined as dicts of document -> score. An And reads its smallest
child first and the others only for the documents that one matched.

Exactness is by construction, not by tolerance: in every segment the scores are combined along
the tree Whoosh itself would build there, so each score is the same sum of the same doubles in
the same order (and ties fall the same way). The tree is built by Whoosh's own
``util.make_weighted_tree`` over stand-ins: instances of the matcher classes Whoosh would make
(leaf, ``FilterMatcher`` for a segment with deletions, ``WrappingMatcher`` for a boost, unions,
intersections, ``NullMatcher`` for a term not in the segment), because equal estimated sizes
are ordered by comparing matchers, which compare by class, asymmetrically. Also mirrored
(whoosh-reloaded 2.7.5, pinned): ``scoring.BM25F`` (idf and average field length from the top
searcher, quantised lengths from the ``_<field>_len`` column, the weight alone for unscorable
fields), ``query.compound`` (``Or``'s ``AUTO_MATCHER`` choice, a one-child compound ignoring
its boost), ``combo.ArrayUnionMatcher`` (child order, boost per child, matches only above 0),
deleted documents dropped, and ``collectors.UnlimitedCollector``'s order.
"""

from __future__ import annotations

import weakref
from array import array
from bisect import bisect_left
from itertools import accumulate, compress
from typing import Any

import numpy as np
from whoosh import query as Q
from whoosh import scoring
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher
from whoosh.matching import (
    ArrayUnionMatcher,
    FilterMatcher,
    IntersectionMatcher,
    ListMatcher,
    NullMatcher,
    UnionMatcher,
    WrappingMatcher,
)
from whoosh.query.spans import SpanNear2
from whoosh.util import make_weighted_tree
from whoosh.util.numeric import byte_to_length

from indexer.engine import frequent
from indexer.engine import phrases as fastphrase
from indexer.engine.ranked import Ranked

Scores = dict[int, float]

MAX_DEPTH = 32
# query.compound.Or: a segment with more documents than this gets a tree of unions (when the
# Or has more than two children), a smaller one the preloaded ArrayUnionMatcher.
_ARRAY_UNION_MAX_DOCS = 5000
#: From this many postings a term's BM25 is computed on numpy arrays (the same doubles).
_NUMPY_FROM = 256

# Segment reader -> field -> its length bytes, one per document (None: no length column).
_LENGTHS: weakref.WeakKeyDictionary[Any, dict[str, bytes | None]] = weakref.WeakKeyDictionary()


class _Unsupported(Exception):
    """A shape met while scoring that only Whoosh can score."""


def fast_rank(searcher: Any, query: Any) -> Ranked | None:
    """Every match of ``query`` as ``searcher.search(query, limit=None)`` ranks it, or None
    when the query is not made of terms, phrases, ANDs and ORs (the caller then asks Whoosh)."""
    scores = fast_scores(searcher, query)
    return None if scores is None else ranked_from(scores)


def ranked_from(scores: Scores) -> Ranked:
    """Whoosh's order of these scores: descending, ties by document number."""
    order = sorted(scores)
    order.sort(key=scores.__getitem__, reverse=True)  # stable: ties stay by docnum
    values = list(map(scores.__getitem__, order))  # a list converts faster than an iterator
    return Ranked(array("i", order), array("f", values), frozenset(order))


def fast_scores(searcher: Any, query: Any) -> Scores | None:
    """Top-level docnum -> score (the doubles Whoosh computes), or None for other shapes."""
    weighting = searcher.weighting
    if type(weighting) is not scoring.BM25F or weighting.use_final:
        return None
    if not supported(query):
        return None
    out: Scores = {}
    norms: dict[str, list[float]] = {}  # field -> BM25 length norm per length byte
    try:
        for leaf, offset in searcher.leaf_searchers():
            part = _scores(_Segment(leaf, weighting, norms).run(query))
            if offset:
                out.update(zip(map(offset.__add__, part.keys()), part.values(), strict=True))
            else:
                out.update(part)
    except _Unsupported:
        return None
    return out


def supported(query: Any, depth: int = 0) -> bool:
    """Whether ``fast_scores`` handles this query: Terms, phrases, Ands and Ors of them, any
    nesting, with positive boosts (a score of 0 meets quirks of Whoosh's array union: left to
    it)."""
    kind = type(query)
    if not getattr(query, "boost", 1.0) > 0 or depth >= MAX_DEPTH:
        return False
    if kind is Q.Term:
        return not query.minquality
    if kind is Q.Phrase:
        return fastphrase.supported(query)
    if kind is Q.And or (kind is Q.Or and not query.scale):
        return all(supported(q, depth + 1) for q in query.subqueries)
    return False


class _Segment:
    """One leaf searcher: evaluates a query tree into local docnum -> score."""

    def __init__(
        self, leaf: Any, weighting: scoring.BM25F, norms: dict[str, list[float]], keep: bool = False
    ) -> None:
        """``keep``: remember every term's postings once read (``indexer.engine.top`` reads them
        for the match set, then scores some documents from them)."""
        self.leaf = leaf
        self.kept: dict[tuple[str, bytes], tuple[type, list[int], Any]] | None = (
            {} if keep else None
        )
        self.phrases: dict[int, Scores | None] = {}  # kept: id of a phrase -> its matches
        self.norms = norms
        self.reader = leaf.reader()
        self.parent = leaf.get_parent()
        self.schema = leaf.schema
        self.weighting = weighting
        self.doccount = leaf.doc_count_all()
        self.deleted: frozenset[int] = (
            self.reader.deleted_docs_set if self.reader.has_deletions() else frozenset()
        )
        self.frequent = frequent.table(self.reader)

    def run(self, q: Any, only: Any = None) -> Any:
        """The matcher Whoosh would build for ``q`` here, as a token: an uninitialised instance
        of the same class (its place in ``make_weighted_tree`` depends on the class: matchers
        compare by type, asymmetrically) carrying our scores."""
        kind = type(q)
        if kind is Q.Term:
            return self.term(q, only)
        if kind is Q.Phrase:
            return self.phrase(q, only)
        subs = q.subqueries
        if not subs:
            return NullMatcher
        if len(subs) == 1:  # CompoundQuery.matcher: the child alone, the boost dropped
            return self.run(subs[0], only)
        reader = self.reader
        if kind is Q.And:
            root = self.conjunction(subs, [0 - s.estimate_size(reader) for s in subs], only)
        else:
            matcher_type = q.matcher_type
            if matcher_type == q.AUTO_MATCHER:
                if len(subs) < q.TOO_MANY_CLAUSES and (
                    q.scale or len(subs) == 2 or self.doccount > _ARRAY_UNION_MAX_DOCS
                ):
                    matcher_type = q.DEFAULT_MATCHER
                else:
                    matcher_type = q.ARRAY_MATCHER
            if matcher_type == q.ARRAY_MATCHER:
                return self.array_union(subs, q.boost, only)
            if matcher_type != q.DEFAULT_MATCHER:
                raise _Unsupported(f"Or matcher type {matcher_type}")
            children = [self.run(s, only) for s in subs]
            root = self.tree([s.estimate_size(reader) for s in subs], children, _union)
        if q.boost != 1.0:
            return _token(WrappingMatcher, _boosted(_scores(root), q.boost))
        return root

    def conjunction(self, subs: list[Any], weights: list[int], only: Any) -> Any:
        """An And: its smallest child first, then the others only where that one matched (the
        scores of those documents are the same; no other document can match the And)."""
        first = weights.index(max(weights))  # the weights are minus the estimated sizes
        children = [None] * len(subs)
        children[first] = self.run(subs[first], only)
        found = _scores(children[first]).keys()
        for i, s in enumerate(subs):
            if i != first:
                children[i] = self.run(s, found)
        return self.tree(weights, children, _intersect)

    def tree(self, weights: list[int], children: list[Any], combine: Any) -> Any:
        """Whoosh's own ``make_weighted_tree`` over (estimated size, token) pairs."""
        kind = IntersectionMatcher if combine is _intersect else UnionMatcher
        pairs = list(zip(weights, children, strict=True))
        return make_weighted_tree(lambda a, b: _token(kind, combine(_scores(a), _scores(b))), pairs)

    def array_union(self, subs: list[Any], boost: float, only: Any) -> Any:
        """``ArrayUnionMatcher``: per document 0 + s1*boost + s2*boost ... in child order
        (it would drop a sum of 0, though not always: never met with positive boosts)."""
        out: Scores = {}
        for s in subs:
            out = _union(out, _boosted(_scores(self.run(s, only)), boost))
        if out and min(out.values()) <= 0:
            raise _Unsupported("a score of 0 in an array union")
        return _token(ArrayUnionMatcher, out)

    def phrase(self, q: Any, only: Any) -> Any:
        """``Phrase.matcher``: a ``SpanNear2Matcher`` over the words (``indexer.engine.phrases``),
        in a ``WrappingMatcher`` for a boost; a ``NullMatcher`` when a word is missing."""
        try:
            if self.kept is None:
                scores = fastphrase.phrase_scores(self, q, only)
            else:  # kept: every match once, then the documents asked for
                if id(q) not in self.phrases:
                    self.phrases[id(q)] = fastphrase.phrase_scores(self, q, None)
                scores = self.phrases[id(q)]
                if scores is not None and only is not None:
                    scores = {d: s for d, s in scores.items() if d in only}
        except ValueError as exc:  # no positions: Whoosh raises its own error
            raise _Unsupported(str(exc)) from exc
        if scores is None:
            return NullMatcher
        return _token(WrappingMatcher if q.boost != 1.0 else SpanNear2.SpanNear2Matcher, scores)

    def term(self, q: Any, only: Any) -> Any:
        """``Term.matcher``: the leaf matcher, behind the reader's deletion filter (a
        ``FilterMatcher``) when the segment has deletions and a ``WrappingMatcher`` boost."""
        fieldname = q.fieldname
        schema = self.schema
        if fieldname not in schema:
            return NullMatcher
        field = schema[fieldname]
        try:
            btext = field.to_bytes(q.text)
        except ValueError:
            return NullMatcher
        if (fieldname, btext) not in self.reader:
            return NullMatcher
        kind, ids, weights = self.postings(fieldname, btext, only)
        if only is not None:
            ids, weights = _select(ids, weights, only)
        boost = q.boost  # score * boost (times 1.0 changes nothing)
        if not field.scorable:  # scoring.WeightScorer: the weight is the score
            values = [tf * boost for tf in weights]
        else:
            values = self.bm25(fieldname, btext, ids, weights, boost)
        scores = dict(zip(ids, values, strict=True))
        if self.deleted:
            kind = FilterMatcher
            for d in self.deleted.intersection(scores):
                del scores[d]
        return _token(WrappingMatcher if boost != 1.0 else kind, scores)

    def bm25(
        self, fieldname: str, btext: bytes, ids: list[int], weights: Any, boost: float
    ) -> list[float]:
        """``scoring.bm25`` per posting times the boost: the same operations, same order."""
        w = self.weighting
        B = w._field_B.get(fieldname, w.B)
        K1 = w.K1
        idf = self.parent.idf(fieldname, btext)
        avgfl = self.parent.avg_field_length(fieldname) or 1
        k1p1 = K1 + 1
        lengths = self.lengths(fieldname)
        if lengths is None:  # doc_field_length(docnum, field, 1) without a column: 1
            n1 = K1 * ((1 - B) + B * 1 / avgfl)
            return [idf * ((tf * k1p1) / (tf + n1)) * boost for tf in weights]
        norm = self.norms.get(fieldname)  # the length part of the denominator, per length byte
        if norm is None:
            norm = [K1 * ((1 - B) + B * byte_to_length(b) / avgfl) for b in range(256)]
            self.norms[fieldname] = norm
        if len(ids) >= _NUMPY_FROM:  # the same IEEE operations on doubles, in the same order
            tf = np.array(weights, dtype=np.float64)
            by_doc = np.array(norm)[np.frombuffer(lengths, np.uint8)[np.array(ids, np.intp)]]
            scored: list[float] = (idf * ((tf * k1p1) / (tf + by_doc)) * boost).tolist()
            return scored
        return [
            idf * ((tf * k1p1) / (tf + norm[lengths[d]])) * boost
            for d, tf in zip(ids, weights, strict=True)
        ]

    def postings(
        self, fieldname: str, btext: bytes, only: Any, values: list[Any] | None = None
    ) -> tuple[type, list[int], Any]:
        """Every docnum of a term (deleted ones too) and its weight, a block at a time; the
        leaf matcher's class. ``values``: a list to extend with each posting's encoded value."""
        kept = self.kept
        if kept is not None and values is None:
            found = kept.get((fieldname, btext))
            if found is None:
                found = kept[fieldname, btext] = self._read(fieldname, btext, None, None)
            return found
        return self._read(fieldname, btext, only, values)

    def _read(
        self, fieldname: str, btext: bytes, only: Any, values: list[Any] | None
    ) -> tuple[type, list[int], Any]:
        if values is None and self.frequent is not None and self.frequent.has(fieldname, btext):
            if only is not None and not only:  # frequent terms are in blocks: a leaf matcher
                return W3LeafMatcher, [], []
            return W3LeafMatcher, *self.frequent.get(fieldname, btext)
        m = self.reader.postings(fieldname, btext)
        if type(m) is FilterMatcher:  # the reader's deletion filter: ``term`` drops them
            m = m.child
            m.reset()
        ids: list[int] = []
        weights: list[float] = []
        if only is not None and not only:  # an And already empty here: the class is enough
            return type(m), ids, weights
        if type(m) is W3LeafMatcher:
            while m.is_active():
                if m._data is None:
                    m._read_data()
                data = m._data
                block = list(accumulate(data[0])) if not m._byteids else list(data[0])
                ids += block
                w = data[1]
                if w is None:
                    weights += [1.0] * len(block)
                elif isinstance(w, float):
                    weights += [w] * len(block)
                else:
                    weights += w
                if values is not None:
                    m._read_values()
                    values += m._values
                m._next_block()
        elif type(m) is ListMatcher:
            ids = list(m._ids)
            if m._all_weights:
                weights = [m._all_weights] * len(ids)
            elif m._weights:
                weights = list(m._weights)
            else:
                weights = [1.0] * len(ids)
            if values is not None:
                if m._values is None:
                    raise _Unsupported("inlined postings without values")
                values += m._values
        else:  # any other leaf: step through it (slow, but the same values)
            while m.is_active():
                ids.append(m.id())
                weights.append(m.weight())
                if values is not None:
                    values.append(m.value())
                m.next()
        return type(m), ids, weights

    def lengths(self, fieldname: str) -> bytes | None:
        """The field's length byte of every document in the segment, read once and kept."""
        per_field = _LENGTHS.get(self.reader)
        if per_field is None:
            per_field = _LENGTHS.setdefault(self.reader, {})
        if fieldname in per_field:
            return per_field[fieldname]
        perdoc = self.reader._perdoc
        column = f"_{fieldname}_len"  # codec.whoosh3._lenfield
        raw: bytes | None = None
        if perdoc.has_column(column):
            col = perdoc.column_reader(column, LENGTHS_COLUMN)
            try:
                raw = bytes(col._dbfile.get(col._basepos, col._count))
            except AttributeError:  # another column reader: the slow, public way
                raw = bytes(col[i] for i in range(self.doccount))
            raw = raw[: self.doccount] + bytes(max(0, self.doccount - len(raw)))
        per_field[fieldname] = raw
        return raw


def _select(ids: list[int], weights: Any, only: Any) -> tuple[list[int], Any]:
    """The postings of the documents in ``only``: a pass over the postings, or for a few
    documents against many postings a binary search for each (ids ascend)."""
    if len(only) * 16 >= len(ids):
        mask = list(map(only.__contains__, ids))
        return list(compress(ids, mask)), list(compress(weights, mask))
    n = len(ids)
    found = [i for d in sorted(only) if (i := bisect_left(ids, d)) < n and ids[i] == d]
    return [ids[i] for i in found], [weights[i] for i in found]


def _token(cls: type, scores: Scores) -> Any:
    """A stand-in for a matcher of class ``cls`` (never initialised: only its type is used,
    when Whoosh's tree builder compares it) holding the scores it would give."""
    token: Any = object.__new__(cls)  # a Whoosh matcher class
    token._fast = scores
    return token


def _scores(token: Any) -> Scores:
    return {} if token is NullMatcher else token._fast


def _boosted(scores: Scores, boost: float) -> Scores:
    """``WrappingMatcher``: every score times the boost (times 1.0 changes nothing)."""
    if boost == 1.0 or not scores:
        return scores
    return {d: s * boost for d, s in scores.items()}


def _union(a: Scores, b: Scores) -> Scores:
    """``UnionMatcher``: a document in both scores a + b (commutative, exactly). Works in
    place, the smaller dict's sums then the larger updated: every partial result is used once,
    by its parent."""
    if len(a) < len(b):
        a, b = b, a
    if not b:
        return a
    get = a.get
    for d, v in b.items():
        t = get(d)
        if t is not None:
            b[d] = v + t
    a.update(b)
    return a


def _intersect(a: Scores, b: Scores) -> Scores:
    """``IntersectionMatcher``: only documents in both, scored a + b."""
    if len(a) > len(b):
        a, b = b, a
    get = b.get
    return {d: v + t for d, v in a.items() if (t := get(d)) is not None}
