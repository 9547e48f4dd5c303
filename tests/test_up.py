"""``research-index up``: from saved files or from the sources, then a real server answers."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _start(
    home: Path, *args: str, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[str], str, list[str]]:  # noqa: E501
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "webapp.cli",
            "--home",
            str(home),
            "up",
            "--port",
            "0",
            "--quiet",
            *args,
        ],
        cwd=REPO,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line.strip())
        m = re.search(r"serving on (http://\S+)", line)
        if m:
            return proc, m.group(1), lines
    proc.kill()
    raise AssertionError(f"up did not start serving: {lines}")


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    if proc.stdout:
        proc.stdout.close()


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8")


def test_up_from_saved_files_builds_and_serves(shared_data: Path, tmp_path: Path) -> None:
    saved = tmp_path / "saved"
    (saved / "swecris").mkdir(parents=True)
    (saved / "cris").mkdir()
    shutil.copy(shared_data / "swecris" / "scp_search_response_scb40107.json", saved / "swecris")
    shutil.copy(shared_data / "swecris" / "c2b2_marine_projects_2019on.json", saved / "swecris")
    for name in ("projects", "equipments", "orgunits"):
        shutil.copy(
            shared_data / "openaire-cerif" / f"openaire_cerif_xml_example_{name}.xml",
            saved / "cris",
        )
    (saved / "notes.txt").write_text("not data", encoding="utf-8")
    proc, url, lines = _start(tmp_path / "home", "--from", str(saved))
    try:
        text = "\n".join(lines)
        assert "swecris: imported 2 file(s): 247 records" in text
        assert "cris: imported 3 file(s)" in text
        assert "skipped 1 file(s) of another kind" in text
        assert re.search(r"index v-\S+: built \(full\), \d+ documents", text)
        status, page = _get(url + "search?q=fisk")
        assert status == 200
        assert 'class="hit"' in page
        status, page = _get(url + "facility/cris/82394874")
        assert status == 200 and "SkyArrow" in page
    finally:
        _stop(proc)
    # a second `up` changes nothing and serves the same version
    proc, url, lines = _start(tmp_path / "home", "--from", str(saved))
    try:
        assert any(": up to date," in line for line in lines)
    finally:
        _stop(proc)


def test_up_offline_says_so_and_serves_what_it_has(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port nobody listens on: the "network" is down
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    env = {
        "SWECRIS_BASE_URL": f"http://127.0.0.1:{closed}/v1",
        "NO_PROXY": "127.0.0.1",
        "RESEARCH_INDEX_RETRY_BUDGET": "1",
        "RESEARCH_INDEX_MAX_RETRIES": "1",
        "RESEARCH_INDEX_HTTP_TIMEOUT": "1",
    }
    proc, url, lines = _start(tmp_path / "home", env=env)
    try:
        text = "\n".join(lines)
        assert "swecris: could not be harvested" in text
        assert "the index is empty" in text
        status, page = _get(url + "search")
        assert status == 200
        assert 'data-testid="total">0<' in page
    finally:
        _stop(proc)
