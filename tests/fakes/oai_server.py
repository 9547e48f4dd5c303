"""A fake OAI-PMH 2.0 repository on a real loopback socket, serving the shared samples, with faults.

``FakeOAI(data_dir, mode, page_size=3, ...)`` starts a ``ThreadingHTTPServer`` on 127.0.0.1 (a
free port) in a daemon thread; ``base_url`` is ``http://127.0.0.1:PORT/oai`` and ``requests`` logs
every request. What it answers (the ``sickle`` and ``cerif`` modes, argument checks, records that
change at runtime, expiring tokens) is ``tests.fakes.oai_repository.Repository``, which it extends.

Faults are scripted as in ``tests.fakes.swecris_server``: ``script(faults, page=N)`` (list
requests for page N, 1-based), ``script(faults, request=N)`` (the Nth request on),
``script(faults)`` (the next requests), ``fail_every_request(fault)`` (every request until None):

``<oaiCode>``  an OAI error response with that code (the fixture file ``<oaiCode>.xml`` if any)
``503[:S]``    503 with ``Retry-After: S`` seconds (default 1); ``503@S``: as an HTTP-date
``NNN``        any other HTTP status, ``cut`` (connection closed mid-body), ``slow:S``
``broken``     ListRecordsBroken.xml (not XML); ``truncated``: the page cut in half
``size+K``     the page with a completeListSize K too high (cerif mode)
``repeat``     the page, carrying the token of the request again; ``empty``: no records and a
               fresh token for the same position
``xxe``, ``lol`` the page with a DOCTYPE declaring an external (file:///etc/passwd) or a
               billion-laughs entity, referenced inside the first record's metadata
``reset``      the connection aborted with a TCP RST; ``redirect``: a 302 back to the same URL
``drip:S``     the answer one byte every S seconds
``ctrlchar``, ``badbytes``, ``ndash``, ``latinone``, ``hugetext``, ``noident``: the first
               record of the page broken (``tests.fakes.oai_faults``)
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.fakes.loopback import (
    LoopbackFake,
    LoopbackHandler,
    drip,
    redirect_loop,
    reset_connection,
)
from tests.fakes.oai_faults import RECORD_FAULTS, corrupt
from tests.fakes.oai_repository import Repository

log = logging.getLogger("research_index.tests.fake_oai")

_FAULT = re.compile(
    r"^(?:[a-z][A-Za-z]+|503(?:[:@]\d+(?:\.\d+)?)?|\d{3}|(?:slow|drip):\d+(?:\.\d+)?|size\+\d+)$"
)


@dataclass(frozen=True)
class LoggedRequest:
    """One request as the server saw it, and the fault it was answered with (None: normal)."""

    ordinal: int
    path: str
    raw_query: str
    query: dict[str, list[str]]
    verb: str | None
    page: int | None
    fault: str | None
    at: float = field(default_factory=time.monotonic)


def _check(fault: str) -> str:
    if not _FAULT.match(fault):
        raise ValueError(f"unknown fault {fault!r}")
    return fault


class FakeOAI(LoopbackFake, Repository):
    """The fake repository; started on construction, stopped by ``stop()`` or leaving ``with``."""

    def __init__(self, data_dir: Path, mode: str = "cerif", **options: Any) -> None:
        super().__init__(data_dir, mode, **options)
        self.requests: list[LoggedRequest] = []
        self._start(_Handler, "/oai", _check, "fake OAI")

    def verbs(self) -> list[str | None]:
        return [r.verb for r in self.requests]

    # -- used by the handler --------------------------------------------------------------------

    def _log(self, path: str, raw: str, query: dict[str, list[str]]) -> LoggedRequest:
        verb = next(iter(query.get("verb") or []), None)
        with self._lock:
            page = self.page_of(verb, query)
            ordinal = len(self.requests) + 1
            fault = self._pick_fault(ordinal, page)
            entry = LoggedRequest(ordinal, path, raw, query, verb, page, fault)
            self.requests.append(entry)
            return entry


class _Handler(LoopbackHandler):
    def do_GET(self) -> None:
        fake = self.server.fake
        parts = urlsplit(self.path)
        query = parse_qs(parts.query, keep_blank_values=True)
        entry = fake._log(parts.path, parts.query, query)
        fault = entry.fault or ""
        if fault.startswith("slow:"):
            if fake._stopping.wait(float(fault[5:])):
                self.close_connection = True
                return
            fault = ""
        if parts.path != "/oai":
            return self._send(404, b"not found", "text/plain")
        if fake.broken_sets and fake.set_of(query) in fake.broken_sets:
            return self._send(500, b"cannot serialise a record", "text/plain")
        if fault == "reset":
            return reset_connection(self)
        if fault == "redirect":
            return redirect_loop(self)
        if fault.startswith("drip:"):
            return drip(self, fake.answer(query, ""), "text/xml", float(fault[5:]))
        if fault in RECORD_FAULTS:
            return self._send(200, corrupt(fake.answer(query, ""), fault))
        if fault.startswith("503"):
            delay = fault[4:] or "1"
            when = datetime.now(UTC) + timedelta(seconds=float(delay))
            retry_after = format_datetime(when, usegmt=True) if fault[3:4] == "@" else delay
            return self._send(503, b"busy", "text/plain", {"Retry-After": retry_after})
        if fault[:3].isdigit():
            return self._send(int(fault[:3]), b"scripted failure", "text/plain")
        if fault == "broken":
            return self._send(200, (fake.fixtures / "ListRecordsBroken.xml").read_bytes())
        body = fake.answer(query, fault)
        if fault == "truncated":
            body = body[: len(body) // 2]
        if fault == "cut":
            self._send_head(200, len(body) + 1000, "text/xml; charset=utf-8")
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self._send(200, body)

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str = "text/xml; charset=utf-8",
        headers: dict[str, str] | None = None,
    ) -> None:
        self._send_head(status, len(body), content_type, headers)
        self.wfile.write(body)

    def _send_head(
        self, status: int, length: int, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(length))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
