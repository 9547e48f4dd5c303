"""How fast the ecosystem of a search is served (issue 18), run by hand, not in CI.

    python bench/ecosystem.py [--reuse] [--out bench/ECOSYSTEM.json]

Imports the six KTH export parts into a data folder and builds its index (as
``bench/contention.py`` does), starts ``research-index serve`` on loopback and times
``GET /api/v1/ecosystem`` for the whole data (no query) and for a few searches: the first
answer of each (the graph made from the stored facts) and the median of five more (the graph
kept per version and search, only the view cut again), with the default top 300 and with
every node (top 2000). The bar: the whole KTH data in under 1 s.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.request
from pathlib import Path
from statistics import median
from typing import Any

BENCH = Path(__file__).resolve().parent
if str(BENCH.parent) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(BENCH.parent))

from bench import http_load  # noqa: E402
from bench.contention import SHARED, prepare  # noqa: E402

QUERIES = ("", "q=batteri", "q=klimat&status=ongoing", "funder=202100-5208")


def timed(url: str) -> tuple[float, dict[str, Any]]:
    t0 = time.perf_counter()
    with urllib.request.urlopen(url, timeout=120) as r:
        body = json.loads(r.read())
    return (time.perf_counter() - t0) * 1000, body


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--shared", type=Path, default=SHARED)
    ap.add_argument("--work", type=Path, default=Path("/tmp/ri-ecosystem"))
    ap.add_argument("--reuse", action="store_true")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args(argv)
    home = args.work / "home"
    prepare(home, args.shared, args.reuse)
    rows = []
    with http_load.serving(home) as base:
        timed(base + "/api/v1/search?q=klimat")  # the version open
        for query in QUERIES:
            for top in (300, 2000):
                url = f"{base}/api/v1/ecosystem?{query}&top={top}".replace("?&", "?")
                first, body = timed(url)
                again = [timed(url)[0] for _ in range(5)]
                rows.append(
                    {
                        "query": query or "(everything)",
                        "top": top,
                        "first_ms": round(first, 1),
                        "again_median_ms": round(median(again), 1),
                        "nodes": len(body["nodes"]),
                        "edges": len(body["edges"]),
                        "total_nodes": body["total_nodes"],
                        "total_edges": body["total_edges"],
                    }
                )
    text = json.dumps({"kth": str(args.shared / "swecris"), "rows": rows}, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    whole = [r for r in rows if r["query"] == "(everything)"]
    return 0 if all(r["first_ms"] < 1000 for r in whole) else 1


if __name__ == "__main__":
    sys.exit(main())
