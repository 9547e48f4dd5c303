"""``research-index update`` and the status it leaves, end to end on loopback sources.

A fake SweCRIS API and a fake OAI-PMH CERIF repository serve the shared samples; the tests run
the update as cron would (the CLI, or subprocesses for the lock), change or break a source
between runs, and check exit codes, what is searchable, which index version is served, and
what ``research-index status``, ``GET /status`` and ``GET /api/v1/status`` report.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from indexer.building.versions import IndexLocation
from indexer.service.request import SearchRequest
from indexer.service.search import SearchService
from tests.fakes.oai_server import FakeOAI
from tests.fakes.swecris_server import FakeSwecris
from webapp import create_app
from webapp.cli import main

TOKEN = "update-token"
PROJECT = "oai:cris.example.org:Projects/112347"
OLD_NAME = "European Facility for Airborne Research"


@pytest.fixture
def sources(
    shared_data: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[FakeSwecris, FakeOAI]]:
    with FakeSwecris(shared_data, token=TOKEN) as swecris, FakeOAI(shared_data) as cris:
        (home / "sources.toml").write_text(
            '[sources.swecris]\nkind = "swecris"\nbase_url = "https://swecris.invalid/v1"\n'
            f'[sources.cris]\nkind = "oai-cerif"\nbase_url = "{cris.base_url}"\n'
            '[sources.facilities]\nkind = "facility-list"\n',
            encoding="utf-8",
        )
        env = {
            "NO_PROXY": "127.0.0.1,localhost",
            "SWECRIS_BASE_URL": swecris.base_url,
            "SWECRIS_TOKEN": TOKEN,
            "SWECRIS_PAGE_SIZE": "100",
            "RESEARCH_INDEX_HTTP_TIMEOUT": "1",
            "RESEARCH_INDEX_RETRY_BUDGET": "2",
            "RESEARCH_INDEX_MAX_RETRIES": "2",
        }
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        yield swecris, cris


def update(home: Path, capsys: pytest.CaptureFixture[str], *flags: str) -> tuple[int, dict]:
    capsys.readouterr()
    code = main(["--home", str(home), "update", "--json", "--procs", "1", *flags])
    return code, json.loads(capsys.readouterr().out)


def status(home: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    capsys.readouterr()
    assert main(["--home", str(home), "status", "--json"]) == 0
    return json.loads(capsys.readouterr().out)  # type: ignore[no-any-return]


def served(home: Path) -> str | None:
    path = IndexLocation(home / "index").current_path()
    return path.name if path else None


def found(home: Path, q: str) -> int:
    return SearchService(home / "index").search(SearchRequest(q=q)).total


def source(report: dict[str, Any], name: str) -> dict[str, Any]:
    return next(s for s in report["sources"] if s["name"] == name)


def rename_cris_project(cris: FakeOAI, new: str) -> None:
    metadata = cris.record(PROJECT).metadata
    assert metadata is not None and OLD_NAME in metadata
    cris.touch(PROJECT, metadata=metadata.replace(OLD_NAME, new))


def test_update_twice_then_a_change_at_each_source(
    sources: tuple[FakeSwecris, FakeOAI], home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    swecris, cris = sources
    code, first = update(home, capsys)
    assert code == 0, first
    assert first["status"] == "ok" and first["index"]["published"]
    assert {s["name"]: s["status"] for s in first["sources"]} == {
        "swecris": "ok",
        "cris": "ok",
        "facilities": "skipped",
    }
    version = served(home)
    assert version == first["index"]["version"]

    code, second = update(home, capsys)
    assert code == 0
    assert second["index"]["mode"] == "unchanged" and not second["index"]["published"]
    assert served(home) == version

    swecris.rows[0] = {**swecris.rows[0], "projectTitleEn": "Quokkaresearch on seaweed"}
    rename_cris_project(cris, "Renamed Zeppelinfacility for Research")
    code, third = update(home, capsys)
    assert code == 0
    assert third["index"]["mode"] == "incremental" and third["index"]["published"]
    assert source(third, "swecris")["counts"]["changed"] == 1
    assert source(third, "cris")["counts"]["changed"] >= 1
    assert served(home) != version
    assert found(home, "Quokkaresearch") == 1
    assert found(home, "Zeppelinfacility") == 1
    site = create_app({"INDEX_DIR": str(home / "index"), "TESTING": True}).test_client()
    assert "Quokkaresearch on seaweed" in site.get("/search?q=quokkaresearch").get_data(True)
    assert site.get("/status").status_code == 200

    report = status(home, capsys)
    assert report["index"]["version"] == served(home)
    by_name = {s["name"]: s for s in report["sources"]}
    for name in ("swecris", "cris"):
        assert len(by_name[name]["recent_runs"]) == 3
        assert by_name[name]["last_success"]["id"] == by_name[name]["last_attempt"]["id"]
    assert by_name["facilities"]["last_attempt"] is None
    kinds = [r["kind"] for r in report["runs"]]
    assert kinds.count("update") == 3 and kinds.count("index") == 3
    assert main(["--home", str(home), "status"]) == 0
    assert "swecris (swecris, enabled)" in capsys.readouterr().out


def test_a_source_that_is_down_does_not_stop_the_other(
    sources: tuple[FakeSwecris, FakeOAI], home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    swecris, cris = sources
    assert update(home, capsys)[0] == 0
    swecris.fail_every_request("503")
    rename_cris_project(cris, "Renamed Zeppelinfacility for Research")
    t0 = time.monotonic()
    code, report = update(home, capsys)
    assert code == 9
    assert time.monotonic() - t0 < 20
    assert report["status"] == "partial" and report["index"]["published"]
    assert source(report, "swecris")["status"] == "failed"
    assert found(home, "Zeppelinfacility") == 1
    by_name = {s["name"]: s for s in status(home, capsys)["sources"]}
    last = by_name["swecris"]["last_attempt"]
    assert last["status"] == "failed" and last["errors"]
    assert by_name["swecris"]["last_success"]["id"] < last["id"]
    assert by_name["cris"]["last_attempt"]["status"] == "ok"


def test_a_source_returning_40_percent_is_not_committed(
    sources: tuple[FakeSwecris, FakeOAI], home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    swecris, _ = sources
    assert update(home, capsys)[0] == 0
    version = served(home)
    before = len(swecris.rows)
    del swecris.rows[int(before * 0.4) :]
    code, report = update(home, capsys)
    assert code == 9
    # nothing of the source was committed, so the store and the index are as they were
    assert report["index"]["mode"] == "unchanged" and served(home) == version
    last = {s["name"]: s for s in status(home, capsys)["sources"]}["swecris"]["last_attempt"]
    assert last["status"] == "failed" and "--allow-shrink" in last["errors"][0]


def test_the_index_shrink_guard(
    sources: tuple[FakeSwecris, FakeOAI], home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    swecris, _ = sources
    assert update(home, capsys)[0] == 0
    version = served(home)
    del swecris.rows[10:]
    assert main(["--home", str(home), "harvest", "swecris", "--quiet", "--allow-shrink"]) == 0
    assert main(["--home", str(home), "index", "--quiet", "--procs", "1"]) == 8
    assert "--allow-shrink" in capsys.readouterr().err
    code, report = update(home, capsys)
    assert code == 10
    assert report["status"] == "failed" and report["index"] is None
    assert "--allow-shrink" in report["index_error"]
    assert served(home) == version
    assert len(list((home / "index" / "versions").iterdir())) == 1  # refused builds left nothing
    runs = status(home, capsys)["runs"]
    last_update = next(r for r in runs if r["kind"] == "update")
    last_index = next(r for r in runs if r["kind"] == "index")
    assert last_update["status"] == "failed" and "index: " in last_update["errors"][0]
    assert last_index["status"] == "failed" and "--allow-shrink" in last_index["errors"][0]
    code, report = update(home, capsys, "--allow-shrink")
    assert code == 0 and report["index"]["published"]
    assert served(home) != version
    assert report["index"]["doc_count"] < 30


def test_two_updates_at_once_one_exits_busy(
    sources: tuple[FakeSwecris, FakeOAI], home: Path
) -> None:
    swecris, _ = sources
    swecris.script(["slow:3"], page=1)
    cmd = [sys.executable, "-m", "webapp.cli", "--home", str(home), "update", "--quiet"]
    cmd += ["--procs", "1"]
    env = {**os.environ}
    first = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while not swecris.requests and time.monotonic() < deadline:
            time.sleep(0.05)
        t0 = time.monotonic()
        second = subprocess.run(cmd, env=env, stderr=subprocess.PIPE, text=True, timeout=30)
        assert second.returncode == 5
        assert time.monotonic() - t0 < 2.5  # at once, not after waiting for the first
        assert "another run holds the update lock" in second.stderr
        assert "pid" in second.stderr
    finally:
        _, err = first.communicate(timeout=60)
    assert first.returncode == 0, err


def test_status_page_and_api(
    sources: tuple[FakeSwecris, FakeOAI], home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    swecris, _ = sources
    assert update(home, capsys)[0] == 0
    swecris.fail_every_request("503")
    assert update(home, capsys)[0] == 9
    app = create_app({"INDEX_DIR": str(home / "index"), "TESTING": True})
    client = app.test_client()
    version = served(home)
    assert version

    response = client.get("/api/v1/status")
    assert response.status_code == 200
    body = response.get_json()
    assert body["index"]["version"] == version
    by_name = {s["name"]: s for s in body["sources"]}
    assert by_name["swecris"]["last_attempt"]["status"] == "failed"
    assert by_name["cris"]["last_success"]["status"] == "ok"
    assert {r["kind"] for r in body["runs"]} == {"update", "index"}

    page = client.get("/status?lang=en")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert version in html and "Last attempt" in html and "failed" in html
    assert 'data-testid="errors-swecris"' in html
    assert "Senaste försök" in client.get("/status?lang=sv").get_data(as_text=True)
    assert 'href="/status"' in client.get("/search").get_data(as_text=True)


def test_status_without_anything_yet(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = status(home, capsys)
    assert report["index"] is None
    assert {s["name"] for s in report["sources"]} >= {"swecris"}
    assert all(s["last_attempt"] is None for s in report["sources"])
    app = create_app({"INDEX_DIR": str(home / "index"), "TESTING": True})
    page = app.test_client().get("/status")
    assert page.status_code == 200 and "No index is published yet." in page.get_data(as_text=True)
    assert not (home / "records.sqlite3").exists()
