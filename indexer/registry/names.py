"""Facility names: tokens, comparison keys and acronyms, the same for every source.

Owns how a facility's name is compared with another's (``name_key``: case, accents,
punctuation, legal suffixes such as ERIC and filler words dropped), how an acronym is read
from a name ("MAX IV Laboratory (MAX IV)", "National Microscopy Infrastructure, NMI"), and
the tokenisation the mention matcher shares (``tokens``: words with their offsets).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_PAREN = re.compile(r"^(?P<name>.*\S)\s*\((?P<short>[^()]{1,40})\)\s*$")
_TRAILING_ACRONYM = re.compile(r"^(?P<name>.*\S),\s*(?P<short>[A-Z][A-Za-z0-9&-]{1,15})$")
#: Words a name key drops: legal forms and fillers that one source writes and another not.
_FILLER = frozenset(
    {"eric", "ab", "the", "and", "och", "of", "for", "för", "i", "vid", "at", "in", "av", "aisbl"}
)
#: Words too common in facility names to tell one facility from another on their own.
_GENERIC = """
    national nationell nationella swedish svensk svenska svenskt sweden sverige european europe
    nordic international infrastructure infrastruktur infrastructures facility facilities
    laboratory laboratories laboratoriet lab labs centre center centrum research forskning
    science sciences data institute institutet platform plattform unit units service services
    support network consortium station observatory core advanced analysis system systems
    technology technologies university universitet new ny nya upgrade uppgradering phase fas
    period development utveckling operations drift program programme project projekt
    source light free open medical products
"""
GENERIC_WORDS = frozenset(_GENERIC.split())


def fold(text: str) -> str:
    """Lower case without accents (å -> a): for keys only, never for display."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def tokens(text: str) -> Iterator[tuple[str, int, int]]:
    """(word, start, end) for every run of letters and digits in ``text``."""
    for m in _WORD.finditer(text):
        yield m.group(), m.start(), m.end()


def words(text: str) -> list[str]:
    return [w for w, _, _ in tokens(text)]


def name_key(name: str | None) -> str | None:
    """The comparison key of a name; None when nothing distinctive is left."""
    if not name:
        return None
    kept = [w for w in words(fold(name)) if w not in _FILLER]
    return " ".join(kept) or None


def split_acronym(name: str) -> tuple[str, str | None]:
    """("MAX IV Laboratory", "MAX IV") from "MAX IV Laboratory (MAX IV)"; the trailing short
    form after a comma counts too ("..., NMI"). A parenthesis that is no short form (more than
    three words, or a word in lower case) stays part of the name."""
    m = _PAREN.match(name) or _TRAILING_ACRONYM.match(name)
    if not m:
        return name, None
    short = m.group("short").strip()
    parts = short.split()
    if len(parts) > 3 or not all(p[:1].isupper() or p[:1].isdigit() for p in parts):
        return name, None
    return m.group("name").strip(" ,–-"), short


def is_distinctive_form(form: str) -> bool:
    """Whether a short form (one or two tokens) names one thing on its own: mixed case
    (SciLifeLab, BioMAX), a digit (I811), or five or more capitals (NORDSIM). ESS, NGI or a
    capitalised word (Oden) are not: they need the facility's context nearby."""
    parts = words(form)
    if len(parts) >= 2 and any(p.isupper() or any(c.isdigit() for c in p) for p in parts):
        return True  # "MAX IV", "PETRA III"
    word = "".join(parts)
    if any(c.isdigit() for c in word) and any(c.isalpha() for c in word):
        return True
    if word.isupper():
        return len(word) >= 5
    inner = word[1:]
    return any(c.isupper() for c in inner) and any(c.islower() for c in inner)


def distinctive_words(name: str) -> set[str]:
    """The folded words of a name that are not generic (used as context for short forms)."""
    return {w for w in words(fold(name)) if w not in GENERIC_WORDS and w not in _FILLER}
