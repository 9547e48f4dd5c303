"""The search engine: the only code that imports Whoosh, behind one small interface.

Everything outside the engine uses the names below and nothing else of it. They are the
interface another engine would implement (an OpenSearch backend, when a corpus outgrows one
machine: the README says where it would go):

- the index layout: ``build_schema`` / ``SCHEMA_VERSION`` (fields, their analysis and boosts:
  ``FACET_FIELDS``, ``USER_FIELDS``, ``DEFAULT_FIELDS``);
- the query language: ``parse`` (user text -> a query object, opaque to callers; raises
  ``InvalidQuery``) and ``plain_words``;
- writing: ``create_version`` / ``open_version`` and ``SegmentBuilder`` (``add`` a document,
  ``delete`` by a term, ``commit``; workers ``close_worker``, the parent commits their
  segments); ``exact_terms`` (how the catch-all field splits text);
- reading: ``Index`` (an opened version: ``snapshot``, ``stored_documents``, counts) and
  ``Snapshot`` (``matches``, ``rank``, ``best_within`` a set, ``stored``, ``document_number``,
  ``similar``, ``query_terms``, ``has_term``, ``nearest_term``), with the ranked forms
  ``Ranked`` / ``TopRanked``;
- snippets: ``TextPlan`` (a field's analysis as plain functions, for highlighting);
- the garbage-collector pause for bulk work (``no_cyclic_gc``, ``settle_after_open``).

Inside: ``compat`` (every private Whoosh name used, checked against the installed Whoosh),
``storage`` (zero-copy segment files), ``writer`` and ``postings`` (segments written directly
in Whoosh's codec), ``scoring``, ``phrases`` and ``top`` (BM25F, phrases and the best matches
of broad queries, exactly as Whoosh scores them), ``ranked``, ``query`` (with ``andnot``,
Whoosh's AndNot mended), ``analyzers``,
``schema``, ``index`` and ``gc``.
"""

from indexer.engine import compat
from indexer.engine.analyzers import exact_terms
from indexer.engine.gc import no_cyclic_gc, settle_after_open
from indexer.engine.index import Index, Snapshot, create_version, open_version
from indexer.engine.query import Parsed, loosened, parse, parse_query, plain_words
from indexer.engine.ranked import Ranked, Tiered, TopRanked
from indexer.engine.schema import (
    DEFAULT_FIELDS,
    FACET_FIELDS,
    SCHEMA_VERSION,
    USER_FIELDS,
    build_schema,
)
from indexer.engine.writer import SegmentBuilder, TextPlan

compat.check()

__all__ = [
    "DEFAULT_FIELDS",
    "FACET_FIELDS",
    "SCHEMA_VERSION",
    "USER_FIELDS",
    "Index",
    "Ranked",
    "SegmentBuilder",
    "Snapshot",
    "TextPlan",
    "Tiered",
    "TopRanked",
    "build_schema",
    "create_version",
    "exact_terms",
    "no_cyclic_gc",
    "open_version",
    "loosened",
    "parse",
    "parse_query",
    "Parsed",
    "plain_words",
    "settle_after_open",
]
