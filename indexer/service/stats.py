"""Statistics over any set of matching projects: number of projects and SEK by one or two
dimensions (funding year, funder, coordinating organisation, organisation type, award type,
SSIF level 1/3/5).

Rules, the same as SweCRIS: SEK by year, funder and award type follow the funding decisions
(a project funded in 2021 and 2022 adds each year's money to its year); SEK by subject is split
equally across a project's subject codes; a project counts once per value it has. Twin copies
(``twin_of`` set) never count, and neither do facilities. Amounts in other currencies than
SEK are left out of SEK sums.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from math import fsum
from operator import itemgetter
from typing import Any

from indexer.documents.projects import Labels
from indexer.engine import no_cyclic_gc
from indexer.service.facets import DocTable
from indexer.service.results import StatsRow, StatsTable

UNKNOWN = {"en": "Unknown", "sv": "Okänd"}
_SUBJECT_LEVEL = {"subject1": 0, "subject3": 1, "subject5": 2}
_NO_MONEY = ((None, None, 0.0, None),)
# Where each dimension sits in a StatRows row.
_COLUMN = {
    "year": 2,
    "funder": 3,
    "award": 4,
    "org": 5,
    "org_type": 6,
    "subject1": 7,
    "subject3": 8,
    "subject5": 9,
}

#: Dimension tuples whose groups a version keeps (any of 8 dimensions, one or two at a time).
GROUPS_KEPT = 8
_KEPT_LOCK = threading.Lock()
PREPARED = (("year",), ("year", "funder"))


@dataclass(frozen=True)
class Groups:
    """Every countable project of a version grouped by one tuple of dimensions, made once
    per version and tuple from its ``StatRows``: key -> (its projects, SEK per project), with
    each key's SEK over all of them. Statistics for any set of documents are then set
    intersections and sums over them (C speed), not a walk through every matching project's
    facts. Sums are ``math.fsum``: exactly rounded, whatever order sets are walked in."""

    keys: dict[tuple[str, ...], tuple[frozenset[int], dict[int, float]]]
    countable: frozenset[int]
    totals: dict[int, float]
    key_sums: dict[tuple[str, ...], float]  # SEK per key over every countable project
    total: float

    @classmethod
    def build(cls, table: DocTable, by: tuple[str, ...]) -> Groups:
        rows = stat_rows(table)
        split = any(d in _SUBJECT_LEVEL for d in by)
        cols = [_COLUMN[d] for d in by]
        pick = itemgetter(*cols) if len(cols) > 1 else (lambda row, c=cols[0]: (row[c],))
        per_key: dict[tuple[str, ...], dict[int, float]] = {}
        with no_cyclic_gc():
            for row in rows.split if split else rows.plain:
                key = pick(row)
                amounts = per_key.get(key)
                if amounts is None:
                    amounts = per_key[key] = {}
                doc = row[0]
                amounts[doc] = amounts.get(doc, 0.0) + row[1]
            keys = {key: (frozenset(amounts), amounts) for key, amounts in per_key.items()}
        return cls(
            keys,
            rows.countable,
            rows.totals,
            {key: fsum(amounts.values()) for key, amounts in per_key.items()},
            fsum(rows.totals.values()),
        )


@dataclass(frozen=True)
class StatRows:
    """Every countable project's funding rows as flat tuples, read once per version:
    ``(doc, SEK, year, funder, award, org, org type, SSIF 1, 3, 5)``, values as strings ("" when
    unknown). ``plain`` has one row per funding decision; ``split`` one per decision and
    subject path, with the SEK shared equally among the paths."""

    plain: tuple[tuple[Any, ...], ...]
    split: tuple[tuple[Any, ...], ...]
    countable: frozenset[int]
    totals: dict[int, float]

    @classmethod
    def build(cls, table: DocTable) -> StatRows:
        plain: list[tuple[Any, ...]] = []
        split: list[tuple[Any, ...]] = []
        totals: dict[int, float] = {}
        facts = table.facts
        with no_cyclic_gc():
            for doc in sorted(table.canonical & table.projects):
                f = facts[doc]
                if f is None:
                    continue
                org, org_type = _text(f["org"]), _text(f["org_type"])
                paths = [tuple(map(_text, p)) for p in f["subjects"]] or [("", "", "")]
                weight = 1.0 / len(paths)
                total = 0.0
                for year, funder, amount, award in f["money"] or _NO_MONEY:
                    total += amount
                    head = (_text(year), _text(funder), _text(award), org, org_type)
                    plain.append((doc, amount, *head, "", "", ""))
                    split.extend((doc, amount * weight, *head, *path) for path in paths)
                totals[doc] = total
        return cls(tuple(plain), tuple(split), frozenset(totals), totals)


def stat_rows(table: DocTable) -> StatRows:
    """The version's statistics rows (the search service makes them as a version opens)."""
    rows: StatRows | None = table.derived.get("stat_rows")
    if rows is None:
        rows = table.derived["stat_rows"] = StatRows.build(table)
    return rows


def prepare(table: DocTable) -> None:
    """What statistics need, made as a version opens rather than by its first request: the
    rows, and the groups by year and by year and funder, the common tables (about 0.5-1 s
    each per million projects; groups by other dimensions are made when first asked for,
    as each holds about as many entries as there are funding decisions)."""
    for by in PREPARED:  # (each group is made from the rows: they come first)
        groups(table, by)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def groups(table: DocTable, by: tuple[str, ...]) -> Groups:
    """The version's groups by ``by``, made on first use (the last few tuples are kept)."""
    kept = table.derived.setdefault("stats", {})
    found: Groups | None = kept.get(by)
    if found is None:
        found = Groups.build(table, by)  # two threads may both build it: same result
        with _KEPT_LOCK:
            while len(kept) >= GROUPS_KEPT:
                kept.pop(next(iter(kept)))
            kept[by] = found
    return found


def statistics(
    table: DocTable,
    docs: Iterable[int],
    by: tuple[str, ...],
    labels: Labels,
    lang: str,
    query: str = "",
    filters: dict[str, Any] | None = None,
) -> StatsTable:
    g = groups(table, by)
    wanted = docs if isinstance(docs, AbstractSet) else frozenset(docs)
    mine = g.countable & wanted  # a set intersection walks the smaller of the two
    counts: dict[tuple[str, ...], tuple[int, float]] = {}
    if len(mine) == len(g.countable):  # every project (no query, no filter): precomputed
        total = g.total
        counts = {key: (len(projects), g.key_sums[key]) for key, (projects, _) in g.keys.items()}
    else:  # each key's projects among them
        total = fsum(map(g.totals.__getitem__, mine))
        for key, (projects, amounts) in g.keys.items():
            members = projects & mine
            if members:
                counts[key] = (len(members), fsum(map(amounts.__getitem__, members)))
    rows = [
        StatsRow(
            key,
            tuple(_label(d, k, labels, lang) for d, k in zip(by, key, strict=True)),
            n,
            value,
        )
        for key, (n, value) in counts.items()
    ]
    rows.sort(key=lambda r: _order(by, r))
    return StatsTable(tuple(by), tuple(rows), len(mine), total, query, filters or {}, lang)


def _label(dim: str, key: str, labels: Labels, lang: str) -> str:
    if key == "":
        return UNKNOWN[lang]
    if dim == "year":
        return key
    return labels.get(dim, key, lang)


def _order(by: tuple[str, ...], row: StatsRow) -> tuple[Any, ...]:
    out: list[Any] = []
    for d, k in zip(by, row.keys, strict=True):
        out.append(k if d == "year" else "")
    return (*out, -row.sek, row.keys)
