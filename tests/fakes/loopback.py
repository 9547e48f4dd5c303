"""What every loopback fake shares: a threaded HTTP server on 127.0.0.1, scripted faults, and
a clean stop that also wakes handler threads blocked on keep-alive reads.

A fake calls ``_start(handler, path, check, name)`` once its own state (and ``self._lock``) is
ready. Faults are scripted per page (``script([...], page=2)``), per request ordinal
(``request=N``: the Nth request and those after it), for the next requests whatever they are,
or for every request (``fail_every_request``); ``check`` validates a fault string when it is
scripted, so a typo fails the test at once. ``reset_connection``, ``drip`` and
``redirect_loop`` are transport faults both fakes offer (``reset``, ``drip:S``, ``redirect``).
"""

from __future__ import annotations

import contextlib
import logging
import socket
import struct
import threading
from collections import deque
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

log = logging.getLogger("research_index.tests.fakes")


class LoopbackServer(ThreadingHTTPServer):
    daemon_threads = True
    fake: Any
    name = "fake"

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("%s: connection from %s ended with an error", self.name, client_address)


class LoopbackHandler(BaseHTTPRequestHandler):
    """Keeps track of its connection so ``stop()`` can wake it from a keep-alive read."""

    protocol_version = "HTTP/1.1"
    timeout = 10  # an idle keep-alive connection is dropped after this many seconds
    disable_nagle_algorithm = True  # headers and body go in two writes: no 40 ms ACK stalls
    server: LoopbackServer

    def setup(self) -> None:
        super().setup()
        with self.server.fake._lock:
            self.server.fake._connections.add(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            with self.server.fake._lock:
                self.server.fake._connections.discard(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug(f"{self.server.name}: " + format, *args)


class LoopbackFake:
    _lock: Any  # a Lock or RLock the fake creates before ``_start``

    def _start(
        self,
        handler: type[BaseHTTPRequestHandler],
        path: str,
        check: Callable[[str], str],
        name: str,
    ) -> None:
        self._check_fault = check
        self._stopping = threading.Event()
        self._by_page: dict[int, deque[str]] = {}
        self._by_ordinal: dict[int, str] = {}
        self._next: deque[str] = deque()
        self._always: str | None = None
        self._connections: set[socket.socket] = set()
        self._server = LoopbackServer(("127.0.0.1", 0), handler)
        self._server.fake = self
        self._server.name = name
        self.port = self._server.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}{path}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def script(
        self, faults: Iterable[str], *, page: int | None = None, request: int | None = None
    ) -> None:
        """Queue faults for a page, for request ordinals from ``request`` on, or the next."""
        items = [self._check_fault(f) for f in faults]
        with self._lock:
            if page is not None:
                self._by_page.setdefault(page, deque()).extend(items)
            elif request is not None:
                for i, fault in enumerate(items):
                    self._by_ordinal[request + i] = fault
            else:
                self._next.extend(items)

    def fail_every_request(self, fault: str | None = "503") -> None:
        """Permanent mode: every request gets ``fault`` (None turns it off)."""
        with self._lock:
            self._always = None if fault is None else self._check_fault(fault)

    def _pick_fault(self, ordinal: int, page: int | None) -> str | None:
        """The fault for this request (call with ``self._lock`` held)."""
        fault = self._always or self._by_ordinal.pop(ordinal, None)
        if fault is None and page is not None and self._by_page.get(page):
            fault = self._by_page[page].popleft()
        if fault is None and self._next:
            fault = self._next.popleft()
        return fault

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:  # wake handler threads blocked on a keep-alive read
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def reset_connection(handler: BaseHTTPRequestHandler) -> None:
    """Abort the connection with a TCP RST (SO_LINGER 0), as a crashing server or proxy does."""
    handler.close_connection = True
    with contextlib.suppress(OSError):
        handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        handler.connection.close()


def drip(
    handler: LoopbackHandler,
    body: bytes,
    content_type: str,
    delay: float,
) -> None:
    """Answer 200 with ``body`` one byte at a time, ``delay`` seconds apart (a slowloris)."""
    handler.send_response(200)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.flush()
    stopping = handler.server.fake._stopping
    for i in range(len(body)):
        if stopping.wait(delay):
            break
        try:
            handler.wfile.write(body[i : i + 1])
            handler.wfile.flush()
        except OSError:
            break
    handler.close_connection = True


def redirect_loop(handler: BaseHTTPRequestHandler) -> None:
    """Answer 302 pointing back at the same URL (a redirect loop)."""
    handler.send_response(302)
    handler.send_header("Location", handler.path)
    handler.send_header("Content-Length", "0")
    handler.end_headers()
