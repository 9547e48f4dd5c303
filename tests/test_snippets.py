"""Snippets: the query's terms marked under each field's analysis, escaped, in fragments."""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path

from indexer.analysis.lemmas import (
    ENGLISH_PREFIX_CHANGERS,
    english_term,
    lexicon,
    prefix_changers,
    swedish_stem,
    swedish_term,
)
from indexer.analysis.tokens import WORD_RE, normalise_token
from indexer.analysis.words import stem_english, stem_swedish
from indexer.engine.schema import build_schema
from indexer.service.snippets import Snippets

SNIPPETS = Snippets(build_schema(), ("abstract_sv", "abstract_en", "text_exact"))


def test_stemmed_and_exact_terms_are_marked() -> None:
    text = "Forskningen växer. Vi studerar forskningens effekter på <havet> & kusten."
    out = SNIPPETS.make(text, {"abstract_sv": {stem_swedish("forskning")}})
    assert out.count('<b class="match">') == 2
    assert '<b class="match">Forskningen</b>' in out
    assert '<b class="match">forskningens</b>' in out
    assert "&lt;havet&gt; &amp; kusten" in out
    exact = SNIPPETS.make(text, {"text_exact": {"kusten"}})
    assert '<b class="match">kusten</b>' in exact and "<b" not in exact.replace(
        '<b class="match">kusten</b>', ""
    )


def test_no_match_gives_nothing_and_payloads_stay_text() -> None:
    assert SNIPPETS.make("nothing here", {"abstract_en": {"climat"}}) == ""
    assert SNIPPETS.make("anything", {}) == ""
    evil = 'water <img src=x onerror=alert(1)> "><svg onload=alert(1)> water'
    out = SNIPPETS.make(evil, {"abstract_en": {"water"}})
    assert "<img" not in out and "<svg" not in out and "&lt;img" in out
    assert out.count('<b class="match">water</b>') == 2


def test_long_texts_give_the_two_best_fragments_in_text_order() -> None:
    filler = " ".join(f"ord{i}" for i in range(200))
    text = f"energi start {filler} energi energi mitten {filler} slut energi"
    out = SNIPPETS.make(text, {"text_exact": {"energi"}})
    fragments = out.split(" … ")
    assert len(fragments) == 2
    assert fragments[0].count("energi") < fragments[1].count("energi") or fragments[0].startswith(
        '<b class="match">energi</b> start'
    )
    assert "mitten" in out and len(out) < 2 * 300 + 200
    assert all(
        len(f.replace('<b class="match">', "").replace("</b>", "")) <= 300 for f in fragments
    )


def test_analysis_keeps_the_first_two_letters(shared_data: Path) -> None:
    """What the snippet maker's prefilter relies on: no stemmer changes a word's first two
    letters but for the listed exceptions (and words with apostrophes, which our tokeniser
    never makes): the current Snowball of the analysis and Whoosh's older one."""
    for language, stems in (
        ("swedish", (swedish_stem, stem_swedish)),
        ("english", (english_term, stem_english)),
    ):
        words = (shared_data / "snowball" / language / "voc.txt").read_text("utf-8").split()
        for stem in stems:
            changed = {w for w in words if "'" not in w and stem(w)[:2] != w[:2]}
            assert len(words) > 20_000 and changed <= ENGLISH_PREFIX_CHANGERS


def test_the_lexicons_prefix_changers_are_every_form_whose_lemma_starts_otherwise() -> None:
    """``Lexicon.prefix_changers`` looks up only candidate forms: the result must equal looking
    up every form of the table (and hold the irregular forms a reader expects)."""
    table = lexicon()
    every = set()
    for key in table.forms:
        word = key.decode()
        lemma = table.known(word)
        if lemma is not None and lemma[:2] != word[:2]:
            every.add(word)
    assert table.prefix_changers() == every
    assert {"bättre", "gjorde", "händer", "mindre"} <= every
    assert prefix_changers() == every | ENGLISH_PREFIX_CHANGERS


def test_irregular_forms_are_marked_for_their_lemma() -> None:
    """Lemmas that start otherwise than their forms: "bra" marks "bättre", "hand" marks
    "händer" (before: the prefilter skipped them as unable to match)."""
    text = "Bättre verktyg för händer och ögon. Det gjorde skillnad."
    sv = Snippets(build_schema(), ("abstract_sv",))
    for query, marked in (("bra", "Bättre"), ("hand", "händer"), ("göra", "gjorde")):
        out = sv.make(text, {"abstract_sv": {swedish_term(query)}})
        assert f'<b class="match">{marked}</b>' in out, (query, out)
        assert out.count('<b class="match">') == 1


def test_prefiltered_spans_equal_analysing_every_token(kth_exports: list[Path]) -> None:
    """The prefilter skips analysing tokens that cannot match; the spans must be the same as
    when every token is analysed, for stemmed and exact terms, NFD and soft hyphens too."""
    rows = csv.DictReader(io.StringIO(kth_exports[0].read_text("utf-8-sig")))
    texts = [r[k] for r in rows for k in ("projectAbstractSv", "projectAbstractEn") if r.get(k)]
    texts = texts[:300] + ["Fa\u030agelforskning och fa\u030agel, fo\u00adrskning om Åar, dying"]
    rng = random.Random(3)
    schema = build_schema()
    fresh = Snippets(schema, ("abstract_sv", "abstract_en", "text_exact"))
    for text in texts:
        words = WORD_RE.findall(text)
        picked = rng.sample(words, min(3, len(words))) + ["fågel", "forskning", "die"]
        wanted = {
            "abstract_sv": {t for w in picked if (t := fresh.plans["abstract_sv"].term(w))},
            "abstract_en": {t for w in picked if (t := fresh.plans["abstract_en"].term(w))},
            "text_exact": {normalise_token(w).lower() for w in picked[:1]},
        }
        fast = Snippets(schema, ("abstract_sv", "abstract_en", "text_exact"))._spans(text, wanted)
        slow = [
            (
                m.start(),
                m.end(),
                any(fresh.plans[f].term(m.group()) in ts for f, ts in wanted.items()),
            )
            for m in WORD_RE.finditer(text)
        ]
        assert fast == (slow if any(t[2] for t in slow) else [])
