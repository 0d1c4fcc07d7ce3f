"""Group commit for residents' reports: one writer thread stores every pending report in ONE transaction.

Why: each report must be committed durably before the resident is told it is saved, and a durable commit
waits for the disk (an fsync of SQLite's WAL, PostgreSQL's WAL flush). With one transaction per request,
concurrent requests queue for SQLite's write lock (its busy handler sleeps with back-off: seconds of
tail latency) and pay one fsync each. Here the requests hand their prepared reports
(``tocsin.reports.prepare_report``: validation, photos and their files, places — all outside the writer)
to the writer, which takes everything pending, writes each report in a SAVEPOINT of one transaction
(``tocsin.reports.store_report``: a failing report, or an idempotency key that another request won,
undoes only itself), commits once, and only then answers each request. While it commits, new reports
gather for the next batch, so under load batches grow by themselves and the disk sees one commit per
batch; alone, a report is written at once (no waiting for a batch to fill).

Durability: a ``Future`` is resolved only after the commit that contains its report returned, so every
success a resident sees is on disk. If the commit fails, every report of the batch gets the error (none of
them was saved, none was promised).

It works the same on PostgreSQL (one transaction per batch instead of one per report: fewer WAL flushes,
fewer round trips). One writer per app and database; it is a daemon thread that starts with the first
report and ends after ``idle_seconds`` without work (so tests creating many apps leave no threads behind).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from datetime import timedelta

from sqlalchemy import Engine
from sqlalchemy.exc import InterfaceError, InternalError, OperationalError
from sqlalchemy.orm import Session

from tocsin.reports import PreparedReport, Receipt, store_report

MAX_BATCH = 256  # reports per transaction: bounds how long the write lock is held
IDLE_SECONDS = 2.0
_FATAL = (OperationalError, InterfaceError, InternalError)


def write_batch(
    session: Session, batch: list[PreparedReport], *, radius_m: float, window: timedelta
) -> list[Receipt | BaseException]:
    """Store ``batch`` in ``session``'s transaction, one SAVEPOINT per report, and commit once. Returns, in
    order, each report's receipt, or the exception that refused that report alone. Raises when the
    transaction as a whole failed (then nothing of the batch was saved)."""
    outcomes: list[Receipt | BaseException] = []
    for prepared in batch:
        try:
            outcomes.append(store_report(session, prepared, radius_m=radius_m, window=window))
        except _FATAL:
            raise  # the connection or the transaction is gone (or the lock wait timed out): the batch fails
        except Exception as exc:  # this report only (its savepoint was rolled back)
            outcomes.append(exc)
    session.commit()
    return outcomes


class ReportWriter:
    """The group-commit writer for one database: ``submit(prepared)`` → a ``Future`` that resolves to the
    ``Receipt`` once the report is committed (or to the exception that refused it); ``write(prepared)``
    waits for it. Thread-safe; ``close()`` stops the thread after the pending reports are written."""

    def __init__(
        self,
        engine: Engine,
        *,
        radius_m: float,
        window: timedelta,
        max_batch: int = MAX_BATCH,
        idle_seconds: float = IDLE_SECONDS,
        session_factory: Callable[[], Session] | None = None,
    ) -> None:
        self.engine = engine
        self.radius_m = radius_m
        self.window = window
        self.max_batch = max_batch
        self.idle_seconds = idle_seconds
        self._session = session_factory or (lambda: Session(engine, expire_on_commit=False))
        self._pending: deque[tuple[PreparedReport, Future[Receipt]]] = deque()
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False
        self.batches = 0  # commits made (for benchmarks and tests)
        self.written = 0  # reports committed

    def submit(self, prepared: PreparedReport) -> Future[Receipt]:
        """Queue ``prepared`` for the next commit; the Future resolves after that commit."""
        future: Future[Receipt] = Future()
        with self._wake:
            if self._closed:
                raise RuntimeError("the report writer is closed")
            self._pending.append((prepared, future))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="tocsin-report-writer", daemon=True)
                self._thread.start()
            else:
                self._wake.notify()
        return future

    def write(self, prepared: PreparedReport, timeout: float | None = None) -> Receipt:
        """Store one report and wait for its commit (from a worker thread, never an event loop)."""
        return self.submit(prepared).result(timeout)

    def close(self, timeout: float | None = 30.0) -> None:
        """Write what is pending, then stop the thread; further ``submit`` calls raise RuntimeError."""
        with self._wake:
            self._closed = True
            thread = self._thread
            self._wake.notify()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    # ------------------------------------------------------------------------------------ the thread

    def _take(self) -> list[tuple[PreparedReport, Future[Receipt]]] | None:
        """The next batch (everything pending, up to ``max_batch``); None when the thread should end."""
        with self._wake:
            while not self._pending:
                if self._closed or (not self._wake.wait(self.idle_seconds) and not self._pending):
                    self._thread = None  # under the lock: the next submit starts a new thread
                    return None
            n = min(len(self._pending), self.max_batch)
            return [self._pending.popleft() for _ in range(n)]

    def _run(self) -> None:
        while (batch := self._take()) is not None:
            # A request whose waiter gave up (cancelled) before its batch began is not written.
            live = [(p, f) for p, f in batch if f.set_running_or_notify_cancel()]
            if live:
                self._commit(live)

    def _commit(self, batch: list[tuple[PreparedReport, Future[Receipt]]]) -> None:
        try:
            with self._session() as session:
                outcomes = write_batch(
                    session, [p for p, _ in batch], radius_m=self.radius_m, window=self.window
                )
        except BaseException as exc:  # the transaction failed: nothing of this batch was saved
            for _, future in batch:
                future.set_exception(exc)
            return  # the thread carries on with the next batch
        self.batches += 1
        for (_, future), outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                future.set_exception(outcome)
            else:
                self.written += 1
                future.set_result(outcome)
