"""Web app settings: the single list of names, defaults and help, read by ``create_app``.

Environment variables with the prefix ``RESEARCH_INDEX_WEB_`` override a default (the
README's table of web settings is checked against ``WEB_SETTINGS`` by a test); tests pass a
mapping to ``create_app`` instead.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class WebSetting:
    name: str
    default: Any
    help: str


WEB_SETTINGS: tuple[WebSetting, ...] = (
    WebSetting("PAGE_SIZE", 20, "Results per page when the URL does not say."),
    WebSetting("MAX_PAGE_SIZE", 100, "Largest page a request may ask for."),
    WebSetting(
        "CSV_MAX_ROWS", 50_000, "Rows in one CSV export; a note row says when more matched."
    ),
    WebSetting("FEED_SIZE", 50, "Entries in an Atom feed."),
    WebSetting(
        "EXPORTS_AT_ONCE",
        2,
        "CSV exports prepared at the same time; one more may wait, the rest get a 503.",
    ),
    WebSetting("EXPORT_WAIT", 10.0, "Seconds the export in line waits before it gets a 503."),
    WebSetting("MAX_QUERY_CHARS", 1000, "Longest search text accepted."),
    WebSetting("MAX_CONTENT_LENGTH", 64 * 1024, "Largest request body (the app only reads GETs)."),
    WebSetting(
        "DEFAULT_LANG", "en", "Interface language when neither URL, cookie nor browser says."
    ),
)

ENV_PREFIX = "RESEARCH_INDEX_WEB_"


def defaults() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for s in WEB_SETTINGS:
        raw = os.environ.get(ENV_PREFIX + s.name)
        out[s.name] = s.default if raw is None else type(s.default)(raw)
    return out
