"""Small functions the ingest and merge code call. None of them commits: the caller owns the transaction.

- ``get_or_create_source`` — a Source by its unique name;
- ``upsert_message`` — store one ``SourceItem``: "new", "updated" (text changed → a new version) or
  "unchanged" (same text → nothing written, so importing twice changes nothing);
- ``save_claim`` / ``claim_from_row`` — a ``domain.Claim`` in and out of the ``claim`` tables;
- ``append_event`` — the only way to write to the append-only audit log.

Concurrency: a message is written by whoever polls its source, and a source is polled by one process at a
time (``tocsin watch`` locks the source row), so two writers never race on one (source, external_id).
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any, Literal

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session
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
    for item in items:
        check_item(item)
    results: list[tuple[Message, UpsertStatus]] = []
    chunk: list[SourceItem] = []
    seen: set[str] = set()
    for item in items:
        if item.external_id in seen or len(chunk) >= BATCH:
            results += _upsert_chunk(session, source, chunk)
            chunk, seen = [], set()
        chunk.append(item)
        seen.add(item.external_id)
    if chunk:
        results += _upsert_chunk(session, source, chunk)
    return results


BATCH = 500  # rows per statement: well under SQLite's and PostgreSQL's bound-parameter limits

_FIND_MESSAGES = (
    select(Message, MessageVersion.text_sha256)
    .join(
        MessageVersion,
        (MessageVersion.message_id == Message.id) & (MessageVersion.version == Message.current_version),
    )
    .where(
        Message.source_id == bindparam("source_id"),
        Message.external_id.in_(bindparam("external_ids", expanding=True)),
    )
)
_INSERT_MESSAGES = insert(Message).returning(Message, sort_by_parameter_order=True)
_INSERT_VERSIONS = MessageVersion.__table__.insert()


def _upsert_chunk(
    session: Session, source: Source, items: list[SourceItem]
) -> list[tuple[Message, UpsertStatus]]:
    """Items with distinct external ids."""
    found = {
        m.external_id: (m, digest)
        for m, digest in session.execute(
            _FIND_MESSAGES, {"source_id": source.id, "external_ids": [it.external_id for it in items]}
        )
    }
    now = utcnow()
    out: list[tuple[Message | None, UpsertStatus]] = []
    new_rows: list[dict[str, Any]] = []
    versions: list[dict[str, Any]] = []
    pending_new: list[tuple[int, SourceItem]] = []
    index_of_version: dict[int, int] = {}  # position in out → position in versions
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
            pending_new.append((len(out), item))
            index_of_version[len(out)] = len(versions)
            out.append((None, "new"))
            new_rows.append(
                {
                    "source_id": source.id,
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
        message, current = hit
        if current == digest:
            out.append((message, "unchanged"))
            continue
        message.current_version += 1
        for attr in ("url", "author", "lang"):
            new = getattr(item, attr)
            if new is not None and getattr(message, attr) != new:
                setattr(message, attr, new)
        versions.append({"message_id": message.id, "version": message.current_version, **version})
        out.append((message, "updated"))
    if new_rows:
        created = session.scalars(_INSERT_MESSAGES, new_rows).all()
        by_ext = {m.external_id: m for m in created}
        for index, item in pending_new:
            out[index] = (by_ext[item.external_id], "new")
            versions[index_of_version[index]]["message_id"] = by_ext[item.external_id].id
    if versions:
        session.flush()  # current_version of updated messages, before their version rows
        session.execute(_INSERT_VERSIONS, versions)
    return out  # type: ignore[return-value]  # every None was filled in above


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
    rows: list[dict[str, Any]] = []
    last_of: dict[int, int] = {}
    for i, (message, version, claim) in enumerate(entries):
        rows.append(_claim_values(message.id, version, claim, extractor_version))
        last_of[message.id] = i
    for i, row in enumerate(rows):
        row["superseded"] = last_of[row["message_id"]] != i
    out: list[ClaimRow] = []
    for lo in range(0, len(rows), BATCH):
        batch, batch_entries = rows[lo : lo + BATCH], entries[lo : lo + BATCH]
        _supersede(session, {r["message_id"] for r in batch})
        created = session.scalars(_INSERT_CLAIMS, batch).all()
        region_rows = [
            {"claim_id": row.id, "position": p, "iso": r.iso, "destroyed": r.destroyed}
            for row, (_m, _v, claim) in zip(created, batch_entries, strict=True)
            for p, r in enumerate(claim.per_region)
        ]
        regions = session.scalars(_INSERT_REGIONS, region_rows).all() if region_rows else []
        by_claim: dict[int, list[ClaimRegion]] = {row.id: [] for row in created}
        for region in regions:
            by_claim[region.claim_id].append(region)
        for row in created:
            set_committed_value(row, "regions", by_claim[row.id])
        out += created
    return out


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


_INSERT_CLAIMS = insert(ClaimRow).returning(ClaimRow, sort_by_parameter_order=True)
_INSERT_REGIONS = insert(ClaimRegion).returning(ClaimRegion, sort_by_parameter_order=True)


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
        "evidence": {k: [list(s) for s in v] for k, v in claim.evidence.items() if v},
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
    ev = Event(
        at=utcnow(),
        actor=actor,
        action=action,
        entity=entity,
        entity_id=None if entity_id is None else str(entity_id),
        before=_jsonable(before, "before"),
        after=_jsonable(after, "after"),
    )
    session.add(ev)
    session.flush()
    return ev


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
