"""The people file of an index version: the store's person records, saved beside the index.

Projects name their people themselves (``facts``); a source may also keep people as records of
their own (a CERIF Person: a name, an ORCID, other identifiers and the organisations they are
affiliated with), which belong to no project and so to no index document. ``save_people``
writes them to ``people.json`` in the version being built, keyed by ``person_key`` (the key
the projects use, so a CERIF person and their projects meet; two records of one ORCID are
one entry), each with its affiliations' organisation keys; ``load_people`` reads it back for
the search service (an older version without the file has none).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from harvesters.core.records import KIND_PERSON, OrgRef, Person, PersonRecord, record_from_dict
from harvesters.store.scan import scan
from indexer.documents.projects import org_key, person_key

PEOPLE_FILE = "people.json"


def person_entry(r: PersonRecord) -> tuple[str, dict[str, Any]] | None:
    """``(key, entry)`` of a person record, or None when it has no key."""
    key = person_key(r.source, Person(r.name, orcid=r.orcid, person_id=r.source_id))
    if key is None:
        return None
    affiliations = []
    for ref in r.affiliations:
        org = org_key(OrgRef(ref.id, ref.name))
        if org:
            affiliations.append({"key": org, "name": {"sv": ref.name.sv, "en": ref.name.en}})
    return key, {
        "name": r.name,
        "orcid": r.orcid,
        "sources": [r.source],
        "ids": [r.source_id],
        "affiliations": affiliations,
        "identifiers": [[i.type, i.value] for i in r.identifiers],
    }


def _merge(into: dict[str, Any], other: dict[str, Any]) -> None:
    """Two records of one person (one ORCID in two sources): one entry with both's sources,
    ids, affiliations and identifiers, each once; the first name stays."""
    for name in ("sources", "ids", "affiliations", "identifiers"):
        for value in other[name]:
            if value not in into[name]:
                into[name].append(value)


def save_people(target: Path, store_path: str | Path) -> int:
    """Write the active person records of the store to ``target``; how many were written."""
    people: dict[str, dict[str, Any]] = {}
    for raw in scan(store_path, (KIND_PERSON,)):
        record = record_from_dict(raw.plain())
        if not isinstance(record, PersonRecord):
            continue
        found = person_entry(record)
        if found is None:
            continue
        key, entry = found
        if key in people:
            _merge(people[key], entry)
        else:
            people[key] = entry
    with (target / PEOPLE_FILE).open("w", encoding="utf-8") as fh:
        json.dump(people, fh, ensure_ascii=False, sort_keys=True)
    return len(people)


def load_people(path: Path) -> dict[str, dict[str, Any]]:
    """The person records saved in version ``path`` (none for a version made before them)."""
    file = path / PEOPLE_FILE
    if not file.is_file():
        return {}
    data: dict[str, dict[str, Any]] = json.loads(file.read_text("utf-8"))
    return data
