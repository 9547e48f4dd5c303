"""Tokens: what a word is, for every analysis and for the query parser.

Owns ``WORD_RE`` (one token of indexed text and of a query word's analysis),
``normalise_token`` (NFC, soft hyphens out) and ``tokenise``; and ``QUERY_WORD``, a word as the
query parser reads it before analysis: hyphens, slashes, dots and apostrophes inside keep it
whole ("covid-19", "2021-00157_VR", "107/08_SNSB"), so that it stays one leaf of the query, and
each field's analysis (``indexer.analysis.languages``) then splits it exactly as it indexes.
Everything that turns text into terms (the index analyzers, the fast writer, snippets, compound
splitting, the translation table, "did you mean") starts here.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["QUERY_WORD", "WORD_PATTERN", "WORD_RE", "normalise_token", "tokenise"]

# One token: a letter or digit, then letters, digits, combining marks (so NFD text such as
# "fa\u030agel" stays one token until NFC composes it) and soft hyphens (dropped later).
# No underscore, no intra-word punctuation: "covid-19" gives "covid", "19".
# Written as runs of word characters separated by runs of marks, with possessive quantifiers
# (the two classes are disjoint, so nothing needs backtracking): the same tokens as the plain
# ``[^\W_](?:[^\W_]|<marks>)*``, found in about half the time (tests/test_analysis.py).
_MARKS = r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f\u00ad]"
WORD_PATTERN = rf"[^\W_]++(?:{_MARKS}++[^\W_]*+)*+"
WORD_RE = re.compile(WORD_PATTERN)

# A word as the query parser reads it (see the module docstring).
QUERY_WORD = r"\w+(?:[-/.'’]\w+)*"

_SOFT_HYPHEN = "\u00ad"


def normalise_token(text: str) -> str:
    """NFC-compose a token and drop soft hyphens (case is left alone)."""
    if text.isascii():
        return text
    return unicodedata.normalize("NFC", text).replace(_SOFT_HYPHEN, "")


def tokenise(text: str) -> list[str]:
    """Lowercased NFC tokens of ``text``, as the analyzers' tokeniser and filters see them."""
    return [normalise_token(match).lower() for match in WORD_RE.findall(text)]
