"""Facility -> Whoosh document, and the links between facilities and the projects using them.

A facility's page lists the projects that use it, and facility search facets on the subjects
of those projects, so both are derived from *all* projects at build time (``FacilityLinks``),
whichever side of the link a source recorded (CERIF ``Project/Uses`` or ``Facility.used_by``).
Facilities share the project fields (titles, descriptions as abstracts, owners as
organisations), so one query searches both kinds.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from harvesters.records import KIND_FACILITY, Facility, Project
from indexer.decompound import Decompounder, expand_compounds
from indexer.documents import (
    KIND_LABELS,
    NO_START,
    OPEN_END,
    Labels,
    org_key,
    org_text,
    slug,
    type_key,
    uid_of,
)


class FacilityLinks:
    """Facility uid -> the uids of projects that use it, and those projects' subject paths."""

    def __init__(self) -> None:
        self.users: dict[str, set[str]] = {}
        self.subjects: dict[str, set[tuple[str | None, str | None, str | None]]] = {}

    def add_project(self, p: Project) -> None:
        paths = {
            (
                s.level1.code if s.level1 else None,
                s.level3.code if s.level3 else None,
                s.level5.code if s.level5 else None,
            )
            for s in p.subjects
        }
        for ref in p.facilities:
            if ref.id:
                self._link(uid_of(p.source, ref.id), uid_of(p.source, p.source_id), paths)

    def add_facility(self, f: Facility) -> None:
        for ref in f.used_by:
            if ref.id:
                self._link(uid_of(f.source, f.source_id), uid_of(f.source, ref.id), set())

    def _link(self, facility: str, project: str, paths: set[tuple[Any, Any, Any]]) -> None:
        self.users.setdefault(facility, set()).add(project)
        self.subjects.setdefault(facility, set()).update(paths)

    @classmethod
    def from_plain(cls, records: Iterable[dict[str, Any]]) -> FacilityLinks:
        """The same links from records as stored (canonical JSON, parsed), without building
        record objects: the builder reads them for every incremental update."""
        links = cls()
        for r in records:
            source, own = r["source"], uid_of(r["source"], r["source_id"])
            if r.get("kind") == KIND_FACILITY:
                for ref in r.get("used_by") or ():
                    if ref.get("id"):
                        links._link(own, uid_of(source, ref["id"]), set())
                continue
            paths = {
                tuple((s.get(level) or {}).get("code") for level in ("level1", "level3", "level5"))
                for s in r.get("subjects") or ()
            }
            for ref in r.get("facilities") or ():
                if ref.get("id"):
                    links._link(uid_of(source, ref["id"]), own, paths)  # type: ignore[arg-type]
        return links

    @classmethod
    def from_records(cls, records: Iterable[Project | Facility]) -> FacilityLinks:
        links = cls()
        for r in records:
            if isinstance(r, Project):
                links.add_project(r)
            else:
                links.add_facility(r)
        return links


def facility_document(
    f: Facility,
    links: FacilityLinks,
    decompounder: Decompounder | None,
    labels: Labels,
    record_json: str | None = None,
) -> dict[str, Any]:
    uid = uid_of(f.source, f.source_id)
    owners = [o for o in f.owners if org_key(o)]
    for o in owners:
        labels.add("org", org_key(o), o.name)
        labels.add("org_type", type_key(o.type), o.type)
    type_keys = []
    for t in f.types:
        label = t.en or t.sv
        if label:
            type_keys.append(slug(label))
            labels.add("facility_type", slug(label), t)
    labels.add("facility", uid, f.name)
    labels.add("kind", KIND_FACILITY, KIND_LABELS[KIND_FACILITY])
    paths = sorted(links.subjects.get(uid, set()), key=lambda p: tuple(x or "" for x in p))
    facts = {
        "money": [],
        "subjects": paths,
        "org": org_key(owners[0]) if owners else None,
        "org_type": type_key(owners[0].type) if owners else None,
        "award": [],
        "funders": [],
        "years": [],
        "start": NO_START,
        "end": OPEN_END,
        "twin": False,
        "kind": KIND_FACILITY,
        "facilities": [],
        "facility_types": sorted(set(type_keys)),
        "users": sorted(links.users.get(uid, set())),
    }
    sv_text = " ".join(t for t in (f.name.sv, f.description.sv) if t)
    names = [t for t in (f.name.sv, f.name.en, f.acronym) if t]
    return {
        "uid": uid,
        "kind": KIND_FACILITY,
        "pid": f.source_id.replace(" ", "_"),
        "title_sv": " ".join(t for t in (f.name.sv, f.acronym) if t),
        "title_en": " ".join(t for t in (f.name.en, f.acronym) if t),
        "title_exact": " \n ".join(names),
        "abstract_sv": " ".join(t for t in (f.description.sv, f.services.sv, f.access.sv) if t),
        "abstract_en": " ".join(t for t in (f.description.en, f.services.en, f.access.en) if t),
        "text_exact": " \n ".join(
            t
            for t in (f.description.sv, f.description.en, f.services.sv, f.services.en, f.city)
            if t
        ),
        "compounds": expand_compounds(sv_text, decompounder) if decompounder else "",
        "person": f.contact or "",
        "org": " \n ".join(org_text(o) for o in f.owners),
        "funder_name": "",
        "orcid": "",
        "f_org": " ".join(k for k in (org_key(o) for o in owners) if k),
        "f_ftype": " ".join(facts["facility_types"]),
        "f_ssif1": " ".join(sorted({c[0] for c in paths if c[0]})),
        "record": record_json if record_json is not None else f.canonical_json(),
        "facts": facts,
    }
