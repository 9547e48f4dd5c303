"""One facility from many sources: which records are the same facility, and which a part.

Owns the matching rules across sources (records of one source are never merged by a rule:
the source says they are distinct) and the part-of rules:

- *same name*: two records of the same country (or one country unknown) whose names
  (English, Swedish or another spelling) have the same key (``names.name_key``) and say
  something distinctive ("MAX IV Laboratory" in MERIL and
  in the light-source list; "European Spallation Source" in MERIL and ESFRI);
- *same short form*: the same acronym in the same country, when the acronym is distinctive
  ("PETRA III") or the names have a distinctive word in common;
- *part of*: a record's own ``part_of`` (a beamline of its light source); a name that starts
  with another facility's short form or name and goes on ("NGI Stockholm" of NGI,
  "SciLifeLab Spatial Omics" of SciLifeLab), in the same country, unless the two share a
  short form (then they are one facility the rules failed to merge); a SciLifeLab unit that
  matches no platform is a part of SciLifeLab;
- the override file last: ``merge``, ``split``, ``part-of`` (``overrides.py``).

``cluster`` returns the groups with their primary record (the one whose source ranks first
in ``SOURCE_RANK``: a hand-kept list before ESFRI, MERIL, the light sources, SciLifeLab and
grants) and the part-of edges between groups, without cycles.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from harvesters.core.records import Facility
from indexer.documents.projects import uid_of
from indexer.registry.names import (
    distinctive_words,
    fold,
    is_distinctive_form,
    name_key,
    split_acronym,
    words,
)
from indexer.registry.overrides import Override
from indexer.registry.unionfind import UnionFind

#: Sources ranked for the primary record of a merged facility; any other source (a hand-kept
#: list, a CRIS) ranks before these: somebody keeps it for this facility on purpose.
SOURCE_RANK = ("esfri", "meril", "lightsources", "scilifelab", "swecris")
UNIT_TYPE_EN = "SciLifeLab infrastructure unit"
PLATFORM_SHORT = "scilifelab"


def rank(source: str) -> int:
    return SOURCE_RANK.index(source) + 1 if source in SOURCE_RANK else 0


@dataclass
class Cluster:
    members: list[Facility]
    parent: int | None = None
    why: list[str] = field(default_factory=list)

    @property
    def primary(self) -> Facility:
        return self.members[0]

    @property
    def uid(self) -> str:
        return uid_of(self.primary.source, self.primary.source_id)


@dataclass
class Clustering:
    clusters: list[Cluster]
    of_uid: dict[str, int]  # record uid -> cluster index
    notes: list[str]  # overrides that named records the store does not hold, cycles refused


def full_names(f: Facility) -> list[str]:
    out = []
    for name in (f.name.en, f.name.sv, *f.aliases):
        if name:
            out.append(split_acronym(name)[0])
    return out


def short_forms(f: Facility) -> set[str]:
    forms = {f.acronym} if f.acronym else set()
    for name in (f.name.en, f.name.sv):
        if name:
            forms.add(split_acronym(name)[1] or "")
    return {s for s in forms if s}


def cluster(records: Sequence[Facility], overrides: Sequence[Override]) -> Clustering:
    uids = [uid_of(f.source, f.source_id) for f in records]
    index = {u: i for i, u in enumerate(uids)}
    for i, f in enumerate(records):  # a grant names the facility made of its group
        for m in f.members:
            if m.id:
                index.setdefault(m.id, i)
    notes: list[str] = []
    # not-facility lines act on grants before they are grouped (``grants``)
    known = [o for o in overrides if o.action != "not-facility" and _known(o, index, notes)]
    split = {index[o.record] for o in known if o.action == "split"}
    uf: UnionFind[int] = UnionFind()
    sources: dict[int, set[str]] = {}
    for i, f in enumerate(records):
        uf.add(i)
        sources[i] = {f.source}

    def join(a: int, b: int) -> None:
        ra, rb = uf.find(a), uf.find(b)
        if ra == rb or sources[ra] & sources[rb]:
            return
        uf.union(ra, rb)
        sources[uf.find(ra)] = sources[ra] | sources[rb]

    by_name: dict[str, list[int]] = {}
    by_short: dict[str, list[int]] = {}
    short_of: dict[int, dict[str, str]] = {}  # the form as written, for its case
    for i, f in enumerate(records):
        if i in split:
            continue
        for name in full_names(f):
            key = name_key(name)
            if key and distinctive_words(name):
                by_name.setdefault(key, []).append(i)
        for short in short_forms(f):
            by_short.setdefault(fold(short), []).append(i)
            short_of.setdefault(i, {})[fold(short)] = short
    for same in by_name.values():
        for a_pos, a in enumerate(same):
            for b in same[a_pos + 1 :]:
                if _same_place(records[a], records[b]):
                    join(a, b)
    for short, same in by_short.items():
        for a_pos, a in enumerate(same):
            for b in same[a_pos + 1 :]:
                if _same_short(records[a], records[b], short_of[a].get(short, short)):
                    join(a, b)
    for o in known:
        if o.action == "merge" and o.target:
            uf.union(index[o.target], index[o.record])
    groups = sorted(
        (sorted(g, key=lambda i: (rank(records[i].source), uids[i])) for g in uf.groups()),
        key=lambda g: uids[g[0]],
    )
    clusters = [Cluster([records[i] for i in g]) for g in groups]
    cluster_of = {i: n for n, g in enumerate(groups) for i in g}
    of_uid = {u: cluster_of[i] for u, i in index.items()}
    _parts(records, uids, clusters, of_uid, known, notes)
    return Clustering(clusters, of_uid, notes)


def _known(o: Override, index: dict[str, int], notes: list[str]) -> bool:
    missing = [u for u in (o.record, o.target) if u and u not in index]
    if missing:
        notes.append(f"{o.where}: {', '.join(missing)} not in the store; line not applied")
        return False
    return True


def _same_place(a: Facility, b: Facility) -> bool:
    """The same country, or one of them unknown (an ESFRI ERIC has no country)."""
    return not a.country or not b.country or a.country == b.country


def _same_short(a: Facility, b: Facility, short: str) -> bool:
    """The same short form in one country (or one country unknown): enough when the form is
    distinctive ("PETRA III", "MAX IV"), else only with a distinctive word of the names in
    common."""
    if a.source == b.source or not _same_place(a, b):
        return False
    if is_distinctive_form(short):
        return True
    wa = set().union(*(distinctive_words(n) for n in full_names(a)))
    wb = set().union(*(distinctive_words(n) for n in full_names(b)))
    return bool(wa & wb)


def _parts(
    records: Sequence[Facility],
    uids: list[str],
    clusters: list[Cluster],
    of_uid: dict[str, int],
    overrides: Sequence[Override],
    notes: list[str],
) -> None:
    starts: dict[str, list[int]] = {}  # a parent's short form or name (as written) -> clusters
    platform: int | None = None
    for n, c in enumerate(clusters):
        for f in c.members:
            for form in short_forms(f) | {split_acronym(f.name.en or "")[0]}:
                if _parent_form(form):
                    starts.setdefault(form, []).append(n)
            if any(fold(s) == PLATFORM_SHORT for s in short_forms(f)) and platform is None:
                platform = n
    wanted: dict[int, tuple[int, str]] = {}
    for i, f in enumerate(records):
        n = of_uid[uids[i]]
        if f.part_of is not None and f.part_of.id:
            parent = of_uid.get(uid_of(f.source, f.part_of.id))
            if parent is not None and parent != n:
                wanted.setdefault(n, (parent, f"{uids[i]} says it is part of {f.part_of.id}"))
                continue
        for name in (f.name.en, f.name.sv):
            parent = _prefix_parent(name, f, n, starts, clusters)
            if parent is not None:
                wanted.setdefault(n, (parent, f"{name!r} starts with a name of its parent"))
                break
        is_unit = any(t.en == UNIT_TYPE_EN for t in f.types)
        if is_unit and n not in wanted and platform is not None and platform != n:
            wanted[n] = (platform, "a SciLifeLab unit")
    for o in overrides:
        if o.action == "part-of" and o.target:
            wanted[of_uid[o.record]] = (of_uid[o.target], f"{o.where}: {o.reason}")
    for n, (parent, why) in sorted(wanted.items()):
        if _reaches(clusters, parent, n):
            notes.append(f"{clusters[n].uid} part of {clusters[parent].uid} would be a cycle")
            continue
        clusters[n].parent = parent
        clusters[n].why.append(why)


def _parent_form(form: str) -> bool:
    """A form that may start a part's name: an acronym of three or more capitals, a name of
    several words, or a mixed-case word (SciLifeLab)."""
    if not form:
        return False
    if len(form) >= 3 and (form.isupper() or len(words(form)) > 1):
        return True
    return any(ch.isupper() for ch in form[1:])


def _prefix_parent(
    name: str | None,
    f: Facility,
    own: int,
    starts: dict[str, list[int]],
    clusters: list[Cluster],
) -> int | None:
    if not name:
        return None
    for form, candidates in starts.items():
        if not name.startswith(form + " ") or len(name) <= len(form) + 1:
            continue
        for n in candidates:
            parent = clusters[n].primary
            same_place = f.country is None or parent.country in (None, f.country)
            shared = {fold(x) for x in short_forms(f)} & {fold(x) for x in short_forms(parent)}
            if n != own and same_place and parent.source != f.source and not shared:
                return n
    return None


def _reaches(clusters: list[Cluster], start: int, target: int) -> bool:
    seen: set[int] = set()
    node: int | None = start
    while node is not None and node not in seen:
        if node == target:
            return True
        seen.add(node)
        node = clusters[node].parent
    return False
