"""Swedish <-> English word translations learnt from the corpus's own parallel titles.

Owns :class:`Translations` (the table of an index version: made when it is built, saved beside
it, loaded when it opens) and :func:`learn`. Most SweCRIS projects carry a Swedish and an
English title that say the same thing, so the corpus holds its own dictionary: "vätgas" sits
where "hydrogen" does, "stål" where "steel" does. A query word is then also searched, at a
lower weight, as its best translations (``indexer.engine.query``), so a Swedish query finds a
project whose text is English only, and the reverse.

How the table is learnt (IBM Model 1, Brown et al. 1993, run both ways):

* each title pair is two sets of index terms (``indexer.analysis.languages``: Swedish lemmas,
  English stems), stop words out; pairs whose two titles are the same text teach nothing and
  are left out;
* expectation-maximisation over the co-occurring (Swedish, English) pairs gives t(e|s), the
  probability that Swedish term s is rendered by English term e (a NULL word soaks up English
  words without a counterpart), and, trained the other way, t(s|e). Written with numpy over
  flat arrays of (pair, s, e) triples, 8 iterations: ~1 s for the 5,349 KTH title pairs;
* a translation is kept when t >= ``MIN_PROBABILITY``, the two words share at least
  ``MIN_PAIRS`` titles, and the other direction agrees (the source word is among the
  ``AGREE_TOP`` best renderings of the translation): "bro" -> "condit" (a title about the
  condition of bridges) fails that, and so do numbers. At most ``MAX_SENSES`` a word;
* a Swedish compound often becomes two English words ("maskininlärning": "machine" 0.44,
  "learning" 0.56; "solcell": "solar", "cell"): when its two best renderings each reach
  ``PARTNER_MIN``, reach ``MIN_PROBABILITY`` together, one of them is agreed, and they occur
  together in most titles of the word (``TOGETHER``), they are one translation that needs
  both words, not two that each suffice (else "solcell" would find every "cell");
* a term whose best rendering is itself ("cancer", and "batteri", which English "battery"
  stems to) is noted in ``same``: nothing to add to a query, but a known rendering of a
  compound's part ("cancerforskning": "cancer" + "forskning" -> "cancer research").

nltk's ``IBMModel1`` implements the same model in Python dictionaries; this one is the same
arithmetic on arrays, and tests/test_cross_language.py checks that it gives nltk's
probabilities (to 1e-9); one direction over the 5,349 KTH title pairs takes 0.15 s here, nltk's
2.6 s. The choice
over document-level co-occurrence (Dice over titles and abstracts) was measured on the KTH
data: co-occurrence put "formwork" above "concrete" for "betong" and nothing sensible for
"trafiksäkerhet"; the model explains each English word by its best Swedish one, which clears
such neighbours away.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from indexer.analysis.languages import term
from indexer.analysis.tokens import WORD_RE, normalise_token

__all__ = ["FORMAT_VERSION", "Sense", "Translations", "learn"]

FORMAT_VERSION = 2
MIN_PROBABILITY = 0.5
MIN_PAIRS = 3
PARTNER_MIN = 0.2
AGREE_TOP = 3
MAX_SENSES = 2
TOGETHER = 0.8
ITERATIONS = 8
LANGS = ("sv", "en")


@dataclass(frozen=True)
class Sense:
    """One translation of a term: the terms it needs (one, or two for a compound rendered as
    two words), the words to show for them, and t (0-1)."""

    terms: tuple[str, ...]
    words: tuple[str, ...]
    weight: float


class Translations:
    """term -> its translations, for each direction ("sv": Swedish terms to English)."""

    def __init__(
        self,
        table: dict[str, dict[str, tuple[Sense, ...]]],
        pairs: int = 0,
        same: dict[str, dict[str, str]] | None = None,
    ) -> None:
        self.table = table
        self.pairs = pairs  # how many title pairs taught it
        #: per direction, the terms the other language writes the same ("cancer"; "batteri",
        #: "battery" in English text), with the word to show: no translation to add, but a
        #: known rendering of a compound's part
        self.same = same or {}

    def of(self, lang: str, term_: str) -> tuple[Sense, ...]:
        """The translations of a ``lang`` term into the other language (none: ``()``)."""
        return self.table.get(lang, {}).get(term_, ())

    def same_word(self, lang: str, term_: str) -> str | None:
        """When the other language writes ``lang``'s term ``term_`` the same, its word."""
        return self.same.get(lang, {}).get(term_)

    def __len__(self) -> int:
        return sum(len(t) for t in self.table.values())

    def save(self, path: str | os.PathLike[str]) -> None:
        """Compact UTF-8 JSON, through a temporary file and a rename."""
        data = {
            "format": "research-index translations",
            "version": FORMAT_VERSION,
            "pairs": self.pairs,
            "same": {lang: dict(sorted(words.items())) for lang, words in self.same.items()},
            "table": {
                lang: {
                    t: [[list(s.terms), list(s.words), round(s.weight, 4)] for s in senses]
                    for t, senses in sorted(entries.items())
                }
                for lang, entries in self.table.items()
            },
        }
        target = Path(path)
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), "utf-8")
        os.replace(tmp, target)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Translations:
        """Read a file :meth:`save` wrote; ``ValueError`` if it is not one."""
        data = json.loads(Path(path).read_text("utf-8"))  # JSONDecodeError is a ValueError
        if not isinstance(data, dict) or data.get("version") != FORMAT_VERSION:
            raise ValueError(f"{path}: not a version {FORMAT_VERSION} translations file")
        table = {
            lang: {
                t: tuple(Sense(tuple(ts), tuple(ws), float(w)) for ts, ws, w in senses)
                for t, senses in entries.items()
            }
            for lang, entries in data["table"].items()
        }
        same = {lang: dict(words) for lang, words in data.get("same", {}).items()}
        return cls(table, int(data.get("pairs", 0)), same)


def learn(titles: Iterable[tuple[str | None, str | None]]) -> Translations:
    """The table of the (Swedish, English) title pairs ``titles`` (a missing one skipped)."""
    pairs: list[tuple[list[str], list[str]]] = []
    shown: dict[str, dict[str, Counter[str]]] = {lang: {} for lang in LANGS}
    known: dict[str, dict[str, tuple[str | None, str]]] = {lang: {} for lang in LANGS}
    for sv_title, en_title in titles:
        if not sv_title or not en_title or sv_title.strip().lower() == en_title.strip().lower():
            continue
        sides = []
        for lang, text in zip(LANGS, (sv_title, en_title), strict=True):
            memo = known[lang]  # raw token -> (term, word as written), each met once
            seen: dict[str, None] = {}
            for raw in WORD_RE.findall(text):
                found = memo.get(raw)
                if found is None:
                    found = memo[raw] = (term(lang, raw), normalise_token(raw).lower())
                if found[0] is not None:
                    seen[found[0]] = None  # each term once, in text order
                    shown[lang].setdefault(found[0], Counter())[found[1]] += 1
            sides.append(list(seen))
        if sides[0] and sides[1]:
            pairs.append((sides[0], sides[1]))
    words = {lang: {t: c.most_common(1)[0][0] for t, c in shown[lang].items()} for lang in LANGS}
    forward = _Model(pairs)
    backward = _Model([(b, a) for a, b in pairs])
    table = {
        "sv": _senses(forward, backward, words["en"]),
        "en": _senses(backward, forward, words["sv"]),
    }
    same = {"sv": _same(forward, words["en"]), "en": _same(backward, words["sv"])}
    return Translations(table, len(pairs), same)


class _Model:
    """IBM Model 1 t(target | source) over set pairs, with co-occurrence counts."""

    def __init__(self, pairs: list[tuple[list[str], list[str]]]) -> None:
        self.sources: dict[str, int] = {}
        self.targets: dict[str, int] = {}
        s_flat: list[int] = []  # every pair's source ids, then a NULL (-1), pair after pair
        t_flat: list[int] = []
        s_len, t_len = [], []
        for source, target in pairs:
            s_flat.extend(self.sources.setdefault(s, len(self.sources)) for s in source)
            s_flat.append(-1)
            t_flat.extend(self.targets.setdefault(t, len(self.targets)) for t in target)
            s_len.append(len(source) + 1)
            t_len.append(len(target))
        self.null = len(self.sources)
        # every (pair, source, target) triple of a pair: its targets x its sources and NULL
        ns, nt = np.array(s_len, dtype=np.int64), np.array(t_len, dtype=np.int64)
        per = ns * nt
        doc_ids = np.repeat(np.arange(len(pairs), dtype=np.int64), per)
        k = np.arange(int(per.sum()), dtype=np.int64) - np.repeat(np.cumsum(per) - per, per)
        s_start, t_start = np.cumsum(ns) - ns, np.cumsum(nt) - nt
        src = np.array(s_flat, dtype=np.int64)[s_start[doc_ids] + k % ns[doc_ids]]
        src[src < 0] = self.null
        tgt = np.array(t_flat, dtype=np.int64)[t_start[doc_ids] + k // ns[doc_ids]]
        n_t = max(len(self.targets), 1)
        pair_keys, pair_of = np.unique(src * n_t + tgt, return_inverse=True)
        _, group_of = np.unique(doc_ids * n_t + tgt, return_inverse=True)
        self.pair_src, self.pair_tgt = pair_keys // n_t, pair_keys % n_t
        self.together = np.bincount(pair_of, minlength=len(pair_keys))  # pairs sharing both
        prob = np.ones(len(pair_keys))
        for _ in range(ITERATIONS):
            share = prob[pair_of]
            share = share / np.bincount(group_of, weights=share)[group_of]
            counts = np.bincount(pair_of, weights=share, minlength=len(pair_keys))
            totals = np.bincount(self.pair_src, weights=counts, minlength=self.null + 1)
            prob = counts / totals[self.pair_src]
        self.prob = prob
        self.by_source: dict[int, np.ndarray] = {}
        order = np.lexsort((-prob, self.pair_src))
        bounds = np.searchsorted(self.pair_src[order], np.arange(self.null + 2))
        for s_id in range(self.null):
            self.by_source[s_id] = order[bounds[s_id] : bounds[s_id + 1]]
        #: source term -> the targets (in text order) of every pair that holds it
        self.seen: dict[str, list[list[str]]] = {}
        for source, target in pairs:
            for s in source:
                self.seen.setdefault(s, []).append(target)

    def best(self, source: str, top: int) -> list[tuple[str, float, int]]:
        """The ``top`` likeliest renderings of ``source``: (target, t, titles shared)."""
        s_id = self.sources.get(source)
        if s_id is None:
            return []
        names = self._target_names()
        return [
            (names[self.pair_tgt[k]], float(self.prob[k]), int(self.together[k]))
            for k in self.by_source[s_id][:top]
        ]

    def _target_names(self) -> list[str]:
        names = getattr(self, "_names", None)
        if names is None:
            names = [""] * len(self.targets)
            for t, i in self.targets.items():
                names[i] = t
            self._names = names
        return names


def _senses(model: _Model, reverse: _Model, shown: dict[str, str]) -> dict[str, tuple[Sense, ...]]:
    out: dict[str, tuple[Sense, ...]] = {}
    for source in model.sources:
        if source.isdigit():
            continue
        best = [
            (target, p)
            for target, p, shared in model.best(source, MAX_SENSES)
            if shared >= MIN_PAIRS and target != source and not target.isdigit()
        ]
        agreed = [
            (target, p)
            for target, p in best
            if source in {s for s, _, _ in reverse.best(target, AGREE_TOP)}
        ]
        senses: tuple[Sense, ...] = ()
        if (
            len(best) == 2
            and agreed
            and min(p for _, p in best) >= PARTNER_MIN
            and sum(p for _, p in best) >= MIN_PROBABILITY
            and _together(model, source, best[0][0], best[1][0])
        ):  # a compound rendered as two words: "solcell", "solar cell"
            (a, _), (b, _) = sorted(best, key=lambda k: _place(model, source, k[0]))
            weight = min(1.0, best[0][1] + best[1][1])
            senses = (Sense((a, b), (shown.get(a, a), shown.get(b, b)), round(weight, 4)),)
        else:
            senses = tuple(
                Sense((t,), (shown.get(t, t),), round(p, 4))
                for t, p in agreed
                if p >= MIN_PROBABILITY
            )
        if senses:
            out[source] = senses
    return out


def _same(model: _Model, shown: dict[str, str]) -> dict[str, str]:
    """The source terms whose likeliest rendering is the same term, as sure as a translation,
    with the other language's word for it."""
    return {
        source: shown.get(source, source)
        for source in model.sources
        for target, p, shared in model.best(source, 1)
        if target == source and p >= MIN_PROBABILITY and shared >= MIN_PAIRS
    }


def _place(model: _Model, source: str, target: str) -> float:
    """Where ``target`` stands, on average, in the titles it shares with ``source`` (0: first):
    the two words of a compound's translation are shown in the order titles write them."""
    places = [t.index(target) / len(t) for t in model.seen.get(source, ()) if target in t]
    return sum(places) / len(places) if places else 0.0


def _together(model: _Model, source: str, a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` occur together in most titles of ``source`` that hold either."""
    with_source = [set(target) for target in model.seen.get(source, ())]
    either = sum(1 for t in with_source if a in t or b in t)
    both = sum(1 for t in with_source if a in t and b in t)
    return bool(either) and both / either >= TOGETHER
