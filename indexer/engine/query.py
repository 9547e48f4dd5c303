"""The query language: user text -> a Whoosh query over the real, per-language fields.

Syntax (documented in the README): words are ANDed; ``OR``, ``NOT`` and a leading ``-``;
``"exact phrases"``; ``(groups)``; ``field:word`` for title, abstract, person, org, funder,
orcid and id; ``word*`` with at least three letters before the ``*`` (at most four wildcards
in a query: each stands for the index words it matches, ranked as those words; without a
field, in titles and abstracts, not in names); ``word^2`` boosts. Stop words
(``STOP_WORDS``) leave a query that has other words to search for, unless quoted, negated or
typed in capitals ("IT", "WHO"); ``loosened`` gives a plain query's any-word form, which the
search service ranks after the full matches when these are few.

Two steps. Whoosh's parser reads the text against a small *parse schema* whose fields are the
names users type (no stemming), which gives a tree of plain terms and phrases. ``rewrite`` then
replaces each leaf by what it means in the index: every target field with that field's own
analysis (Swedish lemmas for ``*_sv``, English stems for ``*_en``, exact for ``*_exact``), plus
the parts of a Swedish compound, plus (given an index version's ``Translations``) the word's
translations into the other language at a lower weight, which ``parse_query`` reports so the
page can say "also searched: hydrogen". Anything the parser could make that we do not allow
(ranges, ``*`` alone, leading wildcards, unknown fields) becomes ``InvalidQuery`` with a message
meant for the person who typed it. Filters never pass through here: they are structured values.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from functools import lru_cache

from whoosh import qparser
from whoosh import query as Q
from whoosh.analysis import LowercaseFilter, RegexTokenizer
from whoosh.fields import KEYWORD, TEXT, Schema

from indexer.analysis.compounds import Decompounder, split_query_word
from indexer.analysis.tokens import QUERY_WORD
from indexer.analysis.translations import Translations
from indexer.analysis.words import ENGLISH_STOPWORDS, SWEDISH_STOPWORDS, normalise_query_text
from indexer.engine.analyzers import english_analyzer, exact_analyzer, swedish_analyzer
from indexer.engine.andnot import AndNot
from indexer.engine.expansion import translated
from indexer.engine.schema import (
    COMPOUND_BOOST,
    DEFAULT_FIELDS,
    ENGLISH_FIELDS,
    KEYWORD_FIELDS,
    SWEDISH_FIELDS,
    USER_FIELDS,
)
from indexer.errors import InvalidQuery

MAX_QUERY_CHARS = 1000
MAX_LEAVES = 64
MAX_WILDCARDS = 4  # each expands to thousands of index terms: ~0.3 s apiece on 6,500 projects
MAX_DEPTH = 16
MAX_SUGGEST_WORDS = 5  # "did you mean" only for short queries (see plain_words)
MAX_SUGGEST_CHARS = 40
MIN_WILDCARD_PREFIX = 3
# Stop words of either language leave a query that has other words; these stop words of one
# language are words of substance in the other ("men", "era", "DEM", Ni; "by" is a village)
_BOTH_WAYS = {"man", "men", "era", "sin", "dem", "din", "min", "ni", "er", "hans", "sedan"}
_BOTH_WAYS |= {"vid", "mot", "by", "most", "do", "under"}
STOP_WORDS = frozenset((SWEDISH_STOPWORDS | ENGLISH_STOPWORDS) - _BOTH_WAYS)
_WORD_FIELDS = ("text", "title", "abstract")  # where a word is text, not a name or a code
_OPERATORS = ("AND", "OR", "NOT", "ANDNOT", "ANDMAYBE")
_EXPLICIT = re.compile(r'["():*?^]|(^|\s)[+-]\S|\b(' + "|".join(_OPERATORS) + r")\b")

_FIELD_SYNTAX = re.compile(r"(?<![\w\"])([A-Za-zåäöÅÄÖ_][\w]*):(?=\S)")
_MINUS = re.compile(r"(^|[\s(])-(?=[^\s-])")
_PLUS = re.compile(r"(^|[\s(])\+(?=\S)")
_WORD = QUERY_WORD  # a word as users mean it ("covid-19" whole): indexer.analysis.tokens

_SV = swedish_analyzer()
_EN = english_analyzer()
_EXACT = exact_analyzer()
_PHRASE_FIELDS = ("title_exact", "text_exact", "person", "org", "funder_name")
_EXACT_FIELDS = (*_PHRASE_FIELDS, *KEYWORD_FIELDS)  # unstemmed: where a wildcard can look
_WILDCARD_TEXT = ("title_exact", "text_exact")
# Fields indexed with positions (the schema's phrase=True): multi-token words become phrases.
_POSITIONAL = (*_PHRASE_FIELDS, "title_sv", "title_en")


def _parse_schema() -> Schema:
    words = RegexTokenizer(_WORD) | LowercaseFilter()
    fields = {"text": TEXT(analyzer=words, phrase=True)}
    for name in USER_FIELDS:
        targets = USER_FIELDS[name]
        if all(t in KEYWORD_FIELDS for t in targets):
            fields[name] = KEYWORD(lowercase=True)
        else:
            fields[name] = TEXT(analyzer=words, phrase=True)
    return Schema(**fields)


def _make_parser() -> qparser.QueryParser:
    parser = qparser.QueryParser("text", _parse_schema(), group=qparser.AndGroup)
    parser.remove_plugin_class(qparser.EveryPlugin)
    parser.remove_plugin_class(qparser.RangePlugin)
    return parser


_PARSER = _make_parser()


def preprocess(text: str) -> str:
    """NFC and spacing; ``-word`` and ``+word`` outside quotes become ``NOT word`` / ``word``."""
    text = normalise_query_text(text)
    if len(text) > MAX_QUERY_CHARS:
        raise InvalidQuery(
            f"The query is {len(text)} characters long; at most {MAX_QUERY_CHARS} are allowed."
        )
    parts = text.split('"')
    for i in range(0, len(parts), 2):  # outside quotes only
        tail = '"' if i + 1 < len(parts) else ""  # so that `field:"a phrase"` is seen too
        part = parts[i] + tail
        for m in _FIELD_SYNTAX.finditer(part):
            name = m.group(1).lower()
            if name not in USER_FIELDS:
                known = ", ".join(f"{f}:" for f in USER_FIELDS)
                raise InvalidQuery(f"Unknown field '{m.group(1)}:'. You can search in {known}.")
        part = _FIELD_SYNTAX.sub(lambda mm: mm.group(1).lower() + ":", part)
        parts[i] = part[: len(part) - len(tail)]
        parts[i] = _MINUS.sub(r"\1NOT ", parts[i])
        parts[i] = _PLUS.sub(r"\1", parts[i])
    return '"'.join(parts)


@dataclass(frozen=True)
class Parsed:
    """A query for the index (None: browse everything) and the translations of its words
    it also searches for, as (words to show, their language): ("hydrogen", "en")."""

    query: Q.Query | None
    also_searched: tuple[tuple[str, str], ...] = ()


@dataclass
class _Context:
    dc: Decompounder | None
    translations: Translations | None
    quoted: frozenset[str] = frozenset()  # words in quotes: not translated
    leaves: int = 0
    wildcards: int = 0
    also: dict[tuple[str, str], None] = dataclasses.field(default_factory=dict)  # ordered, once


def parse(
    text: str,
    decompounder: Decompounder | None = None,
    translations: Translations | None = None,
) -> Q.Query | None:
    """The index query for ``text``; None for an empty query (browse everything)."""
    return parse_query(text, decompounder, translations).query


def parse_query(
    text: str,
    decompounder: Decompounder | None = None,
    translations: Translations | None = None,
) -> Parsed:
    """``text`` as a query, with its words' translations (``translations``: an index
    version's table; None: search only the words typed)."""
    cleaned = preprocess(text)
    if not cleaned.strip():
        return Parsed(None)
    try:
        tree = _PARSER.parse(cleaned)
    except Exception as exc:  # whoosh raises bare Exceptions for odd syntax
        raise InvalidQuery(f"The query could not be read: {exc}") from exc
    ctx = _Context(decompounder, translations, _quoted(cleaned))
    result = _rewrite(tree, ctx, 0, _stops(tree, cleaned))
    if result is None:
        raise InvalidQuery(
            "The query has no words to search for (only very common words like 'och' or 'the'?)."
        )
    return Parsed(result, tuple(ctx.also))


def _stops(tree: Q.Query, text: str) -> frozenset[str]:
    """The stop words to leave out of ``tree`` (read from ``text``): all of them when it has
    another word, a phrase or a name to search for among what it asks for (not what it
    excludes), but never one the text quotes ('"för" klimat') or writes in capitals ("IT
    säkerhet", "WHO"); none when they are all there is ("och", "the who")."""
    for leaf in _wanted(tree):
        plain = isinstance(leaf, Q.Term) and leaf.fieldname in _WORD_FIELDS
        if not plain or str(leaf.text).lower() not in STOP_WORDS:
            break
    else:
        return frozenset()
    meant = set(_quoted(text))
    meant |= {w.lower() for w in re.findall(r"\b[A-ZÅÄÖ]{2,}\b", text) if w not in _OPERATORS}
    return STOP_WORDS - meant


def _quoted(text: str) -> frozenset[str]:
    """The words ``text`` writes inside quotes, lowercased: meant as typed."""
    return frozenset(w.lower() for w in re.findall(_WORD, " ".join(text.split('"')[1::2])))


def _wanted(node: Q.Query) -> list[Q.Query]:
    """The leaves of ``node`` a match must or may hold (not those under NOT)."""
    if isinstance(node, Q.Not):
        return []
    if isinstance(node, Q.AndNot):
        return _wanted(node.a)
    if isinstance(node, Q.AndMaybe | Q.And | Q.Or):
        return [leaf for child in node.children() for leaf in _wanted(child)]
    return [node]


def loosened(text: str, query: Q.Query | None) -> Q.Query | None:
    """``query`` with any of its words enough, when ``text`` is plain words (no operator,
    quote, bracket, field, wildcard or +/-: explicit syntax means what it says) and more than
    one of them is left to search for; else None."""
    if query is None or _EXPLICIT.search(text) or not isinstance(query, Q.And):
        return None
    return Q.Or(query.subqueries, boost=query.boost) if len(query.subqueries) > 1 else None


def _rewrite(
    node: Q.Query,
    ctx: _Context,
    depth: int,
    stops: frozenset[str] = frozenset(),
) -> Q.Query | None:
    if depth > MAX_DEPTH:
        raise InvalidQuery(f"The query nests brackets more than {MAX_DEPTH} levels deep.")
    if node is Q.NullQuery:
        return None
    if isinstance(node, Q.Every):
        raise InvalidQuery("A lone * would match everything: leave the box empty to browse.")
    if isinstance(node, Q.Not):  # what a query excludes is excluded word for word
        inner = _excluded(node.query, ctx, depth + 1)
        return Q.Not(inner) if inner is not None else None
    if isinstance(node, Q.AndNot):
        pos = _rewrite(node.a, ctx, depth + 1, stops)
        neg = _excluded(node.b, ctx, depth + 1)
        if pos is None:
            return None
        return AndNot(pos, neg) if neg is not None else pos
    if isinstance(node, Q.AndMaybe):
        must = _rewrite(node.a, ctx, depth + 1, stops)
        may = _rewrite(node.b, ctx, depth + 1, stops)
        if must is None:
            return may
        return Q.AndMaybe(must, may) if may is not None else must
    if isinstance(node, Q.And | Q.Or):
        rewritten = (_rewrite(c, ctx, depth + 1, stops) for c in node.subqueries)
        kids = [k for k in rewritten if k]
        if not kids:
            return None
        if len(kids) == 1:
            return kids[0]
        return type(node)(kids, boost=node.boost)
    ctx.leaves += 1
    if ctx.leaves > MAX_LEAVES:
        raise InvalidQuery(f"The query has more than {MAX_LEAVES} terms; please shorten it.")
    if isinstance(node, Q.Phrase):
        return _phrase(node)
    if isinstance(node, Q.Wildcard | Q.Prefix):
        ctx.wildcards += 1
        if ctx.wildcards > MAX_WILDCARDS:
            raise InvalidQuery(
                f"The query has more than {MAX_WILDCARDS} wildcards (word*); please use fewer."
            )
        return _wildcard(node)
    if isinstance(node, Q.Term):
        if node.fieldname in _WORD_FIELDS and str(node.text).lower() in stops:
            return None  # a stop word beside other words: it neither matches nor lights up
        return _term(node, ctx)
    raise InvalidQuery(f"This kind of query is not supported: {node}")


def _excluded(node: Q.Query, ctx: _Context, depth: int) -> Q.Query | None:
    """What a query excludes, word for word: no stop word dropped, no translation added."""
    saved, ctx.translations = ctx.translations, None
    try:
        return _rewrite(node, ctx, depth)
    finally:
        ctx.translations = saved


def _targets(field: str) -> dict[str, float]:
    if field == "text":
        return DEFAULT_FIELDS
    return {f: 1.0 for f in USER_FIELDS[field]}


@lru_cache(maxsize=8192)
def analysed(field: str, word: str) -> tuple[str, ...]:
    """``word`` as ``field`` indexes it (stemmed, stopped, lowercased or kept whole)."""
    if field in KEYWORD_FIELDS:
        return (word.lower(),)
    analyzer = _SV if field in SWEDISH_FIELDS else _EN if field in ENGLISH_FIELDS else _EXACT
    return tuple(t.text for t in analyzer(word))


def _term(node: Q.Term, ctx: _Context) -> Q.Query | None:
    word = str(node.text)
    alternatives: list[Q.Query] = []
    for field, boost in _targets(node.fieldname).items():
        tokens = analysed(field, word)
        if not tokens:
            continue
        b = boost * node.boost
        if len(tokens) == 1:
            alternatives.append(Q.Term(field, tokens[0], boost=b))
        elif field in _POSITIONAL:
            alternatives.append(Q.Phrase(field, list(tokens), boost=b))
        else:
            alternatives.append(Q.And([Q.Term(field, t) for t in tokens], boost=b))
    if ctx.dc is not None and node.fieldname in _WORD_FIELDS:
        parts = split_query_word(word, ctx.dc)
        stems = [analysed("title_sv", p) for p in parts]
        if parts and all(stems):
            # every part somewhere in the Swedish title or abstract ("cancer" ... "forskning")
            alternatives.append(
                Q.And(
                    [Q.Or([Q.Term(f, s[0]) for f in ("title_sv", "abstract_sv")]) for s in stems],
                    boost=COMPOUND_BOOST * node.boost,
                )
            )
    if ctx.translations and node.fieldname in _WORD_FIELDS and word.lower() not in ctx.quoted:
        for alternative, shown in translated(node, ctx.translations, ctx.dc):
            alternatives.append(alternative)
            ctx.also.setdefault(shown)
    if not alternatives:
        return None
    return alternatives[0] if len(alternatives) == 1 else Q.Or(alternatives)


def _phrase(node: Q.Phrase) -> Q.Query | None:
    targets = [f for f in _targets(node.fieldname) if f in _PHRASE_FIELDS]
    if not targets:
        targets = list(USER_FIELDS.get(node.fieldname, ()))
    alternatives: list[Q.Query] = []
    for field in targets:
        tokens = [t for w in node.words for t in analysed(field, str(w))]
        if not tokens:
            continue
        boost = DEFAULT_FIELDS.get(field, 1.0) * node.boost
        if len(tokens) == 1:
            alternatives.append(Q.Term(field, tokens[0], boost=boost))
        else:
            alternatives.append(Q.Phrase(field, tokens, slop=1, boost=boost))
    if not alternatives:
        return None
    return alternatives[0] if len(alternatives) == 1 else Q.Or(alternatives)


def _wildcard(node: Q.Wildcard | Q.Prefix) -> Q.Query:
    pattern = str(node.text) + ("*" if isinstance(node, Q.Prefix) else "")
    literal = re.match(r"[^*?]*", pattern)
    head = literal.group(0) if literal else ""
    if len(head) < MIN_WILDCARD_PREFIX:
        raise InvalidQuery(
            f"Wildcards need at least {MIN_WILDCARD_PREFIX} letters before the first * or ? "
            f"('{pattern}' would scan the whole vocabulary)."
        )
    if node.fieldname == "text":  # a word's unstemmed fields, not people's or bodies' names
        targets = {f: b for f, b in DEFAULT_FIELDS.items() if f in _WILDCARD_TEXT}
    else:
        targets = {f: 1.0 for f in _targets(node.fieldname) if f in _EXACT_FIELDS}
    subs: list[Q.Query] = []
    for field, boost in targets.items():
        if pattern.endswith("*") and not any(c in pattern[:-1] for c in "*?"):
            subs.append(Q.Prefix(field, pattern[:-1].lower(), boost=boost * node.boost))
        else:
            subs.append(Q.Wildcard(field, pattern.lower(), boost=boost * node.boost))
    return subs[0] if len(subs) == 1 else Q.Or(subs)


def plain_words(text: str) -> list[str]:
    """The ordinary words of a query (outside phrases, no operators), for "did you mean".

    Empty when the words are more than ``MAX_SUGGEST_WORDS`` or longer than
    ``MAX_SUGGEST_CHARS`` together: correcting a word scans the index vocabulary (~0.2 s per
    unknown word on 6,500 projects), so a long query gets no suggestion rather than a slow page.
    """
    outside = " ".join(preprocess(text).split('"')[0::2])
    outside = re.sub(r"\w+:", " ", outside)
    words = [w for w in re.findall(_WORD, outside) if w not in _OPERATORS and not w.isdigit()]
    if len(words) > MAX_SUGGEST_WORDS or sum(map(len, words)) > MAX_SUGGEST_CHARS:
        return []
    return words
