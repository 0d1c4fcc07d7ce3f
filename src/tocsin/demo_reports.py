"""Demo data for the operators' side: the seed night's residents' reports, crews, dispatches, an account.

The seed night (``tocsin.demo``: the governor's post "nine UAVs destroyed over Smolensk region … emergency
services are sent to where the debris fell", published at 08:15 Moscow time on the last demo morning)
continues here the way tocsin is meant to carry it on: residents report debris and damage from Smolensk,
Vyazma and Roslavl districts through the same library call as the report form (``tocsin.reports``); two
reports of one fallen drone become one cluster; an operator triages; a dispatcher sends the explosive
ordnance team and a fire crew, which reach the scene; one report is a duplicate, one is rejected. Every
step goes through ``tocsin.triage`` / ``tocsin.dispatch`` and leaves its audit Events.

A demo dispatcher account is created with a random password (printed once by ``tocsin serve``), so the
operators' side can be opened at ``/ops/`` — demo data only; real accounts come from ``tocsin user add``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from tocsin import accounts, dispatch, reports, triage
from tocsin.domain import DispatchStatus, ReportStatus, Role
from tocsin.photos import PhotoStore
from tocsin.settings import Settings
from tocsin.store.engine import session_scope
from tocsin.store.models import Incident, User

MSK = ZoneInfo("Europe/Moscow")
DEMO_USER = "demo-dispatcher"

UNITS = (
    ("ПСЧ-3 Смоленск", "fire crew"),
    ("Группа разминирования № 1", "explosive ordnance team"),
    ("АСФ Вязьма", "rescue team"),
    ("Бригада СМП 12", "ambulance"),
    ("Аварийная служба Смоленскэнерго", "utility crew"),
)

# (minutes after 08:15 MSK on the seed morning, category, lat, lon, settlement typed, description, lang)
REPORTS: tuple[tuple[int, str, float | None, float | None, str | None, str, str], ...] = (
    (
        -290,
        "debris",
        54.7712,
        32.0931,
        None,
        "Обломки беспилотника на пустыре за гаражами, рядом играют дети. Никто не подходил.",
        "ru",
    ),
    (
        -280,
        "debris",
        54.7716,
        32.0942,
        None,
        "За гаражами у Кловки лежат куски пластика и крыло, пахнет горелым.",
        "ru",
    ),
    (
        -250,
        "damage",
        55.2105,
        34.2969,
        None,
        "Выбиты стёкла в двух окнах на втором этаже, на асфальте осколки.",
        "ru",
    ),
    (
        -200,
        "suspicious_object",
        None,
        None,
        "Рославль",
        "В поле у дороги на Козловку непонятный металлический предмет, около метра длиной.",
        "ru",
    ),
    (-160, "fire", 54.8012, 32.0105, None, "Горит сухая трава на месте падения, огонь идёт к дачам.", "ru"),
    (
        -120,
        "debris",
        54.7714,
        32.0937,
        None,
        "Same place behind the garages: fragments of a drone, people are taking photos close up.",
        "en",
    ),
    (-60, "other", None, None, "Смоленск", "Сильный хлопок ночью, больше ничего не видел.", "ru"),
    (15, "damage", 55.2099, 34.2981, None, "Пошкоджено дах гаража уламками.", "uk"),
)


@dataclass
class DemoReportsSummary:
    reports: int
    units: int
    dispatches: int
    username: str
    password: str

    def describe(self) -> str:
        return f"{self.reports} residents' reports, {self.units} units, {self.dispatches} dispatches"


def seed_morning(now: datetime) -> datetime:
    """08:15 Moscow time on the demo's last morning (the governor's post), as in ``tocsin.demo``."""
    day = (now.astimezone(MSK) - timedelta(hours=10)).date()
    return datetime(day.year, day.month, day.day, 8, 15, tzinfo=MSK).astimezone(UTC)


def load(engine: Any, settings: Settings, *, now: datetime | None = None) -> DemoReportsSummary:
    """Store the demo reports, units, dispatches and the demo dispatcher (see the module docstring)."""
    now = now or datetime.now(UTC)
    morning = seed_morning(now)
    store = PhotoStore(settings.photo_dir)
    password = secrets.token_urlsafe(12)
    with session_scope(engine) as session:
        existing = session.scalar(select(User).where(User.username == DEMO_USER))
        if existing is None:
            accounts.add_user(
                session, DEMO_USER, password, Role.DISPATCHER, display_name="Demo dispatcher", actor="demo"
            )
        else:
            accounts.set_password(session, DEMO_USER, password, actor="demo")
        units = [dispatch.add_unit(session, name, kind, "demo") for name, kind in UNITS]
        unit_ids = [u.id for u in units]

    ids: list[int] = []
    for minutes, category, lat, lon, place, description, lang in REPORTS:
        at = morning + timedelta(minutes=minutes)
        if at > now:
            continue
        data = {
            "category": category,
            "lat": lat,
            "lon": lon,
            "location_text": place,
            "observed_at": (at - timedelta(minutes=20)).isoformat(),
            "description": description,
            "contact": "+7 900 000 00 00 (demo)",
            "lang": lang,
        }
        with session_scope(engine) as session:
            receipt = reports.submit_report(session, settings, data, photo_store=store, now=at)
        ids.append(receipt.report_id)

    dispatches = _work_the_queue(engine, settings, ids, unit_ids, morning, now)
    return DemoReportsSummary(len(ids), len(unit_ids), dispatches, DEMO_USER, password)


def _work_the_queue(
    engine: Any, settings: Settings, ids: list[int], unit_ids: list[int], morning: datetime, now: datetime
) -> int:
    """Triage and dispatch the way the morning went, each step a few minutes after the report it answers:
    the cluster behind the garages gets the explosive ordnance team, the grass fire a fire crew; a repeat
    report is a duplicate, a bang in the night is rejected (nothing on the ground); the rest wait."""
    if len(ids) < 7:
        return 0
    lock = settings.claim_lock_minutes
    garages, vyazma, roslavl, fire, repeat, bang = ids[0], ids[2], ids[3], ids[4], ids[5], ids[6]

    def at(minutes: int) -> datetime:
        return morning + timedelta(minutes=minutes)

    with session_scope(engine) as session:
        user = session.scalar(select(User).where(User.username == DEMO_USER))
        assert user is not None

        def move(rid: int, status: ReportStatus, minutes: int, **kw: Any) -> None:
            triage.transition(session, rid, status, user, now=at(minutes), lock_minutes=lock, **kw)

        move(garages, ReportStatus.TRIAGED, -276)
        incident = session.scalar(
            select(Incident.id)
            .where(Incident.iso == "RU-SMO")
            .order_by(Incident.window_start.desc())
            .limit(1)
        )
        if incident is not None:
            triage.link_incident(session, garages, incident, user)
        cluster = _cluster_of(session, garages)
        note = "Оцепить место, обломки не трогать"
        eod = dispatch.dispatch(
            session,
            unit_ids[1],
            report_id=None if cluster else garages,
            cluster_id=cluster,
            user=user,
            note=note,
            now=at(-240),
        )
        move(vyazma, ReportStatus.TRIAGED, -245)
        dispatch.advance(session, eod.id, DispatchStatus.EN_ROUTE, user, now=at(-236))
        dispatch.advance(session, eod.id, DispatchStatus.ON_SCENE, user, now=at(-214))
        move(roslavl, ReportStatus.TRIAGED, -195)
        move(fire, ReportStatus.TRIAGED, -158)
        crew = dispatch.dispatch(session, unit_ids[0], report_id=fire, user=user, now=at(-150))
        dispatch.advance(session, crew.id, DispatchStatus.EN_ROUTE, user, now=at(-149))
        dispatch.advance(session, crew.id, DispatchStatus.ON_SCENE, user, now=at(-137))
        dispatch.advance(session, crew.id, DispatchStatus.COMPLETED, user, now=at(-95))
        move(repeat, ReportStatus.DUPLICATE, -115, duplicate_of=garages)
        move(bang, ReportStatus.REJECTED, -55, note="nothing on the ground")
    return 2


def _cluster_of(session: Any, report_id: int) -> int | None:
    from tocsin.store.models import Report

    return session.scalar(select(Report.cluster_id).where(Report.id == report_id))
