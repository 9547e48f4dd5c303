"""The ESFRI roadmap (2016) as the data-cartography project keeps it: a TAB-separated file.

The file is called ``esfri.csv`` but its cells are separated by TABs; lines starting with ``#``
are comments (the first line, and rows taken out of the roadmap) and are not items. Columns:
Type, Field, Name, Full Name, Roadmap Entry (Year), Operation, Legal Status, Construction
Costs, Operational Annual Budget, Meril ID, Town, Country, Lat, Long.

``parse_esfri(source, payloads, progress)`` makes one ``Facility`` per row: ``name.en`` is the
Full Name, ``acronym`` the Name (its slug is the ``source_id``), the type "ESFRI landmark" or
"ESFRI project" (Swedish "ESFRI-landmärke", "ESFRI-projekt"), a short English description from
Field, roadmap year, operation year and legal status, ``city`` the Town, ``country`` the
Country (or the point's, by the gazetteer), ``lat``/``lon`` when given and a ``meril``
identifier from the Meril ID (parentheses dropped). A row with a bad latitude or longitude,
another Type, a Meril ID that is not a number, a duplicate Name or the wrong number of cells
is quarantined; a file without the Name and Full Name columns fails the run.
"""

from __future__ import annotations

from collections.abc import Sequence

from harvesters.core import places
from harvesters.core.errors import ParseError, SourceProtocolError
from harvesters.core.progress import Progress
from harvesters.core.records import ACCESS_UNKNOWN, Facility, Identifier, Text
from harvesters.sources.csv_rows import bad_bytes, decode_text, read_csv
from harvesters.sources.facilities.common import coordinates, log, slug
from harvesters.sources.run import Parsed
from harvesters.store.database import RawPayload

TYPES = {
    "landmark": Text(sv="ESFRI-landmärke", en="ESFRI landmark"),
    "project": Text(sv="ESFRI-projekt", en="ESFRI project"),
}
REQUIRED = ("type", "name", "full name")
_MISSING = {"", "na", "n/a", "-"}


def parse_esfri(
    source: str, payloads: Sequence[RawPayload], progress: Progress | None = None
) -> Parsed:
    rows: list[tuple[str, dict[str, str], str, str | None]] = []
    for payload in payloads:
        rows.extend(_rows(payload))
    if progress:
        progress.set_total(len(rows))
    records: list[Facility] = []
    failures: list[ParseError] = []
    seen: dict[str, str] = {}
    for where, row, raw, problem in rows:
        if progress:
            progress.advance()
        fid = slug(row.get("name", "")) or None
        try:
            if problem:
                raise ValueError(problem)
            facility = _facility(source, row)
            if facility.source_id in seen:
                raise ValueError(f"the Name is used twice (first at {seen[facility.source_id]})")
            seen[facility.source_id] = where
            records.append(facility)
        except ValueError as exc:
            failures.append(ParseError(fid, f"{where}: {exc}", where=where, raw=raw))
    return Parsed(list(records), len(rows), failures)


def _rows(payload: RawPayload) -> list[tuple[str, dict[str, str], str, str | None]]:
    """(where, row by lower-case column, raw line, problem) of every row that is no comment."""
    text, note = decode_text(payload.body)
    if note:
        log.warning("%s: %s", payload.label, note)
    # leading comments go; later ones become blank lines, which read_csv leaves out
    lines = text.splitlines(keepends=True)
    skip = 0
    while skip < len(lines) and (not lines[skip].strip() or lines[skip].lstrip().startswith("#")):
        skip += 1
    kept = "".join("\n" if line.lstrip().startswith("#") else line for line in lines[skip:])
    header_cells, csv_rows = read_csv(kept, "\t")
    header = [h.strip().lower() for h in header_cells]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise SourceProtocolError(
            f"{payload.label}: not the ESFRI roadmap table (TAB-separated, with the columns "
            f"Type, Name and Full Name); missing: {', '.join(missing)}"
        )
    out = []
    for line in csv_rows:
        row = {h: v.strip() for h, v in zip(header, line.values, strict=False)}
        first, last = line.first_line + skip, line.last_line + skip
        shown = f"line {first}" if first == last else f"lines {first}-{last}"
        problem = line.error or bad_bytes(line.raw)
        out.append((f"{payload.label} {shown}", row, line.raw, problem))
    return out


def _value(row: dict[str, str], column: str) -> str | None:
    value = " ".join((row.get(column) or "").split())
    return None if value.lower() in _MISSING else value


def _facility(source: str, row: dict[str, str]) -> Facility:
    name = _value(row, "name")
    full = _value(row, "full name")
    if not name:
        raise ValueError("no Name")
    kind = (_value(row, "type") or "").lower()
    if kind not in TYPES:
        raise ValueError(f"the Type must be Landmark or Project, not {row.get('type')!r}")
    lat_text, lon_text = _value(row, "lat"), _value(row, "long")
    lat = lon = None
    place = None
    if lat_text or lon_text:
        if not (lat_text and lon_text):
            raise ValueError("a point needs both Lat and Long")
        lat, lon = coordinates(lat_text, lon_text)
        place = places.locate(lat, lon)
    country_text = _value(row, "country")
    country = places.country_code(country_text) or (place.country if place else None)
    if country_text and country is None:
        raise ValueError(f"unknown Country {country_text!r} and no point to place it by")
    town = _value(row, "town")
    if place and place.country == country and place.region:
        region: str | None = place.region
    else:
        region = places.region_of_town(town, country)
    return Facility(
        source=source,
        source_id=slug(name),
        name=Text(en=full or name),
        acronym=name,
        description=Text(en=_description(row, kind)),
        types=(TYPES[kind],),
        identifiers=_meril_id(row),
        city=town,
        country=country,
        region=region,
        lat=lat,
        lon=lon,
        access_for=ACCESS_UNKNOWN,
    )


def _meril_id(row: dict[str, str]) -> tuple[Identifier, ...]:
    value = (_value(row, "meril id") or "").strip("() ")
    if not value:
        return ()
    if not value.isdigit():
        raise ValueError(f"the Meril ID must be a number, not {row.get('meril id')!r}")
    return (Identifier("meril", value),)


def _description(row: dict[str, str], kind: str) -> str:
    """ "ESFRI landmark in Physical Sciences & Engineering, on the roadmap since 2006, in
    operation from 2025; legal status: ERIC."""
    parts = [f"ESFRI {kind}"]
    field = _value(row, "field")
    if field:
        parts[0] += f" in {field}"
    entry = _value(row, "roadmap entry (year)")
    if entry:
        parts.append(f"on the roadmap since {entry}")
    operation = _value(row, "operation")
    if operation:
        parts.append(f"in operation from {operation}")
    text = ", ".join(parts)
    status = _value(row, "legal status")
    if status:
        text += f"; legal status: {status}"
    return text + "."
