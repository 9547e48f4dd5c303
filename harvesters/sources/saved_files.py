"""Saved source files (exports, recorded responses) recognised by content and imported.

``classify(paths)`` sorts files into SweCRIS exports or search/projects JSON, OAI-PMH
ListRecords responses carrying OpenAIRE CERIF, the facility formats of
``harvesters.sources.facilities.detect`` (MERIL GeoJSON, the ESFRI table, the XAS Data
Library's light-source files, SciLifeLab units and publications, hand-kept facility lists)
and everything else (skipped with the reason, never guessed); ``import_saved`` runs one import
of such files through the ordinary run pipeline (lock, error budget, one transaction) with the
parser of their kind and returns a one-line summary.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from harvesters.core.config import Config
from harvesters.core.errors import HarvestError
from harvesters.core.progress import Progress
from harvesters.sources.cerif.harvest import parse_cerif_pages
from harvesters.sources.facilities.detect import facility_kind
from harvesters.sources.harvest import FILE_PARSERS
from harvesters.sources.oai.responses import parse_xml, verb_element
from harvesters.sources.run import Parsed, file_payloads, ingest, parse_swecris
from harvesters.sources.swecris import normalise as swecris
from harvesters.store.database import RawPayload

NOT_READ = "not a format research-index reads"


@dataclass
class SavedFiles:
    swecris: list[RawPayload] = field(default_factory=list)
    cerif: list[RawPayload] = field(default_factory=list)
    facilities: dict[str, list[RawPayload]] = field(default_factory=dict)  # by source kind
    skipped: list[Path] = field(default_factory=list)
    reasons: dict[Path, str] = field(default_factory=dict)  # why each was skipped


def classify(paths: list[Path]) -> SavedFiles:
    out = SavedFiles()
    for path in paths:
        try:
            payload = file_payloads([path])[0]
        except OSError as exc:
            out.skipped.append(path)
            out.reasons[path] = f"could not be read ({exc.strerror or exc})"
            continue
        if _is_swecris(payload):
            out.swecris.append(payload)
        elif _is_cerif_page(payload):
            out.cerif.append(payload)
        elif (kind := facility_kind(payload)) is not None:
            out.facilities.setdefault(kind, []).append(payload)
        else:
            out.skipped.append(path)
            out.reasons[path] = NOT_READ
    return out


def import_saved(
    config: Config,
    source: str,
    payloads: list[RawPayload],
    quiet: bool,
    cerif: bool = False,
    kind: str | None = None,
) -> str:
    """Import ``payloads`` as ``source``: SweCRIS files, CERIF pages (``cerif``) or files of a
    facility ``kind``; the summary says what it gave or why it failed."""

    def parser(p: Sequence[RawPayload], prog: Progress) -> Parsed:
        if kind is not None:
            return FILE_PARSERS[kind](source, p, prog)
        return parse_cerif_pages(source, p, prog) if cerif else parse_swecris(p, prog)

    try:
        report = ingest(
            config,
            source,
            "import",
            lambda _p: payloads,
            parser,
            complete=False,
            quiet=quiet,
            options={"files": [p.label for p in payloads]},
        )
    except HarvestError as exc:
        return f"{source}: import of {len(payloads)} file(s) failed: {exc}"
    c = report.counts
    skipped = f", skipped {c.skipped}" if c.skipped else ""
    return (
        f"{source}: imported {len(payloads)} file(s): {c.records} records "
        f"(new {c.new}, changed {c.changed}, failed {c.failed}{skipped})"
    )


def _is_swecris(payload: RawPayload) -> bool:
    try:
        if "csv" in payload.content_type:
            rows = swecris.rows_from_csv(payload.body)
        elif "json" in payload.content_type:
            rows = swecris.rows_from_json(payload.body)[0]
        else:
            return False
    except (HarvestError, UnicodeDecodeError, ValueError):
        return False
    return bool(rows) and all(isinstance(r, dict) and swecris.row_id(r) for r in rows[:5])


def _is_cerif_page(payload: RawPayload) -> bool:
    if "xml" not in payload.content_type or b"openaire.eu/cerif-profile" not in payload.body:
        return False
    try:
        verb_element(parse_xml(payload.body, payload.label), "ListRecords", payload.label)
    except HarvestError:
        return False
    return True
