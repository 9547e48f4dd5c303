"""Search and statistics requests: structured, validated values (never parsed from text).

``SearchRequest.validated()`` checks every bound (page size, depth, sort, filter names and
values) and raises ``InvalidRequest`` with a message a user can act on. Filters are facet
values (codes), statuses and an amount range; a facet's own selection is a tuple (OR within a
facet, AND across facets).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date

from indexer.engine import FACET_FIELDS
from indexer.errors import InvalidRequest

MAX_SIZE = 100
MAX_DEPTH = 10_000  # page * size: walk further with the cursor of the API or the CSV export
MAX_FACET_SIZE = 200
MAX_OPEN_FACET = 1000  # a facet opened in full ("show all"), as a page asks for one
MAX_FILTER_VALUES = 50
SORTS = (
    "relevance",
    "start_desc",
    "start_asc",
    "end_desc",
    "end_asc",
    "amount_desc",
    "amount_asc",
)
STATUSES = ("ongoing", "finished", "upcoming")
LANGS = ("en", "sv")
FILTER_ONLY = ("person",)  # filters with no facet: a person's projects (``person_key``)
FILTERS = (*FACET_FIELDS, *FILTER_ONLY)
STAT_DIMENSIONS = ("year", "funder", "org", "org_type", "award", "subject1", "subject3", "subject5")
VALUE_PATTERN = r"^[\w.\-:/~]{1,64}$"  # a facet value (a code)
YEAR_PATTERN = r"^[0-9]{4}$"  # a funding year
_VALUE, _YEAR = re.compile(VALUE_PATTERN), re.compile(YEAR_PATTERN)


@dataclass(frozen=True)
class SearchRequest:
    q: str = ""
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    status: tuple[str, ...] = ()
    on: date | None = None
    amount_min: float | None = None
    amount_max: float | None = None
    include_twins: bool = False
    # also search the query's words' translations (Swedish <-> English, learnt per version)
    translate: bool = True
    sort: str = "relevance"
    page: int = 1
    size: int = 20
    lang: str = "en"
    facet_size: int = 30
    with_facets: bool = True
    # pages only: sizes for single facets (the subject tree shows every field), and one facet
    # opened in full, its values narrowed to labels holding ``open_match`` (accents folded)
    facet_sizes: tuple[tuple[str, int], ...] = ()
    open_facet: str = ""
    open_match: str = ""

    def validated(self) -> SearchRequest:
        if not isinstance(self.page, int) or self.page < 1:
            raise InvalidRequest(f"page must be a whole number from 1, not {self.page!r}")
        if not isinstance(self.size, int) or not 1 <= self.size <= MAX_SIZE:
            raise InvalidRequest(f"size must be between 1 and {MAX_SIZE}, not {self.size!r}")
        if self.page * self.size > MAX_DEPTH:
            raise InvalidRequest(
                f"pages reach only the first {MAX_DEPTH} results (page {self.page} of size "
                f"{self.size} is deeper); narrow the search or use the CSV export"
            )
        if self.sort not in SORTS:
            raise InvalidRequest(f"sort must be one of {', '.join(SORTS)}, not {self.sort!r}")
        if self.lang not in LANGS:
            raise InvalidRequest(f"lang must be 'en' or 'sv', not {self.lang!r}")
        if not 0 <= self.facet_size <= MAX_FACET_SIZE:
            raise InvalidRequest(f"facet size must be between 0 and {MAX_FACET_SIZE}")
        for name, size in self.facet_sizes:
            if name not in FACET_FIELDS or not 0 <= size <= MAX_OPEN_FACET:
                raise InvalidRequest(f"facet sizes are for facets, between 0 and {MAX_OPEN_FACET}")
        if self.open_facet and self.open_facet not in FACET_FIELDS:
            raise InvalidRequest(
                f"open must name a facet ({', '.join(FACET_FIELDS)}), not {self.open_facet[:40]!r}"
            )
        if len(self.open_match) > 100:
            raise InvalidRequest("the facet filter text is at most 100 characters")
        for s in self.status:
            if s not in STATUSES:
                raise InvalidRequest(f"status must be one of {', '.join(STATUSES)}, not {s!r}")
        for name, values in self.filters.items():
            if name not in FILTERS:
                raise InvalidRequest(f"unknown filter {name!r}; filters are {', '.join(FILTERS)}")
            if len(values) > MAX_FILTER_VALUES:
                raise InvalidRequest(f"at most {MAX_FILTER_VALUES} values per filter")
            for v in values:
                if not _VALUE.fullmatch(v):  # not match: "$" would let a final newline in
                    raise InvalidRequest(f"{name} value {v[:80]!r} is not a valid code")
                if name == "year" and not _YEAR.fullmatch(v):
                    raise InvalidRequest(f"year must be a year of four digits, not {v[:40]!r}")
        for bound in (self.amount_min, self.amount_max):
            if bound is not None and not (0 <= bound < 1e15):
                raise InvalidRequest("amounts must be between 0 and 10^15 SEK")
        if (
            self.amount_min is not None
            and self.amount_max is not None
            and self.amount_min > self.amount_max
        ):
            raise InvalidRequest("the minimum amount is larger than the maximum")
        return replace(
            self, filters={k: tuple(dict.fromkeys(v)) for k, v in self.filters.items() if v}
        )

    def filters_dict(self) -> dict[str, object]:
        """The active filters as plain data, echoed in results."""
        out: dict[str, object] = {k: list(v) for k, v in self.filters.items()}
        if self.status:
            out["status"] = list(self.status)
        if self.on:
            out["on"] = self.on.isoformat()
        if self.amount_min is not None:
            out["amount_min"] = self.amount_min
        if self.amount_max is not None:
            out["amount_max"] = self.amount_max
        if self.include_twins:
            out["include_twins"] = True
        return out


def check_dimensions(by: tuple[str, ...]) -> tuple[str, ...]:
    if not 1 <= len(by) <= 2:
        raise InvalidRequest("statistics take one or two dimensions (e.g. year, or year x funder)")
    for d in by:
        if d not in STAT_DIMENSIONS:
            raise InvalidRequest(
                f"unknown dimension {d!r}; choose from {', '.join(STAT_DIMENSIONS)}"
            )
    if len(set(by)) != len(by):
        raise InvalidRequest("the two dimensions must differ")
    return by
