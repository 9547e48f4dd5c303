"""HTTP load on loopback: the real WSGI server (waitress) and wrk driving it (run by hand).

Owns starting ``research-index serve`` on a free port of 127.0.0.1 and waiting until it
answers, and running wrk (Debian's ``wrk``: ``apt-get install wrk``) over a fixed list of
URLs, round robin, with a Lua script that reports the p50/p95/p99 latency, the request count
and every kind of error as one JSON line. Used by ``bench/run.py`` (issue 7: 1, 4 and 16
clients) and ``bench/load.py`` (issue 8: load while an update publishes).
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_LUA = r"""
local paths = {%(paths)s}
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", paths[(n %% #paths) + 1])
end
done = function(summary, latency, requests)
  io.write(string.format(
    "RESULT {\"p50\":%%d,\"p95\":%%d,\"p99\":%%d,\"max\":%%d,\"requests\":%%d,\"duration\":%%d," ..
    "\"status\":%%d,\"connect\":%%d,\"read\":%%d,\"write\":%%d,\"timeout\":%%d}\n",
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max,
    summary.requests, summary.duration, summary.errors.status, summary.errors.connect,
    summary.errors.read, summary.errors.write, summary.errors.timeout))
end
"""


@dataclass
class LoadResult:
    clients: int
    seconds: float
    requests: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    errors: int  # non-2xx/3xx answers + connect/read/write errors + timeouts

    def to_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(home: Path, threads: int = 8) -> Iterator[str]:
    """``research-index serve`` on loopback for the ``with`` body; yields its base URL."""
    port = free_port()
    cmd = [sys.executable, "-m", "webapp.cli", "--home", str(home), "serve"]
    cmd += ["--host", "127.0.0.1", "--port", str(port), "--threads", str(threads)]
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_until_up(proc, base, log)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


def _wait_until_up(proc: subprocess.Popen[bytes], base: str, log: Any) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(base + "/api/v1/status", timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                raise RuntimeError("the server did not start:\n" + log.read().decode()) from None
            time.sleep(0.2)


def fetch_all(base: str, paths: list[str]) -> float:
    """GET every path once, in order; the seconds it took (errors raise)."""
    t0 = time.perf_counter()
    for path in paths:
        with urllib.request.urlopen(base + path, timeout=600) as r:
            r.read()
    return round(time.perf_counter() - t0, 1)


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def run_wrk(base: str, paths: list[str], clients: int, seconds: float) -> LoadResult:
    """``clients`` connections (wrk keeps each busy: closed loop) for ``seconds``."""
    if not wrk_available():
        raise RuntimeError("wrk is not installed: apt-get install wrk")
    quoted = ", ".join(json.dumps(p) for p in paths)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(_LUA % {"paths": quoted})
        script = fh.name
    threads = max(1, min(clients, 2))
    cmd = ["wrk", "-t", str(threads), "-c", str(clients), "-d", f"{seconds:.0f}s"]
    cmd += ["--timeout", "30s", "-s", script, base]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    Path(script).unlink()
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    data = json.loads(line[len("RESULT ") :])
    duration = data["duration"] / 1e6
    errors = sum(data[k] for k in ("status", "connect", "read", "write", "timeout"))
    return LoadResult(
        clients=clients,
        seconds=round(duration, 1),
        requests=data["requests"],
        rps=round(data["requests"] / duration, 1) if duration else 0.0,
        p50_ms=data["p50"] / 1000,
        p95_ms=data["p95"] / 1000,
        p99_ms=data["p99"] / 1000,
        max_ms=data["max"] / 1000,
        errors=errors,
    )
