"""Ingestion: source entries → stored messages (versioned) → claims → incidents, one transaction per batch.

``ingest(engine, source, entries)`` is the one library function behind ``tocsin ingest`` and ``tocsin
watch``. Each batch of ``batch_size`` entries is written in ONE transaction:

1. every entry is checked (``repo.check_item``); a bad one becomes a :class:`~tocsin.domain.Rejected`
   (which entry, why) and is skipped while the rest of the batch lands;
2. the good ones are upserted (``repo.store_messages``): "new" (first time this (source, external id) is
   seen: message + version 1), "updated" (the text changed: a new version, the old ones kept verbatim) or
   "unchanged" (same text as the current version: nothing written);
3. every new or updated version is extracted (``tocsin.extract.extract(text, published=item.published)``);
   an extraction failure is recorded as a Rejected for that message, but the message stays stored;
4. the claims are saved (``repo.insert_claims``: the message's earlier claim becomes ``superseded``);
5. ``incidents.refresh(session, new_claim_ids)`` merges them into the stored incidents (handed the claims
   just saved, so that it does not read them back);
6. one audit ``Event`` (actor ``ingest``, action ``ingest.batch``, entity ``source``) records the batch's
   counts — only when the batch wrote something: a batch of unchanged (or only rejected) entries changes
   nothing, so it writes nothing at all, and importing the same export twice leaves the database exactly
   as it was;
7. commit.

Durability: a crash (even SIGKILL) loses at most the open batch; a re-run finds the committed messages
"unchanged" and completes the rest, leaving exactly one copy of every message (unique
(source_id, external_id)) and exactly one current claim per message.

Concurrency: two writers must not ingest into the same source at once (``tocsin watch`` locks the source
row on PostgreSQL; see :mod:`tocsin.watch`). A unique-constraint violation from such a race fails that batch
(rolled back) rather than storing a duplicate.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

from sqlalchemy import Engine, bindparam, select
from sqlalchemy.orm import Session, sessionmaker

from tocsin import __version__, incidents
from tocsin.domain import Authority, Claim, Rejected, SourceItem, SourceKind
from tocsin.merge import ClaimInput
from tocsin.store import repo
from tocsin.store.engine import make_sessionmaker
from tocsin.store.models import Message, MessageVersion, Source

EXTRACTOR_VERSION = f"tocsin-{__version__}"
DEFAULT_BATCH_SIZE = 500
ACTOR = "ingest"
ACTION = "ingest.batch"
_EXTRACT_LANGS = frozenset({"ru", "uk", "en"})


@dataclass(frozen=True, slots=True)
class SourceSpec:
    """A source named by what it is; ``ingest`` creates it when no source has this name yet.

    An existing source keeps its authority and URL; a different ``kind`` is an error
    (``repo.StoreError``), since its messages' ids would not mean the same thing.
    """

    name: str
    kind: SourceKind | str
    authority: Authority | str = Authority.OTHER
    url: str | None = None


SourceRef = Source | SourceSpec | int | str
"""What ``ingest`` accepts as ``source``: a Source row, a SourceSpec, a source id or an existing name."""


@dataclass
class Timings:
    """Seconds spent in each stage (wall clock, summed over batches)."""

    parse: float = 0.0  # pulling entries out of the source iterator (reading, decoding, parsing)
    store: float = 0.0  # checks, upserts, claim rows, audit events, commits
    extract: float = 0.0  # tocsin.extract
    merge: float = 0.0  # incidents.refresh

    @property
    def total(self) -> float:
        return self.parse + self.store + self.extract + self.merge


@dataclass
class IngestSummary:
    """What an ingest did. ``rejected`` lists every skipped entry and every message stored but not
    extracted (``where``, ``reason``); ``entries`` counts everything the source yielded."""

    source_id: int | None = None
    source_name: str | None = None
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    claims: int = 0
    incidents: incidents.RefreshResult = field(default_factory=incidents.RefreshResult)
    batches: int = 0  # batches committed (including ones that wrote nothing)
    events: int = 0  # audit events written (one per batch that changed something)
    entries: int = 0
    max_external_id: str | None = None  # the largest external id seen (numeric-aware), for cursors
    timings: Timings = field(default_factory=Timings)

    @property
    def stored(self) -> int:
        """Messages read and stored or found (new + updated + unchanged)."""
        return self.new + self.updated + self.unchanged

    @property
    def changed(self) -> bool:
        return bool(self.new or self.updated)

    def as_dict(self) -> dict[str, Any]:
        return {
            "new": self.new,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": len(self.rejected),
            "claims": self.claims,
            **{f"incidents_{k}": v for k, v in dataclasses.asdict(self.incidents).items()},
        }


Progress = Callable[[IngestSummary], None]
"""Called after every committed batch with the running summary."""


def ingest(
    session_factory_or_engine: Engine | sessionmaker[Session] | Session,
    source: SourceRef,
    entries: Iterable[SourceItem | Rejected],
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    extractor_version: str = EXTRACTOR_VERSION,
    progress: Progress | None = None,
    actor: str = ACTOR,
    workers: int = 0,
) -> IngestSummary:
    """Store ``entries`` as messages of ``source``, extract and merge them; return what happened.

    ``session_factory_or_engine``: an Engine or a sessionmaker — each batch gets its own session and
    transaction, committed at the end of the batch; or a Session — every batch runs in that session's
    transaction and nothing is committed (the caller commits; ``tocsin watch`` does this to keep the
    source row locked).

    ``workers`` > 0 extracts in that many worker processes, one batch ahead: while batch *k* is stored and
    merged, batch *k+1*'s new or changed texts are already being extracted (a claim depends only on the
    text, its language and its publication time, so extracting ahead never changes the result). When this
    process reaches a batch whose extraction the workers have not finished, it takes back the tasks they
    have not started and extracts those itself, so no core waits. Worth it for large imports on a machine
    with spare cores; 0 (the default) extracts in this process.

    Raises ``repo.StoreError`` when ``source`` cannot be resolved (unknown name or id, a kind that differs
    from the existing source's). Errors of the database itself propagate after the open batch was
    rolled back; batches committed before stay.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be >= 1")
    if workers < 0:
        raise ValueError("workers must be >= 0")
    scope = _scope_factory(session_factory_or_engine)
    summary = IngestSummary()
    with scope() as session:
        src = resolve_source(session, source)
        summary.source_id, summary.source_name = src.id, src.name
    source_id = src.id
    timings = summary.timings

    def run(batch: list[Any], ahead: _Ahead | None) -> None:
        with scope() as session:
            _ingest_batch(session, source_id, batch, summary, extractor_version, actor, ahead)
            t0 = time.perf_counter()
        timings.store += time.perf_counter() - t0  # the commit
        summary.batches += 1
        if progress is not None:
            progress(summary)

    pool = _Pool(workers) if workers else None
    try:
        pending: tuple[list[Any], _Ahead | None] | None = None
        for batch in _batches(iter(entries), batch_size, timings):
            if pool is None:
                run(batch, None)
                continue
            t0 = time.perf_counter()
            with scope() as session:
                todo = _needs_extraction(session, source_id, batch)
            ahead = pool.submit(todo)
            timings.store += time.perf_counter() - t0
            if pending is not None:
                run(*pending)
            pending = (batch, ahead)
        if pending is not None:
            run(*pending)
    finally:
        if pool is not None:
            pool.close()
    return summary


def _batches(it: Iterator[Any], size: int, timings: Timings) -> Iterator[list[Any]]:
    while True:
        t0 = time.perf_counter()
        batch = list(itertools.islice(it, size))
        timings.parse += time.perf_counter() - t0
        if not batch:
            return
        yield batch


def resolve_source(session: Session, source: SourceRef) -> Source:
    """The Source row ``source`` refers to (created for a SourceSpec whose name is new)."""
    if isinstance(source, SourceSpec):
        return repo.get_or_create_source(session, source.name, source.kind, source.authority, source.url)
    if isinstance(source, Source):
        if source.id is None:
            raise repo.StoreError("the Source has no id: add and flush it first, or pass a SourceSpec")
        found = session.get(Source, source.id)
    elif isinstance(source, bool):
        found = None
    elif isinstance(source, int):
        found = session.get(Source, source)
    elif isinstance(source, str):
        found = session.scalar(select(Source).where(Source.name == source))
    else:
        raise TypeError(f"source must be a Source, SourceSpec, id or name, not {type(source).__name__}")
    if found is None:
        raise repo.StoreError(f"no source {source if not isinstance(source, Source) else source.id!r}")
    return found


# ------------------------------------------------------------------------------------------- internals


def _scope_factory(target: Engine | sessionmaker[Session] | Session) -> Callable[[], Any]:
    if isinstance(target, Session):

        @contextlib.contextmanager
        def shared() -> Iterator[Session]:
            yield target
            target.flush()

        return shared
    if isinstance(target, Engine):
        factory = make_sessionmaker(target)
    elif isinstance(target, sessionmaker):
        factory = target
    else:
        raise TypeError(f"expected an Engine, a sessionmaker or a Session, not {type(target).__name__}")

    @contextlib.contextmanager
    def own() -> Iterator[Session]:
        with factory() as session, session.begin():
            yield session

    return own


def _ingest_batch(
    session: Session,
    source_id: int,
    batch: list[Any],
    summary: IngestSummary,
    extractor_version: str,
    actor: str,
    ahead: _Ahead | None = None,
) -> None:
    timings = summary.timings
    t0 = time.perf_counter()
    source = session.get(Source, source_id)
    if source is None:
        raise repo.StoreError(f"source {source_id} disappeared during the import")
    first_entry = summary.entries
    good: list[SourceItem] = []
    rejected: list[Rejected] = []
    for offset, entry in enumerate(batch):
        number = first_entry + offset + 1
        if isinstance(entry, Rejected):
            rejected.append(entry)
            continue
        if not isinstance(entry, SourceItem):
            rejected.append(Rejected(f"entry #{number}", f"not a SourceItem ({type(entry).__name__})"))
            continue
        try:
            repo.check_item(entry)
        except repo.BadMessage as exc:
            rejected.append(_bad_item(entry, number, str(exc)))
            continue
        good.append(entry)
        summary.max_external_id = _max_id(summary.max_external_id, entry.external_id)
    summary.entries += len(batch)

    results = repo.store_messages(session, source_id, good, checked=True) if good else []
    counts = {"new": 0, "updated": 0, "unchanged": 0}
    to_extract = []
    for item, (message, status) in zip(good, results, strict=True):
        counts[status] += 1
        if status != "unchanged":
            to_extract.append((item, message))
    t1 = time.perf_counter()
    timings.store += t1 - t0

    done = ahead.results() if ahead is not None else {}
    extracted: list[tuple[SourceItem, repo.StoredMessage, Claim]] = []
    for item, message in to_extract:
        result = done.get(id(item))
        if result is None:
            try:
                result = _extract(item)
            except Exception as exc:  # one message the extractor cannot read must not stop the import
                result = _Failed(f"{type(exc).__name__}: {exc}")
        if isinstance(result, _Failed):
            rejected.append(Rejected(_where(item), f"stored, but not extracted: {result.reason}"))
            continue
        extracted.append((item, message, result))
    t2 = time.perf_counter()
    timings.extract += t2 - t1

    saved = _save_claims(session, extracted, extractor_version, rejected)
    claim_ids = [claim_id for claim_id, _ in saved]
    t3 = time.perf_counter()
    timings.store += t3 - t2

    if claim_ids:
        cache = _saved_claims(session, source, saved)
        refreshed = incidents.refresh(session, claim_ids, cache=cache)
    else:
        refreshed = incidents.RefreshResult()
    t4 = time.perf_counter()
    timings.merge += t4 - t3

    if counts["new"] or counts["updated"] or claim_ids:
        after = {
            **counts,
            "rejected": len(rejected),
            "claims": len(claim_ids),
            **{f"incidents_{k}": v for k, v in dataclasses.asdict(refreshed).items()},
            "extractor_version": extractor_version,
            "first_entry": first_entry + 1,
            "last_entry": first_entry + len(batch),
        }
        repo.append_event(session, actor, ACTION, "source", source_id, before=None, after=after)
        summary.events += 1
    timings.store += time.perf_counter() - t4

    summary.new += counts["new"]
    summary.updated += counts["updated"]
    summary.unchanged += counts["unchanged"]
    summary.rejected += rejected
    summary.claims += len(claim_ids)
    summary.incidents += refreshed


def _extract(item: SourceItem) -> Claim:
    from tocsin.extract import extract

    lang = item.lang if item.lang in _EXTRACT_LANGS else None
    return extract(item.text, lang=lang, published=item.published)


# ------------------------------------------------------------------------------ extraction in workers


@dataclass(frozen=True, slots=True)
class _Failed:
    reason: str


WORK_CHUNK = 50  # statements per task sent to a worker (small: unstarted tasks are taken back)


def _extract_many(work: list[tuple[str, str | None, Any]]) -> list[Claim | _Failed]:
    """Runs in a worker process."""
    from tocsin.extract import extract

    out: list[Claim | _Failed] = []
    for text, lang, published in work:
        try:
            out.append(extract(text, lang=lang, published=published))
        except Exception as exc:
            out.append(_Failed(f"{type(exc).__name__}: {exc}"))
    return out


def _worker_start(parent_pid: int) -> None:
    """Worker start-up: exit as soon as the importing process is gone (even if it was SIGKILLed, when no
    cleanup of any kind runs), then load the extractor's data before the first batch arrives."""

    def watch_parent() -> None:
        while os.getppid() == parent_pid:
            time.sleep(0.2)
        os._exit(0)

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the importing process's to handle
    threading.Thread(target=watch_parent, name="tocsin-parent-watch", daemon=True).start()
    _extract_many([("Ночью над Смоленской областью сбиты 2 БПЛА.", None, None)])


class _Ahead:
    """Extraction of one batch's items, running in the workers."""

    def __init__(self, tasks: list[tuple[list[SourceItem], Future[list[Claim | _Failed]]]]):
        self.tasks = tasks

    def results(self) -> dict[int, Claim | _Failed]:
        """``id(item)`` → its claim (or failure). Tasks no worker has started yet are taken back and
        extracted here, so this process extracts instead of waiting when the workers are behind; items
        whose task failed are left out (extracted by the caller)."""
        out: dict[int, Claim | _Failed] = {}
        for items, future in self.tasks:
            if future.cancel():
                claims = _extract_many(_work(items))
            else:
                try:
                    claims = future.result()
                except Exception:  # a worker died (BrokenProcessPool …): those items are extracted here
                    continue
            for item, claim in zip(items, claims, strict=True):
                out[id(item)] = claim
        return out


def _work(items: list[SourceItem]) -> list[tuple[str, str | None, Any]]:
    return [(i.text, i.lang if i.lang in _EXTRACT_LANGS else None, i.published) for i in items]


class _Pool:
    def __init__(self, workers: int) -> None:
        # "spawn": a worker never inherits this process's database connections
        self.executor = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_worker_start,
            initargs=(os.getpid(),),
        )

    def submit(self, items: list[SourceItem]) -> _Ahead:
        tasks = []
        for lo in range(0, len(items), WORK_CHUNK):
            chunk = items[lo : lo + WORK_CHUNK]
            try:
                tasks.append((chunk, self.executor.submit(_extract_many, _work(chunk))))
            except Exception:  # the pool is broken: the batch is extracted in this process
                break
        return _Ahead(tasks)

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)


_CURRENT_DIGESTS = (
    select(Message.external_id, MessageVersion.text_sha256)
    .join(
        MessageVersion,
        (MessageVersion.message_id == Message.id) & (MessageVersion.version == Message.current_version),
    )
    .where(
        Message.source_id == bindparam("source_id"),
        Message.external_id.in_(bindparam("external_ids", expanding=True)),
    )
)


def _needs_extraction(session: Session, source_id: int, batch: list[Any]) -> list[SourceItem]:
    """The items of ``batch`` whose text differs from the stored current version (or that are new):
    the ones worth extracting ahead. A guess — the batch's own upsert decides; a wrong guess only costs
    an unused extraction or an extraction in this process."""
    items = [
        e
        for e in batch
        if isinstance(e, SourceItem) and isinstance(e.external_id, str) and isinstance(e.text, str)
    ]
    stored: dict[str, str] = {}
    ids = sorted({i.external_id for i in items})
    for lo in range(0, len(ids), repo.BATCH):
        stored.update(
            (ext, digest)
            for ext, digest in session.execute(
                _CURRENT_DIGESTS, {"source_id": source_id, "external_ids": ids[lo : lo + repo.BATCH]}
            )
        )
    out = []
    for item in items:
        try:
            digest = repo.text_sha256(item.text)
        except UnicodeEncodeError:
            continue  # check_item will reject it
        if stored.get(item.external_id) != digest:
            out.append(item)
    return out


Extracted = tuple[SourceItem, repo.StoredMessage, Claim]  # an item, its stored message, its claim


def _save_claims(
    session: Session,
    extracted: list[Extracted],
    extractor_version: str,
    rejected: list[Rejected],
) -> list[tuple[int, Extracted]]:
    """All claims at once (each with its new id); if the store refuses one (``StoreError``: nothing was
    written), save them one by one so that only the refused claim is left out (reported; its message stays
    stored)."""
    if not extracted:
        return []
    try:
        ids = repo.insert_claims(
            session, [(m.id, m.current_version, c) for _, m, c in extracted], extractor_version
        )
        return list(zip(ids, extracted, strict=True))
    except repo.StoreError:
        pass
    saved = []
    for entry in extracted:
        _, message, claim = entry
        try:
            (claim_id,) = repo.insert_claims(
                session, [(message.id, message.current_version, claim)], extractor_version
            )
        except repo.StoreError as exc:
            rejected.append(Rejected(f"message {message.external_id}", f"stored, but claim refused: {exc}"))
            continue
        saved.append((claim_id, entry))
    return saved


def _saved_claims(
    session: Session, source: Source, saved: list[tuple[int, Extracted]]
) -> incidents.ClaimCache:
    """The merge's view of the claims just saved (``incidents.ClaimCache.remember``), so that the refresh
    does not read them back: as stored (``repo.as_stored``), with the source, the publication time in UTC and
    the text. A message's earlier claim in the same batch is superseded (``repo.insert_claims``): None."""
    cache = incidents.ClaimCache(session)
    last = {message.id: claim_id for claim_id, (_, message, _) in saved}
    authority = Authority(source.authority)
    for claim_id, (item, message, claim) in saved:
        ci = None
        if last[message.id] == claim_id and item.published is not None:
            published = item.published.astimezone(UTC)
            ci = ClaimInput(claim_id, repo.as_stored(claim), source.name, authority, published, item.text)
        cache.remember(claim_id, message.id, ci)
    return cache


def _where(item: SourceItem) -> str:
    return f"message {item.external_id}"


def _bad_item(item: SourceItem, number: int, reason: str) -> Rejected:
    ext = item.external_id
    if isinstance(ext, str) and ext.strip():
        prefix = f"message {ext[:80]!r}: "
        if reason.startswith(prefix):
            reason = reason[len(prefix) :]
        return Rejected(f"message {ext[:80]}", reason)
    return Rejected(f"entry #{number}", reason)


def id_sort_key(external_id: str) -> tuple[int, int, str]:
    """Order external ids numerically by their last ``/``-separated part when it is a number
    (``chan/99`` < ``chan/100``), else as text after all numeric ones."""
    tail = external_id.rpartition("/")[2]
    if tail.isdigit():
        return (0, int(tail), external_id)
    return (1, 0, external_id)


def _max_id(current: str | None, candidate: str) -> str:
    if current is None or id_sort_key(candidate) > id_sort_key(current):
        return candidate
    return current
