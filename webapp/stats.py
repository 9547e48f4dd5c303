"""Statistics of a search: one ``StatsTable`` per question, rendered as HTML, CSV or JSON.

``GET /stats`` takes the same parameters as the search page and shows, for the matching
projects, projects and SEK by funding year (chronological), by funder, by coordinating
organisation (top 20) and by subject area (SSIF level 1): each section an SVG chart, its table
and links to the CSV and JSON of exactly that table. ``by`` (once or twice) adds a cross table.
``GET /stats.csv``, ``/stats.json`` and ``/api/v1/stats`` answer one table for one or two
``by`` dimensions (``top`` keeps the first rows; ``delimiter=semicolon`` for the CSV). A bad
or missing ``by`` is a 400 (a JSON error for the data formats).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote, urlencode

from flask import Blueprint, Response, current_app, jsonify, render_template, request
from markupsafe import Markup

from indexer.service import (
    STAT_DIMENSIONS,
    InvalidRequest,
    SearchRequest,
    StatsRow,
    StatsTable,
    check_dimensions,
    stats_rows,
)
from webapp.charts import chart_variants, format_number
from webapp.crosstab import cross_rows, cross_view, measure_from
from webapp.exports import csv_response
from webapp.i18n import current_lang, t
from webapp.pages import search_request
from webapp.params import refuse_twins, state, whole_number, with_params
from webapp.service import search_service

bp = Blueprint("stats", __name__)

MAX_TOP = 100_000
CROSS_ROWS_SHOWN = 500


@dataclass(frozen=True)
class Section:
    """One block of the statistics page: a dimension, its heading and how many rows to show."""

    dim: str
    heading: str
    top: int | None = None


SECTIONS = (
    Section("year", "by_year"),
    Section("funder", "by_funder"),
    Section("org", "by_org", top=20),
    Section("subject1", "by_subject"),
)


# -- routes ---------------------------------------------------------------------------------


@bp.get("/stats")
def page() -> str:
    lang = current_lang()
    req = replace(search_request(lang), include_twins=False)  # statistics count a twin once
    by = _dimensions(required=False)
    service = search_service(current_app)
    pairs = [(k, v) for k, v in state(request.args) if k != "include_twins"]
    tables = {s.dim: service.stats(req, (s.dim,)) for s in SECTIONS}
    sections = [stat_section(s, tables[s.dim], pairs, lang) for s in SECTIONS]
    cross = _cross(service.stats(req, by), pairs, lang) if len(by) == 1 else None
    measure = measure_from(request.args.get("measure"))
    grid = None
    if len(by) == 2:
        down, across = (service.stats(req, (d,)) for d in by)
        grid = cross_view(service.stats(req, by), down, across, pairs, lang, measure)
        grid["csv_url"] = "/stats.csv" + _with_by(pairs, by, shape="wide", measure=measure)
        grid["switch_url"] = "/stats" + _with_by(
            pairs, by, measure="sek" if measure == "projects" else None
        )
        grid["long_url"] = "/stats.csv" + _with_by(pairs, by)
    first = tables[SECTIONS[0].dim]
    return render_template(
        "stats.html",
        sections=sections,
        cross=cross,
        grid=grid,
        by=by,
        dimensions=[(d, t(d)) for d in STAT_DIMENSIONS],
        pairs=pairs,
        scope=_scope(req, tables),
        total_projects=format_number(first.total_projects, lang),
        total_sek=format_number(first.total_sek, lang),
        search_url="/search" + with_params(pairs, page=None, size=None),
        lang_url=with_params(pairs, lang="en" if lang == "sv" else "sv")
        + "".join(f"&by={quote(d)}" for d in by),
    )


@bp.get("/stats.csv")
def table_csv() -> Response:
    """One row per value (``shape=long``, the default), or for two dimensions the cross
    table itself (``shape=wide``: the first down, the second across, with totals)."""
    shape = request.args.get("shape") or "long"
    if shape not in ("long", "wide"):
        raise InvalidRequest(f"shape must be long or wide, not {shape[:20]!r}")
    measure = measure_from(request.args.get("measure"))
    table, by, _ = _one_table()
    name = f"research-index-stats-{'-'.join(by)}"
    if shape == "long":
        return csv_response(stats_rows(table), f"{name}.csv")
    if len(by) != 2:
        raise InvalidRequest("shape=wide crosses two dimensions: give by= twice")
    service, req = search_service(current_app), search_request(current_lang())
    full = service.stats(req, by)  # every row: ``top`` cuts the long shape alone
    down, across = (service.stats(req, (d,)) for d in by)
    return csv_response(cross_rows(full, down, across, measure), f"{name}-{measure}.csv")


@bp.get("/stats.json")
@bp.get("/api/v1/stats")
def table_json() -> Response:
    table, by, all_rows = _one_table()
    pairs = state(request.args)
    data: dict[str, Any] = {"ok": True, **table.to_dict()}
    data["rows_total"] = all_rows
    data["links"] = {
        "html": "/stats" + _with_by(pairs, by),
        "csv": "/stats.csv" + _with_by(pairs, by, top=request.args.get("top")),
        "json": "/stats.json" + _with_by(pairs, by, top=request.args.get("top")),
        "search": "/search" + with_params(pairs),
    }
    return jsonify(data)


# -- data -----------------------------------------------------------------------------------


def _dimensions(required: bool) -> tuple[str, ...]:
    by = tuple(v for v in request.args.getlist("by") if v)
    if not by and not required:
        return ()
    if not by:
        raise InvalidRequest(
            f"say which statistics with by=, once or twice; one of {', '.join(STAT_DIMENSIONS)}"
        )
    return check_dimensions(by)


def _top() -> int | None:
    raw = request.args.get("top")
    if raw in (None, ""):
        return None
    top = whole_number("top", raw)
    if not 1 <= top <= MAX_TOP:
        raise InvalidRequest(f"top must be between 1 and {MAX_TOP}")
    return top


def _one_table() -> tuple[StatsTable, tuple[str, ...], int]:
    """The table the URL asks for, cut to ``top`` rows; also its full number of rows."""
    by = _dimensions(required=True)
    top = _top()
    refuse_twins(request.args, "Statistics")
    req = search_request(current_lang())
    table = search_service(current_app).stats(req, by)
    count = len(table.rows)
    if top is not None:
        table = replace(table, rows=table.rows[:top])
    return table, by, count


def _with_by(pairs: list[tuple[str, str]], by: tuple[str, ...], **extra: Any) -> str:
    out = [(k, v) for k, v in pairs if k not in ("page", "size", "sort")]
    out += [("by", d) for d in by]
    out += [(k, str(v)) for k, v in extra.items() if v not in (None, "")]
    return "?" + urlencode(out) if out else ""


def _ordered(dim: str, rows: tuple[StatsRow, ...]) -> list[StatsRow]:
    """Rows as the page shows them: years in order with "unknown" last, others as given."""
    if dim != "year":
        return list(rows)
    return [r for r in rows if r.keys[0]] + [r for r in rows if not r.keys[0]]


def value_url(dim: str, key: str, pairs: list[tuple[str, str]]) -> str | None:
    """Where a value of a table leads: an organisation's or a funder's page, else the search
    narrowed to it."""
    if not key:
        return None
    if dim == "org":
        return f"/org/{quote(key, safe='')}"
    if dim == "funder":
        return f"/funder/{quote(key, safe='')}"
    out = [(k, v) for k, v in pairs if k != "page"]
    if (dim, key) not in out:
        out.append((dim, key))
    return "/search?" + urlencode(out)


def stat_section(
    s: Section, table: StatsTable, pairs: list[tuple[str, str]], lang: str
) -> dict[str, Any]:
    rows = _ordered(s.dim, table.rows)
    shown = rows[: s.top] if s.top else rows
    labels = [r.labels[0] for r in shown]
    heading = t(s.heading)
    charts = [
        {"cls": cls, "svg": Markup(svg)}
        for field, name, unit in (("projects", "projects", "results"), ("sek", "sek_long", "sek"))
        for cls, svg in chart_variants(
            labels,
            [getattr(r, field) for r in shown],
            title=f"{t(name)} – {heading.lower()}",
            unit=t(unit),
            horizontal=s.dim != "year",
            lang=lang,
            chart_id=f"chart-{s.dim}-{field}",
            empty_text=t("no_results"),
        )
    ]
    top = {"top": s.top} if s.top else {}
    return {
        "id": f"by-{s.dim}",
        "dim": s.dim,
        "heading": heading,
        "dim_label": t(s.dim),
        "charts": charts,
        "wide": s.dim == "year",
        "rows": [_row_view(s.dim, r, pairs, lang) for r in shown],
        "more": len(rows) - len(shown),
        "count": len(rows),
        "csv_url": "/stats.csv" + _with_by(pairs, (s.dim,), **top),
        "csv_semicolon_url": "/stats.csv" + _with_by(pairs, (s.dim,), delimiter="semicolon", **top),
        "json_url": "/stats.json" + _with_by(pairs, (s.dim,), **top),
        "csv_all_url": "/stats.csv" + _with_by(pairs, (s.dim,)) if len(rows) > len(shown) else None,
    }


def _row_view(dim: str, r: StatsRow, pairs: list[tuple[str, str]], lang: str) -> dict[str, Any]:
    return {
        "key": r.keys[0],
        "label": r.labels[0],
        "url": value_url(dim, r.keys[0], pairs),
        "projects": format_number(r.projects, lang),
        "sek": format_number(r.sek, lang),
    }


def _cross(table: StatsTable, pairs: list[tuple[str, str]], lang: str) -> dict[str, Any]:
    dims = table.dimensions
    rows = [
        {
            "cells": [
                {"label": label, "url": value_url(d, key, pairs)}
                for d, key, label in zip(dims, r.keys, r.labels, strict=True)
            ],
            "projects": format_number(r.projects, lang),
            "sek": format_number(r.sek, lang),
        }
        for r in table.rows[:CROSS_ROWS_SHOWN]
    ]
    return {
        "dims": [(d, t(d)) for d in dims],
        "rows": rows,
        "count": len(table.rows),
        "more": max(0, len(table.rows) - CROSS_ROWS_SHOWN),
        "csv_url": "/stats.csv" + _with_by(pairs, dims),
        "csv_semicolon_url": "/stats.csv" + _with_by(pairs, dims, delimiter="semicolon"),
        "json_url": "/stats.json" + _with_by(pairs, dims),
    }


def _scope(req: SearchRequest, tables: dict[str, StatsTable]) -> list[tuple[str, str]]:
    """The search the page is about, as (what, value) pairs with names rather than codes."""
    names = {(dim, r.keys[0]): r.labels[0] for dim, table in tables.items() for r in table.rows}
    out: list[tuple[str, str]] = []
    if req.q:
        out.append((t("search_text"), req.q))
    for name, values in req.filters.items():
        for v in values:
            out.append((t(name), names.get((name, v), v)))
    out += [(t("status"), t(s)) for s in req.status]
    if req.amount_min is not None:
        out.append((t("amount_min"), format_number(req.amount_min, req.lang)))
    if req.amount_max is not None:
        out.append((t("amount_max"), format_number(req.amount_max, req.lang)))
    if req.on is not None:
        out.append((t("status_on"), req.on.isoformat()))
    return out
