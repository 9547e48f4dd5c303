""" "Did you mean": a better spelled query when few projects match.

Owns the rule: for a short query (``plain_words``) that matches fewer than three projects
(in full: a loosened query's partial matches do not count), each word the index does not hold
is replaced by its nearest indexed word; the suggestion is offered only when it matches more.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from indexer.engine import Snapshot, plain_words
from indexer.errors import IndexerError

log = logging.getLogger("research_index.search")


def did_you_mean(snapshot: Snapshot, q: str, total: int, count: Callable[[str], int]) -> str | None:
    """The suggestion for query ``q`` that matched ``total``; ``count`` counts another's."""
    if total >= 3:
        return None
    fixed = []
    changed = False
    for word in plain_words(q):
        low = word.lower()
        if snapshot.has_term(("title_exact", "text_exact"), low):
            fixed.append(word)
            continue
        best = snapshot.nearest_term("text_exact", low)
        if best and best != low:
            fixed.append(best)
            changed = True
        else:
            fixed.append(word)
    if not changed:
        return None
    suggestion = " ".join(fixed)
    try:
        better = count(suggestion)
    except IndexerError as exc:  # e.g. the corrected words form an invalid query
        log.debug("no suggestion for %r: %s", q, exc)
        return None
    return suggestion if better > total else None
