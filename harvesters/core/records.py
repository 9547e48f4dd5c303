"""The shared record model: what every harvester produces and every other package reads.

Standard library only, so the indexer and the web app can import it without pulling in HTTP or
XML libraries. Records are frozen dataclasses with a canonical ``to_dict()`` / ``from_dict()``
round trip; the store keys them by ``(source, source_id)`` and hashes ``canonical_json()``.

A project is the unit of search. A SweCRIS row is one *funding decision*; the normaliser groups
rows into one ``Project`` with a tuple of ``Funding``. Facilities (``Facility``), organisations
(``Organisation``) and people (``PersonRecord``) are record kinds of their own, linked by
``Ref`` (an id plus the name embedded where the link was found). ``record_from_dict`` rebuilds
any kind from its stored form by the type hints of its dataclass.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field, fields, is_dataclass
from functools import cache
from types import UnionType
from typing import Any, Union, get_args, get_origin, get_type_hints

KIND_PROJECT = "project"
KIND_FACILITY = "facility"
KIND_ORGANISATION = "organisation"
KIND_PERSON = "person"
KIND_PUBLICATION = "publication"

# Who may use a facility (``Facility.access_for``): a facet and a filter.
ACCESS_COMPANIES = "companies"
ACCESS_ACADEMIA = "academia"
ACCESS_BOTH = "both"
ACCESS_UNKNOWN = "unknown"
ACCESS_KINDS = (ACCESS_COMPANIES, ACCESS_ACADEMIA, ACCESS_BOTH, ACCESS_UNKNOWN)

# The kinds of link a facility has to other records (``Link.kind``).
LINK_FUNDED_BY = "funded-by"  # an infrastructure grant that pays for it
LINK_USES = "uses"  # a project says it uses it (CERIF Project/Uses, Equipment used_by)
LINK_MENTIONS = "mentions"  # a project's title or abstract names it (evidence: the sentence)
LINK_SERVED = "served"  # a publication the facility served (SciLifeLab labels)
LINK_OWNED_BY = "owned-by"  # its owner organisation
LINK_HOSTED_BY = "hosted-by"  # the organisation it is hosted at (a grant's coordinator)
LINK_KINDS = (
    LINK_FUNDED_BY,
    LINK_USES,
    LINK_MENTIONS,
    LINK_SERVED,
    LINK_OWNED_BY,
    LINK_HOSTED_BY,
)

SUBJECT_SCHEME_SSIF2011 = "SSIF2011"


@dataclass(frozen=True)
class Text:
    """A bilingual text: Swedish and English, either may be missing."""

    sv: str | None = None
    en: str | None = None

    def get(self, lang: str = "en") -> str | None:
        """The text in ``lang``, falling back to the other language."""
        first, second = (self.sv, self.en) if lang == "sv" else (self.en, self.sv)
        return first if first else second

    def lang_of(self, lang: str = "en") -> str | None:
        """The language code that ``get(lang)`` actually returns, or None when both are missing."""
        if lang == "sv":
            return "sv" if self.sv else ("en" if self.en else None)
        return "en" if self.en else ("sv" if self.sv else None)

    def __bool__(self) -> bool:
        return bool(self.sv or self.en)


@dataclass(frozen=True)
class OrgRef:
    """An organisation as a project or funding names it: org number, names and type."""

    id: str | None = None
    name: Text = field(default_factory=Text)
    type: Text = field(default_factory=Text)


@dataclass(frozen=True)
class AwardType:
    """The kind of award (SweCRIS typeOfAward): 1 project grant ... 5 research infrastructure."""

    id: str
    label: Text = field(default_factory=Text)


@dataclass(frozen=True)
class Funding:
    """One funding decision: who pays how much, in which currency, for which period."""

    funder: OrgRef
    amount: float | None = None
    currency: str | None = None  # an ISO code where the source gives an amount; else none
    year: int | None = None
    start: str | None = None
    end: str | None = None
    award_type: AwardType | None = None
    source_id: str | None = None


@dataclass(frozen=True)
class Person:
    """A person on a project, named as the source gives it (SweCRIS personId is not stable)."""

    name: str
    role: Text = field(default_factory=Text)
    orcid: str | None = None
    person_id: str | None = None


@dataclass(frozen=True)
class Subject:
    """One code of a subject classification with its labels."""

    code: str
    label: Text = field(default_factory=Text)


@dataclass(frozen=True)
class SubjectPath:
    """A subject at levels 1, 3 and 5 of SSIF (6 areas, 42 groups, about 260 subjects)."""

    level1: Subject | None = None
    level3: Subject | None = None
    level5: Subject | None = None
    scheme: str = SUBJECT_SCHEME_SSIF2011

    def codes(self) -> list[str]:
        return [s.code for s in (self.level1, self.level3, self.level5) if s is not None]


class _Stored:
    """What every record kind shares: its plain dict, canonical JSON and content hash."""

    def to_dict(self) -> dict[str, Any]:
        return _to_plain(self)  # type: ignore[no-any-return]

    def canonical_json(self) -> str:
        return _canonical(self)

    def content_hash(self) -> str:
        return _hash(self)


@dataclass(frozen=True)
class Project(_Stored):
    """A research project: the unit of search, built from one or more funding decisions."""

    source: str
    source_id: str
    title: Text = field(default_factory=Text)
    abstract: Text = field(default_factory=Text)
    start: str | None = None
    end: str | None = None
    coordinator: OrgRef | None = None
    fundings: tuple[Funding, ...] = ()
    award_type: AwardType | None = None
    people: tuple[Person, ...] = ()
    subjects: tuple[SubjectPath, ...] = ()
    source_url: str | None = None
    loaded: str | None = None
    updated: str | None = None
    twin_of: str | None = None
    twins: tuple[str, ...] = ()
    acronym: str | None = None
    keywords: tuple[str, ...] = ()
    identifiers: tuple[Identifier, ...] = ()
    facilities: tuple[Ref, ...] = ()
    kind: str = KIND_PROJECT

    @property
    def key(self) -> tuple[str, str]:
        return (self.source, self.source_id)

    def totals(self) -> dict[str, float]:
        """Total amount per currency; amounts in different currencies are never added up."""
        out: dict[str, float] = {}
        for f in self.fundings:
            if f.amount is not None and f.currency:
                out[f.currency] = out.get(f.currency, 0.0) + f.amount
        return out

    def total_sek(self) -> float | None:
        return self.totals().get("SEK")

    def funders(self) -> list[OrgRef]:
        """Distinct funders in order of first appearance."""
        seen: dict[str | None, OrgRef] = {}
        for f in self.fundings:
            key = f.funder.id or f.funder.name.get()
            seen.setdefault(key, f.funder)
        return list(seen.values())

    def funding_years(self) -> list[int]:
        return sorted({f.year for f in self.fundings if f.year is not None})

    def counts_in_statistics(self) -> bool:
        """False for the non-canonical copy of a twin pair, so no statistic counts money twice."""
        return self.twin_of is None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Project:
        return _build(cls, data)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Identifier:
    """An identifier with its scheme (a CERIF type URI, "ror", "orgnr", "doi", ...)."""

    type: str
    value: str


@dataclass(frozen=True)
class Ref:
    """A link to another record by id, with the name embedded where it was found, so a
    dangling link still shows a name."""

    id: str | None = None
    name: Text = field(default_factory=Text)


@dataclass(frozen=True)
class YearCount:
    """How many of something (publications, projects) a year."""

    year: int
    count: int


@dataclass(frozen=True)
class Link:
    """A facility's link to another record, with its kind (``LINK_*``) and its evidence.

    ``target`` is the other record's uid (``source:id``) or, for organisations, its key (org
    number or name key); ``name`` is what to show; ``evidence`` says why the link exists (the
    sentence that names the facility, a publication's qualifier such as "Service"); ``year``
    dates it; ``source`` is the source that said so.
    """

    kind: str
    target: str
    name: Text = field(default_factory=Text)
    evidence: str | None = None
    year: int | None = None
    source: str | None = None


@dataclass(frozen=True)
class Facility(_Stored):
    """A research facility or piece of equipment (CERIF Equipment; a facility list row; a
    MERIL or ESFRI infrastructure; a light source or one of its beamlines; a SciLifeLab unit).

    Importers fill what their source says. ``country`` is an ISO 3166-1 alpha-2 code,
    ``region`` the country's first-level division (a Swedish county) and ``lat``/``lon`` the
    point, when known; ``access_for`` is one of ``ACCESS_KINDS``; ``part_of`` links a beamline
    to its light source or a unit to its platform. The facility registry (``indexer``) merges
    the records of one facility from several sources into one ``Facility`` and fills
    ``members`` (the uids of the records it was made of), ``parts``, ``fundings`` (its
    infrastructure grants) and ``links``.
    """

    source: str
    source_id: str
    name: Text = field(default_factory=Text)
    acronym: str | None = None
    description: Text = field(default_factory=Text)
    owners: tuple[OrgRef, ...] = ()
    types: tuple[Text, ...] = ()
    identifiers: tuple[Identifier, ...] = ()
    used_by: tuple[Ref, ...] = ()
    subjects: tuple[SubjectPath, ...] = ()
    city: str | None = None
    services: Text = field(default_factory=Text)
    access: Text = field(default_factory=Text)
    contact: str | None = None
    url: str | None = None
    source_url: str | None = None
    loaded: str | None = None
    updated: str | None = None
    country: str | None = None
    region: str | None = None
    lat: float | None = None
    lon: float | None = None
    access_for: str | None = None
    part_of: Ref | None = None
    aliases: tuple[str, ...] = ()
    publications_by_year: tuple[YearCount, ...] = ()
    members: tuple[Ref, ...] = ()
    parts: tuple[Ref, ...] = ()
    fundings: tuple[Funding, ...] = ()
    links: tuple[Link, ...] = ()
    kind: str = KIND_FACILITY

    @property
    def key(self) -> tuple[str, str]:
        return (self.source, self.source_id)


@dataclass(frozen=True)
class Organisation(_Stored):
    """An organisation as a record of its own (CERIF OrgUnit)."""

    source: str
    source_id: str
    name: Text = field(default_factory=Text)
    acronym: str | None = None
    type: Text = field(default_factory=Text)
    identifiers: tuple[Identifier, ...] = ()
    part_of: Ref | None = None
    source_url: str | None = None
    kind: str = KIND_ORGANISATION


@dataclass(frozen=True)
class PersonRecord(_Stored):
    """A person as a record of its own (CERIF Person); ORCID is the stable key when present."""

    source: str
    source_id: str
    name: str
    orcid: str | None = None
    identifiers: tuple[Identifier, ...] = ()
    affiliations: tuple[Ref, ...] = ()
    source_url: str | None = None
    kind: str = KIND_PERSON


@dataclass(frozen=True)
class FacilityUse:
    """A facility a publication says it used, and how (SciLifeLab: "Service",
    "Collaborative", "Technology development", or nothing said)."""

    facility: Ref
    how: str | None = None


@dataclass(frozen=True)
class Publication(_Stored):
    """A publication with the facilities that served it (SciLifeLab's publication database).

    Kept in the store as evidence of a facility's use; not a search document of its own.
    """

    source: str
    source_id: str
    title: Text = field(default_factory=Text)
    abstract: Text = field(default_factory=Text)
    year: int | None = None
    published: str | None = None
    journal: str | None = None
    authors: tuple[str, ...] = ()
    doi: str | None = None
    pmid: str | None = None
    facilities: tuple[FacilityUse, ...] = ()
    source_url: str | None = None
    kind: str = KIND_PUBLICATION


Record = Project | Facility | Organisation | PersonRecord | Publication
KINDS: dict[str, type] = {
    KIND_PROJECT: Project,
    KIND_FACILITY: Facility,
    KIND_ORGANISATION: Organisation,
    KIND_PERSON: PersonRecord,
    KIND_PUBLICATION: Publication,
}


def record_from_dict(data: dict[str, Any]) -> Record:
    """Rebuild a record of any kind from its stored dict."""
    kind = data.get("kind", KIND_PROJECT)
    cls = KINDS.get(kind)
    if cls is None:
        raise ValueError(f"unknown record kind {kind!r}")
    return _build(cls, data)  # type: ignore[no-any-return]


def _to_plain(obj: Any) -> Any:
    if hasattr(obj, "__dataclass_fields__"):
        return {f.name: _to_plain(getattr(obj, f.name)) for f in fields(obj)}
    if isinstance(obj, tuple | list):
        return [_to_plain(x) for x in obj]
    return obj


def _canonical(obj: Any) -> str:
    return json.dumps(_to_plain(obj), ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _hash(obj: Any) -> str:
    return hashlib.sha256(_canonical(obj).encode("utf-8")).hexdigest()


@cache
def _hints(cls: type) -> dict[str, Any]:
    return get_type_hints(cls)


def _build(tp: Any, value: Any) -> Any:
    """Rebuild a value of type ``tp`` from its plain form (dicts, lists, scalars)."""
    return _builder(tp)(value)


def _same(value: Any) -> Any:
    return value


@cache
def _builder(tp: Any) -> Callable[[Any], Any]:
    """A function that rebuilds values of type ``tp``, made once per type: the type hints are
    read here, not for every value (a full index build rebuilds every stored record)."""
    origin = get_origin(tp)
    if origin in (Union, UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        return _builder(args[0]) if len(args) == 1 else _same
    if origin is tuple:
        item = _builder(get_args(tp)[0])
        return lambda value: None if value is None else tuple(map(item, value))
    if is_dataclass(tp) and isinstance(tp, type):
        return _dataclass_builder(tp)
    if tp is str:
        return lambda value: value if value is None or isinstance(value, str) else str(value)
    return _same


def _dataclass_builder(tp: type) -> Callable[[Any], Any]:
    hints = _hints(tp)
    parts = [(f.name, _builder(hints[f.name])) for f in fields(tp)]
    texts = [f.name for f in fields(tp) if hints[f.name] is Text]

    def build(value: Any) -> Any:
        if value is None:
            return None
        kwargs = {name: part(value[name]) for name, part in parts if name in value}
        for name in texts:  # a missing or null nested Text stays an empty Text
            if kwargs.get(name) is None:
                kwargs[name] = Text()
        return tp(**kwargs)

    return build
