"""The registry's vocabulary of facility types (``facility_types.toml`` beside this module).

Owns classifying a facility into types by its own words: ``FacilityTypes.classify(texts)``
returns the types whose patterns occur at the start of a word in any of the texts. A type
carries Swedish and English labels (a "Type" facet value) and search terms in both languages,
which the facility's document indexes so that "synkrotron" finds MAX IV although MERIL only
gives its name.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from harvesters.core.records import Text

TYPES_FILE = Path(__file__).with_name("facility_types.toml")


@dataclass(frozen=True)
class FacilityType:
    key: str
    label: Text
    terms: str
    pattern: re.Pattern[str]


class FacilityTypes:
    def __init__(self, types: list[FacilityType]) -> None:
        self.types = types
        self.by_key = {t.key: t for t in types}

    @classmethod
    def load(cls, path: Path = TYPES_FILE) -> FacilityTypes:
        with path.open("rb") as fh:
            table = tomllib.load(fh)
        types = []
        for entry in table["type"]:
            alternatives = "|".join(f"(?:{p})" for p in entry["match"])
            types.append(
                FacilityType(
                    key=entry["key"],
                    label=Text(entry["sv"], entry["en"]),
                    terms=entry["terms"],
                    pattern=re.compile(rf"(?<![^\W_])(?:{alternatives})", re.IGNORECASE),
                )
            )
        return cls(types)

    def classify(self, texts: Iterable[str | None]) -> list[FacilityType]:
        joined = "\n".join(t for t in texts if t)
        return [t for t in self.types if t.pattern.search(joined)]


@cache
def default_types() -> FacilityTypes:
    return FacilityTypes.load()
