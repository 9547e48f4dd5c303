"""Service-level latency of a fixed query mix on an existing data folder (run by hand).

    python bench/search_latency.py --home index_data [--repeat 20]

Prints p50/p95/p99 in milliseconds per query class, measured in-process through
``SearchService`` (no HTTP), after one warm-up pass that loads the index version.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from indexer.service.request import SearchRequest
from indexer.service.search import SearchService

MIX: dict[str, SearchRequest] = {
    "single word": SearchRequest(q="energi"),
    "two words": SearchRequest(q="klimat vatten"),
    "phrase": SearchRequest(q='"machine learning"'),
    "field query": SearchRequest(q="title:grafen"),
    "swedish compound": SearchRequest(q="cancerforskning"),
    "filter-only browse": SearchRequest(filters={"funder": ("202100-5208",)}),
    "broad query, all facets": SearchRequest(q="forskning"),
    "sort by amount": SearchRequest(q="energi", sort="amount_desc"),
    "deep page": SearchRequest(q="forskning", page=50, size=20),
}


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--home", type=Path, default=Path("index_data"))
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    service = SearchService(args.home / "index")
    for req in MIX.values():
        service.search(req)
    print(f"{'query':<26} {'hits':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for name, req in MIX.items():
        times = []
        total = 0
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            total = service.search(req).total
            times.append((time.perf_counter() - t0) * 1000)
        print(
            f"{name:<26} {total:>6} {statistics.median(times):>8.1f} "
            f"{percentile(times, 95):>8.1f} {percentile(times, 99):>8.1f}"
        )
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        service.stats(SearchRequest(q="energi"), ("year", "funder"))
        times.append((time.perf_counter() - t0) * 1000)
    print(
        f"{'stats year x funder':<26} {'':>6} {statistics.median(times):>8.1f} "
        f"{percentile(times, 95):>8.1f} {percentile(times, 99):>8.1f}"
    )


if __name__ == "__main__":
    main()
