"""Saved source files (exports, recorded responses) recognised by content and imported.

``classify(paths)`` sorts files into SweCRIS exports or search/projects JSON, OAI-PMH
ListRecords responses carrying OpenAIRE CERIF, and everything else (skipped, never guessed);
``import_saved`` runs one import of such files through the ordinary run pipeline (lock, error
budget, one transaction) and returns a one-line summary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from harvesters import swecris
from harvesters.cerif_harvest import parse_cerif_pages
from harvesters.config import Config
from harvesters.errors import HarvestError
from harvesters.oai_xml import parse_xml, verb_element
from harvesters.run import file_payloads, ingest, parse_swecris
from harvesters.store import RawPayload


@dataclass
class SavedFiles:
    swecris: list[RawPayload] = field(default_factory=list)
    cerif: list[RawPayload] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)


def classify(paths: list[Path]) -> SavedFiles:
    out = SavedFiles()
    for payload, path in zip(file_payloads(paths), paths, strict=True):
        if _is_swecris(payload):
            out.swecris.append(payload)
        elif _is_cerif_page(payload):
            out.cerif.append(payload)
        else:
            out.skipped.append(path)
    return out


def import_saved(
    config: Config, source: str, payloads: list[RawPayload], quiet: bool, cerif: bool = False
) -> str:
    def parser(p, prog):  # type: ignore[no-untyped-def]
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
    return (
        f"{source}: imported {len(payloads)} file(s): {c.records} records "
        f"(new {c.new}, changed {c.changed}, failed {c.failed})"
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
