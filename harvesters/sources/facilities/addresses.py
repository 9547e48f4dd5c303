"""Postal addresses as light-source lists write them: the town, when the address makes it clear.

``city_from_address(text, country)`` reads a free-form address ("Box 118\\n22100 Lund\\nSweden",
"Argonne, IL 60439\\nUSA", HTML with ``<br>`` from lightsources.org) and returns the town the
gazetteer knows in that country, in its GeoNames spelling ("HAMBURG" -> "Hamburg"). Lines with
a phone, fax or e-mail are left out; each comma-separated part of a line, without postal codes
and state abbreviations, is looked up; failing that, single words of any line (words such as
"University" or "Road" are not towns here). Only one town may be found (one found on a line
with a postal code wins over the rest); otherwise the address is not clear and the answer is
None. ``email_in(text)`` finds an e-mail address.
"""

from __future__ import annotations

import re

from harvesters.core import places
from harvesters.sources.clean import clean_text

_CONTACT = re.compile(r"\b(?:tel|telephone|phone|fax|e-?mail)\b|@|https?:", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Words of addresses that are also the names of some small town somewhere.
_GENERIC = {
    "university",
    "universitet",
    "institute",
    "campus",
    "road",
    "street",
    "avenue",
    "centre",
    "center",
    "laboratory",
    "office",
    "park",
    "science",
    "research",
    "national",
    "light",
    "source",
    "hall",
    "house",
    "north",
    "south",
    "east",
    "west",
}
_NOISE = re.compile(r"^(?:[A-Z]{1,3}\.?|cedex|p\.?o\.?|box|bp|d|ch|dk|e|f|i|s|sk)$", re.I)


def address_text(value: str | None) -> str | None:
    """An address as plain lines (HTML and entities removed)."""
    return clean_text(value) if value else None


def email_in(text: str | None) -> str | None:
    m = _EMAIL.search(text or "")
    return m.group().rstrip(".") if m else None


def city_from_address(text: str | None, country: str | None) -> str | None:
    if not text or not country:
        return None
    lines = [" ".join(line.split()) for line in text.splitlines()]
    lines = [line for line in lines if line and not _CONTACT.search(line)]
    lines = [line for line in lines if places.country_code(line.strip(" .,")) != country]
    found: list[tuple[bool, str]] = []  # (on a postal-code line, town)
    for line in lines:
        postal = bool(re.search(r"\d", line))
        for part in re.split(r"[,/]", line):
            name = _town(_words(part), country)
            if name:
                found.append((postal, name))
    if not found:
        for line in lines:
            postal = bool(re.search(r"\d", line))
            for word in _words(line):
                name = None if word.casefold() in _GENERIC else _town([word], country)
                if name:
                    found.append((postal, name))
    return _clear(found)


def _words(part: str) -> list[str]:
    """The words of an address part without postal codes, state codes and box numbers."""
    out = []
    for word in part.replace(" - ", " ").split():
        word = word.strip(".,;:()")
        if not word or re.search(r"\d", word) or _NOISE.match(word):
            continue
        if word.upper() == word and len(word) > 3:
            word = word.title()  # "HAMBURG", "GIF-sur-YVETTE" read as names
        out.append(word)
    return out


def _town(words: list[str], country: str) -> str | None:
    if not words:
        return None
    found = places.find_town(" ".join(words), country)
    return found[0] if found else None


def _clear(found: list[tuple[bool, str]]) -> str | None:
    towns = {name for _, name in found}
    if len(towns) == 1:
        return towns.pop()
    postal = {name for on_postal_line, name in found if on_postal_line}
    return postal.pop() if len(postal) == 1 else None
