"""Clustering (``tocsin.clusters``) on SQLite and PostgreSQL: the rule through the Core statements
(``cluster_report``) and through ORM objects (``assign_cluster``, whose loaded objects are kept up to date):
a new cluster takes every unclustered neighbour, a later report joins the nearest cluster, the centre is
the members' mean and the span their times; other categories, far points, times outside the window,
rejected reports and reports without coordinates stay out."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.clusters import assign_cluster, cluster_report, distance_m
from tocsin.domain import CATEGORY_PRIORITY, LocationSource, ReportCategory, ReportStatus
from tocsin.store.models import Report, ReportCluster

T0 = datetime(2025, 9, 6, 6, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=120)
RADIUS = 500


def _report(
    session: Session,
    lat: float | None,
    lon: float | None,
    *,
    at: datetime = T0,
    category: ReportCategory = ReportCategory.DEBRIS,
    status: ReportStatus = ReportStatus.NEW,
) -> Report:
    r = Report(
        token_sha256=secrets.token_hex(32),
        category=category,
        priority=CATEGORY_PRIORITY[category],
        status=status,
        lat=lat,
        lon=lon,
        location_source=LocationSource.MAP if lat is not None else LocationSource.TEXT,
        location_text=None if lat is not None else "somewhere",
        observed_at=at,
        submitted_at=at,
        updated_at=at,
    )
    session.add(r)
    session.flush()
    return r


def test_assign_cluster_forms_joins_and_keeps_objects_current(session: Session) -> None:
    a = _report(session, 54.7800, 32.0500)
    assert assign_cluster(session, a, radius_m=RADIUS, window=WINDOW) is None  # alone: no cluster
    b = _report(session, 54.7810, 32.0510, at=T0 + timedelta(minutes=30))
    cluster = assign_cluster(session, b, radius_m=RADIUS, window=WINDOW)
    assert cluster is not None
    assert a.cluster_id == b.cluster_id == cluster.id  # the peer's loaded object too
    assert cluster.size == 2
    assert cluster.lat == pytest.approx((54.7800 + 54.7810) / 2) and cluster.lon == pytest.approx(32.0505)
    assert (cluster.first_at, cluster.last_at) == (T0, T0 + timedelta(minutes=30))

    c = _report(session, 54.7805, 32.0505, at=T0 - timedelta(minutes=10))
    joined = assign_cluster(session, c, radius_m=RADIUS, window=WINDOW)
    assert joined is not None and joined.id == cluster.id and c.cluster_id == cluster.id
    assert joined.size == 3 and joined.first_at == T0 - timedelta(minutes=10)
    assert joined.lat == pytest.approx((54.7800 + 54.7810 + 54.7805) / 3)
    session.expire_all()
    assert session.get(ReportCluster, cluster.id).size == 3  # what the database holds
    assert {r.cluster_id for r in session.scalars(select(Report))} == {cluster.id}


def test_who_stays_out(session: Session) -> None:
    _report(session, 54.7800, 32.0500)
    rejected = _report(session, 54.7801, 32.0501, status=ReportStatus.REJECTED)
    other = _report(session, 54.7801, 32.0501, category=ReportCategory.FIRE)
    late = _report(session, 54.7801, 32.0501, at=T0 + WINDOW + timedelta(minutes=1))
    far = _report(session, 54.7900, 32.0500)  # about 1.1 km north
    assert distance_m(54.78, 32.05, 54.79, 32.05) > RADIUS
    nowhere = _report(session, None, None)
    for r in (rejected, other, late, far, nowhere):
        assert assign_cluster(session, r, radius_m=RADIUS, window=WINDOW) is None
    assert session.scalars(select(ReportCluster)).all() == []


def test_cluster_report_on_a_connection(session: Session) -> None:
    a = _report(session, 54.7800, 32.0500)
    b = _report(session, 54.7802, 32.0502, at=T0 + timedelta(minutes=5))
    conn = session.connection()
    placed = cluster_report(
        conn, b.id, b.category, b.lat, b.lon, b.observed_at, radius_m=RADIUS, window=WINDOW
    )
    assert placed is not None and placed.created and placed.members == (b.id, a.id)
    again = cluster_report(
        conn, a.id, a.category, a.lat, a.lon, a.observed_at, status=ReportStatus.DUPLICATE,
        radius_m=RADIUS, window=WINDOW,
    )  # fmt: skip
    assert again is None  # a duplicate never seeds or joins
    rows = dict(session.execute(select(Report.id, Report.cluster_id)).all())
    assert rows == {a.id: placed.cluster_id, b.id: placed.cluster_id}
