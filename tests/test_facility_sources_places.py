"""The offline gazetteer: countries by shape and by nearest town, regions, country names."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from harvesters.core import places


@pytest.fixture(scope="module")
def meril_points(shared_data: Path) -> list[tuple[float, float]]:
    path = shared_data / "facilities" / "meril" / "data_cartography_meril.geojson"
    features = json.loads(path.read_text(encoding="utf-8"))["features"]
    return [(f["geometry"]["coordinates"][1], f["geometry"]["coordinates"][0]) for f in features]


def test_the_meril_figures_of_the_docstring(meril_points: list[tuple[float, float]]) -> None:
    assert len(meril_points) == 529
    located = places.locate_many(meril_points)
    methods = Counter(p.method for p in located)
    assert methods == {places.METHOD_SHAPE: 485, places.METHOD_BORDER: 7, places.METHOD_TOWN: 37}
    towns = places.nearest_towns(meril_points)
    disagree = []
    for (lat, lon), town in zip(meril_points, towns, strict=True):
        shapes = places.countries_by_shape(lat, lon)
        if shapes and town["country_code"] not in shapes:
            disagree.append((shapes[0], town["country_code"]))
    assert len(disagree) == 11
    assert {shape for shape, _ in disagree} == {"AQ", "DE", "FR", "IT", "NO", "SE"}
    assert Counter(disagree)[("FR", "CH")] == 5  # Geneva and CERN, by France's coarse shape
    assert sum(1 for p in located if p.country == "SE") == 12
    # a town is only ever accepted in the point's own country
    for place, town in zip(located, towns, strict=True):
        if place.town is not None:
            assert town["country_code"] == place.country


def test_abisko_is_in_sweden_though_its_nearest_town_is_norwegian() -> None:
    place = places.locate(68.35, 18.82)
    assert place == places.Place("SE", None, None, places.METHOD_SHAPE)
    assert places.nearest_towns([(68.35, 18.82)])[0]["city"] == "Setermoen"


def test_points_in_sweden_get_their_county() -> None:
    assert places.locate(55.7029, 13.1929) == places.Place("SE", "Skåne", "Lund", "shape")
    assert places.locate(63.8333, 20.25).region == "Västerbotten"  # Umeå, by its town
    assert places.locate(46.2018, 6.1466).country == "CH"  # Geneva, at the border


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Sweden", "SE"),
        ("USA", "US"),
        ("UK", "GB"),
        ("United Kingdom", "GB"),
        ("Korea", "KR"),
        ("The Netherlands", "NL"),
        ("P. R. China", "CN"),
        ("Taiwan, R.O.C.", "TW"),
        ("ITALIA", "IT"),
        ("Russia", "RU"),
        ("Turkey", "TR"),
        ("Iran", "IR"),
        ("Sverige", "SE"),
        ("Tyskland", "DE"),
        ("Osterrike", "AT"),
        ("se", "SE"),
        ("Jordan.", "JO"),
        ("Atlantis", None),
        ("", None),
        (None, None),
    ],
)
def test_country_codes_as_sources_spell_them(name: str | None, code: str | None) -> None:
    assert places.country_code(name) == code


def test_every_country_the_facility_files_name_is_known(shared_data: Path) -> None:
    folder = shared_data / "facilities" / "xas-data-library"
    names = set()
    for file in ("synchrotrons.json", "fels.json"):
        names |= {v["country"] for v in json.loads((folder / file).read_text()).values()}
    lso = json.loads((folder / "lightsources.org.json").read_text())
    names |= {x["field_country_value"] for x in lso if x["field_country_value"]}
    esfri = (shared_data / "facilities" / "meril" / "esfri.csv").read_text().splitlines()
    names |= {line.split("\t")[11] for line in esfri[2:] if line.split("\t")[11]}
    assert names and not [n for n in names if places.country_code(n) is None]


def test_country_names_in_english_and_swedish() -> None:
    assert places.country_name("SE") == "Sweden"
    assert places.country_name("se", "sv") == "Sverige"
    assert places.country_name("KR") == "South Korea"
    assert places.country_name("KR", "sv") == "Sydkorea"
    assert places.country_name("DE", "sv") == "Tyskland"
    assert places.country_name("XX") is None


def test_region_of_a_town_by_name() -> None:
    assert places.region_of_town("Huddinge", "SE") == "Stockholm"
    assert places.region_of_town("Lund", "SE") == "Skåne"
    assert places.region_of_town("Goteborg", "se") == "Västra Götaland"
    assert places.region_of_town("Berkeley", "US") == "California"
    assert places.region_of_town("Upton", "US") is None  # several, none clearly the one
    assert places.region_of_town("Nowhere-on-Sea", "SE") is None
    assert places.region_of_town("Lund", None) is None
    assert places.find_town("HUDDINGE", "SE") == ("Huddinge", "Stockholm")


def test_ray_casting_respects_holes() -> None:
    square = [(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0)]
    hole = [(4.0, 4.0), (6.0, 4.0), (6.0, 6.0), (4.0, 6.0)]
    assert places._inside(2.0, 2.0, [square, hole])
    assert not places._inside(5.0, 5.0, [square, hole])
    assert not places._inside(11.0, 5.0, [square, hole])
