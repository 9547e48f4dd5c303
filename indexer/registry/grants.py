"""Infrastructure grants into facilities: SweCRIS award type 5, grouped across funding periods.

Owns the rules that find one infrastructure in many grants. A grant's facility name is its
title without what changes from one period to the next: a subtitle after a dash or colon
("Myfab – Nanofabrication Tools", "NMI - upgrade of microscopes"), "period 5", a trailing
short form ("National Genomics Infrastructure (NGI)"). Two grants belong to one facility
when their names (English or Swedish) have the same key, or one's short form is the other's
name or short form. The override file corrects what these rules get wrong (``not-facility``
keeps a grant a project only; ``merge`` and ``split`` act on the grouped records).
The twin copy of an RJ/Vinnova pair never makes a facility (its canonical twin does).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

from harvesters.core.records import (
    LINK_FUNDED_BY,
    LINK_HOSTED_BY,
    Facility,
    Link,
    Project,
    Ref,
    Text,
)
from indexer.documents.projects import org_key, slug, uid_of
from indexer.registry.names import name_key, split_acronym, words
from indexer.registry.unionfind import UnionFind

INFRASTRUCTURE_AWARD = "5"
GRANT_TYPE = Text("Forskningsinfrastruktur (bidrag)", "Research infrastructure (grant)")
_SUBTITLE = re.compile(r"\s+[–—-]\s+|:\s+|\s*/\s*")
_PERIOD = re.compile(
    r"\b(?:period|fas|phase|round|omgång)\s+\d+\b|\b(?:19|20)\d\d\b", re.IGNORECASE
)
_ROUND = re.compile(r"\s+\d+$")


def is_infrastructure_grant(p: Project) -> bool:
    return is_infrastructure_grant_plain(p.to_dict())


def is_infrastructure_grant_plain(d: dict[str, Any]) -> bool:
    """Whether a stored project (its plain dict) is an infrastructure grant: award type 5 on
    the project or on one of its fundings, and not the twin copy of an RJ/Vinnova pair."""
    if d.get("twin_of"):
        return False
    if (d.get("award_type") or {}).get("id") == INFRASTRUCTURE_AWARD:
        return True
    return any(
        (f.get("award_type") or {}).get("id") == INFRASTRUCTURE_AWARD
        for f in d.get("fundings") or ()
    )


@dataclass(frozen=True)
class GrantName:
    name: str
    acronym: str | None


def grant_name(title: str | None) -> GrantName | None:
    if not title:
        return None
    head = _SUBTITLE.split(title.strip(), maxsplit=1)[0]
    head = _PERIOD.sub("", head).strip(" ,.–-")
    if not head:
        head = title.strip()
    name, acronym = split_acronym(head)
    if acronym:
        acronym = _ROUND.sub("", acronym)  # "ESS 5": the fifth round of ESS
    return GrantName(name, acronym)


def _keys(p: Project) -> set[str]:
    keys: set[str] = set()
    for title in (p.title.en, p.title.sv):
        parsed = grant_name(title)
        if parsed is None:
            continue
        for value in (parsed.name, parsed.acronym):
            key = _grant_key(value)
            if key:
                keys.add(key)
    return keys


def _grant_key(value: str | None) -> str | None:
    """A name key that also forgives a plural (genomic/genomics)."""
    key = name_key(value)
    if not key:
        return None
    return " ".join(w[:-1] if len(w) > 4 and w.endswith("s") else w for w in key.split())


def group_grants(grants: Iterable[Project], excluded: set[str]) -> list[list[Project]]:
    """Grants grouped by facility, each group ordered newest first."""
    todo = [g for g in grants if uid_of(g.source, g.source_id) not in excluded]
    uf: UnionFind[str] = UnionFind()
    by_key: dict[str, str] = {}
    for g in todo:
        uid = uid_of(g.source, g.source_id)
        uf.add(uid)
        for key in _keys(g):
            if key in by_key:
                uf.union(by_key[key], uid)
            else:
                by_key[key] = uid
    by_uid = {uid_of(g.source, g.source_id): g for g in todo}
    groups = [[by_uid[u] for u in members] for members in uf.groups()]
    for group in groups:
        group.sort(key=_newest, reverse=True)
    return sorted(groups, key=lambda grp: uid_of(grp[0].source, grp[0].source_id))


def _newest(p: Project) -> tuple[int, str, str]:
    years = p.funding_years()
    return (years[-1] if years else 0, p.start or "", p.source_id)


def grant_facility(group: list[Project], taken: set[str]) -> Facility:
    """The facility a group of grants pays for, named after the newest grant."""
    newest = group[0]
    untitled = GrantName(newest.source_id, None)  # a grant without a title: its id
    en = grant_name(newest.title.en) or grant_name(newest.title.sv) or untitled
    sv = grant_name(newest.title.sv) or en
    acronym = next(
        (a for g in group for a in _acronyms(g) if a),
        None,
    )
    base = "infrastructure-" + slug(acronym or en.name)[:60].rstrip("-")
    source_id, n = base, 2
    while source_id in taken:
        source_id, n = f"{base}-{n}", n + 1
    taken.add(source_id)
    owners = []
    seen: set[str | None] = set()
    for g in group:
        if g.coordinator and org_key(g.coordinator) not in seen:
            seen.add(org_key(g.coordinator))
            owners.append(g.coordinator)
    links = [
        Link(
            LINK_FUNDED_BY,
            uid_of(g.source, g.source_id),
            g.title,
            evidence=None,
            year=(g.funding_years() or cast("list[int | None]", [None]))[0],
            source=g.source,
        )
        for g in group
    ]
    links += [
        Link(LINK_HOSTED_BY, org_key(o) or "", o.name, source=newest.source)
        for o in owners
        if org_key(o)
    ]
    return Facility(
        source=newest.source,
        source_id=source_id,
        name=Text(sv.name, en.name),
        acronym=acronym,
        description=newest.abstract,
        owners=(owners[0],) if owners else (),
        types=(GRANT_TYPE,),
        subjects=newest.subjects,
        country="SE",
        source_url=newest.source_url,
        members=tuple(Ref(uid_of(g.source, g.source_id), g.title) for g in group),
        fundings=tuple(f for g in group for f in g.fundings),
        links=tuple(links),
    )


def _acronyms(p: Project) -> list[str | None]:
    """Short forms a grant's titles give: a bare one first ("EPICURE", "NMI - upgrade of
    microscopes"), then one in parentheses or after a comma."""
    bare: list[str | None] = []
    given: list[str | None] = []
    for title in (p.title.en, p.title.sv):
        parsed = grant_name(title)
        if parsed is None:
            continue
        given.append(parsed.acronym)
        if len(words(parsed.name)) == 1 and parsed.name.isupper():
            bare.append(parsed.name)
    return bare + given
