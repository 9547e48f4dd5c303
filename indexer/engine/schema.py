"""The Whoosh schema: one document per record, with bilingual text, facet and sort fields.

``SCHEMA_VERSION`` names the schema, the analysis and the stored facts; a change to any of
them must bump it, and an incremental update of an index built with another version turns
into a full rebuild.
Facet fields are space-separated KEYWORD fields (several values per project); their values are
codes (org numbers, SSIF codes, years), never labels, so a label fix never splits a facet.
Dates and amounts live in the stored ``facts``, which the per-version document table reads
once; sorting and "ongoing on a date" are computed from it at query time.
"""

from __future__ import annotations

from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema

from indexer.engine.analyzers import english_analyzer, exact_analyzer, swedish_analyzer

SCHEMA_VERSION = "6"  # 4: the facts name people and facility owners; 5: person keys all fit;
# 6: Swedish words are lemmas (indexer.analysis.lemmas), both stemmers current Snowball

# Facet name -> index field. The order is the order facets are shown in.
FACET_FIELDS: dict[str, str] = {
    "kind": "kind",
    "funder": "f_funder",
    "org": "f_org",
    "org_type": "f_orgtype",
    "award": "f_award",
    "year": "f_year",
    "subject1": "f_ssif1",
    "subject3": "f_ssif3",
    "subject5": "f_ssif5",
    "facility_type": "f_ftype",
    "facility": "f_facility",
    "access": "f_access",
    "country": "f_country",
    "place": "f_place",
    "source": "f_source",
}

# What a user may write before a colon, and the index fields it searches.
USER_FIELDS: dict[str, tuple[str, ...]] = {
    "title": ("title_exact", "title_sv", "title_en"),
    "abstract": ("text_exact", "abstract_sv", "abstract_en"),
    "person": ("person",),
    "org": ("org",),
    "funder": ("funder_name",),
    "orcid": ("orcid",),
    "id": ("pid",),
}

# Fields searched by words without a field, with their boosts: exact words and titles first.
# Tuned on the KTH data so that a title match ranks above abstract-only matches (Whoosh sums
# BM25F over fields, so an abstract that repeats a word in two languages adds up quickly).
DEFAULT_FIELDS: dict[str, float] = {
    "title_exact": 12.0,
    "title_sv": 8.0,
    "title_en": 8.0,
    "text_exact": 1.0,
    "abstract_sv": 0.7,
    "abstract_en": 0.7,
    "compounds": 0.5,
    "person": 2.0,
    "org": 1.0,
    "funder_name": 1.0,
    "pid": 3.0,
    "kind_sv": 3.0,
    "kind_en": 3.0,
}

# A Swedish compound's parts (all in the Swedish title or abstract) weigh this much of the word
# itself, so an exact match still ranks first (indexer.engine.query, .expansion).
COMPOUND_BOOST = 0.6

# Which analyzer each searchable field uses, for the query rewriter.
SWEDISH_FIELDS = ("title_sv", "abstract_sv", "compounds", "kind_sv")
ENGLISH_FIELDS = ("title_en", "abstract_en", "kind_en")
KEYWORD_FIELDS = ("orcid", "pid")


def build_schema() -> Schema:
    sv = swedish_analyzer()
    en = english_analyzer()
    exact = exact_analyzer()
    return Schema(
        uid=ID(stored=True, unique=True),
        kind=ID(stored=True),
        pid=KEYWORD(lowercase=True),
        title_sv=TEXT(analyzer=sv, phrase=True),
        title_en=TEXT(analyzer=en, phrase=True),
        title_exact=TEXT(analyzer=exact, phrase=True),
        abstract_sv=TEXT(analyzer=sv, phrase=False),
        abstract_en=TEXT(analyzer=en, phrase=False),
        text_exact=TEXT(analyzer=exact, phrase=True),
        compounds=TEXT(analyzer=sv, phrase=False),
        # What kind of facility it is (types and their terms): short, so a long description
        # does not dilute it; empty for projects.
        kind_sv=TEXT(analyzer=sv, phrase=False),
        kind_en=TEXT(analyzer=en, phrase=False),
        person=TEXT(analyzer=exact, phrase=True),
        org=TEXT(analyzer=exact, phrase=True),
        funder_name=TEXT(analyzer=exact, phrase=True),
        orcid=KEYWORD(lowercase=True),
        f_funder=KEYWORD,
        f_org=KEYWORD,
        f_orgtype=KEYWORD,
        f_award=KEYWORD,
        f_year=KEYWORD,
        f_ssif1=KEYWORD,
        f_ssif3=KEYWORD,
        f_ssif5=KEYWORD,
        f_twin=KEYWORD,
        f_ftype=KEYWORD,
        f_facility=KEYWORD,
        f_access=KEYWORD,
        f_country=KEYWORD,
        f_place=KEYWORD,
        f_source=KEYWORD,
        record=STORED,
        facts=STORED,
    )
