"""Peer engines as reference points: the generated corpus and the query mix on SQLite FTS5 and
tantivy, each with its closest equivalent of our analysis, facet counts and statistics.

Owns: the ``Peer`` protocol, ``peers()``, what the peers share (``clauses`` reads the query
syntax the mix uses, ``facet_values`` gives a record's facet values as our index has them,
``Timed`` measures a generator's own time so build rates leave generation out) and the CLI::

    python bench/peers.py -n 20000 [--seed 1] [--repeat 5] [--only fts5|tantivy] [--keep DIR]

which generates the corpus (``bench.corpus.iter_plain``), builds each peer in a temporary
folder and prints its build rate, its size on disk and p50/p95/p99 milliseconds per query
class over every case of the class, each run ``--repeat`` times after one warm-up pass.

Every peer run does what our search does for a case: the total, the page (top ``size`` by
relevance or by amount, at any offset, with the stored id and title of each hit), counts for
every facet value with the facet's own filter left out (multi-select), twin copies left out;
a statistics case counts projects and sums SEK by year x funder. The engines themselves are
in ``bench.peer_fts5`` and ``bench.peer_tantivy``; their docstrings say where they differ
from ours.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Protocol

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(REPO))

from bench.mix import CLASSES, Case, build_mix  # noqa: E402

#: Our facet names (``indexer.engine.schema.FACET_FIELDS``) that projects have values for.
FACETS = (
    "kind",
    "funder",
    "org",
    "org_type",
    "award",
    "year",
    "subject1",
    "subject3",
    "subject5",
    "facility",
)
FACET_SIZE = 30  # values per facet, as ``SearchRequest.facet_size``
_CLAUSE = re.compile(r'(?:(\w+):)?(?:"([^"]*)"|(\S+))')
_TOKEN = re.compile(r"[^\W_]+")


class Peer(Protocol):
    name: str

    def build(self, records: Iterable[dict[str, Any]], workdir: Path) -> None: ...

    def size_bytes(self) -> int: ...

    def run(self, case: Case) -> int:  # returns the total hits (projects for statistics)
        ...


def peers() -> list[Peer]:
    from bench.peer_fts5 import Fts5Peer
    from bench.peer_tantivy import TantivyPeer

    return [Fts5Peer(), TantivyPeer()]


def clauses(q: str) -> list[tuple[str | None, list[str]]]:
    """The mix's query syntax: words, ``"phrases"`` and ``field:word``, all ANDed, as
    (field or None, lowercase tokens: one word, or a phrase's words)."""
    out = []
    for m in _CLAUSE.finditer(q):
        field, phrase, word = m.groups()
        tokens = _TOKEN.findall((phrase if phrase is not None else word).lower())
        if tokens:
            out.append((field, tokens))
    return out


def facet_values(rec: dict[str, Any]) -> dict[str, list[str]]:
    """A plain record's values per facet, the codes our index uses."""
    codes = rec["ssif"]
    return {
        "kind": ["project"],
        "funder": list(rec["funder"]),
        "org": [rec["org"]] if rec["org"] else [],
        "org_type": [rec["org_type"]] if rec["org_type"] else [],
        "award": list(rec["award"]),
        "year": [str(y) for y in rec["year"]],
        "subject1": [c for c in codes if len(c) == 1],
        "subject3": [c for c in codes if len(c) == 3],
        "subject5": [c for c in codes if len(c) == 5],
        "facility": list(rec["facility"]),
    }


def dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


class Timed:
    """Wraps an iterable and adds up the time spent producing its items (``seconds``)."""

    def __init__(self, items: Iterable[Any]) -> None:
        self._items = iter(items)
        self.seconds = 0.0
        self.count = 0

    def __iter__(self) -> Iterator[Any]:
        return self

    def __next__(self) -> Any:
        t0 = time.perf_counter()
        try:
            item = next(self._items)
        finally:
            self.seconds += time.perf_counter() - t0
        self.count += 1
        return item


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def measure(peer: Peer, mix: list[Case], repeat: int) -> dict[str, tuple[list[float], list[int]]]:
    """Milliseconds and totals per class: one warm-up pass, then every case ``repeat`` times."""
    for case in mix:
        peer.run(case)
    out: dict[str, tuple[list[float], list[int]]] = {}
    for case in mix:
        times, totals = out.setdefault(case.cls, ([], []))
        for _ in range(repeat):
            t0 = time.perf_counter()
            total = peer.run(case)
            times.append((time.perf_counter() - t0) * 1000)
        totals.append(total)
    return out


def main(argv: list[str] | None = None) -> None:
    from bench.corpus import iter_plain

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=20_000, help="projects (default 20,000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--per-class", type=int, default=8)
    parser.add_argument("--only", choices=("fts5", "tantivy"))
    parser.add_argument("--keep", type=Path, help="build in this folder and keep it")
    args = parser.parse_args(argv)
    mix = build_mix(args.seed, args.per_class)
    for peer in peers():
        if args.only and args.only not in peer.name:
            continue
        root = args.keep or Path(tempfile.mkdtemp(prefix="bench-peers-"))
        workdir = root / peer.name
        try:
            records = Timed(iter_plain(args.n, args.seed))
            t0 = time.perf_counter()
            peer.build(records, workdir)
            secs = time.perf_counter() - t0 - records.seconds
            size = peer.size_bytes()
            print(
                f"\n{peer.name}: built {records.count:,} records in {secs:.1f} s "
                f"({records.count / secs:,.0f} records/s, generation excluded), "
                f"{size / 1e6:,.1f} MB on disk"
            )
            print(f"{'class':<26} {'hits(med)':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
            results = measure(peer, mix, args.repeat)
            for cls in CLASSES:
                if cls not in results:
                    continue
                times, totals = results[cls]
                print(
                    f"{cls:<26} {statistics.median(totals):>9.0f} {percentile(times, 50):>8.1f} "
                    f"{percentile(times, 95):>8.1f} {percentile(times, 99):>8.1f}"
                )
        finally:
            close = getattr(peer, "close", None)
            if close:
                close()
            if not args.keep:
                shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
