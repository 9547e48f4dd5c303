"""Facility lists a university keeps by hand (CSV or JSON) into ``Facility`` records.

The columns (CSV header or JSON keys), documented in the README:

==================  ===================================================================
``id``              a stable id within the list (required; the facility's URL uses it)
``name``            the Swedish name (``name`` or ``name_en`` is required)
``name_en``         the English name
``acronym``         short name, e.g. ``NMR``
``owner``           owning organisation's name; ``owner_id`` its org number
``type``            kind of facility, e.g. "Core facility", "Instrument"
``city``            where it is
``description``     Swedish description; ``description_en`` English
``services``        what it offers (Swedish); ``services_en`` English
``access``          who may use it and how (Swedish); ``access_en`` English; the words
                    ``companies`` / ``academia`` here are searchable
``access_for``      ``companies``, ``academia``, ``both`` or ``unknown``; when empty it is
                    read from the access texts (``harvesters.sources.facilities.access``)
``contact``         e-mail or name
``url``             its web page (http or https)
``subjects``        SSIF codes (1, 3 or 5 digits) separated by ``;``, ``,``, ``|`` or spaces
                    (quote the cell when the separator is the CSV delimiter)
``country``         ISO 3166-1 code or name ("SE", "Sweden", "Sverige"); when empty: the
                    point's country, else "SE" when the city is a Swedish town
``lat``, ``lon``    the point, in decimal degrees (both or neither)
==================  ===================================================================

The region (a Swedish county) comes from the point, else from the city by name
(``harvesters.core.places``: "Huddinge" is in Stockholm county).

CSV may use ``,`` or ``;`` and may start with a byte-order mark. A bad row (no id, no name,
a duplicate id, a bad URL or subject code, an unknown country or access kind, a bad point,
extra columns) is a ``ParseError`` naming the line
and the reason; the run's error budget decides whether the rest is committed.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from typing import Any

from harvesters.core import places
from harvesters.core.errors import ParseError, SourceProtocolError
from harvesters.core.progress import Progress
from harvesters.core.records import Facility, OrgRef, Subject, SubjectPath, Text
from harvesters.sources.clean import clean_str, clean_text
from harvesters.sources.csv_rows import bad_bytes, bad_bytes_in, decode_text, read_csv
from harvesters.sources.facilities.access import access_kind, classify_access
from harvesters.sources.facilities.common import coordinates
from harvesters.sources.run import Parsed
from harvesters.store.database import RawPayload

log = logging.getLogger("research_index.harvest")

COLUMNS = (
    "id",
    "name",
    "name_en",
    "acronym",
    "owner",
    "owner_id",
    "type",
    "city",
    "description",
    "description_en",
    "services",
    "services_en",
    "access",
    "access_en",
    "contact",
    "url",
    "subjects",
    "access_for",
    "country",
    "lat",
    "lon",
)
_CODE = re.compile(r"^\d{1}$|^\d{3}$|^\d{5}$")


def parse_facility_lists(
    source: str, payloads: Sequence[RawPayload], progress: Progress | None = None
) -> Parsed:
    rows: list[tuple[str, dict[str, Any], str]] = []
    for payload in payloads:
        rows.extend(_rows(payload))
    if progress:
        progress.set_total(len(rows))
    records: list[Facility] = []
    failures: list[ParseError] = []
    seen: set[str] = set()
    for where, row, raw in rows:
        if progress:
            progress.advance()
        try:
            facility = facility_from_row(source, row, where)
            if facility.source_id in seen:
                raise ParseError(facility.source_id, f"{where}: the id is used twice")
            seen.add(facility.source_id)
            records.append(facility)
        except ParseError as exc:
            failures.append(exc.located(where, raw))
    return Parsed(list(records), len(rows), failures)


def _rows(payload: RawPayload) -> list[tuple[str, Any, str]]:
    """(where, row, raw text) of every item of a list; a file that is no list at all fails."""
    body, note = decode_text(payload.body)
    if note:
        log.warning("%s: %s", payload.label, note)
    if payload.content_type.endswith("json") or body.lstrip()[:1] in ("[", "{"):
        try:
            data = json.loads(body, strict=False)
        except ValueError as exc:
            raise SourceProtocolError(f"{payload.label}: not valid JSON: {exc}") from exc
        if isinstance(data, dict):
            data = data.get("facilities", data)
        if not isinstance(data, list):
            raise SourceProtocolError(f"{payload.label}: expected a list of facilities")
        return [
            (f"{payload.label} item {i}", _checked(r), json.dumps(r, ensure_ascii=False))
            for i, r in enumerate(data, 1)
        ]
    first = body.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    header_cells, lines = read_csv(body, delimiter)
    header = [h.strip().lower() for h in header_cells]
    unknown = [h for h in header if h not in COLUMNS]
    if "id" not in header or unknown:
        raise SourceProtocolError(
            f"{payload.label}: the header must name known columns including id"
            + (f"; unknown: {', '.join(unknown)}" if unknown else "")
        )
    out = []
    for line in lines:
        row: dict[str, Any] = dict(zip(header, line.values, strict=False))
        problem = line.error or bad_bytes(line.raw)
        if problem:
            row["__error__"] = problem
        out.append((f"{payload.label} {line.lines}", row, line.raw))
    return out


def _checked(row: Any) -> Any:
    """A JSON item with undecodable bytes is marked so ``facility_from_row`` refuses it."""
    problem = bad_bytes_in(row)
    if problem and isinstance(row, dict):
        return {**row, "__error__": problem}
    return row


def facility_from_row(source: str, row: Any, where: str) -> Facility:
    if not isinstance(row, dict):
        raise ParseError(None, f"{where}: expected an object, got {type(row).__name__}")
    if isinstance(row.get("id"), dict | list):
        raise ParseError(None, f"{where}: the id must be a single value")
    fid = clean_str(row.get("id"))
    if not fid:
        raise ParseError(None, f"{where}: no id")
    if row.get("__error__"):
        raise ParseError(fid, f"{where}: {row['__error__']}")
    extra = set(row) - set(COLUMNS)
    if extra:
        raise ParseError(fid, f"{where}: unknown fields {', '.join(sorted(map(str, extra)))}")
    nested = sorted(k for k, v in row.items() if isinstance(v, dict | list))
    if nested:
        raise ParseError(fid, f"{where}: {', '.join(nested)} must be a single value")
    name = Text(clean_str(row.get("name")), clean_str(row.get("name_en")))
    if not name:
        raise ParseError(fid, f"{where}: no name (name or name_en)")
    url = clean_str(row.get("url"))
    if url and not url.startswith(("http://", "https://")):
        raise ParseError(fid, f"{where}: url must start with http:// or https://")
    owner_name = clean_str(row.get("owner"))
    owner_id = clean_str(row.get("owner_id"))
    owners = (
        (OrgRef(id=owner_id, name=Text(owner_name, owner_name)),)
        if (owner_name or owner_id)
        else ()
    )
    kind = clean_str(row.get("type"))
    access = Text(clean_text(row.get("access")), clean_text(row.get("access_en")))
    city = clean_str(row.get("city"))
    lat, lon, country, region = _place(fid, where, row, city)
    return Facility(
        source=source,
        source_id=fid,
        name=name,
        acronym=clean_str(row.get("acronym")),
        description=Text(clean_text(row.get("description")), clean_text(row.get("description_en"))),
        owners=owners,
        types=(Text(kind, kind),) if kind else (),
        subjects=_subjects(fid, where, row.get("subjects")),
        city=city,
        services=Text(clean_text(row.get("services")), clean_text(row.get("services_en"))),
        access=access,
        contact=clean_str(row.get("contact")),
        url=url,
        country=country,
        region=region,
        lat=lat,
        lon=lon,
        access_for=_access_for(fid, where, row, access),
    )


def _access_for(fid: str, where: str, row: dict[str, Any], access: Text) -> str:
    stated = clean_str(row.get("access_for"))
    if stated is None:
        return classify_access(access.sv, access.en)
    kind = access_kind(stated)
    if kind is None:
        raise ParseError(
            fid, f"{where}: access_for must be companies, academia, both or unknown, not {stated!r}"
        )
    return kind


def _place(
    fid: str, where: str, row: dict[str, Any], city: str | None
) -> tuple[float | None, float | None, str | None, str | None]:
    """(lat, lon, country, region) of a row: the stated point and country, else what the
    gazetteer says of the point or the city."""
    lat_text, lon_text = clean_str(row.get("lat")), clean_str(row.get("lon"))
    lat = lon = None
    place = None
    if lat_text or lon_text:
        if not (lat_text and lon_text):
            raise ParseError(fid, f"{where}: a point needs both lat and lon")
        try:
            lat, lon = coordinates(lat_text, lon_text)
        except ValueError as exc:
            raise ParseError(fid, f"{where}: {exc}") from None
        place = places.locate(lat, lon)
    stated = clean_str(row.get("country"))
    country = places.country_code(stated)
    if stated and country is None:
        raise ParseError(fid, f"{where}: unknown country {stated!r}")
    if country is None and place is not None:
        country = place.country
    if country is None and places.is_known_town(city, "SE"):
        country = "SE"
    if place is not None and place.country == country and place.region:
        return lat, lon, country, place.region
    return lat, lon, country, places.region_of_town(city, country)


def _subjects(fid: str, where: str, raw: Any) -> tuple[SubjectPath, ...]:
    text = clean_str(raw)
    if not text:
        return ()
    paths = []
    for code in re.split(r"[;,|\s]+", text):
        if not code:
            continue
        if not _CODE.match(code):
            raise ParseError(
                fid, f"{where}: subject {code!r} is not an SSIF code (1, 3 or 5 digits)"
            )
        levels = {len(code): Subject(code)}
        if len(code) >= 3:
            levels[1] = Subject(code[:1])
        if len(code) == 5:
            levels[3] = Subject(code[:3])
        paths.append(SubjectPath(levels.get(1), levels.get(3), levels.get(5)))
    return tuple(paths)
