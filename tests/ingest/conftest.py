"""Ingest tests reuse the store's engine fixtures (SQLite always, PostgreSQL when
``TOCSIN_TEST_DATABASE_URL`` is set), plus a stub for the incident merge where a test only needs to see what
ingest hands it."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

import pytest
from sqlalchemy import func, select

from store.conftest import blank_engine, engine, pg_url, session  # noqa: F401  (fixtures)
from tocsin import incidents


@dataclass
class RefreshSpy:
    """Stands in for ``incidents.refresh``: records the claim ids of every call, changes nothing."""

    calls: list[list[int]] = field(default_factory=list)
    visible: list[int] = field(default_factory=list)  # how many of the ids the session could see

    def __call__(self, db, claim_ids: Collection[int], **_options) -> incidents.RefreshResult:
        from tocsin.store.models import ClaimRow

        ids = list(claim_ids)
        self.calls.append(ids)
        if ids:
            self.visible.append(
                db.scalar(select(func.count()).select_from(ClaimRow).where(ClaimRow.id.in_(ids)))
            )
        return incidents.RefreshResult()

    @property
    def ids(self) -> list[int]:
        return [i for call in self.calls for i in call]


@pytest.fixture
def refresh_spy(monkeypatch) -> RefreshSpy:
    """Replace the incident merge (tested on its own) by a spy, for the large-volume tests."""
    spy = RefreshSpy()
    monkeypatch.setattr(incidents, "refresh", spy)
    return spy
