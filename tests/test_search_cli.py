"""The ``research-index search`` and ``stats`` subcommands, run in-process on the KTH index.

Every figure the commands print is compared with what the search service returns for the same
request, so the CLI is shown to be a faithful view of the service (the service itself is
checked against the raw CSV in ``test_stats.py``).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from indexer.service.export import BOM
from indexer.service.request import SearchRequest
from webapp.cli import main

VR = "202100-5208"
VINNOVA = "202100-5216"


def run(capsys, home: Path, *args: str) -> tuple[int, str, str]:
    code = main(["--home", str(home), *args])
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys, home: Path, *args: str) -> dict:
    code, out, err = run(capsys, home, *args, "--format", "json")
    assert code == 0, err
    return json.loads(out)


# -- search -------------------------------------------------------------------------------------


def test_search_text_shows_total_and_hits(capsys, kth_home: Path, kth_service) -> None:
    code, out, err = run(capsys, kth_home, "search", "graphene", "--size", "3")
    assert code == 0, err
    result = kth_service.search(SearchRequest(q="graphene", size=3))
    lines = out.splitlines()
    assert lines[0] == f"{result.total} projects, showing 1-3"
    for hit in result.hits:
        assert f"{hit.id}  [{hit.status}]" in out
        assert f"  {hit.title}" in lines


def test_search_without_query_browses_everything(capsys, kth_home: Path, kth_service) -> None:
    code, out, _ = run(capsys, kth_home, "search")
    assert code == 0
    everything = kth_service.count(SearchRequest())  # projects and the grants' facilities
    assert out.splitlines()[0] == (f"{everything} results (projects and facilities), showing 1-10")


def test_search_text_with_no_hits(capsys, kth_home: Path) -> None:
    code, out, _ = run(capsys, kth_home, "search", "xqzvwqxk")
    assert code == 0
    assert out.splitlines()[0] == "0 projects"


def test_search_json(capsys, kth_home: Path, kth_service) -> None:
    data = run_json(capsys, kth_home, "search", "energi", "--size", "5", "--page", "2")
    expected = kth_service.search(SearchRequest(q="energi", size=5, page=2))
    assert {"hits", "facets", "total", "page", "size", "pages", "filters"} <= set(data)
    assert data["total"] == expected.total > 5
    assert (data["page"], data["size"]) == (2, 5)
    assert [h["id"] for h in data["hits"]] == [h.id for h in expected.hits]
    assert len(data["hits"]) == 5
    assert "record" not in data["hits"][0]
    assert {"funder", "year", "org_type", "subject1", "status"} <= set(data["facets"])
    facets = {f.name: f for f in expected.facets}
    for name, facet in data["facets"].items():
        want = [(v.value, v.count) for v in facets[name].values]
        assert [(v["value"], v["count"]) for v in facet["values"]] == want
        assert all(v["count"] <= data["total"] for v in facet["values"])


def test_search_filters_narrow_the_total(capsys, kth_home: Path, kth_service) -> None:
    everything = run_json(capsys, kth_home, "search", "--size", "1")["total"]
    vr = run_json(capsys, kth_home, "search", "--funder", VR, "--size", "1")["total"]
    data = run_json(capsys, kth_home, "search", "--funder", VR, "--year", "2020", "--size", "100")
    req = SearchRequest(filters={"funder": (VR,), "year": ("2020",)})
    assert data["total"] == kth_service.count(req)
    assert 0 < data["total"] < vr < everything
    assert data["filters"] == {"funder": [VR], "year": ["2020"]}
    assert len(data["hits"]) == min(100, data["total"])
    assert all(VR in [f["id"] for f in h["funders"]] for h in data["hits"])
    both = run_json(capsys, kth_home, "search", "--funder", VR, "--funder", VINNOVA, "--size", "1")
    req = SearchRequest(filters={"funder": (VR, VINNOVA)})
    assert both["total"] == kth_service.count(req) > vr


def test_search_by_person(capsys, kth_home: Path) -> None:
    data = run_json(capsys, kth_home, "search", "--person", "orcid:0000-0002-5407-0835")
    assert data["total"] == 8 and data["filters"] == {"person": ["orcid:0000-0002-5407-0835"]}
    assert all(
        any(p["key"] == "orcid:0000-0002-5407-0835" for p in h["leaders"]) for h in data["hits"]
    )


def test_search_query_with_filters_and_sort(capsys, kth_home: Path, kth_service) -> None:
    args = ("search", "battery", "--org-type", "university", "--sort", "amount_desc")
    data = run_json(capsys, kth_home, *args, "--size", "20")
    req = SearchRequest(q="battery", filters={"org_type": ("university",)}, sort="amount_desc")
    assert data["total"] == kth_service.count(req) > 0
    amounts = [h["total_sek"] or 0 for h in data["hits"]]
    assert amounts == sorted(amounts, reverse=True)


def test_search_include_twins(capsys, kth_home: Path) -> None:
    plain = run_json(capsys, kth_home, "search", "id:2025-01169_RJ")
    assert plain["total"] == 0
    shown = run_json(capsys, kth_home, "search", "id:2025-01169_RJ", "--include-twins")
    assert [h["id"] for h in shown["hits"]] == ["2025-01169_RJ"]
    assert shown["hits"][0]["twin_of"] == "2025-01169_Vinnova"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("*", "lone *"),
        ("foo:bar", "Unknown field 'foo:'"),
        ("ab*", "at least 3 letters"),
    ],
)
def test_bad_query_exits_2(capsys, kth_home: Path, query: str, message: str) -> None:
    code, out, err = run(capsys, kth_home, "search", query)
    assert code == 2
    assert out == ""
    assert err.startswith("error: ") and message in err
    code, out, err = run(capsys, kth_home, "stats", "--by", "year", "--q", query)
    assert code == 2
    assert out == ""
    assert err.startswith("error: ") and message in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--page", "0"), "page must be a whole number from 1"),
        (("--size", "0"), "size must be between 1 and 100"),
        (("--size", "101"), "size must be between 1 and 100"),
        (("--page", "1001", "--size", "10"), "pages reach only the first 10000 results"),
        (("--funder", "no such; funder"), "is not a valid code"),
        (("--amount-min", "5", "--amount-max", "1"), "minimum amount is larger"),
        (("--subject", "10"), "SSIF codes have 1, 3 or 5 digits"),
    ],
)
def test_bad_request_exits_2(capsys, kth_home: Path, args: tuple[str, ...], message: str) -> None:
    code, out, err = run(capsys, kth_home, "search", "energi", *args)
    assert code == 2
    assert out == ""
    assert err.startswith("error: ") and message in err


@pytest.mark.parametrize("command", [["search", "energi"], ["stats", "--by", "year"]])
def test_home_without_index_exits_7(capsys, tmp_path: Path, command: list[str]) -> None:
    code, out, err = run(capsys, tmp_path, *command)
    assert code == 7
    assert out == ""
    assert "research-index index" in err


# -- stats --------------------------------------------------------------------------------------


def _csv(out: str, delimiter: str = ",") -> list[list[str]]:
    return list(csv.reader(io.StringIO(out, newline=""), delimiter=delimiter))


def test_stats_by_year_csv(capsys, kth_home: Path, kth_service) -> None:
    code, out, err = run(capsys, kth_home, "stats", "--by", "year", "--format", "csv")
    assert code == 0, err
    assert not out.startswith(BOM)
    lines = _csv(out)
    assert lines[0] == ["year", "year_label", "projects", "sek"]
    table = kth_service.stats(SearchRequest(), ("year",))
    assert len(lines) == len(table.rows) + 1
    assert len({line[0] for line in lines[1:]}) == len(lines) - 1  # one row per year
    for line, row in zip(lines[1:], table.rows, strict=True):
        assert (line[0], line[1]) == (row.keys[0], row.labels[0])
        assert int(line[2]) == row.projects
        assert float(line[3]) == pytest.approx(row.sek, abs=0.005)
    assert "2020" in [line[0] for line in lines]


def test_stats_csv_semicolon_and_bom(capsys, kth_home: Path, kth_service) -> None:
    args = ("stats", "--by", "org_type", "--format", "csv", "--delimiter", "semicolon")
    code, out, _ = run(capsys, kth_home, *args, "--bom")
    assert code == 0
    assert out.startswith(BOM)
    lines = _csv(out[len(BOM) :], ";")
    assert lines[0] == ["org_type", "org_type_label", "projects", "sek"]
    table = kth_service.stats(SearchRequest(), ("org_type",))
    assert [(line[0], int(line[2])) for line in lines[1:]] == [
        (row.keys[0], row.projects) for row in table.rows
    ]
    assert "non-profits-foundations;Non profits & Foundations;" in out


def test_stats_two_dimensions_json(capsys, kth_home: Path, kth_service) -> None:
    data = run_json(capsys, kth_home, "stats", "--by", "year", "--by", "funder")
    table = kth_service.stats(SearchRequest(), ("year", "funder"))
    assert data == json.loads(json.dumps(table.to_dict()))
    assert data["dimensions"] == ["year", "funder"]
    assert set(data["rows"][0]) == {
        "year",
        "year_label",
        "funder",
        "funder_label",
        "projects",
        "sek",
    }
    projects = SearchRequest(filters={"kind": ("project",)})  # facilities never count
    assert data["total_projects"] == table.total_projects == kth_service.count(projects)
    assert sum(r["sek"] for r in data["rows"]) == pytest.approx(data["total_sek"], abs=1)


def test_stats_with_query_and_filters(capsys, kth_home: Path, kth_service) -> None:
    args = ("stats", "--by", "award", "--q", "energi", "--funder", VR, "--year", "2020")
    data = run_json(capsys, kth_home, *args, "--lang", "sv")
    req = SearchRequest(q="energi", filters={"funder": (VR,), "year": ("2020",)}, lang="sv")
    table = kth_service.stats(req, ("award",))
    assert data["query"] == "energi"
    assert data["filters"] == {"funder": [VR], "year": ["2020"]}
    assert data["lang"] == "sv"
    assert data["total_projects"] == table.total_projects == kth_service.count(req) > 0
    assert [(r["award"], r["award_label"], r["projects"]) for r in data["rows"]] == [
        (row.keys[0], row.labels[0], row.projects) for row in table.rows
    ]
    assert "Projektbidrag" in {r["award_label"] for r in data["rows"]}


def test_stats_text(capsys, kth_home: Path, kth_service) -> None:
    code, out, _ = run(capsys, kth_home, "stats", "--by", "funder", "--funder", VR)
    assert code == 0
    table = kth_service.stats(SearchRequest(filters={"funder": (VR,)}), ("funder",))
    lines = out.splitlines()
    assert lines[0].startswith("Swedish Research Council")
    assert lines[-1].split() == ["total", str(table.total_projects), f"{table.total_sek:,.0f}"]


def test_stats_bad_dimensions_exit_2(capsys, kth_home: Path) -> None:
    code, out, err = run(capsys, kth_home, "stats", "--by", "year", "--by", "year")
    assert (code, out) == (2, "")
    assert "must differ" in err
    code, out, err = run(
        capsys, kth_home, "stats", "--by", "year", "--by", "funder", "--by", "award"
    )
    assert (code, out) == (2, "")
    assert "one or two dimensions" in err
    with pytest.raises(SystemExit) as exc:
        main(["--home", str(kth_home), "stats", "--by", "colour"])
    assert exc.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_output_closed_by_its_reader_ends_quietly(kth_home: Path) -> None:
    """`research-index search ... | head -1`: the reader closes the pipe; no traceback."""
    import subprocess
    import sys

    command = [
        sys.executable,
        "-m",
        "webapp.cli",
        "--home",
        str(kth_home),
        "search",
        "--size",
        "100",
    ]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()  # as head does after its line
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(timeout=60) == 0
    assert first and "Traceback" not in err and "BrokenPipe" not in err, err


def test_stats_refuse_include_twins(capsys, kth_home: Path) -> None:
    """Statistics count a twin project once: the option that would change nothing is gone."""
    with pytest.raises(SystemExit) as exit_:
        main(["--home", str(kth_home), "stats", "--by", "year", "--include-twins"])
    assert exit_.value.code == 2
    assert "--include-twins" in capsys.readouterr().err
