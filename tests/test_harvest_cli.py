"""``research-index harvest swecris`` end to end, against the loopback SweCRIS server.

The command runs as a user or cron runs it (in-process through ``main`` and as a real
subprocess), with the base URL and token from the environment.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harvesters.store.database import RecordStore
from tests.fakes.swecris_server import FakeSwecris
from webapp.cli import main

TOKEN = "cli-token"


@pytest.fixture
def server(shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSwecris]:
    with FakeSwecris(shared_data, token=TOKEN) as fake:
        env = {
            "NO_PROXY": "127.0.0.1,localhost",
            "SWECRIS_BASE_URL": fake.base_url,
            "SWECRIS_TOKEN": TOKEN,
            "SWECRIS_PAGE_SIZE": "40",
            "RESEARCH_INDEX_HTTP_TIMEOUT": "1",
            "RESEARCH_INDEX_RETRY_BUDGET": "3",
            "RESEARCH_INDEX_MAX_RETRIES": "3",
        }
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        yield fake


def _harvest(home: Path, *args: str) -> int:
    return main(["--home", str(home), "harvest", "swecris", "--quiet", *args])


def test_harvest_stores_every_project_and_a_rerun_changes_nothing(
    server: FakeSwecris, home: Path, capsys
) -> None:
    served = {r["projectId"] for r in server.rows}
    assert _harvest(home, "--json") == 0
    first = json.loads(capsys.readouterr().out)
    assert first["counts"]["fetched"] == len(server.rows)
    assert first["complete"] is True
    with RecordStore(home / "records.sqlite3") as store:
        assert {s.id for s in store.iter_records("swecris")} == served
        payloads = list(store.payloads(first["run_id"]))
    assert len(payloads) == -(-len(server.rows) // 40)
    assert all(p.label.startswith(server.base_url) for p in payloads)
    assert _harvest(home, "--json") == 0
    second = json.loads(capsys.readouterr().out)
    assert second["counts"]["unchanged"] == len(served)
    assert second["counts"]["new"] == second["counts"]["changed"] == 0


def test_project_gone_at_the_source_is_withdrawn(server: FakeSwecris, home: Path) -> None:
    assert _harvest(home) == 0
    gone = server.rows.pop(0)["projectId"]
    assert _harvest(home) == 0
    with RecordStore(home / "records.sqlite3") as store:
        assert store.get("swecris", gone).status == "withdrawn"  # type: ignore[union-attr]


def test_source_returning_40_percent_is_refused(server: FakeSwecris, home: Path, capsys) -> None:
    assert _harvest(home) == 0
    before = len(server.rows)
    del server.rows[int(before * 0.4) :]
    assert _harvest(home) == 4
    assert "--allow-shrink" in capsys.readouterr().err
    with RecordStore(home / "records.sqlite3") as store:
        assert store.count("swecris") == before
        assert store.runs("swecris")[0].status == "failed"


def test_rotated_token_fails_with_exit_3_and_says_where_to_look(
    server: FakeSwecris, home: Path, monkeypatch, capsys
) -> None:
    monkeypatch.setenv("SWECRIS_TOKEN", "VRSwecrisAPI2025-1")
    assert _harvest(home) == 3
    err = capsys.readouterr().err
    assert "https://www.vr.se/english/swecris/swecris-api.html" in err
    assert "SWECRIS_TOKEN" in err
    assert len(server.requests) == 1


def test_unavailable_source_fails_loudly_within_its_budget(
    server: FakeSwecris, home: Path, capsys
) -> None:
    server.fail_every_request("503")
    t0 = time.monotonic()
    assert _harvest(home) == 3
    assert time.monotonic() - t0 < 10
    assert "failed" in capsys.readouterr().err
    with RecordStore(home / "records.sqlite3") as store:
        run = store.runs("swecris")[0]
    assert run.status == "failed"
    assert run.errors


def test_sigkill_mid_harvest_leaves_the_store_and_the_next_run_completes(
    server: FakeSwecris, home: Path
) -> None:
    assert _harvest(home) == 0
    with RecordStore(home / "records.sqlite3") as store:
        before = [(s.id, s.hash) for s in store.iter_records()]
    server.rows[0] = {**server.rows[0], "projectTitleEn": "Changed at the source"}
    server.script(["slow:30"], page=3)
    env = {**os.environ, "RESEARCH_INDEX_HTTP_TIMEOUT": "60"}
    seen = len(server.pages())
    proc = subprocess.Popen(
        [sys.executable, "-m", "webapp.cli", "--home", str(home), "harvest", "swecris"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while 3 not in server.pages()[seen:] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert 3 in server.pages()[seen:], "the harvest never reached page 3"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    with RecordStore(home / "records.sqlite3") as store:
        assert [(s.id, s.hash) for s in store.iter_records()] == before
    assert _harvest(home) == 0
    with RecordStore(home / "records.sqlite3") as store:
        statuses = [r.status for r in store.runs("swecris")]
        changed = store.get("swecris", server.rows[0]["projectId"])
    assert statuses[:2] == ["ok", "killed"]
    assert changed is not None and changed.record.title.en == "Changed at the source"


def test_two_harvests_at_once_one_exits_busy(server: FakeSwecris, home: Path) -> None:
    server.script(["slow:3"], page=1)
    env = {**os.environ}
    cmd = [
        sys.executable,
        "-m",
        "webapp.cli",
        "--home",
        str(home),
        "harvest",
        "swecris",
        "--quiet",
    ]
    first = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while not server.requests and time.monotonic() < deadline:
            time.sleep(0.05)
        second = subprocess.run(cmd, env=env, stderr=subprocess.PIPE, text=True, timeout=30)
        assert second.returncode == 5
        assert "another run holds the store lock" in second.stderr
    finally:
        _, _ = first.communicate(timeout=60)
    assert first.returncode == 0
