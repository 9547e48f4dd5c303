"""The three analyses a text field can have, said once: Swedish, English and exact.

Owns ``Language`` (a stop list, the shortest token kept, and the function that makes a token's
term) and ``LANGUAGES``; ``term`` and ``terms`` apply one to a token or a text. The engine's
Whoosh analyzers (``indexer.engine.analyzers``) are built from these same three specs, and
the fast writer, snippets and query rewriter read them through those analyzers; code outside
the engine (the translation table, benchmarks) calls ``terms`` and gets the same terms.

Every analysis tokenises with ``WORD_RE``, composes NFC, drops soft hyphens and lowercases;
then, per language, drops stop words (and tokens shorter than ``minsize``) and makes the
term: Swedish lemmas else Snowball (``indexer.analysis.lemmas``), Snowball English, or the
lowercased token itself for exact fields.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib.metadata import version

from indexer.analysis.lemmas import english_term, swedish_term
from indexer.analysis.tokens import WORD_RE, normalise_token
from indexer.analysis.words import ENGLISH_STOPWORDS, SWEDISH_STOPWORDS

__all__ = ["LANGUAGES", "Language", "analysis_id", "term", "terms"]


@dataclass(frozen=True)
class Language:
    """One analysis after tokenising and lowercasing."""

    stops: frozenset[str]
    minsize: int
    make: Callable[[str], str] | None  # None: the lowercased token is the term


LANGUAGES: dict[str, Language] = {
    "sv": Language(SWEDISH_STOPWORDS, 1, swedish_term),  # "å", "ö" are words
    "en": Language(ENGLISH_STOPWORDS, 2, english_term),
    "exact": Language(frozenset(), 0, None),
}


def term(lang: str, raw: str) -> str | None:
    """The term of one raw token in ``lang`` (None when it is a stop word or too short)."""
    spec = LANGUAGES[lang]
    word = normalise_token(raw).lower()
    if len(word) < spec.minsize or word in spec.stops:
        return None
    return spec.make(word) if spec.make else word


def terms(lang: str, text: str) -> list[str]:
    """The terms of ``text`` in ``lang``, in order, stop words left out."""
    out = []
    for raw in WORD_RE.findall(text):
        found = term(lang, raw)
        if found is not None:
            out.append(found)
    return out


@cache
def analysis_id() -> str:
    """The lexicon and stemmers these analyses use, by package and version: an index version
    records it (its manifest's ``analysis``), and a build whose base was analysed otherwise is
    a full one, so that no version mixes terms of two lexicons."""
    return f"simplemma {version('simplemma')}; PyStemmer {version('PyStemmer')}"
