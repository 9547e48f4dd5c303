"""The plain result objects of the search service: what HTML, JSON and CSV all render.

Dataclasses with ``to_dict()``; no Whoosh object ever leaves ``indexer``. Labels are resolved
in the language of the request, so a renderer never needs the index to show a name.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool = False
    parent: str | None = None


@dataclass(frozen=True)
class Facet:
    name: str
    values: tuple[FacetValue, ...]
    selected: tuple[str, ...] = ()
    more: int = 0  # values left out beyond the facet size


@dataclass(frozen=True)
class OrgName:
    id: str | None
    key: str | None
    name: str | None


@dataclass(frozen=True)
class PersonName:
    """A person named on a record: ``key`` (``person_key``) is None when the source gives a
    name alone, which is no one's page."""

    key: str | None
    name: str


@dataclass(frozen=True)
class PersonCount:
    """A person with the projects of a selection they are on, and lead."""

    key: str
    name: str
    projects: int
    leads: int = 0


@dataclass(frozen=True)
class PersonProfile:
    """What a person page shows besides the lists the search gives: who they are (name, ORCID,
    the identifiers and affiliations of their person record, if a source keeps one), how many
    projects they are on and lead, and who they share projects with."""

    key: str
    name: str
    orcid: str | None
    projects: int
    leads: int
    coworkers: tuple[PersonCount, ...]
    more_coworkers: int
    affiliations: tuple[OrgName, ...] = ()
    identifiers: tuple[tuple[str, str], ...] = ()
    sources: tuple[str, ...] = ()  # the sources of their person records
    twins_only: bool = False  # named only on the duplicate copies of twin projects

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["identifiers"] = [{"type": t, "value": v} for t, v in self.identifiers]
        return data


@dataclass(frozen=True)
class ProjectFacility:
    """A facility linked to a project: how (``Link.kind``) and the evidence for it."""

    uid: str
    source: str
    id: str
    name: str
    kind: str
    evidence: str | None = None


@dataclass(frozen=True)
class Hit:
    uid: str
    source: str
    id: str
    kind: str
    title: str
    title_lang: str | None
    coordinator: OrgName | None
    funders: tuple[OrgName, ...]
    start: str | None
    end: str | None
    status: str
    total_sek: float | None
    snippet: str  # safe HTML: escaped text with <b class="match"> around matches
    score: float | None = None
    twin_of: str | None = None
    twins: tuple[str, ...] = ()
    leaders: tuple[PersonName, ...] = ()  # a project's principal investigators, coordinators
    source_record: Any = field(default=None, repr=False, compare=False)  # a Project or Facility

    @property
    def record(self) -> dict[str, Any]:
        """The whole record as plain data, made when first asked for (a CSV export of 50,000
        hits asks for a facility's few fields, never a project's: half its time went here).
        Kept on the hit by hand: Python 3.11's cached_property locks across every instance."""
        made: dict[str, Any] | None = self.__dict__.get("_record")
        if made is None:
            made = self.source_record.to_dict() if self.source_record is not None else {}
            self.__dict__["_record"] = made
        return made

    def to_dict(self, with_record: bool = False) -> dict[str, Any]:
        data = asdict(replace(self, source_record=None))
        del data["source_record"]
        if with_record:
            data["record"] = self.record
        return data


@dataclass(frozen=True)
class AlsoSearched:
    """A translation of a query's word that the search also looked for: "hydrogen" ("en")
    for "vätgas"."""

    words: str
    lang: str  # the language of ``words``: "sv" or "en"


@dataclass(frozen=True)
class SearchResult:
    query: str
    total: int
    page: int
    size: int
    sort: str
    lang: str
    hits: tuple[Hit, ...]
    facets: tuple[Facet, ...]
    filters: dict[str, Any]
    did_you_mean: str | None = None
    took_ms: float = 0.0
    index_version: str | None = None
    # a plain query of several words that few projects match in full: how many of ``total``
    # hold every word (they come first; the rest hold some); None when every hit holds all
    all_words: int | None = None
    # the translations of the query's words that were searched too (at a lower weight)
    also_searched: tuple[AlsoSearched, ...] = ()

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size)) if self.size else 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "total": self.total,
            "page": self.page,
            "size": self.size,
            "pages": self.pages,
            "sort": self.sort,
            "lang": self.lang,
            "filters": self.filters,
            "did_you_mean": self.did_you_mean,
            "all_words": self.all_words,
            "also_searched": [asdict(a) for a in self.also_searched],
            "took_ms": round(self.took_ms, 2),
            "index_version": self.index_version,
            "hits": [h.to_dict() for h in self.hits],
            "facets": {f.name: asdict(f) for f in self.facets},
        }


@dataclass(frozen=True)
class Window:
    """Matches ``offset`` to ``offset + len(hits)`` of a request, in its order, of ``total``:
    what every kind of paging shows (a result page, a step of the API's walk, a slice of an
    organisation page)."""

    total: int
    offset: int
    hits: tuple[Hit, ...]


@dataclass(frozen=True)
class StatsRow:
    keys: tuple[str, ...]
    labels: tuple[str, ...]
    projects: int
    sek: float


@dataclass(frozen=True)
class StatsTable:
    dimensions: tuple[str, ...]
    rows: tuple[StatsRow, ...]
    total_projects: int
    total_sek: float
    query: str = ""
    filters: dict[str, Any] = field(default_factory=dict)
    lang: str = "en"
    note: str = (
        "SEK by year and funder follow the funding decisions; SEK by subject is split equally "
        "across a project's subject codes; twin copies of a project are counted once."
    )

    def to_dict(self) -> dict[str, Any]:
        return {
            "dimensions": list(self.dimensions),
            "query": self.query,
            "filters": self.filters,
            "lang": self.lang,
            "total_projects": self.total_projects,
            "total_sek": round(self.total_sek, 2),
            "note": self.note,
            "rows": [
                {
                    **{d: k for d, k in zip(self.dimensions, r.keys, strict=True)},
                    **{f"{d}_label": lab for d, lab in zip(self.dimensions, r.labels, strict=True)},
                    "projects": r.projects,
                    "sek": round(r.sek, 2),
                }
                for r in self.rows
            ],
        }


@dataclass(frozen=True)
class EcoNode:
    """An actor of an ecosystem (``indexer.service.ecosystem``): ``id`` is ``<type>:<key>``."""

    id: str
    type: str
    key: str
    label: str
    projects: int
    sek: float


@dataclass(frozen=True)
class EcoEdge:
    """A link: ``weight`` projects (shared people or facilities for ``shares-*``), their SEK,
    and the first of the projects' uids."""

    source: str
    target: str
    kind: str
    weight: int
    sek: float
    projects: tuple[str, ...] = ()


@dataclass(frozen=True)
class Ecosystem:
    query: str
    filters: dict[str, Any]
    lang: str
    size_by: str
    types: tuple[str, ...]
    top: int
    min_weight: int
    nodes: tuple[EcoNode, ...]
    edges: tuple[EcoEdge, ...]
    total_nodes: int  # before the top-N cut
    total_edges: int

    @property
    def left_out(self) -> tuple[int, int]:
        """Nodes and edges the cut left out."""
        return self.total_nodes - len(self.nodes), self.total_edges - len(self.edges)

    def to_dict(self) -> dict[str, Any]:
        nodes_out, edges_out = self.left_out
        return {
            "query": self.query,
            "filters": self.filters,
            "lang": self.lang,
            "size_by": self.size_by,
            "types": list(self.types),
            "top": self.top,
            "min_weight": self.min_weight,
            "nodes": [asdict(n) for n in self.nodes],
            "edges": [{**asdict(e), "projects": list(e.projects)} for e in self.edges],
            "total_nodes": self.total_nodes,
            "total_edges": self.total_edges,
            "left_out": {"nodes": nodes_out, "edges": edges_out},
        }
