"""The publication policy: what the public side may show of residents' reports. THE one place it is enforced.

Every public page, API endpoint, export and feed that shows a resident's Report reads it through this module:
``public_select`` (the SQL filter: which reports may be public at all) and ``public_report`` (the one
function that turns a Report row into its public dict). No other public page, endpoint or export reads the
``report`` / ``report_photo`` tables; the one exception is the resident's own receipt page, behind the receipt
token (``tocsin.reports.resident_view``). The operators' side (``/ops``) sees everything and does not use it.

The policy (``PublicationPolicy.from_settings``; the defaults are the cautious ones):

- ``precision`` (``TOCSIN_PUBLIC_LOCATION_PRECISION``, default ``settlement``) — how precisely a location is
  shown:

  ===========  ==============================================================================================
  exact        the report's own point rounded to 4 decimals (≈ 11 m); the settlement's name; time to the
               minute
  settlement   the resolved settlement's point (GeoNames), else the centre of a 0.05° grid cell (≈ 5 km);
               the settlement's name; time rounded down to the hour
  district     the centre of a 0.25° grid cell (≈ 25 km); no place name; time rounded down to the hour
  region       the region's administrative centre (``data/region_centroids.csv``), or no location; time
               rounded down to the hour
  ===========  ==============================================================================================

  A report that lacks what a finer level needs falls back to a coarser one (never a finer one); the
  ``precision`` in its ``location`` says which level the point really has.
- ``delay`` (``TOCSIN_PUBLICATION_DELAY_MINUTES``, default 60) — a report is public only once
  ``submitted_at + delay <= now``.
- ``photos`` (``TOCSIN_PUBLIC_PHOTOS``, default false) — residents' photos (re-encoded, without metadata)
  of public reports are served at ``/api/v1/public-reports/photos/{id}`` only when this is on.

Only reports an operator has looked at and kept are ever public: ``PUBLIC_STATUSES`` (triaged, dispatched,
on scene, resolved). New, rejected and duplicate reports never are.

Never public, whatever the policy: the reporter's contact, the description, the location text the resident
typed, exact coordinates at coarser precisions, the exact observation and submission times, the receipt
token (or its hash), the idempotency key, the claim lock and its holder, operators and units, dispatch
notes, clusters, and an incident link beyond the incident's id. ``PUBLIC_KEYS`` lists every key a public
report may have.

A place name is shown only when the report was resolved to a GeoNames settlement (``place_geonameid``), and
it is that settlement's GeoNames name (``tocsin.places.place_by_id``) — never text stored with the report.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, false, func, select
from sqlalchemy.orm import Session, lazyload

from tocsin.domain import PublicPrecision, ReportStatus
from tocsin.queries import (
    DEFAULT_LIMIT,
    Page,
    QueryError,
    _aware,
    _limit,
    decode_cursor,
    encode_cursor,
    normalize_iso,
)
from tocsin.settings import Settings, SettingsError
from tocsin.store.models import Report, ReportPhoto

PUBLIC_STATUSES: tuple[ReportStatus, ...] = (
    ReportStatus.TRIAGED,
    ReportStatus.DISPATCHED,
    ReportStatus.ON_SCENE,
    ReportStatus.RESOLVED,
)
# The words the public side uses for a report's status (stable API values; the pages translate them).
PUBLIC_STATUS_WORDS: dict[ReportStatus, str] = {
    ReportStatus.TRIAGED: "checked",
    ReportStatus.DISPATCHED: "crew_sent",
    ReportStatus.ON_SCENE: "crew_on_scene",
    ReportStatus.RESOLVED: "resolved",
}
PUBLIC_KEYS = frozenset(
    {"id", "category", "status", "observed", "region", "place", "location", "photos", "incident_id"}
)
LOCATION_KEYS = frozenset({"lat", "lon", "precision"})

EXACT_DECIMALS = 4  # ≈ 11 m
SETTLEMENT_GRID = 0.05  # degrees; ≈ 5.5 km north-south (less east-west at these latitudes)
DISTRICT_GRID = 0.25  # degrees; ≈ 28 km north-south
MAX_DELAY_MINUTES = 100 * 366 * 24 * 60  # a century: the largest delay a deployment can set
PHOTO_URL = "/api/v1/public-reports/photos/{id}"
CURSOR_KIND = "prep"

_ORDER = {p: i for i, p in enumerate(PublicPrecision)}  # exact < settlement < district < region


class PolicyError(SettingsError):
    """A publication-policy setting that cannot be used (the message names the variable)."""


@dataclass(frozen=True, slots=True)
class PublicationPolicy:
    """What the public side may show of residents' reports (see the module docstring)."""

    precision: PublicPrecision = PublicPrecision.SETTLEMENT
    delay: timedelta = timedelta(minutes=60)
    photos: bool = False

    def __post_init__(self) -> None:
        try:
            precision = PublicPrecision(self.precision)
        except ValueError:
            choices = ", ".join(p.value for p in PublicPrecision)
            raise PolicyError(
                f"TOCSIN_PUBLIC_LOCATION_PRECISION={self.precision!r}: expected one of {choices}"
            ) from None
        object.__setattr__(self, "precision", precision)
        if not isinstance(self.delay, timedelta) or not (
            timedelta(0) <= self.delay <= timedelta(minutes=MAX_DELAY_MINUTES)
        ):
            raise PolicyError(
                f"TOCSIN_PUBLICATION_DELAY_MINUTES={self.delay!r}: expected minutes from 0 to "
                f"{MAX_DELAY_MINUTES}"
            )
        if not isinstance(self.photos, bool):
            raise PolicyError(f"TOCSIN_PUBLIC_PHOTOS={self.photos!r}: expected true or false")

    @classmethod
    def from_settings(cls, settings: Settings) -> PublicationPolicy:
        """The deployment's policy; ``PolicyError`` (a ``SettingsError``) names a setting it cannot use."""
        raw = str(settings.public_location_precision).strip().lower()
        minutes = settings.publication_delay_minutes
        if not isinstance(minutes, int) or isinstance(minutes, bool) or not 0 <= minutes <= MAX_DELAY_MINUTES:
            raise PolicyError(
                f"TOCSIN_PUBLICATION_DELAY_MINUTES={minutes!r}: expected minutes from 0 to "
                f"{MAX_DELAY_MINUTES}"
            )
        precision: Any = raw  # checked and converted by __post_init__
        return cls(precision=precision, delay=timedelta(minutes=minutes), photos=settings.public_photos)

    def describe(self) -> dict[str, Any]:
        """The policy as public JSON (clients may show it: "locations to the settlement, 60 min delay")."""
        return {
            "precision": self.precision.value,
            "delay_minutes": int(self.delay.total_seconds() // 60),
            "photos": self.photos,
        }


# ------------------------------------------------------------------------------------------ the filter


def _now(now: datetime) -> datetime:
    if not isinstance(now, datetime) or now.tzinfo is None or now.utcoffset() is None:
        raise QueryError("now must be a timezone-aware datetime")
    return now.astimezone(UTC)


def _cutoff(policy: PublicationPolicy, now: datetime) -> datetime | None:
    """Reports submitted at or before this instant are past the delay; None when ``now - delay`` falls
    before the first representable instant (then no report is)."""
    try:
        return _now(now) - policy.delay
    except OverflowError:
        return None


def public_conditions(policy: PublicationPolicy, now: datetime) -> list[Any]:
    """The SQL conditions every public reading of ``report`` applies: a public status, and the delay over
    (``submitted_at + delay <= now``, written so the column stays indexable)."""
    cutoff = _cutoff(policy, now)
    if cutoff is None:
        return [false()]
    return [Report.status.in_(PUBLIC_STATUSES), Report.submitted_at <= cutoff]


def time_step(policy: PublicationPolicy) -> timedelta:
    """How finely the public side shows times: a minute at exact precision, an hour otherwise."""
    return timedelta(minutes=1) if policy.precision is PublicPrecision.EXACT else timedelta(hours=1)


def _floor(dt: datetime, step: timedelta) -> datetime:
    dt = dt.astimezone(UTC)
    if step >= timedelta(hours=1):
        return dt.replace(minute=0, second=0, microsecond=0)
    return dt.replace(second=0, microsecond=0)


def _ceil(dt: datetime, step: timedelta) -> datetime | None:
    """The first step boundary at or after ``dt``; None past the last representable one."""
    floor = _floor(dt, step)
    try:
        return floor if floor == dt.astimezone(UTC) else floor + step
    except OverflowError:
        return None


def public_select(
    policy: PublicationPolicy,
    *,
    now: datetime,
    region: str | None = None,
    since: datetime | None = None,
) -> Select[tuple[Report]]:
    """``SELECT report`` restricted to what may be public now (no order, no limit).

    ``region``: one ISO code (``QueryError`` when unknown). ``since``: reports whose *public* observation
    time (rounded down, see ``time_step``) is at or after this instant — the filter works on the rounded
    time, so asking with ever finer ``since`` values cannot reveal the exact time.
    """
    stmt = select(Report).where(*public_conditions(policy, now))
    if region is not None:
        stmt = stmt.where(Report.iso == normalize_iso(region))
    if since is not None:
        _aware(since, "since")
        # floor(observed) >= since  ⟺  observed >= ceil(since)
        bound = _ceil(since, time_step(policy))
        stmt = stmt.where(false() if bound is None else Report.observed_at >= bound)
    if not policy.photos:
        stmt = stmt.options(lazyload(Report.photos))  # never read when they are not shown
    return stmt


# ------------------------------------------------------------------------------------------ locations


@lru_cache(maxsize=1)
def _region_centres() -> dict[str, tuple[float, float]]:
    from importlib import resources

    with resources.files("tocsin.data").joinpath("region_centroids.csv").open(encoding="utf-8") as fh:
        return {row["iso"]: (float(row["lat"]), float(row["lon"])) for row in csv.DictReader(fh)}


def settlement(geonameid: int | None) -> tuple[float, float, str] | None:
    """A GeoNames settlement of Russia or Ukraine by id (``tocsin.places``): (lat, lon, name), or None."""
    from tocsin.places import place_by_id

    if geonameid is None or isinstance(geonameid, bool) or not isinstance(geonameid, int):
        return None
    place = place_by_id(geonameid)
    return None if place is None else (place.lat, place.lon, place.name)


def _own_point(report: Report) -> tuple[float, float] | None:
    lat, lon = report.lat, report.lon
    if lat is None or lon is None:
        return None
    try:
        lat, lon = float(lat), float(lon)
    except (TypeError, ValueError):
        return None
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lat, lon


def grid_centre(lat: float, lon: float, step: float) -> tuple[float, float]:
    """The centre of the ``step``-degree grid cell that holds the point (every point of a cell gives the
    same centre, so the point cannot be recovered)."""

    def snap(v: float, low: float, high: float) -> float:
        cell = math.floor(round(v / step, 9))
        centre = (cell + 0.5) * step
        return round(min(max(centre, low + step / 2), high - step / 2), 6)

    return snap(lat, -90.0, 90.0), snap(lon, -180.0, 180.0)


def _point(lat: float, lon: float, precision: PublicPrecision) -> dict[str, Any]:
    return {"lat": lat, "lon": lon, "precision": precision.value}


def public_location(report: Report, precision: PublicPrecision) -> dict[str, Any] | None:
    """Where the public side shows ``report`` at ``precision``: ``{"lat", "lon", "precision"}`` or None.

    Falls back to a coarser level when the report lacks what the asked one needs (e.g. no coordinates at
    exact precision → its settlement; no settlement → a grid cell …); ``precision`` in the result is the
    level really given.
    """
    level = _ORDER[PublicPrecision(precision)]
    own = _own_point(report)
    place = settlement(report.place_geonameid)
    if level <= _ORDER[PublicPrecision.EXACT] and own is not None:
        return _point(round(own[0], EXACT_DECIMALS), round(own[1], EXACT_DECIMALS), PublicPrecision.EXACT)
    if level <= _ORDER[PublicPrecision.SETTLEMENT]:
        if place is not None:
            return _point(place[0], place[1], PublicPrecision.SETTLEMENT)
        if own is not None:
            return _point(*grid_centre(*own, SETTLEMENT_GRID), PublicPrecision.SETTLEMENT)
    if level <= _ORDER[PublicPrecision.DISTRICT]:
        base = own if own is not None else (place[:2] if place is not None else None)
        if base is not None:
            return _point(*grid_centre(base[0], base[1], DISTRICT_GRID), PublicPrecision.DISTRICT)
    region = public_region(report.iso)
    centre = _region_centres().get(region) if region is not None else None
    if centre is not None:
        return _point(centre[0], centre[1], PublicPrecision.REGION)
    return None


def public_place(report: Report, precision: PublicPrecision) -> str | None:
    """The settlement's GeoNames name when the precision shows settlements and the report was resolved to a
    GeoNames settlement (``place_geonameid``); never the stored text itself, whatever it holds."""
    if _ORDER[PublicPrecision(precision)] > _ORDER[PublicPrecision.SETTLEMENT]:
        return None
    place = settlement(report.place_geonameid)
    return None if place is None else place[2]


# ------------------------------------------------------------------------------------ the public view


def public_region(iso: str | None) -> str | None:
    """The report's region code when it is one tocsin knows (anything else stored there stays private)."""
    if not isinstance(iso, str):
        return None
    try:
        return normalize_iso(iso)
    except QueryError:
        return None


def _status(value: Any) -> ReportStatus | None:
    try:
        return ReportStatus(value)
    except ValueError:
        return None


def is_public(report: Report, policy: PublicationPolicy, *, now: datetime) -> bool:
    """A public status and the delay over (the same rule as ``public_conditions``, in Python)."""
    status = _status(report.status)
    submitted = report.submitted_at
    if status not in PUBLIC_STATUSES or not isinstance(submitted, datetime) or submitted.tzinfo is None:
        return False
    cutoff = _cutoff(policy, now)
    return cutoff is not None and submitted.astimezone(UTC) <= cutoff


def public_report(report: Report, policy: PublicationPolicy, *, now: datetime) -> dict[str, Any] | None:
    """The public view of one report, or None when it may not be public (yet).

    Keys (``PUBLIC_KEYS``): ``id``, ``category``, ``status`` (public wording: checked, crew_sent,
    crew_on_scene, resolved), ``observed`` (ISO 8601, rounded down to the hour — to the minute at exact
    precision), ``region`` (ISO 3166-2 or None), ``place`` (settlement name or None), ``location``
    (``{"lat", "lon", "precision"}`` or None), ``photos`` (URLs; always empty unless the policy makes photos
    public), ``incident_id``.
    """
    if not is_public(report, policy, now=now):
        return None
    observed = report.observed_at
    observed_text = (
        _floor(observed, time_step(policy)).isoformat()
        if isinstance(observed, datetime) and observed.tzinfo is not None
        else None
    )
    photos: list[str] = []
    if policy.photos:
        photos = [PHOTO_URL.format(id=p.id) for p in sorted(report.photos, key=lambda p: p.position)]
    category = getattr(report.category, "value", report.category)
    return {
        "id": report.id,
        "category": str(category),
        "status": PUBLIC_STATUS_WORDS[ReportStatus(report.status)],
        "observed": observed_text,
        "region": public_region(report.iso),
        "place": public_place(report, policy.precision),
        "location": public_location(report, policy.precision),
        "photos": photos,
        "incident_id": report.incident_id,
    }


def public_reports(
    session: Session,
    policy: PublicationPolicy,
    *,
    now: datetime,
    region: str | None = None,
    since: datetime | None = None,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> Page:
    """Public reports, newest first (by id), keyset-paginated like ``tocsin.queries`` (``next_cursor``).

    The cursor holds only a report id (no time), so it reveals nothing the items do not. ``QueryError`` for
    an unknown region or a naive ``since``; ``BadCursor`` for a cursor this server did not issue.
    """
    limit = _limit(limit)
    stmt = public_select(policy, now=now, region=region, since=since)
    if cursor is not None:
        (last,) = decode_cursor(cursor, CURSOR_KIND, (int,))
        stmt = stmt.where(Report.id < last)
    rows = list(session.scalars(stmt.order_by(Report.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    items = [item for r in rows if (item := public_report(r, policy, now=now)) is not None]
    return Page(items, encode_cursor(CURSOR_KIND, rows[-1].id) if more and rows else None)


def linked_report_counts(
    session: Session, incident_ids: Iterable[int], policy: PublicationPolicy, now: datetime
) -> dict[int, int]:
    """How many public reports are linked to each incident: every asked id → its count (0 when none)."""
    ids = sorted({int(i) for i in incident_ids})
    if not ids:
        return {}
    stmt = (
        select(Report.incident_id, func.count())
        .where(*public_conditions(policy, now), Report.incident_id.in_(ids))
        .group_by(Report.incident_id)
    )
    counts = dict.fromkeys(ids, 0)
    for incident_id, n in session.execute(stmt):
        counts[int(incident_id)] = int(n)
    return counts


def public_photo(
    session: Session, policy: PublicationPolicy, photo_id: int, *, now: datetime
) -> ReportPhoto | None:
    """The photo row when the policy makes photos public and its report is public now; else None."""
    if not policy.photos:
        return None
    stmt = (
        select(ReportPhoto)
        .join(Report, Report.id == ReportPhoto.report_id)
        .where(ReportPhoto.id == photo_id, *public_conditions(policy, now))
    )
    return session.scalars(stmt).first()
