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

from collections.abc import Iterable
from typing import Any

from indexer.documents import Labels
from indexer.facets import DocTable
from indexer.results import StatsRow, StatsTable

UNKNOWN = {"en": "Unknown", "sv": "Okänd"}
_SUBJECT_LEVEL = {"subject1": 0, "subject3": 1, "subject5": 2}
_FUNDING_DIMS = {"year": 0, "funder": 1, "award": 3}


def statistics(
    table: DocTable,
    docs: Iterable[int],
    by: tuple[str, ...],
    labels: Labels,
    lang: str,
    query: str = "",
    filters: dict[str, Any] | None = None,
) -> StatsTable:
    sek: dict[tuple[str, ...], float] = {}
    members: dict[tuple[str, ...], set[int]] = {}
    split_subjects = any(d in _SUBJECT_LEVEL for d in by)
    counted = 0
    total = 0.0
    for doc in docs:
        if doc not in table.canonical or doc not in table.projects:
            continue
        f = table.facts[doc]
        if f is None:
            continue
        counted += 1
        fundings = f["money"] or [(None, None, 0.0, None)]
        paths = f["subjects"] if split_subjects and f["subjects"] else [(None, None, None)]
        weight = 1.0 / len(paths)
        for year, funder, amount, award in fundings:
            total += amount
            row = (year, funder, amount, award)
            for path in paths:
                key = tuple(_value(d, row, path, f) for d in by)
                sek[key] = sek.get(key, 0.0) + amount * weight
                members.setdefault(key, set()).add(doc)
    rows = [
        StatsRow(
            key,
            tuple(_label(d, k, labels, lang) for d, k in zip(by, key, strict=True)),
            len(members[key]),
            value,
        )
        for key, value in sek.items()
    ]
    rows.sort(key=lambda r: _order(by, r))
    return StatsTable(tuple(by), tuple(rows), counted, total, query, filters or {}, lang)


def _value(dim: str, funding: tuple[Any, ...], path: tuple[Any, ...], f: dict[str, Any]) -> str:
    if dim in _FUNDING_DIMS:
        v = funding[_FUNDING_DIMS[dim]]
    elif dim in _SUBJECT_LEVEL:
        v = path[_SUBJECT_LEVEL[dim]]
    else:
        v = f[dim]
    return "" if v is None else str(v)


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
