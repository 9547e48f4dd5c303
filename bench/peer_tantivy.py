"""tantivy (PyPI ``tantivy`` 0.27, Rust) as a peer engine for the benchmarks.

Owns: ``TantivyPeer``: an index with our text fields analysed per language (Swedish: simple
tokenizer, lowercase, tantivy's Swedish stopwords, Snowball Swedish stemmer; English: the
same with a 40-character token limit and the English stopwords and stemmer, i.e. the built-in
``en_stem`` plus stopwords, as our English analyzer drops them), people, coordinator and funder
names with the ``default`` tokenizer, every facet as a fast ``raw`` text field (``f_*``; the
year as a fast integer), the total SEK as a fast float and the twin flag as an indexed integer.

A search is tantivy's query parser over the text fields (AND by default, our field boosts:
titles 8, abstracts 0.7, people 2; ``title:w`` becomes ``(title_sv:w OR title_en:w)``) under
a boolean query with the facet filters (term sets) and without twin copies; ``search()``
gives the total and the page (by score, or ``order_by_field`` amount, with an offset) and the
page's stored ids and titles are read. Facet counts are one ``Searcher.aggregate`` with a
terms aggregation per facet (a filtered facet again without its own filter); statistics are
a terms aggregation on year, nested terms on funder and a sum of the amount.

Where it differs from our engine: no compound splitting (tantivy's ``split_compound`` filter
needs a fixed word list) and no separate exact-word fields, so exact matches do not rank
first; phrases match stemmed words; statistics sum a project's total SEK under each of its
funding years and funders (ours follow each funding decision; the same when, as in the
generated corpus, a project has one funding). The writer uses tantivy's own threads.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import tantivy

from bench.mix import Case
from bench.peers import FACET_SIZE, FACETS, clauses, dir_size, facet_values

SV, EN = "sv_ours", "en_ours"
TEXT_FIELDS = {
    "title_sv": SV,
    "title_en": EN,
    "abstract_sv": SV,
    "abstract_en": EN,
    "person": "default",
    "org_name": "default",
    "funder_name": "default",
}
BOOSTS = {"title_sv": 8.0, "title_en": 8.0, "abstract_sv": 0.7, "abstract_en": 0.7, "person": 2.0}
USER_FIELDS = {"title": ("title_sv", "title_en"), "abstract": ("abstract_sv", "abstract_en")}
HEAP = 256_000_000


def _analyzer(language: str, long_limit: int | None = None) -> Any:
    builder = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
    if long_limit:
        builder = builder.filter(tantivy.Filter.remove_long(long_limit))
    return (
        builder.filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.stopword(language))
        .filter(tantivy.Filter.stemmer(language))
        .build()
    )


class TantivyPeer:
    name = "tantivy"

    def __init__(self, threads: int = 0) -> None:
        self.threads = threads  # 0: tantivy decides
        self.path: Path | None = None
        self.index: Any = None
        self.schema: Any = None

    def build(self, records: Iterable[dict[str, Any]], workdir: Path) -> None:
        self.path = workdir / "tantivy"
        shutil.rmtree(self.path, ignore_errors=True)
        self.path.mkdir(parents=True)
        sb = tantivy.SchemaBuilder()
        sb.add_text_field("id", stored=True, tokenizer_name="raw")
        for name, tokenizer in TEXT_FIELDS.items():
            sb.add_text_field(name, stored=name.startswith("title"), tokenizer_name=tokenizer)
        for facet in FACETS:
            if facet == "year":
                sb.add_integer_field("f_year", indexed=True, fast=True)
            else:
                sb.add_text_field(f"f_{facet}", fast=True, tokenizer_name="raw")
        sb.add_float_field("amount", fast=True)
        sb.add_integer_field("twin", indexed=True, fast=True)
        self.schema = sb.build()
        index = tantivy.Index(self.schema, path=str(self.path))
        index.register_tokenizer(SV, _analyzer("swedish"))
        index.register_tokenizer(EN, _analyzer("english", 40))
        writer = index.writer(heap_size=HEAP, num_threads=self.threads)
        for rec in records:
            doc = tantivy.Document()
            doc.add_text("id", rec["id"])
            for name in ("title_sv", "title_en", "abstract_sv", "abstract_en"):
                if rec[name]:
                    doc.add_text(name, rec[name])
            for name in rec["people"]:
                doc.add_text("person", name)
            doc.add_text("org_name", rec["org_name"])
            doc.add_text("funder_name", rec["funder_name"])
            for facet, values in facet_values(rec).items():
                for v in values:
                    if facet == "year":
                        doc.add_integer("f_year", int(v))
                    else:
                        doc.add_text(f"f_{facet}", v)
            doc.add_float("amount", float(rec["amount"]))
            doc.add_integer("twin", int(rec["twin"]))
            writer.add_document(doc)
        writer.commit()
        writer.wait_merging_threads()
        index.reload()
        self.index = index

    def size_bytes(self) -> int:
        return dir_size(self.path) if self.path else 0

    def ranked(self, q: str, k: int, any_word: bool = False) -> list[str]:
        """The ids of the ``k`` best matches by BM25 (every word required, or any of them):
        the relevance bench's run (``bench/relevance.py``)."""
        searcher = self.index.searcher()
        query = self._query(q, {}, conjunction=not any_word)
        return [searcher.doc(a).get_first("id") for _, a in searcher.search(query, limit=k).hits]

    def _query(
        self,
        q: str,
        filters: dict[str, tuple[str, ...]],
        skip: str | None = None,
        conjunction: bool = True,
    ) -> Any:
        parts = []
        for field, tokens in clauses(q):
            text = " ".join(tokens)
            term = f'"{text}"' if len(tokens) > 1 else text
            targets = USER_FIELDS.get(field or "")
            either = " OR ".join(f"{t}:{term}" for t in targets or ())
            parts.append(f"({either})" if targets else term)
        if parts:
            text_q = self.index.parse_query(
                " ".join(parts),
                default_field_names=list(TEXT_FIELDS),
                field_boosts=BOOSTS,
                conjunction_by_default=conjunction,
            )
        else:
            text_q = tantivy.Query.all_query()
        must = [(tantivy.Occur.Must, text_q)]
        for facet, values in filters.items():
            if facet != skip:
                vals: list[Any] = [int(v) for v in values] if facet == "year" else list(values)
                terms = tantivy.Query.term_set_query(self.schema, f"f_{facet}", vals)
                must.append((tantivy.Occur.Must, terms))
        twin = tantivy.Query.term_query(self.schema, "twin", 1)
        return tantivy.Query.boolean_query([*must, (tantivy.Occur.MustNot, twin)])

    def run(self, case: Case) -> int:
        searcher = self.index.searcher()
        query = self._query(case.q, case.filters)
        if case.stats_by:
            total = searcher.search(query, limit=1, count=True).count
            sek = {"sek": {"sum": {"field": "amount"}}}
            agg = {"terms": {"field": "f_funder", "size": 200}, "aggs": sek}
            searcher.aggregate(
                query, {"year": {"terms": {"field": "f_year", "size": 200}, "aggs": {"f": agg}}}
            )
            return int(total)
        offset = (case.page - 1) * case.size
        if case.sort == "amount_desc":
            result = searcher.search(
                query, limit=case.size, count=True, offset=offset, order_by_field="amount"
            )
        else:
            result = searcher.search(query, limit=case.size, count=True, offset=offset)
        for _, address in result.hits:
            doc = searcher.doc(address)
            doc.get_first("id"), doc.get_first("title_en") or doc.get_first("title_sv")
        terms = {f: {"terms": {"field": f"f_{f}", "size": FACET_SIZE}} for f in FACETS}
        counts = searcher.aggregate(query, terms)
        for facet in case.filters:  # multi-select: a facet's counts ignore its own filter
            alone = self._query(case.q, case.filters, skip=facet)
            counts[facet] = searcher.aggregate(alone, {facet: terms[facet]})[facet]
        return int(result.count)
