"""``tocsin.reports.validate``: a table of good and bad inputs for every field; every problem names its
field; hostile and random input only ever gives a ReportInput or a ReportError."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from reports.conftest import NOW, png
from tocsin.domain import LocationSource, ReportCategory
from tocsin.reports import FIELDS, MAX_PHOTOS, ReportError, ReportInput, validate
from tocsin.settings import Settings

SETTINGS = Settings(photo_dir="/nonexistent", max_photo_bytes=50_000)
BASE: dict[str, Any] = {"category": "debris", "lat": 54.78, "lon": 32.05}
PNG = png()
B64 = base64.b64encode(PNG).decode()


def ok(**changes: Any) -> ReportInput:
    data = {**BASE, **changes}
    for name in [k for k, v in changes.items() if v is ...]:
        del data[name]
    return validate(data, SETTINGS, NOW)


def problems(**changes: Any) -> list[tuple[str, str]]:
    with pytest.raises(ReportError) as info:
        ok(**changes)
    return [(p.field, p.code) for p in info.value.problems]


# ------------------------------------------------------------------------------------------- good


def test_minimal_report_with_coordinates() -> None:
    r = ok()
    assert r.category is ReportCategory.DEBRIS
    assert (r.lat, r.lon) == (54.78, 32.05)
    assert r.location_source is LocationSource.MAP
    assert r.observed_at == NOW
    assert r.description is None and r.contact is None and r.location_text is None
    assert r.photos == [] and r.idempotency_key is None


@pytest.mark.parametrize(
    ("changes", "attr", "expected"),
    [
        ({"category": "FIRE"}, "category", ReportCategory.FIRE),
        ({"category": " suspicious_object "}, "category", ReportCategory.SUSPICIOUS_OBJECT),
        ({"lat": "54.78", "lon": "32.05"}, "lat", 54.78),
        ({"lat": "54,5", "lon": "32,25"}, "lon", 32.25),
        ({"lat": -90, "lon": 180}, "lat", -90.0),
        ({"location_source": "device"}, "location_source", LocationSource.DEVICE),
        ({"lat": ..., "lon": ..., "location_text": "Вязьма"}, "location_source", LocationSource.TEXT),
        ({"lat": "", "lon": "", "location_text": " Vyazma "}, "location_text", "Vyazma"),
        ({"location_text": "   "}, "location_text", None),
        (
            {"observed_at": "2025-11-26T11:30:00+03:00"},
            "observed_at",
            datetime(2025, 11, 26, 8, 30, tzinfo=UTC),
        ),
        ({"observed_at": "2025-11-26T08:30Z"}, "observed_at", datetime(2025, 11, 26, 8, 30, tzinfo=UTC)),
        (
            {"observed_at": "2025-11-26 08:30:00+00:00"},
            "observed_at",
            datetime(2025, 11, 26, 8, 30, tzinfo=UTC),
        ),
        (
            {"observed_at": "2025-11-26T11:30", "tz_offset": "180"},
            "observed_at",
            datetime(2025, 11, 26, 8, 30, tzinfo=UTC),
        ),
        (
            {"observed_at": "2025-11-26T06:30", "tz_offset": -60},
            "observed_at",
            datetime(2025, 11, 26, 7, 30, tzinfo=UTC),
        ),
        (
            {"observed_at": (NOW + timedelta(minutes=9)).isoformat()},
            "observed_at",
            NOW + timedelta(minutes=9),
        ),
        ({"observed_at": (NOW - timedelta(days=6)).isoformat()}, "observed_at", NOW - timedelta(days=6)),
        ({"observed_at": ""}, "observed_at", NOW),
        ({"observed_at": NOW - timedelta(hours=1)}, "observed_at", NOW - timedelta(hours=1)),
        ({"description": "x" * 2000}, "description", "x" * 2000),
        ({"description": "line 1\r\nline 2\tend"}, "description", "line 1\nline 2\tend"),
        ({"description": ""}, "description", None),
        ({"description": "<script>alert(1)</script>"}, "description", "<script>alert(1)</script>"),
        ({"contact": "c" * 200}, "contact", "c" * 200),
        ({"contact": "+7 900 000-00-00"}, "contact", "+7 900 000-00-00"),
        ({"lang": "uk-UA"}, "lang", "uk"),
        ({"lang": "RU"}, "lang", "ru"),
        ({"idempotency_key": "a" * 16}, "idempotency_key", "a" * 16),
        ({"idempotency_key": "Az09_-" * 21 + "xx"}, "idempotency_key", "Az09_-" * 21 + "xx"),
        ({"something_else": "ignored"}, "category", ReportCategory.DEBRIS),
    ],
)
def test_good_values(changes: dict[str, Any], attr: str, expected: Any) -> None:
    assert getattr(ok(**changes), attr) == expected


def test_naive_time_without_offset_is_read_in_the_regions_zone() -> None:
    # Smolensk is on Moscow time (UTC+3): 11:30 there is 08:30 UTC.
    r = ok(observed_at="2025-11-26T11:30")
    assert r.observed_at == datetime(2025, 11, 26, 8, 30, tzinfo=UTC)
    # Kyiv in November is UTC+2.
    r = ok(lat=..., lon=..., location_text="Київ", observed_at="2025-11-26T10:30")
    assert r.observed_at == datetime(2025, 11, 26, 8, 30, tzinfo=UTC)


def test_naive_time_with_unknown_place_is_utc() -> None:
    r = ok(lat=..., lon=..., location_text="somewhere unknown", observed_at="2025-11-26T08:30")
    assert r.observed_at == datetime(2025, 11, 26, 8, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "photo",
    [
        B64,
        B64.rstrip("="),
        "\n".join(B64[i : i + 60] for i in range(0, len(B64), 60)),
        base64.urlsafe_b64encode(PNG).decode(),
        f"data:image/png;base64,{B64}",
        {"data": B64, "content_type": "image/png"},
        (PNG, "image/png"),
        PNG,
    ],
)
def test_photo_forms(photo: Any) -> None:
    r = ok(photos=[photo])
    assert r.photos[0][0] == PNG
    assert r.photos[0][1] in (None, "image/png")


def test_five_photos_are_accepted() -> None:
    assert len(ok(photos=[B64] * MAX_PHOTOS).photos) == MAX_PHOTOS


# -------------------------------------------------------------------------------------------- bad


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"category": ...}, ("category", "required")),
        ({"category": ""}, ("category", "required")),
        ({"category": "aliens"}, ("category", "invalid_choice")),
        ({"category": "air_defence"}, ("category", "invalid_choice")),
        ({"category": 3}, ("category", "invalid_choice")),
        ({"lat": ...}, ("lat", "required")),
        ({"lon": ...}, ("lon", "required")),
        ({"lat": 90.0001}, ("lat", "out_of_range")),
        ({"lon": -180.5}, ("lon", "out_of_range")),
        ({"lat": float("nan")}, ("lat", "out_of_range")),
        ({"lon": float("inf")}, ("lon", "out_of_range")),
        ({"lat": "nan"}, ("lat", "invalid")),
        ({"lat": "1e3"}, ("lat", "invalid")),
        ({"lat": "54.7abc"}, ("lat", "invalid")),
        ({"lat": "5" * 500}, ("lat", "invalid")),
        ({"lat": True}, ("lat", "invalid")),
        ({"lon": [32]}, ("lon", "invalid")),
        ({"lat": ..., "lon": ...}, ("location", "required")),
        ({"lat": ..., "lon": ..., "location_source": "map", "location_text": "Вязьма"}, ("lat", "required")),
        ({"location_source": "settlement"}, ("location_source", "invalid_choice")),
        ({"location_source": "orbit"}, ("location_source", "invalid_choice")),
        ({"location_text": "x" * 201}, ("location_text", "too_long")),
        ({"location_text": 5}, ("location_text", "invalid_type")),
        ({"observed_at": "yesterday"}, ("observed_at", "invalid")),
        ({"observed_at": "2025-13-01T00:00"}, ("observed_at", "invalid")),
        ({"observed_at": 1732600000}, ("observed_at", "invalid")),
        ({"observed_at": "2" * 10_000}, ("observed_at", "invalid")),
        ({"observed_at": (NOW + timedelta(minutes=11)).isoformat()}, ("observed_at", "future")),
        ({"observed_at": (NOW - timedelta(days=7, minutes=1)).isoformat()}, ("observed_at", "too_old")),
        ({"observed_at": "2025-11-26T08:30", "tz_offset": "three"}, ("tz_offset", "invalid")),
        ({"tz_offset": 900}, ("tz_offset", "invalid")),
        ({"description": "d" * 2001}, ("description", "too_long")),
        ({"description": "d" * 10_000}, ("description", "too_long")),
        ({"description": "nul\x00byte"}, ("description", "control_chars")),
        ({"description": "bell\x07"}, ("description", "control_chars")),
        ({"description": "c1\x85control"}, ("description", "control_chars")),
        ({"description": "lone \ud800 surrogate"}, ("description", "invalid_text")),
        ({"description": 42}, ("description", "invalid_type")),
        ({"description": {"nested": "object"}}, ("description", "invalid_type")),
        ({"contact": "c" * 201}, ("contact", "too_long")),
        ({"contact": "esc\x1b[31m"}, ("contact", "control_chars")),
        ({"lang": "de"}, ("lang", "invalid_choice")),
        ({"lang": 7}, ("lang", "invalid_choice")),
        ({"photos": "not a list"}, ("photos", "invalid_type")),
        ({"photos": [B64] * (MAX_PHOTOS + 1)}, ("photos", "too_many")),
        ({"photos": ["!!! not base64 !!!"]}, ("photos.0", "invalid_base64")),
        ({"photos": [B64, "A"]}, ("photos.1", "invalid_base64")),
        ({"photos": ["ZmFrZQ==", "Поле"]}, ("photos.1", "invalid_base64")),
        ({"photos": [""]}, ("photos.0", "empty")),
        ({"photos": [b""]}, ("photos.0", "empty")),
        ({"photos": [b"x" * 50_001]}, ("photos.0", "too_large")),
        ({"photos": ["QUFB" * 20_000]}, ("photos.0", "too_large")),
        ({"photos": [17]}, ("photos.0", "invalid_type")),
        ({"photos": [{"data": 5}]}, ("photos.0", "invalid_type")),
        ({"photos": [{"data": B64, "content_type": 5}]}, ("photos.0", "invalid_type")),
        ({"idempotency_key": "short"}, ("idempotency_key", "invalid")),
        ({"idempotency_key": "a" * 129}, ("idempotency_key", "invalid")),
        ({"idempotency_key": "has space in the key"}, ("idempotency_key", "invalid")),
        ({"idempotency_key": "ключ-идемпотентности"}, ("idempotency_key", "invalid")),
        ({"idempotency_key": 1234567890123456789}, ("idempotency_key", "invalid")),
    ],
)
def test_bad_values(changes: dict[str, Any], expected: tuple[str, str]) -> None:
    assert expected in problems(**changes)


def test_every_problem_is_reported_at_once() -> None:
    found = problems(
        category="x", lat=100, description="\x00", contact="c" * 500, photos=["?"], idempotency_key="k"
    )
    fields = {f for f, _ in found}
    assert {"category", "lat", "description", "contact", "photos.0", "idempotency_key"} <= fields


def test_error_messages_and_fields() -> None:
    with pytest.raises(ReportError) as info:
        ok(description="d" * 2001)
    err = info.value
    assert err.field == "description" and "2000" in err.message
    assert err.problems[0].params == {"max": 2000, "length": 2001}
    assert err.fields() == ["description"]
    single = ReportError("contact", "too long", code="too_long")
    assert (single.field, single.message, single.problems[0].code) == ("contact", "too long", "too_long")


@pytest.mark.parametrize("data", [None, [], "category=debris", 5])
def test_not_a_mapping(data: Any) -> None:
    with pytest.raises(ReportError) as info:
        validate(data, SETTINGS, NOW)  # type: ignore[arg-type]
    assert info.value.field == "report"


_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=300),
    st.binary(max_size=64),
    st.lists(st.text(max_size=20), max_size=7),
    st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3),
)


@hsettings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(FIELDS), _values, max_size=len(FIELDS)))
def test_random_input_gives_a_report_or_a_report_error(data: dict[str, Any]) -> None:
    try:
        report = validate(data, SETTINGS, NOW)
    except ReportError as exc:
        assert exc.problems
        for p in exc.problems:
            assert p.field.split(".")[0] in (*FIELDS, "location")
            assert p.code and p.message
        return
    assert isinstance(report, ReportInput)
    assert report.observed_at.tzinfo is not None
    assert report.lat is not None or report.location_text is not None
