"""The issue-7 benchmark in one run; writes bench/RESULTS.md (run by hand, not in CI).

    python bench/run.py -n 100000            # the reference run (about 30-40 minutes here)
    python bench/run.py -n 20000 --seconds 10 --out /tmp/RESULTS.md   # a quicker look

Steps, all on this machine, on the synthetic corpus of ``bench/corpus.py`` (deterministic by
seed): write the record store; a full build through the real command (``research-index index
--full --procs 2``) with wall time, documents/s, peak memory of the whole process tree and
index size; 1% of the records changed and the incremental build timed; the fixed query mix of
``bench/mix.py`` through the search service in-process (p50/p95/p99 per query class) and
through the real WSGI server with wrk at 1, 4 and 16 clients; the same corpus and mix on
SQLite FTS5 and tantivy (``bench/peers.py``), and our latency as a ratio to each.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
if str(BENCH.parent) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(BENCH.parent))

from bench import corpus, http_load, mix, peers, report  # noqa: E402
from bench.peers import percentile  # noqa: E402
from indexer.service.search import SearchService  # noqa: E402


def summary(times: list[float]) -> dict[str, float]:
    return {
        "p50": statistics.median(times),
        "p95": percentile(times, 95),
        "p99": percentile(times, 99),
    }


def _tree_rss(root: int) -> int:
    """Resident bytes of a process and all its descendants (/proc children lists)."""
    page = os.sysconf("SC_PAGE_SIZE")
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * page
            for task in os.scandir(f"/proc/{pid}/task"):
                todo.extend(map(int, Path(task.path, "children").read_text().split()))
        except (OSError, ValueError):
            continue
    return total


def measured(cmd: list[str]) -> dict[str, float]:
    """Run a command; its wall time, the peak resident memory of its process tree and the
    CPU time of the whole tree (workers are waited for by the command, so they count)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    peak = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.wait(1.0):
            peak = max(peak, _tree_rss(proc.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    code = proc.wait()
    stop.set()
    sampler.join()
    seconds = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if code:
        raise SystemExit(f"{' '.join(cmd)} failed with exit code {code}")
    return {"seconds": seconds, "peak_mb": peak / 2**20, "cpu_s": cpu}


def cli(home: Path, *args: str) -> list[str]:
    exe = shutil.which("research-index")
    base = [exe] if exe else [sys.executable, "-m", "webapp.cli"]
    return [*base, "--home", str(home), *args]


def dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def service_latency(home: Path, cases: list[Any], repeat: int) -> dict[str, dict[str, float]]:
    service = SearchService(home / "index")
    service.search(mix.to_search_request(cases[0]))  # opens the version, loads its tables
    service.drop_caches()  # ...and starts again with empty caches
    cold: dict[str, list[float]] = defaultdict(list)
    for case in cases:  # cold: the first time each query text meets this version
        t0 = time.perf_counter()
        mix.run_ours(service, case)
        cold[case.cls].append((time.perf_counter() - t0) * 1000)
    times: dict[str, list[float]] = defaultdict(list)
    for _ in range(repeat):
        for case in cases:
            t0 = time.perf_counter()
            mix.run_ours(service, case)
            times[case.cls].append((time.perf_counter() - t0) * 1000)
    return {cls: summary(ts) | {"cold": summary(cold[cls])} for cls, ts in times.items()}


def peer_latency(cases: list[Any], n: int, seed: int, work: Path, repeat: int) -> list[Any]:
    out = []
    for peer in peers.peers():
        target = work / f"peer-{peer.name}"
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        t0 = time.perf_counter()
        peer.build(corpus.iter_plain(n, seed), target)
        build_s = time.perf_counter() - t0
        for case in cases:
            peer.run(case)
        times: dict[str, list[float]] = defaultdict(list)
        for _ in range(repeat):
            for case in cases:
                t0 = time.perf_counter()
                peer.run(case)
                times[case.cls].append((time.perf_counter() - t0) * 1000)
        out.append(
            {
                "name": peer.name,
                "build_s": build_s,
                "size_mb": peer.size_bytes() / 2**20,
                "latency": {cls: summary(ts) for cls, ts in times.items()},
            }
        )
        print(f"  {peer.name}: build {build_s:.1f} s", flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("-n", type=int, default=100_000, help="projects (default 100,000)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--work", type=Path, help="work folder (default /tmp/ri-bench-N)")
    ap.add_argument("--procs", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=5, help="passes over the query mix")
    ap.add_argument("--clients", default="1,4,16")
    ap.add_argument("--seconds", type=float, default=20, help="per HTTP load level")
    ap.add_argument("--reuse", action="store_true", help="keep an existing corpus store")
    ap.add_argument("--skip-peers", action="store_true")
    ap.add_argument("--skip-http", action="store_true")
    ap.add_argument("--out", type=Path, default=BENCH / "RESULTS.md")
    ap.add_argument(
        "--latency-only",
        action="store_true",
        help="measure the queries again on the index an earlier run built (its build "
        "figures are kept from --out's .json)",
    )
    args = ap.parse_args(argv)
    work = args.work or Path(f"/tmp/ri-bench-{args.n}")
    home = work / "home"
    res: dict[str, Any] = {"n": args.n, "seed": args.seed, "procs": args.procs}
    res["command"] = "python bench/run.py " + " ".join(argv if argv is not None else sys.argv[1:])
    res["started"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    if args.latency_only:
        _carry_build(res, args.out.with_suffix(".json"))
    else:
        _build_and_update(res, args, work, home)
    cases = mix.build_mix(args.seed)
    res["service"] = service_latency(home, cases, args.repeat)
    print("service latency measured", flush=True)
    if not args.skip_http and http_load.wrk_available():
        search_paths = [mix.to_url(c) for c in cases if not c.stats_by]
        stats_paths = [mix.to_url(c) for c in cases if c.stats_by]
        res["http"] = []
        with http_load.serving(home) as base:
            # Warm-up: every URL once (opens the version; the first, cold run of each query
            # is what the in-process "cold" columns measure), then a short load.
            res["http_warmup_s"] = http_load.fetch_all(base, search_paths + stats_paths)
            http_load.run_wrk(base, search_paths, 2, 3)
            for clients in (int(c) for c in args.clients.split(",")):
                r = http_load.run_wrk(base, search_paths, clients, args.seconds)
                res["http"].append(r.to_dict())
                print(f"  http {clients} clients: {r.rps} req/s p95 {r.p95_ms} ms", flush=True)
            res["http_stats"] = http_load.run_wrk(base, stats_paths, 1, args.seconds).to_dict()
    if not args.skip_peers:
        res["peers"] = peer_latency(cases, args.n, args.seed, work, args.repeat)
    res["machine"] = machine()
    res["commit"] = commit()
    args.out.write_text(report.markdown(res), encoding="utf-8")
    args.out.with_suffix(".json").write_text(json.dumps(res, indent=1), encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


def _build_and_update(res: dict[str, Any], args: Any, work: Path, home: Path) -> None:
    """The corpus (unless reused), the timed full build and the timed 1% update."""
    if not (args.reuse and home.exists()):
        shutil.rmtree(work, ignore_errors=True)
        home.mkdir(parents=True)
        t0 = time.perf_counter()
        corpus.write_home(home, args.n, args.seed)
        res["corpus_s"] = time.perf_counter() - t0
        print(f"corpus: {args.n} records in {res['corpus_s']:.1f} s", flush=True)
    shutil.rmtree(home / "index", ignore_errors=True)
    build = measured(cli(home, "index", "--full", "--procs", str(args.procs), "--quiet"))
    res["build"] = build | {"docs_per_s": args.n / build["seconds"]}
    res["index_mb"] = dir_size((home / "index" / "current").resolve()) / 2**20
    print(f"full build: {build['seconds']:.1f} s, {res['build']['docs_per_s']:.0f}/s", flush=True)
    changed = corpus.mutate_home(home, 0.01, args.seed + 1)
    inc = measured(cli(home, "index", "--quiet"))
    res["incremental"] = inc | {"changed": changed}
    print(f"incremental ({changed} changed): {inc['seconds']:.1f} s", flush=True)


def _carry_build(res: dict[str, Any], previous_json: Path) -> None:
    """``--latency-only``: the build figures of the run that built the index, said so."""
    previous = json.loads(previous_json.read_text(encoding="utf-8"))
    for key in ("build", "index_mb", "incremental", "corpus_s"):
        if key in previous:
            res[key] = previous[key]
    res["remarks"] = [
        *previous.get("remarks", []),
        f"the build figures are those of the run of {previous['started']} at commit "
        f"`{previous['commit']}`; the queries were measured again on its index "
        "(`--latency-only`).",
    ]


def machine() -> dict[str, str]:
    cpu = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = Path("/proc/meminfo").read_text().split("\n", 1)[0].split()[1]
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "memory": f"{int(mem) / 2**20:.0f} GB",
        "python": platform.python_version(),
        "os": platform.platform(),
    }


def commit() -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(BENCH.parent), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


if __name__ == "__main__":
    sys.exit(main())
