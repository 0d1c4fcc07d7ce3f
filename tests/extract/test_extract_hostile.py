"""Hostile input: empty, huge, binary, pathological repetitions, odd Unicode, wrong types and values.

Nothing may crash or hang; every evidence span stays inside the text; input that is not a statement
raises ``ExtractionError`` (a ``ValueError``) with a message saying what is wrong.
"""

from __future__ import annotations

import json
import random
import time
from datetime import date, datetime

import pytest

from tocsin.extract import MAX_CHARS, ExtractionError, extract

HANG_GUARD_S = 20.0  # a guard against hangs and quadratic blow-ups, not a speed test

REALISTIC = (
    "В течение прошедшей ночи дежурными средствами ПВО уничтожены 12 беспилотников: 7 – над "
    "территорией Смоленской области, 5 – над акваторией Черного моря. Губернатор Василий Анохин "
    "сообщил, что пострадавших нет, на месте падения обломков работают экстренные службы. "
    "С 20:00 до 23:30 по московскому времени отражена атака. Над Київщиною збито 4 дрони. "
    "Air defences destroyed nine drones over the Kursk region; no one was injured.\n"
)


def check(text: str, lang: str | None = None, published=None) -> dict:
    started = time.perf_counter()
    contract = extract(text, lang=lang, published=published).to_contract()
    elapsed = time.perf_counter() - started
    assert elapsed < HANG_GUARD_S, f"took {elapsed:.1f} s"
    json.dumps(contract, ensure_ascii=False)
    for field, spans in contract["evidence"].items():
        for start, end in spans:
            assert 0 <= start < end <= len(text), (field, start, end, len(text))
    return contract


@pytest.mark.parametrize("text", ["", " ", "   \n\t\r\n  ", "\u00a0\u2009\u202f", "\n" * 1000, ".", "—"])
@pytest.mark.parametrize("lang", [None, "ru", "uk", "en"])
def test_empty_and_whitespace(text, lang):
    got = check(text, lang)
    assert got["kind"] == "not_incident"
    assert got["per_region"] == [] and got["interceptors"] == []
    assert got["total_destroyed"] is None and got["killed"] is None and got["injured"] is None


def test_one_megabyte_is_refused():
    text = REALISTIC * (1_000_000 // len(REALISTIC) + 1)
    with pytest.raises(ExtractionError, match="too long"):
        extract(text)


def test_just_over_the_limit_is_refused_and_the_limit_itself_is_accepted():
    with pytest.raises(ExtractionError, match=rf"too long.*{MAX_CHARS}"):
        extract("x" * (MAX_CHARS + 1))
    check("x" * MAX_CHARS)


def test_realistic_text_just_under_the_limit_finishes():
    text = (REALISTIC * (199_999 // len(REALISTIC) + 1))[:199_999]
    assert len(text) == 199_999 < MAX_CHARS
    got = check(text)
    assert got["kind"] == "interception"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_binary_garbage_as_latin1(seed):
    data = random.Random(seed).randbytes(50_000)
    check(data.decode("latin-1"))
    check(data.decode("latin-1"), "ru")


def test_html_with_scripts():
    text = (
        "<html><head><script>var x = '<b>сбиты 5 беспилотников</b>'; for(;;){}</script>"
        "<style>.a{color:red}</style></head><body><p>Над&nbsp;Смоленской областью сбиты "
        "<b>3</b> беспилотника.</p><!-- ПВО --><a href='http://x/?q=1&amp;r=2'>ссылка</a></body></html>"
    ) * 200
    check(text)


def test_ten_thousand_digits():
    check("7" * 10_000)
    check("Уничтожено " + "9" * 10_000 + " беспилотников над Смоленской областью.")
    check(" ".join("1234567890" for _ in range(1000)))


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("с 20:00 до " * 10_000, id="clock-windows"),
        pytest.param("Смоленской " * 15_000, id="region-adjective"),
        pytest.param("Смоленской области " * 8_000, id="region-phrase"),
        pytest.param("ПВО " * 20_000, id="air-defence"),
        pytest.param("сбиты " * 20_000, id="destroy-verb"),
        pytest.param("5 – над " * 10_000, id="list-items"),
        pytest.param("(" * 50_000, id="open-parens"),
        pytest.param("((((сбит))))" * 5_000, id="nested-parens"),
        pytest.param("двадцать " * 15_000, id="number-words"),
        pytest.param("тысяч " * 15_000, id="scale-words"),
        pytest.param("не менее " * 15_000, id="qualifiers"),
        pytest.param("Київщиною " * 15_000, id="uk-region"),
        pytest.param("over the Kursk region " * 8_000, id="en-region"),
        pytest.param("." * 100_000, id="full-stops"),
        pytest.param("- " * 80_000, id="dashes"),
        pytest.param("a" * 150_000, id="one-long-word"),
        pytest.param("дев'ять-" * 20_000, id="apostrophe-hyphen-chain"),
    ],
)
def test_pathological_repetitions(text):
    assert len(text) <= MAX_CHARS
    check(text)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("🚀💥🛩️" * 20_000, id="emoji-flood"),
        pytest.param("Над Смоленской 🚀 областью сбиты 💥 5 🛩️ беспилотников 👍🏽👨‍👩‍👧", id="emoji-inside"),
        pytest.param("\u202eНад Смоленской областью сбиты 5 беспилотников\u202c", id="rtl-override"),
        pytest.param("שלום עולם مرحبا بالعالم " * 2_000, id="rtl-scripts"),
        pytest.param(
            "Над\u200bСмоленской\u200cобластью\u200dсбиты\ufeff5\u2060беспилотников", id="zero-width"
        ),
        pytest.param("Над Смоле\u0301нской областью сбиты 5\u0336 беспилотников", id="combining"),
        pytest.param("e\u0301" * 50_000, id="combining-flood"),
        pytest.param("İ" * 10_000 + " сбиты 5 беспилотников", id="dotted-capital-i"),
        pytest.param(
            "İstanbul İzmir ẞ ﬁ ŉ ǰ ΐ ΰ İ сбиты 5 беспилотников над Курской областью", id="longer-lower"
        ),
        pytest.param("Над СМОЛЕНСКОЙ ОБЛАСТЬЮ СБИТЫ 5 БЕСПИЛОТНИКОВ İ", id="upper-with-dotted-i"),
        pytest.param("\ud800\udfff surrogates", id="lone-surrogates"),
        pytest.param("\x00\x01\x02\x7f сбиты 5 \x1b[31mбеспилотников\x1b[0m", id="control-chars"),
        pytest.param("\u2028\u2029\x85\x0b\x0c" * 10_000, id="unicode-line-breaks"),
        pytest.param("𝟓 беспилотников сбиты над Курской областью ５ ٥ ৫", id="non-ascii-digits"),
    ],
)
def test_odd_unicode(text):
    got = check(text)
    assert got["lang"] in ("ru", "uk", "en")


def test_characters_whose_lower_case_is_longer_keep_offsets():
    text = "İİİ Над Смоленской областью сбиты 5 беспилотников."
    got = check(text)
    assert got["total_destroyed"] == 5
    (start, end), *_ = got["evidence"]["total_destroyed"]
    assert text[start:end] == "5"
    assert any(text[a:b].startswith("Смоленск") for a, b in got["evidence"]["per_region"])


@pytest.mark.parametrize("text", [None, 123, 4.5, b"bytes", ["list"], {"text": "x"}, object()])
def test_non_string_text(text):
    with pytest.raises(ExtractionError, match="must be a string"):
        extract(text)


@pytest.mark.parametrize(
    "published",
    ["yesterday", 12345, "2025-13-45", "2025-02-30", [2025], "вчера", "2025-09-06T25:00", "x" * 100],
)
def test_bad_published(published):
    with pytest.raises(ExtractionError, match="published") as info:
        extract("Над Смоленской областью сбиты 5 беспилотников.", published=published)
    assert repr(published) in str(info.value)


@pytest.mark.parametrize(
    "published",
    [None, "", "  ", "2025-09-06", "2025-09-06T08:15:00+03:00", "2025-09-06T08:15:00", date(2025, 9, 6),
     datetime(2025, 9, 6, 8, 15)],
)
def test_good_published(published):
    """Empty or blank ``published`` means "not given", like None."""
    check("С 20:00 до 23:00 над Смоленской областью сбиты 5 беспилотников.", published=published)


@pytest.mark.parametrize("lang", ["de", "RU", "", "russian", 7, "ru "])
def test_bad_lang(lang):
    with pytest.raises(ExtractionError, match="language"):
        extract("Над Смоленской областью сбиты 5 беспилотников.", lang=lang)


def test_extraction_error_is_a_value_error():
    assert issubclass(ExtractionError, ValueError)


@pytest.mark.parametrize("lang", ["ru", "uk", "en"])
def test_wrong_language_forced(lang):
    """A Russian, Ukrainian or English text read with the wrong lexicon still does not crash."""
    for text in ("Над Смоленской областью сбиты 5 беспилотников.", "Над Київщиною збито 4 дрони.",
                 "Nine drones were shot down over the Kursk region."):
        check(text, lang)
