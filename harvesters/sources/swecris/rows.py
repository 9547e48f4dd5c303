"""SweCRIS payloads into raw rows: the JSON of the API and of saved files, the export CSV.

``rows_from_json`` knows ``/v1/scp/search`` (``{"result": [...], "total": n}``, also wrapped in
``{"data": ...}``), the JSON array of ``/v1/projects`` and a single project object;
``csv_rows`` reads the semicolon CSV of ``/v1/scp/export`` (PascalCase or camelCase headers)
through ``harvesters.sources.csv_rows``, so a bad row is marked with its line and the reason
(``__error__``) instead of being lost, and returns each row with where it came from. SweCRIS
ends every row of an export with a line end, so a last row without one is a file cut off
inside it (a cut inside its last, unquoted field would leave the column count right and the
value short): that row is marked too. A payload
that is not JSON or not an export at all is a ``SourceProtocolError`` (the run fails).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from harvesters.core.errors import SourceProtocolError
from harvesters.sources.csv_rows import CsvRow, bad_bytes, decode_text, read_csv

log = logging.getLogger("research_index.harvest")


# -- payloads -> rows ---------------------------------------------------------------------------


def rows_from_json(body: bytes | str) -> tuple[list[dict[str, Any]], int | None]:
    """Rows and the reported ``total`` (None when the shape has none) from a JSON payload.

    Control characters inside strings are accepted (cleaning drops them); bytes that are not
    UTF-8 reach the row holding them, which ``normalise_row`` refuses (``decode_text``)."""
    try:
        data = json.loads(decode_text(body)[0], strict=False)
    except ValueError as exc:
        raise SourceProtocolError(f"response is not valid JSON: {exc}") from exc
    if isinstance(data, dict) and isinstance(data.get("data"), dict):
        data = data["data"]
    total: int | None = None
    if isinstance(data, dict) and "result" in data:
        rows = data["result"]
        if data.get("total") is not None:
            try:
                total = int(data["total"])
            except (TypeError, ValueError) as exc:
                raise SourceProtocolError(f"'total' is not a number: {data['total']!r}") from exc
    elif isinstance(data, dict) and ("projectId" in data or "ProjectId" in data):
        rows = [data]
    else:
        rows = data
    if not isinstance(rows, list):
        raise SourceProtocolError(
            f"expected a list of projects or an object with 'result', got {type(rows).__name__}"
        )
    return rows, total


def rows_from_csv(body: bytes | str) -> list[dict[str, Any]]:
    """Rows of a SweCRIS export CSV (``;`` by default; ``,`` and tab are recognised)."""
    return [row for row, _ in csv_rows(body)]


def csv_rows(body: bytes | str) -> list[tuple[dict[str, Any], CsvRow]]:
    """Each row of an export CSV with where it came from; a bad row carries ``__error__``."""
    text, note = decode_text(body)
    if note:
        log.warning("SweCRIS export: %s", note)
    first = text.split("\n", 1)[0]
    header, rows = read_csv(text, max((";", ",", "\t"), key=first.count))
    if not header:
        return []
    keys = [camel(h.strip()) for h in header]
    if "projectId" not in keys:
        raise SourceProtocolError(
            f"not a SweCRIS export: no ProjectId column in the header {header[:5]!r}..."
        )
    out: list[tuple[dict[str, Any], CsvRow]] = []
    for r in rows:
        row: dict[str, Any] = dict(zip(keys, r.values, strict=False))
        problem = r.error or bad_bytes(r.raw)
        if problem:
            row["__error__"] = f"{r.lines}: {problem}"
        out.append((row, r))
    if out and not text.endswith(("\n", "\r")) and "__error__" not in out[-1][0]:
        out[-1][0]["__error__"] = (
            f"{out[-1][1].lines}: the file ends inside this row (no line end after it): "
            "cut off? the row is not stored"
        )
    return out


def camel(key: str) -> str:
    return key[:1].lower() + key[1:] if key else key
