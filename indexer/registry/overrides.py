"""Hand-kept corrections to the registry's rules: merge, split, part-of, not-facility.

Owns reading the override files: the one shipped beside this module (``overrides.csv``) and,
when it exists, ``<home>/facility-overrides.csv``, whose lines come after (a later line about
the same record wins). Each line is ``action,record,target,reason``:

- ``merge``: ``record`` belongs to the same facility as ``target``;
- ``split``: ``record`` stays a facility of its own: no rule merges it with another record;
- ``part-of``: ``record``'s facility is a part of ``target``'s (a unit of a platform; a
  later line about the same record wins);
- ``not-facility``: ``record`` (an infrastructure grant) makes no facility; it stays a project.

Records are named by uid (``source:id``, e.g. ``swecris:2019-00222_VR``). The reason is
required: a correction nobody can explain cannot be reviewed. A line that breaks these rules
is an ``OverridesInvalid`` naming the file and line, and the build publishes nothing; a line
naming a record the store does not hold is reported (its source may not be imported yet).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from indexer.errors import BuildFailed

SHIPPED = Path(__file__).with_name("overrides.csv")
HOME_FILE = "facility-overrides.csv"
ACTIONS = ("merge", "split", "part-of", "not-facility")
_NEEDS_TARGET = ("merge", "part-of")


class OverridesInvalid(BuildFailed):
    """An override file has a line that cannot be applied."""


@dataclass(frozen=True)
class Override:
    action: str
    record: str
    target: str | None
    reason: str
    where: str  # file:line


def load_overrides(home: Path | None = None) -> list[Override]:
    files = [SHIPPED]
    if home is not None and (home / HOME_FILE).is_file():
        files.append(home / HOME_FILE)
    out: list[Override] = []
    for path in files:
        out.extend(parse_overrides(path.read_text(encoding="utf-8-sig"), path.name))
    return out


def parse_overrides(text: str, label: str) -> list[Override]:
    rows = [
        (n, line)
        for n, line in enumerate(text.splitlines(), 1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    out: list[Override] = []
    for n, line in rows:
        cells = [c.strip() for c in next(csv.reader(io.StringIO(line)))]
        where = f"{label}:{n}"
        if cells == ["action", "record", "target", "reason"]:
            continue
        if len(cells) != 4:
            raise OverridesInvalid(
                f"{where}: expected 4 cells (action,record,target,reason), got {len(cells)}"
            )
        action, record, target, reason = cells
        if action not in ACTIONS:
            raise OverridesInvalid(
                f"{where}: unknown action {action!r}; one of {', '.join(ACTIONS)}"
            )
        for name, value in (("record", record), ("target", target)):
            if value and ":" not in value:
                raise OverridesInvalid(f"{where}: {name} {value!r} is not a uid (source:id)")
        if not record:
            raise OverridesInvalid(f"{where}: no record")
        if action in _NEEDS_TARGET and not target:
            raise OverridesInvalid(f"{where}: {action} needs a target")
        if action not in _NEEDS_TARGET and target:
            raise OverridesInvalid(f"{where}: {action} takes no target")
        if record == target:
            raise OverridesInvalid(f"{where}: a record cannot be its own target")
        if not reason:
            raise OverridesInvalid(f"{where}: every line needs a reason")
        out.append(Override(action, record, target or None, reason, where))
    return out
