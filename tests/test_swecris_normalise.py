"""SweCRIS rows into projects: every payload shape, ¤-packed fields, grouping and twins."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harvesters.core.errors import ParseError, SourceProtocolError
from harvesters.sources.swecris import normalise as swecris

HEADER = (
    "ProjectId;ProjectTitleSv;ProjectTitleEn;ProjectAbstractSv;ProjectAbstractEn;ProjectStartDate;"
    "ProjectEndDate;CoordinatingOrganisationId;CoordinatingOrganisationNameSv;"
    "CoordinatingOrganisationNameEn;FundingOrganisationId;FundingOrganisationNameSv;"
    "FundingOrganisationNameEn;FundingsSek;FundingYear;FundingStartDate;FundingEndDate;"
    "TypeOfAwardId;TypeOfAwardDescrSv;TypeOfAwardDescrEn;UpdatedDate;LoadedDate;InvolvedPeople;Scbs"
)
PEOPLE = (
    "¤¤¤43471¤Ming Xiao¤0000-0002-5407-0835¤Principal Investigator¤Projektledare¤Male"
    "¤¤¤99¤Anna Berg ¤¤Co-Investigator¤Medsökande¤Female"
)
SCBS = (
    "¤¤¤ 1: Naturvetenskap, Natural Sciences, 103: Fysik, Physical Sciences, 10399: Annan "
    "fysik, Other Physics Topics ¤¤¤ 2: Teknik, Engineering and Technology, 202: "
    "Elektroteknik och elektronik, Electrical Engineering, Electronic Engineering, "
    "Information Engineering, 20299: Annan elektroteknik och elektronik, Other Electrical "
    "Engineering, Electronic Engineering, Information Engineering"
)


def _csv(*rows: str) -> bytes:
    return ("\ufeff" + HEADER + "\n" + "\n".join(rows) + "\n").encode("utf-8")


ROW_A = (
    f'2021-00001_VR;Titel;Title;"<p>Sv &amp; text</p>";;2021-01-01 00:00:00;2024-12-31 00:00:00;'
    f"202100-3054;KTH;KTH ;202100-5208;Vetenskapsrådet;Swedish Research Council ;1000000;2021;"
    f"2021;2021;1;Projektbidrag;Project grant;NULL;07/17/2025 23:54:06;{PEOPLE};{SCBS}"
)
ROW_A2 = ROW_A.replace(";1000000;2021;2021;2021;", ";500000;2022;2022-01-01;2022-12-31;")


def test_pascal_case_export_row_is_fully_normalised() -> None:
    rows = swecris.rows_from_csv(_csv(ROW_A))
    p = swecris.normalise_row(rows[0])
    assert p.source_id == "2021-00001_VR"
    assert p.abstract.sv == "Sv & text"
    assert p.abstract.en is None
    assert (p.start, p.end) == ("2021-01-01", "2024-12-31")
    assert p.coordinator is not None and p.coordinator.name.en == "KTH"
    f = p.fundings[0]
    assert f.funder.name.en == "Swedish Research Council"  # trailing space trimmed
    assert (f.amount, f.year, f.start, f.end) == (1000000.0, 2021, "2021-01-01", "2021-12-31")
    assert p.updated is None and p.loaded == "2025-07-17T23:54:06"
    assert [x.name for x in p.people] == ["Ming Xiao", "Anna Berg"]
    assert p.people[0].orcid == "0000-0002-5407-0835" and p.people[1].orcid is None
    assert p.people[1].role.sv == "Medsökande"
    assert [s.codes() for s in p.subjects] == [["1", "103", "10399"], ["2", "202", "20299"]]
    label = p.subjects[1].level5.label  # type: ignore[union-attr]
    assert label.sv == "Annan elektroteknik och elektronik"
    assert (
        label.en == "Other Electrical Engineering, Electronic Engineering, Information Engineering"
    )
    assert p.source_url and p.source_url.endswith("2021-00001_VR")


def test_rows_of_one_project_are_grouped_with_totals_and_period() -> None:
    rows = swecris.rows_from_csv(_csv(ROW_A, ROW_A2))
    projects = swecris.group_projects([swecris.normalise_row(r) for r in rows])
    assert len(projects) == 1
    p = projects[0]
    assert p.total_sek() == 1500000.0
    assert p.funding_years() == [2021, 2022]
    assert len(p.funders()) == 1


def test_row_with_wrong_column_count_is_a_parse_error() -> None:
    rows = swecris.rows_from_csv(_csv(ROW_A, "2021-9_VR;only;three"))
    with pytest.raises(ParseError, match="2021-9_VR: line 3: 3 columns"):
        swecris.normalise_row(rows[1])


def test_bad_values_name_the_record() -> None:
    with pytest.raises(ParseError, match="X_VR: unrecognised date"):
        swecris.normalise_row({"projectId": "X_VR", "projectStartDate": "31st of June"})
    with pytest.raises(ParseError, match="no projectId"):
        swecris.normalise_row({"projectTitleEn": "orphan"})
    with pytest.raises(ParseError, match="expected an object"):
        swecris.normalise_row(["not", "a", "row"])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "body",
    [
        b'{"result": [{"projectId": "A_VR"}], "total": 1}',
        b'{"data": {"result": [{"projectId": "A_VR"}], "total": 1}}',
        b'[{"projectId": "A_VR"}]',
        b'{"projectId": "A_VR"}',
    ],
)
def test_every_json_shape_is_accepted(body: bytes) -> None:
    rows, _ = swecris.rows_from_json(body)
    assert [swecris.row_id(r) for r in rows] == ["A_VR"]


def test_invalid_json_and_wrong_shapes_fail_loudly() -> None:
    with pytest.raises(SourceProtocolError, match="not valid JSON"):
        swecris.rows_from_json(b'{"result": [')
    with pytest.raises(SourceProtocolError, match="expected a list"):
        swecris.rows_from_json(b'{"result": 5}')
    with pytest.raises(SourceProtocolError, match="'total' is not a number"):
        swecris.rows_from_json(b'{"result": [], "total": "many"}')
    with pytest.raises(SourceProtocolError, match="no ProjectId column"):
        swecris.rows_from_csv(b"a;b\n1;2\n")


def test_real_search_response_normalises(shared_data: Path) -> None:
    path = shared_data / "swecris" / "scp_search_response_scb40107.json"
    raw = json.loads(path.read_text(encoding="utf-8"))
    rows, total = swecris.rows_from_json(path.read_bytes())
    assert total == raw["total"] == len(rows)
    projects = [swecris.normalise_row(r) for r in rows]
    assert all(p.loaded for p in projects)  # "Oct 27 2023  2:37PM" style parsed
    sek = sum(p.total_sek() or 0 for p in projects)
    assert sek == pytest.approx(sum(r["fundingsSek"] for r in raw["result"]))
    assert any(p.people for p in projects)
    assert all("40107" in [c for s in p.subjects for c in s.codes()] for p in projects)


def test_twins_are_linked_and_only_the_canonical_counts() -> None:
    vr = ROW_A.replace("2021-00001_VR", "2025-01169_Vinnova")
    rj = ROW_A.replace("2021-00001_VR", "2025-01169_RJ").replace("202100-5208", "802012-1276")
    other = ROW_A.replace("2021-00001_VR", "2025-01169_Formas").replace(";Titel;Title;", ";X;Y;")
    rows = swecris.rows_from_csv(_csv(rj, vr, other))
    projects = swecris.link_twins(swecris.group_projects([swecris.normalise_row(r) for r in rows]))
    by_id = {p.source_id: p for p in projects}
    assert by_id["2025-01169_RJ"].twin_of == "2025-01169_Vinnova"
    assert by_id["2025-01169_Vinnova"].twin_of is None
    assert by_id["2025-01169_Vinnova"].twins == ("2025-01169_RJ",)
    assert by_id["2025-01169_Formas"].twins == ()  # same number, other title: not a twin
    assert [p.counts_in_statistics() for p in projects] == [False, True, True]
    # linking is idempotent and undone when the twin disappears
    again = swecris.link_twins(projects)
    assert again == projects
    alone = swecris.link_twins([by_id["2025-01169_RJ"]])
    assert alone[0].twin_of is None and alone[0].twins == ()
