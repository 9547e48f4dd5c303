"""A published index version opened for serving: what ``SearchService`` keeps per version.

``open_served(path)`` opens the version's Whoosh index and reads, once, everything requests
share: the document table (with the statistics and sort orders made as it opens, not by the
first requests), the facet labels, the compound lexicon, the translation table, the withdrawn
records, the snippet maker, the people (``indexer.service.people``) and the version's caches.
``ServedVersion`` holds them; the facility maps are read when first asked for. ``warm`` ranks
another version's recent queries on a new one before it is served.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, cast

from indexer.analysis.compounds import Decompounder
from indexer.analysis.languages import analysis_id
from indexer.analysis.lemmas import lexicon
from indexer.analysis.translations import Translations
from indexer.building.build import (
    COMPOUNDS_FILE,
    LABELS_FILE,
    TRANSLATIONS_FILE,
    WITHDRAWN_FILE,
    analysed_now,
)
from indexer.building.people import load_people
from indexer.building.versions import read_manifest
from indexer.documents.projects import Labels
from indexer.engine import (
    SCHEMA_VERSION,
    Index,
    Parsed,
    Ranked,
    TopRanked,
    no_cyclic_gc,
    open_version,
    parse_query,
    settle_after_open,
)
from indexer.service.caches import VersionCaches
from indexer.service.facets import DocTable
from indexer.service.facility_maps import FacilityMaps
from indexer.service.people import PERSON_FILTER, People
from indexer.service.snippets import Snippets
from indexer.service.stats import prepare as prepare_statistics

log = logging.getLogger("research_index.search")

SNIPPET_FIELDS = ("abstract_sv", "abstract_en", "text_exact")
# The ranking cache's keys are stripped query texts; other forms of a text are marked with a
# leading _MARK (strip() removes it from a text, so no text's own key starts so, and warming a
# new version skips marked keys: they are made again when next asked): AS_TYPED + text for a
# search without translations, LOOSE + a key for a plain query's any-word form.
_MARK = "\x1f"
AS_TYPED = f"{_MARK}typed{_MARK}"
LOOSE = f"{_MARK}any{_MARK}"


@dataclass
class ServedVersion:
    path: Path
    manifest: dict[str, Any]
    index: Index
    table: DocTable
    labels: Labels
    decompounder: Decompounder | None
    translations: Translations | None
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

    def parse(self, text: str, translate: bool = True) -> Parsed:
        """``text`` as a query of this version (its compounds; its translations unless not
        ``translate``)."""
        return parse_query(text, self.decompounder, self.translations if translate else None)


def rank_key(text: str, translate: bool = True) -> str:
    """The ranking cache's key of a query text searched with or without translations."""
    return text.strip() if translate else AS_TYPED + text.strip()


def warm(version: ServedVersion, keys: Iterable[str]) -> None:
    """Rank the queries of ``keys`` (another version's recent ranking-cache keys) on
    ``version`` before it is served, so that the searches people are making stay fast."""
    with version.index.snapshot() as snapshot:
        for text in keys:
            if text.startswith(_MARK):
                continue  # a marked form (any-word, as typed): made again when next asked
            query = version.parse(text).query
            if query is not None:
                compute = cast("Callable[[], Ranked | TopRanked]", lambda q=query: snapshot.rank(q))
                version.caches.ranks.get(text, compute)


def _translations(path: Path) -> Translations | None:
    """The version's translation table; None (words searched as typed, said in the log)
    when it has none or cannot be read: the version still serves."""
    if not path.is_file():
        return None
    try:
        return Translations.load(path)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        log.warning("%s: no cross-language search on this version: %s", path, exc)
        return None


def open_served(path: Path) -> ServedVersion:
    manifest = read_manifest(path)
    if not analysed_now(manifest):
        log.warning(
            "%s was built with schema %s (%s), this code searches with schema %s (%s): some "
            "words miss until `research-index index` rebuilds it",
            path.name,
            manifest.get("schema_version"),
            manifest.get("analysis"),
            SCHEMA_VERSION,
            analysis_id(),
        )
    lexicon()  # the Swedish lemma table, loaded as the version opens, not by a first query
    index = open_version(path, manifest.get("schema_version"))
    with index.stored_documents() as docs, no_cyclic_gc():  # millions of objects, no cycles
        table = DocTable.load(*docs)
        prepare_statistics(table)  # as the version opens, not by its first requests
        table.prepare()
    labels = Labels(json.loads((path / LABELS_FILE).read_text("utf-8")))
    compounds = path / COMPOUNDS_FILE
    decompounder = Decompounder.load(compounds) if compounds.is_file() else None
    translations = _translations(path / TRANSLATIONS_FILE)
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
        path,
        manifest,
        index,
        table,
        labels,
        decompounder,
        translations,
        withdrawn,
        snippets,
        people,
        caches,
    )
    settle_after_open(table.n)
    return version
