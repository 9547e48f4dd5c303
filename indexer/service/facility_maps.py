"""The facility maps of an index version, as the service reads them: which facility a record
became part of, and the facilities a project is linked to (``indexer.building.facility_maps``
writes them). Read once, when a version first needs them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from harvesters.core.records import Text
from indexer.building.facility_maps import ALIASES_FILE, PROJECTS_FILE
from indexer.service.results import ProjectFacility


@dataclass
class FacilityMaps:
    path: Path
    _loaded: dict[str, Any] = field(default_factory=dict)

    def _read(self, name: str) -> dict[str, Any]:
        if name not in self._loaded:
            file = self.path / name
            self._loaded[name] = json.loads(file.read_text("utf-8")) if file.is_file() else {}
        data: dict[str, Any] = self._loaded[name]
        return data

    @cached_property
    def aliases(self) -> dict[str, str]:
        return self._read(ALIASES_FILE)

    def facility_of(self, uid: str) -> str | None:
        """The facility a record's uid now belongs to, when that is another uid."""
        target = self.aliases.get(uid)
        return target if target and target != uid else None

    def uids_of(self, uid: str) -> list[str]:
        """The uids of the facilities project ``uid`` is linked to (uses, names, is a grant
        of)."""
        return [link["uid"] for link in self._read(PROJECTS_FILE).get(uid, ())]

    def of_project(self, uid: str, lang: str) -> list[ProjectFacility]:
        out = []
        for link in self._read(PROJECTS_FILE).get(uid, ()):
            source, _, fid = link["uid"].partition(":")
            name = Text(link["name"].get("sv"), link["name"].get("en"))
            out.append(
                ProjectFacility(
                    uid=link["uid"],
                    source=source,
                    id=fid,
                    name=name.get(lang) or fid,
                    kind=link["kind"],
                    evidence=link.get("evidence"),
                )
            )
        return out
