"""Snippets: the query's terms marked under each field's analysis, escaped, in fragments."""

from __future__ import annotations

from indexer.analysis import stem_swedish
from indexer.schema import build_schema
from indexer.snippets import Snippets

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
