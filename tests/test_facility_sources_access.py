"""Who may use a facility, from its access texts in Swedish and English."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from harvesters.core.records import ACCESS_KINDS
from harvesters.sources.facilities.access import access_kind, classify_access

EXPECTED = {
    "ana-futura": "both",
    "vecura": "companies",
    "a-working-lab": "both",
    "karolinska-atmp-center": "academia",
    "scilifelab": "both",
    "radiotherapy-testbed": "companies",
    "h2-health-hub": "companies",
}


def test_the_seven_stockholm_rows(shared_data: Path) -> None:
    path = shared_data / "facilities" / "stockholm-life-science" / "facilities.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 7
    for row in rows:
        want = EXPECTED[row["id"]]
        assert classify_access(row["access"], row["access_en"]) == want, row["id"]
        assert classify_access(row["access"]) == want, row["id"]  # Swedish alone
        assert classify_access(row["access_en"]) == want, row["id"]  # English alone


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Nationell resurs för akademi och vård.", "academia"),
        ("Öppen för näringslivet", "companies"),
        ("Tjänster för SME och forskargrupper", "both"),
        ("Open to industry and universities", "both"),
        ("Commercial users welcome", "companies"),
        ("Non-commercial use by academic researchers", "academia"),
        ("Available to research groups", "academia"),
        ("Ansökan via förslag", "unknown"),
        ("", "unknown"),
    ],
)
def test_classify(text: str, kind: str) -> None:
    assert classify_access(text) == kind
    assert kind in ACCESS_KINDS


def test_nothing_said_is_unknown() -> None:
    assert classify_access() == "unknown"
    assert classify_access(None, None) == "unknown"


def test_a_stated_kind() -> None:
    assert access_kind("Companies") == "companies"
    assert access_kind(" both ") == "both"
    assert access_kind("akademi") == "academia"
    assert access_kind("everyone") is None
    assert access_kind(None) is None
