"""The search service: the one door of the indexer for the web app and the command line.

Everything a caller needs is named here, and only here: ``SearchService`` (search, statistics,
the ecosystem graph of a search and its GraphML and CSV forms, look-ups, similar records,
organisation and facility pages over the published index), the request it takes
(``SearchRequest`` and its bounds), the plain result objects it returns (``Hit``,
``SearchResult``, ``StatsTable``, ``Ecosystem``...: what HTML, JSON and CSV all render), the
tabular exports of those objects, the data folder's status, the few record facts pages show (a
project's status, an organisation's key, a country's or a source's name) and the errors, each
mapped to an HTTP status at the edge. Callers import from ``indexer.service``, never from its
modules: what lies behind the door may move.
"""

from indexer.documents.projects import org_key, person_key
from indexer.documents.sources import source_label
from indexer.engine import FACET_FIELDS
from indexer.errors import (
    IndexerError,
    IndexMissing,
    IndexStorageFull,
    InvalidQuery,
    InvalidRequest,
    RecordMoved,
    RecordNotFound,
    RecordWithdrawn,
)
from indexer.registry.documents import ACCESS_LABELS, country_name
from indexer.service.ecosystem import (
    DEFAULT_TOP as ECOSYSTEM_TOP,
)
from indexer.service.ecosystem import (
    EDGE_KINDS,
    NODE_TYPES,
    SIZES,
    edge_rows,
    graphml,
    node_rows,
)
from indexer.service.ecosystem import (
    MAX_TOP as ECOSYSTEM_MAX_TOP,
)
from indexer.service.export import HIT_COLUMNS, hit_rows, iter_csv, safe_cell, stats_rows, write_csv
from indexer.service.facets import project_status
from indexer.service.people import canonical_key, people_of, role_of
from indexer.service.request import (
    FILTERS,
    LANGS,
    MAX_DEPTH,
    MAX_FACET_SIZE,
    MAX_FILTER_VALUES,
    MAX_SIZE,
    SORTS,
    STAT_DIMENSIONS,
    STATUSES,
    VALUE_PATTERN,
    YEAR_PATTERN,
    SearchRequest,
    check_dimensions,
)
from indexer.service.results import (
    EcoEdge,
    EcoNode,
    Ecosystem,
    Facet,
    FacetValue,
    Hit,
    OrgName,
    PersonCount,
    PersonName,
    PersonProfile,
    ProjectFacility,
    SearchResult,
    StatsRow,
    StatsTable,
    Window,
)
from indexer.service.search import SearchService
from indexer.service.status import collect_status, status_for_home

__all__ = [
    "ACCESS_LABELS",
    "ECOSYSTEM_MAX_TOP",
    "ECOSYSTEM_TOP",
    "EDGE_KINDS",
    "NODE_TYPES",
    "SIZES",
    "EcoEdge",
    "EcoNode",
    "Ecosystem",
    "edge_rows",
    "graphml",
    "node_rows",
    "FACET_FIELDS",
    "FILTERS",
    "HIT_COLUMNS",
    "LANGS",
    "MAX_DEPTH",
    "MAX_FACET_SIZE",
    "MAX_FILTER_VALUES",
    "MAX_SIZE",
    "SORTS",
    "STATUSES",
    "STAT_DIMENSIONS",
    "VALUE_PATTERN",
    "YEAR_PATTERN",
    "Facet",
    "FacetValue",
    "Hit",
    "IndexMissing",
    "IndexStorageFull",
    "IndexerError",
    "InvalidQuery",
    "InvalidRequest",
    "OrgName",
    "PersonCount",
    "PersonName",
    "PersonProfile",
    "ProjectFacility",
    "RecordMoved",
    "RecordNotFound",
    "RecordWithdrawn",
    "SearchRequest",
    "SearchResult",
    "SearchService",
    "StatsRow",
    "StatsTable",
    "Window",
    "check_dimensions",
    "collect_status",
    "country_name",
    "hit_rows",
    "iter_csv",
    "canonical_key",
    "org_key",
    "people_of",
    "person_key",
    "role_of",
    "project_status",
    "safe_cell",
    "source_label",
    "stats_rows",
    "status_for_home",
    "write_csv",
]
