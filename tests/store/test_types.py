"""Datetimes: aware in, the same instant out as aware UTC, on both engines; naive refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import StatementError

from tocsin.domain import Authority, SourceKind
from tocsin.store.engine import make_sessionmaker
from tocsin.store.models import Source
from tocsin.store.types import NaiveDatetimeError

MSK = timezone(timedelta(hours=3))
KYIV_SUMMER = timezone(timedelta(hours=3))
NEW_YORK = timezone(timedelta(hours=-5))


def _source(name: str, at: datetime | None) -> Source:
    return Source(
        name=name, kind=SourceKind.FEED, authority=Authority.MEDIA, enabled=True, last_fetched_at=at
    )


def test_offset_in_same_instant_out_as_aware_utc(engine):
    given = datetime(2025, 9, 6, 7, 15, 30, 123456, tzinfo=MSK)
    Session = make_sessionmaker(engine)
    with Session.begin() as s:
        s.add(_source("a", given))
    with Session() as s:
        got = s.scalar(select(Source.last_fetched_at).where(Source.name == "a"))
    assert got == given
    assert got.tzinfo is not None and got.utcoffset() == timedelta(0)
    assert (got.hour, got.minute, got.microsecond) == (4, 15, 123456)


def test_comparisons_and_order_use_the_instant_not_the_wall_clock(engine):
    Session = make_sessionmaker(engine)
    # 10:00+03:00 is 07:00Z; 03:00-05:00 is 08:00Z: wall-clock order and instant order differ.
    with Session.begin() as s:
        s.add(_source("early", datetime(2025, 9, 6, 10, 0, tzinfo=MSK)))
        s.add(_source("late", datetime(2025, 9, 6, 3, 0, tzinfo=NEW_YORK)))
    with Session() as s:
        ordered = s.scalars(select(Source.name).order_by(Source.last_fetched_at)).all()
        after = s.scalars(
            select(Source.name).where(Source.last_fetched_at > datetime(2025, 9, 6, 7, 30, tzinfo=UTC))
        ).all()
    assert ordered == ["early", "late"]
    assert after == ["late"]


def test_naive_datetime_is_refused_with_a_clear_message(engine):
    with make_sessionmaker(engine)() as s:
        s.add(_source("naive", datetime(2025, 9, 6, 7, 15)))
        with pytest.raises(StatementError) as info:
            s.flush()
        assert isinstance(info.value.orig, NaiveDatetimeError)
        assert "no time zone" in str(info.value.orig)


def test_null_datetime_stays_null(engine):
    Session = make_sessionmaker(engine)
    with Session.begin() as s:
        s.add(_source("never", None))
    with Session() as s:
        assert s.scalar(select(Source.last_fetched_at)) is None
