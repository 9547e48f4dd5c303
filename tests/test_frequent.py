"""Frequent terms' postings (``indexer.engine.frequent``): written with each segment, the same
lists as Whoosh's blocks, and the same scores and order as Whoosh's own search.

Two small real indexes of the first KTH export part, one whose segments keep the terms in 2 %
of their documents as arrays (many terms, so that every query below meets some), one without
(every term decoded from the blocks, as a segment written by Whoosh would be read).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from whoosh import index as whoosh_index
from whoosh import query as Q
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.filedb.filestore import RamStorage

from indexer.analysis.compounds import Decompounder
from indexer.building.build import COMPOUNDS_FILE
from indexer.building.versions import IndexLocation
from indexer.engine import frequent
from indexer.engine.query import parse
from indexer.engine.scoring import _Segment, fast_rank, fast_scores
from webapp.cli import main

QUERIES = (
    "energi",
    "research",
    "forskning och utveckling",
    "machine learning",
    "klimat OR energi",
    "title:energi",
    "cancerforskning",
    '"machine learning"',
    "funder:vinnova",
    "org:kth",
)


def _build(base: Path, kth_export: Path, share: float, floor: int) -> Path:
    home = base / f"home-{floor}"
    saved = frequent.SHARE, frequent.FLOOR
    frequent.SHARE, frequent.FLOOR = share, floor
    try:
        assert main(["--home", str(home), "import", "swecris", str(kth_export), "--quiet"]) == 0
        assert main(["--home", str(home), "index", "--procs", "1", "--quiet"]) == 0
    finally:
        frequent.SHARE, frequent.FLOOR = saved
    path = IndexLocation(home / "index").current_path()
    assert path is not None
    return path


@pytest.fixture(scope="module")
def versions(tmp_path_factory: pytest.TempPathFactory, kth_exports: list[Path]) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("frequent")
    return {
        "with": _build(base, kth_exports[0], 0.02, 16),
        "without": _build(base, kth_exports[0], 1.0, 10**9),
    }


def _leaves(path: Path) -> tuple[Any, list[Any]]:
    searcher = whoosh_index.open_dir(str(path)).searcher()
    return searcher, [leaf for leaf, _ in searcher.leaf_searchers()]


def test_each_segment_keeps_exactly_its_frequent_terms_as_the_blocks_hold_them(
    versions: dict[str, Any],
) -> None:
    searcher, leaves = _leaves(versions["with"])
    with searcher:
        checked = 0
        for leaf in leaves:
            reader = leaf.reader()
            table = frequent.table(reader)
            assert table is not None, "a segment written without its frequent terms"
            least = max(16, int(reader.doc_count_all() * 0.02))
            expected = {
                (field, tbytes)
                for field in reader.indexed_field_names()
                for tbytes, info in reader.iter_field(field)
                if info.doc_frequency() >= least
            }
            assert set(table.terms) == expected
            segment = _Segment(leaf, searcher.weighting, {})
            segment.frequent = None  # the blocks, decoded
            for field, tbytes in sorted(table.terms):
                assert table.get(field, tbytes) == segment._read(field, tbytes, None, None)[1:]
                checked += 1
            assert segment._read(*sorted(table.terms)[0], None, None)[0] is W3LeafMatcher
        assert checked > 500


def test_a_segment_without_them_is_read_from_its_blocks(versions: dict[str, Any]) -> None:
    searcher, leaves = _leaves(versions["without"])
    with searcher:
        assert all(frequent.table(leaf.reader()) is None for leaf in leaves)


@pytest.mark.parametrize("name", ["with", "without"])
def test_scores_and_order_are_whooshs_either_way(versions: dict[str, Any], name: str) -> None:
    """The same doubles in the same order as Whoosh's search, with and without the arrays."""
    decompounder = Decompounder.load(versions[name] / COMPOUNDS_FILE)
    searcher, leaves = _leaves(versions[name])
    with searcher:
        tables = [frequent.table(leaf.reader()) for leaf in leaves]
        met = []
        for text in QUERIES:
            query = parse(text, decompounder)
            whoosh = searcher.search(query, limit=None).top_n  # (score, docnum), best first
            assert whoosh, text
            fast = fast_rank(searcher, query)
            assert fast is not None and list(fast.order) == [d for _, d in whoosh], text
            scores = fast_scores(searcher, query)
            assert scores is not None and [(scores[d], d) for _, d in whoosh] == whoosh, text
            terms = {(t.fieldname, t.text.encode()) for t in query.leaves() if type(t) is Q.Term}
            if any(t is not None and any(t.has(*k) for k in terms) for t in tables):
                met.append(text)
        # A phrase needs positions, which only the blocks hold.
        assert met == ([q for q in QUERIES if '"' not in q] if name == "with" else [])


def _table(terms: list[list[Any]], arrays: bytes) -> bytes:
    """A part with these arrays and a table of these terms, in this machine's byte order."""
    table = json.dumps({"version": 1, "byteorder": sys.byteorder, "terms": terms}).encode()
    return arrays + table + len(table).to_bytes(8, "little")


class _RamSegment:
    def make_filename(self, ext: str) -> str:
        return f"MAIN_bad{ext}"

    def create_file(self, storage: Any, ext: str) -> Any:
        return storage.create_file(self.make_filename(ext))

    def segment_id(self) -> str:
        return "MAIN_bad"


class _RamReader:
    def __init__(self, storage: Any) -> None:
        self._storage = storage

    def segment(self) -> _RamSegment:
        return _RamSegment()

    def storage(self) -> Any:
        return self._storage


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\x00" * 3,
        b"not json" + (8).to_bytes(8, "little"),
        b'{"version": 9}' + (14).to_bytes(8, "little"),
        b"[1]" + (3).to_bytes(8, "little"),
        _table([["abstract_sv", "61", 5, 0]], arrays=b"\x00" * 39),  # 40 bytes needed
        _table([["abstract_sv", "61", 5, -8]], arrays=b"\x00" * 40),
    ],
)
def test_an_unreadable_part_leaves_the_segment_to_its_blocks(
    content: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    storage = RamStorage()
    out = storage.create_file("MAIN_bad" + frequent.EXT)
    out.write(content)
    out.close()
    reader = _RamReader(storage)
    with caplog.at_level("WARNING", logger="research_index.index"):
        assert frequent.table(reader) is None
    assert "unreadable frequent terms" in caplog.text


def test_a_written_part_reads_back_and_an_abandoned_one_is_deleted() -> None:
    docs, weights = list(range(0, 1200, 2)), [float(1 + d % 3) for d in range(600)]
    for finish in ("close", "abort"):
        storage = RamStorage()
        writer = frequent.FrequentWriter(_RamSegment(), storage, doc_count=1200)
        writer.bind("abstract_sv")(b"projekt", docs, weights)
        writer.bind("abstract_sv")(b"rare", docs[:10], weights[:10])  # under the threshold
        getattr(writer, finish)()
        if finish == "abort":
            assert not storage.file_exists("MAIN_bad" + frequent.EXT)
            continue
        table = frequent.table(_RamReader(storage))
        assert table is not None and set(table.terms) == {("abstract_sv", b"projekt")}
        assert table.get("abstract_sv", b"projekt") == (docs, weights)
