"""One ``Facility`` from the records of a cluster: which member's value wins, field by field.

Owns the merge of fields. Members come primary first (``merge.SOURCE_RANK``); a single value
(name, description, place, contact, web page) is the first member's that has one, per
language for texts; lists (owners, types, identifiers, subjects, fundings) are unions in
member order; a grant's title or abstract is used only when no other member has one;
``access_for`` combines what members say (companies and academia make both);
``publications_by_year`` adds up; every other name a member gives becomes an alias.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from harvesters.core.records import (
    ACCESS_ACADEMIA,
    ACCESS_BOTH,
    ACCESS_COMPANIES,
    ACCESS_UNKNOWN,
    Facility,
    Link,
    Ref,
    Text,
    YearCount,
)
from indexer.documents.projects import org_key, uid_of
from indexer.registry.grants import GRANT_TYPE
from indexer.registry.types import FacilityType

T = TypeVar("T")


def combine(
    members: Sequence[Facility],
    types: Sequence[FacilityType],
    parts: tuple[Ref, ...],
    part_of: Ref | None,
    links: tuple[Link, ...],
) -> Facility:
    p = members[0]
    # a grant's title names a facility only when nothing else does ("Energimaterialstudier
    # vid MAX IV" is no Swedish name of MAX IV)
    named = [m for m in members if GRANT_TYPE not in m.types] or list(members)
    name = _text(m.name for m in named)
    own = {name.sv, name.en}
    place = next((m for m in members if m.country), p)
    return Facility(
        source=p.source,
        source_id=p.source_id,
        name=name,
        acronym=_first(m.acronym for m in named),
        description=_text(m.description for m in named),
        owners=tuple(_union((o for m in members for o in m.owners), org_key)),
        types=tuple(
            _union(
                [*(t for m in members for t in m.types), *(t.label for t in types)],
                lambda t: (t.en or t.sv or "").casefold(),
            )
        ),
        identifiers=tuple(_union((i for m in members for i in m.identifiers), _same)),
        used_by=tuple(_union((r for m in members for r in m.used_by), lambda r: r.id)),
        subjects=tuple(_union((s for m in members for s in m.subjects), _same)),
        city=place.city or _first(m.city for m in members),
        services=_text(m.services for m in members),
        access=_text(m.access for m in members),
        contact=_first(m.contact for m in members),
        url=_first(m.url for m in members),
        source_url=p.source_url,
        loaded=p.loaded,
        updated=_first(m.updated for m in members),
        country=place.country,
        region=place.region,
        lat=next((m.lat for m in members if m.lat is not None), None),
        lon=next((m.lon for m in members if m.lat is not None), None),
        access_for=access_of(m.access_for for m in members),
        part_of=part_of,
        aliases=tuple(
            _union(
                (
                    a
                    for m in members
                    for a in (m.name.sv, m.name.en, *m.aliases)
                    if a and a not in own
                ),
                str.casefold,
            )
        ),
        publications_by_year=_years(m.publications_by_year for m in members),
        members=tuple(
            _union(
                [
                    *(Ref(uid_of(m.source, m.source_id), m.name) for m in members),
                    *(r for m in members for r in m.members),
                ],
                lambda r: r.id,
            )
        ),
        parts=parts,
        fundings=tuple(f for m in members for f in m.fundings),
        links=links,
    )


def access_of(values: Iterable[str | None]) -> str:
    said = {v for v in values if v and v != ACCESS_UNKNOWN}
    if ACCESS_BOTH in said or {ACCESS_COMPANIES, ACCESS_ACADEMIA} <= said:
        return ACCESS_BOTH
    if said:
        return said.pop()
    return ACCESS_UNKNOWN


def _same(x: Any) -> Any:
    return x


def _first(values: Iterable[T | None]) -> T | None:
    return next((v for v in values if v), None)


def _text(values: Iterable[Text]) -> Text:
    texts = list(values)
    return Text(_first(t.sv for t in texts), _first(t.en for t in texts))


def _union(values: Iterable[T], key: Callable[[T], Any]) -> list[T]:
    seen: set[Any] = set()
    out = []
    for v in values:
        k = key(v)
        if k in seen or k is None:
            continue
        seen.add(k)
        out.append(v)
    return out


def _years(counts: Iterable[tuple[YearCount, ...]]) -> tuple[YearCount, ...]:
    total: dict[int, int] = {}
    for group in counts:
        for yc in group:
            total[yc.year] = total.get(yc.year, 0) + yc.count
    return tuple(YearCount(y, c) for y, c in sorted(total.items()))
