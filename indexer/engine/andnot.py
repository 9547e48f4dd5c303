"""``AndNot``: Whoosh's "a ANDNOT b" query, with its matcher mended.

Whoosh 2.7's ``AndNotMatcher.skip_to`` moves its positive matcher and then looks for the next
document the negative one allows without asking whether the positive one has just run out. An
AndNot under an intersection (the user query ``person:a (person:adam ANDNOT person:a)``, where
the intersection skips the AndNot past its last document) then reads past the end of a posting
list: an ``IndexError`` out of ``searcher.search``, a 500 for the person who typed it.
``query.parse`` builds this class wherever the parser wrote an AndNot; it is Whoosh's own in
every other respect (normalising and boosting keep the class), and its matcher is Whoosh's
with the one missing check.
"""

from __future__ import annotations

from typing import Any

from whoosh import matching
from whoosh import query as Q


class AndNotMatcher(matching.AndNotMatcher):  # type: ignore[misc]
    """Whoosh's matcher; finding the next allowed document stops when the positive side ends."""

    def _find_next(self) -> Any:
        if not self.a.is_active():
            return False
        return super()._find_next()


class AndNot(Q.AndNot):  # type: ignore[misc]
    """Documents of ``a`` that ``b`` does not match, scored by ``a`` alone."""

    def matcher(self, searcher: Any, context: Any = None) -> AndNotMatcher:
        scored = self.a.matcher(searcher, context)
        banned = self.b.matcher(searcher, searcher.boolean_context())
        return AndNotMatcher(scored, banned)
