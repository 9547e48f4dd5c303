"""The shared record model: what every harvester produces and every other package reads.

Standard library only, so the indexer and the web app can import it without pulling in HTTP or
XML libraries. Records are frozen dataclasses with a canonical ``to_dict()`` / ``from_dict()``
round trip; the store keys them by ``(source, source_id)`` and hashes ``canonical_json()``.

A project is the unit of search. A SweCRIS row is one *funding decision*; the normaliser groups
rows into one ``Project`` with a tuple of ``Funding``. Facilities, organisations and people are
record kinds of their own (``KIND_*``); later harvesters fill them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, fields
from typing import Any

KIND_PROJECT = "project"
KIND_FACILITY = "facility"
KIND_ORGANISATION = "organisation"
KIND_PERSON = "person"

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
    currency: str = "SEK"
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


@dataclass(frozen=True)
class Project:
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
    kind: str = KIND_PROJECT

    @property
    def key(self) -> tuple[str, str]:
        return (self.source, self.source_id)

    def totals(self) -> dict[str, float]:
        """Total amount per currency; amounts in different currencies are never added up."""
        out: dict[str, float] = {}
        for f in self.fundings:
            if f.amount is not None:
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

    def to_dict(self) -> dict[str, Any]:
        return _to_plain(self)

    def canonical_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    def content_hash(self) -> str:
        return hashlib.sha256(self.canonical_json().encode("utf-8")).hexdigest()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Project:
        return cls(
            source=data["source"],
            source_id=data["source_id"],
            title=_text(data.get("title")),
            abstract=_text(data.get("abstract")),
            start=data.get("start"),
            end=data.get("end"),
            coordinator=_org(data.get("coordinator")),
            fundings=tuple(_funding(f) for f in data.get("fundings") or ()),
            award_type=_award(data.get("award_type")),
            people=tuple(
                Person(
                    name=p["name"],
                    role=_text(p.get("role")),
                    orcid=p.get("orcid"),
                    person_id=p.get("person_id"),
                )
                for p in data.get("people") or ()
            ),
            subjects=tuple(_subject_path(s) for s in data.get("subjects") or ()),
            source_url=data.get("source_url"),
            loaded=data.get("loaded"),
            updated=data.get("updated"),
            twin_of=data.get("twin_of"),
            twins=tuple(data.get("twins") or ()),
            kind=data.get("kind", KIND_PROJECT),
        )


def record_from_dict(data: dict[str, Any]) -> Project:
    """Rebuild a record of any kind from its stored dict."""
    kind = data.get("kind", KIND_PROJECT)
    if kind == KIND_PROJECT:
        return Project.from_dict(data)
    raise ValueError(f"unknown record kind {kind!r}")


def _to_plain(obj: Any) -> Any:
    if hasattr(obj, "__dataclass_fields__"):
        return {f.name: _to_plain(getattr(obj, f.name)) for f in fields(obj)}
    if isinstance(obj, tuple | list):
        return [_to_plain(x) for x in obj]
    return obj


def _text(data: dict[str, Any] | None) -> Text:
    if not data:
        return Text()
    return Text(sv=data.get("sv"), en=data.get("en"))


def _org(data: dict[str, Any] | None) -> OrgRef | None:
    if data is None:
        return None
    return OrgRef(id=data.get("id"), name=_text(data.get("name")), type=_text(data.get("type")))


def _award(data: dict[str, Any] | None) -> AwardType | None:
    if data is None:
        return None
    return AwardType(id=str(data["id"]), label=_text(data.get("label")))


def _funding(data: dict[str, Any]) -> Funding:
    funder = _org(data.get("funder")) or OrgRef()
    return Funding(
        funder=funder,
        amount=data.get("amount"),
        currency=data.get("currency") or "SEK",
        year=data.get("year"),
        start=data.get("start"),
        end=data.get("end"),
        award_type=_award(data.get("award_type")),
        source_id=data.get("source_id"),
    )


def _subject(data: dict[str, Any] | None) -> Subject | None:
    if data is None:
        return None
    return Subject(code=str(data["code"]), label=_text(data.get("label")))


def _subject_path(data: dict[str, Any]) -> SubjectPath:
    return SubjectPath(
        level1=_subject(data.get("level1")),
        level3=_subject(data.get("level3")),
        level5=_subject(data.get("level5")),
        scheme=data.get("scheme") or SUBJECT_SCHEME_SSIF2011,
    )
