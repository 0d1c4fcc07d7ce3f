"""A small, realistic database for the API tests: three sources (a governor, the ministry, a news agency),
statements in Russian, Ukrainian and English over a few nights, alerts and all-clears, an edited message —
stored through the real pipeline (``tocsin.ingest``: extractor, merge, region statuses).

``seed(engine)`` returns what the tests need to know about it (``SeedInfo``). Texts are written for the
tests; every figure a statement leaves out must come back as null, never 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from tocsin.domain import Authority, SourceItem, SourceKind
from tocsin.ingest import SourceSpec, ingest

T0 = datetime(2025, 9, 1, 4, 30, tzinfo=UTC)  # 07:30 Moscow time

GOVERNOR = SourceSpec(
    "smolensk_governor", SourceKind.JSONL, Authority.REGIONAL, "https://t.me/s/smolensk_gov"
)
MOD = SourceSpec("mod_bulletin", SourceKind.JSONL, Authority.FEDERAL, "https://example.org/mod")
NEWS = SourceSpec("wire_news", SourceKind.JSONL, Authority.MEDIA, "/srv/private/import/wire.jsonl")
UKR = SourceSpec("kharkiv_ova", SourceKind.JSONL, Authority.REGIONAL, "https://t.me/s/kharkiv_ova")

XSS = "<script>alert(1)</script>"


def _night(day: int) -> datetime:
    return T0 + timedelta(days=day)


def governor_items(nights: int) -> list[SourceItem]:
    items = []
    for d in range(nights):
        n = 3 + d
        if d % 3 == 2:
            text = (
                "Ночью над Смоленской областью дежурными средствами ПВО уничтожены беспилотники. "
                "На месте падения обломков работают экстренные службы."
            )
        else:
            text = (
                f"Этой ночью над территорией Смоленской области сбиты {n} БПЛА. "
                "Пострадавших нет, разрушений нет."
            )
        items.append(
            SourceItem(f"g{d}", text, _night(d), url=f"https://t.me/smolensk_gov/{100 + d}", lang="ru")
        )
    # an alert and its all-clear on the last evening, and an alert still in force
    last = _night(nights - 1) + timedelta(hours=12)
    items.append(SourceItem("g-alert-1", "Угроза атаки БПЛА в Смоленской области.", last, lang="ru"))
    items.append(
        SourceItem(
            "g-clear-1", "Отбой угрозы атаки БПЛА в Смоленской области.", last + timedelta(hours=1), lang="ru"
        )
    )
    items.append(
        SourceItem(
            "g-alert-2", "Угроза атаки БПЛА в Смоленской области.", last + timedelta(hours=6), lang="ru"
        )
    )
    return items


def mod_items(nights: int) -> list[SourceItem]:
    items = []
    for d in range(nights):
        sm = 3 + d + (1 if d == 1 else 0)  # night 1: the ministry says one more than the governor
        text = (
            f"Минувшей ночью дежурными средствами ПВО перехвачены и уничтожены {sm + 5} украинских "
            f"беспилотных летательных аппаратов: {sm} – над территорией Смоленской области, "
            f"5 – над территорией Брянской области."
        )
        items.append(SourceItem(f"m{d}", text, _night(d) + timedelta(minutes=20), lang="ru"))
    return items


def news_items(nights: int) -> list[SourceItem]:
    return [
        SourceItem(
            f"n{d}",
            f"Air defences shot down drones over the Kursk region overnight, the governor said. {XSS}",
            _night(d) + timedelta(minutes=40),
            url=f"https://example.org/news/{d}",
            lang="en",
        )
        for d in range(nights)
    ]


def ukr_items(nights: int) -> list[SourceItem]:
    return [
        SourceItem(
            f"k{d}",
            f"Вночі над Харківщиною сили ППО знищили {2 + d} ударних БпЛА. Постраждалих немає.",
            _night(d) + timedelta(hours=-1),
            url=f"https://t.me/kharkiv_ova/{d}",
            lang="uk",
        )
        for d in range(nights)
    ]


@dataclass
class SeedInfo:
    nights: int
    sources: int
    messages: int


def seed(engine: Engine, nights: int = 6) -> SeedInfo:
    """Fill a migrated database through the ingest pipeline."""
    total = 0
    for spec, items in (
        (GOVERNOR, governor_items(nights)),
        (MOD, mod_items(nights)),
        (NEWS, news_items(nights)),
        (UKR, ukr_items(nights)),
    ):
        summary = ingest(engine, spec, items)
        assert not summary.rejected, summary.rejected
        total += len(items)
    return SeedInfo(nights=nights, sources=4, messages=total)
