"""The statistics of two dimensions as a real cross table: the first down, the second across.

``cross_view`` makes the table the statistics page shows for ``by=a&by=b``: rows are the values
of ``a`` (years in order, others most projects first), columns those of ``b``, each cell the
projects (or SEK, ``measure=sek``) of both values, linked to the search that counts them and
shaded by its size (a class ``h0``-``h5``: the page's CSP allows no inline style). Totals come
from the one-dimension tables, not from adding cells up: a project with two funders or two
years is one project in its row's total. The page shows the first ``ROWS`` rows and ``COLUMNS``
columns and says how many more the CSV holds; ``cross_rows`` is that CSV in the same shape
(``/stats.csv?by=a&by=b&shape=wide``), every row and column, with the totals.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from indexer.service import InvalidRequest, StatsRow, StatsTable
from webapp.charts import format_number
from webapp.i18n import t

ROWS, COLUMNS, LEVELS = 40, 12, 5
MEASURES = ("projects", "sek")


def measure_from(raw: str | None) -> str:
    measure = raw or "projects"
    if measure not in MEASURES:
        raise InvalidRequest(f"measure must be projects or sek, not {measure[:20]!r}")
    return measure


def _values(table: StatsTable) -> list[tuple[str, str]]:
    """(key, label) of a one-dimension table in the order a cross shows them."""
    rows: list[StatsRow] = list(table.rows)
    if table.dimensions[0] == "year":  # chronological, "unknown" last
        rows = sorted((r for r in rows if r.keys[0]), key=lambda r: r.keys[0])
        rows += [r for r in table.rows if not r.keys[0]]
    return [(r.keys[0], r.labels[0]) for r in rows]


def _figure(row: StatsRow | None, measure: str) -> float:
    if row is None:
        return 0
    return row.projects if measure == "projects" else row.sek


def cross_view(
    cross: StatsTable,
    down: StatsTable,
    across: StatsTable,
    pairs: list[tuple[str, str]],
    lang: str,
    measure: str,
) -> dict[str, Any]:
    """The page's cross table: ``cross`` by both dimensions, ``down`` and ``across`` by each."""
    d1, d2 = cross.dimensions
    cells = {(r.keys[0], r.keys[1]): r for r in cross.rows}
    rows, cols = _values(down), _values(across)
    shown_rows, shown_cols = rows[:ROWS], cols[:COLUMNS]
    top = max(
        (_figure(cells.get((a, b)), measure) for a, _ in shown_rows for b, _ in shown_cols),
        default=0,
    )
    base = [(k, v) for k, v in pairs if k not in ("page", d1, d2)]

    def url(a: str, b: str | None) -> str | None:
        if not a or (b is not None and not b):
            return None  # "unknown" is no filter value: its figures stand without a link
        return "/search?" + urlencode([*base, (d1, a)] + ([(d2, b)] if b is not None else []))

    def number(value: float) -> str:
        return format_number(value, lang)

    totals_down = {r.keys[0]: r for r in down.rows}
    totals_across = {r.keys[0]: r for r in across.rows}
    body = []
    for a, label in shown_rows:
        row_cells = []
        for b, _ in shown_cols:
            value = _figure(cells.get((a, b)), measure)
            level = 0 if not value or not top else 1 + int((LEVELS - 1) * value / top)
            row_cells.append(
                {
                    "text": number(value) if value else "",
                    "url": url(a, b) if value else None,
                    "level": level,
                }
            )
        body.append(
            {
                "label": label,
                "url": url(a, None),
                "cells": row_cells,
                "total": number(_figure(totals_down.get(a), measure)),
            }
        )
    return {
        "dims": (t(d1), t(d2)),
        "measure": measure,
        "columns": [label for _, label in shown_cols],
        "rows": body,
        "column_totals": [number(_figure(totals_across.get(b), measure)) for b, _ in shown_cols],
        "total": number(cross_total(down, measure)),
        "more_rows": len(rows) - len(shown_rows),
        "more_columns": len(cols) - len(shown_cols),
    }


def cross_total(table: StatsTable, measure: str) -> float:
    return table.total_projects if measure == "projects" else table.total_sek


def cross_rows(
    cross: StatsTable, down: StatsTable, across: StatsTable, measure: str
) -> Iterator[list[Any]]:
    """The cross table as CSV rows in its own shape: every row and column, with totals; the
    header names each column by its label and code."""
    d1, d2 = cross.dimensions
    cells = {(r.keys[0], r.keys[1]): r for r in cross.rows}
    cols = _values(across)
    totals_down = {r.keys[0]: r for r in down.rows}
    totals_across = {r.keys[0]: r for r in across.rows}
    yield [f"{d1} \\ {d2}", *(f"{label} ({key})" if key else label for key, label in cols), "total"]
    for a, label in _values(down):
        figures = [_figure(cells.get((a, b)), measure) for b, _ in cols]
        yield [label, *(_round(x) for x in figures), _round(_figure(totals_down.get(a), measure))]
    yield [
        "total",
        *(_round(_figure(totals_across.get(b), measure)) for b, _ in cols),
        _round(cross_total(down, measure)),
    ]


def _round(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(value, 2)
