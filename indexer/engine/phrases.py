"""Phrases for the fast scorer: the documents and scores Whoosh's ``Phrase`` gives, directly.

Owns ``phrase_scores(segment, query, only)``, used by ``indexer.engine.scoring`` for a ``Phrase``
leaf. Whoosh answers a phrase with a ``SpanNear2Matcher`` that walks an intersection of the
words' postings one document at a time, turning every position into a ``Span`` object and
comparing them pairwise; on a common phrase that is most of a second per 100,000 projects.
Here each word's postings are read a block at a time (ids, weights and encoded positions), the
documents holding every word are found with set intersections, and only those have their
positions looked at (for two words, mostly read in place from the encoded bytes): a document
matches when some start ``p`` has word ``i`` at ``p + i`` for every ``i``, which is what
``SpanNear2(slop=1, ordered=True, mindist=1)`` accepts.

The score is Whoosh's: ``SpanNear2Matcher`` scores as the binary tree of
``IntersectionMatcher`` that ``util.make_binary_tree`` builds over the words' leaf matchers
(``a + b``, split in halves), each leaf a plain BM25F term score (boost 1), times 1.0 from the
span wrapper, then the phrase's own boost in a ``WrappingMatcher``. Slops other than 1 and
one-word phrases are left to Whoosh.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import accumulate
from operator import methodcaller
from pickle import loads
from typing import Any

from whoosh import formats
from whoosh.query import Phrase

Scores = dict[int, float]
_LIST_PICKLE = b"\x80\x02]"  # protocol 2, an empty list (its items are appended after)


def supported(query: Any) -> bool:
    """A phrase of two or more words with the parser's default slop of 1."""
    return type(query) is Phrase and query.slop == 1 and len(query.words) >= 2


def phrase_scores(segment: Any, query: Phrase, only: Any) -> Scores | None:
    """``query``'s matches in ``segment`` (an ``indexer.engine.scoring._Segment``) with the score
    of each, restricted to ``only`` when given; None where Whoosh returns a ``NullMatcher``
    (unknown field, a word not in this segment). Raises ValueError for a field without
    positions (Whoosh raises a QueryError there: the caller leaves it to Whoosh)."""
    fieldname = query.fieldname
    schema = segment.schema
    if fieldname not in schema:
        return None
    field = schema[fieldname]
    fmt = field.format
    if not fmt or not fmt.supports("positions"):
        raise ValueError(f"phrase on {fieldname!r}, a field without positions")
    reader = segment.reader
    btexts = []
    for word in query.words:
        try:
            btext = field.to_bytes(word)
        except ValueError:
            return None
        if (fieldname, btext) not in reader:
            return None
        btexts.append(btext)
    postings = []
    found: set[int] | None = None
    # The rarest word first: every later word only for the documents still in the running.
    by_rarity = sorted(range(len(btexts)), key=lambda i: reader.doc_frequency(fieldname, btexts[i]))
    for i in by_rarity:
        values: list[Any] = []
        # (an empty ``only`` or intersection so far: nothing is read)
        _, ids, weights = segment.postings(
            fieldname, btexts[i], only if found is None else found, values
        )
        here = set(ids)
        found = here if found is None else found & here
        postings.append((i, ids, weights, values))
    assert found is not None
    if only is not None:
        found.intersection_update(only)
    found.difference_update(segment.deleted)
    postings.sort(key=lambda p: p[0])  # back in phrase order
    kept = _adjacent(sorted(found), [dict(zip(p[1], p[3], strict=True)) for p in postings], fmt)
    per_word: list[list[float]] = []
    for _, ids, weights, _ in postings:
        by_doc = dict(zip(ids, weights, strict=True))
        tfs = [by_doc[d] for d in kept]
        if field.scorable:
            values = segment.bm25(fieldname, btexts[len(per_word)], kept, tfs, 1.0)
        else:  # scoring.WeightScorer: the weight is the score
            values = [tf * 1.0 for tf in tfs]
        per_word.append(values)
    summed = _binary_sum(per_word)
    if query.boost != 1.0:
        summed = [s * query.boost for s in summed]
    return dict(zip(kept, summed, strict=True))


def _adjacent(docs: list[int], values: list[dict[int, Any]], fmt: Any) -> list[int]:
    """The documents where the words stand next to each other, in phrase order: some start
    ``p`` with word ``i`` at ``p + i``."""
    columns = [list(map(word.__getitem__, docs)) for word in values]  # encoded, in docs order
    if len(columns) == 2 and all(map(_plain, columns)):
        return _two_words(docs, *columns)
    decoded = [list(map(_positions(fmt), column)) for column in columns]
    kept: list[int] = []
    for d, first, *rest in zip(docs, *decoded, strict=True):
        starts = set(first)
        for offset, word in enumerate(rest, start=1):
            starts.intersection_update([p - offset for p in word])
            if not starts:
                break
        else:
            kept.append(d)
    return kept


def _two_words(docs: list[int], xs: list[bytes], ys: list[bytes]) -> list[int]:
    """``_adjacent`` for two words whose values are plain ``formats.Positions`` ones. Most
    documents hold each word once: such a value is 13 bytes (the position one byte, ``K``)
    or 14 (two bytes, ``M``), and adjacency is a subtraction of the bytes read in place."""
    kept: list[int] = []
    append = kept.append
    one = (1).__add__
    for d, x, y in zip(docs, xs, ys, strict=True):
        nx, ny = len(x), len(y)
        if 13 <= nx <= 14 and 13 <= ny <= 14:  # one position each (two take 16 bytes)
            px = x[10] if nx == 13 else x[10] | x[11] << 8
            py = y[10] if ny == 13 else y[10] | y[11] << 8
            if py - px == 1:
                append(d)
        elif not set(map(one, _decode(x))).isdisjoint(_decode(y)):
            append(d)
    return kept


def _binary_sum(parts: list[list[float]]) -> list[float]:
    """``make_binary_tree(IntersectionMatcher, leaves)``'s score per document: the first half
    plus the second half, recursively, in that order."""
    if len(parts) == 1:
        return parts[0]
    half = len(parts) // 2
    a, b = _binary_sum(parts[:half]), _binary_sum(parts[half:])
    return [x + y for x, y in zip(a, b, strict=True)]


def _plain(encoded: list[bytes]) -> bool:
    """Whether every value is a ``formats.Positions`` one: a 4-byte count, then a whole
    protocol-2 pickle of a list (of the position deltas)."""
    return all(map(methodcaller("startswith", _LIST_PICKLE, 4), encoded)) and all(
        map(methodcaller("endswith", b"."), encoded)
    )


def _decode(value: bytes) -> Iterable[int]:
    """A plain value's positions (``Positions.decode_positions``, its loop in C)."""
    return accumulate(loads(value[4:]))


def _positions(fmt: Any) -> Any:
    """Encoded value -> its positions, by the format's own decoder unless it is the plain
    ``formats.Positions`` (then ``_decode``: the same bytes read the same way)."""
    if type(fmt) is not formats.Positions:
        return fmt.decoder("positions")
    return lambda value: list(_decode(value if value.endswith(b".") else value + b"."))
