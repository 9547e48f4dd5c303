"""Registry facility -> Whoosh document: what a facility is found by and filtered on.

The facility registry (``indexer.registry``) has already merged the records of one facility
from every source and linked it; this module makes its search document. Facilities share the
project fields (names as titles; description, services, access, types and the texts of its
infrastructure grants as abstracts; owners and hosts as organisations), so one query
searches both kinds, and have facets of their own: type (the registry's types and the
sources' own), owner, country, place (county or town), access (who may use it: a facility
open to both counts under companies and academia too), source, and the subjects of the
projects linked to it.
"""

from __future__ import annotations

import math
from typing import Any

from harvesters.core.places import country_name as _country_name
from harvesters.core.records import (
    ACCESS_ACADEMIA,
    ACCESS_BOTH,
    ACCESS_COMPANIES,
    ACCESS_UNKNOWN,
    KIND_FACILITY,
    LINK_HOSTED_BY,
    Facility,
    Text,
)
from indexer.analysis.compounds import Decompounder, expand_compounds
from indexer.documents.projects import (
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
from indexer.documents.sources import source_label
from indexer.registry.build import Registry

ACCESS_LABELS = {
    ACCESS_COMPANIES: Text("Öppen för företag", "Open to companies"),
    ACCESS_ACADEMIA: Text("Öppen för akademin", "Open to academia"),
    ACCESS_BOTH: Text("Företag och akademi", "Companies and academia"),
    ACCESS_UNKNOWN: Text("Ej angivet", "Not stated"),
}


#: A facility search lists the facilities of this country first (``indexer.service.search``): the
#: users of this index look for what they can reach; a country filter shows any other.
HOME_COUNTRY = "SE"
EVIDENCE_WEIGHT = 0.1


def prior(evidence: int) -> float:
    """A facility's standing before any query: one with evidence of use (``evidence``: its and
    its parts' grants, projects that use or name it, publications it served) ranks first among
    facilities that match a query about equally well. A factor on the score in facility-only
    searches: 1.0 + 0.1 log2(1 + evidence) (1.0 with none, 2.0 with 1,023)."""
    return round(1.0 + EVIDENCE_WEIGHT * math.log2(1 + evidence), 4)


def country_name(code: str) -> Text:
    return Text(_country_name(code, "sv") or code, _country_name(code, "en") or code)


def access_values(access_for: str | None) -> list[str]:
    """A facility open to both is found under companies and under academia too."""
    value = access_for or ACCESS_UNKNOWN
    if value == ACCESS_BOTH:
        return [ACCESS_ACADEMIA, ACCESS_BOTH, ACCESS_COMPANIES]
    return [value]


def place_key(f: Facility) -> str | None:
    place = f.region or f.city
    if not place:
        return None
    return slug(f"{f.country or 'xx'}-{place}")


def facility_document(
    f: Facility,
    registry: Registry,
    decompounder: Decompounder | None,
    labels: Labels,
) -> dict[str, Any]:
    uid = uid_of(f.source, f.source_id)
    owners = [o for o in f.owners if org_key(o)]
    for o in owners:
        labels.add("org", org_key(o), o.name)
        labels.add("org_type", type_key(o.type), o.type)
    types = registry.types.get(uid, [])
    type_keys = [t.key for t in types]
    for t in types:
        labels.add("facility_type", t.key, t.label)
    ours = {t.label for t in types}
    for theirs in f.types:
        key = type_key(theirs)
        if key and key not in type_keys and theirs not in ours:
            type_keys.append(key)
            labels.add("facility_type", key, theirs)
    labels.add("facility", uid, f.name)
    labels.add("kind", KIND_FACILITY, KIND_LABELS[KIND_FACILITY])
    if f.country:
        labels.add("country", f.country, country_name(f.country))
    place = place_key(f)
    if place:
        labels.add("place", place, Text(f.region or f.city, f.region or f.city))
    access = access_values(f.access_for)
    for a in access:
        labels.add("access", a, ACCESS_LABELS[a])
    sources = sorted({m.id.split(":", 1)[0] for m in f.members if m.id} or {f.source})
    for s in sources:
        labels.add("source", s, source_label(s))
    paths = registry.subjects.get(uid, [])
    hosts = [link.name for link in f.links if link.kind == LINK_HOSTED_BY]
    country = country_name(f.country) if f.country else Text()
    grants = registry.texts.get(uid, Text())
    facts: dict[str, Any] = {
        "money": [],
        "subjects": paths,
        "org": org_key(owners[0]) if owners else None,
        "owners": [k for k in dict.fromkeys(org_key(o) for o in owners) if k],
        "org_type": type_key(owners[0].type) if owners else None,
        "award": [],
        "funders": [],
        "years": [],
        "start": NO_START,
        "end": OPEN_END,
        "twin": False,
        "kind": KIND_FACILITY,
        "facilities": [],
        "facility_types": type_keys,
        "country": [f.country] if f.country else [],
        "place": [place] if place else [],
        "access": access,
        "source": sources,
        "prior": prior(registry.evidence.get(uid, 0)),
        "home": f.country == HOME_COUNTRY,
        "parent": f.part_of.id if f.part_of else None,
    }

    def lang_text(lang: str) -> str:
        parts = [
            getattr(f.description, lang),
            getattr(f.services, lang),
            getattr(f.access, lang),
            *(getattr(t, lang) for t in f.types),
            *(getattr(t.label, lang) for t in types),
            *(t.terms for t in types),
            f.city,
            f.region,
            getattr(country, lang),
            getattr(grants, lang),
        ]
        return " \n ".join(p for p in parts if p)

    def kind_text(lang: str) -> str:
        labels = [*(getattr(t, lang) for t in f.types), *(getattr(t.label, lang) for t in types)]
        return " \n ".join([*(x for x in labels if x), *(t.terms for t in types)])

    grant_titles = registry.titles.get(uid, Text())
    sv_text = " ".join(t for t in (f.name.sv, lang_text("sv")) if t)
    names = [t for t in (f.name.sv, f.name.en, f.acronym, *f.aliases) if t]
    return {
        "uid": uid,
        "kind": KIND_FACILITY,
        "pid": f.source_id.replace(" ", "_"),
        "title_sv": " \n ".join(
            t for t in (f.name.sv, f.acronym, *f.aliases, grant_titles.sv) if t
        ),
        "title_en": " \n ".join(
            t for t in (f.name.en, f.acronym, *f.aliases, grant_titles.en) if t
        ),
        "kind_sv": kind_text("sv"),
        "kind_en": kind_text("en"),
        "title_exact": " \n ".join(names),
        "abstract_sv": lang_text("sv"),
        "abstract_en": lang_text("en"),
        "text_exact": " \n ".join(
            t
            for t in (
                f.description.sv,
                f.description.en,
                f.services.sv,
                f.services.en,
                f.city,
                f.region,
            )
            if t
        ),
        "compounds": expand_compounds(sv_text, decompounder) if decompounder else "",
        "person": f.contact or "",
        "org": " \n ".join(
            [*(org_text(o) for o in f.owners), *(t for h in hosts for t in (h.sv, h.en) if t)]
        ),
        "funder_name": "",
        "orcid": "",
        "f_org": " ".join(k for k in (org_key(o) for o in owners) if k),
        "f_ftype": " ".join(type_keys),
        "f_ssif1": " ".join(sorted({c[0] for c in paths if c[0]})),
        "f_ssif3": " ".join(sorted({c[1] for c in paths if c[1]})),
        "f_ssif5": " ".join(sorted({c[2] for c in paths if c[2]})),
        "f_country": " ".join(facts["country"]),
        "f_place": " ".join(facts["place"]),
        "f_access": " ".join(access),
        "f_source": " ".join(sources),
        "record": f.canonical_json(),
        "facts": facts,
    }
