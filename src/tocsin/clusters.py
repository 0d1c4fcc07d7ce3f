"""Clustering of residents' reports: reports of one category close in space and time are one cluster.

The rule (documented in ``docs/operators.md``): a report with a location joins the nearest cluster of its
category whose centre lies within ``radius_m`` metres and whose reports span a time within ``window`` of
the report's ``observed_at``; when there is none, it forms a new cluster with every unclustered report of
its category within ``radius_m`` and ``window``. A cluster's centre is the mean of its members' locations.
Rejected reports never seed a cluster. Reports without a location stay unclustered.

Several people reporting the same fallen drone are then one line in the triage queue and one dispatch.

``cluster_report(connection, …)`` applies the rule with Core statements built once at import (report
intake calls it for every report, so rebuilding ORM queries per call was half its cost);
``assign_cluster(session, report, …)`` is the same rule for a Report object in an ORM session.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from tocsin.domain import ReportCategory, ReportStatus
from tocsin.store.models import Report, ReportCluster, utcnow

EARTH_RADIUS_M = 6_371_008.8
METRES_PER_DEGREE_LAT = 111_320.0
NOT_CLUSTERED = (ReportStatus.REJECTED, ReportStatus.DUPLICATE)

_C = ReportCluster.__table__
_R = Report.__table__

# Built once: the statements' SQL is compiled once and cached; only the parameters change per report.
_NEAR_CLUSTERS = select(_C.c.id, _C.c.lat, _C.c.lon, _C.c.size, _C.c.first_at, _C.c.last_at).where(
    _C.c.category == bindparam("category"),
    _C.c.last_at >= bindparam("since"),
    _C.c.first_at <= bindparam("until"),
    _C.c.lat.between(bindparam("lat0"), bindparam("lat1")),
    _C.c.lon.between(bindparam("lon0"), bindparam("lon1")),
)
_PEERS = select(_R.c.id, _R.c.lat, _R.c.lon, _R.c.observed_at).where(
    _R.c.category == bindparam("category"),
    _R.c.cluster_id.is_(None),
    _R.c.id != bindparam("report_id"),
    _R.c.status.not_in(NOT_CLUSTERED),
    _R.c.observed_at.between(bindparam("since"), bindparam("until")),
    _R.c.lat.between(bindparam("lat0"), bindparam("lat1")),
    _R.c.lon.between(bindparam("lon0"), bindparam("lon1")),
)
_NEW_CLUSTER = insert(_C)
_UPDATE_CLUSTER = (
    update(_C)
    .where(_C.c.id == bindparam("cluster_id"))
    .values(
        lat=bindparam("new_lat"),
        lon=bindparam("new_lon"),
        size=bindparam("new_size"),
        first_at=bindparam("new_first_at"),
        last_at=bindparam("new_last_at"),
    )
)
_SET_MEMBERS = (
    update(_R)
    .where(_R.c.id.in_(bindparam("member_ids", expanding=True)))
    .values(cluster_id=bindparam("new_cluster_id"), updated_at=bindparam("new_updated_at"))
)


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


@dataclass(frozen=True, slots=True)
class Placement:
    """Where ``cluster_report`` put a report: the cluster's id, whether it was made now, and the reports
    whose ``cluster_id`` (and ``updated_at``, set to ``updated_at``) it wrote — the report itself first."""

    cluster_id: int
    created: bool
    members: tuple[int, ...]
    updated_at: datetime


def cluster_report(
    connection: Connection,
    report_id: int,
    category: ReportCategory,
    lat: float | None,
    lon: float | None,
    observed_at: datetime,
    *,
    status: ReportStatus = ReportStatus.NEW,
    radius_m: float,
    window: timedelta,
) -> Placement | None:
    """Put the stored report ``report_id`` into a cluster by the rule above (its other values passed in,
    so nothing is read back); returns where it went, or None (no location, not clusterable, no
    neighbour). Runs inside the caller's transaction; does not commit."""
    if lat is None or lon is None or status in NOT_CLUSTERED:
        return None
    lat0, lat1, lon0, lon1 = _box(lat, lon, radius_m)
    box = {"category": category, "since": observed_at - window, "until": observed_at + window}
    box.update(lat0=lat0, lat1=lat1, lon0=lon0, lon1=lon1)
    now = utcnow()
    near = [(distance_m(lat, lon, c.lat, c.lon), c.id, c) for c in connection.execute(_NEAR_CLUSTERS, box)]
    near = [n for n in near if n[0] <= radius_m]
    if near:
        c = min(near, key=lambda n: (n[0], n[1]))[2]
        centre = _Centre(c.lat, c.lon, c.size, c.first_at, c.last_at)
        centre.join(lat, lon, observed_at)
        connection.execute(_UPDATE_CLUSTER, {"cluster_id": c.id, **centre.params()})
        connection.execute(
            _SET_MEMBERS, {"member_ids": [report_id], "new_cluster_id": c.id, "new_updated_at": now}
        )
        return Placement(c.id, False, (report_id,), now)
    peers = [
        p
        for p in connection.execute(_PEERS, {**box, "report_id": report_id})
        if distance_m(lat, lon, p.lat, p.lon) <= radius_m
    ]
    if not peers:
        return None
    centre = _Centre(0.0, 0.0, 0, observed_at, observed_at)
    centre.join(lat, lon, observed_at)
    for p in peers:
        centre.join(p.lat, p.lon, p.observed_at)
    values = {"category": category, "lat": centre.lat, "lon": centre.lon, "size": centre.size}
    values.update(first_at=centre.first_at, last_at=centre.last_at, created_at=now)
    cluster_id = connection.execute(_NEW_CLUSTER, values).inserted_primary_key[0]
    members = (report_id, *(p.id for p in peers))
    connection.execute(
        _SET_MEMBERS, {"member_ids": list(members), "new_cluster_id": cluster_id, "new_updated_at": now}
    )
    return Placement(cluster_id, True, members, now)


class _Centre:
    """A cluster's running mean location, size and time span (members joined one by one)."""

    __slots__ = ("first_at", "last_at", "lat", "lon", "size")

    def __init__(self, lat: float, lon: float, size: int, first_at: datetime, last_at: datetime) -> None:
        self.lat, self.lon, self.size, self.first_at, self.last_at = lat, lon, size, first_at, last_at

    def join(self, lat: float, lon: float, at: datetime) -> None:
        n = self.size
        self.lat = (self.lat * n + lat) / (n + 1)
        self.lon = (self.lon * n + lon) / (n + 1)
        self.size = n + 1
        self.first_at = min(self.first_at, at)
        self.last_at = max(self.last_at, at)

    def params(self) -> dict[str, Any]:
        return {
            "new_lat": self.lat,
            "new_lon": self.lon,
            "new_size": self.size,
            "new_first_at": self.first_at,
            "new_last_at": self.last_at,
        }


def assign_cluster(
    session: Session, report: Report, *, radius_m: float, window: timedelta
) -> ReportCluster | None:
    """Put ``report`` (flushed, with an id) into a cluster by the rule above; returns the cluster or None.

    Call it inside the transaction that stores the report; it flushes but does not commit. The session's
    loaded Report objects that joined the cluster are brought up to date.
    """
    if report.lat is None or report.lon is None or report.status in NOT_CLUSTERED:
        return None
    session.flush()
    placed = cluster_report(
        session.connection(),
        report.id,
        report.category,
        report.lat,
        report.lon,
        report.observed_at,
        status=report.status,
        radius_m=radius_m,
        window=window,
    )
    if placed is None:
        return None
    members = set(placed.members)
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Report) and obj.id in members:
            set_committed_value(obj, "cluster_id", placed.cluster_id)
            set_committed_value(obj, "updated_at", placed.updated_at)
    return session.get(ReportCluster, placed.cluster_id, populate_existing=True)
