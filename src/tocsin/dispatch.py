"""Units and dispatches: sending a crew to a report or to a cluster of reports, and following it there.

A Dispatch lives ``assigned → en_route → on_scene → completed`` (or ``cancelled`` before it is on scene;
``DISPATCH_TRANSITIONS``). The unit's status and the reports' statuses follow it:

| dispatch   | unit        | reports it covers                                                       |
|------------|-------------|-------------------------------------------------------------------------|
| assigned   | (unchanged) | new → triaged → dispatched; triaged → dispatched                        |
| en_route   | en_route    | —                                                                       |
| on_scene   | on_scene    | dispatched → on_scene                                                   |
| completed  | available   | dispatched / on_scene → resolved, unless another dispatch is still open |
| cancelled  | available   | dispatched → triaged, unless another dispatch is still open             |

A unit can be dispatched only when it is ``available`` and has no open dispatch. A dispatch to a cluster
covers every report of the cluster that is still active. Every change appends an Event: ``dispatch.*`` for
the dispatch (its timeline), ``unit.*`` for the unit, ``report.status`` for each report.

``daily_figures`` gives, per day, reports received, dispatches, and the median and 90th percentile of
time-to-dispatch and time-to-scene (see its docstring for the exact definitions). No data is None, never 0.
"""

from __future__ import annotations

import itertools
import math
import statistics
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from sqlalchemy import and_, case, func, or_, select, type_coerce
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tocsin.domain import DISPATCH_TRANSITIONS, DispatchStatus, ReportStatus, UnitStatus
from tocsin.store.models import Dispatch, Event, Report, ReportCluster, Unit, User
from tocsin.store.repo import append_event
from tocsin.store.types import UTCDateTime
from tocsin.triage import ACTIVE, OPEN_DISPATCH, open_dispatch_ids, set_status

UNIT_NAME_LEN = 200
UNIT_KIND_LEN = 100
NOTE_LEN = 2000
MAX_DAYS = 366

Actor = User | str  # a signed-in user, or a plain actor name such as "cli"


class DispatchError(Exception):
    """A unit or dispatch action that cannot be done; the message says why."""


class InvalidInputError(DispatchError):
    """A name, kind or note that cannot be stored (empty, too long, a NUL character)."""


class UnitNotFoundError(DispatchError):
    """No such unit."""


class DispatchNotFoundError(DispatchError):
    """No such dispatch, report or cluster."""


def _actor(user: Actor) -> str:
    return user if isinstance(user, str) else user.username


def _now(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    return now


def _text(value: str | None, what: str, limit: int, *, required: bool = False) -> str | None:
    value = (value or "").strip()
    if not value:
        if required:
            raise InvalidInputError(f"{what} is empty")
        return None
    if len(value) > limit:
        raise InvalidInputError(f"{what} is longer than {limit} characters")
    if "\x00" in value:
        raise InvalidInputError(f"{what} contains a NUL character")
    return value


# -------------------------------------------------------------------------------------------- units


def add_unit(session: Session, name: str, kind: str | None, user: Actor) -> Unit:
    """Create a Unit (available). Names are unique; surrounding spaces are dropped."""
    name = _text(name, "unit name", UNIT_NAME_LEN, required=True)  # type: ignore[assignment]
    kind = _text(kind, "unit kind", UNIT_KIND_LEN)
    if session.scalar(select(Unit.id).where(Unit.name == name)) is not None:
        raise DispatchError(f"a unit named {name!r} exists already")
    unit = Unit(name=name, kind=kind, status=UnitStatus.AVAILABLE)
    try:
        with session.begin_nested():
            session.add(unit)
            session.flush()
    except IntegrityError:  # created by someone else between the check and the insert
        raise DispatchError(f"a unit named {name!r} exists already") from None
    after = {"name": name, "kind": kind, "status": UnitStatus.AVAILABLE}
    append_event(session, _actor(user), "unit.add", "unit", unit.id, None, after)
    return unit


def get_unit(session: Session, unit_id: int, *, for_update: bool = False) -> Unit:
    """The unit with this id (``UnitNotFoundError`` if none); ``for_update`` locks its row on PostgreSQL."""
    stmt = select(Unit).where(Unit.id == unit_id).execution_options(populate_existing=True)
    if for_update:
        stmt = stmt.with_for_update()
    unit = session.scalar(stmt)
    if unit is None:
        raise UnitNotFoundError(f"no unit #{unit_id}")
    return unit


def find_unit(session: Session, name: str) -> Unit:
    """The unit with this name (``UnitNotFoundError`` if none)."""
    unit = session.scalar(select(Unit).where(Unit.name == (name or "").strip()))
    if unit is None:
        raise UnitNotFoundError(f"no unit named {name!r}")
    return unit


def list_units(session: Session, *, status: UnitStatus | None = None) -> list[Unit]:
    """Every unit (of ``status``), by name."""
    stmt = select(Unit).order_by(Unit.name, Unit.id)
    if status is not None:
        stmt = stmt.where(Unit.status == UnitStatus(status))
    return list(session.scalars(stmt))


def open_dispatch_of_unit(session: Session, unit_id: int) -> Dispatch | None:
    """The unit's open dispatch, if it has one."""
    return session.scalar(
        select(Dispatch)
        .where(Dispatch.unit_id == unit_id, Dispatch.status.in_(OPEN_DISPATCH))
        .order_by(Dispatch.id)
        .limit(1)
    )


def available_units(session: Session) -> list[Unit]:
    """Units that can be dispatched now: available, with no open dispatch."""
    busy = select(Dispatch.unit_id).where(Dispatch.status.in_(OPEN_DISPATCH))
    return list(
        session.scalars(
            select(Unit)
            .where(Unit.status == UnitStatus.AVAILABLE, Unit.id.not_in(busy))
            .order_by(Unit.name, Unit.id)
        )
    )


def set_unit_status(
    session: Session, unit_id: int, status: UnitStatus, user: Actor, *, note: str | None = None
) -> Unit:
    """Set a unit's status by hand (e.g. off duty, back on duty). Refused while the unit has an open
    dispatch: then the dispatch drives its status (advance or cancel it)."""
    status = UnitStatus(status)
    note = _text(note, "note", NOTE_LEN)
    unit = get_unit(session, unit_id, for_update=True)
    busy = open_dispatch_of_unit(session, unit.id)
    if busy is not None:
        raise DispatchError(
            f"unit {unit.name!r} is on dispatch #{busy.id} ({busy.status}): advance or cancel the dispatch"
        )
    if unit.status is status and note is None:
        return unit
    before = {"status": unit.status}
    after: dict = {"status": status}
    unit.status = status
    if note is not None:
        before["note"], after["note"] = unit.note, note
        unit.note = note
    session.flush()
    append_event(session, _actor(user), "unit.status", "unit", unit.id, before, after)
    return unit


def _move_unit(session: Session, unit: Unit, status: UnitStatus, actor: str, dispatch_id: int) -> None:
    if unit.status is status:
        return
    before, after = {"status": unit.status}, {"status": status, "dispatch_id": dispatch_id}
    unit.status = status
    session.flush()
    append_event(session, actor, "unit.status", "unit", unit.id, before, after)


# ----------------------------------------------------------------------------------------- dispatch


def get_dispatch(session: Session, dispatch_id: int, *, for_update: bool = False) -> Dispatch:
    """The dispatch with this id (``DispatchNotFoundError`` if none)."""
    stmt = select(Dispatch).where(Dispatch.id == dispatch_id).execution_options(populate_existing=True)
    if for_update:
        stmt = stmt.with_for_update(of=Dispatch)
    found = session.scalar(stmt)
    if found is None:
        raise DispatchNotFoundError(f"no dispatch #{dispatch_id}")
    return found


def covered_reports(session: Session, dispatch: Dispatch, *, for_update: bool = False) -> list[Report]:
    """The reports a dispatch is for: its report, or every report of its cluster (oldest first)."""
    return _covered(session, dispatch.report_id, dispatch.cluster_id, for_update=for_update)


def _covered(
    session: Session, report_id: int | None, cluster_id: int | None, *, for_update: bool = False
) -> list[Report]:
    where = Report.id == report_id if report_id is not None else Report.cluster_id == cluster_id
    stmt = (
        select(Report)
        .where(where)
        .order_by(Report.submitted_at, Report.id)
        .execution_options(populate_existing=True)
    )
    if for_update:
        stmt = stmt.with_for_update(of=Report)
    return list(session.scalars(stmt))


def dispatch(
    session: Session,
    unit_id: int,
    *,
    report_id: int | None = None,
    cluster_id: int | None = None,
    user: Actor,
    note: str | None = None,
    now: datetime | None = None,
) -> Dispatch:
    """Send a unit to a report or to a cluster (exactly one of ``report_id``, ``cluster_id``).

    The unit must be available with no open dispatch (else ``DispatchError``); its row is locked first,
    so two dispatchers cannot send it twice. The covered reports move to ``dispatched`` (a ``new`` report
    is triaged on the way, with its own Event); at least one of them must still be active.
    """
    now = _now(now)
    actor = _actor(user)
    note = _text(note, "note", NOTE_LEN)
    if (report_id is None) == (cluster_id is None):
        raise DispatchError("a dispatch goes to one report or to one cluster")
    unit = get_unit(session, unit_id, for_update=True)
    if unit.status is not UnitStatus.AVAILABLE:
        raise DispatchError(f"unit {unit.name!r} is not available ({unit.status})")
    busy = open_dispatch_of_unit(session, unit.id)
    if busy is not None:
        raise DispatchError(f"unit {unit.name!r} is already on dispatch #{busy.id}")
    what = f"report #{report_id}" if report_id is not None else f"cluster #{cluster_id}"
    if session.get(Report if report_id is not None else ReportCluster, report_id or cluster_id) is None:
        raise DispatchNotFoundError(f"no {what}")
    reports = [r for r in _covered(session, report_id, cluster_id, for_update=True) if r.status in ACTIVE]
    if not reports:
        raise DispatchError(f"{what} has no active report to send a unit to")
    row = Dispatch(
        unit_id=unit.id,
        report_id=report_id,
        cluster_id=cluster_id,
        status=DispatchStatus.ASSIGNED,
        dispatched_by_id=None if isinstance(user, str) else user.id,
        note=note,
        created_at=now,
    )
    session.add(row)
    session.flush()
    after = {
        "status": DispatchStatus.ASSIGNED,
        "unit_id": unit.id,
        "unit": unit.name,
        "report_id": report_id,
        "cluster_id": cluster_id,
        "reports": [r.id for r in reports],
        "created_at": now,
    }
    if note:
        after["note"] = note
    append_event(session, actor, "dispatch.create", "dispatch", row.id, None, after)
    for report in reports:
        if report.status is ReportStatus.NEW:
            set_status(session, report, ReportStatus.TRIAGED, actor, extra_after={"dispatch_id": row.id})
        if report.status is ReportStatus.TRIAGED:
            set_status(session, report, ReportStatus.DISPATCHED, actor, extra_after={"dispatch_id": row.id})
    return row


def allowed_advances(status: DispatchStatus) -> list[DispatchStatus]:
    """Where a dispatch in ``status`` may go, in the order of ``DispatchStatus``."""
    targets = DISPATCH_TRANSITIONS[DispatchStatus(status)]
    return [s for s in DispatchStatus if s in targets]


def advance(
    session: Session,
    dispatch_id: int,
    new_status: DispatchStatus,
    user: Actor,
    now: datetime | None = None,
    *,
    note: str | None = None,
) -> Dispatch:
    """Move a dispatch along ``DISPATCH_TRANSITIONS``, stamping ``en_route_at`` / ``on_scene_at`` /
    ``closed_at`` and keeping the unit and the reports in step (the table in the module docstring)."""
    now = _now(now)
    actor = _actor(user)
    new = DispatchStatus(new_status)
    note = _text(note, "note", NOTE_LEN)
    row = get_dispatch(session, dispatch_id, for_update=True)
    old = DispatchStatus(row.status)
    if new not in DISPATCH_TRANSITIONS[old]:
        raise DispatchError(f"dispatch #{dispatch_id}: {old} → {new} is not allowed")
    stamp = {
        DispatchStatus.EN_ROUTE: "en_route_at",
        DispatchStatus.ON_SCENE: "on_scene_at",
        DispatchStatus.COMPLETED: "closed_at",
        DispatchStatus.CANCELLED: "closed_at",
    }[new]
    row.status = new
    setattr(row, stamp, now)
    session.flush()
    after = {"status": new, stamp: now}
    if note:
        after["note"] = note
    append_event(session, actor, "dispatch.status", "dispatch", row.id, {"status": old}, after)

    unit = get_unit(session, row.unit_id, for_update=True)
    unit_status = {
        DispatchStatus.EN_ROUTE: UnitStatus.EN_ROUTE,
        DispatchStatus.ON_SCENE: UnitStatus.ON_SCENE,
        DispatchStatus.COMPLETED: UnitStatus.AVAILABLE,
        DispatchStatus.CANCELLED: UnitStatus.AVAILABLE,
    }[new]
    _move_unit(session, unit, unit_status, actor, row.id)

    extra = {"dispatch_id": row.id}
    for report in covered_reports(session, row, for_update=True):
        target = _report_target(new, ReportStatus(report.status))
        if target is None:
            continue
        # Closing this dispatch leaves a report alone while another open dispatch still covers it.
        if target is not ReportStatus.ON_SCENE and open_dispatch_ids(session, report, exclude=row.id):
            continue
        set_status(session, report, target, actor, extra_after=extra)
    return row


def _report_target(new: DispatchStatus, status: ReportStatus) -> ReportStatus | None:
    """Where a covered report in ``status`` goes when its dispatch moves to ``new`` (None: it stays)."""
    if new is DispatchStatus.ON_SCENE and status is ReportStatus.DISPATCHED:
        return ReportStatus.ON_SCENE
    if new is DispatchStatus.COMPLETED and status in (ReportStatus.DISPATCHED, ReportStatus.ON_SCENE):
        return ReportStatus.RESOLVED
    if new is DispatchStatus.CANCELLED and status is ReportStatus.DISPATCHED:
        return ReportStatus.TRIAGED
    return None


def timeline(session: Session, dispatch_id: int) -> list[Event]:
    """The dispatch's Events, oldest first: created, then each status change (who, when, before/after)."""
    return list(
        session.scalars(
            select(Event)
            .where(Event.entity == "dispatch", Event.entity_id == str(dispatch_id))
            .order_by(Event.id)
        )
    )


def dispatches_for(
    session: Session, *, report: Report | None = None, cluster_id: int | None = None
) -> list[Dispatch]:
    """Dispatches that cover a report (sent to it or to its cluster) or a cluster, newest first."""
    conditions = []
    if report is not None:
        conditions.append(Dispatch.report_id == report.id)
        if report.cluster_id is not None:
            conditions.append(Dispatch.cluster_id == report.cluster_id)
    if cluster_id is not None:
        conditions.append(Dispatch.cluster_id == cluster_id)
        conditions.append(Dispatch.report_id.in_(select(Report.id).where(Report.cluster_id == cluster_id)))
    if not conditions:
        return []
    return list(session.scalars(select(Dispatch).where(or_(*conditions)).order_by(Dispatch.id.desc())))


def list_dispatches(session: Session, *, open_only: bool = False, limit: int = 100) -> list[Dispatch]:
    """Dispatches, newest first (only open ones with ``open_only``)."""
    stmt = select(Dispatch).order_by(Dispatch.id.desc()).limit(max(1, min(limit, 1000)))
    if open_only:
        stmt = stmt.where(Dispatch.status.in_(OPEN_DISPATCH))
    return list(session.scalars(stmt))


# ------------------------------------------------------------------------------------------ figures


@dataclass(frozen=True, slots=True)
class DayFigures:
    """One day's figures. Times are in minutes; None when the day has no such data (never 0)."""

    day: date
    received: int  # reports submitted that day
    dispatches: int  # dispatches created that day
    to_dispatch_median: float | None
    to_dispatch_p90: float | None
    to_scene_median: float | None
    to_scene_p90: float | None
    to_dispatch_n: int  # dispatches the time-to-dispatch figures are computed from
    to_scene_n: int  # dispatches the time-to-scene figures are computed from


def median(values: list[float]) -> float | None:
    """The median (the mean of the two middle values for an even count); None for no values."""
    return statistics.median(values) if values else None


def p90(values: list[float]) -> float | None:
    """The 90th percentile by the nearest-rank method (a value that occurred); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def daily_figures(
    session: Session, *, days: int = 14, tz: tzinfo = UTC, now: datetime | None = None
) -> list[DayFigures]:
    """Figures for the last ``days`` calendar days in ``tz`` (today included), oldest first.

    - received: reports submitted that day;
    - dispatches: dispatches created that day;
    - time-to-dispatch, per dispatch created that day: from the submission of the earliest report it
      covers (for a cluster, its earliest report submitted before the dispatch) to the dispatch;
    - time-to-scene, per dispatch created that day that reached the scene: from the dispatch to
      ``on_scene_at``.

    Median and 90th percentile (nearest rank) in minutes; None when there is no such dispatch that day.
    """
    now = _now(now)
    days = max(1, min(int(days), MAX_DAYS))
    today = now.astimezone(tz).date()
    day_list = [today - timedelta(days=days - 1 - i) for i in range(days)]
    bounds = [_day_start(d, tz) for d in day_list] + [_day_start(today + timedelta(days=1), tz)]
    lo, hi = bounds[0], bounds[-1]

    received_cols = [
        func.sum(case((and_(Report.submitted_at >= a, Report.submitted_at < b), 1), else_=0))
        for a, b in itertools.pairwise(bounds)
    ]
    received_row = session.execute(
        select(*received_cols).where(Report.submitted_at >= lo, Report.submitted_at < hi)
    ).one()
    received = [int(v or 0) for v in received_row]

    cluster_first = (
        select(func.min(Report.submitted_at))
        .where(Report.cluster_id == Dispatch.cluster_id, Report.submitted_at <= Dispatch.created_at)
        .correlate(Dispatch)
        .scalar_subquery()
    )
    report_at = select(Report.submitted_at).where(Report.id == Dispatch.report_id).correlate(Dispatch)
    rows = session.execute(
        select(
            Dispatch.created_at,
            Dispatch.on_scene_at,
            type_coerce(
                case((Dispatch.report_id.is_not(None), report_at.scalar_subquery()), else_=cluster_first),
                UTCDateTime(),
            ),
        ).where(Dispatch.created_at >= lo, Dispatch.created_at < hi)
    ).all()
    per_day: dict[date, tuple[list[float], list[float], list[int]]] = {d: ([], [], [0]) for d in day_list}
    for created, on_scene, first_report in rows:
        day = created.astimezone(tz).date()
        if day not in per_day:
            continue
        to_dispatch, to_scene, count = per_day[day]
        count[0] += 1
        if first_report is not None:
            to_dispatch.append(_minutes(created - first_report))
        if on_scene is not None:
            to_scene.append(_minutes(on_scene - created))
    out = []
    for i, d in enumerate(day_list):
        to_dispatch, to_scene, count = per_day[d]
        out.append(
            DayFigures(
                day=d,
                received=received[i],
                dispatches=count[0],
                to_dispatch_median=median(to_dispatch),
                to_dispatch_p90=p90(to_dispatch),
                to_scene_median=median(to_scene),
                to_scene_p90=p90(to_scene),
                to_dispatch_n=len(to_dispatch),
                to_scene_n=len(to_scene),
            )
        )
    return out


def _minutes(delta: timedelta) -> float:
    return delta.total_seconds() / 60


def _day_start(day: date, tz: tzinfo) -> datetime:
    """The instant a calendar day begins in ``tz`` (DST-safe: local midnight, then to UTC)."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
