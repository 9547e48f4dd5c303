"""The facility registry of one index version, made from everything the store holds.

Owns the order of the work: read the active facilities, infrastructure grants, publications
and projects from the store; make facilities of the grants (``grants``); merge the records of
one facility and find parts (``merge``) under the override file (``overrides``); classify
types (``types``); link each facility to its grants (funded-by), its owners and hosts, the
projects that say they use it (uses) or name it (mentions, ``mentions``) and the
publications it served (served); then combine every cluster into one ``Facility``
(``combine``). ``Registry`` holds the facilities, which record uid now belongs to which
facility (old and member addresses keep working), each project's facilities (for its page)
and a report: how many source records became how many facilities, links by kind, and notes.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harvesters.core.records import (
    KIND_FACILITY,
    KIND_PROJECT,
    KIND_PUBLICATION,
    LINK_FUNDED_BY,
    LINK_HOSTED_BY,
    LINK_MENTIONS,
    LINK_OWNED_BY,
    LINK_SERVED,
    LINK_USES,
    Facility,
    Link,
    Project,
    Publication,
    Ref,
    Text,
    record_from_dict,
)
from harvesters.store.scan import scan
from indexer.documents.projects import org_key, uid_of
from indexer.registry.combine import combine
from indexer.registry.grants import (
    grant_facility,
    group_grants,
    is_infrastructure_grant_plain,
)
from indexer.registry.mention_cache import MentionCache, digest, fingerprint
from indexer.registry.mentions import MentionMatcher, Named, named_from
from indexer.registry.merge import Clustering, cluster, short_forms
from indexer.registry.overrides import Override, load_overrides
from indexer.registry.types import FacilityType, default_types

log = logging.getLogger("research_index.index")

Path3 = tuple[str | None, str | None, str | None]


@dataclass
class ProjectInfo:
    """What the registry keeps of a project: its title, first year and subject paths."""

    title: Text
    year: int | None
    subjects: list[Path3]


@dataclass
class Registry:
    facilities: list[Facility]
    types: dict[str, list[FacilityType]]  # facility uid -> its classified types
    subjects: dict[str, list[Path3]]  # facility uid -> subject paths (own and its projects')
    texts: dict[str, Text]  # facility uid -> searchable text of its grants
    titles: dict[str, Text]  # facility uid -> the titles of its grants (names it went by)
    evidence: dict[str, int]  # facility uid -> evidence of use, its parts' included
    aliases: dict[str, str]  # any member's uid -> the facility uid
    projects: dict[str, list[dict[str, Any]]]  # project uid -> its facilities (for its page)
    mentions: MentionCache | None = None  # saved beside the version for the next build
    report: dict[str, Any] = field(default_factory=dict)


def build_registry(
    store_path: Path, home: Path | None = None, previous: Path | None = None
) -> Registry:
    """The registry of the store's records; ``previous``, the folder of the version this one
    follows, lends the mentions it found in texts that have not changed."""
    t0 = time.monotonic()
    overrides = load_overrides(home)
    parsed = [_facility(r.plain()) for r in scan(store_path, (KIND_FACILITY,))]
    records = [r for r in parsed if r is not None]
    publications = [
        p
        for p in (record_from_dict(r.plain()) for r in scan(store_path, (KIND_PUBLICATION,)))
        if isinstance(p, Publication)
    ]
    info: dict[str, ProjectInfo] = {}
    texts: list[tuple[str, str]] = []
    grants: list[Project] = []
    uses: list[tuple[str, str]] = []  # (facility record uid, project uid)
    for raw in scan(store_path, (KIND_PROJECT,)):
        d = raw.plain()
        uid = uid_of(raw.source, raw.id)
        info[uid] = ProjectInfo(_text_of(d.get("title")), _year(d), _paths(d))
        if d.get("twin_of"):
            continue
        if is_infrastructure_grant_plain(d):
            grants.append(Project.from_dict(d))
        for ref in d.get("facilities") or ():
            if ref.get("id"):
                uses.append((uid_of(raw.source, ref["id"]), uid))
        texts.append((uid, _searchable(d)))
    not_facility = {o.record for o in overrides if o.action == "not-facility"}
    taken: set[str] = set()
    grant_facilities = [grant_facility(g, taken) for g in group_grants(grants, not_facility)]
    all_records = records + grant_facilities
    clustering = cluster(all_records, overrides)
    registry = _assemble(clustering, publications, info, texts, uses, grants, previous)
    grant_uids = {uid_of(g.source, g.source_id) for g in grants}
    clustering.notes += [
        f"{o.where}: {o.record} is no infrastructure grant in the store; line not applied"
        for o in overrides
        if o.action == "not-facility" and o.record not in grant_uids
    ]
    registry.report = _report(all_records, registry, clustering, overrides, grant_facilities)
    registry.report["seconds"] = round(time.monotonic() - t0, 3)
    if registry.mentions is not None:
        registry.report["texts_scanned"] = len(texts) - registry.mentions.reused
    log.info(
        "facility registry: %d source records -> %d facilities (%.1f s)",
        registry.report["records"],
        len(registry.facilities),
        registry.report["seconds"],
    )
    return registry


def _facility(d: dict[str, Any]) -> Facility | None:
    record = record_from_dict(d)
    return record if isinstance(record, Facility) else None


def _text_of(value: Any) -> Text:
    value = value or {}
    return Text(value.get("sv"), value.get("en"))


def _year(d: dict[str, Any]) -> int | None:
    years = [f.get("year") for f in d.get("fundings") or () if f.get("year")]
    if years:
        return int(min(years))
    start = d.get("start")
    return int(start[:4]) if start else None


def _paths(d: dict[str, Any]) -> list[Path3]:
    return [
        tuple((s.get(level) or {}).get("code") for level in ("level1", "level3", "level5"))  # type: ignore[misc]
        for s in d.get("subjects") or ()
    ]


def _searchable(d: dict[str, Any]) -> str:
    title, abstract = d.get("title") or {}, d.get("abstract") or {}
    parts = (title.get("sv"), title.get("en"), abstract.get("sv"), abstract.get("en"))
    return "\n\n".join(p for p in parts if p)


def _assemble(
    clustering: Clustering,
    publications: list[Publication],
    info: dict[str, ProjectInfo],
    texts: list[tuple[str, str]],
    uses: list[tuple[str, str]],
    grants: list[Project],
    previous: Path | None,
) -> Registry:
    clusters = clustering.clusters
    catalogue = default_types()
    types = [
        catalogue.classify(
            t
            for m in c.members
            for t in (
                m.name.sv,
                m.name.en,
                m.acronym,
                *m.aliases,
                *(x.en for x in m.types),
                *(x.sv for x in m.types),
                m.services.en,
                m.services.sv,
            )
        )
        for c in clusters
    ]
    links: list[list[Link]] = [[] for _ in clusters]
    for n, c in enumerate(clusters):
        seen_orgs: set[str] = set()
        for m in c.members:
            links[n].extend(m.links)  # a grant-made facility's funded-by and hosted-by
            for o in m.owners:
                key = org_key(o)
                if key and key not in seen_orgs:
                    seen_orgs.add(key)
                    links[n].append(Link(LINK_OWNED_BY, key, o.name, source=m.source))
            for ref in m.used_by:
                if ref.id:
                    uses.append((uid_of(m.source, m.source_id), uid_of(m.source, ref.id)))
    for facility_uid, project in uses:
        at = clustering.of_uid.get(facility_uid)
        if at is not None and project in info:
            p = info[project]
            links[at].append(
                Link(LINK_USES, project, p.title, year=p.year, source=project.split(":")[0])
            )
    _served(clustering, publications, links)
    cache = _mentions(clustering, types, texts, info, links, previous)
    facilities: list[Facility] = []
    children: dict[int, list[Ref]] = {}
    for k in clusters:
        if k.parent is not None:
            children.setdefault(k.parent, []).append(Ref(k.uid, k.primary.name))
    for n, c in enumerate(clusters):
        parts = tuple(children.get(n, ()))
        parent = clusters[c.parent] if c.parent is not None else None
        part_of = Ref(parent.uid, parent.primary.name) if parent else None
        facilities.append(combine(c.members, types[n], parts, part_of, tuple(_dedupe(links[n]))))
    aliases = {member: clusters[n].uid for member, n in clustering.of_uid.items()}
    projects: dict[str, list[dict[str, Any]]] = {}
    subjects: dict[str, list[Path3]] = {}
    grant_text: dict[str, Text] = {}
    titles: dict[str, Text] = {}
    grant_by_uid = {uid_of(g.source, g.source_id): g for g in grants}
    for f in facilities:
        fuid = uid_of(f.source, f.source_id)
        paths: set[Path3] = {
            (
                s.level1.code if s.level1 else None,
                s.level3.code if s.level3 else None,
                s.level5.code if s.level5 else None,
            )
            for s in f.subjects
        }
        sv, en, title_sv, title_en = [], [], [], []
        for link in f.links:
            if link.target in info and link.kind in (LINK_USES, LINK_MENTIONS, LINK_FUNDED_BY):
                paths.update(info[link.target].subjects)
                projects.setdefault(link.target, []).append(
                    {"uid": fuid, "name": f.name, "kind": link.kind, "evidence": link.evidence}
                )
            if link.kind == LINK_FUNDED_BY and link.target in grant_by_uid:
                g = grant_by_uid[link.target]
                sv += [t for t in (g.title.sv, g.abstract.sv) if t]
                en += [t for t in (g.title.en, g.abstract.en) if t]
                title_sv += [g.title.sv] if g.title.sv else []
                title_en += [g.title.en] if g.title.en else []
        subjects[fuid] = sorted(paths, key=lambda p: tuple(x or "" for x in p))
        grant_text[fuid] = Text(" ".join(sv) or None, " ".join(en) or None)
        titles[fuid] = Text(" \n ".join(title_sv) or None, " \n ".join(title_en) or None)
    own = {
        clusters[n].uid: sum(1 for x in links[n] if x.kind not in (LINK_OWNED_BY, LINK_HOSTED_BY))
        for n in range(len(clusters))
    }
    evidence = dict(own)
    for c in clusters:  # a part's evidence counts for each of its ancestors
        seen: set[int] = set()
        up = c.parent
        while up is not None and up not in seen:
            seen.add(up)
            evidence[clusters[up].uid] += own[c.uid]
            up = clusters[up].parent
    return Registry(
        facilities=facilities,
        titles=titles,
        evidence=evidence,
        types={uid_of(f.source, f.source_id): types[n] for n, f in enumerate(facilities)},
        subjects=subjects,
        texts=grant_text,
        aliases=aliases,
        projects=projects,
        mentions=cache,
    )


def _served(
    clustering: Clustering, publications: list[Publication], links: list[list[Link]]
) -> None:
    for pub in publications:
        for use in pub.facilities:
            if not use.facility.id:
                continue
            n = clustering.of_uid.get(uid_of(pub.source, use.facility.id))
            if n is not None:
                links[n].append(
                    Link(
                        LINK_SERVED,
                        uid_of(pub.source, pub.source_id),
                        pub.title,
                        evidence=use.how,
                        year=pub.year,
                        source=pub.source,
                    )
                )


def _mentions(
    clustering: Clustering,
    types: list[list[FacilityType]],
    texts: list[tuple[str, str]],
    info: dict[str, ProjectInfo],
    links: list[list[Link]],
    previous: Path | None,
) -> MentionCache:
    """Mention links of every project; the matcher runs only over texts the cache of the
    previous version does not answer for."""
    named = []
    for n, c in enumerate(clustering.clusters):
        names = [x for m in c.members for x in (m.name.en, m.name.sv, *m.aliases)]
        shorts = [s for m in c.members for s in short_forms(m)]
        full, short, context = named_from(names, shorts, (t.terms for t in types[n]))
        grant_only = all(m.fundings and not m.publications_by_year for m in c.members) and all(
            m.members for m in c.members
        )
        named.append(Named(full, short, context, c.parent, grant_only))
    matcher = MentionMatcher(named)
    funded = [{link.target for link in group if link.kind == LINK_FUNDED_BY} for group in links]
    uids = [c.uid for c in clustering.clusters]
    at = {u: n for n, u in enumerate(uids)}
    parent = [uids[c.parent] if c.parent is not None else None for c in clustering.clusters]
    cache = MentionCache.load(
        previous,
        fingerprint(
            [
                [u, x.names, x.shorts, x.context, p, x.grant_only]
                for u, x, p in zip(uids, named, parent, strict=True)
            ]
        ),
    )
    for project, text in texts:
        key = digest(text)
        found = cache.get(project, key)
        if found is None:
            found = [[uids[m.target], m.form, m.evidence] for m in matcher.find(text)]
        cache.put(project, key, found)
        for target_uid, _form, evidence in found:
            target = at[target_uid]
            if project in funded[target]:
                continue
            p = info[project]
            links[target].append(
                Link(
                    LINK_MENTIONS,
                    project,
                    p.title,
                    evidence=evidence,
                    year=p.year,
                    source=project.split(":")[0],
                )
            )
    return cache


def _dedupe(links: Iterable[Link]) -> list[Link]:
    seen: set[tuple[str, str]] = set()
    out = []
    for link in links:
        key = (link.kind, link.target)
        if key not in seen:
            seen.add(key)
            out.append(link)
    return out


def _report(
    records: list[Facility],
    registry: Registry,
    clustering: Clustering,
    overrides: list[Override],
    grant_facilities: list[Facility],
) -> dict[str, Any]:
    by_source = Counter(r.source for r in records)
    by_source_grants = sum(len(g.members) for g in grant_facilities)
    links = Counter(link.kind for f in registry.facilities for link in f.links)
    countries = Counter(f.country or "" for f in registry.facilities)
    sources = Counter(  # facilities with a record of the source: one count per facility
        s for f in registry.facilities for s in {m.id.split(":", 1)[0] for m in f.members if m.id}
    )
    return {
        "records": len(records),
        "records_by_source": dict(sorted(by_source.items())),
        "grants": by_source_grants,
        "grant_facilities": len(grant_facilities),
        "facilities": len(registry.facilities),
        "merged": sum(1 for c in clustering.clusters if len(c.members) > 1),
        "parts": sum(1 for c in clustering.clusters if c.parent is not None),
        "links": dict(sorted(links.items())),
        "by_country": dict(sorted(countries.items())),
        "by_source": dict(sorted(sources.items())),
        "overrides": len(overrides),
        "notes": clustering.notes,
    }
