"""Small functions the ingest and merge code call. None of them commits: the caller owns the transaction.

- ``get_or_create_source`` — a Source by its unique name;
- ``upsert_message`` — store one ``SourceItem``: "new", "updated" (text changed → a new version) or
  "unchanged" (same text → nothing written, so importing twice changes nothing); ``store_messages`` does
  it for a batch without ORM objects (bulk ingestion);
- ``save_claim`` / ``claim_from_row`` — a ``domain.Claim`` in and out of the ``claim`` tables;
  ``insert_claims`` saves a batch and returns only the ids;
- ``append_event`` — the only way to write to the append-only audit log.

Concurrency: a message is written by whoever polls its source, and a source is polled by one process at a
time (``tocsin watch`` locks the source row), so two writers never race on one (source, external_id).
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any, Literal

from sqlalchemy import Table, bindparam, select, text, update
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from tocsin.domain import (
    Authority,
    Claim,
    Interceptor,
    Kind,
    Period,
    RegionCount,
    SourceItem,
    SourceKind,
    Weapon,
)
from tocsin.store.models import (
    EXTERNAL_ID_LEN,
    ClaimRegion,
    ClaimRow,
    Event,
    Message,
    MessageVersion,
    Source,
    utcnow,
)

UpsertStatus = Literal["new", "updated", "unchanged"]


class StoreError(ValueError):
    """Input the store refuses, with a message saying which value and why. Nothing was written."""


class BadMessage(StoreError):
    """A SourceItem that cannot be stored (NUL byte, unpaired surrogate, naive time, bad id …)."""


# ------------------------------------------------------------------------------------------- sources


def get_or_create_source(
    session: Session,
    name: str,
    kind: SourceKind | str,
    authority: Authority | str,
    url: str | None = None,
) -> Source:
    """The Source called ``name``, created (and flushed) if it does not exist yet.

    An existing source is returned as it is (its authority and URL are not changed here); asking for it
    with a different ``kind`` is an error, since its messages' ids would not mean the same thing.
    """
    kind = SourceKind(kind)
    authority = Authority(authority)
    for value, what in ((name, "source name"), (url, "source url")):
        if value is not None:
            _check_text(value, what, StoreError)
    source = session.scalar(select(Source).where(Source.name == name))
    if source is not None:
        if source.kind != kind:
            raise StoreError(f"source {name!r} exists with kind {source.kind.value}, not {kind.value}")
        return source
    source = Source(name=name, kind=kind, authority=authority, url=url, enabled=True)
    session.add(source)
    session.flush()
    return source


# ------------------------------------------------------------------------------------------- messages


def text_sha256(text: str) -> str:
    """Hex SHA-256 of the UTF-8 text — how versions are told apart."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def upsert_message(session: Session, source: Source, item: SourceItem) -> tuple[Message, UpsertStatus]:
    """Store ``item`` as a message of ``source``; returns the message and what happened.

    - "new": first time this (source, external_id) is seen → Message + version 1;
    - "updated": the text differs from the current version → a new MessageVersion, ``current_version + 1``
      (the old versions stay, verbatim);
    - "unchanged": same text as the current version → nothing is written.

    The text is stored verbatim. Text PostgreSQL cannot store (a NUL byte) or that is not valid Unicode
    (an unpaired surrogate) is refused with ``BadMessage`` naming the message and the position, rather
    than silently altered; so are naive datetimes. The rows are written at once, so ``message.id`` is set.
    """
    return upsert_messages(session, source, [item])[0]


def upsert_messages(
    session: Session, source: Source, items: Sequence[SourceItem]
) -> list[tuple[Message, UpsertStatus]]:
    """``upsert_message`` for many items at once (a few statements per batch instead of per item).

    Results are in the order of ``items``; an external id that occurs twice is applied in order (the
    second text becomes the next version). Every item is checked first: one bad item raises
    ``BadMessage`` and nothing of the batch is written — call ``check_item`` on each item beforehand to
    report and skip bad ones while the rest land.
    """
    stored = store_messages(session, source.id, items)
    objects: dict[int, Message] = {}
    ids = sorted({m.id for m, _ in stored})
    for lo in range(0, len(ids), BATCH):
        objects.update((m.id, m) for m in session.scalars(_MESSAGES_BY_ID, {"ids": ids[lo : lo + BATCH]}))
    return [(objects[m.id], status) for m, status in stored]


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """A message as ``store_messages`` leaves it (its version is the current one after the upsert)."""

    id: int
    external_id: str
    current_version: int


def store_messages(
    session: Session, source_id: int, items: Sequence[SourceItem], *, checked: bool = False
) -> list[tuple[StoredMessage, UpsertStatus]]:
    """``upsert_messages`` without ORM objects (for bulk ingestion): the same checks, writes and order, but
    each result is a ``StoredMessage`` (id, external id, current version). Message objects already in the
    session are expired when their row changes. ``checked``: the caller has passed every item through
    ``check_item`` already (the ingest pipeline does, to report and skip bad ones)."""
    if not checked:
        for item in items:
            check_item(item)
    results: list[tuple[StoredMessage, UpsertStatus]] = []
    chunk: list[SourceItem] = []
    seen: set[str] = set()
    for item in items:
        if item.external_id in seen or len(chunk) >= BATCH:
            results += _upsert_chunk(session, source_id, chunk)
            chunk, seen = [], set()
        chunk.append(item)
        seen.add(item.external_id)
    if chunk:
        results += _upsert_chunk(session, source_id, chunk)
    return results


BATCH = 500  # rows per statement: well under SQLite's and PostgreSQL's bound-parameter limits

_FIND_MESSAGES = (
    select(
        Message.id,
        Message.external_id,
        Message.current_version,
        Message.url,
        Message.author,
        Message.lang,
        MessageVersion.text_sha256,
    )
    .join(
        MessageVersion,
        (MessageVersion.message_id == Message.id) & (MessageVersion.version == Message.current_version),
    )
    .where(
        Message.source_id == bindparam("source_id"),
        Message.external_id.in_(bindparam("external_ids", expanding=True)),
    )
)
_MESSAGES_BY_ID = (
    select(Message)
    .where(Message.id.in_(bindparam("ids", expanding=True)))
    .execution_options(populate_existing=True)
)
_MESSAGE = Message.__table__
_UPDATE_MESSAGES = (
    update(_MESSAGE)
    .where(_MESSAGE.c.id == bindparam("m_id"))
    .values(
        current_version=bindparam("m_version"),
        url=bindparam("m_url"),
        author=bindparam("m_author"),
        lang=bindparam("m_lang"),
    )
)
_INSERT_VERSIONS = MessageVersion.__table__.insert()


def _upsert_chunk(
    session: Session, source_id: int, items: list[SourceItem]
) -> list[tuple[StoredMessage, UpsertStatus]]:
    """Items with distinct external ids."""
    found = {
        row.external_id: row
        for row in session.execute(
            _FIND_MESSAGES, {"source_id": source_id, "external_ids": [it.external_id for it in items]}
        )
    }
    now = utcnow()
    out: list[tuple[StoredMessage | None, UpsertStatus]] = []
    new_rows: list[dict[str, Any]] = []
    versions: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    pending_new: list[tuple[int, int]] = []  # (position in out, position in versions)
    for item in items:
        digest = text_sha256(item.text)
        version = {
            "text": item.text,
            "edited_at": _utc(item.edited),
            "fetched_at": now,
            "text_sha256": digest,
        }
        hit = found.get(item.external_id)
        if hit is None:
            pending_new.append((len(out), len(versions)))
            out.append((None, "new"))
            new_rows.append(
                {
                    "source_id": source_id,
                    "external_id": item.external_id,
                    "url": item.url,
                    "author": item.author,
                    "lang": item.lang,
                    "first_seen_at": now,
                    "published_at": _utc(item.published),
                    "current_version": 1,
                }
            )
            versions.append({"message_id": None, "version": 1, **version})
            continue
        if hit.text_sha256 == digest:
            out.append((StoredMessage(hit.id, hit.external_id, hit.current_version), "unchanged"))
            continue
        current = hit.current_version + 1
        # a field the new version does not give keeps its stored value
        updates.append(
            {
                "m_id": hit.id,
                "m_version": current,
                **{
                    f"m_{a}": hit._mapping[a] if getattr(item, a) is None else getattr(item, a) for a in _KEPT
                },
            }
        )
        versions.append({"message_id": hit.id, "version": current, **version})
        out.append((StoredMessage(hit.id, hit.external_id, current), "updated"))
    if new_rows:
        ids = insert_rows(session, _MESSAGE, new_rows, ("external_id",))
        for (index, v_index), row, message_id in zip(pending_new, new_rows, ids, strict=True):
            out[index] = (StoredMessage(message_id, row["external_id"], 1), "new")
            versions[v_index]["message_id"] = message_id
    if updates:
        session.execute(_UPDATE_MESSAGES, updates)
        _expire(session, Message, {u["m_id"] for u in updates})
    if versions:
        session.execute(_INSERT_VERSIONS, versions)
    return out  # type: ignore[return-value]  # every None was filled in above


_KEPT = ("url", "author", "lang")


def _expire(session: Session, model: type, ids: set[int]) -> None:
    """Expire the loaded objects of ``model`` with these ids (their rows were changed by a Core UPDATE)."""
    for key, obj in list(session.identity_map.items()):
        if key[0] is model and key[1][0] in ids:
            session.expire(obj)


def insert_rows(session: Session, table: Table, rows: list[dict[str, Any]], key: Sequence[str]) -> list[int]:
    """Insert ``rows`` into ``table`` (whose primary key is an autoincrement ``id``); return their new ids in
    the order of ``rows``. ``key``: columns whose values tell the rows apart (unique within ``rows``).

    Bulk inserts that need the new ids, written for speed on both engines: SQLite cannot return RETURNING
    rows in parameter order, so SQLAlchemy's sorted RETURNING sends one INSERT per row there (≈0.2 ms each);
    unsorted, a batch is a few multi-row INSERTs and the rows are matched back by ``key``. On PostgreSQL
    the ids are drawn from the table's sequence first (one query) and the rows sent with ``executemany``:
    psycopg re-parses every long multi-row statement (it caches only short ones), which cost more than the
    inserts themselves.
    """
    if not rows:
        return []
    keys = [tuple(row[k] for k in key) for row in rows]
    if len(set(keys)) != len(keys):
        raise ValueError(f"insert_rows: the key {tuple(key)} does not tell the rows apart")
    if session.get_bind().dialect.name == "postgresql":
        ids = sorted(session.scalars(_NEXT_IDS, {"table": table.name, "n": len(rows)}))
        session.execute(table.insert(), [{**row, "id": i} for row, i in zip(rows, ids, strict=True)])
        return ids
    returning = table.insert().returning(table.c.id, *(table.c[k] for k in key))
    found = {tuple(r[1:]): r[0] for r in session.execute(returning, rows)}
    return [found[k] for k in keys]


_NEXT_IDS = text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)")


def _utc(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC)


def current_text(session: Session, message: Message) -> str:
    """The text of the message's current version."""
    return session.scalar(
        select(MessageVersion.text).where(
            MessageVersion.message_id == message.id, MessageVersion.version == message.current_version
        )
    )


def check_item(item: SourceItem) -> None:
    """Raise ``BadMessage`` (saying which message and why) if ``item`` cannot be stored."""
    ext = item.external_id
    if not isinstance(ext, str) or not ext.strip():
        raise BadMessage(f"message has no external id (got {ext!r})")
    where = f"message {ext[:80]!r}"
    if len(ext) > EXTERNAL_ID_LEN:
        raise BadMessage(f"{where}: external id is {len(ext)} characters, more than {EXTERNAL_ID_LEN}")
    if not isinstance(item.text, str):
        raise BadMessage(f"{where}: text must be a str, got {type(item.text).__name__}")
    for field in ("external_id", "text", "url", "author", "lang"):
        value = getattr(item, field)
        if value is not None:
            _check_text(value, f"{where}: {field}", BadMessage)
    for field in ("published", "edited"):
        value = getattr(item, field)
        if value is None:
            continue
        if not isinstance(value, datetime):
            raise BadMessage(f"{where}: {field} must be a datetime, got {type(value).__name__}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise BadMessage(f"{where}: {field} {value.isoformat()} has no time zone (naive datetime)")


def _check_text(value: Any, what: str, error: type[StoreError]) -> None:
    if not isinstance(value, str):
        raise error(f"{what} must be a str, got {type(value).__name__}")
    nul = value.find("\x00")
    if nul >= 0:
        raise error(
            f"{what} contains a NUL character (U+0000) at position {nul}; databases cannot store it "
            "in text — remove it at the source"
        )
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise error(
            f"{what} is not valid Unicode: unpaired surrogate {value[exc.start]!r} at position {exc.start}"
        ) from None


# -------------------------------------------------------------------------------------------- claims


def save_claim(
    session: Session, message: Message, version: int, claim: Claim, extractor_version: str
) -> ClaimRow:
    """Store what ``version`` of ``message`` says; earlier claims of the message become ``superseded``.

    Every value is copied as it is — an unstated count or flag stays NULL. ``period.start``/``end`` must
    be ISO 8601 with an offset (the extraction contract), else ``StoreError``.
    """
    return save_claims(session, [(message, version, claim)], extractor_version)[0]


def save_claims(
    session: Session, entries: Sequence[tuple[Message, int, Claim]], extractor_version: str
) -> list[ClaimRow]:
    """``save_claim`` for many (message, version, claim) at once, in order; a message that occurs more
    than once keeps only its last claim current. Every claim is checked before anything is written."""
    rows, regions = _insert_claims(session, [(m.id, v, c) for m, v, c in entries], extractor_version)
    out = []
    for row, claim_regions in zip(rows, regions, strict=True):
        obj = _attach(session, ClaimRow(**row))
        set_committed_value(
            obj,
            "regions",
            [_attach(session, ClaimRegion(claim_id=obj.id, **r)) for r in claim_regions],
        )
        out.append(obj)
    return out


def _attach(session: Session, obj: Any) -> Any:
    """Make ``obj`` (built from values just inserted, primary key included) a persistent object of the
    session without a query: its given attributes count as loaded, the others are loaded on access."""
    make_transient_to_detached(obj)
    session.add(obj)
    return obj


def insert_claims(
    session: Session, entries: Sequence[tuple[int, int, Claim]], extractor_version: str
) -> list[int]:
    """``save_claims`` by message id, returning only the new claim ids (in order): no ORM objects, for
    bulk ingestion. ``entries`` are (message id, version, claim)."""
    rows, _ = _insert_claims(session, entries, extractor_version)
    return [row["id"] for row in rows]


def _insert_claims(
    session: Session, entries: Sequence[tuple[int, int, Claim]], extractor_version: str
) -> tuple[list[dict[str, Any]], list[list[dict[str, Any]]]]:
    """The claim rows written (values with their ids) and each one's region rows (without claim_id)."""
    rows: list[dict[str, Any]] = []
    last_of: dict[int, int] = {}
    for i, (message_id, version, claim) in enumerate(entries):
        rows.append(_claim_values(message_id, version, claim, extractor_version))
        last_of[message_id] = i
    for i, row in enumerate(rows):
        row["superseded"] = last_of[row["message_id"]] != i
    regions = [
        [{"position": p, "iso": r.iso, "destroyed": r.destroyed} for p, r in enumerate(claim.per_region)]
        for _, _, claim in entries
    ]
    # one statement per run of distinct messages: its RETURNING rows are matched back by message id
    chunks: list[list[int]] = []
    seen: set[int] = set()
    for i, row in enumerate(rows):
        if not chunks or row["message_id"] in seen or len(chunks[-1]) >= BATCH:
            chunks.append([])
            seen = set()
        chunks[-1].append(i)
        seen.add(row["message_id"])
    for chunk in chunks:
        batch = [rows[i] for i in chunk]
        _supersede(session, {r["message_id"] for r in batch})
        ids = insert_rows(session, _CLAIM, batch, ("message_id",))
        region_rows = []
        for i, claim_id in zip(chunk, ids, strict=True):
            rows[i]["id"] = claim_id
            region_rows += [{"claim_id": rows[i]["id"], **r} for r in regions[i]]
        if region_rows:
            session.execute(_INSERT_REGIONS, region_rows)
    return rows, regions


_SUPERSEDE = (
    update(ClaimRow)
    .where(ClaimRow.message_id.in_(bindparam("message_ids", expanding=True)), ClaimRow.superseded.is_(False))
    .values(superseded=True)
)


def _supersede(session: Session, message_ids: set[int]) -> None:
    """Mark the current claims of these messages superseded, in the database and in the session."""
    session.execute(
        _SUPERSEDE, {"message_ids": sorted(message_ids)}, execution_options={"synchronize_session": False}
    )
    for key, obj in list(session.identity_map.items()):
        loaded = obj.__dict__  # only what is loaded: never trigger a lazy load here
        if (
            key[0] is ClaimRow
            and loaded.get("message_id") in message_ids
            and loaded.get("superseded") is False
        ):
            set_committed_value(obj, "superseded", True)


_CLAIM = ClaimRow.__table__
_INSERT_REGIONS = ClaimRegion.__table__.insert()


def _claim_values(message_id: int, version: int, claim: Claim, extractor_version: str) -> dict[str, Any]:
    return {
        "message_id": message_id,
        "message_version": version,
        "extracted_at": utcnow(),
        "extractor_version": extractor_version,
        "kind": Kind(claim.kind),
        "weapon": None if claim.weapon is None else Weapon(claim.weapon),
        "total_destroyed": claim.total_destroyed,
        "launched": claim.launched,
        "killed": claim.killed,
        "injured": claim.injured,
        "infrastructure_damage": claim.infrastructure_damage,
        "debris_fell": claim.debris_fell,
        "fire": claim.fire,
        "emergency_response": claim.emergency_response,
        "period_text": claim.period.text,
        "period_start": _parse_instant(claim.period.start, "period.start"),
        "period_end": _parse_instant(claim.period.end, "period.end"),
        "speaker": claim.speaker,
        "lang": claim.lang,
        "interceptors": [str(i) for i in claim.interceptors],
        "evidence": {k: v for k, v in claim.evidence.items() if v},  # (start, end) tuples: JSON arrays
    }


def claim_from_row(row: ClaimRow) -> Claim:
    """The ``domain.Claim`` a row stores (period times come back in UTC)."""
    return Claim(
        kind=Kind(row.kind),
        weapon=None if row.weapon is None else Weapon(row.weapon),
        total_destroyed=row.total_destroyed,
        launched=row.launched,
        per_region=[RegionCount(iso=r.iso, destroyed=r.destroyed) for r in row.regions],
        interceptors=[Interceptor(i) for i in row.interceptors],
        period=Period(
            text=row.period_text,
            start=None if row.period_start is None else row.period_start.isoformat(),
            end=None if row.period_end is None else row.period_end.isoformat(),
        ),
        killed=row.killed,
        injured=row.injured,
        infrastructure_damage=row.infrastructure_damage,
        debris_fell=row.debris_fell,
        fire=row.fire,
        emergency_response=row.emergency_response,
        speaker=row.speaker,
        lang=row.lang,
        evidence={k: [(int(a), int(b)) for a, b in v] for k, v in row.evidence.items()},
    )


def as_stored(claim: Claim) -> Claim:
    """``claim`` as ``claim_from_row`` reads it back once saved, without its evidence (enums as enums, the
    pinned period in UTC): lets a caller that has just saved claims use them without reading them back.
    Raises ``StoreError`` for a period ``save_claims`` refuses."""
    period = claim.period
    if period.start is not None or period.end is not None:  # pinned: the instants come back in UTC
        start = _parse_instant(period.start, "period.start")
        end = _parse_instant(period.end, "period.end")
        period = Period(
            text=period.text,
            start=None if start is None else start.astimezone(UTC).isoformat(),
            end=None if end is None else end.astimezone(UTC).isoformat(),
        )
    # (the extractor's values are enums and RegionCounts already: kept as they are, cheaply)
    return Claim(
        kind=claim.kind if isinstance(claim.kind, Kind) else Kind(claim.kind),
        weapon=claim.weapon
        if claim.weapon is None or isinstance(claim.weapon, Weapon)
        else Weapon(claim.weapon),
        total_destroyed=claim.total_destroyed,
        launched=claim.launched,
        per_region=[
            r if type(r) is RegionCount else RegionCount(iso=r.iso, destroyed=r.destroyed)
            for r in claim.per_region
        ],
        interceptors=[i if isinstance(i, Interceptor) else Interceptor(str(i)) for i in claim.interceptors],
        period=period,
        killed=claim.killed,
        injured=claim.injured,
        infrastructure_damage=claim.infrastructure_damage,
        debris_fell=claim.debris_fell,
        fire=claim.fire,
        emergency_response=claim.emergency_response,
        speaker=claim.speaker,
        lang=claim.lang,
    )


def _parse_instant(value: str | None, what: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise StoreError(f"claim {what} {value!r} is not an ISO 8601 datetime") from None
    if parsed.tzinfo is None:
        raise StoreError(f"claim {what} {value!r} has no UTC offset")
    return parsed


# -------------------------------------------------------------------------------------------- events


def append_event(
    session: Session,
    actor: str,
    action: str,
    entity: str,
    entity_id: Any,
    before: Any = None,
    after: Any = None,
) -> Event:
    """Append one audit record: ``actor`` did ``action`` to ``entity`` ``entity_id``.

    ``before``/``after`` are the entity's state (None when it did not exist / no longer exists);
    datetimes, enums, dataclasses, tuples and sets are converted to JSON. Events are never changed or
    deleted — there is deliberately no function for it, and the database refuses it.
    """
    ev = Event(**event_values(actor, action, entity, entity_id, before, after))
    session.add(ev)
    session.flush()
    return ev


def event_values(
    actor: str, action: str, entity: str, entity_id: Any, before: Any = None, after: Any = None
) -> dict[str, Any]:
    """The column values of one audit Event (see ``append_event``), for writers that insert many events
    with one Core ``insert(Event)`` instead of an ORM flush each (the residents' report writer)."""
    return {
        "at": utcnow(),
        "actor": actor,
        "action": action,
        "entity": entity,
        "entity_id": None if entity_id is None else str(entity_id),
        "before": _jsonable(before, "before"),
        "after": _jsonable(after, "after"),
    }


def _jsonable(value: Any, where: str) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        if "\x00" in value:
            raise StoreError(f"event {where}: a string contains a NUL character")
        return value
    if isinstance(value, Enum):
        return _jsonable(value.value, where)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _jsonable(dataclasses.asdict(value), where)
    if isinstance(value, dict):
        return {str(_jsonable(k, where)): _jsonable(v, where) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v, where) for v in value]
    raise StoreError(f"event {where}: cannot store a {type(value).__name__} as JSON")
