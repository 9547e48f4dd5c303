"""Value cleaning: every SweCRIS date format, HTML abstracts, placeholders, NFC, amounts."""

from __future__ import annotations

import unicodedata

import pytest

from harvesters.sources.clean import (
    clean_orcid,
    clean_str,
    clean_text,
    parse_amount,
    parse_date,
    parse_int,
    parse_timestamp,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2023-12-01 00:00:00", "2023-12-01"),  # projectStartDate
        ("2023-01-01", "2023-01-01"),  # fundingStartDate
        ("2023", "2023-01-01"),  # year-only fundingStartDate
        ("2012-04-01 12:00:00", "2012-04-01"),
        ("Oct 27 2023  2:37PM", "2023-10-27"),  # scp/search loadedDate
        ("2023-09-08T05:13:18.97", "2023-09-08"),  # projects JSON loadedDate
        ("07/17/2025 23:54:06", "2025-07-17"),  # export CSV loadedDate
        ("2020-06-30T10:00:00Z", "2020-06-30"),
        ("2021-05", "2021-05-01"),  # CERIF Duration YYYY-MM
        ("NULL", None),
        ("  ", None),
        (None, None),
    ],
)
def test_parse_date_formats(raw: str | None, expected: str | None) -> None:
    assert parse_date(raw) == expected


def test_period_end_of_bare_year_and_month() -> None:
    assert parse_date("2026", end=True) == "2026-12-31"
    assert parse_date("2024-02", end=True) == "2024-02-29"
    assert parse_date("2026-12-31 12:00:00", end=True) == "2026-12-31"


def test_timestamps_keep_the_time() -> None:
    assert parse_timestamp("Oct 27 2023  2:37PM") == "2023-10-27T14:37:00"
    assert parse_timestamp("07/17/2025 23:54:06") == "2025-07-17T23:54:06"


def test_unknown_date_format_is_an_error_not_a_guess() -> None:
    with pytest.raises(ValueError, match="unrecognised date"):
        parse_date("sometime in 2023")


def test_strings_are_trimmed_nfc_and_placeholders_are_missing() -> None:
    assert clean_str("Swedish Energy Agency ") == "Swedish Energy Agency"
    assert clean_str("NULL") is None
    assert clean_str("Name in English not available") is None
    nfd = unicodedata.normalize("NFD", "Göteborgs universitet")
    assert nfd != "Göteborgs universitet"
    assert clean_str(nfd) == "Göteborgs universitet"
    assert clean_str("a\u00a0 b\tc") == "a b c"


def test_html_abstract_becomes_clean_text_with_paragraphs() -> None:
    raw = (
        "<p>First &amp; <strong>bold</strong> part.</p>\r\n"
        "<p>Second&nbsp;part &lt;3</p><script>x()</script>"
    )
    assert clean_text(raw) == "First & bold part.\n\nSecond part <3"


def test_plain_text_keeps_line_breaks_and_drops_blank_runs() -> None:
    assert clean_text("One\r\n\r\n\r\nTwo  words\nthree") == "One\n\nTwo words\nthree"
    assert clean_text("   ") is None


def test_amounts_and_ints() -> None:
    assert parse_amount("19991495") == 19991495.0
    assert parse_amount(628832) == 628832.0
    assert parse_amount("1 234,50") == 1234.5
    assert parse_amount("3499076,25") == 3499076.25
    assert parse_amount("NULL") is None
    assert parse_int("2023") == 2023
    assert parse_int(2023.0) == 2023
    with pytest.raises(ValueError, match="unrecognised amount"):
        parse_amount("lots")
    with pytest.raises(ValueError, match="whole number"):
        parse_int("2023.5")


def test_orcid_from_bare_id_or_url() -> None:
    assert clean_orcid("0000-0002-5407-0835") == "0000-0002-5407-0835"
    assert clean_orcid("https://orcid.org/0000-0001-2345-678x") == "0000-0001-2345-678X"
    assert clean_orcid("") is None
    assert clean_orcid("not an orcid") is None
