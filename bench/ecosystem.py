"""How fast the ecosystem of a search is served (issue 18), run by hand, not in CI.

    python bench/ecosystem.py [--reuse] [--out bench/ECOSYSTEM.json]

Imports the six KTH export parts into a data folder and builds its index (as
``bench/contention.py`` does), starts ``research-index serve`` on loopback and times
``GET /api/v1/ecosystem`` for the whole data (no query) and for a few searches: the first
answer of each (the graph made from the stored facts) and the median of five more (the graph
kept per version and search, only the view cut again), with the default top 300 and with
every node (top 2000). The bar: the whole KTH data in under 1 s.

With ``--browser`` it also loads ``/ecosystem`` in Chromium (Playwright, /usr/bin/chromium)
and records how long the page's main thread is held (the longest tasks, from the Long Tasks
API) and when the force layout has settled: the bar is a page that stays responsive at the
default 300 actors (no task near a second; the layout runs in a Web Worker).
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
    ap.add_argument("--browser", action="store_true", help="also time the page in Chromium")
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
        pages = browser_rows(base) if args.browser else []
    out = {"kth": str(args.shared / "swecris"), "rows": rows}
    if pages:
        out["browser"] = pages
    text = json.dumps(out, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    whole = [r for r in rows if r["query"] == "(everything)"]
    held = [p["longest_task_ms"] for p in pages]
    return 0 if all(r["first_ms"] < 1000 for r in whole) and max(held, default=0) < 1000 else 1


def browser_rows(base: str) -> list[dict[str, Any]]:
    """Per page: its longest main-thread tasks and when its layout settled."""
    from playwright.sync_api import sync_playwright

    watch = """window.__long = [];
      new PerformanceObserver(l => l.getEntries().forEach(e => window.__long.push(e.duration)))
        .observe({type: 'longtask', buffered: true});"""
    rows = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
        )
        for query in ("", "q=batteri"):
            page = browser.new_page(viewport={"width": 1366, "height": 900})
            page.add_init_script(watch)
            t0 = time.perf_counter()
            page.goto(f"{base}/ecosystem?{query}")
            page.wait_for_selector("#graph[data-drawn]", timeout=120_000)
            settled = (time.perf_counter() - t0) * 1000
            page.wait_for_timeout(300)
            tasks = sorted(page.evaluate("window.__long"), reverse=True)
            rows.append(
                {
                    "page": f"/ecosystem?{query}",
                    "actors": int(page.get_attribute("#graph", "data-drawn") or 0),
                    "layout_by": page.get_attribute("#graph", "data-layout-by"),
                    "settled_ms": round(settled),
                    "longest_task_ms": round(tasks[0]) if tasks else 0,
                    "tasks_over_50ms": len(tasks),
                }
            )
            page.close()
        browser.close()
    return rows


if __name__ == "__main__":
    sys.exit(main())
