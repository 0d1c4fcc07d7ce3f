"""Triage of residents' reports: the operators' queue, claim locks, status transitions, incident links.

- ``queue``: what needs attention, most urgent first — by category priority (``CATEGORY_PRIORITY``:
  injured people, fire, suspicious object, debris, damage, other) then by age (oldest first). A cluster
  (``tocsin.clusters``) is one line, led by its oldest report, with its member count.
- ``claim`` / ``release``: an expiring lock on a report so that two operators don't work the same report.
  Taking it is one conditional UPDATE (free, expired or already mine), so of two operators claiming at
  the same moment exactly one wins — on SQLite (writes are serialised) and on PostgreSQL (the second
  UPDATE waits for the first's row lock, then re-checks its WHERE against the committed row).
- ``transition``: the moves ``REPORT_TRANSITIONS`` allows; the caller must hold the lock (a free or
  expired lock is taken).
- ``link_incident`` / ``unlink_incident``: tie a report to the Incident it belongs to.

Every change appends an audit Event (``tocsin.store.repo.append_event``) with the changed fields before and
after; a reporter's contact never goes into an Event. These functions flush but do not commit: the caller
owns the transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.orm import Session

from tocsin.domain import REPORT_TRANSITIONS, DispatchStatus, ReportCategory, ReportStatus
from tocsin.store.models import Dispatch, Incident, Report, ReportCluster, ReportPhoto, User
from tocsin.store.repo import append_event

ACTIVE = (ReportStatus.NEW, ReportStatus.TRIAGED, ReportStatus.DISPATCHED, ReportStatus.ON_SCENE)
OPEN_DISPATCH = (DispatchStatus.ASSIGNED, DispatchStatus.EN_ROUTE, DispatchStatus.ON_SCENE)
DEFAULT_LOCK_MINUTES = 10  # Settings.claim_lock_minutes' default
MAX_QUEUE = 1000
EXCERPT = 160  # characters of the description a queue line shows


class TriageError(Exception):
    """A triage action that cannot be done; the message says why (shown to the operator)."""


class NotFoundError(TriageError):
    """No such report (or incident)."""


class LockedError(TriageError):
    """Another user holds a live claim lock on the report."""

    def __init__(self, report_id: int, holder: str, until: datetime) -> None:
        super().__init__(f"report #{report_id} is claimed by {holder} until {until:%H:%M} UTC")
        self.report_id = report_id
        self.holder = holder
        self.until = until


class TransitionError(TriageError):
    """A status change the rules do not allow."""


@dataclass(frozen=True, slots=True)
class QueueItem:
    """One line of the queue: a report, or a cluster led by its oldest report in the queue."""

    report_id: int  # the lead report
    category: ReportCategory
    priority: int
    status: ReportStatus
    submitted_at: datetime
    observed_at: datetime
    place: str | None  # resolved settlement, else what the resident typed
    excerpt: str | None  # start of the description
    photos: int
    cluster_id: int | None
    members: int  # reports of this line in the queue (1 for an unclustered report)
    cluster_size: int | None  # every report of the cluster, whatever its status
    incident_id: int | None
    lock_holder: str | None  # username holding a live claim lock on the lead report
    lock_until: datetime | None


def _now(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    return now


def queue(
    session: Session,
    *,
    statuses: Iterable[ReportStatus] = ACTIVE,
    category: ReportCategory | None = None,
    now: datetime | None = None,
    limit: int = 200,
) -> list[QueueItem]:
    """The triage queue: reports in ``statuses`` (of ``category``), one line per cluster plus one per
    unclustered report, ordered by priority then age (oldest first); at most ``limit`` lines."""
    now = _now(now)
    statuses = [ReportStatus(s) for s in statuses]
    limit = max(1, min(int(limit), MAX_QUEUE))
    if not statuses:
        return []
    # One partition per cluster; an unclustered report is its own partition (-id never meets a cluster id).
    group = case((Report.cluster_id.is_(None), -Report.id), else_=Report.cluster_id)
    order = (Report.priority, Report.submitted_at, Report.id)
    conditions = [Report.status.in_(statuses)]
    if category is not None:
        conditions.append(Report.category == ReportCategory(category))
    ranked = (
        select(
            Report.id.label("id"),
            func.row_number().over(partition_by=group, order_by=order).label("rn"),
            func.count().over(partition_by=group).label("members"),
        )
        .where(*conditions)
        .subquery()
    )
    photo_count = (
        select(func.count())
        .select_from(ReportPhoto)
        .where(ReportPhoto.report_id == Report.id)
        .correlate(Report)
        .scalar_subquery()
    )
    stmt = (
        select(
            Report.id,
            Report.category,
            Report.priority,
            Report.status,
            Report.submitted_at,
            Report.observed_at,
            Report.place_name,
            Report.location_text,
            Report.description,
            photo_count.label("photos"),
            Report.cluster_id,
            ranked.c.members,
            ReportCluster.size,
            Report.incident_id,
            User.username,
            Report.lock_expires_at,
        )
        .join(ranked, ranked.c.id == Report.id)
        .outerjoin(ReportCluster, ReportCluster.id == Report.cluster_id)
        .outerjoin(User, and_(User.id == Report.locked_by_id, Report.lock_expires_at > now))
        .where(ranked.c.rn == 1)
        .order_by(*order)
        .limit(limit)
    )
    out = []
    for row in session.execute(stmt):
        description = (row.description or "").strip()
        out.append(
            QueueItem(
                report_id=row.id,
                category=ReportCategory(row.category),
                priority=row.priority,
                status=ReportStatus(row.status),
                submitted_at=row.submitted_at,
                observed_at=row.observed_at,
                place=row.place_name or row.location_text,
                excerpt=(description[:EXCERPT] + ("…" if len(description) > EXCERPT else "")) or None,
                photos=int(row.photos or 0),
                cluster_id=row.cluster_id,
                members=int(row.members),
                cluster_size=row.size,
                incident_id=row.incident_id,
                lock_holder=row.username,
                lock_until=row.lock_expires_at if row.username else None,
            )
        )
    return out


# ------------------------------------------------------------------------------------------ locks


@dataclass(frozen=True, slots=True)
class Lock:
    """Who holds a live claim lock on a report, until when."""

    holder: str
    holder_id: int
    until: datetime


def lock_of(session: Session, report_id: int, *, now: datetime | None = None) -> Lock | None:
    """The live claim lock on a report, or None when it is free or expired."""
    now = _now(now)
    row = session.execute(
        select(User.username, User.id, Report.lock_expires_at)
        .join(User, User.id == Report.locked_by_id)
        .where(Report.id == report_id, Report.lock_expires_at > now)
    ).first()
    return None if row is None else Lock(row[0], row[1], row[2])


def _lock_fields(session: Session, report_id: int) -> dict:
    row = session.execute(
        select(User.username, Report.lock_expires_at)
        .select_from(Report)
        .outerjoin(User, User.id == Report.locked_by_id)
        .where(Report.id == report_id)
    ).first()
    if row is None:
        raise NotFoundError(f"no report #{report_id}")
    return {"locked_by": row[0], "lock_expires_at": row[1]}


def _take_lock(session: Session, report_id: int, user: User, now: datetime, minutes: float) -> dict:
    """The conditional UPDATE: the lock becomes ``user``'s if it is free, expired or already theirs.
    Returns the lock fields as they were; raises LockedError / NotFoundError otherwise."""
    until = now + timedelta(minutes=minutes)
    for _attempt in range(2):  # a second try only when the holder let go between the UPDATE and the check
        before = _lock_fields(session, report_id)
        result = session.execute(
            update(Report)
            .where(
                Report.id == report_id,
                or_(
                    Report.locked_by_id.is_(None),
                    Report.lock_expires_at.is_(None),
                    Report.lock_expires_at <= now,
                    Report.locked_by_id == user.id,
                ),
            )
            .values(locked_by_id=user.id, lock_expires_at=until),
            execution_options={"synchronize_session": False},
        )
        if result.rowcount == 1:
            return before
        lock = lock_of(session, report_id, now=now)
        if lock is not None:
            raise LockedError(report_id, lock.holder, lock.until)
    raise LockedError(report_id, "another user", until)


def _load(session: Session, report_id: int) -> Report:
    report = session.get(Report, report_id, populate_existing=True)
    if report is None:
        raise NotFoundError(f"no report #{report_id}")
    return report


def claim(
    session: Session, report_id: int, user: User, *, minutes: float, now: datetime | None = None
) -> datetime:
    """Claim ``report_id`` for ``user`` for ``minutes`` (their own claim is extended); returns when it
    expires. Another user's live claim raises ``LockedError(holder, until)``."""
    now = _now(now)
    if minutes <= 0:
        raise ValueError("a claim lasts a positive number of minutes")
    before = _take_lock(session, report_id, user, now, minutes)
    report = _load(session, report_id)
    after = {"locked_by": user.username, "lock_expires_at": report.lock_expires_at}
    append_event(session, user.username, "report.claim", "report", report_id, before, after)
    return report.lock_expires_at  # type: ignore[return-value]


def release(session: Session, report_id: int, user: User, *, now: datetime | None = None) -> bool:
    """Give up ``user``'s claim on the report; False when there was none of theirs to release (another
    user's live claim raises ``LockedError``)."""
    now = _now(now)
    before = _lock_fields(session, report_id)
    result = session.execute(
        update(Report)
        .where(Report.id == report_id, Report.locked_by_id == user.id)
        .values(locked_by_id=None, lock_expires_at=None),
        execution_options={"synchronize_session": False},
    )
    if result.rowcount != 1:
        lock = lock_of(session, report_id, now=now)
        if lock is not None:
            raise LockedError(report_id, lock.holder, lock.until)
        return False
    _load(session, report_id)
    after = {"locked_by": None, "lock_expires_at": None}
    append_event(session, user.username, "report.release", "report", report_id, before, after)
    return True


# ------------------------------------------------------------------------------------- transitions


def allowed_moves(status: ReportStatus) -> list[ReportStatus]:
    """Where a report in ``status`` may go, in the order of ``ReportStatus``."""
    targets = REPORT_TRANSITIONS[ReportStatus(status)]
    return [s for s in ReportStatus if s in targets]


def open_dispatch_ids(session: Session, report: Report, *, exclude: int | None = None) -> list[int]:
    """Open dispatches that cover ``report`` (sent to it, or to its cluster)."""
    covers = Dispatch.report_id == report.id
    if report.cluster_id is not None:
        covers = or_(covers, Dispatch.cluster_id == report.cluster_id)
    stmt = select(Dispatch.id).where(covers, Dispatch.status.in_(OPEN_DISPATCH)).order_by(Dispatch.id)
    if exclude is not None:
        stmt = stmt.where(Dispatch.id != exclude)
    return list(session.scalars(stmt))


def set_status(
    session: Session,
    report: Report,
    new_status: ReportStatus,
    actor: str,
    *,
    note: str | None = None,
    extra_before: dict | None = None,
    extra_after: dict | None = None,
) -> None:
    """Move ``report`` to ``new_status`` if ``REPORT_TRANSITIONS`` allows it, with its Event. No lock
    check: for ``transition`` (which checks it) and ``tocsin.dispatch`` (whose dispatch drives the status)."""
    old = ReportStatus(report.status)
    new = ReportStatus(new_status)
    if new not in REPORT_TRANSITIONS[old]:
        raise TransitionError(f"report #{report.id}: {old} → {new} is not allowed")
    report.status = new
    before = {"status": old, **(extra_before or {})}
    after = {"status": new, **(extra_after or {})}
    if note:
        after["note"] = note
    session.flush()
    append_event(session, actor, "report.status", "report", report.id, before, after)


def transition(
    session: Session,
    report_id: int,
    new_status: ReportStatus,
    user: User,
    *,
    note: str | None = None,
    duplicate_of: int | None = None,
    now: datetime | None = None,
    lock_minutes: float = DEFAULT_LOCK_MINUTES,
) -> Report:
    """Move a report to ``new_status`` (an allowed move only). The caller must hold the claim lock, or
    it must be free or expired (then ``user`` takes it for ``lock_minutes``). ``duplicate`` needs
    ``duplicate_of``, the id of another report that is not itself a duplicate; leaving ``duplicate``
    forgets it. A report that an open dispatch covers cannot go back to ``triaged`` by hand (cancel the
    dispatch). ``note`` is kept in the Event."""
    now = _now(now)
    new = ReportStatus(new_status)
    note = (note or "").strip() or None
    if duplicate_of is not None and new is not ReportStatus.DUPLICATE:
        raise TransitionError("only a duplicate names the report it duplicates")
    before_lock = _take_lock(session, report_id, user, now, lock_minutes)
    held = before_lock["locked_by"] == user.username and (before_lock["lock_expires_at"] or now) > now
    if not held:  # the lock was free or expired and is now the caller's: that is a change too
        append_event(
            session,
            user.username,
            "report.claim",
            "report",
            report_id,
            before_lock,
            {"locked_by": user.username, "lock_expires_at": now + timedelta(minutes=lock_minutes)},
        )
    report = _load(session, report_id)
    old = ReportStatus(report.status)
    if new not in REPORT_TRANSITIONS[old]:
        raise TransitionError(f"report #{report_id}: {old} → {new} is not allowed")
    extra_before: dict = {}
    extra_after: dict = {}
    if new is ReportStatus.DUPLICATE:
        original = _original(session, report, duplicate_of)
        extra_before["duplicate_of_id"] = report.duplicate_of_id
        extra_after["duplicate_of_id"] = original.id
        report.duplicate_of_id = original.id
    elif old is ReportStatus.DUPLICATE:
        extra_before["duplicate_of_id"] = report.duplicate_of_id
        extra_after["duplicate_of_id"] = None
        report.duplicate_of_id = None
    if new is ReportStatus.TRIAGED and old in (ReportStatus.DISPATCHED, ReportStatus.ON_SCENE):
        open_ids = open_dispatch_ids(session, report)
        if open_ids:
            raise TransitionError(
                f"report #{report_id} is covered by dispatch #{open_ids[0]}: cancel the dispatch instead"
            )
    set_status(
        session, report, new, user.username, note=note, extra_before=extra_before, extra_after=extra_after
    )
    return report


def _original(session: Session, report: Report, duplicate_of: int | None) -> Report:
    if duplicate_of is None:
        raise TransitionError("a duplicate needs the number of the report it duplicates")
    if duplicate_of == report.id:
        raise TransitionError("a report cannot duplicate itself")
    original = session.get(Report, duplicate_of)
    if original is None:
        raise TransitionError(f"no report #{duplicate_of}")
    if original.status is ReportStatus.DUPLICATE:
        raise TransitionError(
            f"report #{duplicate_of} is itself a duplicate of #{original.duplicate_of_id}: name that one"
        )
    return original


# --------------------------------------------------------------------------------------- incidents


def link_incident(session: Session, report_id: int, incident_id: int, user: User) -> Report:
    """Tie a report to an Incident (replacing an earlier link)."""
    report = _load(session, report_id)
    incident = session.get(Incident, incident_id)
    if incident is None or incident.deleted_at is not None:
        raise NotFoundError(f"no incident #{incident_id}")
    if report.incident_id == incident_id:
        return report
    before = {"incident_id": report.incident_id}
    report.incident_id = incident_id
    session.flush()
    append_event(
        session, user.username, "report.incident", "report", report_id, before, {"incident_id": incident_id}
    )
    return report


def unlink_incident(session: Session, report_id: int, user: User) -> Report:
    """Remove a report's link to an Incident (nothing happens when there is none)."""
    report = _load(session, report_id)
    if report.incident_id is None:
        return report
    before = {"incident_id": report.incident_id}
    report.incident_id = None
    session.flush()
    append_event(
        session, user.username, "report.incident", "report", report_id, before, {"incident_id": None}
    )
    return report


# ------------------------------------------------------------------------------------------ reading


def cluster_members(session: Session, cluster_id: int) -> list[Report]:
    """Every report of a cluster, most urgent and oldest first."""
    return list(
        session.scalars(
            select(Report)
            .where(Report.cluster_id == cluster_id)
            .order_by(Report.priority, Report.submitted_at, Report.id)
        )
    )
