"""Languages of the public pages: choosing one per request, gettext catalogs, Babel formatting.

- ``LANGS``: the page languages (ru, uk, en); msgids are English.
- ``pick_lang(query, cookie, accept_language, default)``: ``?lang=`` first, then the ``lang`` cookie, then the
  browser's Accept-Language (quality-ordered), then the deployment default.
- ``load_translations()``: reads ``locale/<lang>/LC_MESSAGES/tocsin.po`` with
  ``babel.messages.pofile.read_po`` and compiles it in memory into a ``babel.support.Translations`` (a
  ``gettext.GNUTranslations``); no .mo file is kept in the repository. Fuzzy and empty entries fall back
  to the English msgid.
- ``Formatter``: dates, times, numbers and durations in one language (Babel), for templates.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import cache
from importlib import resources

from babel import Locale
from babel.dates import format_date, format_datetime, format_time, format_timedelta
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations

LANGS: tuple[str, ...] = ("ru", "uk", "en")
LANG_NAMES = {"ru": "Русский", "uk": "Українська", "en": "English"}
COOKIE = "lang"
DOMAIN = "tocsin"


def normalize_lang(value: str | None) -> str | None:
    """``"uk-UA"`` → ``"uk"``; anything that is not one of ``LANGS`` → None."""
    if not value:
        return None
    code = value.strip().lower().replace("_", "-").split("-")[0]
    return code if code in LANGS else None


def parse_accept_language(header: str | None) -> list[str]:
    """The page languages the header asks for, best first (``q=0`` dropped, malformed entries skipped)."""
    if not header:
        return []
    ranked: list[tuple[float, int, str]] = []
    for pos, part in enumerate(header[:1000].split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        for p in params.split(";"):
            name, _, val = p.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(val)
                except ValueError:
                    q = 0.0
        lang = normalize_lang(tag)
        if lang and q > 0:
            ranked.append((-q, pos, lang))
    out: list[str] = []
    for _, _, lang in sorted(ranked):
        if lang not in out:
            out.append(lang)
    return out


def pick_lang(query: str | None, cookie: str | None, accept_language: str | None, default: str) -> str:
    """The language of one response (see the module docstring for the order)."""
    for candidate in (normalize_lang(query), normalize_lang(cookie)):
        if candidate:
            return candidate
    asked = parse_accept_language(accept_language)
    if asked:
        return asked[0]
    return normalize_lang(default) or "en"


def catalog_path(lang: str):
    return resources.files("tocsin.web") / "locale" / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def catalog_paths(lang: str) -> list:
    """Every catalog of ``lang``: ``tocsin.po`` (the public pages) first, then the others by name
    (``ops.po``, ``reports.po`` …: one per area of the site, so each area's strings are kept together)."""
    folder = resources.files("tocsin.web") / "locale" / lang / "LC_MESSAGES"
    others = sorted(
        (p for p in folder.iterdir() if p.name.endswith(".po") and p.name != f"{DOMAIN}.po"),
        key=lambda p: p.name,
    )
    return [catalog_path(lang), *others]


@cache
def load_translations(lang: str) -> Translations:
    """The compiled catalogs of ``lang``, merged into one (cached). English has catalogs too (msgstr =
    msgid)."""
    catalog = None
    for path in catalog_paths(lang):
        with path.open("rb") as f:
            part = read_po(f, locale=lang, domain=DOMAIN)
        if catalog is None:
            catalog = part
            continue
        for message in part:
            if message.id and message.id not in catalog:
                catalog[message.id] = message
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    return Translations(fp=buf, domain=DOMAIN)


@dataclass(frozen=True)
class Formatter:
    """Locale-aware formatting for one language; times are shown in ``tz`` (a region's local zone)."""

    lang: str

    @property
    def locale(self) -> Locale:
        return Locale.parse(self.lang)

    def datetime(self, value: datetime | str | None, tz: tzinfo | None = None) -> str:
        """``"26 Nov 2025, 12:07"``-style: the locale's medium date and a 24-hour time, in ``tz``."""
        dt = _as_dt(value)
        if dt is None:
            return ""
        local = dt.astimezone(tz or UTC)
        return f"{format_date(local.date(), 'medium', locale=self.lang)}, {local:%H:%M}"

    def short(self, value: datetime | str | None, tz: tzinfo | None = None) -> str:
        """``"5 Sep, 22:40"``-style: day, month and time (no year), for timelines."""
        dt = _as_dt(value)
        if dt is None:
            return ""
        skeleton = format_datetime(dt, "d MMM", tzinfo=tz or UTC, locale=self.lang)
        return f"{skeleton}, {format_time(dt, 'HH:mm', tzinfo=tz or UTC, locale=self.lang)}"

    def date(self, value: date | datetime | str | None, fmt: str = "medium") -> str:
        """A calendar date (a datetime is taken as it is, in its own zone)."""
        if isinstance(value, date) and not isinstance(value, datetime):
            return format_date(value, format=fmt, locale=self.lang)
        dt = _as_dt(value)
        if dt is None:
            return ""
        return format_date(dt.date(), format=fmt, locale=self.lang)

    def time(self, value: datetime | str | None, tz: tzinfo | None = None) -> str:
        dt = _as_dt(value)
        if dt is None:
            return ""
        return format_time(dt, "HH:mm", tzinfo=tz or UTC, locale=self.lang)

    def zone(self, value: datetime | str | None, tz: tzinfo | None = None) -> str:
        """The UTC offset in force at that time in ``tz``, e.g. ``"UTC+3"``."""
        dt = _as_dt(value)
        if dt is None:
            return ""
        off = dt.astimezone(tz or UTC).utcoffset() or timedelta(0)
        minutes = int(off.total_seconds() // 60)
        sign = "+" if minutes >= 0 else "−"
        h, m = divmod(abs(minutes), 60)
        return f"UTC{sign}{h}" + (f":{m:02d}" if m else "")

    def number(self, value: int | float | None) -> str:
        return "" if value is None else format_decimal(value, locale=self.lang)

    def ago(self, value: datetime | str | None, now: datetime | None = None) -> str:
        """``"3 hours ago"`` in the page language."""
        dt = _as_dt(value)
        if dt is None:
            return ""
        delta = dt - (now or datetime.now(UTC))
        return format_timedelta(delta, add_direction=True, threshold=1.0, locale=self.lang)

    def duration(self, start: datetime | str | None, end: datetime | str | None) -> str:
        a, b = _as_dt(start), _as_dt(end)
        if a is None or b is None:
            return ""
        return format_timedelta(b - a, threshold=1.0, locale=self.lang)


def _as_dt(value: datetime | str | None) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value
