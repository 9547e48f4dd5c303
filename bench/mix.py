"""The fixed benchmark query mix, as data every engine runs: ours, SQLite FTS5 and tantivy.

Owns: ``Case`` (one query: its class, text in our syntax, facet filters, sort, page, size and
statistics dimensions), ``CLASSES``, ``build_mix(seed)`` and the translations into our
engine's request (``to_search_request``, ``run_ours``) and into a URL of the JSON API
(``to_query_string``, ``to_url``). ``python bench/mix.py [--seed 1]`` prints the mix.

The words come from the model :mod:`bench.corpus_model` learns from the real exports, which is
the vocabulary the generated corpus uses with the same frequencies, so a query's selectivity
is that of its word in real SweCRIS text. Document frequencies (share of projects whose title
or abstract uses the word) pick each class's words, deterministically by ``seed``:

* single word, sort by amount: 2-15% of projects; field query: in 0.5-5% of titles;
* broad query, deep page: the commonest non-stopwords (25% of projects or more);
* two words: two words typical of one SSIF area (``Lang.area_words``), so they co-occur;
* phrase: frequent adjacent pairs of non-stopwords; swedish compound: real compounds of two
  common parts ("klimatförändringar"), which our decompounder splits;
* filter-only browse: the largest funders; stats year x funder: mid-frequency words and none.
"""

from __future__ import annotations

import argparse
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(REPO))

from bench.corpus_model import Lang, Model, model  # noqa: E402
from indexer.analysis.compounds import NON_PARTS  # noqa: E402
from indexer.analysis.words import ENGLISH_STOPWORDS, SWEDISH_STOPWORDS  # noqa: E402
from indexer.documents.projects import org_key  # noqa: E402
from indexer.service.request import SearchRequest  # noqa: E402

CLASSES = (
    "single word",
    "two words",
    "phrase",
    "field query",
    "swedish compound",
    "filter-only browse",
    "broad query, all facets",
    "sort by amount",
    "deep page",
    "stats year x funder",
)
STOP = SWEDISH_STOPWORDS | ENGLISH_STOPWORDS


@dataclass(frozen=True)
class Case:
    """One query of the mix. ``filters``: facet name (``indexer.engine.schema.FACET_FIELDS``) ->
    values; ``sort``: one of ``indexer.service.request.SORTS``; ``stats_by``: statistics dimensions
    (then the case is a statistics request, not a search)."""

    name: str
    cls: str
    q: str = ""
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    sort: str = "relevance"
    page: int = 1
    size: int = 20
    stats_by: tuple[str, ...] = ()


def _usable(word: str) -> bool:
    return word.isalpha() and word.islower() and len(word) >= 4 and word not in STOP


def _band(lang: Lang, low: float, high: float, counts: Any = None) -> list[str]:
    """Words used by ``low``..``high`` of the projects (commonest first)."""
    counts = counts if counts is not None else lang.df
    return [
        w
        for w, c in counts.most_common()
        if low * lang.docs <= c <= high * lang.docs and _usable(w)
    ]


def _pick(rng: random.Random, pools: list[list[str]], k: int) -> list[str]:
    """``k`` distinct items drawn at random, taking from each pool in turn."""
    pools = [list(p) for p in pools]
    for p in pools:
        rng.shuffle(p)
    out: list[str] = []
    while len(out) < k and any(pools):
        for p in pools:
            while p and len(out) < k:
                item = p.pop()
                if item not in out:
                    out.append(item)
                    break
    return out


def build_mix(seed: int = 1, per_class: int = 8, m: Model | None = None) -> list[Case]:
    """The query mix: ``per_class`` cases of every class, from the learned vocabulary."""
    m = m or model()
    rng = random.Random(seed)
    langs = (m.sv, m.en)
    singles = _pick(rng, [_band(lang, 0.02, 0.15) for lang in langs], 2 * per_class)
    broad = _pick(rng, [_band(lang, 0.25, 1.0)[:per_class] for lang in langs], per_class)
    titles = _pick(rng, [_band(lang, 0.005, 0.05, lang.title_df) for lang in langs], per_class)
    pairs = []
    for lang in langs:
        for words in lang.area_words.values():
            good = [w for w in words if _usable(w)]
            pairs += [f"{a} {b}" for a, b in zip(good[::2], good[1::2], strict=False)][:4]
    phrases = [
        f'"{a} {b}"'
        for lang in langs
        for (a, b), c in lang.bigrams.most_common(60)
        if _usable(a) and _usable(b)
    ]
    compounds = [
        w
        for w, head, tail in m.sv.compounds
        if m.sv.df[w] >= 0.003 * m.sv.docs and _usable(w) and _usable(tail)
        if len(head) >= 5 and not {head, head.rstrip("s"), tail} & NON_PARTS
    ][:40]
    funders = [k for f in m.funders.items if (k := org_key(f))][:per_class]
    stats_words = [""] + singles[: per_class - 1]
    by_amount = singles[per_class:]
    cases = [
        *(Case(f"single {w}", "single word", w) for w in singles[:per_class]),
        *(Case(f"two {q}", "two words", q) for q in _pick(rng, [pairs], per_class)),
        *(Case(f"phrase {q}", "phrase", q) for q in _pick(rng, [phrases], per_class)),
        *(Case(f"title {w}", "field query", f"title:{w}") for w in titles),
        *(Case(f"compound {w}", "swedish compound", w) for w in _pick(rng, [compounds], per_class)),
        *(Case(f"browse {f}", "filter-only browse", filters={"funder": (f,)}) for f in funders),
        *(Case(f"broad {w}", "broad query, all facets", w) for w in broad),
        *(Case(f"amount {w}", "sort by amount", w, sort="amount_desc") for w in by_amount),
        *(Case(f"deep {w}", "deep page", w, page=50) for w in broad),
        *(
            Case(f"stats {w or '(all)'}", "stats year x funder", w, stats_by=("year", "funder"))
            for w in stats_words
        ),
    ]  # fmt: skip
    return cases


def to_search_request(case: Case) -> Any:
    """Our engine's request for ``case`` (for a statistics case, pass ``case.stats_by`` too)."""
    return SearchRequest(
        q=case.q, filters=dict(case.filters), sort=case.sort, page=case.page, size=case.size
    )


def run_ours(service: Any, case: Case) -> int:
    """Run ``case`` on an ``indexer.service.search.SearchService``: the total hits (or projects)."""
    req = to_search_request(case)
    if case.stats_by:
        return int(service.stats(req, case.stats_by).total_projects)
    return int(service.search(req).total)


def to_query_string(case: Case) -> str:
    """The query string (without ``?``) of ``case`` for ``to_url``'s path."""
    pairs: list[tuple[str, str]] = [("q", case.q)] if case.q else []
    if not case.stats_by:
        pairs += [("page", str(case.page)), ("size", str(case.size)), ("sort", case.sort)]
    pairs += [(name, v) for name, values in case.filters.items() for v in values]
    pairs += [("by", d) for d in case.stats_by]
    return urlencode(pairs)


def to_url(case: Case) -> str:
    """``/api/v1/search?...``, or ``/api/v1/stats?...`` for a statistics case."""
    path = "/api/v1/stats" if case.stats_by else "/api/v1/search"
    return f"{path}?{to_query_string(case)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--per-class", type=int, default=8)
    args = parser.parse_args()
    for case in build_mix(args.seed, args.per_class):
        print(f"{case.cls:<24} {to_url(case)}")


if __name__ == "__main__":
    main()
