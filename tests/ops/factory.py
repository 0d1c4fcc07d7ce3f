"""Rows for the triage and dispatch tests, made directly with the models (as residents' reports and
operators' accounts would be), so these tests depend on nothing but the tables."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from tocsin.clusters import assign_cluster
from tocsin.domain import CATEGORY_PRIORITY, Kind, LocationSource, ReportCategory, ReportStatus, Role
from tocsin.store.models import Incident, Report, User

T0 = datetime(2025, 9, 6, 6, 0, tzinfo=UTC)
SMOLENSK = (54.7826, 32.0453)
CONTACT = "+7 900 000-00-00 secret-contact@example.org"  # must never appear in an Event
RADIUS_M = 500
WINDOW = timedelta(minutes=120)


def report(
    session: Session,
    category: ReportCategory | str = ReportCategory.DEBRIS,
    *,
    at: datetime = T0,
    where: tuple[float, float] | None = SMOLENSK,
    status: ReportStatus = ReportStatus.NEW,
    description: str | None = "Fragments on the road",
    contact: str | None = CONTACT,
    location_text: str | None = None,
    place_name: str | None = "Smolensk",
    cluster: bool = True,
) -> Report:
    """A resident's report submitted (and observed) at ``at``; clustered like intake does it."""
    category = ReportCategory(category)
    r = Report(
        token_sha256=secrets.token_hex(32),
        category=category,
        priority=CATEGORY_PRIORITY[category],
        status=status,
        lat=None if where is None else where[0],
        lon=None if where is None else where[1],
        location_source=LocationSource.MAP if where else LocationSource.TEXT,
        location_text=location_text,
        place_name=place_name,
        observed_at=at,
        submitted_at=at,
        updated_at=at,
        description=description,
        contact=contact,
        lang="ru",
    )
    session.add(r)
    session.flush()
    if cluster:
        assign_cluster(session, r, radius_m=RADIUS_M, window=WINDOW)
    return r


def far(n: int) -> tuple[float, float]:
    """A point ``n`` × ~11 km north of Smolensk: never in the same cluster as another ``far(m)``."""
    return (SMOLENSK[0] + 0.1 * n, SMOLENSK[1])


def user(session: Session, name: str, role: Role = Role.OPERATOR) -> User:
    u = User(username=name, role=role, password_hash="not-a-hash", failed_logins=0, disabled=False)
    session.add(u)
    session.flush()
    return u


def incident(session: Session, iso: str = "RU-SMO") -> Incident:
    inc = Incident(
        key=f"{iso}:{T0:%Y-%m-%dT%H}",
        iso=iso,
        window_start=T0 - timedelta(hours=6),
        window_end=T0,
        time_precision=1,
        geo_precision=3,
        kind=Kind.INTERCEPTION,
        consensus={},
        disagreements=[],
    )
    session.add(inc)
    session.flush()
    return inc
