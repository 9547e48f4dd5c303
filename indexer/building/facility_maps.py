"""The files the facility registry leaves beside an index version, written by the build
(``save_registry``; ``indexer.service.facility_maps`` reads them).

Owns ``registry.json`` (the registry's report), ``facility_aliases.json`` (the uid of every
record that became part of a facility -> that facility's uid, so the address of a MERIL or
light-source record, or of an earlier primary, leads to the merged facility) and
``project_facilities.json`` (a project's uid -> the facilities it is linked to, with the
link's kind and evidence, for its page). The maps are read once, when a version first needs
them.
"""

from __future__ import annotations

import json
from pathlib import Path

from indexer.registry.build import Registry

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
