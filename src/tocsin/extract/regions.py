"""Region gazetteer and place matcher.

``find_places(text, lang)`` finds the places a statement names — Russian and Ukrainian regions
(ISO 3166-2), the cities, towns and districts that stand for them, seas and countries — in any
grammatical case, in Russian, Ukrainian and English.

Data: ``data/regions.csv`` (every ISO 3166-2 subdivision of Russia and Ukraine with its names in
three languages and colloquial variants) and ``data/places.csv`` (cities, towns, districts, seas,
countries). At first use every name is expanded into all its inflected forms (pymorphy3 plus simple
suffix rules for names the dictionaries do not know) and stored in dictionaries keyed by tuples of
normalised tokens; matching is then a left-to-right scan doing dictionary look-ups only.

Three kinds of entries:

* *phrases* — names that stand on their own ("Смоленщина", "Брянск", "Нижний Новгород", "Black Sea");
  single-token phrases must be capitalised in the original text, some (names that are also common
  words or surnames: "Владимир", "Энгельс") only count after a preposition.
* *region modifiers* — the adjective (ru/uk) or stem (en) of a region name that needs a head noun:
  "Смоленск|ой области", "Kyiv region". An enumeration of modifiers followed by a plural head
  ("над Брянской и Курской областями", "the Bryansk and Kursk regions") yields every region.
* *district modifiers* — likewise for districts ("Киришский район", "Pavlohrad district"). A
  "<adjective> район" is matched only through district rows, never through the region gazetteer,
  so the "Kyiv district" of Kharkiv never becomes Kyiv.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from itertools import compress, product

from tocsin.extract.morph import analyzer
from tocsin.extract.tokens import WORD_RE, Text, Token, normalize

__all__ = ["Place", "Region", "all_regions", "find_places", "iso_country", "region_name"]


@dataclass(slots=True, unsafe_hash=True)
class Place:
    """A place named in a text.

    Slotted (not frozen: a frozen one is slow to build; slot reads are the fastest). Compared and hashed by
    value. Don't modify one.
    """

    iso: str | None  # ISO 3166-2 code; None for seas and countries
    start: int  # span in the original text (end exclusive)
    end: int
    kind: str  # "region" | "city" | "district" | "sea" | "country"
    name: str  # canonical English name of what was matched
    candidates: tuple[str, ...] = ()  # every candidate iso when ambiguous (iso is the best)
    tok_start: int = 0  # token index range [tok_start, tok_end) into Text.tokens
    tok_end: int = 0


@dataclass(frozen=True, slots=True)
class Region:
    iso: str
    country: str
    en: str
    ru: str
    uk: str


@dataclass(frozen=True, slots=True)
class _Entry:
    isos: tuple[str, ...]
    kind: str
    name: str
    cap: bool = True  # needs a capitalised token in the original text
    prep: bool = False  # counts only after a preposition / conjunction
    ctx: bool = False  # a city-district name shared by several cities: needs its city in the sentence


_CITY_REGIONS = frozenset({"RU-MOW", "RU-SPE", "UA-30", "UA-40"})
_MAX_PHRASE = 4
_MAX_CHAIN = 30
_BLOCK = "block"

# Separators inside an enumeration of region adjectives ("Брянской, Курской и Орловской областями").
_CONJ = frozenset({"и", "та", "і", "й", "а", "также", "також", "and", "or", "или", "або", "&"})
# Words after which a "prep" place (a name that is also a common word or surname) counts.
_PREPS = frozenset(
    {
        "в", "во", "на", "над", "под", "из", "изо", "у", "около", "возле", "от", "до", "к", "ко", "по",
        "за", "и", "близ", "города", "город", "г", "гор", "пгт", "поселка", "посёлка",
        "села", "станицы", "під", "з", "із", "зі", "біля", "поблизу", "та", "і", "й", "місто", "міста",
        "м", "смт", "селища", "in", "over", "near", "at", "from", "to", "of", "on", "and", "towards",
        "toward", "outside", "around", "city", "town", "targeting", "targeted", "attacked", "struck",
        "атаковал", "атаковали", "атакував", "атакували", "атака", "атаки", "атаку", "атак",
    }
)  # fmt: skip
# "Kyiv and the surrounding region": the oblast around a city with a code of its own.
_CITY_OBLAST = {"UA-30": "UA-32", "RU-MOW": "RU-MOS", "RU-SPE": "RU-LEN", "UA-40": ""}
_OBLAST_CITY = {"UA-32": "UA-30", "RU-MOS": "RU-MOW"}
_REGION_FILLERS = frozenset(
    {"the", "surrounding", "its", "wider", "прилегающей", "прилегающих", "окрестной", "всей", "всій", "вся",
     "навколишній", "навколишньої", "прилеглій", "прилеглої"}
)  # fmt: skip
_REGION_WORDS = frozenset(
    {"область", "области", "областью", "обл", "region", "oblast", "province", "області", "областю",
     "регионе", "региона", "регіоні", "регіону"}
)  # fmt: skip
_QUOTES = '«»"“”„‹›'
_DASHES = "–—-:"

# Region heads (base forms): last tokens of a region name that follows its adjective / stem.
_REGION_HEADS_RU = {
    ("область",): "oblast",
    ("край",): "krai",
    ("республика",): "republic",
    ("автономный", "округ"): "ao",
    ("автономная", "область"): "oblast",
    ("регион",): "any",
    ("областная",): "oblast",
    ("городская",): "city",
}
_REGION_HEADS_UK = {
    ("область",): "oblast",
    ("край",): "krai",
    ("республіка",): "republic",
    ("автономний", "округ"): "ao",
    ("автономна", "область"): "oblast",
    ("регіон",): "any",
    ("обласна",): "oblast",
    ("міська",): "city",
}
_REGION_HEADS_EN = {
    ("oblast",): "oblast",
    ("region",): "any",
    ("regional",): "any",
    ("province",): "any",
    ("krai",): "krai",
    ("kray",): "krai",
    ("territory",): "any",
    ("republic",): "republic",
    ("autonomous", "okrug"): "ao",
    ("autonomous", "district"): "ao",
    ("autonomous", "oblast"): "oblast",
}
_EN_PLURAL_HEADS = {
    ("oblasts",): "oblast",
    ("regions",): "any",
    ("provinces",): "any",
    ("krais",): "krai",
    ("territories",): "any",
}
# Fixed (uninflected) extra heads: abbreviations.
_ADJ_HEADS = frozenset({"областная", "обласна", "городская", "міська"})
_FIXED_HEADS = {("обл",): "oblast", ("ова",): "oblast", ("ода",): "oblast", ("мва",): "city"}

_DISTRICT_HEADS_RU = [
    ("район",), ("муниципальный", "район"), ("муниципальный", "округ"), ("городской", "округ"),
    ("округ",), ("муниципальное", "образование"),
]  # fmt: skip
_DISTRICT_HEADS_UK = [
    ("район",), ("громада",), ("територіальна", "громада"), ("міська", "громада"),
    ("селищна", "громада"), ("сільська", "громада"), ("міська", "територіальна", "громада"),
    ("селищна", "територіальна", "громада"), ("сільська", "територіальна", "громада"),
]  # fmt: skip
# Facilities named after their town ("Салаватский нефтехимический комплекс", "Туапсинский НПЗ"):
# the town's adjective with one of these heads stands for the town (never "вокзал": Moscow's "Курский
# вокзал" is not in Kursk).
_FACILITY_HEADS_RU = [
    ("нпз",), ("нефтеперерабатывающий", "завод"), ("нефтехимический", "комплекс"),
    ("нефтехимический", "завод"), ("химический", "завод"), ("завод",), ("комбинат",), ("нефтебаза",),
    ("тэц",), ("грэс",), ("аэродром",), ("аэропорт",), ("морской", "порт"), ("порт",),
]  # fmt: skip
_FACILITY_HEADS_UK = [
    ("нпз",), ("нафтопереробний", "завод"), ("нафтохімічний", "комплекс"), ("завод",), ("комбінат",),
    ("нафтобаза",), ("тец",), ("тес",), ("аеродром",), ("аеропорт",), ("морський", "порт"), ("порт",),
]  # fmt: skip
_DISTRICT_HEADS_EN = [
    ("district",), ("districts",), ("raion",), ("raions",), ("municipal", "district"),
    ("urban", "district"), ("city", "district"), ("municipal", "okrug"), ("hromada",),
    ("community",), ("communities",), ("municipality",),
]  # fmt: skip

# Head nouns keep their dictionary paradigm (plurals: "областями"); place names use the suffix rules.
_HEAD_WORDS = frozenset(
    w
    for table in (_REGION_HEADS_RU, _REGION_HEADS_UK, _DISTRICT_HEADS_RU, _DISTRICT_HEADS_UK)
    for base in table
    for w in base
)

# Phrases that look like places but are not ("Moscow time").
_BLOCKED = [
    ("moscow", "time"), ("kyiv", "time"), ("kiev", "time"), ("kyiv", "independent"), ("kyiv", "post"),
    ("kyiv", "school"), ("moscow", "times"), ("moscow", "exchange"), ("московскому", "времени"),
    ("московское", "время"), ("московского", "времени"), ("київським", "часом"), ("київський", "час"),
    ("київського", "часу"), ("московським", "часом"), ("московського", "часу"),
]  # fmt: skip

_UK_LETTERS = re.compile(r"[іїєґ']")
_LATIN = re.compile(r"[a-z]")
_CONSONANTS = set("бвгджзйклмнпрстфхцчшщ")
_RU_ADJ_END = ("ий", "ый", "ой", "ая", "яя", "ое", "ее", "ие", "ые")
_RU_ADJ_SUFFIXES = (
    *(s + e for s in ("ск", "цк", "н", "в") for e in ("ий", "ой", "ое", "ая", "ие", "ый", "ые")),
    *("ний", "нее", "няя", "ние"),
)
# Endings whose paradigm the suffix rules give in full: no dictionary look-up needed (load time).
_REGULAR_ADJ = (
    "ский", "цкий", "ской", "ская", "цкая", "ское", "цкое", "ський", "цький", "зький", "ська", "цька", "зька",
    "ське", "цьке",
)  # fmt: skip
_REGULAR_NOUN = {
    "ru": (
        "ск",
        "цк",
        "ка",
        "щина",
        "чина",
        "ово",
        "ево",
        "ёво",
        "ино",
        "ов",
        "ев",
        "ёв",
        "ин",
        "род",
        "град",
        "ь",
    ),
    "uk": ("ськ", "цьк", "ка", "щина", "чина", "ово", "ево", "іно", "ів", "їв", "род", "град", "ь"),
}
_FIXED_PREFIXES = frozenset(
    {"санкт", "усть", "улан", "ханты", "ханти", "йошкар", "нарьян", "нар'ян", "наро", "горно", "южно",
     "ивано", "івано", "орехово", "орєхово", "кабардино", "карачаево", "карачаєво", "ямало", "камень",
     "камінь", "могилев", "могилів", "могилёв"}
)  # fmt: skip


# ---------------------------------------------------------------------------------------- morphology


def _toks(name: str) -> tuple[str, ...]:
    return tuple(m.group() for m in WORD_RE.finditer(normalize(name)))


# Adjective endings by (language, declension, gender): "m" masculine, "n" neuter, "f" feminine, "p" plural.
_ADJ_ENDINGS = {
    ("ru", "hard"): {
        "m": "ый ого ому ым ом",
        "n": "ое ого ому ым ом",
        "f": "ая ой ую ою",
        "p": "ые ых ым ыми",
    },
    ("ru", "mixed"): {
        "m": "ий ого ому им ом",
        "n": "ое ого ому им ом",
        "f": "ая ой ую ою",
        "p": "ие их им ими",
    },
    ("ru", "soft"): {
        "m": "ий его ему им ем",
        "n": "ее его ему им ем",
        "f": "яя ей юю ею",
        "p": "ие их им ими",
    },
    ("uk", "hard"): {
        "m": "ий ого ому им ім",
        "n": "е ого ому им ім",
        "f": "а ої ій у ою",
        "p": "і их им ими",
    },
    ("uk", "soft"): {
        "m": "ій ього ьому ім",
        "n": "є ього ьому ім",
        "f": "я ьої ій ю ьою",
        "p": "і іх ім іми",
    },
}
_RU_GENDER = {
    "ий": "m", "ый": "m", "ой": "m", "ое": "n", "ее": "n", "ая": "f", "яя": "f", "ие": "p", "ые": "p",
    "ого": "m", "его": "m", "ей": "f", "ую": "f", "юю": "f",
}  # fmt: skip
_UK_GENDER = {"ий": "m", "ій": "m", "ого": "m", "а": "f", "я": "f", "е": "n", "є": "n", "і": "p"}


def _adj_forms(word: str, lang: str, gendered: bool = False) -> set[str]:
    """Forms of an adjective (suffix rules).

    ``gendered``: only the forms of the gender/number the word is given in ("Раменское" →
    "Раменского", never "Раменская") — for place names; otherwise every gender (for "Смоленск|ая
    область" / "Смоленский регион"), plus pymorphy3's paradigm without comparatives.
    """
    out = {word}
    if not gendered and not word.endswith(_REGULAR_ADJ):
        for parse in analyzer(lang).parse(word):
            if parse.tag.POS == "ADJF" and normalize(parse.word) == word:
                out.update(
                    normalize(f.word)
                    for f in parse.lexeme
                    if f.tag.POS == "ADJF" and not {"Supr", "Cmp2", "COMP"} & set(f.tag.grammemes)
                )
                break
    genders = _RU_GENDER if lang == "ru" else _UK_GENDER
    for end, gender in genders.items():
        if not (word.endswith(end) and len(word) > len(end) + 1):
            continue
        stem = word[: -len(end)]
        if lang == "ru":
            if end in ("яя", "ее", "юю") or (end == "ий" and stem[-1] == "н" and stem[-2:] != "нн"):
                decl = "soft"
            elif stem[-1] in "кгхжшчщц":
                decl = "mixed"
            else:
                decl = "hard"
        else:
            decl = "soft" if end in ("ій", "я", "є") else "hard"
            if decl == "soft" and stem.endswith("ь"):
                stem = stem[:-1]
        table = _ADJ_ENDINGS[(lang, decl)]
        for g, ends in table.items():
            if gendered and g != gender:
                continue
            out.update(stem + e for e in ends.split())
        if end == "ой":
            out.add(word)
        break
    return out


def _uk_alternants(stem: str) -> set[str]:
    """Харків → Харков-, Бориспіль → Борисполь-, Київ → Києв- (closed-syllable і alternation)."""
    out = {stem}
    k = len(stem) - 1
    while k >= 0 and stem[k] in _CONSONANTS | {"ь", "'"}:
        k -= 1
    if k >= 1 and stem[k] in "іо":
        out.add(stem[:k] + "о" + stem[k + 1 :])
        out.add(stem[:k] + "е" + stem[k + 1 :])
    if k >= 1 and stem[k] == "ї":
        out.add(stem[:k] + "є" + stem[k + 1 :])
    return out


def _noun_rules(word: str, lang: str) -> set[str]:
    out = {word}
    last = word[-1:]
    if lang == "ru":
        if last in _CONSONANTS:
            if word.endswith("ец") and len(word) > 4:
                s = word[:-2] + "ц"
                out.update(s + e for e in ("а", "у", "ом", "е", "ем"))
            out.update(word + e for e in ("а", "у", "ом", "ем", "е"))
        elif last == "ь":
            s = word[:-1]
            out.update(s + e for e in ("я", "ю", "ем", "е", "и", "ью"))
        elif word.endswith("ия"):
            s = word[:-1]
            out.update(s + e for e in ("и", "ю", "ей", "ею"))
        elif last == "я":
            s = word[:-1]
            out.update(s + e for e in ("и", "е", "ю", "ей", "ею"))
        elif last == "а":
            s = word[:-1]
            y = "и" if s[-1:] in set("гкхжшчщ") else "ы"
            out.update(s + e for e in (y, "е", "у", "ой", "ою"))
        elif word.endswith("ье"):
            s = word[:-1]
            out.update(s + e for e in ("я", "ю", "ем"))
        elif last == "о":
            s = word[:-1]
            out.update(s + e for e in ("а", "у", "ом", "е"))
        elif last in "ыи":
            s = word[:-1]
            out.update(s + e for e in ("ам", "ами", "ах", "ов", ""))
            if last == "и":
                out.update(s + e for e in ("ям", "ями", "ях", "ей"))
            if s.endswith("к") and len(s) > 2 and s[-2] in _CONSONANTS:
                out.add(s[:-1] + "ек")
    else:
        if last in _CONSONANTS:
            for s in _uk_alternants(word):
                out.update(s + e for e in ("а", "у", "ом", "і", "ові", "ем", "ю", "я", "еві"))
        elif word.endswith("ець") and len(word) > 5:  # Кременець → Кременця (fleeting vowel)
            s = word[:-3] + "ц"
            out.update(s + e for e in ("я", "ю", "ем", "і", "еві"))
        elif last == "ь":
            for s in _uk_alternants(word[:-1]):
                out.update(s + e for e in ("я", "ю", "ем", "і", "еві", "ею"))
                out.add(s + s[-1] + "ю")
        elif word.endswith("ія"):
            s = word[:-1]
            out.update(s + e for e in ("ї", "ю", "єю"))
        elif last == "я":
            s = word[:-1]
            out.update(s + e for e in ("і", "ю", "ям", "ею", "ї"))
        elif last == "а":
            s = word[:-1]
            out.update(s + e for e in ("и", "і", "у", "ою", "о"))
            if s[-1:] == "к":
                out.add(s[:-1] + "ці")
            if s[-1:] == "г":
                out.add(s[:-1] + "зі")
        elif last == "о":
            s = word[:-1]
            out.update(s + e for e in ("а", "у", "ом", "і", "ові"))
        elif last in "иі":
            s = word[:-1]
            out.update(s + e for e in ("ам", "ами", "ах", "ів", ""))
            if s.endswith("ц"):
                out.update(s + e for e in ("ях", "ям", "ями"))
    return {f for f in out if f}


def _noun_forms(word: str, lang: str, same_number: bool = True) -> set[str]:
    out = _noun_rules(word, lang)
    if not re.fullmatch(r"[а-яіїєґ']+", word):
        return out
    if word.endswith(_REGULAR_NOUN[lang]) and word not in _HEAD_WORDS:
        return out
    for parse in analyzer(lang).parse(word):
        if parse.tag.POS != "NOUN":
            continue
        nf = normalize(parse.normal_form)
        if nf != word and "Geox" not in parse.tag.grammemes:
            continue
        if nf != word and normalize(parse.word) != word:
            continue
        number = "plur" if "plur" in parse.tag.grammemes else "sing"
        out.update(
            normalize(f.word)
            for f in parse.lexeme
            if not same_number or number in f.tag.grammemes or not {"sing", "plur"} & set(f.tag.grammemes)
        )
    return out


def _is_adj_like(word: str, lang: str, last: bool, ntok: int) -> bool:
    if lang == "ru":
        if len(word) <= 4 or not word.endswith(_RU_ADJ_END):
            return False
        return word.endswith(_RU_ADJ_SUFFIXES) or any(p.tag.POS == "ADJF" for p in analyzer("ru").parse(word))
    if (
        word.endswith(("ський", "цький", "зький", "ний", "ній", "е", "є", "ська", "цька", "зька"))
        and len(word) > 4
    ):
        return True
    if last or ntok < 2 or not word.endswith(("а", "і", "я", "ий", "ій")) or len(word) <= 3:
        return False
    return any(p.tag.POS == "ADJF" for p in analyzer("uk").parse(word))


def _word_forms(
    word: str, lang: str, last: bool = True, ntok: int = 1, adj: bool | None = None, gendered: bool = True
) -> set[str]:
    """Every form of one word of a place name (hyphenated compounds handled part-wise)."""
    if _LATIN.search(word):
        return {word, word + "'s", word + "'"} if last else {word}
    if word.isdigit() or len(word) < 2:
        return {word}
    if "-" in word:
        parts = word.split("-")
        if "на" in parts:
            k = parts.index("на")
            heads = _word_forms("-".join(parts[:k]), lang)
            rest = "-" + "-".join(parts[k:])
            return {h + rest for h in heads}
        first, tail = "-".join(parts[:-1]), parts[-1]
        tail_forms = _word_forms(tail, lang, last, ntok, adj, gendered)
        firsts = {first}
        if parts[0] not in _FIXED_PREFIXES and first[-1] in _CONSONANTS | {"ь"} and len(parts) == 2:
            firsts |= _noun_forms(first, lang)
        return {f + "-" + t for f in firsts for t in tail_forms}
    if adj is None:
        adj = _is_adj_like(word, lang, last, ntok)
    if adj:
        return _adj_forms(word, lang, gendered=gendered)
    return _noun_forms(word, lang, same_number=gendered)


def _name_langs(name: str, lang: str | None) -> tuple[str, ...]:
    if _LATIN.search(normalize(name)):
        return ("en",)
    if lang in ("ru", "uk"):
        return (lang,)
    return ("uk",) if _UK_LETTERS.search(normalize(name)) else ("ru", "uk")


def _phrase_forms(
    toks: tuple[str, ...], lang: str, adj_mask: tuple[bool, ...] | None = None, gendered: bool = True
) -> set[tuple]:
    n = len(toks)
    if lang == "en":
        per = [{t} for t in toks[:-1]] + [_word_forms(toks[-1], "en")]
    else:
        per = []
        for k, t in enumerate(toks):
            adj = adj_mask[k] if adj_mask else None
            if t in ("на", "of", "the"):
                per.append({t})
            else:
                per.append(_word_forms(t, lang, last=k == n - 1, ntok=n, adj=adj, gendered=gendered))
    return {tuple(p) for p in product(*per)}


# ----------------------------------------------------------------------------------------- gazetteer


class _Gazetteer:
    def __init__(self) -> None:
        self.regions: dict[str, Region] = {}
        self.phrases: dict[tuple, _Entry] = {}
        self.phrase_first: dict[str, int] = {}
        self.region_mods: dict[tuple, list[tuple[str, str]]] = {}
        self.district_mods: dict[tuple, _Entry] = {}
        self.mod_first: dict[str, int] = {}
        self.heads: dict[tuple, tuple[str, bool]] = {}  # -> (class, plural)
        self.head_first: dict[str, int] = {}
        self._district_bases: list[tuple[str, str, tuple[str, ...], str, bool]] = []
        self._build()
        del self._district_bases
        # the first word of any name: one set look-up rejects most tokens of a text (hot path)
        self.first: frozenset[str] = frozenset(self.phrase_first) | frozenset(self.mod_first)
        self.entries_memo: dict[tuple[tuple, str], tuple[str, ...]] = {}  # see _region_entries

    # -- helpers
    def _add_phrase(self, key: tuple, entry: _Entry) -> None:
        if not key or len(key) > _MAX_PHRASE:
            return
        old = self.phrases.get(key)
        if old is None:
            self.phrases[key] = entry
        elif old.kind != _BLOCK and entry.kind != _BLOCK:
            isos = old.isos + tuple(i for i in entry.isos if i not in old.isos)
            self.phrases[key] = _Entry(
                isos, old.kind, old.name, old.cap and entry.cap, old.prep and entry.prep
            )
        if len(key) > self.phrase_first.get(key[0], 0):
            self.phrase_first[key[0]] = len(key)

    def _add_mod_first(self, key: tuple) -> None:
        if len(key) > self.mod_first.get(key[0], 0):
            self.mod_first[key[0]] = len(key)

    def _add_head(self, key: tuple, cls: str, plural: bool) -> None:
        self.heads.setdefault(key, (cls, plural))
        self.head_first[key[0]] = max(self.head_first.get(key[0], 0), len(key))

    def _build_heads(self) -> None:
        for table, lang in ((_REGION_HEADS_RU, "ru"), (_REGION_HEADS_UK, "uk")):
            for base, cls in table.items():
                mask = tuple(
                    (len(base) > 1 and k < len(base) - 1) or b in _ADJ_HEADS for k, b in enumerate(base)
                )
                for key in _phrase_forms(base, lang, mask, gendered=False):
                    self._add_head(key, cls, False)
        for base, cls in _REGION_HEADS_EN.items():
            for key in _phrase_forms(base, "en"):
                self._add_head(key, cls, False)
        for base, cls in _EN_PLURAL_HEADS.items():
            for key in _phrase_forms(base, "en"):
                self._add_head(key, cls, True)
        for base, cls in _FIXED_HEADS.items():
            self._add_head(base, cls, False)
        for heads, lang in (
            (_DISTRICT_HEADS_RU, "ru"),
            (_DISTRICT_HEADS_UK, "uk"),
            (_DISTRICT_HEADS_EN, "en"),
            (_FACILITY_HEADS_RU, "ru"),
            (_FACILITY_HEADS_UK, "uk"),
        ):
            for base in heads:
                mask = tuple(k < len(base) - 1 for k in range(len(base)))
                for key in _phrase_forms(base, lang, mask, gendered=False):
                    self._add_head(key, "district", key[-1].endswith(("s", "s'")))

    def _split_head(self, toks: tuple[str, ...], lang: str, district: bool) -> tuple[tuple, str] | None:
        """(modifier tokens, head class) when ``toks`` ends with a head noun in its base form."""
        if district:
            table = {"ru": _DISTRICT_HEADS_RU, "uk": _DISTRICT_HEADS_UK, "en": _DISTRICT_HEADS_EN}[lang]
            bases = {b: "district" for b in table}
        else:
            bases = {"ru": _REGION_HEADS_RU, "uk": _REGION_HEADS_UK, "en": _REGION_HEADS_EN}[lang]
        for hl in (3, 2, 1):
            if len(toks) > hl and toks[-hl:] in bases:
                return toks[:-hl], bases[toks[-hl:]]
        return None

    def _mod_keys(self, mod: tuple[str, ...], lang: str) -> set[tuple]:
        if lang == "en":
            return {mod}
        return _phrase_forms(mod, lang, tuple(True for _ in mod), gendered=False)

    def _add_name(self, name: str, lang_hint: str | None, isos: tuple[str, ...], kind: str, en: str,
                  prep: bool = False, ctx: bool = False) -> None:  # fmt: skip
        if not name.strip():
            return
        for lang in _name_langs(name, lang_hint):
            toks = _toks(name)
            if not toks:
                continue
            district = kind == "district"
            if kind in ("region", "city", "district"):
                split = self._split_head(toks, lang, district)
                if split is not None and kind != "city":
                    mod, cls = split
                    if district and len(mod) == 1 and not ctx:
                        self._district_bases.append((mod[0], lang, isos, en, prep))
                    fresh = _Entry(isos, "district", en, ctx=ctx)
                    for key in self._mod_keys(mod, lang):
                        if district:
                            old = self.district_mods.get(key)
                            if old is None:
                                self.district_mods[key] = fresh
                            elif old is not fresh:
                                merged = old.isos + tuple(i for i in isos if i not in old.isos)
                                if merged != old.isos or (ctx and not old.ctx):
                                    self.district_mods[key] = _Entry(merged, "district", old.name,
                                                                     ctx=ctx or old.ctx)  # fmt: skip
                        else:
                            lst = self.region_mods.setdefault(key, [])
                            for iso in isos:
                                if (iso, cls) not in lst:
                                    lst.append((iso, cls))
                        self._add_mod_first(key)
                    continue
            sea = kind == "sea"
            for key in _phrase_forms(toks, lang):
                self._add_phrase(key, _Entry(isos, kind, en, cap=not sea, prep=prep))

    def _build(self) -> None:
        self._build_heads()
        for key in _BLOCKED:
            self._add_phrase(key, _Entry((), _BLOCK, ""))
        pkg = resources.files("tocsin.data")
        with (pkg / "regions.csv").open(encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        for row in rows:
            iso = row["iso"].strip()
            self.regions[iso] = Region(iso, row["country"].strip(), row["en"].strip(), row["ru"].strip(),
                                       row["uk"].strip())  # fmt: skip
        for row in rows:
            iso = row["iso"].strip()
            kind = "city" if iso in _CITY_REGIONS else "region"
            en = row["en"].strip()
            for col, lang in (("ru", "ru"), ("uk", "uk"), ("en", "en")):
                self._add_name(row[col], lang, (iso,), kind, en)
            for col, lang in (("ru_alt", "ru"), ("uk_alt", "uk"), ("en_alt", "en")):
                for alt in _split(row[col]):
                    # "город Москва", "місто Київ" are cities; other alternates keep the row's kind.
                    k = "region" if kind == "city" and _split_head(alt) else kind
                    self._add_name(alt, lang, (iso,), k, en)
        towns: list[tuple[str, str, tuple[str, ...], str, bool]] = []
        with (pkg / "places.csv").open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                kind = row["kind"].strip()
                isos = tuple(_split(row["iso"]))
                en = row["en"].strip()
                flags = set(_split(row.get("flags")))
                prep, ctx = "prep" in flags, "ctx" in flags
                for col, lang in (("ru", "ru"), ("uk", "uk"), ("en", "en")):
                    self._add_name(row[col], lang, isos, kind, en, prep, ctx)
                for alt in _split(row["alt"]):
                    self._add_name(alt, None, isos, kind, en, prep, ctx)
                if kind == "city":
                    for col, lang in (("ru", "ru"), ("uk", "uk"), ("en", "en")):
                        if row[col].strip():
                            towns.append((row[col].strip(), lang, isos, en, prep))
        self._derive(towns)

    def _derive(self, towns: list[tuple[str, str, tuple[str, ...], str, bool]]) -> None:
        """Rule-made names from the rows: "<town adjective> громада / район / городской округ / НПЗ"
        ("Бурштинська громада", "Салаватский НПЗ") and the colloquial "-щина" of a town or district
        ("Бурштинщина", "Шебекинщина"). Written names always win over rule-made ones."""
        bases = list(self._district_bases)
        for name, lang, isos, en, prep in towns:
            if lang == "en":  # "the Burshtyn hromada", "Bila Tserkva and Brovary districts"
                key = _toks(name)
                if key and key not in self.district_mods and key not in self.region_mods:
                    self.district_mods[key] = _Entry(isos, "district", en)
                    self._add_mod_first(key)
                continue
            adj = _town_adjective(name, lang)
            if adj is None or adj in _ADJ_STOP:
                continue
            bases.append((adj, lang, isos, en, prep))
            entry = _Entry(isos, "district", en)
            for key in _adj_forms(adj, lang):
                k = (key,)
                if k not in self.district_mods and k not in self.region_mods:
                    self.district_mods[k] = entry
                    self._add_mod_first(k)
        for adj, lang, isos, en, shared in bases:
            if len(isos) != 1 or (lang == "uk" and not isos[0].startswith("UA")):
                continue  # Ukrainian "-щина" names are of Ukrainian places ("Сіверщина" is Chernihiv's)
            entry = _Entry(isos, "district", en)
            for region in _shchyna(adj, lang):
                if region in _ADJ_STOP:
                    continue
                # a town that is also a common word or surname: its "-щина" only when that is no word
                # of its own ("Бурштинщина" yes, "Пугачёвщина" no)
                if shared and (analyzer("ru").word_is_known(region) or analyzer("uk").word_is_known(region)):
                    continue
                for key in _noun_rules(region, lang):
                    if (key,) not in self.phrases:
                        self._add_phrase((key,), entry)


# Rule-made adjectives / "-щина" names that are ordinary words ("Українка" → "український").
_ADJ_STOP = frozenset(
    {
        "український", "украинский", "новий", "новый", "русский", "российский", "російський", "южный",
        "південний", "северный", "північний", "центральный", "центральний", "западный", "західний",
        "восточный", "східний", "советский", "радянський", "московский", "московський", "київський",
        "киевский", "дедовщина", "военщина", "деревенщина", "казенщина", "уголовщина", "мирний", "мирный",
        "светлый", "свободный", "слов'янський", "славянский", "подільщина", "подольщина", "сіверщина",
        "северщина", "слобожанщина", "холмщина", "корсунщина", "братчина", "тарасівщина", "волинщина",
        "поліщина",
    }
)  # fmt: skip


def _town_adjective(name: str, lang: str) -> str | None:
    """The relative adjective of a one-word town name by suffix rules ("Бурштин" → "бурштинський",
    "Салават" → "салаватский", "Шебекино" → "шебекинский"); None where no rule fits."""
    toks = _toks(name)
    if len(toks) != 1 or len(toks[0]) < 4:
        return None
    w = toks[0]
    if w.endswith(("ий", "ый", "ій", "ой") if lang == "ru" else ("ий", "ій")):
        return w  # the name is an adjective itself: "Кропивницький", "Каменск-Шахтинский"
    if "-" in w:
        return None
    if lang == "ru":
        if w.endswith(("ск", "цк")):
            return w + "ий"
        if w.endswith(("ское", "цкое")):
            return w[:-2] + "ий"
        if w.endswith(("ое", "ее", "ая", "яя")):
            return None
        if w.endswith("ка"):
            return w[:-2] + "ский"
        if w.endswith(("ы", "и")):
            return w[:-1] + "инский"
        if w.endswith(("о", "е", "а", "я", "ь")):
            return w[:-1] + "ский"
        if w[-1] == "с":
            return w + "кий"
        return w + "ский" if w[-1] in _CONSONANTS else None
    if w.endswith(("ськ", "цьк")):
        return w + "ий"
    if w.endswith(("ське", "цьке")):
        return w[:-1] + "ий"
    if w.endswith(("ове", "еве", "ево", "ово")):
        return w[:-3] + "івський"
    if w.endswith("єве"):
        return w[:-3] + "ївський"
    if w.endswith(("ине", "іно", "ино")):
        return w[:-1] + "ський"
    if w.endswith(("е", "є")):
        return None
    if w.endswith("ка"):
        return w[:-2] + "ський"
    if w.endswith("лля"):  # Миропілля → миропільський
        return w[:-3] + "льський"
    if w.endswith("жжя"):  # Запоріжжя → запорізький
        return w[:-3] + "зький"
    if w.endswith("'я"):  # Міжгір'я → міжгірський
        return w[:-2] + "ський"
    if w.endswith("ця"):
        return w[:-1] + "ький"
    if w.endswith("ія"):
        return w[:-1] + "йський"
    if w.endswith("ки"):
        return w[:-1] + "івський"
    if w.endswith(("и", "і")):
        return w[:-1] + ("ький" if w[-2] in "сц" else "ський")
    if w.endswith("ець"):
        return w[:-1] + "ький"
    if w.endswith("нь"):
        return w[:-1] + "ський"
    if w.endswith(("а", "о")):
        return w[:-1] + "ський"
    if w.endswith("ь"):
        return w + "ський"
    if w[-1] == "к":
        return w[:-1] + "цький"
    return w + "ський" if w[-1] in _CONSONANTS else None


def _shchyna(adj: str, lang: str) -> list[str]:
    """The colloquial area name of a relative adjective: "бурштинський" → "бурштинщина",
    "кременчуцький" → "кременчуччина", "белгородский" → "белгородщина" / "белгородчина"."""
    if "-" in adj:
        return []
    if lang == "uk":
        for suffix, repl in (("цький", "ччина"), ("зький", "жчина"), ("ський", "щина")):
            if adj.endswith(suffix) and len(adj) - len(suffix) >= 3:
                return [adj[: -len(suffix)] + repl]
        return []
    if adj.endswith("цкий") and len(adj) > 7:
        return [adj[:-4] + "тчина"]
    if adj.endswith("ский") and len(adj) > 7:
        stem = adj[:-4]
        return [stem + "щина", stem + "чина"] if stem[-1] in "дт" else [stem + "щина"]
    return []


def _split(cell: str | None) -> list[str]:
    return [p.strip() for p in (cell or "").split("|") if p.strip()]


def _split_head(name: str) -> bool:
    toks = _toks(name)
    return bool(toks) and toks[-1] in ("область", "oblast", "region", "регион", "регіон")


@cache
def _gazetteer() -> _Gazetteer:
    return _Gazetteer()


# ------------------------------------------------------------------------------------------ matching


def _ws_only(norm: str, a: Token, b: Token) -> bool:
    gap = norm[a.end : b.start]
    return gap == "" or gap.isspace()


def _capitalised(raw: str, toks: Iterable[Token]) -> bool:
    for t in toks:  # noqa: SIM110 - a loop: any() over a generator costs more on this path
        if raw[t.start].isupper():
            return True
    return False


def _joined(text: Text, i: int, j: int) -> bool:
    """Only whitespace between the tokens ``[i, j)``: they can form one name."""
    gaps = text.gaps
    for k in range(i, j - 1):
        gap = gaps[k]
        if gap != " " and gap and not gap.isspace():
            return False
    return True


def _run(text: Text, i: int, most: int) -> int:
    """How many tokens from ``i`` on (at most ``most``) are joined by whitespace only: the longest name
    that can start at ``i``."""
    gaps = text.gaps
    run = 1
    while run < most:
        gap = gaps[i + run - 1]
        if gap != " " and gap and not gap.isspace():
            break
        run += 1
    return run


def _phrase_at(g: _Gazetteer, text: Text, i: int) -> tuple[int, _Entry | None]:
    toks = text.tokens
    maxlen = g.phrase_first.get(toks[i].norm, 0)
    if not maxlen:
        return 0, None
    words = text.words
    for ln in range(_run(text, i, min(maxlen, len(toks) - i)), 0, -1):
        entry = g.phrases.get(words[i : i + ln])
        if entry is None:
            continue
        if entry.kind == _BLOCK:
            return ln, entry
        if entry.cap and not _capitalised(text.raw, toks[i : i + ln]):
            continue
        if entry.prep and (i == 0 or toks[i - 1].norm not in _PREPS):
            continue
        return ln, entry
    return 0, None


def _mod_at(g: _Gazetteer, text: Text, j: int) -> int:
    toks = text.tokens
    if j >= len(toks):
        return 0
    maxlen = g.mod_first.get(toks[j].norm, 0)
    for ln in range(min(maxlen, len(toks) - j), 0, -1):
        if ln > 1 and not _joined(text, j, j + ln):
            continue
        key = text.words[j : j + ln]
        if key in g.region_mods or key in g.district_mods:
            return ln
    return 0


def _head_at(g: _Gazetteer, text: Text, j: int) -> tuple[int, str, bool]:
    toks = text.tokens
    if j >= len(toks) or j == 0:
        return 0, "", False
    maxlen = g.head_first.get(toks[j].norm, 0)
    if not maxlen or not _ws_only(text.norm, toks[j - 1], toks[j]):
        return 0, "", False
    for ln in range(min(maxlen, len(toks) - j), 0, -1):
        if ln > 1 and not _joined(text, j, j + ln):
            continue
        hit = g.heads.get(text.words[j : j + ln])
        if hit:
            return ln, hit[0], hit[1]
    return 0, "", False


def _chain(g: _Gazetteer, text: Text, i: int) -> tuple[list[tuple[int, int]], int, str, bool]:
    """Modifiers from token ``i`` on, joined by commas / conjunctions, and the head that closes them.

    Returns (elements, head_end, head_class, head_plural); head_end is 0 when no head follows.
    """
    toks, norm = text.tokens, text.norm
    n = len(toks)
    elems: list[tuple[int, int]] = []
    j = i
    while len(elems) < _MAX_CHAIN:
        ln = _mod_at(g, text, j)
        if not ln:
            break
        elems.append((j, j + ln))
        j += ln
        hl, cls, plural = _head_at(g, text, j)
        if hl:
            return elems, j + hl, cls, plural
        if j >= n:
            break
        gap = norm[toks[j - 1].end : toks[j].start].strip()
        if gap not in ("", ","):
            break
        skipped = 0
        while j < n and toks[j].norm in _CONJ and skipped < 2:
            if skipped and not _ws_only(norm, toks[j - 1], toks[j]):
                break
            j += 1
            skipped += 1
        if gap == "" and not skipped:
            break
    return elems, 0, "", False


def _standalone_ok(text: Text, i: int, j: int) -> bool:
    """An elliptical region adjective with no head ("9 – Брянской, 8 – Курской")."""
    toks, raw, norm = text.tokens, text.raw, text.norm
    if not raw[toks[i].start].isupper() or _LATIN.search(toks[i].norm):
        return False
    before = norm[toks[i - 1].end if i else 0 : toks[i].start]
    if any(q in before for q in _QUOTES) or not any(d in before for d in _DASHES):
        return False
    if j >= len(toks):
        after = norm[toks[j - 1].end :]
        return not any(q in after for q in _QUOTES)
    after = norm[toks[j - 1].end : toks[j].start]
    if any(q in after for q in _QUOTES):
        return False
    return bool(after.strip()) or toks[j].norm in _CONJ or toks[j].is_digit


def _region_entries(g: _Gazetteer, key: tuple, cls: str) -> tuple[str, ...]:
    """The regions a modifier (``key``) names before a head of class ``cls``: those of that class, else all.

    Remembered per (key, class); the keys are the gazetteer's own, so the memo stays bounded.
    """
    hit = g.entries_memo.get((key, cls))
    if hit is None:
        hit = g.entries_memo[(key, cls)] = _region_entries_of(g, key, cls)
    return hit


def _region_entries_of(g: _Gazetteer, key: tuple, cls: str) -> tuple[str, ...]:
    lst = g.region_mods.get(key, [])
    exact = tuple(iso for iso, c in lst if c == cls)
    if exact:
        return exact
    out: list[str] = []
    for iso, _ in lst:
        if iso not in out:
            out.append(iso)
    return tuple(out)


def _mk(g: _Gazetteer, text: Text, a: int, b: int, isos: tuple[str, ...], kind: str, name: str) -> Place:
    toks = text.tokens
    # iso, start, end, kind, name, candidates, tok_start, tok_end (positional: keywords cost more)
    return Place(
        isos[0] if isos else None,
        toks[a].start,
        toks[b - 1].end,
        kind,
        name,
        isos if len(isos) > 1 else (),
        a,
        b,
    )


def find_places(text: Text, lang: str | None = None) -> list[Place]:
    """Places named in ``text``, sorted by start, non-overlapping (longest match wins).

    ``lang`` is accepted for the interface; names of all three languages are matched whatever it is,
    since statements quote names across languages.
    """
    g = _gazetteer()
    toks = text.tokens
    n = len(toks)
    out: list[Place] = []
    shared: set[int] = set()  # ids of city-district places whose name several cities share
    i = 0
    no_head_until = 0  # a chain already scanned from an earlier token ends without a head up to here
    first, phrase_first, mod_first = g.first, g.phrase_first, g.mod_first
    # Only tokens that can start a name matter; picking them out is one C-level pass over the words.
    for k in compress(range(n), map(first.__contains__, text.words)):
        if k < i:
            continue  # inside a place already found
        i = k
        tok = toks[i].norm
        plen, entry = _phrase_at(g, text, i) if tok in phrase_first else (0, None)
        if tok in mod_first:
            if i < no_head_until:
                ln = _mod_at(g, text, i)
                elems, head_end, cls, plural = ([(i, i + ln)] if ln else []), 0, "", False
            else:
                elems, head_end, cls, plural = _chain(g, text, i)
                if not head_end and elems:
                    # Every chain starting inside this one ends the same way: scan it once (linear time).
                    no_head_until = elems[-1][1] if len(elems) < _MAX_CHAIN else elems[-1][0]
            latin = bool(_LATIN.search(tok))
            if head_end and latin and len(elems) > 1 and not plural:
                head_end = 0  # "Kyiv and Kyiv region": only the last stem takes a singular head
            if head_end and head_end > i + plen:
                places = _chain_places(g, text, elems, head_end, cls, shared)
                out.extend(places)
                i = head_end
                continue
            if not plen and elems and tok not in _CONJ:
                a, b = elems[0]
                key = text.words[a:b]
                isos = _region_entries(g, key, "oblast")
                if isos and _standalone_ok(text, a, b):
                    out.append(_mk(g, text, a, b, isos, "region", g.regions[isos[0]].en))
                    i = b
                    continue
        if plen and entry is not None:
            if entry.kind != _BLOCK:
                out.append(_mk(g, text, i, i + plen, entry.isos, entry.kind, entry.name))
                if entry.kind == "city" and entry.isos:
                    tail = _city_and_region(g, text, i + plen, entry.isos)
                    if tail is not None:
                        out.append(tail)
                        i = tail.tok_end
                        continue
            i += plen
            continue
        i += 1
    if shared:
        out = _resolve_shared(text, out, shared)
    return _disambiguate(out)


_ABBREV = frozenset(
    {"обл", "г", "м", "р", "н", "с", "смт", "пгт", "ул", "вул", "пос", "им", "ім", "св", "st"}
)
_SENT_END = re.compile(r"[.!?…]+(?=\s)|\n")


def _same_sentence(raw: str, a: int, b: int) -> bool:
    """No sentence boundary in ``raw[a:b]`` (a full stop after an abbreviation such as "обл." is none)."""
    for m in _SENT_END.finditer(raw, a, b):
        if m.group() != ".":
            return False
        k = m.start()
        while k > 0 and raw[k - 1].isalpha():
            k -= 1
        word = raw[k : m.start()]
        if word not in _ABBREV and normalize(word) not in _ABBREV and len(word) > 1:
            return False
    return True


def _resolve_shared(text: Text, places: list[Place], shared: set[int]) -> list[Place]:
    """A city-district name several cities share ("Дніпровський район": Kyiv, Kherson, Zaporizhzhia…)
    takes the region of its city (or region) named in the same sentence; alone it names no region."""
    anchors = [p for p in places if id(p) not in shared and p.iso]
    out = []
    for p in places:
        if id(p) not in shared:
            out.append(p)
            continue
        cands = p.candidates or ((p.iso,) if p.iso else ())
        best: Place | None = None
        for q in anchors:
            if q.iso not in cands:
                continue
            lo, hi = (q.end, p.start) if q.end <= p.start else (p.end, q.start)
            if not _same_sentence(text.raw, lo, hi):
                continue
            if best is None or abs(q.start - p.start) < abs(best.start - p.start):
                best = q
        if best is not None:
            out.append(Place(best.iso, p.start, p.end, p.kind, p.name, (), p.tok_start, p.tok_end))
    return out


def _city_and_region(g: _Gazetteer, text: Text, j: int, isos: tuple[str, ...]) -> Place | None:
    """ "в Києві та області", "Kyiv and the surrounding region": the city's own region."""
    toks = text.tokens
    n = len(toks)
    if j >= n or toks[j].norm not in _CONJ:
        return None
    k = j + 1
    while k < n and toks[k].norm in _REGION_FILLERS and k - j < 4:
        k += 1
    if k >= n or toks[k].norm not in _REGION_WORDS or not _ws_only(text.norm, toks[k - 1], toks[k]):
        return None
    if k + 1 < n and _ws_only(text.norm, toks[k], toks[k + 1]) and toks[k + 1].norm in g.phrase_first:
        return None  # "та області Курської" — some other region follows
    region = tuple(_CITY_OBLAST.get(i, i) for i in isos if _CITY_OBLAST.get(i, i))
    if not region:
        return None
    return _mk(g, text, k, k + 1, region, "region", g.regions[region[0]].en)


def _chain_places(
    g: _Gazetteer, text: Text, elems: list[tuple[int, int]], head_end: int, cls: str, shared: set[int]
) -> list[Place]:
    out: list[Place] = []
    for k, (a, b) in enumerate(elems):
        key = text.words[a:b]
        end = head_end if k == len(elems) - 1 else b
        if cls == "district":
            entry = g.district_mods.get(key)
            if entry is not None:
                place = _mk(g, text, a, end, entry.isos, "district", entry.name)
                if entry.ctx:
                    shared.add(id(place))
                out.append(place)
        else:
            isos = _region_entries(g, key, cls)
            kind = "region"
            if cls == "city":  # "Київська МВА", "Харківська міська рада": the city of that name
                isos = tuple(_OBLAST_CITY.get(i, i) for i in isos)
                kind = "city" if isos and isos[0] in _CITY_REGIONS else "region"
            if isos:
                out.append(_mk(g, text, a, end, isos, kind, g.regions[isos[0]].en))
    return out


def _disambiguate(places: list[Place]) -> list[Place]:
    """Order an ambiguous place's candidates by the unambiguous regions named in the same text."""
    for p in places:
        if p.candidates:
            break
    else:
        return places  # nothing ambiguous
    known = {p.iso for p in places if p.iso and not p.candidates}
    if not known:
        return places
    out = []
    for p in places:
        if p.candidates:
            cands = tuple(sorted(p.candidates, key=lambda c: c not in known))
            if cands != p.candidates:
                p = Place(cands[0], p.start, p.end, p.kind, p.name, cands, p.tok_start, p.tok_end)
        out.append(p)
    return out


# ------------------------------------------------------------------------------------- region lookup


def all_regions() -> list[Region]:
    """Every ISO 3166-2 subdivision of Russia and Ukraine in the gazetteer."""
    return list(_gazetteer().regions.values())


def region_name(iso: str, lang: str = "en") -> str:
    """Display name of a region in ``ru``, ``uk`` or ``en`` (the iso itself when unknown)."""
    region = _gazetteer().regions.get(iso)
    if region is None:
        return iso
    return {"ru": region.ru, "uk": region.uk}.get(lang, region.en)


def iso_country(iso: str) -> str:
    """``"RU"`` / ``"UA"`` for an ISO 3166-2 code."""
    country = iso.split("-", 1)[0].upper()
    if country not in ("RU", "UA"):
        raise ValueError(f"not a Russian or Ukrainian subdivision: {iso!r}")
    return country
