"""Group commit (``tocsin.report_writer``) on SQLite and PostgreSQL: a batch is one transaction with a
SAVEPOINT per report — a repeated idempotency key (within the batch or stored before) answers with the
first report, a report the database refuses fails alone, a failed commit fails the whole batch and stores
nothing; a waiting request's Future resolves only after the commit; reports pending while a batch is
written go together into the next; a cancelled request is not written; the thread ends when idle or
closed. Also the web intake through the writer: concurrent API submissions, each stored once with its
Event, and a repeated key from many clients at once giving one report."""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable
from concurrent.futures import CancelledError, Future
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tocsin.photos import PhotoStore
from tocsin.report_writer import ReportWriter, write_batch
from tocsin.reports import PreparedReport, Receipt, prepare_report, receipt_token
from tocsin.settings import Settings
from tocsin.store.engine import make_sessionmaker
from tocsin.store.models import Event, Report, ReportCluster, ReportPhoto

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from reports.conftest import png

WINDOW = timedelta(minutes=120)


def _prepared(settings: Settings, **fields) -> PreparedReport:
    data = {"category": "debris", "lat": 54.78, "lon": 32.05, **fields}
    return prepare_report(settings, data, photo_store=PhotoStore(settings.photo_dir))


def _count(engine: Engine, model) -> int:
    with make_sessionmaker(engine)() as session:
        return session.scalar(select(func.count()).select_from(model))


def _writer(engine: Engine, **kwargs) -> ReportWriter:
    return ReportWriter(engine, radius_m=500, window=WINDOW, **kwargs)


class _Gate:
    """A session factory whose first session waits until ``open()``: the writer is held inside its first
    batch, so that what is submitted meanwhile is pending together — no sleeping, no timing."""

    def __init__(self, engine: Engine) -> None:
        self.sessions = make_sessionmaker(engine)
        self.entered = threading.Event()
        self.gate = threading.Event()
        self.first = True

    def __call__(self) -> Session:
        if self.first:
            self.first = False
            self.entered.set()
            assert self.gate.wait(60), "the test never opened the gate"
        return self.sessions()

    def open(self) -> None:
        self.gate.set()


def test_a_batch_is_one_commit_with_repeats_answered_by_the_first(engine: Engine, settings: Settings) -> None:
    with make_sessionmaker(engine)() as session:
        earlier = write_batch(
            session,
            [_prepared(settings, idempotency_key="stored-before-" + "a" * 8)],
            radius_m=500,
            window=WINDOW,
        )[0]
    batch = [
        _prepared(settings, idempotency_key="in-batch-key-" + "b" * 8, photos=[png()]),
        _prepared(settings, category="fire", lat=55.0),
        _prepared(settings, idempotency_key="in-batch-key-" + "b" * 8, description="a changed body"),
        _prepared(settings, idempotency_key="stored-before-" + "a" * 8),
        _prepared(settings, lat=54.7801, lon=32.0501),  # clusters with the first
    ]
    with make_sessionmaker(engine)() as session:
        outcomes = write_batch(session, batch, radius_m=500, window=WINDOW)
    assert all(isinstance(o, Receipt) for o in outcomes)
    first, fire, repeat, old, near = outcomes
    assert [o.created for o in outcomes] == [True, True, False, False, True]
    assert repeat.report_id == first.report_id and repeat.token == first.token == receipt_token(
        "in-batch-key-" + "b" * 8
    )
    assert old.report_id == earlier.report_id and old.token == earlier.token
    assert _count(engine, Report) == 4 and _count(engine, Event) == 4 and _count(engine, ReportPhoto) == 1
    with make_sessionmaker(engine)() as session:
        rows = {r.id: r for r in session.scalars(select(Report))}
        assert rows[first.report_id].description is None  # the first report stands
        assert rows[near.report_id].cluster_id is not None
        assert rows[near.report_id].cluster_id == rows[first.report_id].cluster_id
        assert (
            rows[near.report_id].cluster_id == rows[earlier.report_id].cluster_id
        )  # same place, same category
        assert rows[fire.report_id].cluster_id is None
        events = {e.entity_id: e.after for e in session.scalars(select(Event))}
        assert events[str(near.report_id)]["cluster_id"] == rows[near.report_id].cluster_id
        assert events[str(fire.report_id)]["cluster_id"] is None
        assert all("contact" not in after for after in events.values())


def test_a_refused_report_fails_alone(engine: Engine, settings: Settings) -> None:
    good = _prepared(settings, description="good one")
    bad = _prepared(settings, description="refused by the database")
    bad = replace(bad, row={**bad.row, "category": None})  # NOT NULL: the database refuses this row
    also_good = _prepared(settings, description="good two")
    with make_sessionmaker(engine)() as session:
        outcomes = write_batch(session, [good, bad, also_good], radius_m=500, window=WINDOW)
    assert isinstance(outcomes[0], Receipt) and isinstance(outcomes[2], Receipt)
    assert isinstance(outcomes[1], IntegrityError)
    with make_sessionmaker(engine)() as session:
        stored = sorted(session.scalars(select(Report.description)))
        assert stored == ["good one", "good two"]
        assert session.scalar(select(func.count()).select_from(Event)) == 2


def test_futures_resolve_after_the_commit_and_pending_reports_share_one(
    engine: Engine, settings: Settings
) -> None:
    gate = _Gate(engine)
    writer = _writer(engine, session_factory=gate)
    try:
        first = writer.submit(_prepared(settings, description="first"))
        assert gate.entered.wait(60)
        # The writer is inside its first batch: these wait for the next one, all together.
        rest = [writer.submit(_prepared(settings, description=f"next {i}")) for i in range(5)]
        assert not first.done() and not any(f.done() for f in rest)
        assert _count(engine, Report) == 0  # nothing answered, nothing committed
        gate.open()
        receipts = [first.result(60), *(f.result(60) for f in rest)]
        assert all(r.created for r in receipts) and len({r.report_id for r in receipts}) == 6
        assert writer.batches == 2 and writer.written == 6
        with engine.connect() as conn:  # committed: another connection sees every one
            ids = set(conn.scalars(select(Report.id)))
        assert ids == {r.report_id for r in receipts}
    finally:
        gate.open()
        writer.close()


def test_a_failed_commit_fails_the_whole_batch_and_the_writer_goes_on(
    engine: Engine, settings: Settings
) -> None:
    commits = {"n": 0}

    class SecondCommitFails(Session):
        def commit(self) -> None:
            commits["n"] += 1
            if commits["n"] == 2:
                self.rollback()
                raise OSError("the disk is gone")
            super().commit()

    gate = _Gate(engine)
    gate.sessions = lambda: SecondCommitFails(engine, expire_on_commit=False)  # type: ignore[assignment]
    writer = _writer(engine, session_factory=gate)
    try:
        first = writer.submit(_prepared(settings, description="first"))
        assert gate.entered.wait(60)
        lost = [writer.submit(_prepared(settings, description=f"lost {i}")) for i in range(3)]
        gate.open()
        assert first.result(60).created
        for future in lost:
            with pytest.raises(OSError, match="disk is gone"):
                future.result(60)
        assert writer.batches == 1
        later = writer.submit(_prepared(settings, description="after")).result(60)
        assert later.created
        with make_sessionmaker(engine)() as session:
            assert sorted(session.scalars(select(Report.description))) == ["after", "first"]
            assert session.scalar(select(func.count()).select_from(Event)) == 2
    finally:
        gate.open()
        writer.close()


def test_a_cancelled_request_is_not_written(engine: Engine, settings: Settings) -> None:
    gate = _Gate(engine)
    writer = _writer(engine, session_factory=gate)
    try:
        writer.submit(_prepared(settings, description="held"))
        assert gate.entered.wait(60)
        gone: Future[Receipt] = writer.submit(_prepared(settings, description="client went away"))
        kept = writer.submit(_prepared(settings, description="kept"))
        assert gone.cancel()
        gate.open()
        assert kept.result(60).created
        with pytest.raises(CancelledError):
            gone.result(0)
        with make_sessionmaker(engine)() as session:
            assert sorted(session.scalars(select(Report.description))) == ["held", "kept"]
    finally:
        gate.open()
        writer.close()


def test_the_thread_ends_when_idle_and_comes_back(engine: Engine, settings: Settings) -> None:
    writer = _writer(engine, idle_seconds=0.01)
    writer.write(_prepared(settings))
    thread = writer._thread
    if thread is not None:
        thread.join(60)
        assert not thread.is_alive()
    assert writer.write(_prepared(settings)).created  # a new thread takes over
    writer.close()
    with pytest.raises(RuntimeError):
        writer.submit(_prepared(settings))
    assert _count(engine, Report) == 2


def test_close_writes_what_is_pending(engine: Engine, settings: Settings) -> None:
    gate = _Gate(engine)
    writer = _writer(engine, session_factory=gate)
    futures = [writer.submit(_prepared(settings, description=str(i))) for i in range(3)]
    assert gate.entered.wait(60)
    closer = threading.Thread(target=writer.close)
    closer.start()
    gate.open()
    closer.join(60)
    assert all(f.result(0).created for f in futures)
    assert _count(engine, Report) == 3


# --------------------------------------------------------------------------------- through the web


def _run_threads(n: int, target: Callable[[int], None]) -> None:
    barrier = threading.Barrier(n)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait(60)
            target(i)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []


def test_concurrent_api_submissions_are_each_stored_once(
    make_client: Callable[..., TestClient], engine: Engine
) -> None:
    client = make_client(report_rate_per_ip=1000, report_rate_global=1000)
    answers: list[dict] = []

    def post(i: int) -> None:
        for j in range(5):
            r = client.post(
                "/api/v1/reports", json={"category": "damage", "lat": 54.0 + i, "lon": 32.0 + j * 0.1}
            )
            assert r.status_code == 201, r.text
            answers.append(r.json())

    _run_threads(8, post)
    assert len(answers) == 40 and len({a["id"] for a in answers}) == 40
    assert _count(engine, Report) == 40 and _count(engine, Event) == 40
    assert _count(engine, ReportCluster) == 0  # 8 points 100 km apart, 5 each 6 km apart: no cluster


def test_one_key_from_many_clients_at_once_is_one_report(
    make_client: Callable[..., TestClient], engine: Engine
) -> None:
    client = make_client(report_rate_per_ip=1000, report_rate_global=1000)
    key = "many-clients-one-key-" + "q" * 8
    answers: list[tuple[int, dict]] = []

    def post(i: int) -> None:
        r = client.post(
            "/api/v1/reports",
            json={"category": "injured", "lat": 54.78, "lon": 32.05},
            headers={"Idempotency-Key": key},
        )
        answers.append((r.status_code, r.json()))

    _run_threads(8, post)
    assert sorted(code for code, _ in answers) == [200] * 7 + [201]
    assert len({(a["id"], a["token"]) for _, a in answers}) == 1
    assert answers[0][1]["token"] == receipt_token(key)
    assert _count(engine, Report) == 1 and _count(engine, Event) == 1


def test_the_form_goes_through_the_writer(
    make_client: Callable[..., TestClient], engine: Engine, tmp_path: Path
) -> None:
    client = make_client()
    r = client.post(
        "/report",
        data={"category": "fire", "location_text": "Вязьма", "idempotency_key": "form-writer-key-" + "f" * 8},
        files=[("photos", ("a.png", png(), "image/png"))],
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"].startswith("/report/receipt/")
    writer = client.app.state.report_intake.writer
    assert writer.written == 1
    assert _count(engine, Report) == 1 and _count(engine, ReportPhoto) == 1
