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


def test_up_from_walks_every_folder_and_says_one_line_each(
    shared_data: Path, tmp_path: Path
) -> None:
    import json

    from harvesters.core.config import load_config
    from indexer.operations.up import bring_up

    data = tmp_path / "data"
    shutil.copytree(shared_data / "facilities", data / "facilities")
    (data / "SOURCES.md").write_text("# where the files came from\n", encoding="utf-8")
    (data / "docs" / "notes").mkdir(parents=True)
    (data / "docs" / "notes" / "a.txt").write_text("a", encoding="utf-8")
    (data / "docs" / "notes" / "b.txt").write_text("b", encoding="utf-8")
    (data / "empty").mkdir()
    (data / ".hidden").mkdir()
    shutil.copy(shared_data / "swecris" / "c2b2_marine_projects_2019on.json", data / ".hidden")
    (data / "facilities" / ".cache.json").write_text("{}", encoding="utf-8")
    # a MERIL file whose every point is broken: its import fails, the walk goes on
    broken = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": ["x", "y"]},
                "properties": {"name": f"Broken {n}"},
            }
            for n in range(3)
        ],
    }
    (data / "broken").mkdir()
    (data / "broken" / "map.geojson").write_text(json.dumps(broken), encoding="utf-8")
    config = load_config(home=tmp_path / "home", env={})
    lines = list(bring_up(config, data, quiet=True))
    folders = [line for line in lines if not line.startswith(("index ", "no index"))]
    assert [line.split(" ", 1)[0] for line in folders] == [
        "data/",
        "broken/",
        "docs/notes/",
        "facilities/meril/",
        "facilities/scilifelab-publications/",
        "facilities/stockholm-life-science/",
        "facilities/xas-data-library/",
    ]
    text = "\n".join(folders)
    assert folders[0] == (
        "data/ nothing to import: skipped 1 file(s) of another kind "
        "(SOURCES.md: not a format research-index reads)"
    )
    assert folders[1].startswith("broken/ meril: import of 1 file(s) failed: 3 of 3 records")
    assert folders[2].startswith("docs/notes/ nothing to import: skipped 2 file(s)")
    assert folders[3] == (
        "facilities/meril/ esfri: imported 1 file(s): 50 records (new 50, changed 0, failed 0); "
        "meril: imported 1 file(s): 529 records (new 529, changed 0, failed 0); skipped 2 "
        "file(s) of another kind (COPYRIGHT.md: not a format research-index reads, "
        "MERIL_README.md: not a format research-index reads)"
    )
    assert folders[4] == (
        "facilities/scilifelab-publications/ scilifelab: imported 3 file(s): 1091 records "
        "(new 1091, changed 0, failed 0); skipped 1 file(s) of another kind "
        "(universities.csv: not a format research-index reads)"
    )
    assert "stockholm-life-science: imported 1 file(s): 7 records (new 7," in folders[5]
    assert "lightsources: imported 7 file(s): 260 records (new 260," in folders[6]
    assert ".hidden" not in text and "empty" not in text and "c2b2" not in text
    assert re.search(r"index v-\S+: built \(full\), \d+ documents", "\n".join(lines))
    again = list(bring_up(config, data, quiet=True))
    assert len(again) == len(lines)
    figures = re.findall(r"\(new (\d+), changed (\d+)", "\n".join(again))
    assert len(figures) == 5 and set(figures) == {("0", "0")}
    assert any(": up to date," in line for line in again)
