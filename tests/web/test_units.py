"""Page building blocks without a database: quote marks, language choice, catalogs, charts, CSP."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from tocsin.settings import Settings
from tocsin.web import charts
from tocsin.web.app import content_security_policy, tile_origin
from tocsin.web.i18n import LANGS, Formatter, load_translations, parse_accept_language, pick_lang
from tocsin.web.routes.public import mark_text
from web import catalogs
from web.htmlcheck import find, parse


def test_catalogs_are_complete() -> None:
    """Every msgid of the templates and page code is translated in ru, uk and en (and none is stale)."""
    assert catalogs.problems() == []


@pytest.mark.parametrize("lang", LANGS)
def test_catalogs_load_with_plurals(lang: str) -> None:
    t = load_translations(lang)
    assert (
        t.gettext("not disclosed") == {"ru": "не раскрыто", "uk": "не розкрито", "en": "not disclosed"}[lang]
    )
    forms = [t.ngettext("%(num)d source", "%(num)d sources", n) % {"num": n} for n in (1, 3, 5, 21)]
    expected = {
        "ru": ["1 источник", "3 источника", "5 источников", "21 источник"],
        "uk": ["1 джерело", "3 джерела", "5 джерел", "21 джерело"],
        "en": ["1 source", "3 sources", "5 sources", "21 sources"],
    }
    assert forms == expected[lang]


def test_accept_language() -> None:
    assert parse_accept_language("uk-UA,uk;q=0.9,ru;q=0.8,en-US;q=0.7") == ["uk", "ru", "en"]
    assert parse_accept_language("de, en;q=0.1, ru;q=0.5") == ["ru", "en"]
    assert parse_accept_language("ru;q=0, en") == ["en"]
    assert parse_accept_language("ru;q=abc, uk") == ["uk"]
    assert parse_accept_language("") == [] and parse_accept_language(None) == []
    assert parse_accept_language("x" * 5000) == []


def test_pick_lang_order() -> None:
    assert pick_lang("uk", "ru", "en", "en") == "uk"
    assert pick_lang(None, "ru", "uk", "en") == "ru"
    assert pick_lang("zz", "zz", "uk", "en") == "uk"
    assert pick_lang(None, None, None, "ru") == "ru"
    assert pick_lang(None, None, None, "nonsense") == "en"


def test_formatter_dates_per_locale() -> None:
    dt = datetime(2025, 9, 5, 21, 40, tzinfo=UTC)
    msk = ZoneInfo("Europe/Moscow")
    assert (
        Formatter("en").short(dt, msk) == "6 Sept, 00:40" or Formatter("en").short(dt, msk) == "6 Sep, 00:40"
    )
    assert Formatter("ru").short(dt, msk).startswith("6 сент")
    assert Formatter("uk").short(dt, msk).startswith("6 вер")
    assert Formatter("ru").zone(dt, msk) == "UTC+3"
    assert Formatter("ru").number(12000) == "12\xa0000"


def _marks(markup: str) -> dict[str, str]:
    return {m.attrs["id"]: m.text for m in find(parse(f"<p>{markup}</p>"), "mark") if m.attrs.get("id")}


def test_mark_text_wraps_spans_and_escapes() -> None:
    text = "<b>9</b> drones & more"
    d = text.index("drones")
    out = str(mark_text(text, [("a", "g1", 3, 4), ("b", "g2", d, d + 1)]))
    assert "<b>" not in out and "&lt;b&gt;" in out and "&amp;" in out
    assert _marks(out) == {"a": "9", "b": "d"}


def test_mark_text_nested_crossing_and_same_spans() -> None:
    text = "Над Смоленской областью уничтожены 9 БПЛА."
    spans = [
        ("outer", "g-total", 24, 41),  # "уничтожены 9 БПЛА"
        ("inner", "g-weapon", 37, 41),  # "БПЛА", inside
        ("cross", "g-x", 15, 30),  # crosses "outer"
        ("same", "g-dup", 24, 41),  # the same words as "outer"
        ("bad", "g-bad", 40, 400),  # outside the text: dropped
    ]
    out = str(mark_text(text, spans))
    marks = _marks(out)
    assert set(marks) == {"outer", "inner", "cross", "same"}  # every id is a link target; "bad" dropped
    assert marks["inner"] == "БПЛА" and marks["cross"] == text[15:30]
    assert parse(f"<p>{out}</p>")[0].text == text  # no text lost or doubled
    # every character of every span lies inside a mark of its group (crossing spans are split, not cut)
    els = find(parse(f"<p>{out}</p>"), "mark")
    for _, group, s, e in spans[:4]:
        covered = "".join(
            m.text
            for m in els
            if group in m.attrs["data-ev"].split() and not _has_group_parent(m, els, group)
        )
        assert covered == text[s:e], group


def _has_group_parent(mark, els, group) -> bool:
    """True when an enclosing mark of the same group already counts this mark's text."""
    for other in els:
        if other is not mark and group in other.attrs["data-ev"].split() and _contains(other, mark):
            return True
    return False


def _contains(parent, child) -> bool:
    return any(c is child or _contains(c, child) for c in parent.children)


def test_mark_text_without_spans_is_the_escaped_text() -> None:
    assert str(mark_text("a < b", [])) == "a &lt; b"
    assert str(mark_text("", [("x", "g", 0, 1)])) == ""


def test_charts_keep_undisclosed_apart() -> None:
    buckets = [charts.Bucket("1", 2, 1, 7), charts.Bucket("2", 1, 1, None), charts.Bucket("3", 0, 0, None)]
    text = charts.ChartText("T", "stated", "undisclosed", "destroyed", "none")
    svg = charts.incidents_chart(buckets, text)
    assert "undisclosed" in svg and "<script" not in svg
    assert svg == charts.incidents_chart(buckets, text)  # deterministic: ETags hold
    destroyed = charts.destroyed_chart(buckets, text)
    # one bar only (bucket 1): buckets with no stated count are gaps, not zero-height bars
    assert destroyed.count('class="rect reactive tooltip-trigger"') == 1
    assert charts._y_labels(7) == [0, 2, 4, 6, 8] and charts._y_labels(0) == [0, 1]


def test_tile_host_in_csp() -> None:
    assert tile_origin("") is None
    assert (
        tile_origin("https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png")
        == "https://*.tile.openstreetmap.org"
    )
    assert tile_origin("http://tiles.local:8080/{z}/{x}/{y}.png") == "http://tiles.local:8080"
    assert tile_origin("javascript:alert(1)") is None
    csp = content_security_policy(Settings(tile_url="https://tile.openstreetmap.org/{z}/{x}/{y}.png"))
    assert "img-src 'self' data: https://tile.openstreetmap.org;" in csp
    assert "img-src 'self' data:;" in content_security_policy(Settings())


def test_settings_from_env() -> None:
    s = Settings.from_env(
        {
            "TOCSIN_TILE_URL": "https://t.example/{z}/{x}/{y}.png",
            "TOCSIN_DEFAULT_LANG": "uk",
            "TOCSIN_MAX_BODY_BYTES": "2048",
        }
    )
    assert (s.tile_url, s.default_lang, s.max_body_bytes) == ("https://t.example/{z}/{x}/{y}.png", "uk", 2048)
