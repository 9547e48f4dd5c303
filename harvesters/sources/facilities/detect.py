"""Which facility format a saved file holds, by its content (never by its name).

``facility_kind(payload)`` answers with the source kind that reads it, or None:

- ``meril``: a GeoJSON FeatureCollection most of whose features carry a ``name`` property;
- ``esfri``: a TAB-separated table (after ``#`` comment lines) with the columns Type, Name and
  Full Name;
- ``lightsources``: a facility table, beamline file, lightsources.org list or names table of
  the XAS Data Library (``lightsources.file_role``);
- ``scilifelab``: SciLifeLab's units file or a yearly publications file (its
  ``universities.csv`` is no format of its own: ``None``);
- ``facility-list``: a hand-kept facility list, CSV (``,`` or ``;``) whose header names only
  known columns including ``id``, or JSON (a list of objects, or ``{"facilities": [...]}``)
  whose items have an ``id`` and only known fields.
"""

from __future__ import annotations

import json
from typing import Any

from harvesters.sources.csv_rows import decode_text
from harvesters.sources.facilities import lightsources, scilifelab
from harvesters.sources.facilities.lists import COLUMNS
from harvesters.store.database import RawPayload

KIND_MERIL = "meril"
KIND_ESFRI = "esfri"
KIND_LIGHTSOURCES = "lightsources"
KIND_SCILIFELAB = "scilifelab"
KIND_FACILITY_LIST = "facility-list"
FACILITY_KINDS = (KIND_MERIL, KIND_ESFRI, KIND_LIGHTSOURCES, KIND_SCILIFELAB)


def facility_kind(payload: RawPayload) -> str | None:
    try:
        text, _ = decode_text(payload.body)
    except ValueError:
        return None
    head = text.lstrip(" \r\n\t")[:1]
    if head in ("{", "["):
        try:
            data = json.loads(text, strict=False)
        except ValueError:
            return None
        return _json_kind(payload, data)
    return _table_kind(text)


def _json_kind(payload: RawPayload, data: Any) -> str | None:
    if _is_meril(data):
        return KIND_MERIL
    if lightsources.file_role(data) is not None:
        return KIND_LIGHTSOURCES
    found = scilifelab.file_role(payload)
    if found is not None and found[0] != scilifelab.ROLE_UNIVERSITIES:
        return KIND_SCILIFELAB
    items = data.get("facilities") if isinstance(data, dict) else data
    if (
        isinstance(items, list)
        and items
        and all(isinstance(x, dict) and "id" in x and set(x) <= set(COLUMNS) for x in items[:20])
    ):
        return KIND_FACILITY_LIST
    return None


def _is_meril(data: Any) -> bool:
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        return False
    features = data.get("features")
    if not isinstance(features, list) or not features:
        return False
    sample = features[:20]
    named = [f for f in sample if isinstance(f, dict) and isinstance(f.get("properties"), dict)]
    return 2 * sum(1 for f in named if "name" in f["properties"]) > len(sample)


def _table_kind(text: str) -> str | None:
    lines = [line for line in text.splitlines() if line.strip()]
    body = [line for line in lines if not line.lstrip().startswith("#")]
    if not body:
        return None
    first = body[0]
    if "\t" in first:
        names = {h.strip().lower() for h in first.split("\t")}
        return KIND_ESFRI if {"type", "name", "full name"} <= names else None
    delimiter = ";" if first.count(";") > first.count(",") else ","
    header = [h.strip().strip('"').lower() for h in lines[0].split(delimiter)]
    if "id" in header and all(h in COLUMNS for h in header):
        return KIND_FACILITY_LIST
    return None
