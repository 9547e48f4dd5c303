"""Import of the six real KTH export parts, checked against figures computed with csv alone."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest

from harvesters.core.config import Config
from harvesters.store.database import RecordStore
from webapp.cli import main


def _independent_figures(parts: list[Path]) -> dict[str, object]:
    rows = []
    for part in parts:
        with part.open(encoding="utf-8", newline="") as fh:
            rows.extend(csv.DictReader(fh, delimiter=";"))
    ids = Counter(r["projectId"] for r in rows)
    sek = sum(float(r["fundingsSek"]) for r in rows if r["fundingsSek"] not in ("", "NULL"))
    by_id = {r["projectId"]: r for r in rows}
    twins = set()
    for pid, r in by_id.items():
        if pid.endswith("_RJ"):
            other = by_id.get(pid[: -len("_RJ")] + "_Vinnova")
            if other and (
                (r["projectTitleSv"] and r["projectTitleSv"] == other["projectTitleSv"])
                or (r["projectTitleEn"] and r["projectTitleEn"] == other["projectTitleEn"])
            ):
                twins.add(pid)
    twin_sek = sum(float(by_id[t]["fundingsSek"]) for t in twins)
    return {
        "rows": len(rows),
        "projects": len(ids),
        "sek": sek,
        "twins": twins,
        "sek_without_twins": sek - twin_sek,
    }


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory, kth_exports: list[Path]) -> Path:
    home = tmp_path_factory.mktemp("kth")
    code = main(["--home", str(home), "import", "swecris", *map(str, kth_exports), "--quiet"])
    assert code == 0
    return home


def test_all_kth_rows_become_projects(imported: Path, kth_exports: list[Path], capsys) -> None:
    expected = _independent_figures(kth_exports)
    assert expected["rows"] == 6519
    with RecordStore(imported / "records.sqlite3") as store:
        run = store.runs("swecris")[0]
        records = [s.record for s in store.iter_records("swecris")]
    assert run.counts["fetched"] == expected["rows"]
    assert run.counts["failed"] == 0
    assert len(records) == expected["projects"] == run.counts["new"]
    assert sum(p.total_sek() or 0 for p in records) == pytest.approx(expected["sek"])
    counted = sum(p.total_sek() or 0 for p in records if p.counts_in_statistics())
    assert counted == pytest.approx(expected["sek_without_twins"])


def test_twins_are_linked(imported: Path, kth_exports: list[Path]) -> None:
    expected = _independent_figures(kth_exports)
    with RecordStore(imported / "records.sqlite3") as store:
        linked = {s.id for s in store.iter_records("swecris") if s.record.twin_of}
        example = store.get("swecris", "2025-01169_RJ")
    assert linked == expected["twins"]
    assert len(linked) >= 1300
    assert example is not None and example.record.twin_of == "2025-01169_Vinnova"


def test_second_import_changes_nothing(imported: Path, kth_exports: list[Path], capsys) -> None:
    with RecordStore(imported / "records.sqlite3") as store:
        seq_before = store.max_seq()
    capsys.readouterr()
    code = main(["--home", str(imported), "import", "swecris", *map(str, kth_exports), "--json"])
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["counts"]["unchanged"] == report["counts"]["records"]
    assert report["counts"]["new"] == report["counts"]["changed"] == 0
    with RecordStore(imported / "records.sqlite3") as store:
        assert store.max_seq() == seq_before


def test_raw_payloads_are_kept_and_reparse_reproduces_the_records(
    imported: Path, kth_exports: list[Path], capsys
) -> None:
    with RecordStore(imported / "records.sqlite3") as store:
        first = store.runs("swecris")[-1]
        bodies = [p.body for p in store.payloads(first.id)]
    assert bodies == [p.read_bytes() for p in kth_exports]
    capsys.readouterr()
    assert main(["--home", str(imported), "reparse", "swecris", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["kind"] == "reparse"
    assert report["counts"]["unchanged"] == report["counts"]["records"] > 6000


def test_import_of_a_missing_file_is_a_usage_error(config: Config, capsys) -> None:
    code = main(["--home", str(config.home), "import", "swecris", "/nonexistent/file.csv"])
    assert code == 2
    assert "no such file" in capsys.readouterr().err
