"""The MERIL map of European research infrastructures (a GeoJSON FeatureCollection).

``parse_meril(source, payloads, progress)`` makes one ``Facility`` per feature:

- ``name.en`` is the name without its trailing "(ACRONYM)", which becomes ``acronym``
  ("MAX IV Laboratory (MAX IV)"); nested parentheses are kept whole ("ECMWF (CEPMMT)");
- ``lat``/``lon`` are the point; ``country``, ``region`` and ``city`` come from the gazetteer
  (``places.locate_many``); there is no per-record URL, so ``source_url`` stays None;
- ``source_id`` is the slug of the full name. The same name at the same point again is a
  duplicate (quarantined); the same name at another point is another site, whose id gets its
  town (or country, or rounded point) as a suffix.

A file that is not a FeatureCollection fails the run. A feature that is not a Point, whose
coordinates are missing, not numbers or out of range, or that has no name (or a list for one)
is quarantined with the reason, its place in the file and its raw JSON.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from harvesters.core import places
from harvesters.core.errors import ParseError, SourceProtocolError
from harvesters.core.progress import Progress
from harvesters.core.records import ACCESS_UNKNOWN, Facility, Text
from harvesters.sources.facilities.common import as_json, coordinates, load_json, slug, text_value
from harvesters.sources.run import Parsed
from harvesters.store.database import RawPayload

TYPE = Text(sv="Forskningsinfrastruktur", en="Research infrastructure")


@dataclass(frozen=True)
class _Site:
    where: str
    raw: str
    name: str
    lat: float
    lon: float


def parse_meril(
    source: str, payloads: Sequence[RawPayload], progress: Progress | None = None
) -> Parsed:
    features: list[tuple[str, Any]] = []
    for payload in payloads:
        data = load_json(payload)
        if (
            not isinstance(data, dict)
            or data.get("type") != "FeatureCollection"
            or not isinstance(data.get("features"), list)
        ):
            raise SourceProtocolError(f"{payload.label}: not a GeoJSON FeatureCollection")
        features.extend(
            (f"{payload.label} feature {n}", f) for n, f in enumerate(data["features"], 1)
        )
    if progress:
        progress.set_total(len(features))
    sites: list[_Site] = []
    failures: list[ParseError] = []
    for where, feature in features:
        try:
            sites.append(_site(where, feature))
        except ValueError as exc:
            name = feature.get("properties", {}) if isinstance(feature, dict) else None
            label = name.get("name") if isinstance(name, dict) else None
            fid = slug(label) if isinstance(label, str) and slug(label) else None
            failures.append(ParseError(fid, f"{where}: {exc}", where=where, raw=as_json(feature)))
        if progress:
            progress.advance()
    located = places.locate_many([(s.lat, s.lon) for s in sites])
    records: list[Facility] = []
    first: dict[str, _Site] = {}  # base id -> its first site
    used: set[str] = set()
    for site, place in zip(sites, located, strict=True):
        base = slug(site.name)
        seen = first.get(base)
        if seen is not None and (seen.lat, seen.lon) == (site.lat, site.lon):
            reason = f"{site.where}: the same name at the same point as {seen.where}"
            failures.append(ParseError(base, reason, where=site.where, raw=site.raw))
            continue
        first.setdefault(base, site)
        fid = base if base not in used else _site_id(base, site, place, used)
        used.add(fid)
        records.append(_facility(source, fid, site, place))
    return Parsed(list(records), len(features), failures)


def _site(where: str, feature: Any) -> _Site:
    if not isinstance(feature, dict):
        raise ValueError(f"a feature must be an object, not {type(feature).__name__}")
    props = feature.get("properties")
    if not isinstance(props, dict):
        raise ValueError("the feature has no properties")
    name = text_value(props, "name")
    if not name:
        raise ValueError("the feature has no name")
    geometry = feature.get("geometry")
    if not isinstance(geometry, dict) or geometry.get("type") != "Point":
        kind = geometry.get("type") if isinstance(geometry, dict) else None
        raise ValueError(f"the geometry must be a Point, not {kind or 'missing'}")
    point = geometry.get("coordinates")
    if not isinstance(point, list) or len(point) < 2:
        raise ValueError("the Point needs coordinates [longitude, latitude]")
    lat, lon = coordinates(point[1], point[0], strings=False)
    return _Site(where, as_json(feature), name, lat, lon)


def _site_id(base: str, site: _Site, place: places.Place, used: set[str]) -> str:
    """The id of another site of a name already used: suffixed by its town, else country,
    else its rounded point."""
    for suffix in (place.town, place.country, f"{site.lat:.4f} {site.lon:.4f}"):
        if suffix and f"{base}-{slug(suffix)}" not in used:
            return f"{base}-{slug(suffix)}"
    n = 2
    while f"{base}-{n}" in used:
        n += 1
    return f"{base}-{n}"


_TRAILING = re.compile(r"\s*\(([^()]*(?:\([^()]*\)[^()]*)*)\)\s*$")


def split_name(name: str) -> tuple[str, str | None]:
    """("MAX IV Laboratory", "MAX IV") from "MAX IV Laboratory (MAX IV)"; a name with no
    trailing parenthesis, or nothing before it, is kept whole."""
    m = _TRAILING.search(name)
    if not m or not name[: m.start()].strip() or not m.group(1).strip():
        return name, None
    return name[: m.start()].strip(), m.group(1).strip()


def _facility(source: str, fid: str, site: _Site, place: places.Place) -> Facility:
    full, acronym = split_name(site.name)
    return Facility(
        source=source,
        source_id=fid,
        name=Text(en=full),
        acronym=acronym,
        types=(TYPE,),
        city=place.town,
        country=place.country,
        region=place.region,
        lat=site.lat,
        lon=site.lon,
        access_for=ACCESS_UNKNOWN,
    )
