"""Record -> Whoosh document: the one place that knows both the record model and the schema.

Pure functions. ``to_document`` returns the field dict Whoosh indexes; ``facts`` is the compact
per-document summary (money by year and funder, subjects, dates) that facet counts and
statistics read from an in-memory table instead of from Whoosh (and the ecosystem graph: its
people, with ``person_key``); ``Labels`` collects the
bilingual labels of every facet value so the service can show names for codes.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import date
from typing import Any

from harvesters.core.records import KIND_FACILITY, KIND_PROJECT, OrgRef, Person, Project, Text
from indexer.analysis.compounds import Decompounder, expand_compounds
from indexer.documents.sources import source_label

OPEN_END = 99991231  # a project with no end date is open-ended: ongoing once started
NO_START = 0

_SLUG = re.compile(r"[^a-z0-9]+")
KIND_LABELS = {
    KIND_PROJECT: Text("Projekt", "Projects"),
    KIND_FACILITY: Text("Infrastruktur och utrustning", "Facilities and equipment"),
}


def uid_of(source: str, source_id: str) -> str:
    return f"{source}:{source_id}"


def date_int(value: str | None, default: int) -> int:
    """``YYYY-MM-DD`` as the integer YYYYMMDD (sortable, comparable); default when missing."""
    if not value:
        return default
    return int(value[:10].replace("-", ""))


def today_int(day: date | None = None) -> int:
    d = day or date.today()
    return d.year * 10000 + d.month * 100 + d.day


def slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _SLUG.sub("-", ascii_text.lower()).strip("-") or "x"


def org_key(org: OrgRef) -> str | None:
    """The facet value of an organisation: its org number, else a stable key from its name."""
    if org.id:  # a CERIF id ("OrgUnits/1") keeps no slash: it is part of a page address
        return org.id.replace(" ", "").replace("/", "~")
    name = org.name.sv or org.name.en
    if not name:
        return None
    return "name-" + hashlib.sha1(name.casefold().encode()).hexdigest()[:10]


LEAD_ROLES = frozenset({"Principal Investigator", "Coordinator", "Projektledare", "Koordinator"})


def leads(person: Person) -> bool:
    """Whether a person leads their project (principal investigator, coordinator)."""
    return bool({person.role.en, person.role.sv} & LEAD_ROLES)


_KEY = re.compile(r"[\w.\-:~]{1,64}")  # a filter value and a page address, as it stands


def person_key(source: str, person: Person) -> str | None:
    """A person's key across records: ``orcid:<ORCID>``, else ``<source>-<person id>`` (a
    source's own id, stable within it; one that would not fit a filter value, by length or
    characters, becomes ``<source>-h<its hash>``), else None (a name alone is not a person)."""
    if person.orcid:
        return f"orcid:{person.orcid}"
    if person.person_id:
        key = f"{source}-{person.person_id}".replace("/", "~").replace(" ", "")
        if _KEY.fullmatch(key):
            return key
        digest = hashlib.sha1(person.person_id.encode()).hexdigest()[:16]
        return f"{source[:40]}-h{digest}"
    return None


def type_key(t: Text) -> str | None:
    label = t.en or t.sv
    return slug(label) if label else None


class Labels:
    """Facet value -> bilingual label, gathered while documents are built."""

    def __init__(self, data: dict[str, dict[str, dict[str, str | None]]] | None = None) -> None:
        self.data: dict[str, dict[str, dict[str, str | None]]] = data or {}

    def add(self, facet: str, value: str | None, label: Text) -> None:
        if value is None:
            return
        known = self.data.setdefault(facet, {}).setdefault(value, {"sv": None, "en": None})
        known["sv"] = known["sv"] or label.sv
        known["en"] = known["en"] or label.en

    def add_plain(self, facet: str, value: str, label: dict[str, str | None]) -> None:
        """Merge a label as saved in labels.json (another build process's)."""
        self.add(facet, value, Text(label.get("sv"), label.get("en")))

    def get(self, facet: str, value: str, lang: str = "en") -> str:
        entry = self.data.get(facet, {}).get(value)
        if not entry:
            return value
        return Text(entry.get("sv"), entry.get("en")).get(lang) or value


def facts(p: Project) -> dict[str, Any]:
    """Compact numbers for facets and statistics; money in SEK only (never mixed currencies)."""
    money = [
        (
            f.year,
            org_key(f.funder),
            f.amount if f.currency == "SEK" and f.amount is not None else 0.0,
            f.award_type.id if f.award_type else None,
        )
        for f in p.fundings
    ]
    paths = [
        (
            s.level1.code if s.level1 else None,
            s.level3.code if s.level3 else None,
            s.level5.code if s.level5 else None,
        )
        for s in p.subjects
    ]
    return {
        "money": money,
        "subjects": paths,
        "org": org_key(p.coordinator) if p.coordinator else None,
        "org_type": type_key(p.coordinator.type) if p.coordinator else None,
        "award": sorted({f.award_type.id for f in p.fundings if f.award_type}),
        "funders": sorted({k for k in (org_key(f.funder) for f in p.fundings) if k}),
        "years": p.funding_years(),
        "start": date_int(p.start, NO_START),
        "end": date_int(p.end, OPEN_END),
        "twin": p.twin_of is not None,
        "kind": KIND_PROJECT,
        "facilities": sorted({uid_of(p.source, r.id) for r in p.facilities if r.id}),
        "source": [p.source],
        "people": _people(p),
    }


def _people(p: Project) -> list[list[Any]]:
    """[key, name, leads] for each person of a project with a key (see ``person_key``)."""
    out: dict[str, list[Any]] = {}
    for person in p.people:
        key = person_key(p.source, person)
        if key is None:
            continue
        lead = leads(person)
        if key in out:
            out[key][2] = out[key][2] or lead
        else:
            out[key] = [key, person.name, lead]
    return list(out.values())


def to_document(
    p: Project,
    decompounder: Decompounder | None,
    labels: Labels,
    record_json: str | None = None,
) -> dict[str, Any]:
    """The Whoosh fields of one project; also records its facet labels in ``labels``.

    ``record_json`` is the record's canonical JSON when the caller already has it (the
    store keeps exactly that), to save serialising it again."""
    funders = p.funders()
    for funder in funders:
        labels.add("funder", org_key(funder), funder.name)
    for fd in p.fundings:
        if fd.award_type:
            labels.add("award", fd.award_type.id, fd.award_type.label)
    if p.coordinator:
        labels.add("org", org_key(p.coordinator), p.coordinator.name)
        labels.add("org_type", type_key(p.coordinator.type), p.coordinator.type)
    for path in p.subjects:
        for lvl, subj in ((1, path.level1), (3, path.level3), (5, path.level5)):
            if subj:
                labels.add(f"subject{lvl}", subj.code, subj.label)
    for ref in p.facilities:
        if ref.id:
            labels.add("facility", uid_of(p.source, ref.id), ref.name)
    labels.add("kind", KIND_PROJECT, KIND_LABELS[KIND_PROJECT])
    labels.add("source", p.source, source_label(p.source))
    f = facts(p)
    sv_text = " ".join(t for t in (p.title.sv, p.abstract.sv) if t)
    doc: dict[str, Any] = {
        "uid": uid_of(p.source, p.source_id),
        "kind": p.kind,
        "pid": p.source_id.replace(" ", "_"),
        "title_sv": p.title.sv or "",
        "title_en": p.title.en or "",
        "title_exact": " \n ".join(t for t in (p.title.sv, p.title.en) if t),
        "abstract_sv": p.abstract.sv or "",
        "abstract_en": p.abstract.en or "",
        "text_exact": " \n ".join(t for t in (p.abstract.sv, p.abstract.en) if t),
        "compounds": expand_compounds(sv_text, decompounder) if decompounder else "",
        "person": " \n ".join(x.name for x in p.people),
        "org": org_text(p.coordinator),
        "funder_name": " \n ".join(org_text(x) for x in funders),
        "orcid": " ".join(x.orcid for x in p.people if x.orcid),
        "f_funder": " ".join(f["funders"]),
        "f_org": f["org"] or "",
        "f_orgtype": f["org_type"] or "",
        "f_award": " ".join(f["award"]),
        "f_year": " ".join(str(y) for y in f["years"]),
        "f_ssif1": " ".join(sorted({c[0] for c in f["subjects"] if c[0]})),
        "f_ssif3": " ".join(sorted({c[1] for c in f["subjects"] if c[1]})),
        "f_ssif5": " ".join(sorted({c[2] for c in f["subjects"] if c[2]})),
        "f_twin": "twin" if f["twin"] else "canonical",
        "f_facility": " ".join(f["facilities"]),
        "f_source": p.source,
        "record": record_json if record_json is not None else p.canonical_json(),
        "facts": f,
    }
    return doc


def org_text(org: OrgRef | None) -> str:
    if org is None:
        return ""
    return " \n ".join(t for t in (org.name.sv, org.name.en, org.id) if t)
