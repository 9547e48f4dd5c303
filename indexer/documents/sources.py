"""What each source is called on the site, and where its own page for a record is.

Owns the credit line of a record: ``source_label`` names the source (SweCRIS, MERIL, the
light-source list...) in Swedish and English, so no record credits a source it did not come
from; a source this module does not know (a CRIS harvested over OAI-PMH, a hand-kept list
imported from a folder) is called by its configured name.
"""

from __future__ import annotations

from harvesters.core.records import Text

_LABELS: dict[str, Text] = {
    "swecris": Text("SweCRIS (Vetenskapsrådet)", "SweCRIS (Swedish Research Council)"),
    "meril": Text(
        "MERIL (europeiska forskningsinfrastrukturer)", "MERIL (European research infrastructures)"
    ),
    "esfri": Text("ESFRI:s färdplan 2016", "ESFRI roadmap 2016"),
    "lightsources": Text(
        "Ljuskällor (XAS Data Library, lightsources.org)",
        "Light sources (XAS Data Library, lightsources.org)",
    ),
    "scilifelab": Text("SciLifeLabs publikationsdatabas", "SciLifeLab publications database"),
    "facilities": Text("Handhållen lista över infrastrukturer", "Hand-kept facility list"),
    "openaire-cerif": Text("OpenAIRE CERIF-exempel", "OpenAIRE CERIF samples"),
}


def source_label(name: str) -> Text:
    return _LABELS.get(name, Text(name, name))
