"""RegionStatus rows: danger declared / all clear per region, kept in step with the stored claims.

Which claims count: current (not superseded) claims of kind ``attack_no_outcome`` (``STATUS_KINDS``) whose
message text declares danger or an all-clear (``tocsin.status.status_events``, read with the text of the
claim's message version and the message's ``published_at``). Each of the claim's regions gets the event.

What is stored (``tocsin.status.intervals`` per region):

- a danger interval → one row ``status="danger"``, ``started_at`` = the first danger, ``ended_at`` = the
  all-clear that closed it (NULL while it lasts), ``weapon`` (uav / missile / mixed / NULL), ``message_id``
  = the message that declared the danger (the earliest published one when several did at that instant);
- an all-clear with no danger seen before it → one row ``status="clear"`` with ``started_at = ended_at`` =
  the all-clear and its ``message_id``: it proves a danger we did not see was lifted then.

Idempotent: a refresh recomputes the intervals of each touched region over a time range and writes only the
difference (rows no longer produced are deleted, new ones inserted; equal rows are left alone), so a re-run
adds nothing. The range is the touched events' times ± ``STATUS_MARGIN`` (2 days), widened to the start of
any stored interval open at its start and to the end of any stored interval open at its end; when the
recomputed last interval is still open, every later event of the region is read too (a late all-clear must
close it). Since the state machine is closed at the range's start, the result equals a full recomputation.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from tocsin.domain import Kind, Weapon
from tocsin.status import CLEAR, DANGER, StatusEvent, intervals, status_events
from tocsin.store import repo
from tocsin.store.models import (
    ClaimRegion,
    ClaimRow,
    Message,
    MessageVersion,
    RegionStatus,
    RegionStatusValue,
    claim_version_join,
)

if TYPE_CHECKING:
    from tocsin.incidents import RefreshResult

STATUS_KINDS = (Kind.ATTACK_NO_OUTCOME,)
STATUS_MARGIN = timedelta(days=2)
LOCK_STATUSES = 0x7473  # "ts": see tocsin.incidents.region_lock

RowKey = tuple[str, datetime, datetime | None, str | None, int | None]  # status, start, end, weapon, message


def _at_column() -> Any:
    return func.coalesce(ClaimRow.period_start, ClaimRow.period_end, Message.published_at)


_STATUS_CLAIMS = (
    select(ClaimRow, Message.published_at, MessageVersion.text)
    .join(Message, Message.id == ClaimRow.message_id)
    .join(
        MessageVersion,
        claim_version_join(),
    )
    .where(
        ClaimRow.superseded.is_(False),
        ClaimRow.kind.in_(STATUS_KINDS),
        Message.published_at.is_not(None),
    )
)


def _events(
    session: Session, iso: str, lo: datetime | None, hi: datetime | None
) -> list[tuple[StatusEvent, datetime, int]]:
    """(event, published, message_id) for the region's status claims whose time lies in [lo, hi]."""
    at = _at_column()
    stmt = _STATUS_CLAIMS.where(ClaimRow.id.in_(select(ClaimRegion.claim_id).where(ClaimRegion.iso == iso)))
    if lo is not None:
        stmt = stmt.where(at >= lo)
    if hi is not None:
        stmt = stmt.where(at <= hi)
    out = []
    for row, published, text in session.execute(stmt):
        for ev in status_events(repo.claim_from_row(row), text, published):
            if ev.iso == iso:
                out.append((ev, published, row.message_id))
    return out


def _rows(events: list[tuple[StatusEvent, datetime, int]]) -> set[RowKey]:
    first: dict[tuple[datetime, str], tuple[datetime, int]] = {}
    for ev, published, message_id in events:
        k = (ev.at, ev.status)
        if k not in first or (published, message_id) < first[k]:
            first[k] = (published, message_id)
    out: set[RowKey] = set()
    for iv in intervals(ev for ev, _, _ in events):
        if iv.ended_at is not None and iv.ended_at == iv.started_at and (iv.started_at, DANGER) not in first:
            status = CLEAR
        else:
            status = DANGER
        message = first.get((iv.started_at, status))
        out.add((status, iv.started_at, iv.ended_at, iv.weapon, message[1] if message else None))
    return out


def _stored(session: Session, iso: str, lo: datetime | None, hi: datetime | None) -> dict[RowKey, list[int]]:
    stmt = select(RegionStatus).where(RegionStatus.iso == iso)
    if lo is not None:
        stmt = stmt.where(RegionStatus.started_at >= lo)
    if hi is not None:
        stmt = stmt.where(RegionStatus.started_at <= hi)
    out: dict[RowKey, list[int]] = defaultdict(list)
    for rs in session.scalars(stmt):
        weapon = None if rs.weapon is None else str(rs.weapon)
        out[(str(rs.status), rs.started_at, rs.ended_at, weapon, rs.message_id)].append(rs.id)
    return out


def _widen(session: Session, iso: str, lo: datetime, hi: datetime) -> tuple[datetime | None, datetime | None]:
    """Widen [lo, hi] over stored intervals that are open across either end."""
    spanning = select(func.min(RegionStatus.started_at)).where(
        RegionStatus.iso == iso,
        RegionStatus.started_at < lo,
        or_(RegionStatus.ended_at.is_(None), RegionStatus.ended_at >= lo),
    )
    start = session.scalar(spanning)
    lo = min(lo, start) if start is not None else lo
    across = select(RegionStatus.ended_at).where(
        RegionStatus.iso == iso,
        RegionStatus.started_at <= hi,
        or_(RegionStatus.ended_at.is_(None), RegionStatus.ended_at > hi),
    )
    ends = list(session.scalars(across))
    if any(e is None for e in ends):
        return lo, None
    return lo, max([hi, *ends])


def _sync(session: Session, iso: str, lo: datetime | None, hi: datetime | None) -> tuple[int, int]:
    from tocsin.incidents import region_lock

    region_lock(session, LOCK_STATUSES, iso)
    events = _events(session, iso, lo, hi)
    wanted = _rows(events)
    if hi is not None and any(k[2] is None for k in wanted):
        hi = None  # an open danger: a later all-clear (outside the range) must close it
        events = _events(session, iso, lo, hi)
        wanted = _rows(events)
    have = _stored(session, iso, lo, hi)
    remove = [i for key, ids in have.items() for i in (ids if key not in wanted else ids[1:])]
    add = [k for k in wanted if k not in have]
    if remove:
        session.execute(
            delete(RegionStatus).where(RegionStatus.id.in_(remove)),
            execution_options={"synchronize_session": False},
        )
    for status, start, end, weapon, message_id in sorted(add, key=lambda k: (k[1], k[0])):
        session.add(
            RegionStatus(
                iso=iso,
                status=RegionStatusValue(status),
                weapon=None if weapon is None else Weapon(weapon),
                started_at=start,
                ended_at=end,
                message_id=message_id,
            )
        )
    if add or remove:
        session.flush()
    return len(add), len(remove)


def refresh_statuses(session: Session, claim_ids: Collection[int]) -> RefreshResult:
    """Bring the RegionStatus rows of every region these claims declare a status for (or whose earlier
    versions did) in step with the stored claims."""
    from tocsin.incidents import RefreshResult, _chunks

    result = RefreshResult()
    ids = {int(i) for i in claim_ids}
    if not ids:
        return result
    times: dict[str, list[datetime]] = defaultdict(list)
    message_ids: set[int] = set()
    for chunk in _chunks(ids):
        for row, published, text in session.execute(
            select(ClaimRow, Message.published_at, MessageVersion.text)
            .join(Message, Message.id == ClaimRow.message_id)
            .join(
                MessageVersion,
                claim_version_join(),
            )
            .where(ClaimRow.id.in_(chunk))
        ):
            message_ids.add(row.message_id)
            if row.superseded or published is None or row.kind not in STATUS_KINDS:
                continue
            for ev in status_events(repo.claim_from_row(row), text, published):
                times[ev.iso].append(ev.at)
    for chunk in _chunks(message_ids):  # rows an earlier version of these messages produced
        for rs in session.scalars(select(RegionStatus).where(RegionStatus.message_id.in_(chunk))):
            times[rs.iso].append(rs.started_at)
            if rs.ended_at is not None:
                times[rs.iso].append(rs.ended_at)
    from tocsin.incidents import region_lock

    for iso in sorted(times):
        region_lock(session, LOCK_STATUSES, iso)  # before reading the stored intervals
        lo, hi = _widen(session, iso, min(times[iso]) - STATUS_MARGIN, max(times[iso]) + STATUS_MARGIN)
        added, removed = _sync(session, iso, lo, hi)
        result.statuses_added += added
        result.statuses_removed += removed
    return result


def refresh_all_statuses(session: Session) -> RefreshResult:
    """Recompute every region's status intervals from all stored claims (idempotent)."""
    from tocsin.incidents import RefreshResult

    result = RefreshResult()
    isos = set(session.scalars(select(RegionStatus.iso).distinct()))
    isos |= set(
        session.scalars(
            select(ClaimRegion.iso)
            .join(ClaimRow, ClaimRow.id == ClaimRegion.claim_id)
            .where(ClaimRow.superseded.is_(False), ClaimRow.kind.in_(STATUS_KINDS))
            .distinct()
        )
    )
    for iso in sorted(isos):
        added, removed = _sync(session, iso, None, None)
        result.statuses_added += added
        result.statuses_removed += removed
    return result
