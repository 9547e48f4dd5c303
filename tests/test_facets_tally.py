"""Facet value counts (``indexer.service.tallies``): numpy for large sets, the same counts as
the Counter pass, on the real KTH table and on made-up documents."""

from __future__ import annotations

import random
from collections import Counter
from itertools import chain

import pytest

from indexer.service import tallies
from indexer.service.search import SearchService
from indexer.service.tallies import Tallier


def _plain(doc_values: list[tuple[int, ...]], docs: set[int]) -> Counter[int]:
    return Counter(chain.from_iterable(doc_values[d] for d in docs))


def test_large_sets_are_counted_with_numpy_alike() -> None:
    rng = random.Random(7)
    doc_values = [
        tuple(rng.randrange(300) for _ in range(rng.randrange(0, 12))) for _ in range(20_000)
    ]
    doc_values[5] = (4, 4, 4)  # a value twice or more in one document counts each time
    tallier = Tallier(doc_values)
    for size in (0, 1, 50, 3_999, 4_000, 7_000, 19_999, 20_000):
        docs = set(rng.sample(range(20_000), size)) | ({5} if size else set())
        assert tallier.count(docs) == _plain(doc_values, docs), size
    assert tallier._columns is not None  # the large ones went through numpy
    assert Tallier([]).count(set()) == Counter()
    assert Tallier([(), ()]).count({0, 1}) == Counter()


def test_the_kth_tables_counts_are_the_counter_pass(
    kth_service: SearchService, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = kth_service._current().table
    rng = random.Random(3)
    every = sorted(table.live)
    monkeypatch.setattr(tallies, "NUMPY_FLOOR", 0)  # numpy for any set of 10 % or more
    for share in (0.05, 0.2, 0.5, 0.9, 1.0):
        docs = set(rng.sample(every, int(share * len(every))))
        assert table.tallier.count(docs) == _plain(table.doc_values, docs), share
