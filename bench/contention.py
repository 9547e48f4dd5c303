"""Searches while broad exports and full builds run (issue 22, case 7), run by hand, not in CI.

    python bench/contention.py --seconds 60 --clients 8 --out bench/CONTENTION.json

Imports the six KTH export parts of the shared data into a data folder and builds its index,
starts ``research-index serve`` (waitress, 8 threads) on loopback, and measures, idle, one
broad CSV export (every project: ``/search.csv``) and "did you mean" for made-up words. Then
wrk drives ``--clients`` connections over the search mix of ``bench/mix.py`` and those
misspelt searches for ``--seconds``, while ``--exporters`` threads download the broad export
back to back and ``index --full`` rebuilds the index again and again (at ``--nice``; 0 runs
it at the server's priority, as before the option existed). Prints and writes one JSON: wrk's
latency of the searches (p50 to max: the bar is no search over 2 s), each export's seconds and
status (503 when it found no turn), each build's seconds.

``--nice`` is not passed when 0 (``RESEARCH_INDEX_BUILD_NICE`` says it instead), so an older
checkout can be measured the same way: run this file from that checkout's folder with
``PYTHONPATH`` set to it (the server and the builds are then its code).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from statistics import median
from typing import Any

BENCH = Path(__file__).resolve().parent
if str(BENCH.parent) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(BENCH.parent))

from bench import http_load, mix  # noqa: E402
from bench.run import cli  # noqa: E402

MISSPELT = ("klimatförändrngar", "batterri", "kvantdatorr sverigge", "energgi", "zzxqwvblorf")
SHARED = BENCH.parent.parent / "shared" / "data"


def prepare(home: Path, shared: Path, reuse: bool) -> None:
    if reuse and (home / "index").exists():
        return
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    parts = sorted((shared / "swecris").glob("kth_scp_export_part*of6.csv"))
    subprocess.run(cli(home, "import", "swecris", *map(str, parts), "--quiet"), check=True)
    subprocess.run(cli(home, "index", "--full", "--quiet"), check=True)


def timed_get(url: str) -> tuple[float, int]:
    """(seconds, status) of reading the whole answer of ``url``."""
    t0 = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=600) as r:
            while r.read(1 << 16):
                pass
            status = r.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    return round(time.perf_counter() - t0, 3), status


def exporter(base: str, stop: threading.Event, log: list[dict[str, Any]]) -> None:
    while not stop.is_set():
        seconds, status = timed_get(base + "/search.csv")
        log.append({"seconds": seconds, "status": status})
        if status == 503:
            stop.wait(1.0)


def builder(home: Path, nice: int, stop: threading.Event, log: list[dict[str, Any]]) -> None:
    # the variable as well as the option: "--nice 0" is not passed (an older checkout has no
    # such option), and without either this code's builds run at its default of 10
    env = {**os.environ, "RESEARCH_INDEX_BUILD_NICE": str(nice)}
    extra = ["--nice", str(nice)] if nice else []
    while not stop.is_set():
        t0 = time.perf_counter()
        code = subprocess.run(
            cli(home, "index", "--full", "--quiet", *extra),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        ).returncode
        log.append({"seconds": round(time.perf_counter() - t0, 1), "exit": code})


def summary(log: list[dict[str, Any]]) -> dict[str, Any]:
    done = [e["seconds"] for e in log if e.get("status", 200) == 200 and e.get("exit", 0) == 0]
    return {
        "count": len(log),
        "ok": len(done),
        "busy_503": sum(1 for e in log if e.get("status") == 503),
        "median_s": round(median(done), 2) if done else None,
        "max_s": max(done) if done else None,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--exporters", type=int, default=1, help="threads exporting back to back")
    ap.add_argument("--nice", type=int, default=10, help="the builds' --nice (0: not passed)")
    ap.add_argument("--no-build", action="store_true", help="exports only, no builds")
    ap.add_argument("--shared", type=Path, default=SHARED)
    ap.add_argument("--work", type=Path, default=Path("/tmp/ri-contention"))
    ap.add_argument("--reuse", action="store_true")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args(argv)
    if not http_load.wrk_available():
        print("wrk is not installed: apt-get install wrk", file=sys.stderr)
        return 2
    home = args.work / "home"
    prepare(home, args.shared, args.reuse)
    misspelt = ["/api/v1/search?" + urllib.parse.urlencode({"q": w}) for w in MISSPELT]
    paths = [mix.to_url(c) for c in mix.build_mix(1)] + misspelt
    exports: list[dict[str, Any]] = []
    builds: list[dict[str, Any]] = []
    with http_load.serving(home) as base:
        http_load.fetch_all(base, paths)  # warm-up: the version open, each query once
        idle_export = [timed_get(base + "/search.csv")[0] for _ in range(3)]
        idle_dym = [timed_get(base + p)[0] for p in misspelt]
        stop = threading.Event()
        threads = [
            threading.Thread(target=exporter, args=(base, stop, exports))
            for _ in range(args.exporters)
        ]
        if not args.no_build:
            threads.append(threading.Thread(target=builder, args=(home, args.nice, stop, builds)))
        for t in threads:
            t.start()
        try:
            load = http_load.run_wrk(base, paths, args.clients, args.seconds)
        finally:
            stop.set()
            for t in threads:
                t.join()
    out = {
        "setup": {
            "clients": args.clients,
            "seconds": args.seconds,
            "exporters": args.exporters,
            "build_nice": None if args.no_build else args.nice,
            "search_urls": len(paths),
        },
        "idle": {"export_s": idle_export, "did_you_mean_s": idle_dym},
        "searches": load.to_dict(),
        "exports": summary(exports),
        "builds": summary(builds),
    }
    text = json.dumps(out, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    return 0 if load.errors == 0 and load.max_ms < 2000 else 1


if __name__ == "__main__":
    sys.exit(main())
