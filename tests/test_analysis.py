"""Text analysis on real data: Swedish/English/exact analyzers, stemmer quality, decompounding."""

from __future__ import annotations

import csv
import pickle
import random
import re
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest
from whoosh import fields, index
from whoosh.analysis import CompositeAnalyzer
from whoosh.qparser import QueryParser

from harvesters.sources.clean import clean_text
from indexer.analysis.compounds import (
    NON_PARTS,
    Decompounder,
    expand_compounds,
    split_query_word,
)
from indexer.analysis.lemmas import Lexicon, swedish_term
from indexer.analysis.tokens import WORD_RE, tokenise
from indexer.analysis.words import (
    ENGLISH_STOPWORDS,
    SWEDISH_STOPWORDS,
    normalise_query_text,
    stem_english,
    stem_swedish,
)
from indexer.engine.analyzers import english_analyzer, exact_analyzer, swedish_analyzer

ANALYZERS: dict[str, Callable[[], CompositeAnalyzer]] = {
    "sv": swedish_analyzer,
    "en": english_analyzer,
    "exact": exact_analyzer,
}

# Measured with bench/stemmers.py (see indexer/analysis/words.py); a small margin below.
SWEDISH_AGREEMENT = 0.982 - 0.002
ENGLISH_AGREEMENT = 0.9985 - 0.002


def terms(analyzer: CompositeAnalyzer, text: str) -> list[str]:
    return [token.text for token in analyzer(text)]


@pytest.fixture(scope="module")
def kth_rows(kth_exports: list[Path]) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for path in kth_exports:
        with path.open(encoding="utf-8", newline="") as f:
            rows.extend(csv.DictReader(f, delimiter=";"))
    return rows


@pytest.fixture(scope="module")
def swedish_texts(kth_rows: list[dict[str, str]]) -> list[str]:
    """Cleaned Swedish titles and abstracts of the six KTH exports."""
    texts = []
    for row in kth_rows:
        for column in ("projectTitleSv", "projectAbstractSv"):
            text = clean_text(row[column])
            if text:
                texts.append(text)
    return texts


@pytest.fixture(scope="module")
def kth_decompounder(swedish_texts: list[str]) -> Decompounder:
    return Decompounder.from_texts(swedish_texts)  # as indexer/building/build.py builds it


def reference_pairs(shared_data: Path, language: str) -> list[tuple[str, str]]:
    folder = shared_data / "snowball" / language
    words = (folder / "voc.txt").read_text(encoding="utf-8").splitlines()
    stems = (folder / "output.txt").read_text(encoding="utf-8").splitlines()
    return list(zip(words, stems, strict=True))


# --- Swedish -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "forms",
    [
        ("forskning", "forskningen", "forskningens", "Forskningen"),
        ("fåglar", "fåglarna", "fåglarnas"),
        ("stamcell", "stamceller", "stamcellen", "stamcellerna"),
        ("förändring", "förändringar", "förändringarna"),
        ("projekt", "projekten", "projekts"),
    ],
)
def test_swedish_inflections_share_a_stem(forms: tuple[str, ...]) -> None:
    analyzer = swedish_analyzer()
    stems = {tuple(terms(analyzer, form)) for form in forms}
    assert len(stems) == 1, stems


@pytest.mark.parametrize(("word", "other"), [("får", "far"), ("år", "ar"), ("hål", "hal")])
def test_swedish_letters_are_not_folded(word: str, other: str) -> None:
    for make in ANALYZERS.values():
        analyzer = make()
        assert terms(analyzer, word) != terms(analyzer, other)
    assert terms(swedish_analyzer(), "år") == ["år"]
    assert terms(exact_analyzer(), "Östersjön ÅÄÖ") == ["östersjön", "åäö"]


def test_nfd_input_gives_the_nfc_terms(swedish_texts: list[str]) -> None:
    assert terms(exact_analyzer(), "fa\u030agel") == ["fågel"]
    sample = [t for t in swedish_texts if any(c in t for c in "åäöÅÄÖ")][:50]
    assert sample
    for make in ANALYZERS.values():
        analyzer = make()
        for text in sample:
            nfd = unicodedata.normalize("NFD", text)
            assert nfd != text
            assert terms(analyzer, nfd) == terms(analyzer, text)


def test_non_parts_cover_the_analyzer_stopwords() -> None:
    assert {w for w in SWEDISH_STOPWORDS if len(w) >= 3} <= NON_PARTS


def test_soft_hyphen_does_not_split_a_word() -> None:
    assert terms(exact_analyzer(), "forsk\u00adning") == ["forskning"]


def test_swedish_stopwords_removed() -> None:
    got = terms(swedish_analyzer(), "Forskning och utveckling som är viktig för att vi ska")
    assert not set(got) & {"och", "som", "är", "för", "att", "vi"}
    assert "forskning" in got
    assert "och" in SWEDISH_STOPWORDS
    # Only Swedish stopwords: "is" (ice) and "an" are not English stopwords here.
    assert terms(swedish_analyzer(), "is") == ["is"]


def test_positions_and_chars_for_phrases_and_highlighting() -> None:
    text = "Forskning om fa\u030aglarna i Östersjön"
    tokens = [
        (t.text, t.pos, t.startchar, t.endchar)
        for t in swedish_analyzer()(text, positions=True, chars=True)
    ]
    assert [t[1] for t in tokens] == [0, 1, 2]  # stopwords "om", "i" renumbered away
    for _, _, start, end in tokens:
        assert text[start:end].lower() in {"forskning", "fa\u030aglarna", "östersjön"}


# --- English -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "forms",
    [("project", "projects", "Projects"), ("study", "studies"), ("method", "methods")],
)
def test_english_plurals_share_a_stem(forms: tuple[str, ...]) -> None:
    analyzer = english_analyzer()
    assert len({tuple(terms(analyzer, form)) for form in forms}) == 1


def test_english_stopwords_removed() -> None:
    got = terms(english_analyzer(), "The aim of the project is to study a new method")
    assert got == ["aim", "project", "studi", "new", "method"]
    assert "the" in ENGLISH_STOPWORDS


# --- exact ---------------------------------------------------------------------------------


def test_exact_analyzer_keeps_every_word_unstemmed() -> None:
    got = terms(exact_analyzer(), "Studies of Forskningen och Projects")
    assert got == ["studies", "of", "forskningen", "och", "projects"]


def test_decompound_tokeniser_matches_the_analyzer(swedish_texts: list[str]) -> None:
    analyzer = exact_analyzer()
    for text in swedish_texts[:300]:
        assert tokenise(text) == terms(analyzer, text)


def test_word_pattern_finds_the_tokens_of_its_plain_definition(swedish_texts: list[str]) -> None:
    """WORD_PATTERN is written for speed (runs, possessive quantifiers); it must find exactly
    what the plain definition finds: a word character, then word characters or marks."""
    marks = "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f\u00ad"
    plain = re.compile(rf"[^\W_](?:[^\W_]|[{marks}])*")
    for text in swedish_texts:
        assert WORD_RE.findall(text) == plain.findall(text)
    rng = random.Random(5)
    alphabet = "ab1é_ -.\u0301\u00ad\u200b\u1ab0\u20d0\ufe20ß٣"
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 16)))
        assert WORD_RE.findall(text) == plain.findall(text), repr(text)


# --- pickling (Whoosh stores the schema, analyzers included, in the index) -----------------


@pytest.mark.parametrize("name", sorted(ANALYZERS))
def test_analyzer_pickle_round_trip(name: str, swedish_texts: list[str]) -> None:
    analyzer = ANALYZERS[name]()
    data = pickle.dumps(analyzer)
    restored = pickle.loads(data)
    assert b"indexer.engine.analyzers" in data  # the NfcFilter class, by its import path
    text = swedish_texts[1] + " The projects' studies"
    assert terms(restored, text) == terms(analyzer, text)


def test_whoosh_index_on_disk_nfd_query_finds_nfc_document(tmp_path: Path) -> None:
    schema = fields.Schema(
        id=fields.ID(stored=True),
        text_sv=fields.TEXT(analyzer=swedish_analyzer()),
        text_exact=fields.TEXT(analyzer=exact_analyzer()),
    )
    ix = index.create_in(str(tmp_path), schema)
    with ix.writer() as writer:
        writer.add_document(id="1", text_sv="Fåglarna i Östersjön", text_exact="En fågel")
        writer.add_document(id="2", text_sv="Fartyg och far", text_exact="far")
    reopened = index.open_dir(str(tmp_path))  # unpickles the schema
    with reopened.searcher() as searcher:
        # Snowball stems "fåglar"/"fåglarna" to "fågl" but leaves "fågel" (reliability.md W13).
        for field, query_text in [("text_sv", "fa\u030aglar"), ("text_exact", "Fa\u030agel")]:
            query = QueryParser(field, reopened.schema).parse(normalise_query_text(query_text))
            assert [hit["id"] for hit in searcher.search(query)] == ["1"]
        phrase = QueryParser("text_sv", reopened.schema).parse('"fåglar i östersjön"')
        assert [hit["id"] for hit in searcher.search(phrase)] == ["1"]


# --- stemmer quality against the Snowball reference vocabularies --------------------------


@pytest.mark.parametrize(
    ("language", "stem", "minimum"),
    [("swedish", stem_swedish, SWEDISH_AGREEMENT), ("english", stem_english, ENGLISH_AGREEMENT)],
)
def test_stemmer_agrees_with_snowball_reference(
    shared_data: Path, language: str, stem: Callable[[str], str], minimum: float
) -> None:
    pairs = reference_pairs(shared_data, language)
    agreement = sum(stem(word) == expected for word, expected in pairs) / len(pairs)
    assert agreement >= minimum


# --- query text ----------------------------------------------------------------------------


def test_normalise_query_text() -> None:
    assert normalise_query_text("fa\u030agel") == "fågel"
    assert normalise_query_text("  klimat \t\n för\u00e4ndring\u00a0\u200b ") == "klimat förändring"
    assert normalise_query_text("") == ""


# --- decompounding on the KTH data ---------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "parts"),
    [
        ("cancerforskning", ["cancer", "forskning"]),
        ("forskningsprojekt", ["forskning", "projekt"]),
        ("klimatförändringar", ["klimat", "förändringar"]),
        ("materialforskning", ["material", "forskning"]),
        ("stamcellsterapi", ["stamcell", "terapi"]),
        # parts only the dictionary vouches for, or rarer than the compound (issue 19)
        ("bröstcancer", ["bröst", "cancer"]),
        ("testikelcancer", ["testikel", "cancer"]),
        ("prostatacancer", ["prostata", "cancer"]),  # was pro+tata+cancer
        ("cancerframkallande", ["cancer", "framkallande"]),
        ("stålplåtar", ["stål", "plåtar"]),
        ("gatubelysning", ["gata", "belysning"]),  # the linking u for a final a
    ],
)
def test_kth_compounds_split(kth_decompounder: Decompounder, word: str, parts: list[str]) -> None:
    assert kth_decompounder.split(word) == parts


def test_the_parts_of_a_part_are_indexed_too(kth_decompounder: Decompounder) -> None:
    assert kth_decompounder.split("ståltillverkningsslagg") == ["ståltillverkning", "slagg"]
    parts = expand_compounds("ståltillverkningsslagg", kth_decompounder).split()
    assert parts == ["ståltillverkning", "stål", "tillverkning", "slagg"]


def test_linked_part_stems_like_the_plural(kth_decompounder: Decompounder) -> None:
    first = kth_decompounder.split("stamcellsterapi")[0]
    assert swedish_term(first) == swedish_term("stamceller")
    expanded = terms(swedish_analyzer(), expand_compounds("stamcellsterapi", kth_decompounder))
    assert terms(swedish_analyzer(), "stamceller")[0] in expanded


@pytest.mark.parametrize(
    "word",
    [
        "forskning",
        "projekt",
        "projektet",
        "universitet",
        "undersöka",
        "samarbete",
        "hållbar",
        "användning",
        "området",
        "genombrott",
        "framsteg",
        "akademiska",
        "snabbare",
        "ansatserna",
        "långsamt",
        "kth",
        "barnen",
        "material",
        "andelen",
        "föreställa",
        "regleringen",
    ],
)
def test_ordinary_words_are_not_split(kth_decompounder: Decompounder, word: str) -> None:
    assert kth_decompounder.split(word) == []


def test_expand_compounds_and_query_word(kth_decompounder: Decompounder) -> None:
    text = "Ny cancerforskning och forskningsprojekt vid KTH"
    assert expand_compounds(text, kth_decompounder) == "cancer forskning forskning projekt"
    assert expand_compounds(None, kth_decompounder) == ""
    assert split_query_word("Cancerforskning", kth_decompounder) == ["cancer", "forskning"]
    assert split_query_word("klimatfo\u0308ra\u0308ndringar", kth_decompounder) == [
        "klimat",
        "förändringar",
    ]
    assert split_query_word("cancer forskning", kth_decompounder) == []


def test_decompounder_save_load_round_trip(
    kth_decompounder: Decompounder, swedish_texts: list[str], tmp_path: Path
) -> None:
    path = tmp_path / "decompound.json"
    kth_decompounder.save(path)
    loaded = Decompounder.load(path)
    assert loaded.counts == kth_decompounder.counts
    assert loaded.lexicon == kth_decompounder.lexicon
    words = sorted({w for text in swedish_texts[:400] for w in tokenise(text)})
    assert [loaded.split(w) for w in words] == [kth_decompounder.split(w) for w in words]
    assert not list(tmp_path.glob("*.tmp"))
    (tmp_path / "other.json").write_text('{"version": 99}', encoding="utf-8")
    with pytest.raises(ValueError, match="decompounder"):
        Decompounder.load(tmp_path / "other.json")


# --- decompounding rules on a small hand-made lexicon -------------------------------------


def small(**counts: int) -> Decompounder:
    return Decompounder(counts)


def test_fewest_parts_then_most_frequent() -> None:
    d = small(miljö=50, miljöteknik=5, teknik=40, tek=3, nik=3, forskning=30)
    assert d.split("miljöteknikforskning") == ["miljöteknik", "forskning"]
    assert d.split("miljöteknik") == ["miljö", "teknik"]  # 5 < 0.5 * 40: split


def test_frequent_whole_word_stays_whole() -> None:
    d = small(fors=10, kning=10, forskning=100, grund=10, grundforskning=2)
    assert d.split("forskning") == []
    assert d.split("grundforskning") == ["grund", "forskning"]


def test_linking_s_is_dropped_but_not_after_s() -> None:
    d = small(stamcell=2, stamcells=3, terapi=20, mas=9, mass=5, överföring=30)
    assert d.split("stamcellsterapi") == ["stamcell", "terapi"]
    assert d.split("massöverföring") == ["mass", "överföring"]
    assert d.split("terapis") == []  # no trailing linker


def test_the_dictionary_vouches_for_rare_parts_but_not_short_ones() -> None:
    table = {"bröst": "bröst", "brösten": "bröst", "gata": "gata", "gator": "gata", "fin": "fin"}
    words = Lexicon({k.encode(): v.encode() for k, v in table.items()})
    counts = {"cancer": 300, "bröstcancer": 40, "belysning": 20, "dings": 3}
    assert Decompounder(counts).split("bröstcancer") == []  # no "bröst" in the corpus
    d = Decompounder(counts, dictionary=words)
    assert d.split("bröstcancer") == ["bröst", "cancer"]  # whatever its count
    assert d.split("gatubelysning") == ["gata", "belysning"]
    assert d.split("findings") == []  # 3 letters: a corpus word or nothing


def test_min_freq_and_short_last_parts() -> None:
    d = small(snabb=20, are=50, fågel=1, sång=5)
    assert d.split("snabbare") == []  # "are" is never a part, and shorter than min_last
    assert d.split("fågelsång") == []  # "fågel" below min_freq
    with pytest.raises(ValueError, match="max_parts"):
        Decompounder({}, max_parts=1)
