"""Whoosh analyzers for Swedish, English and exact (unstemmed) text.

Owns the Whoosh form of the analysis that ``indexer.analysis`` states engine-neutrally:
``swedish_analyzer()`` for ``*_sv`` fields, ``english_analyzer()`` for ``*_en`` fields,
``exact_analyzer()`` for the unstemmed catch-all field (exact words and phrases rank first).
Pipeline: ``RegexTokenizer(WORD_RE) | NfcFilter | LowercaseFilter`` then, per language,
``StopFilter`` and ``StemFilter`` (with a cache of ``STEM_CACHE_SIZE`` stems).
"""

from __future__ import annotations

from collections.abc import Iterator

from whoosh.analysis import (
    CompositeAnalyzer,
    Filter,
    LowercaseFilter,
    RegexTokenizer,
    StemFilter,
    StopFilter,
    Token,
)

from indexer.analysis.compounds import WORD_RE, normalise_token
from indexer.analysis.words import (
    ENGLISH_STOPWORDS,
    STEM_CACHE_SIZE,
    SWEDISH_STOPWORDS,
    stem_english,
    stem_swedish,
)

__all__ = ["NfcFilter", "english_analyzer", "exact_analyzer", "exact_terms", "swedish_analyzer"]


class NfcFilter(Filter):  # type: ignore[misc]  # Whoosh is untyped
    """NFC-compose each token's text and drop soft hyphens; offsets are left unchanged."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for token in tokens:
            token.text = normalise_token(token.text)
            yield token


def _base() -> CompositeAnalyzer:
    return RegexTokenizer(WORD_RE) | NfcFilter() | LowercaseFilter()


def swedish_analyzer() -> CompositeAnalyzer:
    """Tokenise, NFC, lowercase, drop Swedish stopwords, Snowball Swedish stem."""
    return (
        _base()
        | StopFilter(stoplist=SWEDISH_STOPWORDS, minsize=1)
        | StemFilter(stem_swedish, cachesize=STEM_CACHE_SIZE)
    )


def english_analyzer() -> CompositeAnalyzer:
    """Tokenise, NFC, lowercase, drop English stopwords and 1-letter tokens, Porter2 stem."""
    return (
        _base()
        | StopFilter(stoplist=ENGLISH_STOPWORDS, minsize=2)
        | StemFilter(stem_english, cachesize=STEM_CACHE_SIZE)
    )


def exact_analyzer() -> CompositeAnalyzer:
    """Tokenise, NFC, lowercase only: every word kept, unstemmed (any language)."""
    return _base()


def exact_terms(text: str) -> list[str]:
    """The terms of ``text`` as the unstemmed catch-all field indexes them, in order."""
    return [str(token.text) for token in exact_analyzer()(text)]
