"""Across languages (issue 19, build 4): a Swedish query also finds projects whose text is
English only, and the reverse, through a translation table the build learns from the
projects' own title pairs; the page says what else it searched and lets the user switch it off.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from harvesters.core.config import Config
from indexer.analysis.languages import analysis_id, terms
from indexer.analysis.lemmas import english_term
from indexer.analysis.translations import ITERATIONS, Sense, Translations, _Model, learn
from indexer.building.build import build_index
from indexer.building.versions import IndexLocation, read_manifest, write_manifest
from indexer.engine.query import parse_query
from indexer.service import SearchRequest
from indexer.service.served import _translations

TITLES = [
    ("Vätgas för industrin", "Hydrogen for industry"),
    ("Lagring av vätgas", "Storage of hydrogen"),
    ("Vätgas i stål", "Hydrogen in steel"),
    ("Stål för broar", "Steel for bridges"),
    ("Solceller för industrin", "Solar cells for industry"),
    ("Solceller och lagring", "Solar cells and storage"),
    ("Nya solceller", "New solar cells"),
    ("Stål och lagring", "Steel and storage"),
    ("Broar av stål", "Bridges of steel"),
    ("Nya broar", "New bridges"),
    ("Broar och vätgas", "Bridges and hydrogen"),
    ("Lagring i industrin", "Storage in industry"),
    ("Same title", "Same title"),  # the same text twice teaches nothing
    ("Bara svenska", None),
]


def senses(table: Translations, lang: str, term: str) -> list[tuple[tuple[str, ...], float]]:
    return [(s.words, s.weight) for s in table.of(lang, term)]


def test_the_table_is_learnt_from_title_pairs_both_ways() -> None:
    table = learn(TITLES)
    assert table.pairs == 12
    [(words, weight)] = senses(table, "sv", "vätgas")
    assert words == ("hydrogen",) and weight > 0.9
    assert senses(table, "en", english_term("hydrogen"))[0][0] == ("vätgas",)
    assert senses(table, "sv", "stål")[0][0] == ("steel",)
    assert senses(table, "sv", "bro")[0][0] == ("bridges",)  # the lemma; the word as titles say
    # a compound rendered as two words is one translation that needs both
    [solar] = table.of("sv", "solcell")
    assert solar.terms == ("solar", "cell") and solar.words == ("solar", "cells")
    # words met too rarely, or only as a neighbour, get nothing
    assert table.of("sv", "ny") == () and table.of("sv", "industri") == ()
    assert table.same_word("sv", "industri") == "industry"  # written alike: a known rendering


def test_the_model_is_nltks_ibm_model_1() -> None:
    """The vectorised expectation-maximisation gives nltk's IBMModel1 probabilities."""
    from nltk.translate import AlignedSent, IBMModel1

    pairs = []
    for sv, en in TITLES:
        if sv and en and sv.lower() != en.lower():
            pairs.append(
                (list(dict.fromkeys(terms("sv", sv))), list(dict.fromkeys(terms("en", en))))
            )
    ours = _Model(pairs)
    reference = IBMModel1([AlignedSent(en, sv) for sv, en in pairs], ITERATIONS)
    targets = ours._target_names()
    sources = {i: s for s, i in ours.sources.items()}
    compared = 0
    for k, p in enumerate(ours.prob):
        if ours.pair_src[k] != ours.null:
            source, target = sources[ours.pair_src[k]], targets[ours.pair_tgt[k]]
            assert p == pytest.approx(reference.translation_table[target][source], abs=1e-9)
            compared += 1
    assert compared > 30  # every (Swedish, English) term pair that shares a title


def test_the_table_is_saved_and_read_back(tmp_path: Path) -> None:
    table = learn(TITLES)
    table.save(tmp_path / "t.json")
    again = Translations.load(tmp_path / "t.json")
    assert again.table == table.table and again.same == table.same and again.pairs == 12
    (tmp_path / "old.json").write_text(json.dumps({"version": 1, "table": {}}), "utf-8")
    with pytest.raises(ValueError, match="not a version 2 translations file"):
        Translations.load(tmp_path / "old.json")


def test_a_version_with_an_unreadable_table_still_serves(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bad = tmp_path / "translations.json"
    bad.write_text("{not json", "utf-8")
    with caplog.at_level(logging.WARNING, "research_index.search"):
        assert _translations(bad) is None
    assert "no cross-language search on this version" in caplog.text
    bad.write_text(json.dumps({"version": 2, "table": []}), "utf-8")  # the wrong shape
    assert _translations(bad) is None
    assert _translations(tmp_path / "absent.json") is None


TABLE = Translations(
    {
        "sv": {"vätgas": (Sense(("hydrogen",), ("hydrogen",), 0.9),)},
        "en": {"hydrogen": (Sense(("vätgas",), ("vätgas",), 0.8),)},
    }
)


def test_a_query_word_is_also_searched_as_its_translations() -> None:
    parsed = parse_query("vätgas", None, TABLE)
    assert parsed.also_searched == (("hydrogen", "en"),)
    text = str(parsed.query)
    assert "title_en:hydrogen" in text and "title_sv:vätgas^8.0" in text
    # at a lower weight than the word typed: 0.5 x 0.9 of the title's 8
    assert re.search(r"title_en:hydrogen\^3\.6\b", text)
    assert parse_query("hydrogen", None, TABLE).also_searched == (("vätgas", "sv"),)


def test_what_is_quoted_excluded_or_switched_off_is_not_translated() -> None:
    assert parse_query('"vätgas"', None, TABLE).also_searched == ()
    excluded = parse_query("lagring -vätgas", None, TABLE)
    assert excluded.also_searched == () and "hydrogen" not in str(excluded.query)
    assert parse_query("vätgas", None, None).also_searched == ()
    assert parse_query("person:vätgas", None, TABLE).also_searched == ()  # names stay names


# -- on the KTH data ---------------------------------------------------------------------------


def ids(service, q: str, translate: bool = True, size: int = 20) -> list[str]:  # type: ignore[no-untyped-def]
    req = SearchRequest(q=q, size=size, translate=translate, filters={"kind": ("project",)})
    return [h.id for h in service.search(req).hits]


def test_the_version_holds_its_table_and_names_its_lexicon(kth_home: Path) -> None:
    version = (kth_home / "index" / "current").resolve()
    table = Translations.load(version / "translations.json")
    assert table.pairs > 5000 and len(table) > 1000
    assert read_manifest(version)["analysis"] == analysis_id()
    assert analysis_id().startswith("simplemma 1.1.2; PyStemmer 3.1.0")


def test_an_incremental_build_keeps_the_table_and_another_analysis_rebuilds(
    config: Config, tmp_path: Path
) -> None:
    from tests.test_index_build import _load, _row

    _load(config, tmp_path, [_row(i) for i in range(5)])
    build_index(config, quiet=True, procs=1)
    location = IndexLocation(config.index_root)
    first = location.current_path()
    assert first is not None
    table = Translations.load(first / "translations.json")
    assert table.pairs == 5  # the five title pairs
    _load(config, tmp_path, [_row(i) for i in range(6)])
    assert build_index(config, quiet=True, procs=1).mode == "incremental"
    second = location.current_path()
    assert second is not None and second != first
    again = (second / "translations.json").read_bytes()
    assert again == (first / "translations.json").read_bytes()
    # a version analysed with another lexicon is no base for an incremental build
    manifest = read_manifest(second)
    write_manifest(second, {**manifest, "analysis": "simplemma 0.9; PyStemmer 2.0"})
    _load(config, tmp_path, [_row(i) for i in range(7)])
    assert build_index(config, quiet=True, procs=1).mode == "full"


def test_a_swedish_query_finds_projects_written_in_english_only(kth_service) -> None:  # type: ignore[no-untyped-def]
    # "Physics of the Earth's Magnetosphere" (Swedish National Space Agency grants, no
    # Swedish text): "magnetosfär" is "magnetosphere" in the table
    english_only = {"78/09_SNSB", "109/08_SNSB", "124/11_SNSB", "125/13_SNSB"}
    assert english_only <= set(ids(kth_service, "magnetosfär", size=10))
    assert not english_only & set(ids(kth_service, "magnetosfär", translate=False, size=100))


def test_an_english_query_finds_projects_written_in_swedish_only(kth_service) -> None:  # type: ignore[no-untyped-def]
    # "Molekylär katalysator för solenergiomvandling" has no English title or abstract
    assert "P31996-2_Energi" in ids(kth_service, "catalysts")
    assert "P31996-2_Energi" not in ids(kth_service, "catalysts", translate=False, size=100)


def test_a_compound_is_translated_by_its_parts(kth_service) -> None:  # type: ignore[no-untyped-def]
    on = kth_service.search(SearchRequest(q="cancerforskning"))
    off = kth_service.search(SearchRequest(q="cancerforskning", translate=False))
    assert [(a.words, a.lang) for a in on.also_searched] == [("cancer research", "en")]
    assert on.total > off.total + 20 and off.also_searched == ()


def test_translations_weigh_less_than_the_words_typed(kth_service) -> None:  # type: ignore[no-untyped-def]
    # projects that say "vätgas" keep the lead over those that only say "hydrogen"
    typed = ids(kth_service, "vätgas", translate=False, size=10)
    assert set(typed[:5]) <= set(ids(kth_service, "vätgas", size=10))


def test_snippets_light_up_translations_only_when_they_were_searched(kth_service) -> None:  # type: ignore[no-untyped-def]
    on = {h.id: h.snippet for h in kth_service.search(SearchRequest(q="vätgas", size=5)).hits}
    off = kth_service.search(SearchRequest(q="vätgas", size=5, translate=False)).hits
    lit = [h for h in off if 'match">hydrogen' in on.get(h.id, "").lower()]
    assert lit  # the same projects, switched off: no snippet of the translated search reused
    assert not any('match">hydrogen' in h.snippet.lower() for h in lit)


def test_the_page_says_what_else_it_searched_and_switches_it_off(client: FlaskClient) -> None:
    html = client.get("/search?q=v%C3%A4tgas&lang=en").get_data(as_text=True)
    note = re.search(r'data-testid="also-searched">(.*?)</p>', html, re.S)
    assert note and 'Also searched: <em lang="en">hydrogen</em>' in note.group(1)
    link = re.search(r'href="([^"]+)" data-testid="as-typed"', note.group(1))
    assert link and "translate=false" in link.group(1)
    total = int(re.sub(r"\D", "", re.search(r'data-testid="total">([^<]+)<', html).group(1)))  # type: ignore[union-attr]
    typed = client.get("/search" + link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert 'data-testid="also-searched"' not in typed and 'data-testid="as-typed-on"' in typed
    fewer = int(re.sub(r"\D", "", re.search(r'data-testid="total">([^<]+)<', typed).group(1)))  # type: ignore[union-attr]
    assert fewer < total
    back = re.search(r'href="([^"]+)" data-testid="translate-on"', typed)
    assert back and "translate" not in back.group(1)
    # the choice travels with the search: sorting, the CSV and statistics keep it
    csv = re.search(r'href="([^"]+)" data-testid="csv"', typed)
    assert csv and "translate=false" in csv.group(1)


def test_the_api_and_the_command_line_say_so_too(
    client: FlaskClient, kth_home: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    on = client.get("/api/v1/search?q=v%C3%A4tgas").get_json()
    off = client.get("/api/v1/search?q=v%C3%A4tgas&translate=false").get_json()
    assert on["also_searched"] == [{"words": "hydrogen", "lang": "en"}]
    assert off["also_searched"] == [] and off["total"] < on["total"]
    bad = client.get("/api/v1/search?q=v%C3%A4tgas&translate=maybe")
    assert bad.status_code == 400 and "translate must be true or false" in bad.get_json()["message"]
    from webapp.cli import main

    assert main(["--home", str(kth_home), "search", "vätgas"]) == 0
    assert "also searched: hydrogen" in capsys.readouterr().out
    assert main(["--home", str(kth_home), "search", "vätgas", "--as-typed"]) == 0
    assert "also searched" not in capsys.readouterr().out
