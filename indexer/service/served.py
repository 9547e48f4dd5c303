"""A published index version opened for serving: what ``SearchService`` keeps per version.

``open_served(path)`` opens the version's Whoosh index and reads, once, everything requests
share: the document table (with the statistics and sort orders made as it opens, not by the
first requests), the facet labels, the compound lexicon, the withdrawn records, the snippet
maker, the people (``indexer.service.people``) and the version's caches. ``ServedVersion``
holds them; the facility maps are read when first asked for.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from indexer.analysis.compounds import Decompounder
from indexer.building.build import COMPOUNDS_FILE, LABELS_FILE, WITHDRAWN_FILE
from indexer.building.people import load_people
from indexer.building.versions import read_manifest
from indexer.documents.projects import Labels
from indexer.engine import Index, no_cyclic_gc, open_version, settle_after_open
from indexer.service.caches import VersionCaches
from indexer.service.facets import DocTable
from indexer.service.facility_maps import FacilityMaps
from indexer.service.people import PERSON_FILTER, People
from indexer.service.snippets import Snippets
from indexer.service.stats import prepare as prepare_statistics

SNIPPET_FIELDS = ("abstract_sv", "abstract_en", "text_exact")


@dataclass
class ServedVersion:
    path: Path
    manifest: dict[str, Any]
    index: Index
    table: DocTable
    labels: Labels
    decompounder: Decompounder | None
    withdrawn: frozenset[str]
    snippets: Snippets
    people: People
    caches: VersionCaches = field(default_factory=VersionCaches)

    @cached_property
    def facility_maps(self) -> FacilityMaps:
        return FacilityMaps(self.path)

    @property
    def name(self) -> str:
        return self.path.name


def open_served(path: Path) -> ServedVersion:
    manifest = read_manifest(path)
    index = open_version(path, manifest.get("schema_version"))
    with index.stored_documents() as docs, no_cyclic_gc():  # millions of objects, no cycles
        table = DocTable.load(*docs)
        prepare_statistics(table)  # as the version opens, not by its first requests
        table.prepare()
    labels = Labels(json.loads((path / LABELS_FILE).read_text("utf-8")))
    compounds = path / COMPOUNDS_FILE
    decompounder = Decompounder.load(compounds) if compounds.is_file() else None
    withdrawn_file = path / WITHDRAWN_FILE
    withdrawn = (
        frozenset(json.loads(withdrawn_file.read_text("utf-8")))
        if withdrawn_file.is_file()
        else frozenset()
    )
    snippets = Snippets(index.schema, SNIPPET_FIELDS)
    people = People.load(table.facts, load_people(path))
    table.other_filters[PERSON_FILTER] = people.selection
    caches = VersionCaches.for_size(table.n)
    version = ServedVersion(
        path, manifest, index, table, labels, decompounder, withdrawn, snippets, people, caches
    )
    settle_after_open(table.n)
    return version
