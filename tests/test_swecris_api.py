"""SweCRIS paging and the HTTP client, over real loopback HTTP against ``tests.fakes``.

Nothing is mocked: every request crosses a socket to ``FakeSwecris``, which serves the recorded
public rows and injects scripted faults (429, 503 with an HTTP-date, cuts, bad JSON, moving
totals, slowness). Timeouts and Retry-After values are small so the whole file stays fast.
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from harvesters.core.config import SWECRIS_TOKEN_PAGE, Config
from harvesters.core.errors import AuthenticationError, SourceProtocolError, SourceUnavailable
from harvesters.core.progress import Progress
from harvesters.sources.http import (
    DEFAULT_USER_AGENT,
    HttpClient,
    HttpStatusError,
    parse_retry_after,
)
from harvesters.sources.swecris.api import fetch_project, fetch_search_pages
from harvesters.sources.swecris.normalise import rows_from_json
from tests.fakes.swecris_server import FakeSwecris

TOKEN = "test-token-2026"
SIZE = 50


def _expected_ids(shared_data: Path) -> set[str]:
    """The projectIds the server should hand out, read straight from the recorded files."""
    folder = shared_data / "swecris"
    with (folder / "scp_search_response_scb40107.json").open(encoding="utf-8") as fh:
        search = json.load(fh)["result"]
    with (folder / "c2b2_marine_projects_2019on.json").open(encoding="utf-8") as fh:
        marine = json.load(fh)
    return {row["projectId"] for row in search} | {row["projectId"] for row in marine}


@pytest.fixture
def server(shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSwecris]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    with FakeSwecris(shared_data, token=TOKEN) as fake:
        yield fake


@pytest.fixture
def cfg(config: Config, server: FakeSwecris) -> Config:
    return dataclasses.replace(
        config,
        swecris_base_url=server.base_url,
        swecris_token=TOKEN,
        swecris_page_size=SIZE,
        timeout=1.0,
        retry_budget=10.0,
        max_retries=3,
    )


def _ids(payloads: list) -> list[str]:
    return [row["projectId"] for p in payloads for row in rows_from_json(p.body)[0]]


def _timed(cfg: Config, **kwargs: object) -> tuple[list, float]:
    started = time.monotonic()
    payloads = fetch_search_pages(cfg, **kwargs)  # type: ignore[arg-type]
    return payloads, time.monotonic() - started


# -- the happy path ----------------------------------------------------------------------------


def test_harvest_gets_every_record(cfg: Config, server: FakeSwecris, shared_data: Path) -> None:
    expected = _expected_ids(shared_data)
    assert len(expected) == 247  # 130 + 138 recorded rows, 21 ids in both files
    progress = Progress("swecris", quiet=True)
    payloads = fetch_search_pages(cfg, progress=progress)
    ids = _ids(payloads)
    assert len(ids) == len(expected)
    assert set(ids) == expected
    pages = math.ceil(len(expected) / SIZE)
    assert len(payloads) == pages
    assert (progress.total, progress.done) == (len(expected), len(expected))
    for n, payload in enumerate(payloads, start=1):
        assert payload.content_type == "application/json"
        assert payload.label == f"{server.base_url}/scp/search?page={n}&size={SIZE}"
    assert server.pages() == list(range(1, pages + 1))
    assert {r.size for r in server.requests} == {SIZE}


def test_headers_reach_the_server(cfg: Config, server: FakeSwecris) -> None:
    fetch_search_pages(cfg)
    for request in server.requests:
        headers = {k.lower(): v for k, v in request.headers.items()}
        assert headers["user-agent"] == DEFAULT_USER_AGENT
        assert "research-index" in headers["user-agent"]
        assert headers["authorization"] == f"Bearer {TOKEN}"
        assert headers["accept"] == "application/json"


def test_search_parameters_are_passed(cfg: Config, server: FakeSwecris) -> None:
    payloads = fetch_search_pages(cfg, search={"searchText": "fish"})
    query = server.requests[0].query
    assert query["searchText"] == ["fish"]
    assert query["page"] == ["1"] and query["size"] == [str(SIZE)]
    rows = [row for p in payloads for row in rows_from_json(p.body)[0]]
    assert 0 < len(rows) < len(server.rows)
    assert len(rows) == rows_from_json(payloads[0].body)[1]


def test_fetch_project_with_a_slash_in_its_id(cfg: Config, server: FakeSwecris) -> None:
    payload = fetch_project(cfg, "42/2019_OS")
    assert payload.label.endswith("/projects/42%2F2019_OS")
    assert rows_from_json(payload.body)[0][0]["projectId"] == "42/2019_OS"
    with pytest.raises(HttpStatusError) as info:
        fetch_project(cfg, "no-such-project_VR")
    assert info.value.status == 404


# -- retried faults that recover ---------------------------------------------------------------


def test_429_retry_after_seconds_is_honoured(cfg: Config, server: FakeSwecris) -> None:
    server.script(["429:1"], page=2)
    payloads, elapsed = _timed(cfg)
    assert len(_ids(payloads)) == 247
    assert elapsed >= 0.95
    assert server.pages() == [1, 2, 2, 3, 4, 5]
    waited = server.requests[2].at - server.requests[1].at
    assert waited >= 0.95


def test_503_with_an_http_date_is_honoured(cfg: Config, server: FakeSwecris) -> None:
    server.script(["503:2"], page=1)  # the date is whole seconds, so the wait is 1-2 s
    payloads, elapsed = _timed(cfg)
    assert len(_ids(payloads)) == 247
    assert 0.9 <= elapsed < 5
    assert server.pages()[:2] == [1, 1]


@pytest.mark.parametrize("faults", [["500"], ["502", "504"], ["cut"], ["slow:3"]])
def test_transient_faults_are_retried(cfg: Config, server: FakeSwecris, faults: list[str]) -> None:
    server.script(faults, page=3)
    cfg = dataclasses.replace(cfg, timeout=0.5)
    payloads = fetch_search_pages(cfg)
    assert set(_ids(payloads)) == {row["projectId"] for row in server.rows}
    assert server.pages().count(3) == len(faults) + 1
    assert [r.fault for r in server.requests if r.page == 3] == [*faults, None]


def test_bad_json_that_recovers(cfg: Config, server: FakeSwecris) -> None:
    server.script(["badjson", "badjson"], page=2)
    assert len(_ids(fetch_search_pages(cfg))) == 247
    assert server.pages().count(2) == 3


def test_total_that_moves_once_restarts_the_walk(cfg: Config, server: FakeSwecris) -> None:
    server.script(["total+3"], page=3)
    progress = Progress("swecris", quiet=True)
    payloads = fetch_search_pages(cfg, progress=progress)
    assert len(_ids(payloads)) == 247 and len(payloads) == 5
    assert server.pages() == [1, 2, 3, 1, 2, 3, 4, 5]
    assert progress.done == 247


# -- faults that must fail the run -------------------------------------------------------------


@pytest.mark.parametrize("how", ["wrong token", "403"])
def test_refused_token_fails_at_once(cfg: Config, server: FakeSwecris, how: str) -> None:
    if how == "wrong token":
        cfg = dataclasses.replace(cfg, swecris_token="VRSwecrisAPI2019-1")
        status = 401
    else:
        server.script([how])
        status = 403
    with pytest.raises(AuthenticationError) as info:
        fetch_search_pages(cfg)
    message = str(info.value)
    assert SWECRIS_TOKEN_PAGE in message
    assert f"HTTP {status}" in message and "SWECRIS_TOKEN" in message
    assert "VRSwecrisAPI2019-1" not in message
    assert len(server.requests) == 1  # no retry


def test_bad_json_that_persists_fails(cfg: Config, server: FakeSwecris) -> None:
    server.script(["badjson"] * 3, page=2)
    with pytest.raises(SourceProtocolError, match="page 2 was not usable JSON after 3 attempts"):
        fetch_search_pages(cfg)
    assert server.pages() == [1, 2, 2, 2]


def test_total_that_moves_on_every_walk_fails(cfg: Config, server: FakeSwecris) -> None:
    server.script(["total+1", "total+2"], page=2)
    with pytest.raises(SourceProtocolError, match="total moved"):
        fetch_search_pages(cfg)
    assert server.pages() == [1, 2, 1, 2]


@pytest.mark.parametrize(
    ("fault", "match"),
    [
        ("rows:0", "page 2 is empty after 50 of 247"),
        ("oversize", "51 rows, more than the page size 50"),
    ],
)
def test_malformed_pages_fail(cfg: Config, server: FakeSwecris, fault: str, match: str) -> None:
    server.script([fault], page=2)
    with pytest.raises(SourceProtocolError, match=match):
        fetch_search_pages(cfg)


def test_paging_stops_at_the_page_limit(cfg: Config, server: FakeSwecris) -> None:
    server.fail_every_request("cap:10")  # a server that pages by 10 whatever we ask
    with pytest.raises(SourceProtocolError, match="within 7 pages"):
        fetch_search_pages(cfg)
    assert server.pages() == [1, 2, 3, 4, 5, 6, 7]


def test_permanent_failure_fails_within_the_budget(cfg: Config, server: FakeSwecris) -> None:
    server.fail_every_request("503")
    cfg = dataclasses.replace(cfg, retry_budget=2.0, max_retries=50)
    started = time.monotonic()
    with pytest.raises(SourceUnavailable) as info:
        fetch_search_pages(cfg)
    elapsed = time.monotonic() - started
    assert 1.5 <= elapsed < 2.0 + cfg.timeout + 0.5
    message = str(info.value)
    assert f"{server.base_url}/scp/search?page=1&size=50" in message
    assert f"after {len(server.requests)} attempt(s)" in message
    assert "budget" in message and "HTTP 503" in message


def test_a_server_slower_than_the_timeout_fails(cfg: Config, server: FakeSwecris) -> None:
    server.fail_every_request("slow:5")
    cfg = dataclasses.replace(cfg, timeout=0.3, max_retries=2)
    started = time.monotonic()
    with pytest.raises(SourceUnavailable, match=r"after 3 attempt\(s\).*Timeout") as info:
        fetch_search_pages(cfg)
    assert time.monotonic() - started < 3.0
    assert "no retries left" in str(info.value)
    assert len(server.requests) == 3


# -- the client on its own ---------------------------------------------------------------------


def test_garbage_retry_after_falls_back_to_backoff(server: FakeSwecris) -> None:
    server.script(["429:soon", "429:3600"])
    with HttpClient(timeout=1.0, max_retries=3, retry_budget=5.0, max_retry_after=0.2) as client:
        started = time.monotonic()
        response = client.get(
            f"{server.base_url}/projects/42%2F2019_OS", headers={"Authorization": f"Bearer {TOKEN}"}
        )
        elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert 0.2 <= elapsed < 1.5  # backoff 0.25-0.5 s, then the hour clamped to 0.2 s
    assert len(server.requests) == 3


def test_parse_retry_after_forms() -> None:
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("7", now) == 7.0
    assert parse_retry_after(format_datetime(now + timedelta(seconds=30), usegmt=True), now) == 30.0
    assert parse_retry_after("Thu, 01 Jan 2026 11:00:00 GMT", now) == 0.0
    for garbage in (None, "", "soon", "-5", "1.5e3", "Thu, 99 Foo 2026"):
        assert parse_retry_after(garbage, now) is None
