"""Index versions: build, validate, publish atomically, incremental updates, clean-up, safety."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import pytest

from harvesters.core.config import Config
from harvesters.core.lock import data_lock
from indexer.building import build as build_module
from indexer.building.build import build_index, validate
from indexer.building.versions import MANIFEST, SUPERSEDED, IndexLocation
from indexer.engine.storage import open_index
from indexer.errors import BuildFailed, RecordNotFound, RecordWithdrawn
from indexer.service.request import SearchRequest
from indexer.service.search import SearchService
from webapp.cli import main


def _row(i: int, title: str | None = None, **extra: object) -> dict[str, object]:
    return {
        "projectId": f"2020-{i:05d}_VR",
        "projectTitleEn": title or f"Glacier melt and sea level study {i}",
        "projectTitleSv": f"Glaciärer och havsnivå {i}",
        "projectAbstractEn": f"We study glaciers number {i} in northern Sweden.",
        "projectStartDate": "2020-01-01 00:00:00",
        "projectEndDate": "2030-12-31 00:00:00",
        "coordinatingOrganisationId": "202100-3054",
        "coordinatingOrganisationNameEn": "KTH, Royal Institute of Technology",
        "fundingOrganisationId": "202100-5208",
        "fundingOrganisationNameEn": "Swedish Research Council",
        "fundingsSek": 1000 * (i + 1),
        "fundingYear": "2020",
        **extra,
    }


def _load(config: Config, tmp_path: Path, rows: list[dict[str, object]], *flags: str) -> None:
    path = tmp_path / f"rows{time.monotonic_ns()}.json"
    path.write_text(json.dumps(rows), encoding="utf-8")
    assert (
        main(["--home", str(config.home), "import", "swecris", str(path), "--quiet", *flags]) == 0
    )


def test_full_build_publishes_a_validated_version(config: Config, tmp_path: Path) -> None:
    _load(config, tmp_path, [_row(i) for i in range(30)])
    report = build_index(config, quiet=True, procs=1)
    assert (report.mode, report.doc_count, report.published) == ("full", 30, True)
    loc = IndexLocation(config.index_root)
    current = loc.current()
    assert current is not None and current.name == report.version
    assert os.path.islink(loc.pointer)
    assert current.manifest["doc_count"] == 30
    assert current.manifest["counts"] == {"swecris": 30}
    service = SearchService(config.index_root)
    assert service.search(SearchRequest(q="glaciers")).total == 30
    # nothing changed: no new version
    again = build_index(config, quiet=True, procs=1)
    assert again.mode == "unchanged"
    assert again.published is False
    assert loc.current_path() == current.path


def _segments(path: Path) -> int:
    ix = open_index(path)
    try:
        return len(ix._segments())
    finally:
        ix.close()


@pytest.mark.parametrize("procs", [1, 2])
def test_incremental_build_applies_changes_and_withdrawals(
    config: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, procs: int
) -> None:
    """With ``procs`` 2 (and a low threshold) the changed records are indexed by two forked
    processes, one new segment each; the result must be the same as in one process."""
    monkeypatch.setattr(build_module, "PARALLEL_MIN_DOCS", 1)
    rows = [_row(i) for i in range(20)]
    _load(config, tmp_path, rows, "--complete")
    first = build_index(config, quiet=True, procs=1)
    base_segments = _segments(IndexLocation(config.index_root).current_path())
    service = SearchService(config.index_root)
    assert service.search(SearchRequest(q="fjällräv")).total == 0
    rows[3] = _row(3, title="Arctic fox population study", projectTitleSv="Fjällräv i fjällen")
    new_funder = {"fundingOrganisationId": "202100-9999", "fundingOrganisationNameEn": "Fox Fund"}
    rows.append(_row(99, **new_funder))
    _load(config, tmp_path, rows[:1] + rows[2:], "--complete")  # drops row 1: withdrawn
    second = build_index(config, quiet=True, procs=procs)
    assert second.mode == "incremental"
    assert (second.added, second.updated, second.deleted) == (1, 1, 1)
    assert second.version != first.version
    assert _segments(IndexLocation(config.index_root).current_path()) == base_segments + procs
    funders = next(
        f for f in service.search(SearchRequest(q="glaciers")).facets if f.name == "funder"
    )
    assert "Fox Fund" in {v.label for v in funders.values}  # a worker's labels are merged
    assert service.search(SearchRequest(q="fjällräv")).total == 1
    assert service.search(SearchRequest(q="glaciers")).total == 20  # 19 kept + 1 new
    with pytest.raises(RecordWithdrawn):
        service.get("swecris", "2020-00001_VR")
    with pytest.raises(RecordNotFound):
        service.get("swecris", "1999-00001_VR")
    assert service.get("swecris", "2020-00099_VR").title.en.endswith("99")
    # a full rebuild gives the same documents as the incremental path
    full = build_index(config, full=True, quiet=True, procs=1)
    assert full.mode == "full"
    assert service.search(SearchRequest(q="glaciers")).total == 20  # 19 kept + 1 new


def test_failed_validation_publishes_nothing(config: Config, tmp_path: Path) -> None:
    _load(config, tmp_path, [_row(i) for i in range(5)])
    good = build_index(config, quiet=True, procs=1)
    loc = IndexLocation(config.index_root)
    with pytest.raises(BuildFailed, match="holds 5 documents but the store has 6"):
        validate(loc.current_path(), expected=6)  # type: ignore[arg-type]
    assert loc.current().name == good.version  # type: ignore[union-attr]


def test_missing_index_gives_a_clear_error(config: Config, capsys) -> None:
    assert main(["--home", str(config.home), "search", "anything"]) == 7
    assert "research-index index" in capsys.readouterr().err


def test_second_indexer_exits_while_the_lock_is_held(
    config: Config, tmp_path: Path, capsys
) -> None:
    _load(config, tmp_path, [_row(1)])
    with data_lock(config, "index"):
        assert main(["--home", str(config.home), "index", "--quiet"]) == 5
    assert "index lock" in capsys.readouterr().err


def test_stale_whoosh_lock_file_does_not_block_a_build(config: Config, tmp_path: Path) -> None:
    _load(config, tmp_path, [_row(i) for i in range(3)])
    build_index(config, quiet=True, procs=1)
    current = IndexLocation(config.index_root).current_path()
    assert current is not None
    (current / "MAIN_WRITELOCK").write_text("left by a killed writer")
    _load(config, tmp_path, [_row(i) for i in range(4)])
    assert build_index(config, quiet=True, procs=1).mode == "incremental"


def test_cleanup_keeps_current_and_recent_and_drops_unfinished(
    config: Config, tmp_path: Path
) -> None:
    loc = IndexLocation(config.index_root)
    _load(config, tmp_path, [_row(0)])
    names = []
    for i in range(4):
        _load(config, tmp_path, [_row(0), _row(100 + i)])
        names.append(build_index(config, quiet=True, procs=1, grace_seconds=3600).version)
    unfinished = loc.new_version_dir()  # as a killed build leaves it: no manifest
    assert len(loc.versions()) == 5
    old = time.time() - 7200
    for path in loc.versions():  # made, and superseded, two hours ago
        for aged in (path, path / SUPERSEDED):
            if aged.exists():
                os.utime(aged, (old, old))
    removed = loc.cleanup(grace_seconds=600, keep=2)
    left = {p.name for p in loc.versions()}
    assert left == set(names[-2:])
    assert unfinished in removed
    assert all((p / MANIFEST).is_file() for p in loc.versions())


def test_the_grace_period_runs_from_when_a_version_stopped_being_current(
    config: Config, tmp_path: Path
) -> None:
    """A version current for days is not old when it is replaced: it stays for the grace
    period from then (a server that has not switched yet still reads it), then goes
    (issue 22, case 6: it was deleted at once, by its build age)."""
    loc = IndexLocation(config.index_root)
    _load(config, tmp_path, [_row(0)])
    first = build_index(config, quiet=True, procs=1).version
    first_path = loc.versions_dir / first
    week = time.time() - 7 * 24 * 3600
    os.utime(first_path, (week, week))  # built, and current, for a week
    _load(config, tmp_path, [_row(0), _row(1)])
    second = build_index(config, quiet=True, procs=1, grace_seconds=600).version
    assert loc.current_path() == loc.versions_dir / second
    assert (first_path / SUPERSEDED).is_file()
    assert first_path.is_dir()  # superseded a moment ago: kept for the grace period
    assert loc.cleanup(grace_seconds=600, keep=0) == []
    later = time.time() - 601
    os.utime(first_path / SUPERSEDED, (later, later))
    assert loc.cleanup(grace_seconds=600, keep=0) == [first_path]
    assert not (loc.versions_dir / second / SUPERSEDED).exists()  # the current one


def test_searching_while_new_versions_are_published(config: Config, tmp_path: Path) -> None:
    rows = [_row(i) for i in range(40)]
    _load(config, tmp_path, rows)
    build_index(config, quiet=True, procs=1)
    service = SearchService(config.index_root)
    errors: list[BaseException] = []
    totals: list[int] = []
    seen_versions: set[str] = set()
    stop = threading.Event()

    def searcher() -> None:
        while not stop.is_set():
            try:
                result = service.search(SearchRequest(q="glaciers", size=5))
                totals.append(result.total)
                seen_versions.add(result.index_version or "")
            except BaseException as exc:  # noqa: BLE001 - any failure is the test's finding
                errors.append(exc)

    threads = [threading.Thread(target=searcher) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        for n in range(41, 45):
            _load(config, tmp_path, [*rows, *(_row(i) for i in range(40, n))])
            build_index(config, quiet=True, procs=1, grace_seconds=0)
            time.sleep(0.2)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert errors == []
    assert len(totals) > 20
    assert len(seen_versions) >= 3
    assert set(totals) <= set(range(40, 45))
    assert service.search(SearchRequest(q="glaciers")).total == 44


def test_a_build_runs_below_the_server_priority(config: Config, tmp_path: Path) -> None:
    """``index`` and ``update`` lower their CPU priority (default 10, ``--nice``, or
    $RESEARCH_INDEX_BUILD_NICE) so a server on the same machine keeps answering during a full
    build (issue 22, case 7: the build's workers took both cores); workers inherit it."""
    import subprocess
    import sys

    _load(config, tmp_path, [_row(i) for i in range(30)])
    base = os.nice(0)

    def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", "webapp.cli", "--home", str(config.home), *args]
        env = {**os.environ, **(env or {})}
        return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)

    def run(*args: str, env: dict[str, str] | None = None) -> str:
        done = cli(*args, env=env)
        assert done.returncode == 0, done.stderr
        return done.stderr

    assert f"nice {min(19, base + 10)} " in run("index", "--full", "--procs", "2")
    assert f"nice {min(19, base + 3)} " in run("index", "--full", "--nice", "3")
    told = run("index", "--full", env={"RESEARCH_INDEX_BUILD_NICE": "5"})
    assert f"nice {min(19, base + 5)} " in told
    assert "CPU priority" not in run("index", "--full", "--nice", "0")
    bad = cli("index", env={"RESEARCH_INDEX_BUILD_NICE": "25"})
    assert bad.returncode == 2 and "--nice takes 0 to 19, not 25" in bad.stderr
    assert "Traceback" not in bad.stderr
    other = cli("sources", env={"RESEARCH_INDEX_BUILD_NICE": "abc"})
    assert other.returncode == 0, other.stderr  # a bad value troubles only the builds
