"""A small database for the page tests, written with the models directly (no extractor, no merge).

Times are relative to ``now`` so that "last 24 hours" and "last 7 days" hold whenever the tests run.

- incident ``smolensk``: RU-SMO, 3 h ago; a governor (regional) says 9 drones, nobody hurt, debris fell;
  the MoD (federal) says 10 → a disagreement; a media source whose *name and text* carry XSS payloads;
- incident ``kharkiv``: UA-63, 20 h ago; a Ukrainian statement with no count ("several drones"): every
  count is null ("not disclosed");
- incident ``older``: RU-SMO, 3 days ago, destroyed 4 as a lower bound, English statement;
- statuses: RU-SMO danger open since 2 h ago, UA-63 danger closed 5 h ago (all clear).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from tocsin.domain import Authority, Kind, SourceKind, Weapon
from tocsin.store.models import (
    ClaimRegion,
    ClaimRow,
    Incident,
    IncidentClaim,
    Message,
    MessageVersion,
    RegionStatus,
    RegionStatusValue,
    Source,
)

XSS_NAME = 'Vesti <script>alert("src")</script>'
XSS_TEXT = (
    "<img src=x onerror=alert(1)> Над Смоленской областью уничтожены 10 БПЛА. <script>alert(2)</script>"
)

GOV_TEXT = (
    "Сегодня ночью над Смоленской областью силами ПВО уничтожены 9 БПЛА. "
    "Пострадавших нет. Обломки упали в Вяземском районе, на месте работают оперативные службы."
)
MOD_TEXT = "За прошедшую ночь дежурными средствами ПВО уничтожены 10 БПЛА над территорией Смоленской области."
KHARKIV_TEXT = (
    "Вночі сили ППО збили кілька ворожих дронів над Харківщиною. Інформація про наслідки уточнюється."
)
OLDER_TEXT = "Air defence destroyed at least 4 drones over Smolensk region overnight, the governor said."


@dataclass
class SeedInfo:
    now: datetime
    smolensk: int
    kharkiv: int
    older: int
    gov_claim: int
    mod_claim: int
    media_claim: int
    kharkiv_claim: int


def _span(text: str, words: str) -> list[int]:
    start = text.index(words)
    return [start, start + len(words)]


def _message(session: Session, source: Source, ext: str, text: str, published: datetime, url: str | None):
    m = Message(source_id=source.id, external_id=ext, url=url, lang=None, published_at=published)
    session.add(m)
    session.flush()
    session.add(
        MessageVersion(
            message_id=m.id, version=1, text=text, text_sha256=hashlib.sha256(text.encode()).hexdigest()
        )
    )
    session.flush()
    return m


def _claim(
    session: Session, message: Message, regions: list[tuple[str, int | None]], **values: Any
) -> ClaimRow:
    row = ClaimRow(message_id=message.id, message_version=1, extractor_version="test", **values)
    session.add(row)
    session.flush()
    for pos, (iso, destroyed) in enumerate(regions):
        session.add(ClaimRegion(claim_id=row.id, position=pos, iso=iso, destroyed=destroyed))
    session.flush()
    return row


def _entry(
    value: Any = None, source: str | None = None, claim_id: int | None = None, lb: bool = False
) -> dict:
    return {"value": value, "source": source, "claim_id": claim_id, "lower_bound": lb}


FIELDS = (
    "destroyed",
    "total_destroyed",
    "launched",
    "killed",
    "injured",
    "infrastructure_damage",
    "debris_fell",
    "fire",
    "emergency_response",
    "weapon",
    "interceptors",
    "period",
)


def _consensus(**given: dict) -> dict:
    return {name: given.get(name, _entry()) for name in FIELDS}


def _incident(
    session: Session,
    iso: str,
    start: datetime,
    end: datetime,
    consensus: dict,
    claims: list,
    disagreements: list | None = None,
    **kw: Any,
) -> Incident:
    inc = Incident(
        key=f"{iso}:{start:%Y-%m-%dT%H}",
        iso=iso,
        window_start=start,
        window_end=end,
        time_precision=kw.get("time_precision", 1),
        geo_precision=kw.get("geo_precision", 3),
        kind=kw.get("kind", Kind.INTERCEPTION),
        consensus=consensus,
        disagreements=disagreements or [],
    )
    session.add(inc)
    session.flush()
    for c in claims:
        session.add(IncidentClaim(incident_id=inc.id, claim_id=c.id, iso=iso))
    session.flush()
    return inc


def seed(engine: Engine, now: datetime | None = None) -> SeedInfo:
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    with Session(engine, expire_on_commit=False) as s, s.begin():
        gov = Source(
            name="Губернатор Смоленской области",
            kind=SourceKind.TELEGRAM_WEB,
            authority=Authority.REGIONAL,
            url="https://t.me/s/smolensk_gov",
            poll_interval_s=300,
            enabled=True,
            last_fetched_at=now - timedelta(minutes=4),
        )
        mod = Source(
            name="Минобороны России",
            kind=SourceKind.TELEGRAM_WEB,
            authority=Authority.FEDERAL,
            url="https://t.me/s/mod_russia",
            poll_interval_s=300,
            enabled=True,
            last_fetched_at=now - timedelta(minutes=2),
            last_error="HTTP 503 <b>Service Unavailable</b>",
        )
        media = Source(
            name=XSS_NAME,
            kind=SourceKind.FEED,
            authority=Authority.MEDIA,
            url="javascript:alert(3)",
            poll_interval_s=900,
            enabled=True,
        )
        kh = Source(
            name="Харківська ОВА",
            kind=SourceKind.TELEGRAM_EXPORT,
            authority=Authority.REGIONAL,
            url="/srv/imports/kharkiv.json",
            poll_interval_s=None,
            enabled=True,
        )
        s.add_all([gov, mod, media, kh])
        s.flush()

        t0 = now - timedelta(hours=3)
        m_gov = _message(s, gov, "101", GOV_TEXT, t0 + timedelta(minutes=30), "https://t.me/smolensk_gov/101")
        m_mod = _message(s, mod, "55", MOD_TEXT, t0 + timedelta(minutes=50), "https://t.me/mod_russia/55")
        m_media = _message(s, media, "x1", XSS_TEXT, t0 + timedelta(minutes=70), "javascript:alert(4)")
        c_gov = _claim(
            s,
            m_gov,
            [("RU-SMO", 9)],
            kind=Kind.INTERCEPTION,
            weapon=Weapon.UAV,
            total_destroyed=9,
            killed=0,
            injured=0,
            debris_fell=True,
            emergency_response=True,
            interceptors=["air_defense"],
            period_text="Сегодня ночью",
            lang="ru",
            evidence={
                "total_destroyed": [_span(GOV_TEXT, "уничтожены 9 БПЛА")],
                "per_region": [_span(GOV_TEXT, "над Смоленской областью")],
                "killed": [_span(GOV_TEXT, "Пострадавших нет")],
                "injured": [_span(GOV_TEXT, "Пострадавших нет")],
                "debris_fell": [_span(GOV_TEXT, "Обломки упали")],
                "emergency_response": [_span(GOV_TEXT, "работают оперативные службы")],
                "interceptors": [_span(GOV_TEXT, "силами ПВО")],
                "weapon": [_span(GOV_TEXT, "БПЛА")],
                "period": [_span(GOV_TEXT, "Сегодня ночью")],
            },
        )
        c_mod = _claim(
            s,
            m_mod,
            [("RU-SMO", 10)],
            kind=Kind.INTERCEPTION,
            weapon=Weapon.UAV,
            total_destroyed=10,
            interceptors=["air_defense"],
            period_text="За прошедшую ночь",
            lang="ru",
            evidence={
                "total_destroyed": [_span(MOD_TEXT, "уничтожены 10 БПЛА")],
                "per_region": [_span(MOD_TEXT, "Смоленской области")],
            },
        )
        c_media = _claim(
            s,
            m_media,
            [("RU-SMO", 10)],
            kind=Kind.INTERCEPTION,
            weapon=Weapon.UAV,
            total_destroyed=10,
            lang="ru",
            evidence={
                "total_destroyed": [_span(XSS_TEXT, "уничтожены 10 БПЛА")],
                "per_region": [_span(XSS_TEXT, "Над Смоленской областью")],
            },
        )
        smolensk = _incident(
            s,
            "RU-SMO",
            t0 - timedelta(hours=6),
            t0 + timedelta(minutes=70),
            _consensus(
                destroyed=_entry(9, gov.name, c_gov.id),
                total_destroyed=_entry(9, gov.name, c_gov.id, True),
                killed=_entry(0, gov.name, c_gov.id),
                injured=_entry(0, gov.name, c_gov.id),
                debris_fell=_entry(True, gov.name, c_gov.id),
                emergency_response=_entry(True, gov.name, c_gov.id),
                weapon=_entry("uav", gov.name, c_gov.id),
                interceptors=_entry(["air_defense"], gov.name, c_gov.id),
                period=_entry({"text": "Сегодня ночью", "start": None, "end": None}, gov.name, c_gov.id),
            ),
            [c_gov, c_mod, c_media],
            disagreements=[
                {
                    "field": "destroyed",
                    "values": [
                        {"value": 9, "source": gov.name, "claim_id": c_gov.id},
                        {"value": 10, "source": mod.name, "claim_id": c_mod.id},
                        {"value": 10, "source": media.name, "claim_id": c_media.id},
                    ],
                    "line": f"destroyed: 9 ({gov.name}) vs 10 ({mod.name}) vs 10 ({media.name})",
                }
            ],
            geo_precision=2,
        )

        t1 = now - timedelta(hours=20)
        m_kh = _message(s, kh, "7", KHARKIV_TEXT, t1, None)
        c_kh = _claim(
            s,
            m_kh,
            [("UA-63", None)],
            kind=Kind.INTERCEPTION,
            weapon=Weapon.UAV,
            interceptors=["air_defense"],
            period_text="Вночі",
            lang="uk",
            evidence={
                "per_region": [_span(KHARKIV_TEXT, "над Харківщиною")],
                "weapon": [_span(KHARKIV_TEXT, "дронів")],
                "interceptors": [_span(KHARKIV_TEXT, "сили ППО")],
            },
        )
        kharkiv = _incident(
            s,
            "UA-63",
            t1 - timedelta(hours=8),
            t1,
            _consensus(
                weapon=_entry("uav", kh.name, c_kh.id), interceptors=_entry(["air_defense"], kh.name, c_kh.id)
            ),
            [c_kh],
        )

        t2 = now - timedelta(days=3)
        m_old = _message(s, gov, "90", OLDER_TEXT, t2, "https://t.me/smolensk_gov/90")
        c_old = _claim(
            s,
            m_old,
            [("RU-SMO", 4)],
            kind=Kind.INTERCEPTION,
            weapon=Weapon.UAV,
            total_destroyed=4,
            lang="en",
            evidence={
                "total_destroyed": [_span(OLDER_TEXT, "destroyed at least 4 drones")],
                "per_region": [_span(OLDER_TEXT, "over Smolensk region")],
            },
        )
        older = _incident(
            s,
            "RU-SMO",
            t2 - timedelta(hours=8),
            t2,
            _consensus(
                destroyed=_entry(4, gov.name, c_old.id, True), total_destroyed=_entry(4, gov.name, c_old.id)
            ),
            [c_old],
        )

        s.add_all(
            [
                RegionStatus(
                    iso="RU-SMO",
                    status=RegionStatusValue.DANGER,
                    weapon=Weapon.UAV,
                    started_at=now - timedelta(hours=2),
                    ended_at=None,
                    message_id=m_gov.id,
                ),
                RegionStatus(
                    iso="UA-63",
                    status=RegionStatusValue.DANGER,
                    weapon=None,
                    started_at=now - timedelta(hours=9),
                    ended_at=now - timedelta(hours=5),
                    message_id=m_kh.id,
                ),
            ]
        )
    return SeedInfo(now, smolensk.id, kharkiv.id, older.id, c_gov.id, c_mod.id, c_media.id, c_kh.id)
