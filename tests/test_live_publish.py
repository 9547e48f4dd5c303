"""The running site keeps answering while `update` publishes, and while updates are killed.

A real waitress server on 127.0.0.1 serves the index of a data folder fed by the loopback
SweCRIS server; client threads search it continuously while `research-index update` runs as
a subprocess, publishes new versions, and is SIGKILLed at several points. No request may fail,
and the site must end on a complete index.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import waitress

from harvesters.store.database import RecordStore
from tests.fakes.swecris_server import FakeSwecris
from webapp import create_app

REPO = Path(__file__).resolve().parent.parent
TOKEN = "live-token"
KILL_AFTER = (0.15, 0.4, 0.8, 1.3, 2.0)


@pytest.fixture
def source(shared_data: Path) -> Iterator[FakeSwecris]:
    with FakeSwecris(shared_data, token=TOKEN) as fake:
        yield fake


def _env(fake: FakeSwecris) -> dict[str, str]:
    return {
        **os.environ,
        "SWECRIS_BASE_URL": fake.base_url,
        "SWECRIS_TOKEN": TOKEN,
        "SWECRIS_PAGE_SIZE": "50",
        "NO_PROXY": "127.0.0.1,localhost",
        "RESEARCH_INDEX_HTTP_TIMEOUT": "5",
    }


def _update(home: Path, fake: FakeSwecris) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "webapp.cli",
            "--home",
            str(home),
            "update",
            "--quiet",
            "--procs",
            "1",
        ],
        cwd=REPO,
        env=_env(fake),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _retitle(fake: FakeSwecris, marker: str) -> None:
    for i in range(0, len(fake.rows), 7):
        fake.rows[i] = {**fake.rows[i], "projectTitleEn": f"Glacier zq{marker} study {i}"}


class Searcher(threading.Thread):
    """Searches the site until stopped; records every failure and every version seen."""

    def __init__(self, base: str) -> None:
        super().__init__(daemon=True)
        self.base = base
        self.stop = threading.Event()
        self.failures: list[str] = []
        self.requests = 0
        self.versions: set[str] = set()

    def run(self) -> None:
        urls = ("/api/v1/search?q=fisk&size=5", "/search?q=glacier", "/api/v1/status")
        while not self.stop.is_set():
            for path in urls:
                try:
                    with urllib.request.urlopen(self.base + path, timeout=10) as response:
                        body = response.read()
                        if path.startswith("/api/v1/search"):
                            self.versions.add(json.loads(body)["index_version"])
                except (urllib.error.URLError, OSError, ValueError) as exc:
                    self.failures.append(f"{path}: {exc}")
                self.requests += 1


def test_site_answers_through_publishes_and_killed_updates(
    source: FakeSwecris, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    first = _update(home, source)
    assert first.wait(timeout=120) == 0
    server = waitress.create_server(
        create_app({"INDEX_DIR": str(home / "index")}), host="127.0.0.1", port=0, threads=4
    )
    stopping = threading.Event()

    def run() -> None:
        try:
            server.run()
        except OSError:  # close() from this thread can pull a socket from under select()
            if not stopping.is_set():
                raise

    serving = threading.Thread(target=run, daemon=True)
    serving.start()
    searchers = [Searcher(f"http://127.0.0.1:{server.effective_port}") for _ in range(3)]
    for s in searchers:
        s.start()
    try:
        _retitle(source, "alpha")
        assert _update(home, source).wait(timeout=120) == 0  # a normal publish
        for n, delay in enumerate(KILL_AFTER):
            _retitle(source, f"kill{n}")
            victim = _update(home, source)
            time.sleep(delay)
            victim.send_signal(signal.SIGKILL)
            victim.wait(timeout=30)
        _retitle(source, "omega")
        assert _update(home, source).wait(timeout=120) == 0  # recovers after the kills
        time.sleep(0.5)
    finally:
        for s in searchers:
            s.stop.set()
        for s in searchers:
            s.join(timeout=30)
        stopping.set()
        server.close()
        serving.join(timeout=10)
    failures = [f for s in searchers for f in s.failures]
    total = sum(s.requests for s in searchers)
    print(
        f"{total} requests, {len(failures)} failed, "
        f"{len({v for s in searchers for v in s.versions})} index versions seen"
    )
    assert failures == []
    assert sum(s.requests for s in searchers) > 50
    assert len({v for s in searchers for v in s.versions}) >= 2
    client = create_app({"INDEX_DIR": str(home / "index"), "TESTING": True}).test_client()
    status = client.get("/api/v1/status").get_json()
    with RecordStore(home / "records.sqlite3") as store:  # projects and the registry's
        facilities = status["index"]["facilities"]["facilities"]
        assert status["index"]["doc_count"] == store.count(kind="project") + facilities
    result = client.get("/api/v1/search?q=zqomega&size=100&kind=project").get_json()
    assert result["total"] == len(range(0, len(source.rows), 7))
