"""Two writers refreshing the same claims at once (``tocsin watch`` as several processes on PostgreSQL)
must not create an incident twice: refreshes of one region are serialised by an advisory lock."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from tocsin.incidents import refresh
from tocsin.store.engine import make_sessionmaker
from tocsin.store.models import Incident, IncidentClaim

from .helpers import count
from .test_refresh import load


def test_concurrent_refreshes_do_not_duplicate_incidents(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has a single writer; the lock is PostgreSQL's")
    Session = make_sessionmaker(engine)
    with Session.begin() as s:
        ids = load(s)
    barrier = threading.Barrier(3)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            with Session.begin() as s:
                refresh(s, ids)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    with Session() as s:
        live = s.scalars(select(Incident).where(Incident.deleted_at.is_(None))).all()
        assert sorted(i.iso for i in live) == ["RU-BEL"] * 3 + ["RU-BRY", "RU-KRS", "RU-SMO"]
        links = s.execute(select(IncidentClaim.claim_id, IncidentClaim.iso)).all()
        assert len(links) == len(set(links)) == 9  # no claim twice in one region (the MoD: SMO + BRY)
        assert count(s, Incident) == 6
