"""Tabular exports of result objects: rows for CSV, with formula injection neutralised.

The CLI and the web app write CSV through ``write_csv`` so both follow the same rules: UTF-8
with a byte-order mark (Excel then shows å, ä, ö), comma by default or semicolon on request,
text cells that begin with ``=``, ``+``, ``-``, ``@``, a tab, a carriage return or a NUL (ASVS
1.2.10, OWASP CSV injection) prefixed with an apostrophe, numbers left as numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

from harvesters.core.records import Project
from indexer.service.hits import title
from indexer.service.results import Hit, StatsTable

BOM = "\ufeff"
_DANGEROUS = ("=", "+", "-", "@", "\t", "\r", "\x00")


def safe_cell(value: Any) -> Any:
    """A cell value that a spreadsheet will not evaluate; numbers pass unchanged."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return int(value) if isinstance(value, float) and value.is_integer() else value
    text = str(value)
    if text.startswith(_DANGEROUS):
        return "'" + text
    return text


def stats_rows(table: StatsTable) -> Iterator[list[Any]]:
    header: list[Any] = []
    for d in table.dimensions:
        header += [d, f"{d}_label"]
    yield header + ["projects", "sek"]
    for row in table.rows:
        cells: list[Any] = []
        for key, label in zip(row.keys, row.labels, strict=True):
            cells += [key, label]
        yield cells + [row.projects, round(row.sek, 2)]


HIT_COLUMNS = (
    "id",
    "source",
    "title",
    "title_lang",
    "status",
    "start",
    "end",
    "total_sek",
    "coordinator",
    "coordinator_id",
    "funders",
    "funder_ids",
    "twin_of",
    "url",
    "title_sv",
    "title_en",
    "leaders",  # the project leaders (principal investigators, coordinators), "; "-separated
    "leader_keys",  # their keys: orcid:<ORCID> or the source's person id (/person/<key>)
    "award",  # the award types of its fundings
    "funding_years",
    "subjects",  # SSIF subjects, the deepest level each path names: "code label"
    "kind",  # project or facility
    "country",  # a facility's (ISO 3166 code)
    "access_for",  # who may use a facility: companies, academia, both, unknown
)


def hit_rows(
    hits: Iterable[Hit], truncated_note: str | None = None, lang: str = "en"
) -> Iterator[list[Any]]:
    yield list(HIT_COLUMNS)
    for h in hits:
        r = h.source_record  # its attributes, not ``h.record`` (the whole record as a dict)
        project = r if isinstance(r, Project) else None
        yield [
            h.id,
            h.source,
            h.title,
            h.title_lang,
            h.status,
            h.start,
            h.end,
            h.total_sek,
            h.coordinator.name if h.coordinator else None,
            h.coordinator.id if h.coordinator else None,
            "; ".join(f.name or "" for f in h.funders),
            "; ".join(f.id or "" for f in h.funders),
            h.twin_of,
            getattr(r, "source_url", None) or getattr(r, "url", None),
            title(r).sv if r is not None else None,
            title(r).en if r is not None else None,
            "; ".join(p.name for p in h.leaders),
            "; ".join(p.key or "" for p in h.leaders),
            _awards(project, lang) if project else None,
            "; ".join(map(str, project.funding_years())) if project else None,
            _subjects(project, lang) if project else None,
            h.kind,
            getattr(r, "country", None),
            (getattr(r, "access_for", None) or "unknown") if h.kind == "facility" else None,
        ]
    if truncated_note:
        yield [truncated_note]


def _awards(p: Project, lang: str) -> str:
    labels = (f.award_type.label.get(lang) or f.award_type.id for f in p.fundings if f.award_type)
    return "; ".join(dict.fromkeys(x for x in labels if x))


def _subjects(p: Project, lang: str) -> str:
    deepest = (s.level5 or s.level3 or s.level1 for s in p.subjects)
    return "; ".join(
        dict.fromkeys(f"{s.code} {s.label.get(lang) or ''}".strip() for s in deepest if s)
    )


def write_csv(
    rows: Iterable[list[Any]], out: TextIO, delimiter: str = ",", bom: bool = True
) -> None:
    if bom:
        out.write(BOM)
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    for row in rows:
        writer.writerow([safe_cell(c) for c in row])


def iter_csv(rows: Iterable[list[Any]], delimiter: str = ",", bom: bool = True) -> Iterator[str]:
    """The same CSV as ``write_csv``, as chunks of text for streaming responses."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    if bom:
        yield BOM
    for i, row in enumerate(rows, 1):
        writer.writerow([safe_cell(c) for c in row])
        if i % 200 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if buffer.getvalue():
        yield buffer.getvalue()
