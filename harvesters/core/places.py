"""The offline gazetteer: the country, first-level region and town of a point or a town name.

``locate(lat, lon)`` (and ``locate_many`` for a batch) gives a ``Place``:

- the **country** is the ISO 3166-1 alpha-2 code of the country shape that contains the point
  (even-odd ray casting over the ``geoJSON`` shapes the ``countryinfo`` package ships, with a
  bounding-box test first); when no shape contains it (a coast the low-resolution shapes cut
  off, a country shipped without a shape) the country of the nearest town decides. The shapes
  are coarse along borders too: when a shape contains the point but a town of another country
  lies within ``BORDER_KM`` (10 km), the town's country wins (Geneva is not in France);
- the **town** and **region** (a Swedish county such as "Skåne") are those of the nearest
  GeoNames town with more than 1,000 inhabitants (``reverse_geocode``), accepted only when that
  town lies in the point's country: Abisko (68.35, 18.82) is in Sweden, but its nearest town is
  Setermoen in Norway, so it gets country SE and no town or region.

``region_of_town(town, country)`` finds the region of a town by name (the most populous town
of that name in the country, when it is clearly the one meant), for hand-kept lists that give
a city but no point;
``country_code(name)`` reads a country as sources spell it ("Sweden", "USA", "UK", "Korea",
"P. R. China", "Sverige"); ``country_name(code, lang)`` names a code in English or Swedish
(``pycountry`` and its Swedish gettext catalogue).

Everything is loaded on first use and cached (about a second and a half).

Why these packages: ``reverse_geocode`` 1.6 ships the GeoNames towns with their first-level
regions and answers nearest-town queries offline through a k-d tree; ``countryinfo`` ships a
polygon per country inside its wheel, so no shape file has to be downloaded or kept in the
repository; ``pycountry`` is the maintained ISO 3166 list with translations. Shapely would only
replace the 20 lines of ray casting below and is one more compiled dependency, so it is not used.

Measured on the 529 MERIL points (``tests/test_facility_sources_places.py`` checks these
figures): a shape contains 492 of them and 37 are placed by the nearest town alone (coastal and
island sites, and countries ``countryinfo`` ships without a shape: 16 in Hungary, which has
none, 8 on Spain's coasts and islands, 4 in Istanbul, 3 in Cyprus, Umeå, ...). They disagree
on 11 points, in 6 of the shapes' countries: 7 lie within 5 km of a town across the shape's
border (Geneva and CERN x5, France's shape against Switzerland; Enschede, Germany's against the
Netherlands; Nova Gorica, Italy's against Slovenia), so the town decides (``METHOD_BORDER``);
4 keep the shape, the nearest town being 60 km or more away (Abisko and Setermoen; Ny-Ålesund
x2, Norway against Svalbard SJ; an Antarctic station against South Africa). So 485 points are
placed by a shape, 7 at a border and 37 by the nearest town.
"""

from __future__ import annotations

import gettext
import gzip
import json
import math
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

METHOD_SHAPE = "shape"  # a country shape contains the point
METHOD_TOWN = "town"  # no shape does: the nearest town's country
METHOD_BORDER = "border"  # a shape does, but a town of another country is nearer than BORDER_KM
BORDER_KM = 10.0  # the error of the low-resolution shapes along a border

# Spellings sources use that pycountry's lookup misses (keys are folded by ``_fold``).
_SPELLINGS = {
    "uk": "GB",
    "u.k.": "GB",
    "great britain": "GB",
    "britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "korea": "KR",
    "republic of korea": "KR",
    "russia": "RU",
    "turkey": "TR",
    "holland": "NL",
    "p. r. china": "CN",
    "p.r. china": "CN",
    "pr china": "CN",
    "people's republic of china": "CN",
    "taiwan, r.o.c.": "TW",
    "r.o.c.": "TW",
    "macedonia": "MK",
    "ivory coast": "CI",
    "u.s.a.": "US",
    "united states of america": "US",
    "italia": "IT",
    "deutschland": "DE",
    "espana": "ES",
    "norge": "NO",
    "danmark": "DK",
    "suomi": "FI",
}


@dataclass(frozen=True)
class Place:
    """Where a point is: ISO country code, region and town (None when not known)."""

    country: str | None
    region: str | None = None
    town: str | None = None
    method: str | None = None  # METHOD_SHAPE, METHOD_BORDER or METHOD_TOWN


def locate(lat: float, lon: float) -> Place:
    """The place of one point (see the module docstring)."""
    return locate_many([(lat, lon)])[0]


def locate_many(points: list[tuple[float, float]]) -> list[Place]:
    """The places of many points; one k-d tree query for all of them."""
    if not points:
        return []
    towns = nearest_towns(points)
    out = []
    for (lat, lon), town in zip(points, towns, strict=True):
        town_country = town.get("country_code") or None
        shapes = countries_by_shape(lat, lon)
        if shapes and town_country in shapes:
            country, method = town_country, METHOD_SHAPE
        elif shapes and town_country and _km(lat, lon, town) <= BORDER_KM:
            country, method = town_country, METHOD_BORDER
        elif shapes:
            country, method = shapes[0], METHOD_SHAPE
        else:
            country, method = town_country, METHOD_TOWN
        if country and town_country == country:
            out.append(Place(country, town.get("state") or None, town.get("city"), method))
        else:
            out.append(Place(country, None, None, method if country else None))
    return out


def nearest_towns(points: list[tuple[float, float]]) -> list[dict[str, Any]]:
    """The nearest GeoNames town of each point (``city``, ``state``, ``country_code``)."""
    import reverse_geocode

    return [dict(t) for t in reverse_geocode.search(points)]


def _km(lat: float, lon: float, town: dict[str, Any]) -> float:
    """Great-circle distance in km from the point to the town."""
    lat2, lon2 = float(town["latitude"]), float(town["longitude"])
    p1, p2 = math.radians(lat), math.radians(lat2)
    h = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(min(1.0, h)))


def countries_by_shape(lat: float, lon: float) -> list[str]:
    """The codes of the country shapes that contain the point, sorted (usually none or one)."""
    found = set()
    for code, (x0, y0, x1, y1), rings in _shapes():
        if x0 <= lon <= x1 and y0 <= lat <= y1 and _inside(lon, lat, rings):
            found.add(code)
    return sorted(found)


def _inside(x: float, y: float, rings: list[list[tuple[float, float]]]) -> bool:
    """Even-odd ray casting over a polygon's rings (its holes included)."""
    inside = False
    for ring in rings:
        n = len(ring)
        for i in range(n):
            xa, ya = ring[i]
            xb, yb = ring[i - 1]
            if (ya > y) != (yb > y) and x < xa + (y - ya) * (xb - xa) / (yb - ya):
                inside = not inside
    return inside


Shape = tuple[str, tuple[float, float, float, float], list[list[tuple[float, float]]]]


@cache
def _shapes() -> list[Shape]:
    """Every polygon of every country with an ISO code, with its bounding box."""
    from countryinfo import CountryInfo

    out: list[Shape] = []
    for info in CountryInfo.all().values():
        code = ((info.get("ISO") or {}).get("alpha2") or "").upper()
        geo = info.get("geoJSON") or {}
        if len(code) != 2 or not geo:
            continue
        for feature in geo.get("features") or [geo]:
            geometry = feature.get("geometry") or {}
            polygons = geometry.get("coordinates") or []
            if geometry.get("type") == "Polygon":
                polygons = [polygons]
            elif geometry.get("type") != "MultiPolygon":
                continue
            for polygon in polygons:
                rings = [[(float(p[0]), float(p[1])) for p in ring] for ring in polygon if ring]
                if not rings:
                    continue
                xs = [p[0] for p in rings[0]]
                ys = [p[1] for p in rings[0]]
                out.append((code, (min(xs), min(ys), max(xs), max(ys)), rings))
    return out


def region_of_town(town: str | None, country: str | None) -> str | None:
    """The first-level region of the town of that name in ``country`` (see ``find_town``)."""
    found = find_town(town, country)
    return found[1] if found else None


def find_town(town: str | None, country: str | None) -> tuple[str, str | None] | None:
    """(the town's GeoNames name, its region) for a town name in a country, or None.

    Names match case-, accent- and space-insensitively ("Goteborg"). When towns of that name
    lie in several regions, the most populous counts only when it has at least
    ``CLEAR_MARGIN`` times the inhabitants of each other one (Berkeley, California rather than
    Missouri); otherwise the region is not clear and is None."""
    if not town or not country:
        return None
    return _towns_by_name().get((country.upper(), _fold(town, ascii_only=True)))


CLEAR_MARGIN = 5


@cache
def _towns_by_name() -> dict[tuple[str, str], tuple[str, str | None]]:
    """(country, folded name) -> (name, region or None when not clear)."""
    data = resources.files("reverse_geocode").joinpath("geocode.gz").read_bytes()
    towns: dict[tuple[str, str], list[tuple[int, str, str | None]]] = {}
    for loc in json.loads(gzip.decompress(data)):
        key = (loc.get("country_code") or "", _fold(loc.get("city") or "", ascii_only=True))
        population = int(loc.get("population") or 0)
        towns.setdefault(key, []).append((population, loc.get("city") or "", loc.get("state")))
    out: dict[tuple[str, str], tuple[str, str | None]] = {}
    for key, found in towns.items():
        found.sort(key=lambda t: -t[0])
        population, name, state = found[0]
        others = [t for t in found[1:] if t[2] != state]
        clear = all(population >= CLEAR_MARGIN * max(t[0], 1) for t in others)
        out[key] = (name, (state or None) if clear else None)
    return out


def is_known_town(town: str | None, country: str) -> bool:
    return find_town(town, country) is not None


def country_code(name: str | None) -> str | None:
    """The ISO 3166-1 alpha-2 code of a country as a source spells it, or None."""
    if not name:
        return None
    folded = _fold(name)
    folded = folded.rstrip(".") if folded.count(".") == 1 else folded
    if folded.startswith("the "):
        folded = folded[4:]
    if not folded:
        return None
    if folded in _SPELLINGS:
        return _SPELLINGS[folded]
    import pycountry

    try:
        return str(pycountry.countries.lookup(folded).alpha_2)
    except LookupError:
        pass
    return _swedish_names().get(folded) or _ascii_names().get(_fold(folded, ascii_only=True))


def country_name(code: str | None, lang: str = "en") -> str | None:
    """A country's common name in English (``lang="en"``) or Swedish (``"sv"``)."""
    if not code:
        return None
    import pycountry

    country = pycountry.countries.get(alpha_2=code.upper())
    if country is None:
        return None
    english = getattr(country, "common_name", None) or country.name
    if lang != "sv":
        return str(english)
    return _swedish().gettext(english) or str(english)


@cache
def _swedish() -> gettext.NullTranslations:
    import pycountry

    try:
        return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["sv"])
    except OSError:
        return gettext.NullTranslations()


@cache
def _swedish_names() -> dict[str, str]:
    """Folded Swedish country name -> code ("sverige" -> "SE")."""
    import pycountry

    out = {}
    for country in pycountry.countries:
        for attr in ("name", "common_name", "official_name"):
            value = getattr(country, attr, None)
            if value:
                out[_fold(_swedish().gettext(value))] = str(country.alpha_2)
    return out


@cache
def _ascii_names() -> dict[str, str]:
    """Accent-free English and Swedish names -> code ("osterrike" -> "AT")."""
    import pycountry

    out = {_fold(k, ascii_only=True): v for k, v in _swedish_names().items()}
    for country in pycountry.countries:
        for attr in ("name", "common_name", "official_name"):
            value = getattr(country, attr, None)
            if value:
                out[_fold(value, ascii_only=True)] = str(country.alpha_2)
    return out


def _fold(text: str, ascii_only: bool = False) -> str:
    """Lower case, single spaces; with ``ascii_only`` the accents go too."""
    text = " ".join(unicodedata.normalize("NFC", text).casefold().split())
    if ascii_only:
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return text
