"""CERIF link resolution: the parsed entities of one harvest into linked records.

Pure functions over what ``harvesters.sources.cerif.parse.parse_entity`` returns. Records embed
copies of their neighbours (a project's coordinator OrgUnit, its Funding, the Equipment it uses);
the guidelines say an embedded copy never carries more or different data than the top-level record
with the same id, so ``resolve_links`` prefers the top-level record, field by field, and keeps
the embedded copy when the id is dangling (reliability.md H13: never fail on a missing target).

- The same ``(entity, id)`` seen twice (one record in two sets, H14) is kept once: the last.
- ``OrgRef``s resolve by CERIF id or by org key (org number / ROR) and then carry the top-level
  organisation's key, name and type.
- A project's ``Funded/As`` Funding becomes a ``records.Funding``: amount and currency from the
  top-level Funding (never converted, never taken from a parent programme), period from its
  ``Duration``; the funder is the Funding's own ``Funder``, else the project's ``Funded/By``
  (or the embedded copy's funder), else the first ``Funder`` up the ``PartOf`` chain.
- ``Project.facilities`` and ``Facility.used_by`` show the Project-Uses-Equipment link from
  both sides. Team people take name and ORCID from the top-level Person record.
- Fundings and unsupported entities are consumed, not returned: the result holds projects,
  facilities, organisations and people, each group in the order first seen.

It also holds the types both halves share (``FundingEntity``, ``Unsupported``) and the two
conversions both use (``org_key``, ``funding_record``), so the parser imports from here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import TypeAlias

from harvesters.core.records import (
    Facility,
    Funding,
    Identifier,
    Organisation,
    OrgRef,
    Person,
    PersonRecord,
    Project,
    Record,
    Ref,
    Text,
)

_MAX_CHAIN = 50


@dataclass(frozen=True)
class FundingEntity:
    """A CERIF Funding (programme, call or grant): the intermediate form ``resolve_links`` uses."""

    source: str
    id: str
    name: Text = field(default_factory=Text)
    acronym: str | None = None
    type: str | None = None
    amount: float | None = None
    currency: str | None = None
    funder: OrgRef | None = None
    identifiers: tuple[Identifier, ...] = ()
    part_of: str | None = None
    start: str | None = None
    end: str | None = None


@dataclass(frozen=True)
class Unsupported:
    """A well-formed CERIF entity of a kind we do not map yet: skipped, not counted as an error."""

    entity: str
    id: str | None
    reason: str = "unsupported entity"


CerifEntity: TypeAlias = (
    Project | Facility | Organisation | PersonRecord | FundingEntity | Unsupported
)


def org_key(identifiers: Iterable[Identifier], cerif_id: str | None) -> str | None:
    """The id an ``OrgRef`` carries: org number, else ROR URL, else the CERIF id."""
    found = {i.type: i.value for i in reversed(list(identifiers))}
    return found.get("orgnr") or found.get("ror") or cerif_id


def funding_record(entity: FundingEntity, funder: OrgRef) -> Funding:
    """A project's ``records.Funding`` from a CERIF Funding; the year is the start year."""
    return Funding(
        funder=funder,
        amount=entity.amount,
        currency=entity.currency if entity.amount is not None else None,
        year=int(entity.start[:4]) if entity.start else None,
        start=entity.start,
        end=entity.end,
        source_id=entity.id or None,
    )


def resolve_links(entities: Iterable[CerifEntity]) -> list[Record]:
    """Link the entities of one harvest (any order) and return the records, top-level preferred."""
    latest: dict[tuple[str, str], CerifEntity] = {}
    for entity in entities:
        if isinstance(entity, Unsupported):
            continue
        key = entity.id if isinstance(entity, FundingEntity) else entity.source_id
        latest[(type(entity).__name__, key)] = entity
    return _Linker(list(latest.values())).records()


class _Linker:
    """Indexes of the top-level entities by id, and the rules to resolve one link of each kind."""

    def __init__(self, entities: list[CerifEntity]) -> None:
        self.projects = [e for e in entities if isinstance(e, Project)]
        self.facilities = {e.source_id: e for e in entities if isinstance(e, Facility)}
        self.orgs = {e.source_id: e for e in entities if isinstance(e, Organisation)}
        self.persons = {e.source_id: e for e in entities if isinstance(e, PersonRecord)}
        self.fundings = {e.id: e for e in entities if isinstance(e, FundingEntity)}
        self.org_by_key: dict[str, Organisation] = {}
        for org in self.orgs.values():
            for ident in org.identifiers:
                if ident.type in ("orgnr", "ror"):
                    self.org_by_key.setdefault(ident.value, org)
        self.org_by_key.update(self.orgs)

    def records(self) -> list[Record]:
        projects = [self.project(p) for p in self.projects]
        used_by: dict[str, list[Ref]] = {}
        for p in projects:
            for ref in p.facilities:
                if ref.id is not None and ref.id in self.facilities:
                    users = used_by.setdefault(ref.id, [])
                    mine = Ref(id=p.source_id, name=p.title)
                    if mine not in users:
                        users.append(mine)
        facilities = [
            replace(
                f,
                owners=tuple(dict.fromkeys(self.org(o) for o in f.owners)),
                used_by=tuple(dict.fromkeys([*f.used_by, *used_by.get(f.source_id, [])])),
            )
            for f in self.facilities.values()
        ]
        orgs = [replace(o, part_of=self.org_link(o.part_of)) for o in self.orgs.values()]
        persons = [
            replace(p, affiliations=tuple(self.org_link(a) or a for a in p.affiliations))
            for p in self.persons.values()
        ]
        return [*projects, *facilities, *orgs, *persons]

    # -- one link of each kind ------------------------------------------------------------------

    def org(self, ref: OrgRef) -> OrgRef:
        """An organisation (or a person acting as funder/owner) named by an embedded copy."""
        top = self.org_by_key.get(ref.id) if ref.id else None
        if top is not None:
            return OrgRef(
                id=org_key(top.identifiers, top.source_id),
                name=top.name or ref.name,
                type=top.type or ref.type,
            )
        person = self.persons.get(ref.id) if ref.id else None
        if person is not None:
            return OrgRef(id=ref.id, name=Text(en=person.name), type=ref.type)
        return ref

    def org_link(self, ref: Ref | None) -> Ref | None:
        top = self.orgs.get(ref.id) if ref is not None and ref.id else None
        if ref is None or top is None or not top.name:
            return ref
        return Ref(id=ref.id, name=top.name)

    def person(self, person: Person) -> Person:
        top = self.persons.get(person.person_id) if person.person_id else None
        if top is None:
            return person
        return replace(person, name=top.name, orcid=top.orcid or person.orcid)

    def funding(self, funding: Funding) -> Funding:
        top = self.fundings.get(funding.source_id) if funding.source_id else None
        if top is None:
            return replace(funding, funder=self.org(funding.funder))
        funder = top.funder or (funding.funder if _named(funding.funder) else None)
        funder = funder or self.chain_funder(top) or funding.funder
        money = top.amount is not None  # the top-level record wins wherever it has a value
        start = top.start or funding.start
        return replace(
            funding,
            funder=self.org(funder),
            amount=top.amount if money else funding.amount,
            currency=(top.currency or funding.currency) if money else funding.currency,
            year=int(top.start[:4]) if top.start else funding.year,
            start=start,
            end=top.end or funding.end,
        )

    def chain_funder(self, funding: FundingEntity) -> OrgRef | None:
        """The first ``Funder`` up the top-level ``PartOf`` chain (cycle-safe)."""
        seen: set[str] = {funding.id}
        current = funding
        while current.part_of and current.part_of not in seen and len(seen) < _MAX_CHAIN:
            seen.add(current.part_of)
            parent = self.fundings.get(current.part_of)
            if parent is None:
                return None
            if parent.funder is not None:
                return parent.funder
            current = parent
        return None

    def project(self, p: Project) -> Project:
        facilities = []
        for ref in p.facilities:
            top = self.facilities.get(ref.id) if ref.id else None
            facilities.append(Ref(id=ref.id, name=top.name) if top and top.name else ref)
        people = [q for q in map(self.person, p.people) if q.name]
        return replace(
            p,
            coordinator=self.org(p.coordinator) if p.coordinator else None,
            fundings=tuple(dict.fromkeys(map(self.funding, p.fundings))),
            people=tuple(dict.fromkeys(people)),
            facilities=tuple(dict.fromkeys(facilities)),
        )


def _named(ref: OrgRef | None) -> bool:
    return ref is not None and bool(ref.id or ref.name)
