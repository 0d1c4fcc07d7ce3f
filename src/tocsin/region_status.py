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

An event's time is the claim's pinned start, else its pinned end, else the message's ``published_at``
(``tocsin.status``). A pinned end alone is used only within 48 h before / 24 h after publication
(``merge.END_ONLY_BEFORE``/``END_ONLY_AFTER``, the merge's rule: the extractor never pins an end alone, so
such an end is not trusted; the claim declares nothing). That keeps every event findable by an index range
scan on the start or on the publication time.

Idempotent: a refresh recomputes the intervals of each touched region over a time range and writes only the
difference (rows no longer produced are deleted, new ones inserted; equal rows are left alone), so a re-run
adds nothing. The touched events are those of the refreshed claims, those of the earlier (superseded)
versions of their messages — an edited all-clear may have closed another message's danger, which must now
stay open — and the times of the rows those messages produced. The range is their times ± ``STATUS_MARGIN``
(2 days), widened to the start of any stored interval open at its start and to the end of any stored
interval open at its end; when the recomputed last interval is still open, every later event of the region
is read too (a late all-clear must close it). Since the state machine is closed at the range's start, the
result equals a full recomputation. The events of all the touched regions are read together (two index
range scans per time range); rows are inserted with one multi-row INSERT.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, delete, func, insert, or_, select
from sqlalchemy.orm import Session

from tocsin.domain import Claim, Kind, Period, RegionCount, Weapon
from tocsin.incidents import _unpinned
from tocsin.merge import END_ONLY_AFTER, END_ONLY_BEFORE
from tocsin.status import CLEAR, DANGER, StatusEvent, intervals, status_events
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
CHUNK = 900

RowKey = tuple[str, datetime, datetime | None, str | None, int | None]  # status, start, end, weapon, message
Found = tuple[StatusEvent, datetime, int]  # the event, the message's published_at, the message id
Span = tuple[datetime | None, datetime | None]  # None: unbounded

_COLUMNS = (
    ClaimRow.id,
    ClaimRow.message_id,
    ClaimRow.kind,
    ClaimRow.weapon,
    ClaimRow.period_start,
    ClaimRow.period_end,
    Message.published_at,
    MessageVersion.text,
)
_CURRENT = (
    ClaimRow.superseded.is_(False),
    ClaimRow.kind.in_(STATUS_KINDS),
    Message.published_at.is_not(None),
)
_BY_ID = (
    select(*_COLUMNS)
    .join(Message, Message.id == ClaimRow.message_id)
    .join(MessageVersion, claim_version_join())
    .where(ClaimRow.id.in_(bindparam("ids", expanding=True)), *_CURRENT)
)
_EARLIER = (  # the superseded claims of some messages
    select(*_COLUMNS)
    .join(Message, Message.id == ClaimRow.message_id)
    .join(MessageVersion, claim_version_join())
    .where(
        ClaimRow.message_id.in_(bindparam("ids", expanding=True)),
        ClaimRow.superseded.is_(True),
        ClaimRow.kind.in_(STATUS_KINDS),
        Message.published_at.is_not(None),
    )
)
_REGIONS = (
    select(ClaimRegion.claim_id, ClaimRegion.iso)
    .where(ClaimRegion.claim_id.in_(bindparam("ids", expanding=True)))
    .order_by(ClaimRegion.claim_id, ClaimRegion.position)
)


def _chunks(ids: Iterable[int]) -> Iterable[list[int]]:
    items = sorted(set(ids))
    for lo in range(0, len(items), CHUNK):
        yield items[lo : lo + CHUNK]


def _between(lo: datetime | None, hi: datetime | None) -> list[Any]:
    """Statements reading the status claims whose event time may lie in [lo, hi] (None: unbounded): one
    by the pinned start (``ix_claim_period_start``), one by publication (``ix_message_published_at``)."""

    def within(col: Any, a: datetime | None, b: datetime | None) -> list[Any]:
        return [
            c for c in (None if a is None else col >= a, None if b is None else col <= b) if c is not None
        ]

    pinned = (
        select(*_COLUMNS)
        .select_from(ClaimRow)
        .join(Message, Message.id == ClaimRow.message_id)
        .join(MessageVersion, claim_version_join())
        .where(ClaimRow.period_start.is_not(None), *within(ClaimRow.period_start, lo, hi), *_CURRENT)
    )
    # an end pinned alone lies within [published - 48 h, published + 24 h]: read those published near
    pub_lo = None if lo is None else lo - END_ONLY_AFTER
    pub_hi = None if hi is None else hi + END_ONLY_BEFORE
    unpinned = (
        select(*_COLUMNS)
        .select_from(Message)
        .join(ClaimRow, ClaimRow.message_id == Message.id)
        .join(MessageVersion, claim_version_join())
        .where(_unpinned(), *within(Message.published_at, pub_lo, pub_hi), *_CURRENT)
    )
    return [pinned, unpinned]


class _Reader:
    """Status events of stored claims, each claim read and classified once per refresh."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.found: dict[int, list[Found]] = {}  # claim id → its events

    def _read(self, rows: list[Any]) -> list[int]:
        new = [row for row in rows if row.id not in self.found]
        isos: dict[int, list[str]] = defaultdict(list)
        for chunk in _chunks(row.id for row in new):
            for cid, iso in self.session.execute(_REGIONS, {"ids": chunk}):
                isos[cid].append(iso)
        for row in new:
            self.found[row.id] = _found(row, isos.get(row.id, []))
        return [row.id for row in rows]

    def of_claims(self, ids: Collection[int]) -> list[Found]:
        """The events the given claims declare (superseded ones and other kinds declare none)."""
        rows: list[Any] = []
        for chunk in _chunks(ids):
            rows += self.session.execute(_BY_ID, {"ids": chunk}).all()
        return self.found_in(rows)

    def found_in(self, rows: list[Any]) -> list[Found]:
        """The events of claims read with ``_COLUMNS``."""
        return [f for cid in self._read(rows) for f in self.found[cid]]

    def between(self, spans: Mapping[str, Span]) -> dict[str, list[Found]]:
        """Each region's events whose time lies in its span, read for all the regions at once."""
        ids: set[int] = set()
        for lo, hi in _merged(spans.values()):
            for stmt in _between(lo, hi):
                ids.update(self._read(self.session.execute(stmt).all()))
        out: dict[str, list[Found]] = {iso: [] for iso in spans}
        for cid in ids:
            for found in self.found[cid]:
                span = spans.get(found[0].iso)
                if span is not None and _inside((found[0].at, found[0].at), span):
                    out[found[0].iso].append(found)
        return out


def _found(row: Any, isos: list[str]) -> list[Found]:
    start, end, published = row.period_start, row.period_end, row.published_at
    if (
        start is None
        and end is not None
        and not published - END_ONLY_BEFORE <= end <= published + END_ONLY_AFTER
    ):
        return []  # an end pinned alone, far from publication: not trusted (see the module docstring)
    claim = Claim(
        kind=Kind(row.kind),
        weapon=None if row.weapon is None else Weapon(row.weapon),
        per_region=[RegionCount(iso=iso) for iso in isos],
        period=Period(
            None,
            None if start is None else start.isoformat(),
            None if end is None else end.isoformat(),
        ),
    )
    return [(ev, published, row.message_id) for ev in status_events(claim, row.text, published)]


def _inside(a: Span, b: Span) -> bool:
    """Whether span ``a`` lies inside span ``b`` (None: unbounded)."""
    lo_ok = b[0] is None or (a[0] is not None and a[0] >= b[0])
    hi_ok = b[1] is None or (a[1] is not None and a[1] <= b[1])
    return lo_ok and hi_ok


def _merged(spans: Iterable[Span]) -> list[Span]:
    """Overlapping spans joined (sorted by start, None first)."""
    out: list[Span] = []
    for lo, hi in sorted(spans, key=lambda s: (s[0] is not None, s[0] or datetime.min)):
        if out:
            plo, phi = out[-1]
            if phi is None or lo is None or lo <= phi:
                out[-1] = (plo, None if phi is None or hi is None else max(phi, hi))
                continue
        out.append((lo, hi))
    return out


def _rows(events: list[Found]) -> set[RowKey]:
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
    stmt = select(
        RegionStatus.id,
        RegionStatus.status,
        RegionStatus.started_at,
        RegionStatus.ended_at,
        RegionStatus.weapon,
        RegionStatus.message_id,
    ).where(RegionStatus.iso == iso)
    if lo is not None:
        stmt = stmt.where(RegionStatus.started_at >= lo)
    if hi is not None:
        stmt = stmt.where(RegionStatus.started_at <= hi)
    out: dict[RowKey, list[int]] = defaultdict(list)
    for rs_id, status, started, ended, weapon, message_id in session.execute(stmt):
        out[(str(status), started, ended, None if weapon is None else str(weapon), message_id)].append(rs_id)
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


_INSERT = insert(RegionStatus)


def _sync(session: Session, reader: _Reader, spans: dict[str, Span]) -> tuple[int, int]:
    """Bring each region's rows within its span in step with its events; (rows added, rows removed)."""
    events = reader.between(spans)
    wanted = {iso: _rows(found) for iso, found in events.items()}
    reopened = {iso: (lo, None) for iso, (lo, hi) in spans.items() if hi is not None and _open(wanted[iso])}
    if reopened:  # an open danger: a later all-clear (outside the span) must close it
        spans = {**spans, **reopened}
        events = reader.between(reopened)
        wanted.update((iso, _rows(found)) for iso, found in events.items())
    remove: list[int] = []
    add: list[dict[str, Any]] = []
    for iso in sorted(spans):
        have = _stored(session, iso, *spans[iso])
        remove += [i for key, ids in have.items() for i in (ids if key not in wanted[iso] else ids[1:])]
        for status, start, end, weapon, message_id in sorted(
            (k for k in wanted[iso] if k not in have), key=lambda k: (k[1], k[0])
        ):
            add.append(
                {
                    "iso": iso,
                    "status": RegionStatusValue(status),
                    "weapon": None if weapon is None else Weapon(weapon),
                    "started_at": start,
                    "ended_at": end,
                    "message_id": message_id,
                }
            )
    for chunk in _chunks(remove):
        session.execute(
            delete(RegionStatus).where(RegionStatus.id.in_(chunk)),
            execution_options={"synchronize_session": False},
        )
    for lo in range(0, len(add), 500):
        session.execute(_INSERT, add[lo : lo + 500])
    return len(add), len(remove)


def _open(rows: set[RowKey]) -> bool:
    return any(k[2] is None for k in rows)


_OF_MESSAGES = select(RegionStatus.iso, RegionStatus.started_at, RegionStatus.ended_at).where(
    RegionStatus.message_id.in_(bindparam("ids", expanding=True))
)
_MESSAGE_OF = select(ClaimRow.message_id).where(ClaimRow.id.in_(bindparam("ids", expanding=True)))


def refresh_statuses(
    session: Session, claim_ids: Collection[int], *, edited: Collection[int] | None = None
) -> RefreshResult:
    """Bring the RegionStatus rows of every region these claims declare a status for (or whose earlier
    versions did) in step with the stored claims. ``edited``: the ids of the messages whose earlier
    versions may have produced rows (``incidents.refresh`` passes the messages that have superseded claims);
    by default every message of ``claim_ids``."""
    from tocsin.incidents import RefreshResult, region_lock

    result = RefreshResult()
    ids = {int(i) for i in claim_ids}
    if not ids:
        return result
    reader = _Reader(session)
    times: dict[str, list[datetime]] = defaultdict(list)
    for ev, _, _ in reader.of_claims(ids):
        times[ev.iso].append(ev.at)
    if edited is None:
        edited = set()
        for chunk in _chunks(ids):
            edited.update(session.scalars(_MESSAGE_OF, {"ids": chunk}))
    for chunk in _chunks(edited):
        # what an earlier version of these messages declared (an all-clear that closed another message's
        # danger is in no row of its own), and the rows those versions produced
        for ev, _, _ in reader.found_in(session.execute(_EARLIER, {"ids": chunk}).all()):
            times[ev.iso].append(ev.at)
        for iso, started, ended in session.execute(_OF_MESSAGES, {"ids": chunk}):
            times[iso].append(started)
            if ended is not None:
                times[iso].append(ended)
    for iso in sorted(times):
        region_lock(session, LOCK_STATUSES, iso)  # before reading the stored intervals
    spans = {
        iso: _widen(session, iso, min(at) - STATUS_MARGIN, max(at) + STATUS_MARGIN)
        for iso, at in times.items()
    }
    added, removed = _sync(session, reader, spans) if spans else (0, 0)
    result.statuses_added += added
    result.statuses_removed += removed
    return result


def refresh_all_statuses(session: Session) -> RefreshResult:
    """Recompute every region's status intervals from all stored claims (idempotent)."""
    from tocsin.incidents import RefreshResult, region_lock

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
        region_lock(session, LOCK_STATUSES, iso)
        added, removed = _sync(session, _Reader(session), {iso: (None, None)})
        result.statuses_added += added
        result.statuses_removed += removed
    return result
