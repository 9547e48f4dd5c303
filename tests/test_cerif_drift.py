"""Incremental CERIF harvests end where a full harvest ends (issue 23).

A loopback OAI-PMH repository (``tests.fakes.oai_server``) serves the OpenAIRE samples in pages
of two, its lists in datestamp order as many live servers keep them (a record changed while a
list is paged moves to its end and shifts the rest). Hypothesis draws sequences of edits at the
source (titles, a Funding's amount, an Equipment or OrgUnit renamed, deletions with and without
a setSpec, new projects, and edits made while the next harvest pages through a list); after
each step one store is harvested incrementally. At the end a second store takes one full
harvest of the final state, and both must hold the same records; a fixed sequence also builds
both indexes and compares their search results.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from harvesters.store.database import RecordStore
from tests.fakes.oai_repository import FakeRecord
from tests.fakes.oai_repository import _now as now
from tests.fakes.oai_server import FakeOAI
from webapp.cli import main

ID = "oai:cris.example.org:"
PROJECTS = [f"{ID}Projects/{n}" for n in (112345, 112346, 112347, 112348)]
FUNDINGS = [f"{ID}Fundings/62000{n}" for n in range(1, 6)]
ORGUNITS = [f"{ID}OrgUnits/{n}" for n in (312345, 312346, 310001)]
EQUIPMENT = [f"{ID}82394874", f"{ID}82394875"]
PERSONS = [f"{ID}Persons/212345{n}" for n in range(1, 4)]
ANY = PROJECTS + FUNDINGS + ORGUNITS + EQUIPMENT + PERSONS
FUNDING_SET = "openaire_cris_funding"

Edit = tuple[str, str, int]  # what, which record, a number that makes the edit unique


@pytest.fixture(autouse=True)
def _loopback_env() -> Iterator[None]:
    values = {
        "NO_PROXY": "127.0.0.1,localhost",
        "RESEARCH_INDEX_HTTP_TIMEOUT": "5",
        "RESEARCH_INDEX_MAX_RETRIES": "0",  # a broken set fails at once
    }
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    yield
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def _sources(home: Path, fake: FakeOAI) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "sources.toml").write_text(
        f'[sources.cris]\nkind = "oai-cerif"\nbase_url = "{fake.base_url}"\n', encoding="utf-8"
    )


def _harvest(home: Path, *flags: str) -> None:
    code = main(["--home", str(home), "harvest", "cris", "--quiet", *flags])
    assert code == 0, f"harvest failed with exit {code}"


def _items(home: Path) -> dict[str, tuple[str | None, str | None, bytes]]:
    with RecordStore(home / "records.sqlite3") as store:
        heads = store.item_heads("cris")
        return {i: (*heads[i], body) for i, _stamp, body in store.items("cris")}


def _active(home: Path) -> dict[str, str]:
    with RecordStore(home / "records.sqlite3") as store:
        return {
            s.id: s.record.canonical_json()
            for s in store.iter_records("cris", include_withdrawn=True)
            if s.status == "active"
        }


def _sub(text: str, pattern: str, repl: str) -> str:
    changed, n = re.subn(pattern, repl, text, count=1)
    assert n == 1, pattern
    return changed


def apply(fake: FakeOAI, edit: Edit) -> None:
    """Make one edit at the source (an edit of a deleted record does nothing)."""
    what, identifier, n = edit
    if what == "add":
        base = fake.record(PROJECTS[0])
        new_id = f"Projects/9{n:05d}"
        if any(r.identifier == f"{ID}{new_id}" for r in fake.records) or base.metadata is None:
            return
        body = base.metadata.replace('id="Projects/112345"', f'id="{new_id}"')
        body = re.sub(r"(<Title\b[^>]*>)", rf"\g<1>New {n}: ", body, count=1)
        fake.add(FakeRecord(f"{ID}{new_id}", now(), "openaire_cris_projects", body))
        return
    rec = fake.record(identifier)
    if rec.deleted or rec.metadata is None:
        return
    body = rec.metadata
    if what == "delete":
        fake.delete(identifier)
    elif what == "delete-no-set":
        fake.delete(identifier, keep_set=False)
    elif what == "title":
        tag = "Title" if "Projects/" in identifier else "Name"
        if f"<{tag}" not in body:
            body = body.replace(">", f"><{tag} xml:lang='en'>x</{tag}>", 1)
        fake.touch(identifier, metadata=_sub(body, rf"(<{tag}\b[^>]*>)([^<]*)", rf"\g<1>{n} \2"))
    elif what == "amount":
        amount = f'<Amount currency="EUR">{1000 + n}</Amount>'
        if "<Amount" in body:
            body = _sub(body, r"<Amount\b[^>]*>[^<]*</Amount>", amount)
        else:  # after the Funding's own opening tag: before its embedded neighbours
            body = _sub(body, r"(<Funding\b[^>]*>)", rf"\1{amount}")
        fake.touch(identifier, metadata=body)


def edits() -> st.SearchStrategy[Edit]:
    number = st.integers(0, 99_999)
    return st.one_of(
        st.tuples(st.just("title"), st.sampled_from(PROJECTS + ORGUNITS + EQUIPMENT), number),
        st.tuples(st.just("amount"), st.sampled_from(FUNDINGS), number),
        st.tuples(st.sampled_from(("delete", "delete-no-set")), st.sampled_from(ANY), number),
        st.tuples(st.just("add"), st.just(""), number),
    )


# a step: edits made between two harvests, edits made while the next one pages a list, and
# whether that harvest is a full one (long lists, so the edits made while paging shift them)
steps = st.lists(
    st.tuples(st.lists(edits(), max_size=3), st.lists(edits(), max_size=2), st.booleans()),
    min_size=1,
    max_size=4,
)
Plan = list[tuple[list[Edit], list[Edit], bool]]


def run_steps(data: Path, root: Path, plan: Plan) -> tuple[Path, Path]:
    """Harvest ``root/incremental`` after every step of ``plan`` and ``root/full`` once at
    the end; returns both homes."""
    incremental, full = root / "incremental", root / "full"
    with FakeOAI(data, "cerif", page_size=2, by_datestamp=True) as fake:
        _sources(incremental, fake)
        _sources(full, fake)
        _harvest(incremental)
        for between, during, whole in plan:
            for edit in between:
                apply(fake, edit)
            fake.while_paging[:] = [_later(fake, e) for e in during]
            _harvest(incremental, *(["--full"] if whole else []))
            for leftover in fake.while_paging[:]:  # fewer pages than edits: made now
                fake.while_paging.remove(leftover)
                leftover()
        _harvest(incremental)  # what the last step's harvest could not yet see
        _harvest(full, "--full")
    return incremental, full


def _later(fake: FakeOAI, edit: Edit) -> Callable[[], None]:
    return lambda: apply(fake, edit)


@settings(
    max_examples=int(os.environ.get("RESEARCH_INDEX_DRIFT_EXAMPLES", "20")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=steps)
# a project on the first page of its list changes before the second page is asked for
@example(plan=[([], [("title", PROJECTS[0], 1)], True)])
@example(plan=[([("amount", FUNDINGS[4], 3)], [("delete-no-set", EQUIPMENT[0], 0)], False)])
def test_incremental_harvests_end_where_a_full_harvest_ends(shared_data: Path, plan: Plan) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        incremental, full = run_steps(shared_data, Path(tmp), plan)
        got, want = _active(incremental), _active(full)
        assert got.keys() == want.keys()
        for rid in want:
            assert json.loads(got[rid]) == json.loads(want[rid]), rid
        assert _items(incremental) == _items(full)  # the kept state too


def _search(home: Path, *args: str) -> list[tuple[str, str, float | None]]:
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert (
            main(["--home", str(home), "search", *args, "--format", "json", "--size", "100"]) == 0
        )
    hits = json.loads(out.getvalue())["hits"]
    return [(h["id"], h["title"], h["total_sek"]) for h in hits]


def test_a_fixed_sequence_gives_the_same_search_results(shared_data: Path, tmp_path: Path) -> None:
    plan: Plan = [
        ([("amount", FUNDINGS[4], 7), ("title", EQUIPMENT[0], 1)], [], False),
        ([("delete-no-set", PERSONS[0], 0), ("add", "", 42)], [("title", PROJECTS[1], 2)], True),
        ([("title", ORGUNITS[1], 3)], [("delete", ORGUNITS[0], 0)], False),
    ]
    incremental, full = run_steps(shared_data, tmp_path, plan)
    assert _active(incremental) == _active(full)
    for home in (incremental, full):
        assert main(["--home", str(home), "index", "--quiet"]) == 0
    for query in ((), ("OpenAIRE",), ("airborne",), ("--kind", "facility")):
        # the same hits; ties (same start date) keep the order records reached the store
        assert sorted(_search(incremental, *query)) == sorted(_search(full, *query)), query
    airborne = dict((i, t) for i, t, _ in _search(incremental, "--kind", "facility"))
    assert any(t.startswith("1 ") for t in airborne.values())  # the renamed Equipment


def test_against_a_server_someone_else_wrote(shared_data: Path, tmp_path: Path) -> None:
    """The harvester against ``oaipmh``'s server: harvest, edit, harvest again; the result
    equals one full harvest of the final state."""
    from tests.fakes.third_party_oai import OaipmhServer

    with OaipmhServer(shared_data, page_size=2) as oai:
        incremental, full = tmp_path / "incremental", tmp_path / "full"
        for home in (incremental, full):
            home.mkdir()
            (home / "sources.toml").write_text(
                f'[sources.cris]\nkind = "oai-cerif"\nbase_url = "{oai.base_url}"\n',
                encoding="utf-8",
            )
        _harvest(incremental)
        first = _active(incremental)
        assert len(first) == 38
        funding = oai.record(FUNDINGS[4]).metadata or ""
        oai.touch(
            FUNDINGS[4], _sub(funding, r"(</Name>)", r'\1<Amount currency="EUR">3500000</Amount>')
        )
        equipment = oai.record(EQUIPMENT[0]).metadata or ""
        oai.touch(EQUIPMENT[0], _sub(equipment, r"(<Name\b[^>]*>)([^<]*)", r"\1Renamed \2"))
        oai.delete(PERSONS[1])
        _harvest(incremental)
        _harvest(full, "--full")
        got, want = _active(incremental), _active(full)
        assert got == want
        assert PERSONS[1].removeprefix(ID) not in got
        advance = json.loads(got["Projects/112348"])
        assert {(f["amount"], f["currency"]) for f in advance["fundings"]} == {(3500000.0, "EUR")}
        eufar = json.loads(got["Projects/112347"])
        assert any(f["name"]["en"].startswith("Renamed ") for f in eufar["facilities"])


def test_a_list_that_shifts_under_the_walk_is_walked_again(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Lists in datestamp order: a project seen on the first page and changed before the
    second moves to the end, so the project that was next is pushed back onto the page already
    read. Without a second walk it is never fetched, and a full harvest even withdraws it."""
    with FakeOAI(shared_data, "cerif", page_size=2, by_datestamp=True) as fake:
        _sources(tmp_path, fake)
        first_page = sorted(
            (r for r in fake.records if r.set_spec == "openaire_cris_projects"),
            key=lambda r: (r.datestamp, r.identifier),
        )[:2]
        fake.while_paging.append(_later(fake, ("title", first_page[0].identifier, 5)))
        capsys.readouterr()
        assert main(["--home", str(tmp_path), "harvest", "cris", "--json"]) == 0
        report = json.loads(capsys.readouterr().out)
    assert report["counts"]["rewalked"] == 1
    projects = {k for k in _active(tmp_path) if k.startswith("Projects/")}
    assert projects == {p.removeprefix(ID) for p in PROJECTS}


def test_a_set_that_fails_keeps_what_the_other_sets_brought(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One record the server cannot serialise makes its set's pages answer HTTP 500: the run
    keeps the other sets, says which failed (exit 9), and the next run asks that set again from
    where the failed run did, so nothing it missed is lost."""
    home, fresh = tmp_path / "home", tmp_path / "fresh"
    with FakeOAI(shared_data, "cerif", page_size=2) as fake:
        _sources(home, fake)
        _sources(fresh, fake)
        _harvest(home)
        apply(fake, ("title", PROJECTS[0], 1))
        apply(fake, ("amount", FUNDINGS[4], 2))
        fake.broken_sets = {"openaire_cris_funding"}
        capsys.readouterr()
        assert main(["--home", str(home), "harvest", "cris", "--json"]) == 9
        out = capsys.readouterr()
        report = json.loads(out.out)
        assert report["status"] == "ok" and len(report["failed_parts"]) == 1
        assert "set openaire_cris_funding failed" in report["failed_parts"][0]
        assert "openaire_cris_funding" in out.err
        kept = _active(home)
        assert json.loads(kept["Projects/112345"])["title"]["en"].startswith("1 ")
        advance = json.loads(kept["Projects/112348"])
        assert all(f["amount"] is None for f in advance["fundings"])  # not fetched yet
        failed_from = [
            r.query.get("from") for r in fake.requests if r.query.get("set") == [FUNDING_SET]
        ][-1]
        # the nightly update with the set still broken: partial (exit 9); it asks the set from
        # the same point again, and the index is built from what was kept
        assert main(["--home", str(home), "update", "--quiet"]) == 9
        asked = [r.query.get("from") for r in fake.requests if r.query.get("set") == [FUNDING_SET]]
        assert asked[-1] == failed_from
        fake.broken_sets.clear()
        _harvest(home)
        again = [r.query.get("from") for r in fake.requests if r.query.get("set") == [FUNDING_SET]]
        assert again[-1] == failed_from  # asked again from where the failed run asked
        _harvest(fresh, "--full")
        assert _active(home) == _active(fresh)
        advance = json.loads(_active(home)["Projects/112348"])
        assert {f["amount"] for f in advance["fundings"]} == {1002.0}


def test_a_deleted_item_withdraws_its_record_when_the_ids_differ(
    shared_data: Path, tmp_path: Path
) -> None:
    """An OAI identifier need not be the CERIF id: a deletion withdraws the record the item
    made, and an item whose CERIF id changes withdraws the old record."""
    home, fresh = tmp_path / "home", tmp_path / "fresh"
    with FakeOAI(shared_data, "cerif", page_size=2) as fake:
        _sources(home, fake)
        _sources(fresh, fake)
        base = fake.record(PROJECTS[0]).metadata or ""
        for oai_id, cerif_id in (("proj-a", "Projects/777"), ("proj-b", "Projects/888")):
            body = base.replace('id="Projects/112345"', f'id="{cerif_id}"')
            fake.add(FakeRecord(f"{ID}{oai_id}", now(), "openaire_cris_projects", body))
        _harvest(home)
        assert {"Projects/777", "Projects/888"} <= _active(home).keys()
        fake.delete(f"{ID}proj-a")
        renamed = (fake.record(f"{ID}proj-b").metadata or "").replace(
            "Projects/888", "Projects/999"
        )
        fake.touch(f"{ID}proj-b", metadata=renamed)
        _harvest(home)
        _harvest(fresh, "--full")
        active = _active(home)
        assert "Projects/777" not in active and "Projects/888" not in active
        assert "Projects/999" in active
        assert active == _active(fresh)


def test_a_list_that_keeps_shifting_is_a_failed_part(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with FakeOAI(shared_data, "cerif", page_size=2, by_datestamp=True) as fake:
        _sources(tmp_path, fake)

        def oldest_project_changes() -> None:  # the first record of every walk's first page
            projects = [r for r in fake.records if r.set_spec == "openaire_cris_projects"]
            first = min(projects, key=lambda r: (r.datestamp, r.identifier))
            apply(fake, ("title", first.identifier, 9))

        fake.while_paging[:] = [oldest_project_changes] * 3
        capsys.readouterr()
        assert main(["--home", str(tmp_path), "harvest", "cris", "--json"]) == 9
        report = json.loads(capsys.readouterr().out)
        assert report["counts"]["rewalked"] == 2
        assert "kept shifting over 3 walks" in report["failed_parts"][0]
        assert not any(k.startswith("Projects/") for k in _active(tmp_path))
        _harvest(tmp_path)  # the list holds still now: the set is asked again, whole
    assert {k for k in _active(tmp_path) if k.startswith("Projects/")} == {
        p.removeprefix(ID) for p in PROJECTS
    }


def test_sets_that_join_or_leave_the_configuration(shared_data: Path, tmp_path: Path) -> None:
    """A set that joins is walked whole (its old records have old datestamps); one that leaves
    makes a full harvest, which withdraws its records."""
    with FakeOAI(shared_data, "cerif", page_size=2) as fake:

        def configure(*sets: str) -> None:
            listed = ", ".join(f'"openaire_cris_{s}"' for s in sets)
            (tmp_path / "sources.toml").write_text(
                f'[sources.cris]\nkind = "oai-cerif"\nbase_url = "{fake.base_url}"\n'
                f"sets = [{listed}]\n",
                encoding="utf-8",
            )

        configure("projects", "funding", "orgunits", "persons")
        _harvest(tmp_path)
        assert not any(k.startswith("8239487") for k in _active(tmp_path))
        configure("projects", "funding", "orgunits", "persons", "equipments")
        _harvest(tmp_path)
        walks = [
            r.query for r in fake.requests if r.query.get("set") == ["openaire_cris_equipments"]
        ]
        assert walks and "from" not in walks[-1]
        assert {"82394874", "82394875"} <= _active(tmp_path).keys()
        configure("projects", "funding", "orgunits", "equipments")
        _harvest(tmp_path, "--allow-shrink")  # 19 of 38 records go: the shrink guard asks
        last = [r.query for r in fake.requests if r.query.get("verb") == ["ListRecords"]][-1]
        assert "from" not in last  # a full harvest
        assert not any(k.startswith("Persons/") for k in _active(tmp_path))


def test_a_later_datestamp_is_read_as_a_time() -> None:
    from harvesters.sources.cerif.state import later

    assert later("2024-05-02", "2024-05-01T10:00:00Z")  # day against second granularity
    assert not later("2024-05-01", "2024-05-01T10:00:00Z")
    assert not later("2024-05-01T10:00:00Z", "2024-05-01T10:00:00Z")  # a tie: the fetched
    assert not later("not a date", "2024-05-01") and not later(None, "2024-05-01")
