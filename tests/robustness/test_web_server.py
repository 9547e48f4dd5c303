"""Abuse of the real server: `research-index serve` (waitress) fed raw bytes over a socket.

What a test client cannot send goes here: raw non-ASCII and NUL bytes in the request line,
1 MB bodies (with Content-Length, chunked, and on a GET), request lines and headers of
hundreds of kilobytes, path traversal with raw ``..``, ``%2e%2e``, ``%2f`` and ``%5c``, a
garbage start line, and half-sent requests held open (slowloris). The server runs as the
product runs it, in a subprocess on 127.0.0.1 with ``--port 0``. Every answer must come within
``BOUND`` seconds with the expected status: the server's own plain-text refusal for what never
reaches the app (bad URI, oversized body or header), the project's error page or JSON for the
rest; no traversal may return a file. Afterwards the server is alive, has logged no unexpected
error, and answers a normal search with 200. Statuses and times go to
``tests/artifacts/web-server.json``.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import re
import select
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import webapp

REPO = Path(webapp.__file__).resolve().parent.parent
ARTIFACT = REPO / "tests" / "artifacts" / "web-server.json"
BOUND = 2.0
RESULTS: list[dict[str, object]] = []
MB = 1024 * 1024
SECRETS = (b"root:", b"[project]", b"import ", b"def ")  # what a leaked file would show


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float


def _start(home: Path, log: Path) -> Server:
    with log.open("wb") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "webapp.cli", "--home", str(home), "serve", "--port", "0"],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=err,
        )
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], 60)
    line = process.stdout.readline().decode() if ready else ""
    match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
    if not match:
        process.kill()
        process.wait(timeout=10)
        process.stdout.close()
        raise AssertionError(f"the server did not start: {line!r} {log.read_text()[-2000:]}")
    return Server("127.0.0.1", int(match.group(1)), process, log)


@pytest.fixture(scope="module")
def server(kth_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    RESULTS.clear()
    running = _start(kth_home, tmp_path_factory.mktemp("serve") / "stderr.log")
    try:
        assert exchange(running, request("/search?q=energi")).status == 200  # warm up
        yield running
    finally:
        running.process.terminate()
        try:
            running.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            running.process.kill()
            running.process.wait(timeout=10)
        assert running.process.stdout is not None
        running.process.stdout.close()
        ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
        ARTIFACT.write_text(json.dumps(RESULTS, indent=1), encoding="utf-8")


def request(target: str | bytes, method: str = "GET", headers: bytes = b"") -> bytes:
    raw = target.encode("latin-1") if isinstance(target, str) else target
    return (
        method.encode() + b" " + raw + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Connection: close\r\n" + headers + b"\r\n"
    )


def exchange(server: Server, data: bytes, timeout: float = 10) -> Answer:
    """Send ``data`` on a fresh connection and read until the server closes it."""
    start = time.perf_counter()
    chunks: list[bytes] = []
    with socket.create_connection((server.host, server.port), timeout=timeout) as sock:
        with contextlib.suppress(OSError):  # it may answer and close before a big body is sent
            sock.sendall(data)
        with contextlib.suppress(ConnectionResetError):
            while chunk := sock.recv(65536):
                chunks.append(chunk)
    seconds = time.perf_counter() - start
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    assert lines[0].startswith("HTTP/1."), f"no HTTP answer: {head[:200]!r}"
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return Answer(int(lines[0].split()[1]), headers, body, seconds)


# -- the cases: (id, raw request, status, who answers) ----------------------------------------

SERVER, APP_HTML, APP_JSON = "server", "app-html", "app-json"
BIG = b"x" * MB
CASES: tuple[tuple[str, bytes, int, str], ...] = (
    ("raw-0xff-in-query", request(b"/search?q=\xff\xfe"), 400, SERVER),
    ("raw-0xff-in-path", request(b"/project/swecris/\xff"), 400, SERVER),
    ("raw-0xff-in-api-path", request(b"/api/v1/projects/swecris/\xff"), 400, SERVER),
    ("pct-ff-in-path", request("/project/%ff/%fe"), 404, APP_HTML),
    ("pct-ff-in-api-query", request("/api/v1/search?q=%ff%fe"), 200, APP_JSON),
    ("raw-nul-in-query", request(b"/search?q=energi\x00x"), 200, APP_HTML),
    ("pct-nul-in-path", request("/project/swecris/a%00b"), 404, APP_HTML),
    ("pct-nul-in-api-path", request("/api/v1/projects/swecris/a%00b"), 404, APP_JSON),
    ("request-line-100kb", request("/search?q=" + "a" * 100_000), 414, APP_HTML),
    ("request-line-100kb-api", request("/api/v1/search?q=" + "a" * 100_000), 414, APP_JSON),
    ("request-line-300kb", request("/search?q=" + "a" * 300_000), 431, SERVER),
    (
        "header-300kb",
        request("/search", headers=b"X-Big: " + b"a" * 300_000 + b"\r\n"),
        431,
        SERVER,
    ),
    (
        "post-1mb-content-length",
        request("/search", "POST", b"Content-Length: %d\r\n" % MB) + BIG,
        413,
        SERVER,
    ),
    (
        "post-1mb-chunked",
        request("/api/v1/search", "POST", b"Transfer-Encoding: chunked\r\n")
        + b"%x\r\n" % MB
        + BIG
        + b"\r\n0\r\n\r\n",
        413,
        SERVER,
    ),
    (
        "get-1mb-body",
        request("/search.csv", "GET", b"Content-Length: %d\r\n" % MB) + BIG,
        413,
        SERVER,
    ),
    (
        "post-small-html",
        request("/search", "POST", b"Content-Length: 3\r\n") + b"q=x",
        405,
        APP_HTML,
    ),
    (
        "post-small-api",
        request("/api/v1/search", "POST", b"Content-Length: 2\r\n") + b"{}",
        405,
        APP_JSON,
    ),
    ("static-raw-dotdot", request("/static/../webapp/__init__.py"), 404, APP_HTML),
    ("static-raw-dotdot-twice", request("/static/../../pyproject.toml"), 404, APP_HTML),
    ("static-pct-2e2e", request("/static/%2e%2e/%2e%2e/pyproject.toml"), 404, APP_HTML),
    ("static-pct-2e2e-2f", request("/static/%2e%2e%2f%2e%2e%2fpyproject.toml"), 404, APP_HTML),
    ("static-dotdot-pct-2f", request("/static/..%2f..%2fpyproject.toml"), 404, APP_HTML),
    ("static-dotdot-pct-5c", request("/static/..%5c..%5cpyproject.toml"), 404, APP_HTML),
    (
        "static-to-etc-passwd",
        request("/static/..%2f..%2f..%2f..%2f..%2fetc%2fpasswd"),
        404,
        APP_HTML,
    ),
    ("project-pct-2f-traversal", request("/project/swecris/..%2f..%2fetc%2fpasswd"), 404, APP_HTML),
    ("project-raw-traversal", request("/project/swecris/../../etc/passwd"), 404, APP_HTML),
    (
        "api-project-2e2e-traversal",
        request("/api/v1/projects/%2e%2e/%2e%2e/etc/passwd"),
        404,
        APP_JSON,
    ),
    ("org-traversal", request("/org/..%2f..%2fetc%2fpasswd"), 404, APP_HTML),
    ("garbage-start-line", b"\xff\xfe\x00garbage\r\n\r\n", 400, SERVER),
)


@pytest.mark.parametrize(("case_id", "data", "status", "who"), CASES, ids=[c[0] for c in CASES])
def test_raw_abuse_is_refused_in_bounded_time(
    server: Server, case_id: str, data: bytes, status: int, who: str
) -> None:
    answer = exchange(server, data)
    RESULTS.append(
        {"case": case_id, "status": answer.status, "ms": round(answer.seconds * 1000, 1)}
    )
    assert answer.status == status, (case_id, answer.body[:300])
    assert answer.seconds < BOUND, f"{case_id} took {answer.seconds:.2f} s"
    assert not any(secret in answer.body for secret in SECRETS), case_id
    ctype = answer.headers.get("content-type", "")
    if who == SERVER:  # refused before the app: waitress's short plain-text page
        assert ctype.startswith("text/plain") and b"(generated by research-index)" in answer.body
    elif who == APP_JSON:
        assert ctype.startswith("application/json"), ctype
        if status >= 400:
            body = json.loads(answer.body)
            assert body["ok"] is False and body["status"] == status and body["message"]
    else:
        assert ctype.startswith("text/html"), ctype
        if status >= 400:
            assert f"({status})".encode() in answer.body and b'href="/search"' in answer.body
    if status == 405:
        assert "GET" in answer.headers["allow"]


def test_half_sent_requests_do_not_block_the_site(server: Server) -> None:
    """Slowloris: 40 connections that never finish their headers, then a normal search."""
    stalled = []
    try:
        for _ in range(40):
            sock = socket.create_connection((server.host, server.port), timeout=5)
            sock.sendall(b"GET /search?q=energi HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            stalled.append(sock)
        answer = exchange(server, request("/api/v1/search?q=energi&size=1"))
        RESULTS.append(
            {"case": "slowloris-40", "status": answer.status, "ms": round(answer.seconds * 1000, 1)}
        )
        assert answer.status == 200
        assert answer.seconds < BOUND
        ready, _, _ = select.select(stalled, [], [], 0.2)
        assert ready == []  # nothing was answered to a request that never ended
    finally:
        for sock in stalled:
            sock.close()


def test_the_server_survives_and_logs_no_unexpected_error(server: Server) -> None:
    connection = http.client.HTTPConnection(server.host, server.port, timeout=10)
    try:
        connection.request("GET", "/search?q=energi")
        response = connection.getresponse()
        assert response.status == 200
        assert b'data-testid="total"' in response.read()
    finally:
        connection.close()
    assert server.process.poll() is None
    log = server.log.read_text(encoding="utf-8", errors="replace")
    assert "unexpected error" not in log and "Traceback" not in log, log[-3000:]
