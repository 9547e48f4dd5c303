"""Value cleaning shared by every normaliser: strings, HTML abstracts, dates, amounts, ORCIDs.

Pure functions, standard library only. Each returns ``None`` for a missing value ("NULL",
blanks, known placeholders) and raises ``ValueError`` with a clear message for a value that is
present but cannot be understood, so the caller can count the record against its error budget.
"""

from __future__ import annotations

import calendar
import math
import re
import unicodedata
from datetime import date, datetime
from functools import lru_cache
from html.parser import HTMLParser

# Strings sources use for "no value" (SweCRIS: "NULL"; placeholders seen in the KTH data).
MISSING = {"", "null", "none", "nan", "na", "n/a", "-", "name in english not available"}

_WS = re.compile(r"[ \t\f\v\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_str(value: object) -> str | None:
    """Trim, NFC-normalise and fold inner runs of spaces; placeholders become None."""
    if value is None:
        return None
    text = _CONTROL.sub("", str(value))  # before NFC: a control char may split a composition
    text = unicodedata.normalize("NFC", _WS.sub(" ", text).strip())
    if text.lower() in MISSING:
        return None
    return text


_BLOCK_TAGS = {
    "p",
    "div",
    "br",
    "li",
    "ul",
    "ol",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "tr",
    "table",
    "blockquote",
    "section",
    "article",
    "pre",
}


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n\n" if tag != "br" else "\n")
        if tag == "li":
            self.parts.append("• ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


_TAG_HINT = re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>|&[#a-zA-Z0-9]+;")


def clean_text(value: object) -> str | None:
    """Abstract text: HTML removed, entities decoded, paragraph breaks kept, NFC, trimmed."""
    if value is None:
        return None
    raw = str(value).replace("\r\n", "\n").replace("\r", "\n")
    if _TAG_HINT.search(raw):  # the parser decodes entities itself: once, never twice
        parser = _TextExtractor()
        parser.feed(raw)
        parser.close()
        raw = "".join(parser.parts)
    raw = _CONTROL.sub("", raw.replace("\r", "\n"))  # a decoded &#13; is a line break too
    paragraphs = []
    for block in re.split(r"\n\s*\n", raw):
        lines = [_WS.sub(" ", line).strip() for line in block.split("\n")]
        joined = "\n".join(line for line in lines if line)
        if joined:
            paragraphs.append(joined)
    text = unicodedata.normalize("NFC", "\n\n".join(paragraphs))
    if text.lower() in MISSING:
        return None
    return text


# Formats seen in SweCRIS (data-sources.md 1.4) and CERIF, tried in order.
_DATETIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M:%S.%f",
    "%Y-%m-%dT%H:%M:%SZ",
    "%Y-%m-%dT%H:%M:%S%z",
    "%Y-%m-%dT%H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y",
    "%b %d %Y %I:%M%p",
    "%d %b %Y",
    "%Y-%m-%d",
    "%Y%m%d",
)
_YEAR = re.compile(r"^\d{4}$")
_YEAR_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_ISO_START = re.compile(r"^\d{4}-\d{2}-\d{2}")
_FRACTION = re.compile(r"(\.\d{1,6})\d*")


def parse_datetime(value: object) -> datetime | None:
    """Parse any date or timestamp format the sources use; None when missing.

    Year-only values ("2023") become 1 January and year-month values ("2023-05") the first of
    the month; use ``parse_date(..., end=True)`` for the end of a period.
    """
    text = clean_str(value)
    if text is None:
        return None
    return _parse_datetime_text(text)


@lru_cache(maxsize=65536)
def _parse_datetime_text(text: str) -> datetime:
    if _ISO_START.match(text):
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            pass
        else:
            return parsed.replace(tzinfo=None) if parsed.tzinfo else parsed
    text = re.sub(r"\s+", " ", text)
    if _YEAR.match(text):
        return datetime(int(text), 1, 1)
    m = _YEAR_MONTH.match(text)
    if m:
        return datetime(int(m.group(1)), int(m.group(2)), 1)
    candidate = _FRACTION.sub(lambda mm: mm.group(1), text)
    if candidate.endswith("Z") and "T" in candidate and "." in candidate:
        candidate = candidate[:-1]
    for fmt in _DATETIME_FORMATS:
        try:
            parsed = datetime.strptime(candidate, fmt)
        except ValueError:
            continue
        return parsed.replace(tzinfo=None) if parsed.tzinfo else parsed
    raise ValueError(f"unrecognised date {text!r}")


def parse_date(value: object, end: bool = False) -> str | None:
    """An ISO date (YYYY-MM-DD). With ``end=True`` a bare year means 31 December."""
    text = clean_str(value)
    if text is None:
        return None
    if end and (_YEAR.match(text) or _YEAR_MONTH.match(text)):
        year, _, month = text.partition("-")
        y, m = int(year), int(month or 12)
        if not (1 <= y <= 9999 and 1 <= m <= 12):
            raise ValueError(f"unrecognised date {text!r}")
        return date(y, m, calendar.monthrange(y, m)[1]).isoformat()
    parsed = parse_datetime(text)
    return parsed.date().isoformat() if parsed else None


def parse_timestamp(value: object) -> str | None:
    """An ISO timestamp (YYYY-MM-DDTHH:MM:SS) for loaded/updated dates."""
    parsed = parse_datetime(value)
    return parsed.replace(microsecond=0).isoformat() if parsed else None


def parse_amount(value: object) -> float | None:
    """An amount as a number; accepts numbers, "1 234,50", "1234.5"; None when missing."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"expected an amount, got {value!r}")
    if isinstance(value, int | float):
        return _finite(value, value)
    text = clean_str(value)
    if text is None:
        return None
    compact = text.replace(" ", "").replace("\u00a0", "")
    if "," in compact and "." not in compact:
        compact = compact.replace(",", ".")
    elif "," in compact:
        compact = compact.replace(",", "")
    try:
        number = float(compact)
    except ValueError as exc:
        raise ValueError(f"unrecognised amount {text!r}") from exc
    return _finite(number, text)


def _finite(number: float, shown: object) -> float:
    """``number`` as a float; infinity, NaN and numbers past float range are ValueErrors."""
    try:
        out = float(number)
    except OverflowError:
        out = math.inf
    if not math.isfinite(out):
        text = repr(shown)
        text = text if len(text) <= 40 else text[:37] + "..."
        raise ValueError(f"unrecognised amount {text} (not a finite number)")
    return out


def parse_int(value: object) -> int | None:
    amount = parse_amount(value)
    if amount is None:
        return None
    if amount != int(amount):
        raise ValueError(f"expected a whole number, got {value!r}")
    return int(amount)


_ORCID = re.compile(r"(\d{4}-\d{4}-\d{4}-\d{3}[\dXx])")


def clean_orcid(value: object) -> str | None:
    """The bare ORCID iD (0000-0002-5407-0835), from a bare id or an orcid.org URL."""
    text = clean_str(value)
    if text is None:
        return None
    m = _ORCID.search(text)
    return m.group(1).upper() if m else None
