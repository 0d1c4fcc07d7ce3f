"""Clustering of residents' reports: reports of one category close in space and time are one cluster.

The rule (documented in ``docs/operators.md``): a report with a location joins the nearest cluster of its
category whose centre lies within ``radius_m`` metres and whose reports span a time within ``window`` of
the report's ``observed_at``; when there is none, it forms a new cluster with every unclustered report of
its category within ``radius_m`` and ``window``. A cluster's centre is the mean of its members' locations.
Rejected reports never seed a cluster. Reports without a location stay unclustered.

Several people reporting the same fallen drone are then one line in the triage queue and one dispatch.
"""

from __future__ import annotations

import math
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.domain import ReportStatus
from tocsin.store.models import Report, ReportCluster

EARTH_RADIUS_M = 6_371_008.8
METRES_PER_DEGREE_LAT = 111_320.0
NOT_CLUSTERED = (ReportStatus.REJECTED, ReportStatus.DUPLICATE)


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def _box(lat: float, lon: float, radius_m: float) -> tuple[float, float, float, float]:
    """A latitude/longitude box that contains the circle (an index-friendly prefilter)."""
    dlat = radius_m / METRES_PER_DEGREE_LAT
    dlon = radius_m / (METRES_PER_DEGREE_LAT * max(0.01, math.cos(math.radians(lat))))
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon


def assign_cluster(
    session: Session, report: Report, *, radius_m: float, window: timedelta
) -> ReportCluster | None:
    """Put ``report`` (flushed, with an id) into a cluster by the rule above; returns the cluster or None.

    Call it inside the transaction that stores the report; it flushes but does not commit.
    """
    if report.lat is None or report.lon is None or report.status in NOT_CLUSTERED:
        return None
    lat0, lat1, lon0, lon1 = _box(report.lat, report.lon, radius_m)
    at = report.observed_at
    clusters = session.scalars(
        select(ReportCluster).where(
            ReportCluster.category == report.category,
            ReportCluster.last_at >= at - window,
            ReportCluster.first_at <= at + window,
            ReportCluster.lat.between(lat0, lat1),
            ReportCluster.lon.between(lon0, lon1),
        )
    ).all()
    near = [(distance_m(report.lat, report.lon, c.lat, c.lon), c.id, c) for c in clusters]
    near = [n for n in near if n[0] <= radius_m]
    if near:
        cluster = min(near)[2]
        _join(cluster, [report])
        session.flush()
        return cluster
    peers = session.scalars(
        select(Report).where(
            Report.category == report.category,
            Report.cluster_id.is_(None),
            Report.id != report.id,
            Report.status.not_in(NOT_CLUSTERED),
            Report.observed_at.between(at - window, at + window),
            Report.lat.between(lat0, lat1),
            Report.lon.between(lon0, lon1),
        )
    ).all()
    peers = [p for p in peers if distance_m(report.lat, report.lon, p.lat, p.lon) <= radius_m]  # type: ignore[arg-type]
    if not peers:
        return None
    cluster = ReportCluster(category=report.category, lat=0.0, lon=0.0, first_at=at, last_at=at, size=0)
    session.add(cluster)
    session.flush()
    _join(cluster, [report, *peers])
    session.flush()
    return cluster


def _join(cluster: ReportCluster, members: list[Report]) -> None:
    for member in members:
        n = cluster.size
        cluster.lat = (cluster.lat * n + member.lat) / (n + 1)  # type: ignore[operator]
        cluster.lon = (cluster.lon * n + member.lon) / (n + 1)  # type: ignore[operator]
        cluster.size = n + 1
        cluster.first_at = min(cluster.first_at, member.observed_at)
        cluster.last_at = max(cluster.last_at, member.observed_at)
        member.cluster_id = cluster.id
