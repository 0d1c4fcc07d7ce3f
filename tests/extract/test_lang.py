"""Language detection restricted to ru / uk / en."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tocsin.extract import extract
from tocsin.extract.lang import LANGS, detect


def test_langs():
    assert LANGS == ("ru", "uk", "en")


@pytest.mark.parametrize(
    "text",
    [
        "Над Київщиною збито чотири дрони.",  # і
        "Сили ППО працювали всю ніч, їх підтримала авіація.",  # ї
        "Є влучання в житловий будинок.",  # є
        "Ґудзик",  # ґ
        "ІНФОРМАЦІЯ ПРО ПОСТРАЖДАЛИХ УТОЧНЮЄТЬСЯ",  # upper case
        "Збито 12 БпЛА над Сумщиною і Полтавщиною.",  # one і
        # no і/ї/є/ґ: Ukrainian-only words ("збито", "ворожих") decide
        pytest.param("Збито 12 БпЛА: 5 — над Сумщиною, 7 — над Полтавщиною.", id="uk-without-cue-letters"),
        pytest.param("Вночі ворог атакував Харків, уламки впали на дах.", id="uk-without-cue-letters-2"),
    ],
)
def test_ukrainian_letters(text):
    assert detect(text) == "uk"


@pytest.mark.parametrize(
    "text",
    [
        "Над Смоленской областью сбиты беспилотники.",  # ы
        "Это сообщение губернатора.",  # э
        "Объявлена угроза.",  # ъ
        "Пострадавших нет, разрушений нет, всё спокойно.",  # ё
        "СБИТЫ ДВА БПЛА",  # upper case
    ],
)
def test_russian_letters(text):
    assert detect(text) == "ru"


@pytest.mark.parametrize(
    "text",
    [
        "Air defences destroyed nine drones over the Smolensk region.",
        "NO ONE WAS INJURED",
        "Kyiv",
        "Ukraine's air force said it downed 45 of 60 drones (Shahed-136).",
        "Sobyanin: ПВО shot down three drones approaching Moscow, the mayor wrote on Telegram.",
    ],
)
def test_english(text):
    assert detect(text) == "en"


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Над городом сбит дрон", "ru"),  # no decisive letters
        ("Збито дрон над містом", "uk"),  # і decides
        ("Над Смоленськом и Києвом", None),  # both cue sets absent/present: must still answer
        ("Объявлена тревога. Оголошено тривогу у Києві.", None),  # ъ and і together
    ],
)
def test_mixed_or_undecided_cyrillic(text, lang):
    got = detect(text)
    assert got in LANGS
    if lang:
        assert got == lang


@pytest.mark.parametrize(
    "text",
    ["", " ", "\n\t", "12345", "!!!???", "🚀💥", "\x00\x01\x02", "שלום", "مرحبا", "漢字かな", "\ud800",
     "İ" * 100, "e\u0301" * 100, "\u200b" * 50],
)
def test_empty_and_garbage_do_not_raise(text):
    assert detect(text) in LANGS


def test_binary_garbage_does_not_raise():
    rng = random.Random(5)
    for _ in range(20):
        assert detect(rng.randbytes(2000).decode("latin-1")) in LANGS
        assert detect(rng.randbytes(2000).decode("utf-8", errors="replace")) in LANGS


def test_only_the_start_is_read_so_long_texts_are_fast():
    text = "Над Смоленской областью сбиты беспилотники. " * 20_000
    assert detect(text) == "ru"


@settings(max_examples=200, deadline=None, database=None)
@given(st.text(max_size=200))
def test_detect_total(text):
    assert detect(text) in LANGS


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Над Смоленской областью сбиты 4 беспилотника.", "ru"),
        ("Над Київщиною збито 4 безпілотники.", "uk"),
        ("Four drones were shot down over the Smolensk region.", "en"),
    ],
)
def test_extract_uses_the_detected_language(text, lang):
    claim = extract(text)
    assert claim.lang == lang
    assert claim.total_destroyed == 4


def test_explicit_language_is_kept():
    assert extract("Над городом сбит дрон", lang="uk").lang == "uk"
