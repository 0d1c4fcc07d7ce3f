"""Polling: fetch every enabled source whose interval has passed, and ingest what it brings.

``run(engine, ...)`` is ``tocsin watch``. A *cycle* polls every due source once: a source is due when it is
enabled, has a ``poll_interval_s`` and ``last_fetched_at + poll_interval_s <= now`` (or was never fetched).
Between cycles the loop sleeps until the next source falls due (at most ``max_sleep`` seconds).

Each source is polled in its own transaction (:func:`poll_one`):

1. :func:`claim_due_source` picks a due source and locks its row — on PostgreSQL with
   ``SELECT … FOR UPDATE SKIP LOCKED``, so several watcher processes never poll the same source at once
   (a locked row is simply skipped by the others, and re-checked for being due once locked);
2. the source is fetched: a feed with its stored ETag / Last-Modified (a ``304 Not Modified`` brings
   nothing), a Telegram channel preview from ``since_id`` = the highest post id already stored, a file
   (Telegram export, JSON Lines, text, a saved feed) only when its modification time changed;
3. the entries go through :func:`tocsin.ingest.ingest` in the same transaction;
4. ``last_fetched_at``, ``etag``, ``last_modified``, ``cursor`` (highest post id) and ``last_error`` are
   stored and the transaction commits, releasing the lock.

A fetch that fails (network, HTTP error, a file that cannot be read) is recorded as ``last_error`` with
``last_fetched_at`` set, so the source is retried after its interval and the loop goes on with the others.
An unexpected error while storing rolls the source's transaction back; ``last_error`` is then written in a
fresh transaction.

SQLite has no row locks (``FOR UPDATE`` is not emitted there): run ONE watcher per SQLite database.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from tocsin.domain import Rejected, SourceKind
from tocsin.ingest import DEFAULT_BATCH_SIZE, IngestSummary, id_sort_key, ingest
from tocsin.store.engine import make_sessionmaker
from tocsin.store.models import Message, Source, utcnow

log = logging.getLogger(__name__)

DEFAULT_MAX_SLEEP = 60.0
TELEGRAM_PAGES = 5  # pages walked back per poll (at most ~100 posts) until since_id
MAX_ERROR_CHARS = 2000

Clock = Callable[[], datetime]
Sleep = Callable[[float], None]


@dataclass
class PollResult:
    """What polling one source did."""

    source_id: int
    source_name: str
    summary: IngestSummary | None = None  # None when nothing was fetched (304, file unchanged, error)
    not_modified: bool = False
    error: str | None = None


@dataclass
class WatchReport:
    """What ``run`` did."""

    cycles: int = 0
    polls: list[PollResult] = field(default_factory=list)


# ------------------------------------------------------------------------------------------- due / lock


def is_due(source: Source, now: datetime) -> bool:
    if not source.enabled or source.poll_interval_s is None:
        return False
    if source.last_fetched_at is None:
        return True
    return source.last_fetched_at + timedelta(seconds=source.poll_interval_s) <= now


def _due_candidates(session: Session, now: datetime, exclude: Collection[int]) -> list[int]:
    rows = session.execute(
        select(Source.id, Source.last_fetched_at, Source.poll_interval_s).where(
            Source.enabled.is_(True), Source.poll_interval_s.is_not(None)
        )
    ).all()
    due = [
        (last or datetime.min.replace(tzinfo=now.tzinfo), sid)
        for sid, last, interval in rows
        if sid not in exclude and (last is None or last + timedelta(seconds=interval) <= now)
    ]
    return [sid for _last, sid in sorted(due)]  # the longest-waiting first


def claim_due_source(
    session: Session, now: datetime | None = None, *, exclude: Collection[int] = ()
) -> Source | None:
    """Lock and return one due source (the longest waiting), or None when none is due and unlocked.

    Runs inside the caller's transaction; the lock (PostgreSQL: ``FOR UPDATE SKIP LOCKED``) lasts until
    it commits or rolls back. A source another transaction holds is skipped, not waited for; a source
    that another watcher polled meanwhile is no longer due once re-read under the lock, and is skipped.
    """
    now = now or utcnow()
    for sid in _due_candidates(session, now, exclude):
        source = session.scalar(
            select(Source)
            .where(Source.id == sid)
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        )
        if source is not None and is_due(source, now):
            return source
    return None


# ------------------------------------------------------------------------------------------------ poll


def poll_one(
    engine: Engine,
    *,
    client: httpx.Client | None = None,
    now: Clock = utcnow,
    exclude: Collection[int] = (),
    batch_size: int = DEFAULT_BATCH_SIZE,
    sleep: Sleep = time.sleep,
    telegram_pages: int = TELEGRAM_PAGES,
) -> PollResult | None:
    """Claim one due source, fetch it and ingest what it brings, in one transaction; None if none is due."""
    factory = make_sessionmaker(engine)
    claimed: tuple[int, str] | None = None
    try:
        with factory() as session, session.begin():
            source = claim_due_source(session, now(), exclude=exclude)
            if source is None:
                return None
            claimed = (source.id, source.name)
            result = _poll(session, source, client, batch_size, sleep, telegram_pages)
            source.last_fetched_at = now()
            source.last_error = result.error
            return result
    except Exception as exc:  # storing failed: the transaction is rolled back; record the error
        if claimed is None:
            raise
        log.exception("polling source %s failed", claimed[1])
        error = _short(f"{type(exc).__name__}: {exc}")
        with factory() as session, session.begin():
            source = session.get(Source, claimed[0], with_for_update=True)
            if source is not None:
                source.last_fetched_at = now()
                source.last_error = error
        return PollResult(claimed[0], claimed[1], error=error)


def _poll(
    session: Session,
    source: Source,
    client: httpx.Client | None,
    batch_size: int,
    sleep: Sleep,
    telegram_pages: int,
) -> PollResult:
    result = PollResult(source.id, source.name)
    kind = source.kind
    if not source.url:
        result.error = "the source has no URL or path to poll"
        return result
    if kind is SourceKind.FEED and _is_url(source.url):
        from tocsin.sources import feed

        items = feed.iter_items(
            source.url, client, etag=source.etag, last_modified=source.last_modified, sleep=sleep
        )
        entries = list(items)
        fetch_errors = [e for e in entries if isinstance(e, Rejected) and e.where == source.url]
        if fetch_errors:
            result.error = _short(fetch_errors[0].reason)
            return result
        source.etag, source.last_modified = items.etag, items.last_modified
        if items.not_modified:
            result.not_modified = True
            return result
    elif kind is SourceKind.TELEGRAM_WEB:
        from tocsin.sources import telegram_web

        since = _since_id(session, source)
        entries = list(
            telegram_web.iter_items(
                source.url, client, pages=telegram_pages, since_id=since, sleep=sleep, min_interval=1.0
            )
        )
        fetch_errors = [e for e in entries if isinstance(e, Rejected) and _is_url(e.where)]
        if fetch_errors:
            # a page failed: store nothing, so the cursor does not skip past posts not yet fetched
            result.error = _short(fetch_errors[0].reason)
            return result
    else:
        path = Path(source.url)
        try:
            stamp = str(os.stat(path).st_mtime_ns)
        except OSError as exc:
            result.error = _short(f"cannot read {path}: {exc.strerror or exc}")
            return result
        if stamp == source.last_modified:
            result.not_modified = True
            return result
        from tocsin.sources import read_path

        entries = list(read_path(path, kind))
        unreadable = [e for e in entries if isinstance(e, Rejected) and e.where == str(path)]
        if unreadable and len(entries) == len(unreadable):
            result.error = _short(unreadable[0].reason)
            return result
        source.last_modified = stamp
    summary = ingest(session, source, entries, batch_size=batch_size)
    result.summary = summary
    if kind is SourceKind.TELEGRAM_WEB and summary.max_external_id is not None:
        tail = summary.max_external_id.rpartition("/")[2]
        current = int(source.cursor) if source.cursor and source.cursor.isdigit() else None
        if tail.isdigit() and (current is None or int(tail) > current):
            source.cursor = tail
    return result


def _since_id(session: Session, source: Source) -> int | None:
    """The highest post id stored for a Telegram channel (the cursor, else from the messages)."""
    best = int(source.cursor) if source.cursor and source.cursor.isdigit() else None
    if best is None:
        ids = session.scalars(select(Message.external_id).where(Message.source_id == source.id)).all()
        numeric = [id_sort_key(i)[1] for i in ids if id_sort_key(i)[0] == 0]
        best = max(numeric) if numeric else None
    return best


def _is_url(value: str) -> bool:
    return value.lower().startswith(("http://", "https://"))


def _short(text: str) -> str:
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 1] + "…"


# ------------------------------------------------------------------------------------------------- run


def run(
    engine: Engine,
    *,
    once: bool = False,
    max_cycles: int | None = None,
    client: httpx.Client | None = None,
    now: Clock = utcnow,
    sleep: Sleep = time.sleep,
    max_sleep: float = DEFAULT_MAX_SLEEP,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_poll: Callable[[PollResult], None] | None = None,
    telegram_pages: int = TELEGRAM_PAGES,
) -> WatchReport:
    """Poll due sources cycle after cycle (forever, unless ``once`` or ``max_cycles``)."""
    report = WatchReport()
    while True:
        polled: set[int] = set()
        while True:
            result = poll_one(
                engine,
                client=client,
                now=now,
                exclude=polled,
                batch_size=batch_size,
                sleep=sleep,
                telegram_pages=telegram_pages,
            )
            if result is None:
                break
            polled.add(result.source_id)
            report.polls.append(result)
            if on_poll is not None:
                on_poll(result)
        report.cycles += 1
        if once or (max_cycles is not None and report.cycles >= max_cycles):
            return report
        sleep(seconds_until_due(engine, now(), max_sleep=max_sleep))


def seconds_until_due(engine: Engine, now: datetime, *, max_sleep: float = DEFAULT_MAX_SLEEP) -> float:
    """How long until the next source falls due (at least 1 s, at most ``max_sleep``)."""
    with make_sessionmaker(engine)() as session:
        rows = session.execute(
            select(Source.last_fetched_at, Source.poll_interval_s).where(
                Source.enabled.is_(True), Source.poll_interval_s.is_not(None)
            )
        ).all()
    waits = [
        0.0 if last is None else (last + timedelta(seconds=interval) - now).total_seconds()
        for last, interval in rows
    ]
    if not waits:
        return max_sleep
    return min(max_sleep, max(1.0, min(waits)))


def message_counts(session: Session) -> dict[int, int]:
    """Messages stored per source id."""
    return dict(session.execute(select(Message.source_id, func.count()).group_by(Message.source_id)).all())


__all__ = [
    "PollResult",
    "WatchReport",
    "claim_due_source",
    "is_due",
    "message_counts",
    "poll_one",
    "run",
    "seconds_until_due",
]
