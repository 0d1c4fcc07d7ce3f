"""Building stored statements for the tests: a message per statement, the real extractor, ``save_claims``."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tocsin.domain import Authority, SourceItem, SourceKind
from tocsin.extract import extract
from tocsin.incidents import ClaimCache
from tocsin.merge import merge
from tocsin.store import repo
from tocsin.store.models import ClaimRow, Event, Incident, IncidentClaim, Message, Source

MSK = timezone(timedelta(hours=3))
EXTRACTOR = "test"


def at(value: str) -> datetime:
    """``"2025-09-06 07:15"`` in Moscow time."""
    return datetime.fromisoformat(value).replace(tzinfo=MSK)


def post(
    session: Session,
    source: str,
    authority: Authority | str,
    ext: str,
    text: str,
    published: datetime | None,
    *,
    lang: str | None = None,
    url: str | None = None,
) -> ClaimRow | None:
    """Store one statement (new, or an edit of ``ext``) and its extracted claim; None when unchanged."""
    src = repo.get_or_create_source(session, source, SourceKind.JSONL, authority)
    ((message, status),) = repo.upsert_messages(
        session, src, [SourceItem(ext, text, published, url=url, lang=lang)]
    )
    if status == "unchanged":
        return None
    claim = extract(text, lang=lang, published=None if published is None else published.isoformat())
    return repo.save_claims(session, [(message, message.current_version, claim)], EXTRACTOR)[0]


def count(session: Session, model: Any, *where: Any) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where))


def merge_events(session: Session) -> int:
    return count(session, Event, Event.actor == "merge")


def external_ids(session: Session) -> dict[int, str]:
    """claim id → "source/external id" of its message (stable across databases)."""
    rows = session.execute(
        select(ClaimRow.id, Source.name, Message.external_id)
        .join(Message, Message.id == ClaimRow.message_id)
        .join(Source, Source.id == Message.source_id)
    )
    return {cid: f"{name}/{ext}" for cid, name, ext in rows}


def _canon(value: Any, names: dict[int, str]) -> Any:
    """Consensus/disagreements with claim ids replaced by their messages' names."""
    if isinstance(value, dict):
        return {k: (names.get(v, v) if k == "claim_id" else _canon(v, names)) for k, v in value.items()}
    if isinstance(value, list):
        return [_canon(v, names) for v in value]
    return value


def state(session: Session) -> list[tuple]:
    """The live incidents in a database-independent form (sorted)."""
    session.flush()
    names = external_ids(session)
    out = []
    for inc in session.scalars(select(Incident).where(Incident.deleted_at.is_(None))):
        claims = session.scalars(select(IncidentClaim.claim_id).where(IncidentClaim.incident_id == inc.id))
        out.append(
            (
                inc.iso,
                inc.key,
                inc.window_start.isoformat(),
                inc.window_end.isoformat(),
                inc.time_precision,
                inc.geo_precision,
                str(inc.kind),
                tuple(sorted(names[c] for c in claims)),
                json.dumps(_canon(inc.consensus, names), sort_keys=True),
                json.dumps(_canon(inc.disagreements, names), sort_keys=True),
            )
        )
    return sorted(out)


def full_merge_state(session: Session) -> list[tuple]:
    """What a pure ``merge.merge`` of every current stored claim gives, in the form of ``state``."""
    names = external_ids(session)
    ids = session.scalars(select(ClaimRow.id).where(ClaimRow.superseded.is_(False)))
    drafts = merge(ClaimCache(session).get(ids))
    roundtrip = json.loads  # consensus as a JSON column returns it
    return sorted(
        (
            d.iso,
            d.key,
            d.window_start.astimezone(UTC).isoformat(),
            d.window_end.astimezone(UTC).isoformat(),
            d.time_precision,
            d.geo_precision,
            d.kind,
            tuple(sorted(names[int(c)] for c in d.claim_ids)),
            json.dumps(_canon(roundtrip(json.dumps(d.consensus)), names), sort_keys=True),
            json.dumps(_canon(roundtrip(json.dumps(d.disagreements)), names), sort_keys=True),
        )
        for d in drafts
    )
