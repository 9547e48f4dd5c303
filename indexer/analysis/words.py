"""Words: the stop lists of Swedish and English, the older stemmers, and query-text normalisation.

Owns ``SWEDISH_STOPWORDS`` / ``ENGLISH_STOPWORDS``, ``stem_swedish`` / ``stem_english`` and
``normalise_query_text()`` for query strings. The engine's analyzers (``indexer.engine.analyzers``)
are built from the stop lists, from the terms of :mod:`indexer.analysis.lemmas` (Swedish
lemmas, else current Snowball; current Snowball English) and from the tokeniser regex and token
normalisation of :mod:`indexer.analysis.tokens`, which compound splitting uses too, so it sees
exactly the tokens the index does.

The pipeline every field's text goes through: tokenise (``WORD_RE``), NFC, lowercase, then,
per language, drop stop words and take each word's term:

* the tokeniser keeps letters of every script and combining marks, so "får"/"far",
  "år"/"ar" stay distinct (no accent folding of any kind: architecture.md 3.3, reliability.md
  W13), and NFD input ("fa\\u030agel", macOS paste) is one token; ``NfcFilter`` composes it,
  so it gives the same terms as NFC. Character offsets refer to the original text
  (highlighting); positions are renumbered around stopwords (phrase queries);
* stopwords: Whoosh's lists (``whoosh.lang.stopwords``: 114 Swedish, 127 English words);
  NLTK's need a corpus download. Swedish keeps 1-letter words ("å", "ö"); English drops
  them, as Whoosh does by default;
* terms: ``swedish_term`` / ``english_term``, with a cache of ``STEM_CACHE_SIZE`` entries in
  the engine. ``stem_swedish`` / ``stem_english`` below (Whoosh's copies of the older Snowball)
  were the analysis of schema versions up to 5, which pickled them by name: they stay so such
  a version answers as it was built until its rebuild (``indexer.engine.analyzers``).

Stemmer choice, measured with ``bench/stemmers.py`` against the Snowball reference
vocabularies (shared/data/snowball: current Snowball output), uncached, Python 3.11:

  Swedish, 30,738 words                  agreement   words/s
  whoosh.lang.snowball SwedishStemmer      98.20 %   ~300,000
  nltk.stem.snowball SwedishStemmer        98.20 %   ~300,000
  English, 42,649 words (42,633 without an apostrophe, the ones the tokeniser can produce)
  whoosh.lang.snowball EnglishStemmer      99.85 % (99.87 %)   ~138,000
  nltk.stem.snowball EnglishStemmer        99.87 % (99.87 %)   ~147,000
  whoosh.lang.porter2                      99.87 % (99.87 %)   ~104,000
  nltk.stem.porter PorterStemmer           96.69 % (96.72 %)    ~98,000
  whoosh.lang.porter (Porter 1)            92.17 % (92.19 %)   ~405,000

PyStemmer (the Snowball project's C code, ``indexer.analysis.lemmas``) agrees 100 % with both
reference vocabularies; it replaced these in schema version 6.
Whoosh's and NLTK's Snowball stemmers are the same code (Whoosh took NLTK's port in 2012):
they give the same stem for every word the tokeniser can produce, and their speeds differ
by a few per cent (noise for Swedish, NLTK ~6 % ahead for English, which the cache hides).
Whoosh's are used: importing them takes ~0.03 s against ~0.8 s for ``nltk.stem.snowball``,
and the pickled schema then depends on one library only. Both implement the older Swedish
algorithm; the 1.8 % misses are mostly the definite "-et" the current one removes
("fartyget", reference "fartyg"). Known Snowball crudeness either way (shared with the
reference): "hållbar" -> "hållb" but "hållbara" -> "hållbar", "klimat" -> "klim",
"projekt" -> "projek" but "projektet" unchanged. Swedish analyzer throughput on the KTH
abstracts (1.5M tokens, one cold pass): ~270,000 tokens/s uncached, ~500,000 with the
100,000-entry cache.
"""

from __future__ import annotations

import unicodedata

from whoosh.lang.snowball.english import EnglishStemmer
from whoosh.lang.snowball.swedish import SwedishStemmer
from whoosh.lang.stopwords import stoplists

__all__ = [
    "ENGLISH_STOPWORDS",
    "STEM_CACHE_SIZE",
    "SWEDISH_STOPWORDS",
    "normalise_query_text",
    "stem_english",
    "stem_swedish",
]

SWEDISH_STOPWORDS: frozenset[str] = frozenset(stoplists["sv"])
ENGLISH_STOPWORDS: frozenset[str] = frozenset(stoplists["en"])

#: Entries of each StemFilter's cache (Whoosh's LFU cache; the KTH Swedish texts have 87k
#: distinct tokens, so most of a corpus's working vocabulary fits).
STEM_CACHE_SIZE = 100_000

_SWEDISH = SwedishStemmer()
_ENGLISH = EnglishStemmer()

# Characters that str.split() does not treat as space but that should not reach the parser.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u2060\ufeff"))


def stem_swedish(word: str) -> str:
    """Snowball Swedish stem of a lowercased word (pickled by reference into the schema)."""
    stem: str = _SWEDISH.stem(word)
    return stem


def stem_english(word: str) -> str:
    """Snowball English (Porter2) stem of a lowercased word (pickled by reference)."""
    stem: str = _ENGLISH.stem(word)
    return stem


def normalise_query_text(text: str) -> str:
    """NFC-compose a query string and fold runs of whitespace to one space, trimmed.

    "fa\\u030agel  och\\u00a0fisk" -> "fågel och fisk". Zero-width spaces and byte-order marks
    are removed. Case and punctuation are left to the query parser and analyzers.
    """
    text = unicodedata.normalize("NFC", text).translate(_INVISIBLE)
    return " ".join(text.split())
