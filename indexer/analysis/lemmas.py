"""Swedish lemmas: one term for every inflected form of a word, from a maintained lexicon.

Owns ``swedish_term`` (what a Swedish word becomes in the index: its lemma, else its current
Snowball stem), ``english_term`` (current Snowball English) and the :class:`Lexicon` behind
the first. Nothing here imports the engine; the analyzers call these functions.

Why a lexicon: Snowball strips endings by rule, so one noun becomes several terms ("dator"
-> "dat", "datorer" -> "dator", "datorn" -> "datorn"; "projekt" -> "projek" but "projektet"
unchanged; "hållbar" -> "hållb" but "hållbara" -> "hållbar"), and unrelated words meet
("dator" and "data" both -> "dat"). simplemma (pinned in pyproject.toml) ships a Swedish
form -> lemma table of 744,594 forms drawn from Wiktionary's inflection tables; it is read
here, not through simplemma's own ``lemmatize`` (whose fallbacks guess). Three rules on top:

* a word that heads a paradigm of its own stays itself. The table lists homographs under one
  lemma only: "dator" is filed as a form of "data", "cell" of "cella", "far" of "fara", "får"
  of "få"; as each of them is also the lemma of other forms (datorer, celler, fäder, fåren),
  it is kept as that lemma, so "dator" meets "datorer" and "datorn" and not "data", and
  "får" (sheep) and "far" (father) stay two words. Likewise a plural the table files under a
  verb ("broar" under "broa") goes with the noun its definite form belongs to ("broarna":
  "bro"); and one filed under a lemma as long as itself that is not its own beginning
  ("vägar" under "vägare") goes with the noun it is made of by a plural, definite or genitive
  ending ("väg" + "ar"), as Snowball would have it ("städernas" under "stad" stays there),
  and its definite form goes with it ("vägarna");
* a word the table lacks whose ending is a form it has is a compound with that head:
  "kvantdatorer" -> "kvant" + lemma("datorer") = "kvantdator", as "kvantdatorn" is;
* everything else (names, English words, typos, numbers) gets the current Snowball stem
  (PyStemmer, the Snowball project's own C code: 100 % of the reference vocabularies).

Measured in ``bench/stemmers.py`` and ``tests/test_analysis.py`` (inflection families that
must meet, distinct words that must not); the README's "How words are analysed" sums it up.
The lexicon is a fixed function of the pinned package, so it is part of the analysis that
``SCHEMA_VERSION`` names (and each version's manifest records, as ``analysis``); it loads once
per process (~0.7 s, ~190 MB at its peak), when the first index version opens.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

import Stemmer

__all__ = [
    "MIN_HEAD",
    "MIN_MODIFIER",
    "Lexicon",
    "ENGLISH_PREFIX_CHANGERS",
    "english_term",
    "lexicon",
    "prefix_changers",
    "swedish_stem",
    "swedish_term",
]

#: The shortest head and modifier of a compound the table lacks ("el" + "bilarna").
MIN_HEAD = 4
MIN_MODIFIER = 2

# Plural, definite and genitive endings of nouns, longest first.
_NOUN_ENDINGS = tuple(
    e.encode()
    for e in sorted(
        {f"{p}{d}{g}" for p in ("ar", "er", "or") for d in ("", "na") for g in ("", "s")}
        | {"en", "ens", "et", "ets"},
        key=len,
        reverse=True,
    )
)

#: The words whose Porter2 stem does not begin with their own first two letters ("dying" ->
#: "die"): the algorithm's exceptional forms (tests/test_snippets.py checks the vocabulary).
ENGLISH_PREFIX_CHANGERS = frozenset({"dying", "hying", "lying", "tying", "vying"})

_SWEDISH_STEMMER = Stemmer.Stemmer("swedish")
_ENGLISH_STEMMER = Stemmer.Stemmer("english")


class Lexicon:
    """Swedish form -> lemma, with the rules above. ``forms`` maps UTF-8 bytes to bytes."""

    def __init__(self, forms: Mapping[bytes, bytes]) -> None:
        self.forms = forms
        heads: set[bytes] = set()
        for form, lemma in forms.items():
            if form != lemma:
                heads.add(lemma)
        #: Lemmas of at least one other form: a word among them is its own lemma.
        self.heads = frozenset(heads)
        self._changers: frozenset[str] | None = None

    @classmethod
    def from_simplemma(cls) -> Lexicon:
        """The Swedish table of the installed simplemma (lowercase forms only: the analyzers
        lowercase every token, so capitalised entries, mostly names, could never match)."""
        from simplemma.strategies.dictionaries import DefaultDictionaryFactory

        table = DefaultDictionaryFactory().get_dictionary("sv")
        # The table as simplemma keeps it (UTF-8 bytes): half the time and memory of decoding
        # every entry through its public str mapping, which is the fallback.
        raw: Mapping[bytes, bytes] | None = getattr(table, "_dict", None)
        if raw is None:
            raw = {f.encode(): lemma.encode() for f, lemma in table.items()}
        return cls({form: lemma for form, lemma in raw.items() if form.islower()})

    def known(self, word: str) -> str | None:
        """The lemma of a form the table has, by the rules above; else None."""
        key = word.encode()
        if key in self.heads:
            return word
        lemma = self.forms.get(key)
        return None if lemma is None else self._mended(key, lemma).decode()

    def _mended(self, key: bytes, lemma: bytes) -> bytes:
        """The table's lemma of ``key``, mended where it files a noun's plural elsewhere."""
        definite = self.forms.get(key + b"na")  # "broar": its "broarna" is the noun's
        if definite is not None and definite != lemma and definite in self.heads:
            return definite
        if len(lemma) >= len(key) and not key.startswith(lemma):  # "vägar" under "vägare"
            for ending in _NOUN_ENDINGS:
                if key.endswith(ending) and key[: -len(ending)] in self.heads:
                    return key[: -len(ending)]
        if key.endswith(b"na") and len(key) > 4:  # "vägarna" goes where "vägar" goes
            plural = self.forms.get(key[:-2])
            if plural is not None and key[:-2] not in self.heads:
                mended = self._mended(key[:-2], plural)
                if mended != plural:
                    return mended
        return lemma

    def prefix_changers(self) -> frozenset[str]:
        """The forms whose lemma does not begin with their own first two letters ("bättre"
        -> "bra", "gjorde" -> "göra", "händer" -> "hand"); computed once, ~0.1 s.

        Every other word keeps them: a word the table lacks becomes a compound's modifier (2+
        letters) and a head's lemma, or its Snowball stem, which strips endings. So a text
        word can only be a query term's form when it shares the term's first two letters or
        is one of these (what the snippet maker's prefilter relies on). ``known`` returns the
        form's lemma, the lemma of its definite form, of a shorter form it ends in "na" of,
        or the form less a noun ending; the candidates below are the forms for which one of
        those can start otherwise, and each is then looked up. Comparing four bytes covers
        two letters of one or two bytes each, as every letter of the Swedish table is (the
        test compares the result with looking up every form)."""
        if self._changers is None:
            forms = self.forms
            differ = [f for f, lemma in forms.items() if f[:4] != lemma[:4]]
            candidates = set(differ)
            for f in differ:
                if f.endswith(b"na"):
                    candidates.add(f[:-2])  # its definite's lemma starts otherwise
                longer = f + b"na"
                while longer in forms:  # ... as does a longer form's, through it
                    candidates.add(longer)
                    longer += b"na"
            for head in self.heads:  # a noun of one letter and an ending
                if len(head.decode()) < 2:
                    candidates.update(head + e for e in _NOUN_ENDINGS)
                    candidates.update(head + e + b"na" for e in _NOUN_ENDINGS)
            changers = set()
            for f in candidates:
                word = f.decode()
                found = self.known(word)
                if found is not None and found[:2] != word[:2]:
                    changers.add(word)
            self._changers = frozenset(changers)
        return self._changers

    def lemma(self, word: str) -> str | None:
        """The lemma of a lowercased word, the compound rule included; None when unknown."""
        found = self.known(word)
        if found is not None or len(word) < MIN_MODIFIER + MIN_HEAD or not word.isalpha():
            return found
        for i in range(MIN_MODIFIER, len(word) - MIN_HEAD + 1):  # the longest known head
            head = self.known(word[i:])
            if head is not None:
                return word[:i] + head
        return None


_LEXICON: Lexicon | None = None
_LOCK = threading.Lock()


def lexicon() -> Lexicon:
    """The process's Swedish lexicon, loaded at the first call."""
    global _LEXICON
    if _LEXICON is None:
        with _LOCK:
            if _LEXICON is None:
                _LEXICON = Lexicon.from_simplemma()
    return _LEXICON


def prefix_changers() -> frozenset[str]:
    """The words whose index term (Swedish or English) does not begin with their own first
    two letters; every other word's does (``Lexicon.prefix_changers``)."""
    return lexicon().prefix_changers() | ENGLISH_PREFIX_CHANGERS


def swedish_term(word: str) -> str:
    """A lowercased Swedish word's index term: its lemma, else its Snowball stem."""
    lemma = lexicon().lemma(word)
    return lemma if lemma is not None else swedish_stem(word)


def swedish_stem(word: str) -> str:
    """The current Snowball Swedish stem of a lowercased word (the lexicon's fallback)."""
    return str(_SWEDISH_STEMMER.stemWord(word))


def english_term(word: str) -> str:
    """A lowercased English word's index term: its current Snowball (Porter2) stem."""
    return str(_ENGLISH_STEMMER.stemWord(word))
