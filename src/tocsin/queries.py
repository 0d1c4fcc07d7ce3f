"""Read-side queries shared by the public pages, the JSON API and exports.

Every function takes a SQLAlchemy ``Session`` and returns plain JSON-ready dicts (or a :class:`Page` of
them): datetimes are ISO 8601 strings with an offset (UTC, ``+00:00``), and a value no source states is
``None`` (JSON ``null``, "not disclosed") — never 0 or false. Only public fields leave this module: no
audit ``Event`` rows, no source fetch state (ETag, cursors), no local file paths.

Lists are **keyset-paginated**: a page holds at most ``limit`` items (1 … ``MAX_LIMIT``) and a
``next_cursor`` — an opaque base64url token of the last item's sort key — when more may follow. Passing the
cursor back continues after that item, so pages never repeat or skip an item even while rows are added.
A cursor that cannot be read raises :class:`BadCursor`; other bad arguments raise :class:`QueryError`.

Sort orders (each backed by an index or the primary key):

- incidents: ``window_start`` descending, then ``id`` descending (newest first);
- the incident **change feed** (``updated_since`` given): ``updated_at`` ascending, then ``id`` ascending,
  including soft-deleted incidents as ``{"id", "deleted": true, "updated_at"}``;
- claims, messages: ``id`` descending (newest stored first);
- statuses: ``started_at`` descending, then ``id`` descending.

Residents' reports are not read here: everything public about them goes through ``tocsin.policy`` (the
publication policy, enforced in that one place).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import Session

from tocsin.domain import AUTHORITY_RANK, Authority, Kind
from tocsin.store.models import (
    ClaimRegion,
    ClaimRow,
    Incident,
    IncidentClaim,
    Message,
    MessageVersion,
    RegionStatus,
    RegionStatusValue,
    Source,
    claim_version_join,
)

DEFAULT_LIMIT = 100
MAX_LIMIT = 500
MAX_STATS_DAYS = 3660  # the longest range of daily counts one request may ask for (~10 years)
DEFAULT_STATS_DAYS = 90
NATIONAL = {
    "RU": {"en": "Russia", "ru": "Россия", "uk": "Росія"},
    "UA": {"en": "Ukraine", "ru": "Украина", "uk": "Україна"},
}
ISO_RE = re.compile(r"^[A-Z]{2}(?:-[A-Z0-9]{1,3})?$")
COUNT_FIELDS = ("destroyed", "total_destroyed", "launched", "killed", "injured")
FLAG_FIELDS = ("infrastructure_damage", "debris_fell", "fire", "emergency_response")
CONSENSUS_FIELDS = (*COUNT_FIELDS, *FLAG_FIELDS, "weapon", "interceptors", "period")


class QueryError(ValueError):
    """An argument a query cannot use (unknown region, limit out of range, naive datetime …)."""


class BadCursor(QueryError):
    """A pagination cursor that this server did not issue or that belongs to another list."""


@dataclass
class Page:
    """One page of a cursor-paginated list."""

    items: list[dict[str, Any]]
    next_cursor: str | None

    def as_dict(self) -> dict[str, Any]:
        return {"items": self.items, "next_cursor": self.next_cursor}


# --------------------------------------------------------------------------------------------- helpers


def iso_dt(dt: datetime | None) -> str | None:
    """ISO 8601 with offset (UTC) or None."""
    return None if dt is None else dt.astimezone(UTC).isoformat()


def _aware(dt: datetime | None, what: str) -> datetime | None:
    if dt is not None and (dt.tzinfo is None or dt.utcoffset() is None):
        raise QueryError(f"{what} must have a time zone offset (e.g. 2025-09-05T00:00:00+03:00)")
    return dt


def _limit(limit: int) -> int:
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_LIMIT:
        raise QueryError(f"limit must be an integer from 1 to {MAX_LIMIT}")
    return limit


def encode_cursor(kind: str, *key: Any) -> str:
    """An opaque cursor: base64url (no padding) of ``[kind, *key]`` as compact JSON."""
    raw = json.dumps([kind, *key], separators=(",", ":"), ensure_ascii=True).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_cursor(cursor: str, kind: str, types: tuple[type, ...]) -> list[Any]:
    """The key of a cursor made by ``encode_cursor(kind, …)``; ``BadCursor`` for anything else.

    ``types``: the expected type of each key part (``datetime`` parts travel as ISO strings).
    """
    if len(cursor) > 512 or not re.fullmatch(r"[A-Za-z0-9_-]+", cursor):
        raise BadCursor("cursor is not one this server issued")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw.decode("ascii"))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise BadCursor("cursor is not one this server issued") from None
    if not isinstance(data, list) or len(data) != len(types) + 1 or data[0] != kind:
        raise BadCursor("cursor belongs to another list or is malformed")
    out: list[Any] = []
    for value, typ in zip(data[1:], types, strict=True):
        if typ is datetime:
            try:
                dt = datetime.fromisoformat(value) if isinstance(value, str) else None
            except ValueError:
                dt = None
            if dt is None or dt.tzinfo is None:
                raise BadCursor("cursor is malformed")
            out.append(dt)
        elif typ is int:
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**63:
                raise BadCursor("cursor is malformed")
            out.append(value)
        else:  # pragma: no cover - only datetime and int keys are used
            raise TypeError(typ)
    return out


def _after(cols: tuple[Any, Any], key: list[Any], descending: bool) -> ColumnElement[bool]:
    """Keyset condition: rows strictly after ``key`` in (a, b) order (both desc or both asc)."""
    a, b = cols
    ka, kb = key
    if descending:
        return or_(a < ka, and_(a == ka, b < kb))
    return or_(a > ka, and_(a == ka, b > kb))


def normalize_iso(iso: str) -> str:
    """``"ru-smo"`` → ``"RU-SMO"``; ``QueryError`` when it is not an ISO 3166-1/-2 code tocsin knows."""
    code = iso.strip().upper()
    if not ISO_RE.match(code) or code not in _regions():
        raise QueryError(f"unknown region code {iso[:40]!r} (ISO 3166-2, e.g. RU-SMO, UA-63, or RU / UA)")
    return code


@lru_cache(maxsize=1)
def _regions() -> dict[str, dict[str, Any]]:
    """ISO → {"iso", "country", "names": {en, ru, uk}, "lat", "lon"} for every known region + RU/UA."""
    from tocsin.exports import region_centroids
    from tocsin.extract.regions import all_regions

    try:
        centres = region_centroids()
    except FileNotFoundError:  # pragma: no cover - the data file ships with the package
        centres = {}
    out: dict[str, dict[str, Any]] = {}
    for code, names in NATIONAL.items():
        out[code] = {"iso": code, "country": code, "names": dict(names), "lat": None, "lon": None}
    for r in sorted(all_regions(), key=lambda r: r.iso):
        lat, lon = centres.get(r.iso, (None, None))
        out[r.iso] = {
            "iso": r.iso,
            "country": r.country,
            "names": {"en": r.en, "ru": r.ru, "uk": r.uk},
            "lat": lat,
            "lon": lon,
        }
    return out


def region_info(iso: str) -> dict[str, Any]:
    """Names and centre of a region (the code itself as its name when unknown)."""
    known = _regions().get(iso)
    if known is not None:
        return {**known, "names": dict(known["names"])}
    return {
        "iso": iso,
        "country": iso[:2],
        "names": {"en": iso, "ru": iso, "uk": iso},
        "lat": None,
        "lon": None,
    }


def _consensus(raw: dict[str, Any] | None) -> dict[str, Any]:
    raw = raw or {}
    out: dict[str, Any] = {}
    for name in CONSENSUS_FIELDS:
        entry = raw.get(name) or {}
        out[name] = {
            "value": entry.get("value"),
            "source": entry.get("source"),
            "claim_id": entry.get("claim_id"),
            "lower_bound": bool(entry.get("lower_bound")),
        }
    return out


def _disagreements(raw: list[Any] | None) -> list[dict[str, Any]]:
    out = []
    for d in raw or []:
        out.append(
            {
                "field": d.get("field"),
                "line": d.get("line"),
                "values": [
                    {"value": v.get("value"), "source": v.get("source"), "claim_id": v.get("claim_id")}
                    for v in d.get("values") or []
                ],
            }
        )
    return out


def _sources_of(session: Session, incident_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """incident id → its distinct sources ({"id", "name", "authority"}), regional authorities first."""
    if not incident_ids:
        return {}
    stmt = (
        select(IncidentClaim.incident_id, Source.id, Source.name, Source.authority)
        .join(ClaimRow, ClaimRow.id == IncidentClaim.claim_id)
        .join(Message, Message.id == ClaimRow.message_id)
        .join(Source, Source.id == Message.source_id)
        .where(IncidentClaim.incident_id.in_(incident_ids))
        .distinct()
    )
    found: dict[int, set[tuple[int, str, int]]] = defaultdict(set)
    for inc_id, sid, name, authority in session.execute(stmt):
        found[inc_id].add((AUTHORITY_RANK[Authority(authority)], name, sid))
    return {
        k: [{"id": sid, "name": name, "authority": _authority_name(rank)} for rank, name, sid in sorted(v)]
        for k, v in found.items()
    }


def _authority_name(rank: int) -> str:
    return next(str(a) for a, r in AUTHORITY_RANK.items() if r == rank)


def _incident_summary(inc: Incident, sources: list[dict[str, Any]]) -> dict[str, Any]:
    region = region_info(inc.iso)
    return {
        "id": inc.id,
        "deleted": False,
        "key": inc.key,
        "iso": inc.iso,
        "region": region["names"],
        "window_start": iso_dt(inc.window_start),
        "window_end": iso_dt(inc.window_end),
        "time_precision": inc.time_precision,
        "geo_precision": inc.geo_precision,
        "kind": str(inc.kind),
        "consensus": _consensus(inc.consensus),
        "disagreements": _disagreements(inc.disagreements),
        "source_count": len(sources),
        "sources": sources,
        "claim_count": len(inc.claims),
        "created_at": iso_dt(inc.created_at),
        "updated_at": iso_dt(inc.updated_at),
    }


def _deleted(inc: Incident) -> dict[str, Any]:
    return {"id": inc.id, "deleted": True, "updated_at": iso_dt(inc.updated_at)}


# ------------------------------------------------------------------------------------------- incidents


def list_incidents(
    session: Session,
    *,
    region: str | None = None,
    kind: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    updated_since: datetime | None = None,
    include_deleted: bool = False,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> Page:
    """Incidents, filtered; newest first (window_start desc, id desc).

    - ``region``: one ISO code (``"RU-SMO"``; ``"RU"`` / ``"UA"`` for national incidents);
    - ``kind``: ``interception`` or ``attack_no_outcome``;
    - ``start`` / ``end``: the incident's window overlaps [start, end) — ``window_end >= start`` and
      ``window_start < end``;
    - ``updated_since``: the **change feed** — every incident (live or soft-deleted) whose ``updated_at`` is
      at or after this instant, oldest change first (updated_at asc, id asc); deleted ones appear as
      ``{"id", "deleted": true, "updated_at"}``. The bound is inclusive: re-reading from the largest
      ``updated_at`` seen repeats that instant's items (apply them idempotently, by id) and misses none.
    - ``include_deleted`` (list mode only): also list deleted incidents, in the deleted shape.
    """
    limit = _limit(limit)
    if region is not None:
        region = normalize_iso(region)
    if kind is not None and kind not in (Kind.INTERCEPTION, Kind.ATTACK_NO_OUTCOME):
        raise QueryError("kind must be 'interception' or 'attack_no_outcome'")
    _aware(start, "start")
    _aware(end, "end")
    _aware(updated_since, "updated_since")
    feed = updated_since is not None
    stmt = select(Incident)
    if region is not None:
        stmt = stmt.where(Incident.iso == region)
    if kind is not None:
        stmt = stmt.where(Incident.kind == Kind(kind))
    if start is not None:
        stmt = stmt.where(Incident.window_end >= start)
    if end is not None:
        stmt = stmt.where(Incident.window_start < end)
    if feed:
        stmt = stmt.where(Incident.updated_at >= updated_since)
        order: tuple[Any, Any] = (Incident.updated_at, Incident.id)
        cursor_kind = "feed"
    else:
        if not include_deleted:
            stmt = stmt.where(Incident.deleted_at.is_(None))
        order = (Incident.window_start, Incident.id)
        cursor_kind = "inc"
    if cursor is not None:
        stmt = stmt.where(_after(order, decode_cursor(cursor, cursor_kind, (datetime, int)), not feed))
    stmt = stmt.order_by(*order) if feed else stmt.order_by(order[0].desc(), order[1].desc())
    rows = list(session.scalars(stmt.limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    live = [inc.id for inc in rows if inc.deleted_at is None]
    sources = _sources_of(session, live)
    items = [
        _deleted(inc) if inc.deleted_at is not None else _incident_summary(inc, sources.get(inc.id, []))
        for inc in rows
    ]
    next_cursor = None
    if more and rows:
        last = rows[-1]
        key = last.updated_at if feed else last.window_start
        next_cursor = encode_cursor(cursor_kind, iso_dt(key), last.id)
    return Page(items, next_cursor)


def incident_claims(session: Session, incident: Incident) -> list[dict[str, Any]]:
    """The claims of one incident with their messages, oldest published first."""
    stmt = (
        select(ClaimRow, Message, Source, MessageVersion.text)
        .join(IncidentClaim, IncidentClaim.claim_id == ClaimRow.id)
        .join(Message, Message.id == ClaimRow.message_id)
        .join(Source, Source.id == Message.source_id)
        .join(
            MessageVersion,
            claim_version_join(),
        )
        .where(IncidentClaim.incident_id == incident.id)
        .order_by(Message.published_at, ClaimRow.id)
    )
    seen: set[int] = set()
    out = []
    for row, message, source, text in session.execute(stmt):
        if row.id in seen:
            continue
        seen.add(row.id)
        item = claim_dict(row, message, source, text, with_text=True)
        regions = {r.iso for r in row.regions}
        item["context"] = bool(regions) and incident.iso not in regions
        out.append(item)
    return out


def claim_dict(
    row: ClaimRow, message: Message, source: Source, text: str, *, with_text: bool
) -> dict[str, Any]:
    """One claim as the API shows it: its values, the source and message it was read from, and the
    evidence spans (``[start, end)`` offsets in Unicode code points into ``text``) with their quotes."""
    evidence = {k: [[int(a), int(b)] for a, b in spans] for k, spans in (row.evidence or {}).items() if spans}
    item: dict[str, Any] = {
        "id": row.id,
        "source": {"id": source.id, "name": source.name, "authority": str(source.authority)},
        "message": {
            "id": message.id,
            "url": _public_url(message.url),
            "published": iso_dt(message.published_at),
            "version": row.message_version,
            "current_version": message.current_version,
        },
        "superseded": bool(row.superseded),
        "lang": row.lang,
        "kind": str(row.kind),
        "weapon": None if row.weapon is None else str(row.weapon),
        "total_destroyed": row.total_destroyed,
        "launched": row.launched,
        "per_region": [{"iso": r.iso, "destroyed": r.destroyed} for r in row.regions],
        "killed": row.killed,
        "injured": row.injured,
        "infrastructure_damage": row.infrastructure_damage,
        "debris_fell": row.debris_fell,
        "fire": row.fire,
        "emergency_response": row.emergency_response,
        "interceptors": [str(i) for i in row.interceptors or []],
        "period": {"text": row.period_text, "start": iso_dt(row.period_start), "end": iso_dt(row.period_end)},
        "speaker": row.speaker,
        "evidence": evidence,
        "quotes": {k: [text[a:b] for a, b in spans] for k, spans in evidence.items()},
        "extractor_version": row.extractor_version,
    }
    if with_text:
        item["text"] = text
    return item


def _public_url(url: str | None) -> str | None:
    """Only web addresses are public (a file source's url is a path on the server)."""
    if url and url.lower().startswith(("http://", "https://")):
        return url
    return None


def get_incident(
    session: Session, incident_id: int, *, include_deleted: bool = False
) -> dict[str, Any] | None:
    """One incident with its consensus values, disagreements, precision codes, and every claim with its
    message (source name, authority, published, url, verbatim text, evidence spans per field).

    None when there is no such incident; a soft-deleted one comes back as ``{"id", "deleted": true,
    "updated_at"}`` when ``include_deleted``, else None.
    """
    if not 0 < incident_id < 2**63:
        return None
    inc = session.get(Incident, incident_id)
    if inc is None:
        return None
    if inc.deleted_at is not None:
        return _deleted(inc) if include_deleted else None
    claims = incident_claims(session, inc)
    detail = _incident_summary(inc, _sources_of(session, [inc.id]).get(inc.id, []))
    detail["claims"] = claims
    return detail


# ---------------------------------------------------------------------------------------------- claims


def list_claims(
    session: Session,
    *,
    region: str | None = None,
    kind: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    include_superseded: bool = False,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> Page:
    """Claims newest first (id desc); ``region`` = the claim names it; ``start``/``end`` on the message's
    publication time ([start, end)); current claims only unless ``include_superseded``."""
    limit = _limit(limit)
    _aware(start, "start")
    _aware(end, "end")
    if region is not None:
        region = normalize_iso(region)
    if kind is not None and kind not in tuple(Kind):
        raise QueryError("kind must be one of: " + ", ".join(Kind))
    stmt = (
        select(ClaimRow, Message, Source, MessageVersion.text)
        .join(Message, Message.id == ClaimRow.message_id)
        .join(Source, Source.id == Message.source_id)
        .join(
            MessageVersion,
            claim_version_join(),
        )
    )
    if not include_superseded:
        stmt = stmt.where(ClaimRow.superseded.is_(False))
    if region is not None:
        stmt = stmt.where(
            select(ClaimRegion.claim_id)
            .where(ClaimRegion.claim_id == ClaimRow.id, ClaimRegion.iso == region)
            .exists()
        )
    if kind is not None:
        stmt = stmt.where(ClaimRow.kind == Kind(kind))
    if start is not None:
        stmt = stmt.where(Message.published_at >= start)
    if end is not None:
        stmt = stmt.where(Message.published_at < end)
    if cursor is not None:
        (last_id,) = decode_cursor(cursor, "claim", (int,))
        stmt = stmt.where(ClaimRow.id < last_id)
    rows = list(session.execute(stmt.order_by(ClaimRow.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    incidents = _incidents_of_claims(session, [r[0].id for r in rows])
    items = []
    for row, message, source, text in rows:
        item = claim_dict(row, message, source, text, with_text=False)
        item["incident_ids"] = incidents.get(row.id, [])
        items.append(item)
    return Page(items, encode_cursor("claim", rows[-1][0].id) if more and rows else None)


def _incidents_of_claims(session: Session, claim_ids: list[int]) -> dict[int, list[int]]:
    if not claim_ids:
        return {}
    stmt = (
        select(IncidentClaim.claim_id, IncidentClaim.incident_id)
        .join(Incident, Incident.id == IncidentClaim.incident_id)
        .where(IncidentClaim.claim_id.in_(claim_ids), Incident.deleted_at.is_(None))
        .distinct()
        .order_by(IncidentClaim.claim_id, IncidentClaim.incident_id)
    )
    out: dict[int, list[int]] = defaultdict(list)
    for claim_id, incident_id in session.execute(stmt):
        out[claim_id].append(incident_id)
    return out


# -------------------------------------------------------------------------------------------- messages


def _message_dict(message: Message, source: Source, text: str | None) -> dict[str, Any]:
    return {
        "id": message.id,
        "source": {"id": source.id, "name": source.name, "authority": str(source.authority)},
        "external_id": message.external_id,
        "url": _public_url(message.url),
        "lang": message.lang,
        "published": iso_dt(message.published_at),
        "first_seen": iso_dt(message.first_seen_at),
        "current_version": message.current_version,
        "text": text,
    }


def list_messages(
    session: Session,
    *,
    source: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> Page:
    """Messages newest stored first (id desc) with the text of their current version; ``source`` = a
    source's name; ``start``/``end`` on the publication time ([start, end))."""
    limit = _limit(limit)
    _aware(start, "start")
    _aware(end, "end")
    stmt = (
        select(Message, Source, MessageVersion.text)
        .join(Source, Source.id == Message.source_id)
        .join(
            MessageVersion,
            and_(MessageVersion.message_id == Message.id, MessageVersion.version == Message.current_version),
        )
    )
    if source is not None:
        stmt = stmt.where(Source.name == source)
    if start is not None:
        stmt = stmt.where(Message.published_at >= start)
    if end is not None:
        stmt = stmt.where(Message.published_at < end)
    if cursor is not None:
        (last_id,) = decode_cursor(cursor, "msg", (int,))
        stmt = stmt.where(Message.id < last_id)
    rows = list(session.execute(stmt.order_by(Message.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    items = [_message_dict(m, s, text) for m, s, text in rows]
    return Page(items, encode_cursor("msg", rows[-1][0].id) if more and rows else None)


def get_message(session: Session, message_id: int) -> dict[str, Any] | None:
    """One message with every stored version (verbatim text, edited/fetched times), oldest first."""
    if not 0 < message_id < 2**63:
        return None
    row = session.execute(
        select(Message, Source).join(Source, Source.id == Message.source_id).where(Message.id == message_id)
    ).first()
    if row is None:
        return None
    message, source = row
    versions = list(
        session.scalars(
            select(MessageVersion)
            .where(MessageVersion.message_id == message_id)
            .order_by(MessageVersion.version)
        )
    )
    current = next((v.text for v in versions if v.version == message.current_version), None)
    out = _message_dict(message, source, current)
    out["versions"] = [
        {
            "version": v.version,
            "text": v.text,
            "edited_at": iso_dt(v.edited_at),
            "fetched_at": iso_dt(v.fetched_at),
        }
        for v in versions
    ]
    return out


# --------------------------------------------------------------------------------------------- regions


def _status_dict(st: RegionStatus) -> dict[str, Any]:
    return {
        "id": st.id,
        "iso": st.iso,
        "region": region_info(st.iso)["names"],
        "status": str(st.status),
        "weapon": None if st.weapon is None else str(st.weapon),
        "started_at": iso_dt(st.started_at),
        "ended_at": iso_dt(st.ended_at),
        "message_id": st.message_id,
    }


def _current_statuses(session: Session) -> dict[str, dict[str, Any]]:
    """iso → {"status": "danger"|"clear", "since"}: an open danger interval, else the latest all-clear."""
    out: dict[str, dict[str, Any]] = {}
    open_danger = session.execute(
        select(RegionStatus.iso, func.min(RegionStatus.started_at))
        .where(RegionStatus.status == RegionStatusValue.DANGER, RegionStatus.ended_at.is_(None))
        .group_by(RegionStatus.iso)
    )
    for iso, since in open_danger:
        out[iso] = {"status": "danger", "since": iso_dt(since)}
    cleared = session.execute(
        select(RegionStatus.iso, func.max(RegionStatus.ended_at))
        .where(RegionStatus.ended_at.is_not(None))
        .group_by(RegionStatus.iso)
    )
    for iso, since in cleared:
        if iso not in out:
            out[iso] = {"status": "clear", "since": iso_dt(since)}
    return out


MAX_WINDOW_SPAN = timedelta(days=45)
"""Longest incident window the region counts look back for (windows are at most about a month: time
precision 3). Bounding ``window_start`` lets the (iso, window_start) index serve the 24 h / 7 d counts."""


def list_regions(session: Session, *, now: datetime | None = None) -> list[dict[str, Any]]:
    """Every region (iso, country, names en/ru/uk, centre lat/lon) plus the national "RU" / "UA", with the
    number of live incidents whose window ended in the last 24 h / 7 days, and the current status (danger /
    clear / null when no status was ever seen)."""
    now = _aware(now, "now") or datetime.now(UTC)
    day, week = now - timedelta(hours=24), now - timedelta(days=7)
    codes = list(_regions())
    counts = {
        iso: (d, w)
        for iso, d, w in session.execute(
            select(
                Incident.iso,
                func.sum(case((Incident.window_end >= day, 1), else_=0)),
                func.count(),
            )
            .where(
                Incident.iso.in_(codes),
                Incident.window_start >= week - MAX_WINDOW_SPAN,
                Incident.window_start <= now,
                Incident.window_end >= week,
                Incident.deleted_at.is_(None),
            )
            .group_by(Incident.iso)
        )
    }
    statuses = _current_statuses(session)
    out = []
    for iso in codes:
        d, w = counts.get(iso, (0, 0))
        st = statuses.get(iso)
        out.append(
            {
                **region_info(iso),
                "incidents_24h": int(d or 0),
                "incidents_7d": int(w or 0),
                "status": st["status"] if st else None,
                "status_since": st["since"] if st else None,
            }
        )
    return out


def _destroyed(iso: str, consensus: dict[str, Any] | None) -> int | None:
    """The incident's "destroyed" figure: the region's own count; a national incident's total."""
    consensus = consensus or {}
    name = "total_destroyed" if iso in NATIONAL else "destroyed"
    value = (consensus.get(name) or {}).get("value")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def region_stats(session: Session, iso: str, start: date, end: date) -> dict[str, list[dict[str, Any]]]:
    """Counts per local day and per ISO week over [start, end] (dates in the region's local time, by the
    day its window starts). Each bucket: ``incidents``, ``destroyed`` (sum of the disclosed figures; null
    when no incident of the bucket discloses one) and ``destroyed_undisclosed`` (incidents whose figure is
    not disclosed — kept apart, never counted as 0). Every day/week of the range is listed, zeros too."""
    from tocsin.merge import local_zone

    if end < start:
        raise QueryError("end must not be before start")
    if (end - start).days + 1 > MAX_STATS_DAYS:
        raise QueryError(f"a range of at most {MAX_STATS_DAYS} days")
    tz = local_zone(iso)
    lo = datetime.combine(start, datetime.min.time(), tzinfo=tz)
    hi = datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    days: dict[date, list[int | None]] = {}
    d = start
    while d <= end:
        days[d] = [0, None, 0]
        d += timedelta(days=1)
    rows = session.execute(
        select(Incident.window_start, Incident.consensus).where(
            Incident.iso == iso,
            Incident.deleted_at.is_(None),
            Incident.window_start >= lo,
            Incident.window_start < hi,
        )
    )
    for window_start, consensus in rows:
        bucket = days.get(window_start.astimezone(tz).date())
        if bucket is None:  # pragma: no cover - the SQL range matches the buckets
            continue
        _add(bucket, _destroyed(iso, consensus))
    weeks: dict[str, list[int | None]] = {}
    for day_, (n, destroyed, undisclosed) in days.items():
        y, w, _ = day_.isocalendar()
        wk = weeks.setdefault(f"{y}-W{w:02d}", [0, None, 0])
        wk[0] += n
        wk[2] += undisclosed
        if destroyed is not None:
            wk[1] = (wk[1] or 0) + destroyed

    def rows_of(buckets: dict[Any, list[int | None]], label: str) -> list[dict[str, Any]]:
        return [
            {label: str(k), "incidents": v[0], "destroyed": v[1], "destroyed_undisclosed": v[2]}
            for k, v in buckets.items()
        ]

    return {"days": rows_of(days, "date"), "weeks": rows_of(weeks, "week")}


def _add(bucket: list[int | None], destroyed: int | None) -> None:
    bucket[0] += 1  # type: ignore[operator]
    if destroyed is None:
        bucket[2] += 1  # type: ignore[operator]
    else:
        bucket[1] = (bucket[1] or 0) + destroyed


def region_detail(
    session: Session,
    iso: str,
    *,
    start: date | None = None,
    end: date | None = None,
    now: datetime | None = None,
    recent: int = 20,
) -> dict[str, Any] | None:
    """A region: names, centre, current status, counts per day and per ISO week over [start, end]
    (default: the last ``DEFAULT_STATS_DAYS`` local days), its status intervals in that range (newest
    first, at most ``MAX_LIMIT``) and its ``recent`` newest incidents. None for an unknown code."""
    from tocsin.merge import local_zone

    code = iso.strip().upper()
    if not ISO_RE.match(code) or code not in _regions():
        return None
    now = _aware(now, "now") or datetime.now(UTC)
    end = end or now.astimezone(local_zone(code)).date()
    start = start or end - timedelta(days=DEFAULT_STATS_DAYS - 1)
    stats = region_stats(session, code, start, end)
    tz = local_zone(code)
    lo = datetime.combine(start, datetime.min.time(), tzinfo=tz)
    hi = datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    statuses = session.scalars(
        select(RegionStatus)
        .where(
            RegionStatus.iso == code,
            RegionStatus.started_at < hi,
            or_(RegionStatus.ended_at.is_(None), RegionStatus.ended_at >= lo),
        )
        .order_by(RegionStatus.started_at.desc(), RegionStatus.id.desc())
        .limit(MAX_LIMIT)
    )
    current = _current_statuses_for(session, code)
    page = list_incidents(session, region=code, limit=recent)
    return {
        **region_info(code),
        "status": current["status"] if current else None,
        "status_since": current["since"] if current else None,
        "range": {"start": start.isoformat(), "end": end.isoformat(), "timezone": str(tz)},
        "days": stats["days"],
        "weeks": stats["weeks"],
        "statuses": [_status_dict(s) for s in statuses],
        "incidents": page.items,
        "incidents_next_cursor": page.next_cursor,
    }


def _current_statuses_for(session: Session, iso: str) -> dict[str, Any] | None:
    since = session.scalar(
        select(func.min(RegionStatus.started_at)).where(
            RegionStatus.iso == iso,
            RegionStatus.status == RegionStatusValue.DANGER,
            RegionStatus.ended_at.is_(None),
        )
    )
    if since is not None:
        return {"status": "danger", "since": iso_dt(since)}
    cleared = session.scalar(
        select(func.max(RegionStatus.ended_at)).where(
            RegionStatus.iso == iso, RegionStatus.ended_at.is_not(None)
        )
    )
    return None if cleared is None else {"status": "clear", "since": iso_dt(cleared)}


# -------------------------------------------------------------------------------------------- statuses


def list_statuses(
    session: Session,
    *,
    region: str | None = None,
    active_only: bool = False,
    start: datetime | None = None,
    end: datetime | None = None,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> Page:
    """Status intervals newest first (started_at desc, id desc). ``active_only``: open danger intervals
    only. ``start``/``end``: the interval overlaps [start, end)."""
    limit = _limit(limit)
    _aware(start, "start")
    _aware(end, "end")
    stmt = select(RegionStatus)
    if region is not None:
        stmt = stmt.where(RegionStatus.iso == normalize_iso(region))
    if active_only:
        stmt = stmt.where(RegionStatus.status == RegionStatusValue.DANGER, RegionStatus.ended_at.is_(None))
    if start is not None:
        stmt = stmt.where(or_(RegionStatus.ended_at.is_(None), RegionStatus.ended_at >= start))
    if end is not None:
        stmt = stmt.where(RegionStatus.started_at < end)
    order = (RegionStatus.started_at, RegionStatus.id)
    if cursor is not None:
        stmt = stmt.where(_after(order, decode_cursor(cursor, "st", (datetime, int)), True))
    rows = list(session.scalars(stmt.order_by(order[0].desc(), order[1].desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    nxt = encode_cursor("st", iso_dt(rows[-1].started_at), rows[-1].id) if more and rows else None
    return Page([_status_dict(s) for s in rows], nxt)


# --------------------------------------------------------------------------------------------- sources


def list_sources(session: Session) -> list[dict[str, Any]]:
    """Sources with kind, authority, public url, polling, last fetched, last error and message count."""
    counts = dict(session.execute(select(Message.source_id, func.count()).group_by(Message.source_id)).all())
    out = []
    for s in session.scalars(select(Source).order_by(Source.name)):
        out.append(
            {
                "id": s.id,
                "name": s.name,
                "kind": str(s.kind),
                "authority": str(s.authority),
                "url": _public_url(s.url),
                "enabled": bool(s.enabled),
                "poll_interval_s": s.poll_interval_s,
                "last_fetched_at": iso_dt(s.last_fetched_at),
                "last_error": None if s.last_error is None else s.last_error[:500],
                "message_count": int(counts.get(s.id, 0)),
                "created_at": iso_dt(s.created_at),
            }
        )
    return out


# ------------------------------------------------------------------------------------------ freshness


def fingerprint(session: Session, what: str) -> str:
    """A cheap token that changes whenever ``what`` ("incidents", "claims", "messages", "statuses",
    "sources") changes — used for ETags of large (streamed) responses."""
    if what == "incidents":
        row = session.execute(
            select(func.count(), func.max(Incident.updated_at), func.max(Incident.id))
        ).one()
    elif what == "claims":
        row = session.execute(
            select(func.count(), func.max(ClaimRow.id), func.sum(case((ClaimRow.superseded, 1), else_=0)))
        ).one()
    else:  # pragma: no cover - only the two exported tables use it
        raise ValueError(what)
    return "-".join("" if v is None else (iso_dt(v) if isinstance(v, datetime) else str(v)) for v in row)


def sort_authorities(names: Iterable[str]) -> list[str]:
    """Authority values, regional first."""
    return sorted(set(names), key=lambda a: AUTHORITY_RANK[Authority(a)])
