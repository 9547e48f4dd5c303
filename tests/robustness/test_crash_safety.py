"""SIGKILL and a full disk during import, index build and publish: old or new, never half.

The real command runs as a child process (``python -m webapp.cli --home DIR ...``). A data
folder holds version A (200 KTH rows, indexed); the run under test applies change set B (80
retitled rows and 20 new ones). Imports are killed at the named pause points of
``harvesters.core.pausepoints`` (``parsed``, ``commit``: inside the transaction, every row
written) and at time offsets; index builds at fractions of their measured duration (which
reaches validation and publishing). After each kill the store is exactly A or exactly B
(every record's id, hash, status and sequence), the ``current`` index opens and holds the old
or the new complete version, and the next run succeeds; the time that takes (next run plus a
clean ``status``) is the recovery time. A full disk is simulated with ``RLIMIT_FSIZE`` in the
child (SIGXFSZ ignored, so writes fail with EFBIG), and with a small tmpfs where mounting is
allowed. ``tests/test_live_publish.py`` kills ``update`` while a live site serves searches.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from harvesters.sources.swecris.normalise import rows_from_csv
from harvesters.store.database import RecordStore
from indexer.building.versions import MANIFEST, IndexLocation
from indexer.service.request import SearchRequest
from indexer.service.search import SearchService
from tests.fakes.swecris_server import FakeSwecris
from tests.robustness.harvest_support import FAST_HTTP, TOKEN, fingerprint, record, status_page

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
MARK = "zqchanged"


def command(home: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "webapp.cli", "--home", str(home), *args]


def run(
    home: Path, *args: str, preexec: Callable[[], None] | None = None
) -> tuple[int, str, float]:
    t0 = time.monotonic()
    proc = subprocess.run(
        command(home, *args), cwd=REPO, capture_output=True, text=True, preexec_fn=preexec
    )
    return proc.returncode, proc.stderr, time.monotonic() - t0


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> dict[str, object]:
    """Version A (imported and indexed), change set B, and what A and B look like."""
    root = tmp_path_factory.mktemp("crash")
    rows = rows_from_csv((shared_data / "swecris" / "kth_scp_export_part1of6.csv").read_bytes())
    a_rows, extra = rows[:200], rows[200:220]
    (root / "a.json").write_text(json.dumps(a_rows), encoding="utf-8")
    changed = [{**r, "projectTitleEn": f"{MARK} {r.get('projectTitleEn')}"} for r in a_rows[:80]]
    (root / "b.json").write_text(json.dumps([*changed, *extra]), encoding="utf-8")
    home_a = root / "a"
    assert run(home_a, "import", "swecris", str(root / "a.json"), "--quiet")[0] == 0
    assert run(home_a, "index", "--quiet")[0] == 0
    home_b = root / "b"
    shutil.copytree(home_a, home_b, symlinks=True)
    code, _, import_seconds = run(home_b, "import", "swecris", str(root / "b.json"), "--quiet")
    assert code == 0
    store_b = root / "store-b"  # store B with index A: what an index build starts from
    shutil.copytree(home_b, store_b, symlinks=True)
    code, _, index_seconds = run(home_b, "index", "--quiet")
    assert code == 0
    return {
        "root": root,
        "a": home_a,
        "store_b": store_b,
        "changes": root / "b.json",
        "A": fingerprint(home_a),
        "B": fingerprint(home_b),
        "docs": (documents(home_a), documents(home_b)),
        "import_seconds": import_seconds,
        "index_seconds": index_seconds,
    }


def documents(home: Path) -> tuple[int, int]:
    """(all documents, documents that carry the change mark) of the served index."""
    service = SearchService(home / "index")
    everything = service.search(SearchRequest(q="", size=1, include_twins=True)).total
    return everything, service.search(SearchRequest(q=MARK, size=1, include_twins=True)).total


def fresh(base: dict[str, object], name: str, tmp_path: Path) -> Path:
    home = tmp_path / "home"
    shutil.copytree(base[name], home, symlinks=True)  # type: ignore[arg-type]
    return home


def recover(home: Path, *args: str) -> float:
    """Run again until done and the status is clean; the seconds that took."""
    t0 = time.monotonic()
    code, err, _ = run(home, *args)
    assert code == 0, err
    status = subprocess.run(
        command(home, "status", "--json"), cwd=REPO, capture_output=True, text=True, check=True
    )
    seconds = time.monotonic() - t0
    report = json.loads(status.stdout)
    if args[0] == "index":
        assert report["runs"][0]["kind"] == "index" and report["runs"][0]["status"] == "ok"
    else:
        swecris = next(s for s in report["sources"] if s["name"] == "swecris")
        assert swecris["last_attempt"]["status"] == "ok"
    return seconds


def killed_runs(home: Path) -> list[str]:
    with RecordStore(home / "records.sqlite3") as store:
        return [r.kind for r in store.runs(limit=50) if r.status == "killed"]


def _kill_when(
    proc: subprocess.Popen[str],
    marker: str,
    timeout: float = 60,
    meanwhile: Callable[[], None] | None = None,
) -> None:
    assert proc.stderr is not None
    deadline = time.monotonic() + timeout
    with proc.stderr:
        while time.monotonic() < deadline:
            line = proc.stderr.readline()
            if marker in line:
                if meanwhile is not None:
                    meanwhile()
                proc.send_signal(signal.SIGKILL)
                proc.wait(timeout=10)
                return
            assert line, f"the run ended before {marker!r}"
    raise AssertionError(f"{marker!r} never came")


# -- import ----------------------------------------------------------------------------------


@pytest.mark.parametrize("point", ["parsed", "commit"])
def test_import_killed_at_a_named_point_leaves_version_a(
    base: dict[str, object], tmp_path: Path, point: str
) -> None:
    home = fresh(base, "a", tmp_path)
    env = {**os.environ, "RESEARCH_INDEX_PAUSE_AT": f"{point}:60"}
    proc = subprocess.Popen(
        command(home, "import", "swecris", str(base["changes"])),
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    waited: list[float] = []

    def status_while_paused() -> None:  # at 'commit' the run holds the store's write lock
        t0 = time.monotonic()
        assert "run-running" in status_page(home)
        waited.append(time.monotonic() - t0)

    _kill_when(proc, f"paused at {point}", meanwhile=status_while_paused)
    assert waited[0] < 5  # readers never wait for a writer (it used to be 30 s, then a 500)
    assert fingerprint(home) == base["A"]
    assert documents(home) == base["docs"][0]  # type: ignore[index]
    seconds = recover(home, "import", "swecris", str(base["changes"]), "--quiet")
    assert fingerprint(home) == base["B"] and killed_runs(home) == ["import"]
    record(
        f"SIGKILL import at '{point}'",
        f"store = A exactly; /status answered in {waited[0]:.2f} s while the run held the lock; "
        f"recovered in {seconds:.1f} s",
    )


@pytest.mark.parametrize("fraction", [0.4, 0.9])
def test_import_killed_at_a_time_offset_leaves_a_or_b(
    base: dict[str, object], tmp_path: Path, fraction: float
) -> None:
    home = fresh(base, "a", tmp_path)
    delay = fraction * float(base["import_seconds"])  # type: ignore[arg-type]
    proc = subprocess.Popen(
        command(home, "import", "swecris", str(base["changes"]), "--quiet"),
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    after = fingerprint(home)
    assert after in (base["A"], base["B"])
    which = "A" if after == base["A"] else "B"
    seconds = recover(home, "import", "swecris", str(base["changes"]), "--quiet")
    assert fingerprint(home) == base["B"]
    record(
        f"SIGKILL import after {delay:.1f} s",
        f"store = {which} (complete); recovered in {seconds:.1f} s",
    )


@pytest.mark.parametrize("point", ["parsed", "commit"])
def test_harvest_killed_at_a_named_point_keeps_the_previous_harvest(
    shared_data: Path, tmp_path: Path, point: str
) -> None:
    home = tmp_path / "home"
    with FakeSwecris(shared_data, token=TOKEN) as fake:
        env = {**os.environ, **FAST_HTTP, "SWECRIS_BASE_URL": fake.base_url}
        env |= {"SWECRIS_TOKEN": TOKEN, "SWECRIS_PAGE_SIZE": "100"}
        harvest = command(home, "harvest", "swecris", "--quiet")
        assert subprocess.run(harvest, cwd=REPO, env=env, capture_output=True).returncode == 0
        previous = fingerprint(home)
        fake.rows[0] = {**fake.rows[0], "projectTitleEn": f"{MARK} at the source"}
        proc = subprocess.Popen(
            harvest,
            cwd=REPO,
            env={**env, "RESEARCH_INDEX_PAUSE_AT": f"{point}:60"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        _kill_when(proc, f"paused at {point}")
        assert fingerprint(home) == previous
        t0 = time.monotonic()
        done = subprocess.run(harvest, cwd=REPO, env=env, capture_output=True, text=True)
        seconds = time.monotonic() - t0
    assert done.returncode == 0, done.stderr
    assert fingerprint(home) != previous and killed_runs(home) == ["harvest"]
    record(
        f"SIGKILL harvest at '{point}'",
        f"store = the previous harvest exactly; the next harvest took {seconds:.1f} s",
    )


# -- index build and publish -----------------------------------------------------------------


def _written(home: Path, before: Path | None) -> bool:
    """A new version's MANIFEST is on disk (validation done; publish is next)."""
    versions = home / "index" / "versions"
    return any((v / MANIFEST).is_file() for v in versions.iterdir() if v != before)


def _published(home: Path, before: Path | None) -> bool:
    return IndexLocation(home / "index").current_path() != before


def _index_running(home: Path) -> bool:
    with RecordStore(home / "records.sqlite3") as store:
        return any(r.kind == "index" and r.status == "running" for r in store.runs(limit=5))


POINTS = {"manifest written": _written, "current swapped": _published}


@pytest.mark.parametrize("point", ["30% of its time", "80% of its time", *POINTS])
def test_index_build_killed_keeps_a_complete_index_serving(
    base: dict[str, object], tmp_path: Path, point: str
) -> None:
    home = fresh(base, "store_b", tmp_path)
    old, new = base["docs"]  # type: ignore[misc]
    before = IndexLocation(home / "index").current_path()
    proc = subprocess.Popen(
        command(home, "index", "--quiet"),
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    t0 = time.monotonic()
    if point in POINTS:  # poll the disk and kill the moment the point is reached
        while not POINTS[point](home, before) and proc.poll() is None:
            time.sleep(0.001)
    else:  # a share of the build's time, counted from when its run is on record (a kill
        # during interpreter start-up would test nothing: no run has begun)
        while not _index_running(home) and proc.poll() is None:
            time.sleep(0.001)
        time.sleep(int(point.split("%")[0]) / 100 * float(base["index_seconds"]))  # type: ignore[arg-type]
    killed_after = time.monotonic() - t0
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    current = IndexLocation(home / "index").current_path()
    assert current is not None and (current / MANIFEST).is_file()
    served = documents(home)  # the served version opens and answers
    assert served in (old, new)
    which = "old" if served == old else "new"
    assert (current == before) == (which == "old")
    seconds = recover(home, "index", "--quiet")
    assert documents(home) == new
    if which == "old":
        assert killed_runs(home) == ["index"]  # the next build said what happened
    record(
        f"SIGKILL index build at {point} ({killed_after:.1f} s)",
        f"serves the {which} version ({served[0]} docs, {served[1]} changed); "
        f"recovered in {seconds:.1f} s",
    )


# -- a full disk -----------------------------------------------------------------------------


def file_limit(size: int) -> Callable[[], None]:
    """A ``preexec_fn``: writes past ``size`` bytes fail with EFBIG instead of killing."""

    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))

    return apply


def test_import_on_a_full_disk_fails_clearly_and_changes_nothing(
    base: dict[str, object], tmp_path: Path
) -> None:
    home = fresh(base, "a", tmp_path)
    changes = str(base["changes"])
    code, err, seconds = run(home, "import", "swecris", changes, preexec=file_limit(64 * 1024))
    assert code == 11, err
    assert "could not be written" in err and "nothing of this run was committed" in err
    assert "Traceback" not in err
    assert fingerprint(home) == base["A"] and documents(home) == base["docs"][0]  # type: ignore[index]
    recovered = recover(home, "import", "swecris", changes, "--quiet")
    assert fingerprint(home) == base["B"]
    message = err.strip().splitlines()[-1]
    record(
        "Disk full (RLIMIT_FSIZE 64 KB) during import",
        f"exit 11 in {seconds:.1f} s: '{message[:80]}...'; store = A; "
        f"recovered in {recovered:.1f} s",
    )


@pytest.mark.parametrize("procs", [2, 1])  # the workers' error, and this process's own
def test_index_build_on_a_full_disk_keeps_the_old_index_serving(
    base: dict[str, object], tmp_path: Path, procs: int
) -> None:
    home = fresh(base, "store_b", tmp_path)
    before = IndexLocation(home / "index").current_path()
    limit = file_limit(128 * 1024)
    code, err, seconds = run(home, "index", "--full", "--procs", str(procs), preexec=limit)
    assert code == 11, err  # the documented code of a data folder that cannot be written
    assert "could not be written (File too large)" in err, err
    assert "nothing was published; the previous index keeps serving" in err, err
    assert "Traceback" not in err
    assert IndexLocation(home / "index").current_path() == before
    assert documents(home) == base["docs"][0]  # type: ignore[index]
    recovered = recover(home, "index", "--quiet")
    assert documents(home) == base["docs"][1]  # type: ignore[index]
    record(
        f"Disk full (RLIMIT_FSIZE 128 KB) during index build ({procs} process(es))",
        f"exit 11 in {seconds:.1f} s ('could not be written (File too large) ...; the previous "
        "index keeps serving'); "
        f"old index served; recovered in {recovered:.1f} s",
    )


def test_import_on_a_full_tmpfs_fails_clearly(base: dict[str, object], tmp_path: Path) -> None:
    mount = tmp_path / "tmpfs"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        home = mount / "home"
        home.mkdir()
        shutil.copy2(Path(base["a"]) / "records.sqlite3", home)  # type: ignore[arg-type]
        free = shutil.disk_usage(mount).free
        (mount / "filler").write_bytes(b"\0" * max(0, free - 48 * 1024))
        code, err, seconds = run(home, "import", "swecris", str(base["changes"]))
        assert code == 11, err
        assert "could not be written" in err
        assert [f[:4] for f in fingerprint(home)] == [f[:4] for f in base["A"]]  # type: ignore[attr-defined]
        (mount / "filler").unlink()
        assert run(home, "import", "swecris", str(base["changes"]), "--quiet")[0] == 0
        record(
            "Disk full (tmpfs, 48 KB free) during import", f"exit 11 in {seconds:.1f} s; store = A"
        )
    finally:
        subprocess.run(["umount", str(mount)], capture_output=True)
