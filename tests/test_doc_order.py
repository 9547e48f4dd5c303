"""Sorting documents by date or amount: value order, ties by document number, both ways."""

from __future__ import annotations

import random

from indexer.service.facets import by_value


def test_by_value_matches_the_plain_definition() -> None:
    rng = random.Random(11)
    for _ in range(200):
        n = rng.randint(0, 300)
        values: list[float] = [rng.choice([0, 1, 2, 2.5, 2020_01_01, -3]) for _ in range(n)]
        docs = {d for d in range(n) if rng.random() < 0.7}
        for reverse in (False, True):
            plain = sorted(docs, key=lambda d: (-values[d] if reverse else values[d], d))
            assert by_value(docs, values, reverse) == plain
