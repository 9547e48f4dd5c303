"""A query word's translations, as alternatives the query rewriter adds (issue 19, build 4).

Owns ``translated``: given an index version's ``Translations``, the word's renderings in the
other language as Whoosh queries over that language's title and abstract, at
``TRANSLATION_WEIGHT`` times how sure the table is, each with the words to show ("also
searched: hydrogen"). ``indexer.engine.query`` calls it for plain words only (not for quoted
ones, what NOT excludes, or names).
"""

from __future__ import annotations

from whoosh import query as Q

from indexer.analysis.compounds import Decompounder, split_query_word
from indexer.analysis.languages import term as language_term
from indexer.analysis.translations import Sense, Translations
from indexer.engine.schema import COMPOUND_BOOST, DEFAULT_FIELDS

__all__ = ["TRANSLATION_WEIGHT", "translated"]

# A translation weighs half the word typed (times the table's certainty), so projects that
# hold the words typed keep the lead; one made of a compound's parts weighs as parts do.
TRANSLATION_WEIGHT = 0.5
_ENGLISH_TARGETS = {f: DEFAULT_FIELDS[f] for f in ("title_en", "abstract_en")}
_SWEDISH_TARGETS = {f: DEFAULT_FIELDS[f] for f in ("title_sv", "abstract_sv")}


def translated(
    node: Q.Term, translations: Translations, dc: Decompounder | None
) -> list[tuple[Q.Query, tuple[str, str]]]:
    """``node``'s word as its translations, each with (its words, their language): a Swedish
    word's English renderings in the English fields, an English word's Swedish ones in the
    Swedish fields (a word is tried as either language: queries do not say which). A Swedish
    compound the table lacks is rendered part by part when a part has a translation
    ("cancerforskning": "cancer research"). A sense of two terms needs both."""
    word = str(node.text)
    senses: list[tuple[str, Sense]] = []
    for lang in ("sv", "en"):
        source = language_term(lang, word)
        if source is not None:
            senses.extend((lang, sense) for sense in translations.of(lang, source))
    if not senses and dc is not None:
        whole = _by_parts(word, dc, translations)
        senses = [("sv", whole)] if whole else []
    found: list[tuple[Q.Query, tuple[str, str]]] = []
    for lang, sense in senses:
        fields = {
            f: b
            for f, b in (_ENGLISH_TARGETS if lang == "sv" else _SWEDISH_TARGETS).items()
            if node.fieldname == "text" or f.startswith(node.fieldname)  # title:, abstract:
        }
        weight = TRANSLATION_WEIGHT * sense.weight * node.boost
        needs = [
            Q.Or([Q.Term(f, t, boost=b * weight) for f, b in fields.items()]) for t in sense.terms
        ]
        shown = (" ".join(sense.words), "en" if lang == "sv" else "sv")
        found.append((needs[0] if len(needs) == 1 else Q.And(needs), shown))
    return found


def _by_parts(word: str, dc: Decompounder, translations: Translations) -> Sense | None:
    """A Swedish compound's English rendering made of its parts', when each part has a
    translation or is written the same in English ("cancer") and at least one is translated."""
    terms: list[str] = []
    words: list[str] = []
    weight, translated_parts = COMPOUND_BOOST, 0
    for part in split_query_word(word, dc):
        source = language_term("sv", part)
        sense = next(iter(translations.of("sv", source)), None) if source else None
        if sense is not None:
            terms.extend(sense.terms)
            words.extend(sense.words)
            weight *= sense.weight
            translated_parts += 1
        elif source and (same := translations.same_word("sv", source)):
            terms.append(source)
            words.append(same)
        else:
            return None  # a part with no known rendering: no rendering of the whole
    if not translated_parts or len(terms) < 2:
        return None
    return Sense(tuple(terms), tuple(words), weight)
