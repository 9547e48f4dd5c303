"""The OpenAPI schemas of ``GET /api/v1/status``: the index served, the sources, the runs.

Part of the description ``webapp.openapi.document`` builds, from the shapes of ``shapes``:
per source its last attempt, last success and recent runs, and how many of its items are in
quarantine with the latest of them (``indexer.service.status``); the recent updates and index
builds.
"""

from __future__ import annotations

from typing import Any

from webapp.openapi.shapes import COUNT, NSTR, STR, TRUE, arr, desc, maybe, obj, ref


def status_schemas() -> dict[str, Any]:
    return {
        "StatusResponse": obj(
            {
                "ok": TRUE,
                "index": desc(
                    obj(
                        {"version": STR, "doc_count": COUNT, "built": STR, "schema_version": STR},
                        required=("version", "doc_count"),
                        additionalProperties=True,
                    ),
                    "The index version being served and its manifest.",
                ),
                "sources": arr(ref("SourceStatus")),
                "runs": desc(arr(ref("Run")), "Recent updates and index builds, newest first."),
            }
        ),
        "Run": obj(
            {
                "id": COUNT,
                **dict.fromkeys(("source", "kind", "started", "status"), STR),
                "ended": NSTR,
                "counts": {"type": "object", "additionalProperties": COUNT},
                "errors": desc(arr(STR), "The first errors of the run (at most 20)."),
            }
        ),
        "SourceStatus": obj(
            {
                **dict.fromkeys(("name", "kind"), STR),
                "enabled": {"type": "boolean"},
                "records": desc(COUNT, "Active records in the store."),
                **dict.fromkeys(("last_attempt", "last_success"), maybe("Run")),
                "recent_runs": arr(ref("Run")),
                "quarantined": desc(COUNT, "Items of the source in quarantine (not parsed)."),
                "quarantine": desc(
                    arr(ref("Quarantined")), "The latest quarantined items (at most 10)."
                ),
            }
        ),
        "Quarantined": obj(
            {
                **dict.fromkeys(("source", "reason", "first_seen", "last_seen"), STR),
                **dict.fromkeys(("record_id", "location"), NSTR),
                "run_id": COUNT,
                "raw_size": desc(COUNT, "Bytes of the item as received."),
            },
            description="An item a run could not parse or normalise, and why.",
        ),
    }
