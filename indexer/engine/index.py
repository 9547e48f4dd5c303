"""An opened index version and a thread's reading view of it: the engine's door for readers.

Owns ``Index`` (one version on disk, opened read-only: its document count, its segments, every
live document's stored fields in one pass, new reading views) and ``Snapshot`` (what a
request asks of it: a query's matches, ranked or not, and the best of them within any set of
documents; a document's number and stored fields; the terms a query stands for, to highlight;
whether a word is in the index and the nearest one that is, by ``spelling``; the documents
most like one). The
service, the builder's checks and the benchmarks go through these; nothing outside the engine
touches a Whoosh searcher or reader.

A version is opened with the schema of this code when it was built with this code's schema
version, so the analysis functions Whoosh pickled into it (by their import path at build
time) are never unpickled: moving them does not strand a version. A version of another schema
version is opened with its own pickled schema (the next build rebuilds it in full); one whose
pickled names no longer import then fails to open, as a damaged one does.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from collections.abc import Set as AbstractSet
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.query import Term

from indexer.engine.ranked import Ranked, Tiered, TopRanked
from indexer.engine.schema import SCHEMA_VERSION, build_schema
from indexer.engine.spelling import Vocabulary
from indexer.engine.storage import open_index
from indexer.engine.top import matches, rank
from indexer.engine.wildcards import expand_wildcards


class Snapshot:
    """A reading view of one version for one thread at a time (close it when done)."""

    def __init__(self, searcher: Any, vocabulary: Vocabulary) -> None:
        self._searcher = searcher
        self._vocabulary = vocabulary

    # -- matching and ranking -------------------------------------------------------------

    def matches(self, query: Any) -> Ranked | TopRanked:
        """Every document ``query`` matches, ranked only where that costs nothing more."""
        return matches(self._searcher, expand_wildcards(query, self._searcher.reader()))

    def rank(self, query: Any) -> Ranked | TopRanked:
        """``query``'s matches, the best first (all of them, or the first part exactly);
        a wildcard ranks as the words it stands for (``indexer.engine.wildcards``)."""
        return rank(self._searcher, expand_wildcards(query, self._searcher.reader()))

    def best_within(
        self, found: Ranked | TopRanked | Tiered, within: AbstractSet[int], limit: int
    ) -> list[tuple[int, float]]:
        """The first ``limit`` of ``found``'s matches that are in ``within``, in relevance
        order, with their scores (ranking the rest of the matches if the best are not enough)."""
        return found.ordered_within(within, limit, self._searcher)

    def count(self, field: str, text: str, limit: int = 1) -> int:
        """Documents holding the indexed term ``text`` in ``field`` (at most ``limit``)."""
        return len(self._searcher.search(Term(field, text), limit=limit))

    # -- documents -------------------------------------------------------------------------

    def document_number(self, uid: str) -> int | None:
        """The live document whose unique ``uid`` field is ``uid``, or None."""
        found: int | None = self._searcher.document_number(uid=uid)
        return found

    def stored(self, docnum: int) -> dict[str, Any]:
        """The stored fields of a document."""
        fields: dict[str, Any] = self._searcher.stored_fields(docnum)
        return fields

    def similar(
        self, docnum: int, field: str, text: str, top: int, terms: int, within: AbstractSet[int]
    ) -> Iterator[tuple[int, str]]:
        """(document, uid) of the ``top`` documents in ``within`` most like ``text`` by the
        ``terms`` most significant words of it in ``field``, best first."""
        for hit in self._searcher.more_like(
            docnum, field, text=text, top=top, numterms=terms, filter=set(within)
        ):
            yield hit.docnum, hit["uid"]

    # -- terms -----------------------------------------------------------------------------

    def query_terms(self, query: Any) -> dict[str, set[str]]:
        """Field -> the indexed terms ``query`` stands for (prefixes and wildcards expanded
        to the terms the index holds): what a hit's text is highlighted against."""
        terms: dict[str, set[str]] = {}
        expanded = query.existing_terms(self._searcher.reader(), expand=True)
        for fname, text in {*query.all_terms(), *expanded}:
            value = text.decode("utf-8") if isinstance(text, bytes) else str(text)
            terms.setdefault(fname, set()).add(value)
        return terms

    def has_term(self, fields: tuple[str, ...], word: str) -> bool:
        """Whether ``word`` is an indexed term of any of ``fields``."""
        reader = self._searcher.reader()
        return any(reader.doc_frequency(f, word) for f in fields)

    def nearest_term(self, field: str, word: str, distance: int = 2) -> str | None:
        """The indexed term of ``field`` nearest to ``word`` (at most ``distance`` edits, the
        first letter kept), or None."""
        return self._vocabulary.nearest(self._searcher.reader(), field, word, distance)

    def close(self) -> None:
        self._searcher.close()

    def __enter__(self) -> Snapshot:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Index:
    """One index version, opened for reading."""

    def __init__(self, ix: Any) -> None:
        self._ix = ix
        self._vocabulary = Vocabulary()  # for nearest_term, shared by the version's snapshots

    @property
    def schema(self) -> Any:
        """The version's schema (opaque outside the engine: snippets and builders take it)."""
        return self._ix.schema

    def snapshot(self) -> Snapshot:
        return Snapshot(self._ix.searcher(), self._vocabulary)

    def doc_count(self) -> int:
        """Live documents."""
        return int(self._ix.doc_count())

    def segment_count(self) -> int:
        return len(self._ix._segments())

    @contextmanager
    def stored_documents(self) -> Iterator[tuple[int, Iterator[tuple[int, dict[str, Any]]]]]:
        """For a ``with`` block: (document numbers in all, (document, stored fields) of every
        live document in order): one pass over the stored fields, as a version's document
        table is made; the reader is closed when the block ends."""
        with self._ix.reader() as reader:
            yield int(reader.doc_count_all()), reader.iter_docs()

    def last_documents(self, n: int) -> list[dict[str, Any]]:
        """The stored fields of the last ``n`` document numbers that are live (the newest
        segment's: reading a segment's stored fields loads its whole column)."""
        with self._ix.reader() as reader:
            total = reader.doc_count_all()
            return [
                reader.stored_fields(d)
                for d in range(max(0, total - n), total)
                if not reader.is_deleted(d)
            ]

    def close(self) -> None:
        self._ix.close()

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_version(path: str | os.PathLike[str] | Path, schema_version: str | None) -> Index:
    """Open the index version in ``path``, built with schema version ``schema_version`` (the
    manifest's; None when unknown)."""
    schema = build_schema() if schema_version == SCHEMA_VERSION else None
    return Index(open_index(path, schema))


def create_version(path: str | os.PathLike[str] | Path) -> Index:
    """An empty index of this code's schema in the existing, empty directory ``path``."""
    return Index(whoosh_index.create_in(str(path), build_schema()))
