"""Shared helpers of the harvest robustness tests (not a test module itself).

A data folder with a sources registry for the loopback fakes, the real ``research-index``
command run in-process (``cli``) with its exit code, output, JSON report and wall time, the
store's fingerprint (to prove a failed run committed nothing), what the status page and
``research-index status`` show (``shown`` asserts a source's quarantine count and reasons on
both), the peak memory of a harvest in a child process (``peak_of_harvest``), and ``record``:
with ``RESEARCH_INDEX_ROBUSTNESS_LOG`` set, each case appends its measured outcome there (JSON
lines), which is how the tables of ``tests/robustness/README.md`` were filled in.
"""

from __future__ import annotations

import contextlib
import html
import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema

from harvesters.store.database import QuarantineEntry, RecordStore
from tests.fakes.swecris_server import FakeSwecris
from webapp import create_app
from webapp.cli import main

FAST_HTTP = {
    "NO_PROXY": "127.0.0.1,localhost",
    "RESEARCH_INDEX_HTTP_TIMEOUT": "1",
    "RESEARCH_INDEX_HTTP_RESPONSE_TIME": "2",
    "RESEARCH_INDEX_RETRY_BUDGET": "3",
    "RESEARCH_INDEX_MAX_RETRIES": "3",
}
TOKEN = "robust-token"
REPO = Path(__file__).resolve().parents[2]


@dataclass
class Result:
    code: int
    out: str
    err: str
    seconds: float

    @property
    def report(self) -> dict[str, Any]:
        return json.loads(self.out)  # type: ignore[no-any-return]


def cli(home: Path, *args: str) -> Result:
    """``research-index --home HOME ARGS...`` in this process, timed."""
    out, err = io.StringIO(), io.StringIO()
    t0 = time.monotonic()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["--home", str(home), *args])
    return Result(code, out.getvalue(), err.getvalue(), time.monotonic() - t0)


def write_sources(home: Path, cris_url: str | None = None, sets: list[str] | None = None) -> None:
    lines = ['[sources.swecris]\nkind = "swecris"\nbase_url = "https://swecris.invalid/v1"\n']
    if cris_url:
        lines.append(f'[sources.cris]\nkind = "oai-cerif"\nbase_url = "{cris_url}"\n')
        if sets:
            lines.append(f"sets = {json.dumps(sets)}\n")
    lines.append('[sources.facilities]\nkind = "facility-list"\n')
    (home / "sources.toml").write_text("".join(lines), encoding="utf-8")


@contextlib.contextmanager
def swecris_source(
    shared_data: Path, home: Path, monkeypatch: Any, http_env: dict[str, str]
) -> Iterator[FakeSwecris]:
    """A loopback SweCRIS replaying the recorded rows, configured as the home's source."""
    with FakeSwecris(shared_data, token=TOKEN) as fake:
        write_sources(home)
        env = {**http_env, "SWECRIS_BASE_URL": fake.base_url, "SWECRIS_TOKEN": TOKEN}
        for key, value in {**env, "SWECRIS_PAGE_SIZE": "100"}.items():
            monkeypatch.setenv(key, value)
        yield fake


def fingerprint(home: Path) -> list[tuple[str, str, str, str, int]]:
    """Every record's (source, id, hash, status, seq): equal before and after = nothing changed."""
    path = home / "records.sqlite3"
    if not path.exists():
        return []
    with RecordStore(path) as store:
        return [
            (s.source, s.id, s.hash, s.status, s.seq)
            for s in store.iter_records(include_withdrawn=True)
        ]


def quarantine(home: Path, source: str | None = None) -> list[QuarantineEntry]:
    with RecordStore(home / "records.sqlite3") as store:
        return store.quarantine(source, limit=None)


def last_run(home: Path, source: str) -> Any:
    with RecordStore(home / "records.sqlite3") as store:
        return store.runs(source, limit=1)[0]


def balanced(counts: dict[str, int]) -> bool:
    """The report's arithmetic: every fetched item is stored, quarantined or explained."""
    explained = ("stored", "quarantined", "skipped", "deleted", "folded")
    return counts["fetched"] == sum(counts[k] for k in explained) and (
        counts["stored"] == counts["new"] + counts["changed"] + counts["unchanged"]
    )


def status_page(home: Path) -> str:
    """The rendered /status page (English), entities decoded so reasons can be matched."""
    app = create_app({"INDEX_DIR": str(home / "index"), "TESTING": True})
    response = app.test_client().get("/status?lang=en")
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


def status_api(home: Path) -> dict[str, Any]:
    """``GET /api/v1/status`` (an index must be published), checked against its OpenAPI schema."""
    client = create_app({"INDEX_DIR": str(home / "index"), "TESTING": True}).test_client()
    spec = client.get("/api/v1/openapi.json").get_json()
    response = client.get("/api/v1/status")
    assert response.status_code == 200
    body = response.get_json()
    schema = {"$ref": "#/components/schemas/StatusResponse", "components": spec["components"]}
    errors = [e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(body)]
    assert not errors, errors[:3]
    return body  # type: ignore[no-any-return]


def source_status(home: Path, name: str) -> dict[str, Any]:
    """One source as ``research-index status --json`` shows it (the API's ``sources``)."""
    run = cli(home, "status", "--json")
    assert run.code == 0, run.err
    return next(s for s in json.loads(run.out)["sources"] if s["name"] == name)


def shown(home: Path, source: str, reasons: list[str]) -> None:
    """The quarantine count and every reason are on /status and in `research-index status`."""
    page = status_page(home)
    count = len(quarantine(home, source))
    assert f'data-testid="quarantined-{source}">{count}<' in page
    api = source_status(home, source)
    assert api["quarantined"] == count
    for reason in reasons:
        assert reason in page
        assert any(reason in q["reason"] for q in api["quarantine"])


PEAK = """
import atexit, sys
def peak():
    with open("/proc/self/status") as fh:
        sys.stderr.write(next(line for line in fh if line.startswith("VmHWM")) + "\\n")
atexit.register(peak)
from webapp.cli import main
sys.exit(main(sys.argv[1:]))
"""


def peak_of_harvest(home: Path, env: dict[str, str]) -> tuple[int, float, float]:
    """(exit code, peak RSS in MB, seconds) of `harvest cris --full` in a child process.

    The child reports its own high-water mark (``VmHWM`` of its address space, which starts
    afresh at exec), so the size of this test process does not count."""
    t0 = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", PEAK, "--home", str(home), "harvest", "cris", "--full"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    line = next(x for x in done.stderr.splitlines() if x.startswith("VmHWM"))
    return done.returncode, int(line.split()[1]) / 1024, time.monotonic() - t0


def record(case: str, result: str) -> None:
    """Append a measured outcome to ``$RESEARCH_INDEX_ROBUSTNESS_LOG`` (when set)."""
    target = os.environ.get("RESEARCH_INDEX_ROBUSTNESS_LOG")
    if target:
        with open(target, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"case": case, "result": result}, ensure_ascii=False) + "\n")
