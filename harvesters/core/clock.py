"""The one timestamp of the data folder: UTC to the second, ``2026-12-06T21:45:58Z``.

Runs (``harvesters.store.runs``), the data lock's holder line (``harvesters.core.lock``) and
run reports all write ``utcnow()``, so a run and the lock it held read alike.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
