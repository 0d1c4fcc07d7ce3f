"""Column types that behave the same on SQLite and PostgreSQL.

- ``UTCDateTime``: accepts only timezone-aware datetimes, stores the UTC instant, and always returns an
  aware datetime in UTC. PostgreSQL stores ``timestamptz``; SQLite (which has no time zones) stores naive
  UTC text, which sorts and compares correctly, and UTC is re-attached on read.
- ``JSONType``: JSON on SQLite, JSONB on PostgreSQL; Python ``None`` is stored as SQL NULL.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class NaiveDatetimeError(ValueError):
    """A datetime without a time zone was given where an instant is needed."""


class UTCDateTime(TypeDecorator[datetime]):
    """An instant in time: aware datetimes in, aware UTC datetimes out, on every engine."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"UTCDateTime expects a datetime, got {type(value).__name__}: {value!r}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise NaiveDatetimeError(
                f"naive datetime {value.isoformat()} has no time zone; tocsin stores instants only — "
                "attach the offset it was given in (e.g. datetime(..., tzinfo=timezone.utc))"
            )
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


JSONType = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")
"""A JSON document column; ``None`` is SQL NULL (never the JSON text ``null``)."""
