"""The mentions an earlier build found, kept beside its index version (``mentions.json``), so
that the next build runs the matcher only over projects whose text changed.

Reading every project's title and abstract for facility names is most of the registry's
work; between two nightly builds few texts change. A cached answer is used only when the
matcher is the same (``fingerprint``: every facility's forms, context words and parent) and
the project's text has the same digest; otherwise the project is scanned again.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

FILE = "mentions.json"

Found = list[list[str]]  # [facility uid, form, evidence] per mention


def digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def fingerprint(parts: Any) -> str:
    data = json.dumps(parts, ensure_ascii=False, sort_keys=True, default=sorted)
    return hashlib.sha1(data.encode("utf-8", "surrogatepass")).hexdigest()


class MentionCache:
    def __init__(self, fingerprint: str, old: dict[str, Any] | None = None) -> None:
        self.fingerprint = fingerprint
        same = old is not None and old.get("fingerprint") == fingerprint
        self.old: dict[str, list[Any]] = old.get("projects", {}) if same and old else {}
        self.new: dict[str, list[Any]] = {}
        self.reused = 0

    @classmethod
    def load(cls, previous: Path | None, fingerprint: str) -> MentionCache:
        """The cache of the version in ``previous`` (none, unreadable or another matcher:
        an empty one)."""
        old = None
        if previous is not None and (previous / FILE).is_file():
            try:
                old = json.loads((previous / FILE).read_text("utf-8"))
            except (OSError, ValueError):
                old = None
        return cls(fingerprint, old if isinstance(old, dict) else None)

    def get(self, project: str, text_digest: str) -> Found | None:
        entry = self.old.get(project)
        if entry is None or entry[0] != text_digest:
            return None
        self.reused += 1
        found: Found = entry[1]
        return found

    def put(self, project: str, text_digest: str, found: Found) -> None:
        self.new[project] = [text_digest, found]

    def save(self, path: Path) -> None:
        with (path / FILE).open("w", encoding="utf-8") as fh:
            json.dump(
                {"fingerprint": self.fingerprint, "projects": self.new}, fh, ensure_ascii=False
            )
