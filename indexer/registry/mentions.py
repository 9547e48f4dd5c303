"""Mention links: a project whose title or abstract names a facility, with the sentence.

Owns the matcher. Each facility contributes *forms*: its names (as written: capitalised
words must match as capitalised, lower-case words in any case) and its short forms (exact).
A form matches whole words only ("MAX IV-laboratoriet" names MAX IV; "MAXIMUM" does not).
Care with short forms, since "ESS" is also the European Social Survey: a form that is not
distinctive on its own (``names.is_distinctive_form``: ESS, NGI, a capitalised word such as
Oden) counts only when the same text also names that facility in full, or the sentence holds
one of its context words (the distinctive words of its names and the search terms of its
types: "neutron" for ESS, "genomics" for NGI) and no other facility with that short form has
a context word there (words meet on their first six letters: "sequenced", "sequencing"). A
part (a beamline, a unit) counts only when the text also names its parent, and its parent in
the same sentence vouches for its short name ("Balder at MAX IV"). Grant-made facilities lend
only their short names (their long names are grant titles, not names people write). The
evidence of a link is the sentence that holds the first match, at most ``EVIDENCE_CHARS``
characters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from itertools import islice

from indexer.registry.names import (
    GENERIC_WORDS,
    distinctive_words,
    fold,
    is_distinctive_form,
    split_acronym,
    tokens,
    words,
)

EVIDENCE_CHARS = 300
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÅÄÖ0-9(\"'])")
_MIN_FORM_CHARS = 3
_PREFIX = 6
_WORDS = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Form:
    words: tuple[str, ...]
    target: int  # the facility (cluster) it names
    alone: bool  # distinctive on its own


@dataclass(frozen=True)
class Mention:
    target: int
    form: str
    evidence: str


@dataclass
class Named:
    """What the matcher needs of one facility."""

    names: list[str]  # full names as written
    shorts: list[str]  # short forms as written
    context: set[str]  # folded words that vouch for a short form
    parent: int | None = None
    grant_only: bool = False

    @cached_property
    def context_prefixes(self) -> set[str]:
        return _prefixes(self.context)


def _prefixes(words_: Iterable[str]) -> set[str]:
    """Words cut to their first six letters: "sequenced" meets "sequencing"."""
    return {w[:_PREFIX] for w in words_}


class MentionMatcher:
    def __init__(self, facilities: list[Named]) -> None:
        self.facilities = facilities
        self.first: dict[str, list[Form]] = {}
        for n, f in enumerate(facilities):
            for form in self._forms(n, f):
                self.first.setdefault(form.words[0], []).append(form)
        for forms in self.first.values():
            forms.sort(key=lambda x: -len(x.words))  # the longest form first

    def _forms(self, n: int, f: Named) -> Iterable[Form]:
        seen: set[tuple[str, ...]] = set()
        for name in f.names:
            ws = tuple(words(name))
            if f.grant_only and len(ws) > 3:
                continue
            if len(ws) < 2 or not distinctive_words(name) or ws in seen:
                continue
            if not ws[0][:1].isupper() and not ws[0][:1].isdigit():
                continue
            seen.add(ws)
            yield Form(ws, n, alone=len(ws) >= 3 or is_distinctive_form(name))
        for short in f.shorts:
            ws = tuple(words(short))
            if not ws or len("".join(ws)) < _MIN_FORM_CHARS or ws in seen:
                continue
            if len(ws) == 1 and fold(ws[0]) in GENERIC_WORDS:
                continue
            seen.add(ws)
            yield Form(ws, n, alone=is_distinctive_form(short))

    def find(self, text: str) -> list[Mention]:
        """The facilities ``text`` names, one mention each, in order of first match."""
        ws = _WORDS.findall(text)
        first = self.first
        starts = [i for i, w in enumerate(ws) if w in first]  # at C speed, mostly
        hits: list[tuple[Form, int]] = []
        free = 0  # a match's words are not the start of another
        for i in starts:
            if i < free:
                continue
            match = self._longest(ws, i, first[ws[i]])
            if match is not None:
                hits.append((match, i))
                free = i + len(match.words)
        if not hits:
            return []
        last = max(i + len(form.words) for form, i in hits)
        toks = list(islice(tokens(text), last))  # offsets up to the last match only
        candidates = [
            (form, toks[i][1], toks[i + len(form.words) - 1][2])
            for form, i in hits
            if not _gap(toks, i, len(form.words))
        ]
        named = {form.target for form, _, _ in candidates}
        alone = {form.target for form, _, _ in candidates if form.alone}
        found: dict[int, Mention] = {}
        for form, start, end in candidates:
            evidence = sentence(text, start)
            target = self._target(form, evidence, alone, named)
            if target is None or target in found:
                continue
            parent = self.facilities[target].parent
            if parent is not None and parent not in named:
                continue
            found[target] = Mention(target, text[start:end], evidence)
        return list(found.values())

    def _target(self, form: Form, evidence: str, alone: set[int], named: set[int]) -> int | None:
        """Which facility a matched form names: itself when it is distinctive or its facility
        is named in full in the text; otherwise the one facility with these words whose
        context the sentence holds (none when no facility's or several facilities' do)."""
        if form.alone or form.target in alone:
            return form.target
        near = _prefixes(_WORDS.findall(fold(evidence)))
        same = [f.target for f in self.first.get(form.words[0], ()) if f.words == form.words]
        vouched = [t for t in dict.fromkeys(same) if self._vouched(t, near, named, evidence)]
        return vouched[0] if len(vouched) == 1 else None

    def _vouched(self, target: int, near: set[str], named: set[int], evidence: str) -> bool:
        f = self.facilities[target]
        if f.parent is not None and f.parent in named and self._names_in(f.parent, evidence):
            return True  # "Balder at MAX IV": the parent in the same sentence
        return bool(f.context_prefixes & near)

    def _names_in(self, target: int, evidence: str) -> bool:
        return any(m.target == target for m in self._plain_matches(evidence))

    def _plain_matches(self, text: str) -> list[Form]:
        ws = _WORDS.findall(text)
        out = []
        for i in range(len(ws)):
            forms = self.first.get(ws[i])
            match = self._longest(ws, i, forms) if forms else None
            if match is not None:
                out.append(match)
        return out

    @staticmethod
    def _longest(ws: list[str], i: int, forms: list[Form]) -> Form | None:
        for form in forms:
            n = len(form.words)
            if i + n <= len(ws) and all(_same(ws[i + k], form.words[k]) for k in range(1, n)):
                return form
        return None


def _same(token: str, word: str) -> bool:
    return token == word or (word.islower() and token.casefold() == word)


def _gap(toks: list[tuple[str, int, int]], i: int, n: int) -> bool:
    """Words of one name are separated by spaces or a hyphen, not by a sentence's end."""
    return any(toks[i + k + 1][1] - toks[i + k][2] > 3 for k in range(n - 1))


def sentence(text: str, at: int) -> str:
    """The sentence of ``text`` around offset ``at``, cut to ``EVIDENCE_CHARS``."""
    start = 0
    for m in _SENTENCE_END.finditer(text):
        if m.end() > at:
            break
        start = m.end()
    end_match = _SENTENCE_END.search(text, at)
    end = end_match.start() if end_match else len(text)
    out = " ".join(text[start:end].split())
    if len(out) <= EVIDENCE_CHARS:
        return out
    offset = at - start
    lo = max(0, min(offset - EVIDENCE_CHARS // 2, len(out) - EVIDENCE_CHARS))
    return ("…" if lo else "") + out[lo : lo + EVIDENCE_CHARS].strip() + "…"


def named_from(
    names: Iterable[str | None], shorts: Iterable[str | None], type_terms: Iterable[str]
) -> tuple[list[str], list[str], set[str]]:
    """Full names, short forms and context words of one facility."""
    full: list[str] = []
    short: list[str] = []
    for name in names:
        if not name:
            continue
        head, acronym = split_acronym(name)
        full.append(head)
        if acronym:
            short.append(acronym)
        if len(words(head)) == 1:
            short.append(head)  # a one-word name (Myfab, Dardel) is a short form
    short += [s for s in shorts if s]
    context = set().union(*(distinctive_words(n) for n in full)) if full else set()
    for terms in type_terms:
        context |= {fold(w) for w in words(terms) if len(w) > 3}
    context -= {fold(w) for s in short for w in words(s)}
    return full, short, context
