"""Server-rendered SVG bar charts: plain strings, no JavaScript, nothing fetched from elsewhere.

``bar_chart(labels, values, title=..., unit=...)`` returns one ``<svg role="img">`` with a
``<title>`` and a ``<desc>``, sized by its ``viewBox`` (CSS scales it down on a phone). Bars run
left to right (``horizontal=True``, for named things such as funders) or bottom to top (for
years). Every label goes through ``html.escape``; long labels are cut with an ellipsis and the
full text is in the ``<title>`` of that bar. The Content-Security-Policy forbids ``style``
attributes, so only SVG presentation attributes (``fill``, ``font-size``...) are used. Large
numbers are shortened (12.3M, 1.2bn; in Swedish 12,3 mn, 1,2 md) and tooltips give them in full.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Sequence
from typing import Any

BAR = "#0b5cad"
TEXT = "#1b1f24"
MUTED = "#5b6570"
GRID = "#d9dee3"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
CHAR_W = 6.6  # average glyph width at font-size 12, for layout only
_ID = re.compile(r"[^a-z0-9-]+")
_SHORT = {"en": (("bn", 1e9), ("M", 1e6)), "sv": (("md", 1e9), ("mn", 1e6))}


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def format_number(value: float, lang: str = "en") -> str:
    """A whole number with thousands separators (``12,345``; in Swedish ``12 345``)."""
    text = f"{round(value):,}"
    return text.replace(",", "\u202f") if lang == "sv" else text


def short_number(value: float, lang: str = "en", compact: bool = False) -> str:
    """A number for a bar label: full below a million, else ``12.3M`` / ``1.2bn``;
    ``compact`` also shortens from ten thousand (``628.8k``), for narrow columns."""
    scales: tuple[tuple[str, float], ...] = _SHORT.get(lang, _SHORT["en"])
    if compact and abs(value) >= 1e4:
        scales = (*scales, ("tn" if lang == "sv" else "k", 1e3))
    for suffix, size in scales:
        if abs(value) >= size * 0.9995:  # 999.96M reads as 1.0bn, not 1000M
            scaled = value / size
            text = f"{scaled:.0f}" if abs(scaled) >= 100 else f"{scaled:.1f}"
            if lang == "sv":
                text = text.replace(".", ",")
            return f"{text}\u00a0{suffix}" if lang == "sv" else f"{text}{suffix}"
    return format_number(value, lang)


def truncate(label: str, limit: int) -> str:
    """``label`` cut to ``limit`` characters, the last one an ellipsis when cut."""
    label = " ".join(label.split())
    return label if len(label) <= limit else label[: max(limit - 1, 1)].rstrip() + "…"


def nice_ticks(top: float, count: int = 4) -> list[float]:
    """Round axis ticks from 0 to at least ``top`` (about ``count`` steps)."""
    if top <= 0:
        return [0.0, 1.0]
    raw = top / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    steps = math.ceil(top / step - 1e-9)
    return [i * step for i in range(steps + 1)]


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    title: str,
    unit: str = "",
    horizontal: bool = True,
    lang: str = "en",
    chart_id: str = "chart",
    max_label_chars: int | None = None,
    empty_text: str = "No data",
) -> str:
    """An SVG bar chart of ``values`` named by ``labels`` (the same length), as a string."""
    if len(labels) != len(values):
        raise ValueError("labels and values differ in length")
    cid = _ID.sub("-", chart_id.lower()).strip("-") or "chart"
    rows = [(str(lab), max(float(v), 0.0)) for lab, v in zip(labels, values, strict=True)]
    desc = _describe(rows, unit, lang, empty_text)
    if not rows:
        return _frame(cid, title, desc, 480, 70, [_text(12, 52, empty_text, 13, MUTED)])
    if horizontal:
        return _horizontal(cid, rows, title, desc, unit, lang, max_label_chars or 60)
    return _vertical(cid, rows, title, desc, unit, lang, max_label_chars or 12)


def chart_variants(
    labels: Sequence[str], values: Sequence[float], *, horizontal: bool = True, **kw: Any
) -> list[tuple[str, str]]:
    """(CSS class, SVG) pairs: a column chart is paired with a bar chart of the same data
    for narrow screens (``only-wide`` / ``only-narrow``; the stylesheet shows one)."""
    if horizontal:
        return [("", bar_chart(labels, values, horizontal=True, **kw))]
    narrow = {**kw, "chart_id": str(kw.get("chart_id", "chart")) + "-narrow"}
    return [
        ("only-wide", bar_chart(labels, values, horizontal=False, **kw)),
        ("only-narrow", bar_chart(labels, values, horizontal=True, **narrow)),
    ]


def _describe(rows: list[tuple[str, float]], unit: str, lang: str, empty: str) -> str:
    if not rows:
        return empty
    top = max(rows, key=lambda r: r[1])
    total = sum(v for _, v in rows)
    if lang == "sv":
        return (
            f"{len(rows)} staplar. Störst: {top[0]} ({format_number(top[1], lang)} {unit}). "
            f"Summa {format_number(total, lang)} {unit}. Tabellen nedan har alla värden."
        )
    return (
        f"{len(rows)} bars. Largest: {top[0]} ({format_number(top[1], lang)} {unit}). "
        f"Sum {format_number(total, lang)} {unit}. The table below has every value."
    )


def _horizontal(
    cid: str,
    rows: list[tuple[str, float]],
    title: str,
    desc: str,
    unit: str,
    lang: str,
    max_chars: int,
) -> str:
    """Each row: its label on a line of its own, the bar below it (readable on a phone)."""
    width, row_h, bar_h, top_y, value_w = 420, 36, 14, 30, 64
    plot_w = width - value_w
    ticks = nice_ticks(max(v for _, v in rows))
    scale = plot_w / ticks[-1]
    bottom = top_y + len(rows) * row_h
    parts = _grid_vertical(ticks, scale, 0, top_y, bottom, lang)
    for i, (label, value) in enumerate(rows):
        y = top_y + i * row_h
        w = value * scale
        w = max(w, 1.0) if value > 0 else 0.0
        parts.append(
            f'<g class="row"><title>{_esc(label)}: {_esc(format_number(value, lang))} '
            f"{_esc(unit)}</title>"
            + _text(0, y + 13, truncate(label, max_chars), 12, TEXT)
            + f'<rect class="bar" x="0" y="{y + 17}" width="{w:.1f}" height="{bar_h}" '
            f'fill="{BAR}"/>'
            + _text(w + 4, y + 17 + bar_h - 3, short_number(value, lang), 11, MUTED)
            + "</g>"
        )
    return _frame(cid, title, desc, width, bottom + 24, parts)


def _vertical(
    cid: str,
    rows: list[tuple[str, float]],
    title: str,
    desc: str,
    unit: str,
    lang: str,
    max_chars: int,
) -> str:
    slot, axis_w, top_y, plot_h = 46, 64, 48, 200
    shown = [truncate(lab, max_chars) for lab, _ in rows]
    rotate = max(len(s) for s in shown) > 7
    plot_w = max(len(rows) * slot, 240)
    width = axis_w + plot_w + 12
    base = top_y + plot_h
    label_h = int(max(len(s) for s in shown) * CHAR_W * 0.7) + 18 if rotate else 22
    height = base + label_h
    ticks = nice_ticks(max(v for _, v in rows))
    scale = plot_h / ticks[-1]
    parts: list[str] = []
    for tick in ticks:
        y = base - tick * scale
        parts.append(_line(axis_w, y, axis_w + plot_w, y))
        parts.append(_text(axis_w - 6, y + 4, short_number(tick, lang), 10, MUTED, anchor="end"))
    bar_w = slot * 0.7
    for i, ((label, value), short) in enumerate(zip(rows, shown, strict=True)):
        cx = axis_w + i * slot + slot / 2
        h = value * scale
        h = max(h, 1.0) if value > 0 else 0.0
        if rotate:
            name = (
                f'<text x="{cx:.1f}" y="{base + 14}" font-size="11" fill="{TEXT}" '
                f'text-anchor="end" transform="rotate(-40 {cx:.1f} {base + 14})">'
                f"{_esc(short)}</text>"
            )
        else:
            name = _text(cx, base + 15, short, 11, TEXT, anchor="middle")
        parts.append(
            f'<g class="row"><title>{_esc(label)}: {_esc(format_number(value, lang))} '
            f"{_esc(unit)}</title>"
            f'<rect class="bar" x="{cx - bar_w / 2:.1f}" y="{base - h:.1f}" width="{bar_w:.1f}" '
            f'height="{h:.1f}" fill="{BAR}"/>'
            + _text(cx, base - h - 4, short_number(value, lang, True), 10, MUTED, anchor="middle")
            + name
            + "</g>"
        )
    parts.append(_line(axis_w, base, axis_w + plot_w, base, TEXT))
    return _frame(cid, title, desc, width, height, parts)


def _grid_vertical(
    ticks: list[float], scale: float, x0: float, y0: float, y1: float, lang: str
) -> list[str]:
    out = []
    for tick in ticks:
        x = x0 + tick * scale
        out.append(_line(x, y0, x, y1))
        anchor = "start" if tick == 0 else "middle"
        out.append(_text(x, y1 + 16, short_number(tick, lang), 10, MUTED, anchor=anchor))
    return out


def _frame(cid: str, title: str, desc: str, width: float, height: float, parts: list[str]) -> str:
    w, h = round(width), round(height)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="bar-chart" id="{cid}" role="img" '
        f'viewBox="0 0 {w} {h}" width="{w}" height="{h}" font-family="{_esc(FONT)}" '
        f'aria-labelledby="{cid}-title {cid}-desc">'
        f'<title id="{cid}-title">{_esc(title)}</title><desc id="{cid}-desc">{_esc(desc)}</desc>'
        + _text(0, 18, title, 14, TEXT, bold=True)
        + "".join(parts)
        + "</svg>"
    )


def _text(
    x: float,
    y: float,
    text: str,
    size: int,
    fill: str,
    anchor: str = "start",
    bold: bool = False,
) -> str:
    weight = ' font-weight="600"' if bold else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" fill="{fill}" '
        f'text-anchor="{anchor}"{weight}>{_esc(text)}</text>'
    )


def _line(x1: float, y1: float, x2: float, y2: float, stroke: str = GRID) -> str:
    return (
        f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{stroke}" '
        f'stroke-width="1"/>'
    )
