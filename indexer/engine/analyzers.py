"""Whoosh analyzers for Swedish, English and exact (unstemmed) text.

Owns the Whoosh form of the analysis that ``indexer.analysis.languages`` states engine-neutrally
(the same stop lists, sizes and term functions):
``swedish_analyzer()`` for ``*_sv`` fields, ``english_analyzer()`` for ``*_en`` fields,
``exact_analyzer()`` for the unstemmed catch-all field (exact words and phrases rank first).
Pipeline: ``RegexTokenizer(WORD_RE) | NfcFilter | LowercaseFilter`` then, per language,
``StopFilter`` and ``StemFilter`` (with a cache of ``STEM_CACHE_SIZE`` terms) over
``indexer.analysis.lemmas``: Swedish lemmas (else current Snowball), current Snowball English.
Versions built before schema 6 pickled ``indexer.analysis.words.stem_swedish`` /
``stem_english`` (Whoosh's older Snowball) by name; those stay, so such a version still opens
and serves until the full rebuild its schema version asks for replaces it. Its queries are
analysed the current way, though, so Swedish words whose old stem differs from the lemma miss
there meanwhile (``open_served`` logs it).
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

from indexer.analysis.languages import LANGUAGES
from indexer.analysis.tokens import WORD_RE, normalise_token
from indexer.analysis.words import STEM_CACHE_SIZE

__all__ = ["NfcFilter", "english_analyzer", "exact_analyzer", "exact_terms", "swedish_analyzer"]


class NfcFilter(Filter):  # type: ignore[misc]  # Whoosh is untyped
    """NFC-compose each token's text and drop soft hyphens; offsets are left unchanged."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for token in tokens:
            token.text = normalise_token(token.text)
            yield token


def _base() -> CompositeAnalyzer:
    return RegexTokenizer(WORD_RE) | NfcFilter() | LowercaseFilter()


def _analyzer(lang: str) -> CompositeAnalyzer:
    spec = LANGUAGES[lang]
    return (
        _base()
        | StopFilter(stoplist=spec.stops, minsize=spec.minsize)
        | StemFilter(spec.make, cachesize=STEM_CACHE_SIZE)
    )


def swedish_analyzer() -> CompositeAnalyzer:
    """Tokenise, NFC, lowercase, drop Swedish stopwords, lemma (else Snowball stem)."""
    return _analyzer("sv")


def english_analyzer() -> CompositeAnalyzer:
    """Tokenise, NFC, lowercase, drop English stopwords and 1-letter tokens, Porter2 stem."""
    return _analyzer("en")


def exact_analyzer() -> CompositeAnalyzer:
    """Tokenise, NFC, lowercase only: every word kept, unstemmed (any language)."""
    return _base()


def exact_terms(text: str) -> list[str]:
    """The terms of ``text`` as the unstemmed catch-all field indexes them, in order."""
    return [str(token.text) for token in exact_analyzer()(text)]
