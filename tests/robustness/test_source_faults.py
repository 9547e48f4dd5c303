"""Sources that misbehave on the wire: every harvest ends, in bounded time, as documented.

Real loopback servers (``FakeSwecris``, ``FakeOAI``; no mocking of requests) that never answer,
trickle their answer a byte at a time, reset connections, throttle with 429/503 and both forms
of ``Retry-After``, refuse with 403, redirect in a loop, change their ``total`` mid-walk or
repeat a resumption token. The harvest runs as cron runs it (``research-index harvest``) with
a 0.5 s timeout, 1 s per response, 3 retries and a 1.5 s retry budget; each case asserts the
exit code (README: 0 committed, 3 the source failed), the wall time, and that a failed run
committed nothing while a recovered one stored everything.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.fakes.oai_server import FakeOAI
from tests.fakes.swecris_server import FakeSwecris
from tests.robustness.harvest_support import (
    balanced,
    cli,
    fingerprint,
    last_run,
    record,
    swecris_source,
    write_sources,
)

HTTP = {
    "NO_PROXY": "127.0.0.1,localhost",
    "RESEARCH_INDEX_HTTP_TIMEOUT": "0.5",
    "RESEARCH_INDEX_HTTP_RESPONSE_TIME": "1",
    "RESEARCH_INDEX_RETRY_BUDGET": "1.5",
    "RESEARCH_INDEX_MAX_RETRIES": "3",
}


@pytest.fixture
def swecris(
    shared_data: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FakeSwecris]:
    with swecris_source(shared_data, home, monkeypatch, HTTP) as fake:
        yield fake


@pytest.fixture
def cris(shared_data: Path, home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOAI]:
    with FakeOAI(shared_data) as fake:
        write_sources(home, fake.base_url, sets=["openaire_cris_projects"])
        for key, value in HTTP.items():
            monkeypatch.setenv(key, value)
        yield fake


Setup = Callable[[FakeSwecris], None]

FAILING: dict[str, tuple[Setup, float, str]] = {
    # name: (what the server does, the most seconds the run may take, the error says)
    "never answers": (lambda f: f.fail_every_request("slow:60"), 6, "Timeout"),
    "answers a byte at a time": (
        lambda f: f.fail_every_request("drip:0.05"),
        6,
        "did not arrive within the time allowed",
    ),
    "resets every connection": (lambda f: f.fail_every_request("reset"), 6, "ConnectionError"),
    "429 forever, Retry-After 3600 s": (
        lambda f: f.fail_every_request("429:3600"),
        6,
        "retry budget of 1.5 s spent",
    ),
    "503 forever, Retry-After an HTTP-date": (
        lambda f: f.fail_every_request("503:3600"),
        6,
        "HTTP 503",
    ),
    "403": (lambda f: f.fail_every_request("403"), 2, "refused the token (HTTP 403)"),
    "redirects in a loop": (lambda f: f.fail_every_request("redirect"), 5, "TooManyRedirects"),
    "total moves twice": (lambda f: f.script(["total+5", "total+7"], page=2), 5, "total"),
}


@pytest.mark.parametrize("case", list(FAILING))
def test_a_failing_source_ends_in_bounded_time_with_exit_3(
    swecris: FakeSwecris, home: Path, case: str
) -> None:
    assert cli(home, "harvest", "swecris").code == 0
    before = fingerprint(home)
    setup, bound, message = FAILING[case]
    setup(swecris)
    seen = len(swecris.requests)
    run = cli(home, "harvest", "swecris")
    assert run.code == 3, run.err
    assert run.seconds < bound, f"{case}: {run.seconds:.1f} s"
    assert message in run.err
    assert fingerprint(home) == before
    failed = last_run(home, "swecris")
    assert failed.status == "failed" and message in failed.errors[0]
    requests = len(swecris.requests) - seen
    if case == "403":
        assert requests == 1  # never retried
    record(
        f"SweCRIS: {case}",
        f"exit 3 after {run.seconds:.1f} s, {requests} request(s), nothing committed",
    )


RECOVERING: dict[str, tuple[Setup, float]] = {
    "429 once, Retry-After 1 s": (lambda f: f.script(["429:1"], page=2), 0.9),
    "503 once, Retry-After an HTTP-date 2 s ahead": (lambda f: f.script(["503:2"], page=2), 0.9),
    "one reset connection": (lambda f: f.script(["reset"], page=2), 0.0),
    "one answer trickled a byte at a time": (lambda f: f.script(["drip:0.02"], page=2), 0.9),
    "total moves once": (lambda f: f.script(["total+5"], page=2), 0.0),
}


@pytest.mark.parametrize("case", list(RECOVERING))
def test_a_passing_fault_is_retried_and_the_harvest_completes(
    swecris: FakeSwecris, home: Path, case: str
) -> None:
    setup, waited = RECOVERING[case]
    setup(swecris)
    run = cli(home, "harvest", "swecris", "--json")
    assert run.code == 0, run.err
    counts = run.report["counts"]
    assert balanced(counts) and counts["fetched"] == len(swecris.rows)
    assert run.seconds < 10
    page2 = [r for r in swecris.requests if r.page == 2]
    gap = page2[1].at - page2[0].at  # from the faulty answer to the retry
    assert gap >= waited, f"{case}: retried after {gap:.2f} s"
    if case == "total moves once":
        assert swecris.pages() == [1, 2, 1, 2, 3]  # the walk restarted from page 1
    record(f"SweCRIS: {case}", f"exit 0 in {run.seconds:.1f} s; retried after {gap:.1f} s")


# -- OAI-PMH ---------------------------------------------------------------------------------


def test_oai_repeated_resumption_token_stops_the_walk(cris: FakeOAI, home: Path) -> None:
    cris.script(["repeat"], page=2)
    run = cli(home, "harvest", "cris")
    assert run.code == 3 and "again" in run.err
    assert run.seconds < 5 and fingerprint(home) == []
    record(
        "OAI: a repeated resumptionToken", f"exit 3 after {run.seconds:.1f} s, nothing committed"
    )


@pytest.mark.parametrize(
    ("fault", "bound"), [("slow:60", 6), ("drip:0.05", 6), ("reset", 6), ("redirect", 5)]
)
def test_oai_source_that_never_answers_properly_fails_in_bounded_time(
    cris: FakeOAI, home: Path, fault: str, bound: float
) -> None:
    cris.fail_every_request(fault)
    run = cli(home, "harvest", "cris")
    assert run.code == 3, run.err
    assert run.seconds < bound
    assert fingerprint(home) == []
    record(f"OAI: {fault} on every request", f"exit 3 after {run.seconds:.1f} s")


def test_oai_retry_after_as_http_date_then_success(cris: FakeOAI, home: Path) -> None:
    cris.script(["503@2"], page=2)
    run = cli(home, "harvest", "cris", "--json")
    assert run.code == 0, run.err
    assert run.report["counts"]["stored"] == 4
    page2 = [r for r in cris.requests if r.page == 2]
    gap = page2[1].at - page2[0].at
    assert 0.9 <= gap < 5
    record("OAI: 503 with an HTTP-date Retry-After", f"exit 0; waited {gap:.1f} s, 4 stored")
