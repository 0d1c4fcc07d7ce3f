"""Properties of ``extract`` over arbitrary and lexicon-built texts, and number-word round trips."""

from __future__ import annotations

import json
import random
import tomllib
from functools import cache
from importlib import resources

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tocsin.extract import MAX_CHARS, ExtractionError, extract
from tocsin.extract.doc import Doc
from tocsin.extract.numbers import number_to_words

LANGS = ("ru", "uk", "en")
SCORED = ("total_destroyed", "launched", "killed", "injured", "infrastructure_damage", "debris_fell",
          "fire", "emergency_response")
CASUALTY_CONCEPTS = ("victims_w", "injured_w", "killed_w", "injured_noun", "killed_noun")
GROUND_CONCEPTS = ("damage", "damage_none", "fire", "debris", "services")

REGION_NAMES = {
    "ru": ["Смоленской области", "над Курской областью", "Москвы", "Подмосковье", "в Крыму", "Севастополем",
           "Брянщиной", "Белгородская область", "Киевом", "над акваторией Черного моря"],
    "uk": ["Київщиною", "над Харківщиною", "у Києві", "Одеській області", "Криму", "Сумщина",
           "Дніпропетровської області", "над Чорним морем"],
    "en": ["over the Smolensk region", "Moscow", "the Moscow region", "Kyiv", "the Kyiv region", "Crimea",
           "Sevastopol", "over the Black Sea", "Kharkiv"],
}
PUNCT = [".", ",", ":", ";", " – ", " — ", "!", "?", "(", ")", "\n", "\n\n", "«", "»", '"', "…", "-", "/"]


@cache
def lexicon_words(lang: str) -> list[str]:
    """Concrete words from the lexicon patterns of ``lang`` (``*`` wildcards dropped)."""
    raw = resources.files("tocsin.data").joinpath("lexicon", f"{lang}.toml").read_text(encoding="utf-8")
    words: set[str] = set()
    for patterns in tomllib.loads(raw)["concepts"].values():
        for pattern in patterns:
            cleaned = pattern.replace("*", "").strip()
            if cleaned:
                words.add(cleaned)
    return sorted(words)


def piece(lang: str) -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(lexicon_words(lang)),
        st.sampled_from(REGION_NAMES[lang]),
        st.integers(0, 10**6).map(str),
        st.sampled_from(["1 200", "10 000", "20:00", "08.30", "3-4", "5,000", "2025-09-06", "0"]),
        st.sampled_from(PUNCT),
    )


@st.composite
def lexicon_text(draw) -> tuple[str, str]:
    lang = draw(st.sampled_from(LANGS))
    parts = draw(st.lists(piece(lang), max_size=40))
    seps = draw(st.lists(st.sampled_from([" ", " ", " ", "", "\n", ", "]), min_size=len(parts),
                         max_size=len(parts)))
    text = "".join(p + s for p, s in zip(parts, seps, strict=True))
    if draw(st.booleans()):
        text = text.capitalize()
    return text, lang


def check_claim(text: str, lang: str | None, published=None) -> dict:
    claim = extract(text, lang=lang, published=published)
    contract = claim.to_contract()
    json.dumps(contract, ensure_ascii=False)
    for field, spans in contract["evidence"].items():
        for start, end in spans:
            assert 0 <= start < end <= len(text), (field, start, end)
    for field in SCORED:
        if contract[field] is not None:
            assert contract["evidence"].get(field), f"{field} = {contract[field]!r} without evidence"
    if contract["per_region"]:
        assert contract["evidence"].get("per_region"), "per_region without evidence"
    if contract["interceptors"]:
        assert contract["evidence"].get("interceptors"), "interceptors without evidence"
    assert contract["kind"] in ("interception", "attack_no_outcome", "not_incident")
    assert contract["weapon"] in (None, "uav", "missile", "mixed")
    for field in ("total_destroyed", "launched", "killed", "injured"):
        assert contract[field] is None or (isinstance(contract[field], int) and contract[field] >= 0)
    for region in contract["per_region"]:
        assert region["iso"][:3] in ("RU-", "UA-"), region
        assert region["destroyed"] is None or region["destroyed"] >= 0
    if contract["kind"] == "not_incident":
        assert contract["total_destroyed"] is None and contract["per_region"] == []
    return contract


_PROPS = settings(max_examples=250, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@_PROPS
@given(st.text(max_size=300), st.sampled_from((None, *LANGS)))
def test_arbitrary_text(text, lang):
    check_claim(text, lang)


@_PROPS
@given(lexicon_text(), st.sampled_from([None, "2025-09-06", "2025-01-15T08:00:00+03:00"]))
def test_lexicon_built_text(pair, published):
    text, lang = pair
    check_claim(text, lang, published)
    check_claim(text, None, published)  # detected language


@_PROPS
@given(lexicon_text())
def test_unknown_stays_null(pair):
    """No casualty words → killed and injured null; no consequence words → the four booleans null."""
    text, lang = pair
    doc = Doc(text, lang)
    contract = check_claim(text, lang)
    if not any(doc.has(c) for c in CASUALTY_CONCEPTS):
        assert contract["killed"] is None and contract["injured"] is None
    if not any(doc.has(c) for c in GROUND_CONCEPTS):
        for field in ("infrastructure_damage", "debris_fell", "fire", "emergency_response"):
            assert contract[field] is None, field


@pytest.mark.parametrize("lang", LANGS)
def test_no_casualty_words_gives_null(lang):
    text = {"ru": "Над Смоленской областью сбиты 4 беспилотника.",
            "uk": "Над Київщиною збито 4 безпілотники.",
            "en": "Four drones were shot down over the Smolensk region."}[lang]
    got = check_claim(text, lang)
    assert got["killed"] is None and got["injured"] is None
    assert got["total_destroyed"] == 4


def test_over_long_text_is_the_only_error():
    with pytest.raises(ExtractionError):
        extract("а" * (MAX_CHARS + 1))
    check_claim("а" * MAX_CHARS, "ru")


# ------------------------------------------------------------------------------- number round trips


def _form(n: int, one: str, few: str, many: str) -> str:
    last2, last = n % 100, n % 10
    if last == 1 and last2 != 11:
        return one
    if last in (2, 3, 4) and last2 not in (12, 13, 14):
        return few
    return many


def _sentences(n: int) -> list[tuple[str, str, str]]:
    """(lang, sentence, the number words in it) for ``n`` in several cases per language."""

    def w(lang: str, case: str = "nomn") -> str:
        return number_to_words(n, lang, case, "masc")

    ru_nom = _form(n, "беспилотник", "беспилотника", "беспилотников")
    ru_gen = _form(n, "беспилотника", "беспилотников", "беспилотников")
    uk_nom = _form(n, "безпілотник", "безпілотники", "безпілотників")
    uk_gen = _form(n, "безпілотника", "безпілотників", "безпілотників")
    en_noun = "drone" if n == 1 else "drones"
    rows = [
        ("ru", "Над Смоленской областью уничтожено {} " + ru_nom + ".", w("ru")),
        ("ru", "Дежурные средства ПВО сбили над Смоленской областью {} " + ru_nom + ".", w("ru", "accs")),
        ("ru", "Над Смоленской областью уничтожено не менее {} " + ru_gen + ".", w("ru", "gent")),
        ("ru", "Над Смоленской областью уничтожено около {} " + ru_gen + ".", w("ru", "gent")),
        ("uk", "Над Житомирщиною збито {} " + uk_nom + ".", w("uk")),
        ("uk", "Сили ППО знищили над Житомирщиною {} " + uk_nom + ".", w("uk", "accs")),
        ("uk", "Над Житомирщиною знищено близько {} " + uk_gen + ".", w("uk", "gent")),
        ("en", "Air defences destroyed {} " + en_noun + " over the Smolensk region.", w("en")),
        ("en", "At least {} " + en_noun + (" was" if n == 1 else " were") + " shot down over Kyiv.", w("en")),
    ]
    return [(lang, template.format(words), words) for lang, template, words in rows]


_SAMPLE = sorted({1, 2, 3, 4, 5, 10, 11, 12, 14, 19, 20, 21, 22, 25, 40, 90, 99, 100, 101, 111, 115, 200,
                  212, 341, 500, 999, *random.Random(20250906).sample(range(1, 1000), 30)})


@pytest.mark.parametrize("n", _SAMPLE)
def test_number_words_round_trip(n):
    for lang, text, words in _sentences(n):
        got = check_claim(text, lang)
        assert got["kind"] == "interception", text
        assert got["total_destroyed"] == n, text
        at = text.index(words)
        spans = got["evidence"]["total_destroyed"]
        assert any(a < at + len(words) and at < b for a, b in spans), (text, spans)


@settings(max_examples=60, deadline=None, database=None)
@given(st.integers(1, 999), st.sampled_from(LANGS))
def test_number_words_round_trip_random(n, lang):
    for text_lang, text, _ in _sentences(n):
        if text_lang == lang:
            assert extract(text, lang=lang).total_destroyed == n, text
