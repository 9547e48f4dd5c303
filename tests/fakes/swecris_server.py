"""A fake SweCRIS API on a real loopback socket, serving the recorded public rows with faults.

``FakeSwecris(data_dir)`` starts a ``ThreadingHTTPServer`` on 127.0.0.1 (a free port) in a daemon
thread and serves, under ``base_url`` (``http://127.0.0.1:PORT/v1``):

* ``GET /v1/scp/search?page=N&size=S[&searchText=...]`` as the live API does:
  ``{"result": [...], "total": T, "yearlyCompilation": []}``, page numbers starting at 1;
* ``GET /v1/projects/{url-encoded id}``: one project object, 404 when unknown.

``body_filter`` (a function of bytes) rewrites the body of every 200 answer: raw bytes JSON
cannot express (a bad UTF-8 byte, a bare control character) reach the client that way.

The rows are the ``result`` of ``swecris/scp_search_response_scb40107.json`` followed by the list in
``swecris/c2b2_marine_projects_2019on.json``, deduplicated by ``projectId`` (first one wins).
Requests need ``Authorization: Bearer <token>``; otherwise the answer is 401 with a JSON body.

Faults are scripted per page (``script(["429:1", "500"], page=2)``: the first request for page 2
gets the 429, the next the 500, later ones are normal), per request ordinal (``request=N``: the
Nth request to the server and those after it, 1-based), or for the next requests whatever they
are. ``fail_every_request("503")`` makes every request fail until cleared with None. Faults:

``429[:S]``   429 with ``Retry-After: S`` (default 1; a non-number is sent as is)
``503[:S]``   503 with ``Retry-After`` as an HTTP-date S seconds ahead (default 1; same rule)
``NNN``       any other status with a small JSON error body (500, 502, 504, 401, 403, 404, ...)
``cut``       headers with a Content-Length larger than the body, half the body, socket closed
``badjson``   200 with a truncated JSON body (correct Content-Length)
``slow:S``    sleep S seconds, then answer normally
``total+K``   a normal page that reports a total K higher
``rows:N``    a page cut to its first N rows (``rows:0`` is an empty page); true total
``oversize``  a page with one row more than ``size``
``cap:N``     the server pages by N rows whatever ``size`` asks (page p = rows (p-1)*N ... p*N-1)
``reset``     the connection aborted with a TCP RST; ``redirect``: a 302 back to the same URL
``drip:S``    a normal answer, one byte every S seconds
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from harvesters.core.config import DEFAULT_SWECRIS_TOKEN
from tests.fakes.loopback import (
    LoopbackFake,
    LoopbackHandler,
    drip,
    redirect_loop,
    reset_connection,
)

log = logging.getLogger("research_index.tests.fake_swecris")

_FAULT = re.compile(
    r"^(?:429(?::.+)?|503(?::.+)?|\d{3}|cut|badjson|(?:slow|drip):\d+(?:\.\d+)?"
    r"|total\+\d+|rows:\d+|cap:\d+|oversize|reset|redirect)$"
)


@dataclass(frozen=True)
class LoggedRequest:
    """One request as the server saw it, and the fault it was answered with (None: normal)."""

    ordinal: int
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    page: int | None = None
    size: int | None = None
    fault: str | None = None
    at: float = field(default_factory=time.monotonic)


def load_rows(data_dir: Path) -> list[dict[str, Any]]:
    """The served rows: the recorded search result, then the C2B2 list, unique by projectId."""
    swecris = Path(data_dir) / "swecris"
    search = json.loads((swecris / "scp_search_response_scb40107.json").read_text("utf-8"))
    marine = json.loads((swecris / "c2b2_marine_projects_2019on.json").read_text("utf-8"))
    rows: dict[str, dict[str, Any]] = {}
    for row in [*search["result"], *marine]:
        rows.setdefault(row["projectId"], row)
    return list(rows.values())


class FakeSwecris(LoopbackFake):
    """The fake API; started on construction, stopped by ``stop()`` or leaving the ``with``."""

    def __init__(self, data_dir: Path, token: str = DEFAULT_SWECRIS_TOKEN) -> None:
        self.rows = load_rows(data_dir)
        self.token = token
        self.body_filter: Callable[[bytes], bytes] | None = None  # bytes of each 200 answer
        self.requests: list[LoggedRequest] = []
        self._lock = threading.Lock()
        self._start(_Handler, "/v1", _check, "fake SweCRIS")

    def pages(self) -> list[int | None]:
        """The page numbers of the search requests, in arrival order."""
        return [r.page for r in self.requests if r.path.endswith("/scp/search")]

    # -- used by the handler --------------------------------------------------------------------

    def _log(
        self,
        path: str,
        query: dict[str, list[str]],
        headers: dict[str, str],
        page: int | None,
        size: int | None,
    ) -> LoggedRequest:
        with self._lock:
            ordinal = len(self.requests) + 1
            fault = self._pick_fault(ordinal, page)
            entry = LoggedRequest(ordinal, path, query, headers, page, size, fault)
            self.requests.append(entry)
            return entry

    def _search(self, query: dict[str, list[str]]) -> list[dict[str, Any]]:
        text = (query.get("searchText") or [""])[0].casefold()
        if not text:
            return self.rows
        keys = ("projectTitleSv", "projectTitleEn", "projectAbstractSv", "projectAbstractEn")
        return [r for r in self.rows if any(text in str(r.get(k) or "").casefold() for k in keys)]


def _check(fault: str) -> str:
    if not _FAULT.match(fault):
        raise ValueError(f"unknown fault {fault!r}")
    return fault


def _int(query: dict[str, list[str]], name: str, default: int) -> int | None:
    values = query.get(name)
    if not values:
        return default
    try:
        return int(values[0])
    except ValueError:
        return None


class _Handler(LoopbackHandler):
    def do_GET(self) -> None:
        fake = self.server.fake
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        is_search = parts.path == "/v1/scp/search"
        page = _int(query, "page", 1) if is_search else None
        size = _int(query, "size", 10) if is_search else None
        entry = fake._log(parts.path, query, dict(self.headers.items()), page, size)
        fault = entry.fault or ""
        if fault.startswith("slow:"):
            if fake._stopping.wait(float(fault[5:])):
                self.close_connection = True
                return
            fault = ""
        if fault == "reset":
            return reset_connection(self)
        if fault == "redirect":
            return redirect_loop(self)
        if fault == "cut":
            body = json.dumps({"result": fake.rows[:20], "total": len(fake.rows)}).encode()
            self._send_head(200, len(body) + 1000)
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        if fault.startswith("429"):
            delay = fault[4:] or "1"
            return self._error(429, "Too Many Requests", {"Retry-After": delay})
        if fault.startswith("503"):
            ahead = fault[4:] or "1"
            when = (
                format_datetime(datetime.now(UTC) + timedelta(seconds=float(ahead)), usegmt=True)
                if _is_number(ahead)
                else ahead
            )
            return self._error(503, "Service Unavailable", {"Retry-After": when})
        if fault[:3].isdigit():
            return self._error(int(fault[:3]), "scripted failure")
        if self.headers.get("Authorization") != f"Bearer {fake.token}":
            return self._error(401, "Unauthorized: missing or invalid bearer token")
        if is_search:
            return self._do_search(query, page, size, fault)
        if parts.path.startswith("/v1/projects/"):
            project_id = unquote(parts.path[len("/v1/projects/") :])
            row = next((r for r in fake.rows if r["projectId"] == project_id), None)
            if row is None:
                return self._error(404, f"no project {project_id}")
            return self._send_json(200, row, fault)
        return self._error(404, f"no route {parts.path}")

    def _do_search(
        self, query: dict[str, list[str]], page: int | None, size: int | None, fault: str
    ) -> None:
        if page is None or size is None or page < 1 or size < 1:
            return self._error(400, "page and size must be positive integers")
        rows = self.server.fake._search(query)
        total = len(rows)
        chunk = rows[(page - 1) * size : page * size]
        if fault.startswith("total+"):
            total += int(fault[6:])
        elif fault.startswith("rows:"):
            chunk = chunk[: int(fault[5:])]
        elif fault.startswith("cap:"):
            cap = int(fault[4:])
            chunk = rows[(page - 1) * cap : page * cap]
        elif fault == "oversize":
            chunk = rows[(page - 1) * size : page * size + 1]
        self._send_json(200, {"result": chunk, "total": total, "yearlyCompilation": []}, fault)

    def _send_json(self, status: int, data: Any, fault: str = "") -> None:
        body = json.dumps(data, ensure_ascii=False).encode("utf-8")
        if status == 200 and self.server.fake.body_filter is not None:
            body = self.server.fake.body_filter(body)
        if fault.startswith("drip:"):
            return drip(self, body, "application/json; charset=utf-8", float(fault[5:]))
        if fault == "badjson":
            body = body[: max(1, len(body) // 2)]
        self._send_head(status, len(body))
        self.wfile.write(body)

    def _error(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        body = json.dumps({"status": status, "error": message}).encode("utf-8")
        self._send_head(status, len(body), headers)
        self.wfile.write(body)

    def _send_head(self, status: int, length: int, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(length))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
