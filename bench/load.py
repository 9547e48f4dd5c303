"""Load while publishing (issue 8): wrk against the real WSGI server during index updates.

    python bench/load.py -n 20000 --seconds 60 --clients 8     # run by hand, not in CI

Writes a synthetic corpus (``bench/corpus.py``) and builds its index, starts
``research-index serve`` (waitress) on loopback, and drives it with wrk over the search and
statistics mix of ``bench/mix.py`` for ``--seconds``. Meanwhile, every ``--every`` seconds,
1% of the records change and ``research-index index`` builds and publishes a new version
(incremental; every third one full). Prints requests/s, p50/p95/p99, the error count (non-2xx
answers and socket errors; it must be 0), and each publish's duration.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
if str(BENCH.parent) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(BENCH.parent))

from bench import corpus, http_load, mix  # noqa: E402
from bench.run import cli  # noqa: E402


def publisher(home: Path, stop: threading.Event, every: float, log: list[dict[str, float]]) -> None:
    n = 0
    while not stop.wait(every):
        n += 1
        changed = corpus.mutate_home(home, 0.01, 100 + n)
        args = ["index", "--quiet", *(["--full"] if n % 3 == 0 else [])]
        t0 = time.perf_counter()
        code = subprocess.run(cli(home, *args), stdout=subprocess.DEVNULL).returncode
        log.append(
            {
                "publish": n,
                "full": float(n % 3 == 0),
                "changed": changed,
                "seconds": round(time.perf_counter() - t0, 1),
                "exit": code,
            }
        )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("-n", type=int, default=20_000)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--every", type=float, default=12, help="seconds between publishes")
    ap.add_argument("--work", type=Path)
    ap.add_argument("--reuse", action="store_true")
    args = ap.parse_args(argv)
    if not http_load.wrk_available():
        print("wrk is not installed: apt-get install wrk", file=sys.stderr)
        return 2
    home = (args.work or Path(f"/tmp/ri-load-{args.n}")) / "home"
    if not (args.reuse and home.exists()):
        shutil.rmtree(home, ignore_errors=True)
        home.mkdir(parents=True)
        corpus.write_home(home, args.n, 1)
        subprocess.run(cli(home, "index", "--quiet"), check=True, stdout=subprocess.DEVNULL)
    paths = [mix.to_url(c) for c in mix.build_mix(1)]
    publishes: list[dict[str, float]] = []
    with http_load.serving(home) as base:
        http_load.fetch_all(base, paths)  # warm-up: the version open, each query once
        stop = threading.Event()
        thread = threading.Thread(target=publisher, args=(home, stop, args.every, publishes))
        thread.start()
        try:
            result = http_load.run_wrk(base, paths, args.clients, args.seconds)
        finally:
            stop.set()
            thread.join()
    out = {"load": result.to_dict(), "publishes": publishes}
    print(json.dumps(out, indent=2))
    ok = result.errors == 0 and all(p["exit"] == 0 for p in publishes)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
