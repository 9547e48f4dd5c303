"""The files the facility registry leaves beside an index version: written by the build
(``save_registry``), read by the service (``FacilityMaps``).

Owns ``registry.json`` (the registry's report), ``facility_aliases.json`` (the uid of every
record that became part of a facility -> that facility's uid, so the address of a MERIL or
light-source record, or of an earlier primary, leads to the merged facility) and
``project_facilities.json`` (a project's uid -> the facilities it is linked to, with the
link's kind and evidence, for its page). The maps are read once, when a version first needs
them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from harvesters.records import Text
from indexer.registry.build import Registry
from indexer.results import ProjectFacility

REGISTRY_FILE = "registry.json"
ALIASES_FILE = "facility_aliases.json"
PROJECTS_FILE = "project_facilities.json"


def save_registry(path: Path, registry: Registry) -> None:
    """The registry's report and the two maps, written into the version folder ``path``."""
    projects = {
        project: [{**x, "name": {"sv": x["name"].sv, "en": x["name"].en}} for x in links]
        for project, links in registry.projects.items()
    }
    for name, data in (
        (REGISTRY_FILE, registry.report),
        (ALIASES_FILE, registry.aliases),
        (PROJECTS_FILE, projects),
    ):
        with (path / name).open("w", encoding="utf-8") as fh:
            json.dump(data, fh, ensure_ascii=False, sort_keys=True)
    if registry.mentions is not None:
        registry.mentions.save(path)


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
