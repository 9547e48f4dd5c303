"""Run guarantees: error budget, shrink guard, withdrawals, the lock, and SIGKILL safety."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from harvesters.core.config import Config
from harvesters.core.lock import data_lock
from harvesters.store.database import RecordStore
from webapp.cli import main

REPO = Path(__file__).resolve().parent.parent


def _rows(n: int, bad: int = 0, prefix: str = "2020") -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for i in range(n):
        rows.append(
            {
                "projectId": f"{prefix}-{i:05d}_VR",
                "projectTitleEn": f"Project number {i}",
                "projectStartDate": "2020-01-01 00:00:00",
                "projectEndDate": "2030-12-31 00:00:00" if i >= bad else "the day after never",
                "fundingOrganisationId": "202100-5208",
                "fundingOrganisationNameEn": "Swedish Research Council",
                "fundingsSek": 1000 + i,
                "fundingYear": "2020",
            }
        )
    return rows


def _write(tmp: Path, name: str, rows: list[dict[str, object]]) -> Path:
    path = tmp / name
    path.write_text(json.dumps(rows), encoding="utf-8")
    return path


def _import(config: Config, *args: str) -> int:
    return main(["--home", str(config.home), "import", "swecris", "--quiet", *args])


def test_bad_rows_within_budget_are_skipped_and_reported(config: Config, tmp_path, capsys) -> None:
    path = _write(tmp_path, "a.json", _rows(100, bad=3))
    assert _import(config, str(path), "--json") == 0
    report = json.loads(capsys.readouterr().out)
    assert report["counts"] == {
        "fetched": 100,
        "records": 97,
        "new": 97,
        "changed": 0,
        "unchanged": 0,
        "withdrawn": 0,
        "failed": 3,
        "stored": 97,
        "quarantined": 3,
        "skipped": 0,
        "deleted": 0,
        "folded": 0,
        "relinked": 0,
        "rewalked": 0,
    }
    assert report["errors"][0].startswith("2020-00000_VR: unrecognised date")
    with RecordStore(config.store_path) as store:
        assert store.count("swecris") == 97
        assert [q.record_id for q in store.quarantine("swecris")] == [
            "2020-00000_VR",
            "2020-00001_VR",
            "2020-00002_VR",
        ]


def test_error_budget_exceeded_fails_and_changes_nothing(config: Config, tmp_path, capsys) -> None:
    assert _import(config, str(_write(tmp_path, "ok.json", _rows(10, prefix="2019")))) == 0
    capsys.readouterr()
    assert _import(config, str(_write(tmp_path, "bad.json", _rows(100, bad=6)))) == 4
    err = capsys.readouterr().err
    assert "6 of 100 records failed" in err and "nothing was committed" in err
    with RecordStore(config.store_path) as store:
        assert store.count("swecris") == 10
        last = store.runs("swecris")[0]
    assert last.status == "failed"
    assert "budget" in last.errors[0]


def test_complete_import_withdraws_and_shrink_guard_protects(
    config: Config, tmp_path, capsys
) -> None:
    rows = _rows(100)
    assert _import(config, str(_write(tmp_path, "all.json", rows)), "--complete") == 0
    # 95 of 100: above the 90% threshold, so 5 are withdrawn
    assert _import(config, str(_write(tmp_path, "most.json", rows[:95])), "--complete") == 0
    with RecordStore(config.store_path) as store:
        assert store.count("swecris") == 95
        gone = store.get("swecris", "2020-00099_VR")
        assert gone is not None and gone.status == "withdrawn"
    capsys.readouterr()
    # 40 of 95: refused, nothing changes
    assert _import(config, str(_write(tmp_path, "few.json", rows[:40])), "--complete") == 4
    assert "--allow-shrink" in capsys.readouterr().err
    with RecordStore(config.store_path) as store:
        assert store.count("swecris") == 95
    assert (
        _import(
            config, str(_write(tmp_path, "few.json", rows[:40])), "--complete", "--allow-shrink"
        )
        == 0
    )
    with RecordStore(config.store_path) as store:
        assert store.count("swecris") == 40
    # a withdrawn record that comes back is active again
    assert _import(config, str(_write(tmp_path, "back.json", rows[:41]))) == 0
    with RecordStore(config.store_path) as store:
        assert store.get("swecris", "2020-00040_VR").status == "active"  # type: ignore[union-attr]


def test_changed_record_is_counted_and_gets_a_new_sequence(
    config: Config, tmp_path, capsys
) -> None:
    rows = _rows(5)
    assert _import(config, str(_write(tmp_path, "a.json", rows))) == 0
    with RecordStore(config.store_path) as store:
        seq = store.max_seq()
    rows[2]["projectTitleEn"] = "A better title"
    capsys.readouterr()
    assert _import(config, str(_write(tmp_path, "b.json", rows)), "--json") == 0
    counts = json.loads(capsys.readouterr().out)["counts"]
    assert (counts["changed"], counts["unchanged"]) == (1, 4)
    with RecordStore(config.store_path) as store:
        changed = list(store.iter_records(since_seq=seq))
    assert [s.id for s in changed] == ["2020-00002_VR"]
    assert changed[0].record.title.en == "A better title"


def test_second_run_exits_at_once_while_the_lock_is_held(config: Config, tmp_path, capsys) -> None:
    path = _write(tmp_path, "a.json", _rows(3))
    with data_lock(config):
        assert _import(config, str(path)) == 5
    err = capsys.readouterr().err
    assert "another run holds the store lock" in err and f"pid {os.getpid()}" in err
    assert _import(config, str(path)) == 0  # released afterwards


def test_invalid_json_file_fails_the_run_loudly(config: Config, tmp_path, capsys) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"result": [{"projectId": "A_VR"}', encoding="utf-8")
    assert _import(config, str(path)) == 3
    assert "not valid JSON" in capsys.readouterr().err


KILL_SCRIPT = textwrap.dedent(
    """
    import sys, time
    from harvesters.core.records import Project, Text
    from harvesters.store.database import RecordStore, RunCounts
    store = RecordStore(sys.argv[1])
    run = store.begin_run("swecris", "import")
    def records():
        for i in range(1000):
            if i == 500:
                print("halfway", flush=True)
                time.sleep(60)
            yield Project(source="swecris", source_id=f"K{i}", title=Text(en=f"t{i}"))
    store.commit_run(run, "swecris", records(), [], RunCounts(), True, [])
    """
)


def test_sigkill_during_commit_leaves_the_store_as_it_was(config: Config, tmp_path) -> None:
    assert _import(config, str(_write(tmp_path, "a.json", _rows(20)))) == 0
    with RecordStore(config.store_path) as store:
        before = [(s.id, s.hash, s.status) for s in store.iter_records(include_withdrawn=True)]
    proc = subprocess.Popen(
        [sys.executable, "-c", KILL_SCRIPT, str(config.store_path)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    with proc.stdout:
        assert proc.stdout.readline().strip() == "halfway"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    with RecordStore(config.store_path) as store:
        after = [(s.id, s.hash, s.status) for s in store.iter_records(include_withdrawn=True)]
        assert after == before
        assert store.runs("swecris")[0].status == "running"
    # the next run takes over, marks the killed one and completes
    assert _import(config, str(_write(tmp_path, "b.json", _rows(21)))) == 0
    with RecordStore(config.store_path) as store:
        statuses = [r.status for r in store.runs("swecris")]
        assert statuses[:2] == ["ok", "killed"]
        assert store.count("swecris") == 21


@pytest.mark.parametrize("bad", ["nope", "-1"])
def test_bad_setting_is_a_config_error(config: Config, tmp_path, monkeypatch, capsys, bad) -> None:
    monkeypatch.setenv("RESEARCH_INDEX_ERROR_BUDGET", bad)
    assert _import(config, str(_write(tmp_path, "a.json", _rows(1)))) == 6
    assert "RESEARCH_INDEX_ERROR_BUDGET" in capsys.readouterr().err


def test_a_project_with_a_quarantined_funding_row_keeps_its_last_good_version(
    config: Config, tmp_path, capsys
) -> None:
    rows = _rows(60)
    second = {**rows[0], "fundingsSek": 5, "fundingYear": "2021"}  # a project's 2nd funding row
    assert _import(config, str(_write(tmp_path, "a.json", [*rows, second])), "--complete") == 0
    with RecordStore(config.store_path) as store:
        good = store.get("swecris", "2020-00000_VR")
    assert good is not None and len(good.record.fundings) == 2  # type: ignore[attr-defined]
    capsys.readouterr()
    broken = {**second, "fundingsSek": "a lot"}
    path = _write(tmp_path, "b.json", [*rows, broken])
    assert _import(config, str(path), "--complete", "--json") == 0
    counts = json.loads(capsys.readouterr().out)["counts"]
    # both rows of the project are quarantined (the good one is held back), nothing withdrawn
    assert (counts["fetched"], counts["stored"], counts["quarantined"]) == (61, 59, 2)
    assert counts["withdrawn"] == 0
    with RecordStore(config.store_path) as store:
        kept = store.get("swecris", "2020-00000_VR")
        reasons = sorted(q.reason for q in store.quarantine("swecris"))
    assert kept is not None and kept.hash == good.hash and kept.status == "active"
    assert reasons[0].startswith("held back") and "unrecognised amount" in reasons[1]
