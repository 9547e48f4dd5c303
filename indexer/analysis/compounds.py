"""Swedish compound splitting against the index's own vocabulary.

Owns: the word regex shared with :mod:`indexer.analysis.words` (``WORD_PATTERN``,
``normalise_token``, ``tokenise``), the :class:`Decompounder` (lexicon, split, save/load),
:func:`expand_compounds` for the index side and :func:`split_query_word` for the query side.
Standard library only.

Swedish writes compounds as one word ("cancerforskning"), so a query for "cancer" does not
match it, stemmed or not. The decompounder splits a word into words of the corpus's own
vocabulary (a frequency lexicon of the Swedish titles and abstracts), optionally joined by
the linking "s" (forskning+s+projekt). The indexer puts the parts into an extra field, so
"cancer" finds "cancerforskning"; the search layer may also query the parts of a compound
query word (:func:`split_query_word`).

How a split is chosen (a dynamic program over the word):

* parts are lexicon words: corpus frequency >= ``min_freq``, length >= ``min_part`` (the last
  part >= ``min_last``), letters only, and neither a stopword passed in nor in
  :data:`NON_PARTS`;
* a part other than the last may be followed by the linker "s" (never after s/x/z); the part
  is returned without it, "stamcell" + "terapi". Where "stamcells" is itself a token (from
  "stamcells- och ..."), "stamcell" is still preferred unless it is four times rarer. Both
  stem to "stamcell" with the Swedish Snowball stemmer, as "stamceller" does;
* fewest parts win, then the largest product of part frequencies;
* the split is kept only if its rarest part is at least ``ratio`` times as frequent as the
  whole word (after Koehn & Knight 2003), so a word that is common in its own right stays
  whole ("forskning", "universitet", "genombrott").

Tuning on the six KTH SweCRIS exports (13,038 Swedish titles and abstracts, 1.6M tokens,
87,157 distinct; Whoosh's Swedish stopwords excluded), by reading samples of 100 splits:

* ``min_freq=2``: with 1, one-off tokens become parts, win on fewest parts and then fail
  the frequency test (tjock+tarm+cancer, atom+kraft+mikroskopi lost; 2,681 types change);
  with 3, real compounds are lost (ingenjör+vetenskap, samarbets+avtal; 2,594 change).
* ``min_part=3``, ``min_last=4``: a 4-letter minimum everywhere loses 4,011 good splits
  (bio+baserade, del+projekt, kol+fiber, rum+temperatur); 3-letter last parts are mostly
  inflection ("snabb+are", "studie+rna", "använda+ren", "håll+its").
* linker "s" only: adding "e", "a", "o" or "u" gave 431, 261, 377 and 29 more splits,
  nearly all wrong ("inn+hålla", "funktion+litet", "term+dynamiska", "cell+lära").
* ``ratio=0.5``: 1.0 loses klimat+förändringar (130 vs 132) and nano+partiklar.
* Result: 33,836 of 87,157 types split (6.2% of tokens), in ~1.7 s. Two samples of 100
  splits were read: token-weighted, 3 wrong (red+aktören, redo+visats, teo+logisk);
  uniform over split types (mostly words seen once), 7 wrong (kon+kursen, tro+fiska,
  optima+litet, precis+ions, lett+lands, spannmål+sbi+produkterna, one typo). Remaining
  errors are loanwords, names and typos; the parts go to a low-weight extra field.
"""

from __future__ import annotations

import json
import math
import os
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from indexer.analysis.lemmas import Lexicon, lexicon
from indexer.analysis.tokens import WORD_RE, normalise_token, tokenise

FORMAT_VERSION = 2  # 2: with the Swedish dictionary; a version 1 file loads without it

#: Words never used as parts, on top of any ``stopwords`` passed in. Tuned on the KTH
#: exports: inflectional endings that also occur as tokens ("ansatserna" is not
#: ansats+erna, "storheter" not stor+heter), Swedish particles and prefixes whose compounds
#: are lexicalised ("framsteg", "genomföra", "samtal", "nedsatt"), the modal "ska"
#: ("akademiska"), the suffix "-bara" ("tänkbara"), "ring" (the "-ering" verbs: "reducering"
#: is not reduce+ring), function words ("lång+samt"), and every word of 3+ letters of
#: Whoosh's Swedish stopword list, the analyzer's (so "undersöka" is not under+söka and
#: "tillverkning" not till+verkning; a test keeps the two lists in step).
NON_PARTS = frozenset(
    {
        "arna", "erna", "orna", "arnas", "ernas", "ornas", "ande", "ende", "andet", "andes",
        "aste", "are", "ade", "ades", "het", "heten", "heter", "hetens", "ens", "ers",
        "fram", "genom", "före", "samman", "sam", "ned", "bort", "kvar", "inne", "emot",
        "ska", "bara", "bart", "ring", "samt", "även", "också", "dock", "både", "bland",
        "enligt", "ännu", "redan", "utom",
        # whoosh.lang.stopwords.stoplists["sv"], words of 3+ letters:
        "alla", "allt", "att", "blev", "bli", "blir", "blivit", "dem", "den", "denna",
        "deras", "dess", "dessa", "det", "detta", "dig", "din", "dina", "ditt", "där",
        "efter", "eller", "era", "ert", "ett", "från", "för", "hade", "han", "hans", "har",
        "henne", "hennes", "hon", "honom", "hur", "här", "icke", "ingen", "inom", "inte",
        "jag", "kan", "kunde", "man", "med", "mellan", "men", "mig", "min", "mina", "mitt",
        "mot", "mycket", "när", "någon", "något", "några", "och", "oss", "samma", "sedan",
        "sig", "sin", "sina", "sitta", "själv", "skulle", "som", "sådan", "sådana", "sådant",
        "till", "under", "upp", "utan", "vad", "var", "vara", "varför", "varit", "varje",
        "vars", "vart", "vem", "vid", "vilka", "vilkas", "vilken", "vilket", "vår", "våra",
        "vårt", "över",
    }
)  # fmt: skip

_NO_LINK_AFTER = frozenset("sxz")
# "stamcells" (a token from "stamcells- och ...") is emitted as "stamcell" unless "stamcell"
# is more than this many times rarer ("analys" must not become "analy").
_LINKED_RARITY = 4
_CACHE_LIMIT = 500_000
#: The shortest part the dictionary alone vouches for (3-letter words are too often endings).
DICTIONARY_PART = 5
# Linking vowels that replace a modifier's final "a" ("kvinnoforskning", "gatubelysning").
_VOWEL_LINKS = frozenset("ou")

# Dynamic-program state for a suffix of the word: part count, -sum(log freq), parts, freqs.
# A part the dictionary vouches for has frequency inf in the last tuple: it is not tested.
_Best = tuple[int, float, tuple[str, ...], tuple[float, ...]]


def raw_token_counts(texts: Iterable[str | None]) -> Counter[str]:
    """Counts of the raw (not yet normalised) tokens of ``texts``: the cheap half of
    :meth:`Decompounder.from_texts`, which shards of a corpus can do in parallel."""
    raw: Counter[str] = Counter()
    findall = WORD_RE.findall
    for text in texts:
        if text:
            raw.update(findall(text))
    return raw


class Decompounder:
    """Split Swedish compounds into words of a corpus lexicon.

    Build it with :meth:`from_texts` (or from a mapping of lowercased NFC tokens to counts),
    keep it beside the index with :meth:`save`, reopen it with :meth:`load`.
    """

    def __init__(
        self,
        counts: Mapping[str, int],
        *,
        min_freq: int = 2,
        min_part: int = 3,
        min_last: int = 4,
        ratio: float = 0.5,
        max_parts: int = 4,
        linkers: Iterable[str] = ("s",),
        stopwords: Iterable[str] = (),
        dictionary: Lexicon | None = None,
    ) -> None:
        if min(min_freq, min_part, min_last) < 1 or max_parts < 2 or ratio < 0:
            raise ValueError("min_freq, min_part, min_last >= 1, max_parts >= 2, ratio >= 0")
        self.min_freq = min_freq
        self.min_part = min_part
        self.min_last = min_last
        self.ratio = ratio
        self.max_parts = max_parts
        self.linkers = tuple(sorted(set(linkers)))
        self.stopwords = frozenset(stopwords)
        # Counts of every word >= min_freq (the whole-word test needs them); only lexicon
        # words can be parts.
        self.counts: dict[str, int] = {w: n for w, n in counts.items() if n >= min_freq}
        self.excluded = self.stopwords | NON_PARTS
        self.lexicon: frozenset[str] = frozenset(
            w for w in self.counts if len(w) >= min_part and w not in self.excluded and w.isalpha()
        )
        #: Words known to be Swedish beyond the corpus (``indexer.analysis.lemmas``).
        self.dictionary = dictionary
        self._forms = dictionary.forms if dictionary is not None else None
        self._vowel_links = dictionary is not None
        self._cache: dict[str, tuple[str, ...]] = {}
        #: Raw (unnormalised) token -> its parts, for :func:`expand_compounds`.
        self.raw_parts: dict[str, tuple[str, ...]] = {}

    @classmethod
    def from_texts(
        cls,
        texts: Iterable[str | None],
        *,
        min_freq: int = 2,
        min_part: int = 3,
        min_last: int = 4,
        ratio: float = 0.5,
        max_parts: int = 4,
        linkers: Iterable[str] = ("s",),
        stopwords: Iterable[str] = (),
    ) -> Decompounder:
        """Count the tokens of ``texts`` (``None`` and "" skipped) and build a decompounder.

        ``stopwords`` adds words that must never be parts to :data:`NON_PARTS` (which already
        holds the analyzer's Swedish stopwords).
        """
        return cls.from_raw_counts(
            raw_token_counts(texts),
            min_freq=min_freq,
            min_part=min_part,
            min_last=min_last,
            ratio=ratio,
            max_parts=max_parts,
            linkers=linkers,
            stopwords=stopwords,
        )

    @classmethod
    def from_raw_counts(cls, raw: Counter[str], **options: Any) -> Decompounder:
        """A decompounder from :func:`raw_token_counts` (summed over shards of a corpus), with
        the Swedish dictionary unless ``dictionary=None`` is passed."""
        counts: Counter[str] = Counter()
        for token, n in raw.items():  # normalise each distinct token once, as tokenise() does
            counts[normalise_token(token).lower()] += n
        options.setdefault("dictionary", lexicon())
        return cls(counts, **options)

    def frequency(self, word: str) -> int:
        """Corpus frequency of ``word`` (0 when below ``min_freq``)."""
        return self.counts.get(word, 0)

    def split(self, word: str) -> list[str]:
        """Parts of ``word`` (at least two), or ``[]`` when it is not to be split.

        ``word`` is one lowercased NFC token, as :func:`tokenise` gives it.
        """
        parts = self._cache.get(word)
        if parts is None:
            parts = self._split(word)
            if len(self._cache) >= _CACHE_LIMIT:  # bounded: query words come from anyone
                self._cache.clear()
            self._cache[word] = parts
        return list(parts)

    def _split(self, word: str) -> tuple[str, ...]:
        n = len(word)
        if n < self.min_part + self.min_last or not word.isalpha():
            return ()
        best: list[_Best | None] = [None] * (n + 1)
        best[n] = (0, 0.0, (), ())
        needed = self.ratio * self.counts.get(word, 0)  # a part's frequency, unless vouched for
        lexicon, forms, linking = self.lexicon, self._forms, self._vowel_links
        for i in range(n - self.min_last, -1, -1):
            choice: _Best | None = None
            for j in range(i + self.min_part, n + 1):
                if i == 0 and j == n:
                    continue
                piece = word[i:j]
                if (  # most pieces are no word at all: ruled out here, without a call
                    piece not in lexicon
                    and (forms is None or j - i < DICTIONARY_PART or piece.encode() not in forms)
                    and not (linking and j < n and piece[-1] in _VOWEL_LINKS)
                ):
                    continue
                for part, k, freq in self._steps(word, piece, j):
                    rest = best[k]
                    if rest is None or rest[0] >= self.max_parts:
                        continue
                    parts, log_sum, pieces, freqs = rest
                    vouched = math.inf if freq < needed and self._known(part) else freq
                    cand = (parts + 1, log_sum - math.log(freq), (part, *pieces), (vouched, *freqs))
                    if choice is None or cand[:2] < choice[:2]:
                        choice = cand
            best[i] = choice
        found = best[0]
        if found is None or min(found[3]) < needed:
            return ()
        if math.inf in found[3] and not all(map(self._short_part_ok, found[2])):
            return ()  # "fin" + "dings", "for" + "donets": the dictionary vouches for long parts
        return found[2]

    def _short_part_ok(self, part: str) -> bool:
        """A part shorter than ``DICTIONARY_PART`` is a lemma of the dictionary ("sol", "gas")."""
        return len(part) >= DICTIONARY_PART or (
            self.dictionary is not None and self.dictionary.known(part) == part
        )

    def _known(self, piece: str) -> bool:
        """``piece`` is a word of the dictionary long enough to be a part on its word alone."""
        return (
            len(piece) >= DICTIONARY_PART
            and self._forms is not None
            and piece.encode() in self._forms
            and piece not in self.excluded
            and piece.isalpha()
        )

    def _part_frequency(self, piece: str) -> int:
        """How often ``piece`` occurs, when it may be a part: a lexicon word, or a word of the
        dictionary (``DICTIONARY_PART`` letters or more: counted at least once); else 0."""
        if piece in self.lexicon:
            return self.counts[piece]
        return max(self.counts.get(piece, 0), 1) if self._known(piece) else 0

    def _steps(self, word: str, piece: str, j: int) -> list[tuple[str, int, int]]:
        """What ``piece`` = word[i:j] may be: (the part, where the rest starts, its frequency).

        The last piece is a part of ``min_last`` letters or more. Another is a part followed
        directly by the rest, or by a linker; a linked part ("stamcell" + s) also counts the
        spelling with the linker ("stamcells") when that is a token, and that spelling is
        then not a part of its own, unless the linkless word is much rarer ("analy" + s must
        not take over "analys"). With the dictionary, a modifier may also end in the linking
        o/u that replaces the final a of a word it knows ("kvinno": "kvinna", "gatu": "gata").
        """
        n = len(word)
        freq = self._part_frequency(piece)
        if j == n:
            return [(piece, n, freq)] if freq and len(piece) >= self.min_last else []
        steps: list[tuple[str, int, int]] = []
        if freq:
            if not self._covered_by_link(piece):
                steps.append((piece, j, freq))
            if piece[-1] not in _NO_LINK_AFTER:
                for link in self.linkers:
                    k = j + len(link)
                    if k < n and word.startswith(link, j):
                        spelled = piece + link
                        covered = self._covered_by_link(spelled)
                        extra = self.counts.get(spelled, 0) if covered else 0
                        steps.append((piece, k, freq + extra))
        elif self.dictionary is not None and piece[-1] in _VOWEL_LINKS:
            base = piece[:-1] + "a"  # a lemma of the dictionary, however short
            if self.dictionary.known(base) == base and base not in self.excluded:
                steps.append((base, j, max(self.counts.get(base, 0), 1)))
        return steps

    def _covered_by_link(self, spelled: str) -> bool:
        """``spelled`` is a lexicon word plus a linker, and that word is not much rarer."""
        for link in self.linkers:
            stripped = spelled[: -len(link)]
            if (
                spelled.endswith(link)
                and stripped in self.lexicon
                and stripped[-1] not in _NO_LINK_AFTER
                and self.counts[stripped] * _LINKED_RARITY >= self.counts.get(spelled, 0)
            ):
                return True
        return False

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the settings and counts as compact UTF-8 JSON (temp file, then rename)."""
        path = Path(path)
        data = {
            "format": "research-index decompounder",
            "version": FORMAT_VERSION,
            "settings": {
                "min_freq": self.min_freq,
                "min_part": self.min_part,
                "min_last": self.min_last,
                "ratio": self.ratio,
                "max_parts": self.max_parts,
                "linkers": list(self.linkers),
                "stopwords": sorted(self.stopwords),
                "dictionary": self.dictionary is not None,
            },
            "counts": dict(sorted(self.counts.items())),
        }
        tmp = path.with_name(path.name + ".tmp")
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Decompounder:
        """Read a file written by :meth:`save`; ``ValueError`` if it is not one."""
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("version") not in (1, FORMAT_VERSION):
            raise ValueError(f"{path}: not a version {FORMAT_VERSION} decompounder file")
        s = data["settings"]
        return cls(
            data["counts"],
            min_freq=int(s["min_freq"]),
            min_part=int(s["min_part"]),
            min_last=int(s["min_last"]),
            ratio=float(s["ratio"]),
            max_parts=int(s["max_parts"]),
            linkers=s["linkers"],
            stopwords=s["stopwords"],
            dictionary=lexicon() if s.get("dictionary") else None,
        )


def expand_compounds(text: str | None, decompounder: Decompounder) -> str:
    """Space-separated parts of every splittable word of ``text`` (and of its parts), in text
    order.

    "Ny cancerforskning vid KTH" gives "cancer forskning": indexed in an extra field, a query
    for "cancer" (or the phrase "cancer forskning") then finds the compound. Parts are
    cached per raw token (the same word recurs across a corpus).
    """
    if not text:
        return ""
    cache = decompounder.raw_parts
    parts: list[str] = []
    for raw in WORD_RE.findall(text):
        found = cache.get(raw)
        if found is None:
            if len(cache) >= _CACHE_LIMIT:
                cache.clear()
            found = cache[raw] = _parts_within(decompounder, normalise_token(raw).lower())
        if found:
            parts.extend(found)
    return " ".join(parts)


def _parts_within(decompounder: Decompounder, word: str) -> tuple[str, ...]:
    """The parts of ``word`` and, after each, the parts of that part: "ståltillverkningsslagg"
    is "ståltillverkning" + "slagg" (fewest parts), and "ståltillverkning" is "stål" +
    "tillverkning", so "stål" finds it too."""
    out: list[str] = []
    for part in decompounder.split(word):
        out.append(part)
        out.extend(decompounder.split(part))
    return tuple(out)


def split_query_word(word: str, decompounder: Decompounder) -> list[str]:
    """Parts of one query word ("Cancerforskning" -> ["cancer", "forskning"]), or ``[]``.

    The word is NFC-normalised and lowercased first; ``[]`` too when ``word`` is not a
    single token. The search layer can OR the parts, as a phrase, with the word itself.
    """
    tokens = tokenise(word)
    if len(tokens) != 1:
        return []
    return decompounder.split(tokens[0])
