"""The ecosystem of a search: who funds, coordinates, hosts, uses and works on what it matches.

``graph(...)`` reads the stored facts of the matching documents (the version's document table:
no record is parsed) into a networkx ``MultiDiGraph``; ``view`` cuts it and ``shown`` flattens
it into the plain ``Ecosystem`` (``results``); ``graphml``, ``node_rows`` and ``edge_rows``
are its other forms. Nodes are ``<type>:<key>``:

- ``funder:<org>`` and ``organisation:<org>`` (organisation numbers, the keys of the funder and
  org facets; one organisation can be both, as two nodes: what it gives and what it gets);
- ``facility:<uid>``, ``person:<key>`` (``orcid:<ORCID>`` or the source's person id, see
  ``indexer.documents.projects.person_key``) and ``subject:<SSIF level-3 code>``.

Edges, each with the projects behind it (their number, SEK and the first ``EDGE_PROJECTS``
uids), in the rules of the statistics (``indexer.service.stats``): twin copies never count, a
funder's SEK is what it granted, a project's SEK to subjects is split equally across its subject
paths (a path without a level-3 code keeps its share out of the graph):

- ``funds`` funder -> organisation (the coordinator of the projects it funded);
- ``coordinates`` organisation -> subject;
- ``uses`` organisation -> facility (its projects use the facility: the project record names
  it, as CERIF does, or the facility registry links them: the project's text names the
  facility, with the evidence on the project page, or the project is a grant to it);
- ``hosts`` organisation -> facility (the facility's owners; a facility counts when it matches
  the search or a matching project uses it; weight: the matching projects that use it, at
  least 1);
- ``leads`` / ``works-at`` person -> organisation (principal investigators and coordinators
  lead; everyone else works at the project's coordinator); a person record that names an
  organisation of the graph as an affiliation (a CERIF Person) ``works-at`` it too (weight:
  the projects, at least 1);
- ``shares-people`` and ``shares-facility`` organisation -> organisation (the smaller key
  first): people whose projects have both as coordinators, facilities both use. SweCRIS names
  only a project's coordinating organisation, so partners appear only this way.

Node weights: the matching projects a node takes part in and their SEK (a funder's: what it
granted to them). An actor of a project without a coordinating organisation is a node without
that project's edges, and a facility without owners one without ``hosts``. ``types`` keeps
some node types; ``min_weight`` drops the edges lighter than it (an edge's weight: its
projects; people or facilities for ``shares-*``) and the nodes it leaves without any edge;
then ``top`` keeps the heaviest nodes by ``size`` (SEK or projects) and the edges between
them; the result says how many nodes and edges were left out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import networkx as nx

from indexer.documents.projects import Labels
from indexer.errors import InvalidRequest
from indexer.service.facets import DocTable
from indexer.service.people import People
from indexer.service.request import SearchRequest
from indexer.service.results import EcoEdge, EcoNode, Ecosystem

NODE_TYPES = ("organisation", "funder", "facility", "person", "subject")
EDGE_KINDS = (
    "funds",
    "coordinates",
    "uses",
    "hosts",
    "leads",
    "works-at",
    "shares-people",
    "shares-facility",
)
SIZES = ("sek", "projects")
DEFAULT_TOP = 300
MAX_TOP = 2000
EDGE_PROJECTS = 20  # project uids listed per edge (its count says how many there are)
_FACTS = ("hosts", "works-at")  # links that stand without projects: weight 1 when they have none
_LABEL_FACET = {"organisation": "org", "funder": "funder", "facility": "facility"}


@dataclass
class _Weight:
    projects: set[int] = field(default_factory=set)
    sek: float = 0.0

    def add(self, doc: int, sek: float) -> None:
        self.projects.add(doc)
        self.sek += sek


def check_view(types: Iterable[str], size: str, top: int, min_weight: int) -> None:
    """The view's parameters, or an ``InvalidRequest`` that says which is wrong."""
    for t in types:
        if t not in NODE_TYPES:
            raise InvalidRequest(f"type must be one of {', '.join(NODE_TYPES)}, not {t[:40]!r}")
    if size not in SIZES:
        raise InvalidRequest(f"size_by must be sek or projects, not {size[:40]!r}")
    if not 1 <= top <= MAX_TOP:
        raise InvalidRequest(f"top must be between 1 and {MAX_TOP}")
    if not 1 <= min_weight <= 10**6:
        raise InvalidRequest("min_weight must be a whole number from 1")


def graph(
    table: DocTable,
    docs: AbstractSet[int],
    labels: Labels,
    lang: str,
    people: People | None = None,
    linked: Callable[[str], Iterable[str]] | None = None,
) -> nx.MultiDiGraph:
    """The whole graph of ``docs`` (matching documents; facilities among them join as nodes;
    with ``people``, the person records affiliated to its organisations too; ``linked``: the
    facilities the registry links a project uid to, beyond those its record names)."""
    nodes: dict[str, _Weight] = {}
    edges: dict[tuple[str, str, str], _Weight] = {}
    names: dict[str, str] = {}
    by_person: dict[str, set[str]] = {}
    by_facility: dict[str, set[str]] = {}
    facilities: set[str] = set()

    def node(nid: str, doc: int, sek: float) -> None:
        nodes.setdefault(nid, _Weight()).add(doc, sek)

    def edge(a: str, b: str, kind: str, doc: int, sek: float) -> None:
        edges.setdefault((a, b, kind), _Weight()).add(doc, sek)

    for doc in sorted(docs & table.canonical):
        f = table.facts[doc]
        if f is None:
            continue
        if doc not in table.projects:
            facilities.add(table.uids[doc] or "")
            continue
        total = sum(m[2] for m in f["money"])
        org = f["org"] and f"organisation:{f['org']}"
        if org:
            node(org, doc, total)
        given: dict[str, float] = {}
        for _, funder, sek, _ in f["money"]:
            if funder:
                given[funder] = given.get(funder, 0.0) + sek
        for funder, sek in given.items():
            node(f"funder:{funder}", doc, sek)
            if org:
                edge(f"funder:{funder}", org, "funds", doc, sek)
        shares: dict[str, float] = {}  # the statistics' rule: SEK split across the paths
        for path in f["subjects"]:
            if path[1]:
                shares[path[1]] = shares.get(path[1], 0.0) + total / len(f["subjects"])
        for code, sek in sorted(shares.items()):
            node(f"subject:{code}", doc, sek)
            if org:
                edge(org, f"subject:{code}", "coordinates", doc, sek)
        for uid in sorted(_used(f, table.uids[doc], linked)):
            facilities.add(uid)
            node(f"facility:{uid}", doc, total)
            if org:
                edge(org, f"facility:{uid}", "uses", doc, total)
                by_facility.setdefault(uid, set()).add(org)
        for key, name, leads in f.get("people", ()):
            pid = f"person:{key}"
            names.setdefault(pid, name)
            node(pid, doc, total)
            if org:
                edge(pid, org, "leads" if leads else "works-at", doc, total)
                by_person.setdefault(pid, set()).add(org)
    _hosts(table, facilities, nodes, edges)
    if people is not None:
        _affiliations(people, nodes, edges, names)
    g = nx.MultiDiGraph()
    for nid, w in nodes.items():
        kind, key = nid.split(":", 1)
        label = names.get(nid) or _label(labels, kind, key, lang)
        g.add_node(nid, type=kind, key=key, label=label, projects=len(w.projects), sek=w.sek)
    for (a, b, kind), w in edges.items():
        weight = len(w.projects) or (1 if kind in _FACTS else 0)
        g.add_edge(a, b, key=kind, kind=kind, weight=weight, sek=w.sek, docs=w.projects)
    _shared(g, by_person, "shares-people")
    _shared(g, by_facility, "shares-facility")
    return g


def _used(
    f: dict[str, Any], uid: str | None, linked: Callable[[str], Iterable[str]] | None
) -> set[str]:
    """The facilities a project uses: those its record names and those the registry links."""
    used = set(f["facilities"])
    if linked is not None and uid:
        used.update(linked(uid))
    return used


def used_facilities(
    table: DocTable, docs: AbstractSet[int], linked: Callable[[str], Iterable[str]] | None
) -> Counter[str]:
    """How many projects of ``docs`` use each facility, by the rule of the ``uses`` links,
    without making a graph (an organisation page's list)."""
    counts: Counter[str] = Counter()
    for doc in docs & table.canonical & table.projects:
        f = table.facts[doc]
        if f is not None:
            counts.update(_used(f, table.uids[doc], linked))
    return counts


def _hosts(
    table: DocTable,
    facilities: set[str],
    nodes: dict[str, _Weight],
    edges: dict[tuple[str, str, str], _Weight],
) -> None:
    """Owner -> facility for every facility in the graph that the registry knows."""
    if not facilities:
        return
    documents = _facility_documents(table)
    for uid in sorted(facilities):
        doc = documents.get(uid)
        if doc is None:
            continue
        f = table.facts[doc] or {}
        fid = f"facility:{uid}"
        nodes.setdefault(fid, _Weight())
        used = nodes[fid].projects
        for owner in f.get("owners") or ([f["org"]] if f.get("org") else []):
            oid = f"organisation:{owner}"
            nodes.setdefault(oid, _Weight())
            edges[(oid, fid, "hosts")] = _Weight(set(used), nodes[fid].sek)


def _affiliations(
    people: People,
    nodes: dict[str, _Weight],
    edges: dict[tuple[str, str, str], _Weight],
    names: dict[str, str],
) -> None:
    """Person -> organisation (works-at) for every person record that names an organisation
    of the graph as an affiliation (a CERIF Person), whether or not a project names them."""
    for nid in [n for n in nodes if n.startswith("organisation:")]:
        for key in people.by_org.get(nid.split(":", 1)[1], ()):
            pid = f"person:{key}"
            names.setdefault(pid, people.names[key])
            nodes.setdefault(pid, _Weight())
            edges.setdefault((pid, nid, "works-at"), _Weight())


def _facility_documents(table: DocTable) -> dict[str, int]:
    """uid -> document of every facility of the version (made once per version)."""
    found: dict[str, int] | None = table.derived.get("facility_documents")
    if found is None:
        found = table.derived["facility_documents"] = {
            uid: doc
            for doc in table.live
            if doc not in table.projects and (uid := table.uids[doc]) is not None
        }
    return found


def _shared(g: nx.MultiDiGraph, members: dict[str, set[str]], kind: str) -> None:
    """An edge between every two organisations a person (or facility) links, weighted by how
    many people (facilities) they share."""
    pairs: dict[tuple[str, str], int] = {}
    for orgs in members.values():
        for a, b in combinations(sorted(orgs), 2):
            pairs[(a, b)] = pairs.get((a, b), 0) + 1
    for (a, b), n in pairs.items():
        g.add_edge(a, b, key=kind, kind=kind, weight=n, sek=0.0, docs=set())


def _label(labels: Labels, kind: str, key: str, lang: str) -> str:
    if kind == "subject":
        return f"{key} {labels.get('subject3', key, lang)}"
    return labels.get(_LABEL_FACET.get(kind, kind), key, lang)


def view(
    g: nx.MultiDiGraph,
    uids: list[str | None],
    types: tuple[str, ...] = (),
    size: str = "sek",
    top: int = DEFAULT_TOP,
    min_weight: int = 1,
) -> tuple[tuple[EcoNode, ...], tuple[EcoEdge, ...], int, int]:
    """The nodes and edges shown: of ``types`` (all when empty), edges of at least
    ``min_weight``, the ``top`` heaviest nodes by ``size`` and the edges between them;
    also the number of nodes and of edges before the cut."""
    wanted = set(types or NODE_TYPES)
    kind_of = {n: d["type"] for n, d in g.nodes(data=True)}
    keep = [n for n, t in kind_of.items() if t in wanted]
    every = [  # not g.subgraph(keep): a filtered view walks slower than the plain edges
        (a, b, d) for a, b, d in g.edges(data=True) if kind_of[a] in wanted and kind_of[b] in wanted
    ]
    links = [(a, b, d) for a, b, d in every if d["weight"] >= min_weight]
    if len(links) < len(every):  # a node whose every edge was too light goes too
        had = {n for a, b, _ in every for n in (a, b)}
        linked = {n for a, b, _ in links for n in (a, b)}
        candidates = [n for n in keep if n in linked or n not in had]
    else:
        candidates = keep
    weight = "sek" if size == "sek" else "projects"
    ranked = sorted(candidates, key=lambda n: (-g.nodes[n][weight], -g.nodes[n]["projects"], n))
    shown = set(ranked[:top])
    nodes = tuple(
        EcoNode(
            id=n,
            type=g.nodes[n]["type"],
            key=g.nodes[n]["key"],
            label=g.nodes[n]["label"],
            projects=g.nodes[n]["projects"],
            sek=round(g.nodes[n]["sek"], 2),
        )
        for n in ranked[:top]
    )
    edges = tuple(
        EcoEdge(
            source=a,
            target=b,
            kind=d["kind"],
            weight=d["weight"],
            sek=round(d["sek"], 2),
            projects=tuple(uids[doc] or "" for doc in sorted(d["docs"])[:EDGE_PROJECTS]),
        )
        for a, b, d in sorted(links, key=lambda e: (e[0], e[1], e[2]["kind"]))
        if a in shown and b in shown
    )
    return nodes, edges, len(candidates), len(links)


def shown(
    g: nx.MultiDiGraph,
    uids: list[str | None],
    req: SearchRequest,
    types: tuple[str, ...],
    size: str,
    top: int,
    min_weight: int,
) -> Ecosystem:
    """The ``view`` of ``g`` for the search ``req``, as the plain result."""
    nodes, edges, all_nodes, all_edges = view(g, uids, types, size, top, min_weight)
    return Ecosystem(
        query=req.q,
        filters=req.filters_dict(),
        lang=req.lang,
        size_by=size,
        types=types or NODE_TYPES,
        top=top,
        min_weight=min_weight,
        nodes=nodes,
        edges=edges,
        total_nodes=all_nodes,
        total_edges=all_edges,
    )


def graphml(eco: Ecosystem) -> Iterator[str]:
    """The view as GraphML (networkx's writer: ids, types, labels, weights; an edge's
    projects as one ``;``-separated attribute)."""
    g = nx.MultiDiGraph()
    for n in eco.nodes:
        g.add_node(n.id, type=n.type, key=n.key, label=n.label, projects=n.projects, sek=n.sek)
    for e in eco.edges:
        g.add_edge(
            e.source,
            e.target,
            key=f"{e.kind}:{e.source}>{e.target}",  # a GraphML edge id, unique (Gephi needs it)
            kind=e.kind,
            weight=e.weight,
            sek=e.sek,
            projects=";".join(e.projects),
        )
    yield from nx.generate_graphml(g, encoding="utf-8", prettyprint=True)


def node_rows(eco: Ecosystem) -> Iterator[list[Any]]:
    yield ["id", "type", "key", "label", "projects", "sek"]
    for n in eco.nodes:
        yield [n.id, n.type, n.key, n.label, n.projects, n.sek]


def edge_rows(eco: Ecosystem) -> Iterator[list[Any]]:
    yield ["source", "target", "kind", "weight", "sek", "projects"]
    for e in eco.edges:
        yield [e.source, e.target, e.kind, e.weight, e.sek, ";".join(e.projects)]
