"""The record model: every kind round-trips through its stored form unchanged."""

from __future__ import annotations

import json

import pytest

from harvesters.core.records import (
    AwardType,
    Facility,
    Funding,
    Identifier,
    Organisation,
    OrgRef,
    Person,
    PersonRecord,
    Project,
    Ref,
    Subject,
    SubjectPath,
    Text,
    record_from_dict,
)

ORG = OrgRef(
    id="202100-3054", name=Text("KTH", "KTH Royal"), type=Text("Universitet", "University")
)
SUBJECT = SubjectPath(
    Subject("1", Text("Naturvetenskap", "Natural Sciences")),
    None,
    Subject("10101", Text("Analys", "Analysis")),
)

RECORDS = [
    Project(
        source="swecris",
        source_id="107/08_SNSB",
        title=Text("Titel", None),
        abstract=Text(None, "Abstract\n\ntwo"),
        start="2020-01-01",
        end=None,
        coordinator=ORG,
        fundings=(
            Funding(
                ORG,
                1.5,
                "EUR",
                2020,
                "2020-01-01",
                "2020-12-31",
                AwardType("5", Text("Forskningsinfrastruktur", None)),
                "x",
            ),
        ),
        award_type=AwardType("1"),
        people=(Person("Anna", Text("PL", "PI"), "0000-0001-2345-6789", "7"),),
        subjects=(SUBJECT,),
        twins=("a", "b"),
        keywords=("k1",),
        identifiers=(Identifier("doi", "10.1/x"),),
        facilities=(Ref("E1", Text(None, "Aircraft")),),
    ),
    Facility(
        source="cerif",
        source_id="Equipment/1",
        name=Text("Flygplan", "Aircraft"),
        acronym="AC",
        owners=(ORG,),
        types=(Text(None, "Aircraft"),),
        used_by=(Ref("Projects/1", Text(None, "EUFAR")),),
        subjects=(SUBJECT,),
        city="Lund",
    ),
    Organisation(
        source="cerif",
        source_id="OrgUnits/1",
        name=Text(None, "CNR"),
        identifiers=(Identifier("ror", "https://ror.org/04zaypm56"),),
        part_of=Ref("OrgUnits/0"),
    ),
    PersonRecord(
        source="cerif",
        source_id="Persons/1",
        name="Anna Berg",
        orcid="0000-0001-2345-6789",
        affiliations=(Ref("OrgUnits/1"),),
    ),
]


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: r.kind)
def test_round_trip_through_json(record) -> None:  # type: ignore[no-untyped-def]
    stored = json.loads(record.canonical_json())
    again = record_from_dict(stored)
    assert again == record
    assert type(again) is type(record)
    assert again.content_hash() == record.content_hash()


def test_hash_changes_with_content_only() -> None:
    p = RECORDS[0]
    assert isinstance(p, Project)
    assert Project.from_dict(p.to_dict()).content_hash() == p.content_hash()
    changed = Project.from_dict({**p.to_dict(), "title": {"sv": "Ny titel", "en": None}})
    assert changed.content_hash() != p.content_hash()


def test_totals_never_mix_currencies() -> None:
    p = Project(
        "s",
        "1",
        fundings=(Funding(ORG, 100.0, "SEK"), Funding(ORG, 5.0, "EUR"), Funding(ORG, 50.0, "SEK")),
    )
    assert p.totals() == {"SEK": 150.0, "EUR": 5.0}
    assert p.total_sek() == 150.0


def test_unknown_kind_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown record kind 'spaceship'"):
        record_from_dict({"kind": "spaceship", "source": "x", "source_id": "1"})


def test_missing_optional_fields_get_defaults() -> None:
    p = record_from_dict({"source": "s", "source_id": "1", "title": None})
    assert isinstance(p, Project)
    assert p.title == Text() and p.fundings == () and p.coordinator is None
