"""Harvesting a CERIF source end to end: the CLI, the loopback OAI-PMH repository, the store.

The repository serves the OpenAIRE sample records; the tests change and delete records at the
source between runs and check what each incremental harvest brings.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from harvesters.core.records import Facility, Project
from harvesters.store.database import RecordStore
from tests.fakes.oai_server import FakeOAI
from webapp.cli import main

PROJECT = "oai:cris.example.org:Projects/112347"


@pytest.fixture
def cris(shared_data: Path, home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOAI]:
    with FakeOAI(shared_data) as fake:
        (home / "sources.toml").write_text(
            f'[sources.cris]\nkind = "oai-cerif"\nbase_url = "{fake.base_url}"\n',
            encoding="utf-8",
        )
        monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
        monkeypatch.setenv("RESEARCH_INDEX_HTTP_TIMEOUT", "2")
        monkeypatch.setenv("RESEARCH_INDEX_RETRY_BUDGET", "5")
        yield fake


def _harvest(home: Path, capsys, *flags: str) -> dict:  # type: ignore[type-arg]
    capsys.readouterr()
    code = main(["--home", str(home), "harvest", "cris", "--json", *flags])
    out = capsys.readouterr()
    assert code == 0, out.err
    return json.loads(out.out)  # type: ignore[no-any-return]


def _records(home: Path) -> dict[str, object]:
    with RecordStore(home / "records.sqlite3") as store:
        return {s.id: s for s in store.iter_records("cris", include_withdrawn=True)}


def test_full_then_incremental_harvest(cris: FakeOAI, home: Path, capsys) -> None:
    first = _harvest(home, capsys)
    assert first["complete"] is True
    stored = _records(home)
    kinds = Counter(s.record.kind for s in stored.values())  # type: ignore[attr-defined]
    assert kinds == {"person": 19, "organisation": 13, "project": 4, "facility": 2}
    project = stored["Projects/112347"].record  # type: ignore[attr-defined]
    assert isinstance(project, Project)
    assert {f.id for f in project.facilities} == {"82394874", "82394875"}
    facility = stored["82394874"].record  # type: ignore[attr-defined]
    assert isinstance(facility, Facility)
    assert [r.id for r in facility.used_by] == ["Projects/112347"]
    # nothing changed at the source: the incremental run asks from the last start, gets nothing
    second = _harvest(home, capsys)
    assert second["complete"] is False
    assert second["counts"]["new"] == second["counts"]["changed"] == 0
    froms = [r.query.get("from") for r in cris.requests if r.query.get("verb") == ["ListRecords"]]
    assert froms[-1] and froms[0] is None


def test_a_change_and_a_deletion_at_the_source(cris: FakeOAI, home: Path, capsys) -> None:
    _harvest(home, capsys)
    record = cris.record(PROJECT)
    assert record.metadata is not None
    old = "European Facility for Airborne Research"
    assert old in record.metadata
    cris.touch(PROJECT, metadata=record.metadata.replace(old, "Renamed Facility for Research"))
    cris.delete("oai:cris.example.org:Persons/2123451")
    report = _harvest(home, capsys)
    assert report["counts"]["fetched"] == 2
    assert report["counts"]["changed"] >= 1
    assert report["counts"]["withdrawn"] == 1
    stored = _records(home)
    assert stored["Persons/2123451"].status == "withdrawn"  # type: ignore[attr-defined]
    renamed = stored["Projects/112347"].record  # type: ignore[attr-defined]
    assert renamed.title.en.startswith("Renamed Facility for Research")


def test_full_flag_reconciles_vanished_identifiers(cris: FakeOAI, home: Path, capsys) -> None:
    _harvest(home, capsys)
    cris.remove("oai:cris.example.org:Persons/2123452")
    report = _harvest(home, capsys, "--full")
    assert report["complete"] is True
    assert report["counts"]["withdrawn"] == 1


def test_broken_source_fails_the_run_loudly(cris: FakeOAI, home: Path, capsys) -> None:
    # an explicit full harvest must see everything: one broken list fails it whole
    cris.script(["broken", "broken"], page=1)
    code = main(["--home", str(home), "harvest", "cris", "--full"])
    assert code == 3
    assert "failed" in capsys.readouterr().err
    with RecordStore(home / "records.sqlite3") as store:
        assert store.count("cris") == 0
        assert store.runs("cris")[0].status == "failed"
    # otherwise the broken part (the projects set, whose first page is broken) fails loudly
    # and the other sets are kept
    cris.script(["broken", "broken"], page=1)
    assert main(["--home", str(home), "harvest", "cris"]) == 9
    err = capsys.readouterr().err
    assert "set openaire_cris_projects failed" in err and "not well-formed" in err
    with RecordStore(home / "records.sqlite3") as store:
        kinds = Counter(s.record.kind for s in store.iter_records("cris"))
        assert kinds == {"person": 19, "organisation": 13, "facility": 2}
        assert store.runs("cris")[0].status == "ok"


def test_saved_listrecords_pages_import_and_reparse(
    cris: FakeOAI, home: Path, tmp_path: Path, capsys
) -> None:
    _harvest(home, capsys)
    with RecordStore(home / "records.sqlite3") as store:
        run = store.runs("cris")[0]
        pages = list(store.payloads(run.id))
    folder = tmp_path / "saved"
    folder.mkdir()
    for n, page in enumerate(pages):
        (folder / f"page{n:03d}.xml").write_bytes(page.body)
    other = tmp_path / "other-home"
    (other).mkdir()
    (other / "sources.toml").write_text((home / "sources.toml").read_text(), encoding="utf-8")
    capsys.readouterr()
    files = sorted(str(p) for p in folder.glob("*.xml"))
    assert main(["--home", str(other), "import", "cris", *files, "--json"]) == 0
    imported = json.loads(capsys.readouterr().out)
    assert imported["counts"]["new"] == 38
    assert main(["--home", str(home), "reparse", "cris", "--json"]) == 0
    reparsed = json.loads(capsys.readouterr().out)
    assert reparsed["counts"]["unchanged"] == 38


def test_unknown_source_name_is_a_usage_error(home: Path, capsys) -> None:
    assert main(["--home", str(home), "harvest", "nowhere"]) == 2
    assert "no source 'nowhere'" in capsys.readouterr().err
