"""The words of the OpenAPI description's parameters: what each one means, and each filter's
values, in the sentences the document shows. Plain text, no Flask."""

from __future__ import annotations

from indexer.service import FILTERS, MAX_DEPTH
from webapp.openapi.ecosystem import ECOSYSTEM_PARAM_TEXT

FILTER_TEXT = {
    "funder": "a funder's organisation number, e.g. 202100-5208",
    "org": "the coordinating organisation's number, e.g. 202100-3054",
    "org_type": "the organisation type, e.g. university",
    "award": "the award type, e.g. 1 (project grant)",
    "year": "a funding year, e.g. 2024",
    "subject1": "an SSIF subject area (level 1), e.g. 2",
    "subject3": "an SSIF subject group (level 3), e.g. 203",
    "subject5": "an SSIF subject (level 5), e.g. 20304",
    "access": "who may use a facility: companies, academia, both or unknown",
    "country": "a facility's country (ISO 3166 code), e.g. SE",
    "place": "a facility's county or town, e.g. se-skane",
    "source": "the source a record came from, e.g. meril",
    "person": "a person's key (their projects): orcid:<ORCID>, else the source's person id, "
    "e.g. orcid:0000-0002-5407-0835 or swecris-43471",
}
PARAM_TEXT = {
    "q": 'Search text: words (AND), OR, NOT or -word, "phrases", (groups), field:word, '
    "prefix*, word^2. Empty matches everything; a malformed query is a 400.",
    "page": f"Page number. page x size may not pass {MAX_DEPTH} (a 400): walk with cursor.",
    "size": "Hits per page.",
    "sort": "Order of hits; relevance without search text sorts by start date, newest first.",
    "lang": "Language of labels and titles (else the lang cookie, Accept-Language, en).",
    **{n: f"Filter on {FILTER_TEXT.get(n, n)}. Repeat for OR; filters AND." for n in FILTERS},
    "status": "Status on the day `on` (default today); repeat for OR.",
    "on": "The day status refers to.",
    "amount_min": "Least total SEK of a project.",
    "amount_max": "Most total SEK of a project (not below amount_min).",
    "include_twins": "Also list the duplicate copy of RJ/Vinnova twin projects.",
    "translate": "Also search the words' Swedish/English translations, learnt from the "
    "projects' own title pairs, at a lower weight (false: only the words typed).",
    "cursor": "Opaque position of a walk over every hit: start from links.walk, follow "
    "links.next. With a cursor the answer is a WalkPage and page is ignored.",
    "top": "Keep only the first rows of the table.",
    "by": "One dimension, or two different ones (by=year&by=funder).",
    **ECOSYSTEM_PARAM_TEXT,
    "record_source": "The record's source, e.g. swecris.",
    "record_id": "The record's id at its source, e.g. 2019-00037_Formas. It may contain '/': "
    "send it as it is (or as %2F); the route takes the rest of the path.",
}
