"""Wildcards ranked as the words they stand for.

Owns ``expand_wildcards``: a query's ``word*`` and ``w?rd`` leaves, replaced by an ``Or`` of
the indexed terms they match, each a plain ``Term`` that BM25 scores like any typed word. Whoosh
scores a prefix or wildcard with one constant (every battery project 2.0 for ``batter*``, in
no order); expanded, a project that says "battery" in its title ranks above one that says it
once in passing, and the fast scorer (``indexer.engine.scoring``) runs it as it runs any Or.

A pattern that matches more than ``MAX_EXPANSION`` terms keeps the most frequent ones (the
same limit bounds the work a query can ask for); the rarest are then not searched.
"""

from __future__ import annotations

import heapq
from typing import Any

from whoosh import query as Q

__all__ = ["MAX_EXPANSION", "expand_wildcards"]

#: The most terms one wildcard stands for (by document frequency). "pro*" in the KTH titles
#: and abstracts matches ~2,400 words; the first 1,000 hold all but a few of its documents.
MAX_EXPANSION = 1000


def expand_wildcards(query: Any, reader: Any) -> Any:
    """``query`` with every Prefix and Wildcard expanded against ``reader`` (itself if none)."""
    if isinstance(query, Q.Prefix | Q.Wildcard):
        return _expanded(query, reader)
    if isinstance(query, Q.CompoundQuery | Q.BinaryQuery | Q.Not):
        return query.apply(lambda q: expand_wildcards(q, reader))
    return query


def _expanded(node: Q.Prefix | Q.Wildcard, reader: Any) -> Any:
    field = node.fieldname
    terms = [
        t.decode("utf-8") if isinstance(t, bytes) else t
        for _, t in node.expanded_terms(reader)  # public: yields (field, term) pairs
    ]
    if len(terms) > MAX_EXPANSION:
        terms = heapq.nlargest(MAX_EXPANSION, terms, key=lambda t: reader.doc_frequency(field, t))
    if not terms:
        return Q.NullQuery
    if len(terms) == 1:
        return Q.Term(field, terms[0], boost=node.boost)
    return Q.Or([Q.Term(field, t) for t in sorted(terms)], boost=node.boost)
