"""What the facility importers share: reading a payload, stable ids, values and coordinates.

- ``load_json(payload)``: the payload's JSON (UTF-8, or Windows-1252 when it holds no UTF-8 at
  all); a file that is not JSON is broken as a whole: ``SourceProtocolError``, the run fails;
- ``slug(text)``: a stable, URL-safe id from a name ("MAX IV Laboratory" -> "max-iv-laboratory");
- ``text_value`` / ``one_line``: a string field, None when missing, a ``ParseError`` reason
  when it is a list or an object; ``one_line`` folds line breaks and treats "." as missing;
- ``coordinates(lat, lon)``: two numbers in range, or a ``ValueError`` saying what is wrong;
- ``file_name(payload)``: the file a payload came from, for messages and file roles.
"""

from __future__ import annotations

import json
import logging
import math
import re
import unicodedata
from typing import Any

from harvesters.core.errors import SourceProtocolError
from harvesters.sources.clean import clean_str
from harvesters.sources.csv_rows import bad_bytes_in, decode_text
from harvesters.store.database import RawPayload

log = logging.getLogger("research_index.harvest")

_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_PLACEHOLDERS = {".", "..", "?", "--"}


def file_name(payload: RawPayload) -> str:
    label = payload.label
    return label[5:] if label.startswith("file:") else label


def load_json(payload: RawPayload) -> Any:
    """The payload as JSON; a file that is not JSON fails the run (``SourceProtocolError``)."""
    text, note = decode_text(payload.body)
    if note:
        log.warning("%s: %s", payload.label, note)
    try:
        return json.loads(text, strict=False)
    except ValueError as exc:
        raise SourceProtocolError(f"{payload.label}: not valid JSON ({exc})") from exc


def as_json(value: Any) -> str:
    """An item's raw text for the quarantine."""
    return json.dumps(value, ensure_ascii=False, default=repr)


def slug(text: str) -> str:
    """Lower-case ASCII words joined by hyphens; accents folded, '&' read as 'and'."""
    folded = unicodedata.normalize("NFKD", text.replace("&", " and ").casefold())
    ascii_text = folded.encode("ascii", "ignore").decode("ascii")
    return _NOT_SLUG.sub("-", ascii_text).strip("-")


def text_value(item: dict[str, Any], key: str) -> str | None:
    """A single text field of an item; a list or object there is a ``ValueError``."""
    value = item.get(key)
    if isinstance(value, dict | list):
        raise ValueError(f"{key} must be a single value, not {type(value).__name__}")
    problem = bad_bytes_in(value)
    if problem:
        raise ValueError(f"{key}: {problem}")
    if isinstance(value, bool):
        return str(value).lower()
    return clean_str(value)


def one_line(item: dict[str, Any], key: str) -> str | None:
    """``text_value`` on one line (line breaks folded); "." and "?" placeholders are None."""
    value = text_value(item, key)
    if value is None:
        return None
    value = " ".join(value.split())
    return None if value in _PLACEHOLDERS else value


def number(value: Any, what: str) -> float:
    """A finite number from a JSON number or a numeric string, or a ``ValueError``."""
    if isinstance(value, bool) or value is None:
        raise ValueError(f"{what} is not a number: {value!r}")
    if isinstance(value, int | float):
        out = float(value)
    elif isinstance(value, str):
        try:
            out = float(value.strip())
        except ValueError:
            raise ValueError(f"{what} is not a number: {value!r}") from None
    else:
        raise ValueError(f"{what} is not a number: {type(value).__name__}")
    if not math.isfinite(out):
        raise ValueError(f"{what} is not a finite number: {value!r}")
    return out


def coordinates(lat: Any, lon: Any, strings: bool = True) -> tuple[float, float]:
    """(lat, lon) checked: numbers (numeric strings too when ``strings``), lat within +-90
    and lon within +-180; else a ``ValueError`` naming the bad one."""
    for value, what in ((lat, "latitude"), (lon, "longitude")):
        if isinstance(value, str) and not strings:
            raise ValueError(f"the {what} is a string ({value!r}), not a number")
    la, lo = number(lat, "the latitude"), number(lon, "the longitude")
    if not -90 <= la <= 90:
        raise ValueError(f"the latitude {la:g} is out of range (-90 to 90)")
    if not -180 <= lo <= 180:
        raise ValueError(f"the longitude {lo:g} is out of range (-180 to 180)")
    return la, lo


def web_url(value: str | None) -> str | None:
    """An http(s) URL, or None for anything else (sources keep dead or odd links)."""
    if value and value.lower().startswith(("http://", "https://")) and " " not in value:
        return value
    return None
