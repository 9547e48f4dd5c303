"""Highlighted snippets: the query's indexed terms marked in a hit's text, escaped HTML.

Owns snippet making. A token of the text matches when its term under a field's analysis
(through :class:`indexer.engine.writer.TextPlan`, the same cached analysis the index was built
with) is one of the query's terms for that field, so "klimatet" is marked for the stemmed
query "klimat" and an exact word for a phrase. One regex pass and a dict look-up per token,
instead of Whoosh's token-object pipeline per hit (which was most of a search's time).

Fragments work like Whoosh's ``ContextFragmenter``: each starts a little before a match
(``surround`` characters, at a token start), takes in the following matches while it stays
within ``maxchars``, and ends a little after its last match; the ``top`` fragments with the
most matches are shown in text order, joined by " … ". Everything outside the ``<b>`` marks is
escaped (``html.escape`` with quotes), so a snippet is safe as element content.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from itertools import accumulate, compress
from operator import itemgetter
from typing import Any

from indexer.analysis.lemmas import prefix_changers
from indexer.analysis.tokens import normalise_token
from indexer.engine import TextPlan

SNIPPET_CHARS = 300
SURROUND = 80
TOP = 2
OPEN, CLOSE = '<b class="match">', "</b>"
_FIRST_TWO = itemgetter(slice(0, 2))


class Snippets:
    """Snippet maker for one index version (its plans cache the version's vocabulary)."""

    def __init__(self, schema: Any, fields: tuple[str, ...]) -> None:
        self.plans: dict[str, TextPlan] = {}
        for name in fields:
            plan = TextPlan.for_field(schema[name])
            if plan is not None:
                self.plans[name] = plan
        # The words whose term starts with other letters than they do (see ``_spans``).
        self.changers = prefix_changers()
        #: Raw token -> normalised, lowercased (the version's vocabulary, as the plans').
        self.lows = _Lows()

    def _spans(self, text: str, wanted: Mapping[str, set[str]]) -> list[tuple[int, int, bool]]:
        """Every token of ``text`` as (start, end, matched); [] when nothing matches."""
        checks = [(self.plans[f], terms) for f, terms in wanted.items() if f in self.plans]
        if not checks:
            return []
        pattern = checks[0][0].pattern
        tokens = pattern.findall(text)
        distinct = list(set(tokens))  # each distinct token looked up once
        lows = list(map(self.lows.__getitem__, distinct))
        # A term begins with its word's first two letters, lowercasing aside, but for the few
        # words ``prefix_changers`` lists (lemmas such as "bättre" -> "bra", Porter2's "dying"
        # -> "die"); so only the tokens that start like a term, or are one of those, can
        # match, and only they are looked up (most hits' abstracts hold none): the rest is
        # done at C speed, and a cold page does not analyse every word of its hits' texts.
        starts = {t[:2] for _, terms in checks for t in terms}
        maybe = list(compress(distinct, map(starts.__contains__, map(_FIRST_TWO, lows))))
        if not self.changers.isdisjoint(lows):
            maybe += compress(distinct, map(self.changers.__contains__, lows))
        hits: set[str] = set()
        for raw in maybe:
            for plan, terms in checks:
                term = plan.term(raw)
                if term is not None and term in terms:
                    hits.add(raw)
                    break
        if not hits:
            return []
        # Token offsets from the lengths of the tokens and of the text between them.
        lengths = [0] * (2 * len(tokens))
        lengths[0::2] = map(len, pattern.split(text)[:-1])
        lengths[1::2] = map(len, tokens)
        offsets = list(accumulate(lengths))
        return list(zip(offsets[0::2], offsets[1::2], map(hits.__contains__, tokens), strict=True))

    def make(
        self,
        text: str,
        wanted: Mapping[str, set[str]],
        maxchars: int = SNIPPET_CHARS,
        surround: int = SURROUND,
        top: int = TOP,
    ) -> str:
        """Escaped HTML with the matches in ``<b class="match">``, or "" when none match.

        ``wanted`` maps field names (whose analysis to use) to the query's terms in them.
        """
        tokens = self._spans(text, wanted)
        matches = [i for i, t in enumerate(tokens) if t[2]]
        if not matches:
            return ""
        fragments: list[tuple[int, int, int]] = []  # (matches, first token, last token)
        k = 0
        while k < len(matches):
            first = matches[k]
            begin = first
            while begin > 0 and tokens[first][0] - tokens[begin - 1][0] <= surround:
                begin -= 1
            count, last = 1, first
            k += 1
            while k < len(matches) and tokens[matches[k]][1] - tokens[begin][0] <= maxchars:
                last = matches[k]
                count += 1
                k += 1
            end = last
            while (
                end + 1 < len(tokens)
                and tokens[end + 1][1] - tokens[last][1] <= surround
                and tokens[end + 1][1] - tokens[begin][0] <= maxchars
            ):
                end += 1
            fragments.append((count, begin, end))
        best = sorted(fragments, key=lambda f: (-f[0], f[1]))[:top]
        return " … ".join(
            _render(text, tokens, b, e) for _, b, e in sorted(best, key=lambda f: f[1])
        )


class _Lows(dict[str, str]):
    """Raw token -> its NFC, lowercased form, made the first time it is looked up."""

    def __missing__(self, raw: str) -> str:
        low = self[raw] = normalise_token(raw).lower()
        return low


def _render(text: str, tokens: list[tuple[int, int, bool]], begin: int, end: int) -> str:
    parts: list[str] = []
    pos = tokens[begin][0]
    for start, stop, hit in tokens[begin : end + 1]:
        if hit:
            parts.append(html.escape(text[pos:start]))
            parts.append(OPEN + html.escape(text[start:stop]) + CLOSE)
            pos = stop
    parts.append(html.escape(text[pos : tokens[end][1]]))
    return "".join(parts)
