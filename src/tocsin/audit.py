"""Reading the audit log: the Events every state change appended (``tocsin.store.repo.append_event``).

Newest first, keyset-paginated by Event id (``before_id``: the last id of the previous page), so a page
costs the same however deep it is and stays stable while new Events are appended.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.store.models import Event

MAX_LIMIT = 500


@dataclass(frozen=True, slots=True)
class EventPage:
    """One page of Events, newest first; ``next_before`` is the ``before_id`` of the next (older) page,
    None on the last page."""

    events: list[Event]
    next_before: int | None


def events(
    session: Session,
    *,
    entity: str | None = None,
    entity_id: str | int | None = None,
    actor: str | None = None,
    action: str | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> list[Event]:
    """Events matching every filter given (exact matches), newest first, at most ``limit`` (≤ 500), with an
    id below ``before_id`` when given."""
    stmt = _select(entity, entity_id, actor, action, before_id)
    return list(session.scalars(stmt.limit(_cap(limit))))


def page(
    session: Session,
    *,
    entity: str | None = None,
    entity_id: str | int | None = None,
    actor: str | None = None,
    action: str | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> EventPage:
    """``events`` plus where the next page starts (one extra row is read to know whether there is one)."""
    limit = _cap(limit)
    stmt = _select(entity, entity_id, actor, action, before_id)
    rows = list(session.scalars(stmt.limit(limit + 1)))
    if len(rows) > limit:
        return EventPage(rows[:limit], rows[limit - 1].id)
    return EventPage(rows, None)


def history(session: Session, entity: str, entity_id: str | int, *, limit: int = 200) -> list[Event]:
    """One entity's Events, oldest first (a report's or a unit's history; the newest ``limit``)."""
    return list(reversed(events(session, entity=entity, entity_id=entity_id, limit=limit)))


def _cap(limit: int) -> int:
    return max(1, min(int(limit), MAX_LIMIT))


def _select(entity, entity_id, actor, action, before_id):
    stmt = select(Event).order_by(Event.id.desc())
    if entity is not None:
        stmt = stmt.where(Event.entity == entity)
    if entity_id is not None:
        stmt = stmt.where(Event.entity_id == str(entity_id))
    if actor is not None:
        stmt = stmt.where(Event.actor == actor)
    if action is not None:
        stmt = stmt.where(Event.action == action)
    if before_id is not None:
        stmt = stmt.where(Event.id < before_id)
    return stmt
