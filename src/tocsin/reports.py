"""Residents' reports: check what a resident sent, store it durably, and show the resident its status.

- ``validate(data, settings, now)`` → ``ReportInput``, or ``ReportError`` listing every problem, each naming
  its field (``category``, ``lat``, ``photos.2`` …) with a stable ``code`` and an English message;
- ``submit_report(session, settings, data, *, photo_store)`` → ``Receipt(report_id, token, created)``: in two
  steps, ``prepare_report`` (validation, photos, places, token: no database) and ``store_report`` (the rows,
  the cluster and the audit Event in a SAVEPOINT; no commit), then a commit;
- ``resident_view(session, token)`` → what the resident may see of their report, or None.

The web form (``/report``) and the JSON API (``POST /api/v1/reports``) are thin callers of these.

**Receipt tokens.** The resident follows their report with a receipt token; only its SHA-256 is stored
(``Report.token_sha256``), so the database alone cannot be used to read a resident's report status.
Without an idempotency key the token is random (``secrets.token_urlsafe(24)``, 32 characters).

**Idempotency.** A client may send an idempotency key (16–128 characters of ``A-Z a-z 0-9 _ -``, generated
at random by the client — the form gets one per page view from the server; it must be as secret as the
token, since the token is derived from it). Sending the same key again returns the same report
(``created=False``, no second row) and the same receipt token, without the server storing any token: it is
derived from the key, ``token = base64url(sha256(b"tocsin-receipt:" + key))[:32]`` (no padding). The key
itself is not stored either: ``Report.idempotency_key`` holds ``sha256("tocsin-idempotency:" + key)`` in
hex, so neither column lets a database reader compute a token. A repeated key wins over a changed body:
the first report stands. Two concurrent submissions with one key: the unique constraint lets one insert
win; the other rolls back and answers with the winner (``created=False``).

**Durability.** Photos are re-encoded without metadata (``tocsin.photos``) and their files written and
fsynced before the database commit; the commit (SQLite ``synchronous=FULL``) happens before ``submit_report``
returns, so a resident told "saved" has their report on disk. If the commit fails, the photo files stay
behind unreferenced (content-addressed, harmless). The web intake commits many reports at once
(``tocsin.report_writer``: group commit) and answers each request only after the commit containing it.

**Time.** ``observed_at`` is ISO 8601; with an offset (or ``Z``) it is exact. A time without an offset (the
form's ``datetime-local`` field) is read in the zone given by ``tz_offset`` (minutes east of UTC, which the
form's script fills in), else in the local zone of the report's region (``data/timezones.csv``, else Moscow
or Kyiv time), else UTC. Empty means now.

**Location.** Coordinates (a map pick or the device's position) or a place text, or both. Coordinates are
named by the settlement they fall in (``tocsin.places.nearest_place``); a text alone is resolved to a
settlement (``resolve_place``; location source ``settlement``) or at least a region (``region_iso``;
location source ``text``). A settlement resolved from text gives no coordinates: the report's ``lat``/``lon``
stay None (unknown is not the settlement's centre), so it is not clustered.
"""

from __future__ import annotations

import base64
import binascii
import csv
import hashlib
import io
import math
import re
import secrets
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from functools import cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, exists, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tocsin import places
from tocsin.clusters import cluster_report
from tocsin.domain import CATEGORY_PRIORITY, DispatchStatus, LocationSource, ReportCategory, ReportStatus
from tocsin.photos import CleanPhoto, PhotoError, PhotoStore, sanitize_photo
from tocsin.settings import Settings
from tocsin.store.models import Dispatch, Event, Report, ReportPhoto
from tocsin.store.repo import event_values

MAX_PHOTOS = 5
MAX_DESCRIPTION = 2000
MAX_CONTACT = 200
MAX_LOCATION_TEXT = 200
MAX_TIME_TEXT = 64
FUTURE_SLACK = timedelta(minutes=10)  # clocks of phones differ
MAX_AGE = timedelta(days=7)
MAX_TZ_OFFSET = 14 * 60
LANGS = ("ru", "uk", "en")
ACTOR = "resident"
TOKEN_LENGTH = 32
KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,128}")
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,128}")
_COORD = re.compile(r"[+-]?\d{1,3}(?:[.,]\d{1,15})?")
_INT = re.compile(r"[+-]?\d{1,4}")
_DATA_URL = re.compile(r"data:([\w.+-]+/[\w.+-]+)?(?:;[\w=.+-]+)*;base64,", re.IGNORECASE)
_COUNTRY_ZONES = {"RU": "Europe/Moscow", "UA": "Europe/Kyiv"}
# Unicode category Cc (C0 and C1 controls, DEL) but tab and newline: one regex search, not a per-character
# category lookup.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")

FIELDS = (
    "category",
    "lat",
    "lon",
    "location_source",
    "location_text",
    "observed_at",
    "tz_offset",
    "description",
    "contact",
    "lang",
    "photos",
    "idempotency_key",
)


# --------------------------------------------------------------------------------------------- types


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a report: ``field`` (a name of ``FIELDS``, ``photos.<i>`` for one photo, or
    ``location`` when neither coordinates nor a place text were given), a stable ``code`` and an English
    ``message``; ``params`` hold the numbers the message quotes (e.g. ``{"max": 2000}``)."""

    field: str
    code: str
    message: str
    params: dict[str, Any] = field(default_factory=dict)


class ReportError(ValueError):
    """A report that cannot be accepted; ``problems`` lists every problem found, each naming its field.

    ``ReportError("contact", "too long")`` makes a one-problem error; ``ReportError(problems=[...])`` many.
    """

    def __init__(
        self,
        field: str | None = None,
        message: str | None = None,
        *,
        code: str = "invalid",
        problems: Sequence[Problem] | None = None,
    ) -> None:
        items = list(problems or [])
        if field is not None:
            items.insert(0, Problem(field, code, message or "invalid value"))
        if not items:
            raise ValueError("a ReportError needs at least one problem")
        self.problems: list[Problem] = items
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in items))

    @property
    def field(self) -> str:
        return self.problems[0].field

    @property
    def message(self) -> str:
        return self.problems[0].message

    def fields(self) -> list[str]:
        """The fields with problems, in order, each once."""
        return list(dict.fromkeys(p.field for p in self.problems))


@dataclass(slots=True)
class ReportInput:
    """A checked report, ready for ``submit_report``. Times are aware UTC datetimes; text fields are
    stripped (None when empty); ``photos`` are (bytes, declared content type) pairs, not yet sanitized."""

    category: ReportCategory
    lat: float | None
    lon: float | None
    location_source: LocationSource
    location_text: str | None
    observed_at: datetime
    description: str | None
    contact: str | None
    lang: str | None
    photos: list[tuple[bytes, str | None]] = field(default_factory=list)
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class Receipt:
    """What the resident gets back: the report's id, the receipt token (keep it to follow the report) and
    whether this call created the report (False: an idempotent repeat of an earlier submission)."""

    report_id: int
    token: str
    created: bool


# ---------------------------------------------------------------------------------------- validation


class _Collector:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, name: str, code: str, message: str, **params: Any) -> None:
        self.problems.append(Problem(name, code, message, params))


def _text(data: Mapping[str, Any], name: str, max_len: int, out: _Collector) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        out.add(name, "invalid_type", "must be text")
        return None
    if len(value) > 2 * max_len + 1000:  # far too long: say so without scanning megabytes of it
        out.add(name, "too_long", f"is longer than {max_len} characters", max=max_len, length=len(value))
        return None
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        out.add(name, "invalid_text", "contains characters that are not valid Unicode")
        return None
    if _CONTROL.search(value):
        out.add(name, "control_chars", "contains control characters")
        return None
    value = unicodedata.normalize("NFC", value).strip()
    if not value:
        return None
    if len(value) > max_len:
        out.add(name, "too_long", f"is longer than {max_len} characters", max=max_len, length=len(value))
        return None
    return value


def _coordinate(data: Mapping[str, Any], name: str, limit: float, out: _Collector) -> float | None:
    value = data.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    number: float | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str) and _COORD.fullmatch(value.strip()):
        number = float(value.strip().replace(",", "."))
    if number is None:
        out.add(name, "invalid", "must be a number of degrees")
        return None
    if not math.isfinite(number) or not -limit <= number <= limit:
        out.add(name, "out_of_range", f"must be between -{limit:g} and {limit:g}", min=-limit, max=limit)
        return None
    return number


def _choice(data: Mapping[str, Any], name: str, enum: type, out: _Collector) -> Any:
    value = data.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            return enum(value.strip().lower())
        except ValueError:
            pass
    allowed = ", ".join(m.value for m in enum)
    out.add(name, "invalid_choice", f"must be one of: {allowed}", allowed=[m.value for m in enum])
    return None


def _lang(data: Mapping[str, Any], out: _Collector) -> str | None:
    value = data.get("lang")
    if value is None or value == "":
        return None
    if isinstance(value, str) and len(value) <= 35:
        code = value.strip().lower().replace("_", "-").split("-")[0]
        if code in LANGS:
            return code
    out.add("lang", "invalid_choice", "must be one of: ru, uk, en", allowed=list(LANGS))
    return None


def _key(data: Mapping[str, Any], out: _Collector) -> str | None:
    value = data.get("idempotency_key")
    if value is None or value == "":
        return None
    if isinstance(value, str) and KEY_PATTERN.fullmatch(value):
        return value
    out.add("idempotency_key", "invalid", "must be 16 to 128 characters of A-Z, a-z, 0-9, _ and -")
    return None


def _tz_offset(data: Mapping[str, Any], out: _Collector) -> int | None:
    value = data.get("tz_offset")
    if value is None or value == "":
        return None
    number = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and _INT.fullmatch(value.strip()):
        number = int(value.strip())
    if number is None or abs(number) > MAX_TZ_OFFSET:
        out.add("tz_offset", "invalid", "must be the offset from UTC in minutes (-840 to 840)")
        return None
    return number


def _parse_time(value: Any, out: _Collector) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or len(value) > MAX_TIME_TEXT:
        out.add("observed_at", "invalid", "must be a date and time (ISO 8601)")
        return None
    text = value.strip().replace(" ", "T", 1)
    if text.endswith(("z", "Z")):
        text = text[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        out.add("observed_at", "invalid", "must be a date and time (ISO 8601)")
        return None


@cache
def _region_zones() -> dict[str, str]:
    raw = resources.files("tocsin.data").joinpath("timezones.csv").read_text(encoding="utf-8")
    return {row["iso"]: row["zone"] for row in csv.DictReader(io.StringIO(raw))}


def region_zone(iso: str | None) -> tzinfo | None:
    """The local time zone of a region (``data/timezones.csv``, else its country's), None when unknown."""
    if not iso:
        return None
    name = _region_zones().get(iso) or _COUNTRY_ZONES.get(iso[:2])
    return ZoneInfo(name) if name else None


def _local_zone(lat: float | None, lon: float | None, text: str | None) -> tzinfo:
    iso = None
    if lat is not None and lon is not None:
        place = places.nearest_place(lat, lon)
        iso = place.iso if place else None
    elif text:
        place = places.resolve_place(text)
        iso = place.iso if place else places.region_iso(text)
    return region_zone(iso) or UTC


def _b64(value: str) -> bytes | None:
    """Standard or URL-safe base64, padding optional, whitespace ignored; None when it is not base64."""
    text = "".join(value.split()).rstrip("=")
    if not text.isascii() or len(text) % 4 == 1:
        return None
    text = text.replace("-", "+").replace("_", "/") + "=" * (-len(text) % 4)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def _photo(item: Any, index: int, settings: Settings, out: _Collector) -> tuple[bytes, str | None] | None:
    """One photo as the library, the form (bytes, type) or the JSON API (base64, a data: URL, or
    ``{"data": base64, "content_type": …}``) gives it."""
    name = f"photos.{index}"
    declared: Any = None
    if isinstance(item, tuple | list) and len(item) == 2:
        item, declared = item
    elif isinstance(item, Mapping):
        declared = item.get("content_type", item.get("type"))
        item = item.get("data")
    if declared is not None and (not isinstance(declared, str) or len(declared) > 100):
        out.add(name, "invalid_type", "content type must be text")
        return None
    if isinstance(item, str):
        if len(item) > settings.max_photo_bytes * 4 // 3 + 1024:
            out.add(name, "too_large", "photo is too large", max=settings.max_photo_bytes)
            return None
        m = _DATA_URL.match(item)
        if m:
            declared = declared or m.group(1)
            item = item[m.end() :]
        decoded = _b64(item)
        if decoded is None:
            out.add(name, "invalid_base64", "is not valid base64")
            return None
        item = decoded
    if not isinstance(item, bytes | bytearray | memoryview):
        out.add(name, "invalid_type", "must be an image file (base64 in JSON)")
        return None
    data = bytes(item)
    if not data:
        out.add(name, "empty", "file is empty")
        return None
    if len(data) > settings.max_photo_bytes:
        out.add(name, "too_large", "photo is too large", max=settings.max_photo_bytes)
        return None
    return data, declared


def validate(data: Mapping[str, Any], settings: Settings, now: datetime | None = None) -> ReportInput:
    """Check a submitted report (a mapping of ``FIELDS``; unknown keys are ignored) and return it as a
    ``ReportInput``; raise ``ReportError`` listing every problem. ``now`` (aware) defaults to the clock."""
    if not isinstance(data, Mapping):
        raise ReportError("report", "must be an object with the report's fields", code="invalid_type")
    now = now or datetime.now(UTC)
    out = _Collector()
    category = _choice(data, "category", ReportCategory, out)
    if category is None and not any(p.field == "category" for p in out.problems):
        out.add("category", "required", "is required")
    lat = _coordinate(data, "lat", 90, out)
    lon = _coordinate(data, "lon", 180, out)
    lat_bad = any(p.field == "lat" for p in out.problems)
    lon_bad = any(p.field == "lon" for p in out.problems)
    if lat is None and lon is not None and not lat_bad:
        out.add("lat", "required", "is required with lon")
    if lon is None and lat is not None and not lon_bad:
        out.add("lon", "required", "is required with lat")
    if lat is None or lon is None:
        lat = lon = None
    location_text = _text(data, "location_text", MAX_LOCATION_TEXT, out)
    source = _choice(data, "location_source", LocationSource, out)
    if lat is not None:
        if source in (LocationSource.SETTLEMENT, LocationSource.TEXT):
            out.add("location_source", "invalid_choice", "must be map or device with coordinates")
        source = source or LocationSource.MAP
    else:
        if source in (LocationSource.MAP, LocationSource.DEVICE) and not (lat_bad or lon_bad):
            out.add("lat", "required", "coordinates are required for a map or device location")
        source = LocationSource.TEXT
        if location_text is None and not (
            lat_bad or lon_bad or any(p.field == "location_text" for p in out.problems)
        ):
            out.add("location", "required", "give a place name or pick a point on the map")
    description = _text(data, "description", MAX_DESCRIPTION, out)
    contact = _text(data, "contact", MAX_CONTACT, out)
    lang = _lang(data, out)
    key = _key(data, out)
    offset = _tz_offset(data, out)

    observed_at = now
    raw_time = data.get("observed_at")
    if raw_time is not None and not (isinstance(raw_time, str) and not raw_time.strip()):
        parsed = _parse_time(raw_time, out)
        if parsed is not None:
            if parsed.tzinfo is None or parsed.utcoffset() is None:
                if offset is not None:
                    zone: tzinfo = timezone(timedelta(minutes=offset))
                elif any(p.field in ("lat", "lon", "location_text") for p in out.problems):
                    zone = UTC  # the report is refused anyway: no place look-up for it
                else:
                    zone = _local_zone(lat, lon, location_text)
                parsed = parsed.replace(tzinfo=zone)
            parsed = parsed.astimezone(UTC)
            if parsed > now + FUTURE_SLACK:
                out.add("observed_at", "future", "is in the future")
            elif parsed < now - MAX_AGE:
                out.add("observed_at", "too_old", "is more than 7 days ago", days=MAX_AGE.days)
            else:
                observed_at = parsed

    photos: list[tuple[bytes, str | None]] = []
    raw_photos = data.get("photos")
    if raw_photos is not None:
        if not isinstance(raw_photos, list | tuple):
            out.add("photos", "invalid_type", "must be a list of photos")
        elif len(raw_photos) > MAX_PHOTOS:
            out.add("photos", "too_many", f"at most {MAX_PHOTOS} photos", max=MAX_PHOTOS)
        else:
            for i, item in enumerate(raw_photos):
                photo = _photo(item, i, settings, out)
                if photo is not None:
                    photos.append(photo)

    if out.problems:
        raise ReportError(problems=out.problems)
    assert category is not None
    return ReportInput(
        category=category,
        lat=lat,
        lon=lon,
        location_source=source,
        location_text=location_text,
        observed_at=observed_at,
        description=description,
        contact=contact,
        lang=lang,
        photos=photos,
        idempotency_key=key,
    )


# -------------------------------------------------------------------------------------------- tokens


def receipt_token(idempotency_key: str | None = None) -> str:
    """The receipt token: derived from the idempotency key when there is one, else random (module doc)."""
    if idempotency_key is None:
        return secrets.token_urlsafe(24)
    digest = hashlib.sha256(b"tocsin-receipt:" + idempotency_key.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")[:TOKEN_LENGTH]


def token_sha256(token: str) -> str:
    """What is stored of a receipt token (``Report.token_sha256``)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def idempotency_sha256(key: str) -> str:
    """What is stored of an idempotency key (``Report.idempotency_key``)."""
    return hashlib.sha256(b"tocsin-idempotency:" + key.encode("ascii")).hexdigest()


def valid_token(token: Any) -> bool:
    """Whether ``token`` has the shape of a receipt token (it may still belong to no report)."""
    return isinstance(token, str) and TOKEN_PATTERN.fullmatch(token) is not None


# ---------------------------------------------------------------------------------------- submission


def _sanitize(report: ReportInput, settings: Settings) -> list[CleanPhoto]:
    cleaned: list[CleanPhoto] = []
    problems: list[Problem] = []
    for i, (data, declared) in enumerate(report.photos):
        try:
            cleaned.append(
                sanitize_photo(
                    data,
                    max_bytes=settings.max_photo_bytes,
                    max_pixels=settings.max_photo_pixels,
                    declared_type=declared,
                )
            )
        except PhotoError as exc:
            problems.append(Problem(f"photos.{i}", exc.code, str(exc)))
    if problems:
        raise ReportError(problems=problems)
    return cleaned


@dataclass(frozen=True, slots=True)
class _Where:
    source: LocationSource
    place: places.Place | None
    iso: str | None


def _where(report: ReportInput) -> _Where:
    if report.lat is not None and report.lon is not None:
        place = places.nearest_place(report.lat, report.lon)
        return _Where(report.location_source, place, place.iso if place else None)
    place = places.resolve_place(report.location_text)
    if place is not None:
        return _Where(LocationSource.SETTLEMENT, place, place.iso)
    return _Where(LocationSource.TEXT, None, places.region_iso(report.location_text))


@dataclass(frozen=True, slots=True)
class PreparedReport:
    """A report checked and ready to be written (``prepare_report``): its photos are already sanitized and
    their files saved; ``row`` holds the ``report`` table's values, ``photos`` the ``report_photo`` rows'
    (without ``report_id``), ``audit`` what the audit Event records (but the cluster, known only once
    stored). Writing it (``store_report``) is only database work."""

    token: str
    key_sha256: str | None
    row: dict[str, Any]
    photos: tuple[dict[str, Any], ...]
    audit: dict[str, Any]


def prepare_report(
    settings: Settings,
    data: ReportInput | Mapping[str, Any],
    *,
    photo_store: PhotoStore,
    now: datetime | None = None,
) -> PreparedReport:
    """Everything of a submission that needs no database: validate (when ``data`` is a mapping), sanitize
    the photos and write their files durably, name the place, derive the receipt token. Raises
    ``ReportError``. Runs in the request's thread, outside any transaction."""
    now = now or datetime.now(UTC)
    report = data if isinstance(data, ReportInput) else validate(data, settings, now)
    cleaned = _sanitize(report, settings)
    where = _where(report)
    key = report.idempotency_key
    token = receipt_token(key)
    for photo in cleaned:  # durable before the commit that refers to them
        photo_store.save(photo)
    row = {
        "token_sha256": token_sha256(token),
        "idempotency_key": idempotency_sha256(key) if key else None,
        "category": report.category,
        "priority": CATEGORY_PRIORITY[report.category],
        "status": ReportStatus.NEW,
        "lat": report.lat,
        "lon": report.lon,
        "location_source": where.source,
        "location_text": report.location_text,
        "place_name": where.place.name if where.place else None,
        "place_geonameid": where.place.geonameid if where.place else None,
        "iso": where.iso,
        "observed_at": report.observed_at,
        "submitted_at": now,
        "updated_at": now,
        "description": report.description,
        "contact": report.contact,
        "lang": report.lang,
    }
    photos = tuple(
        {
            "position": i,
            "sha256": p.sha256,
            "media_type": p.media_type,
            "width": p.width,
            "height": p.height,
            "size": len(p.data),
            "created_at": now,
        }
        for i, p in enumerate(cleaned)
    )
    return PreparedReport(token, row["idempotency_key"], row, photos, _audit(row, cleaned))


# Built once (see tocsin.clusters): Core statements, not the ORM's unit of work, for the intake's hot path.
_INSERT_REPORT = insert(Report.__table__)
_INSERT_PHOTO = insert(ReportPhoto.__table__)
_INSERT_EVENT = insert(Event.__table__)  # Core: no ORM flush per report (the writer's hot path)
_REPORT_BY_KEY = select(Report.__table__.c.id).where(Report.__table__.c.idempotency_key == bindparam("key"))


def store_report(
    session: Session, prepared: PreparedReport, *, radius_m: float, window: timedelta
) -> Receipt:
    """Write a prepared report — the report row first, its photo rows, its cluster, the audit Event — in a
    SAVEPOINT of ``session``'s transaction, so that a failure undoes only this report. Does not commit.

    A repeated idempotency key (the unique constraint refuses the row: an earlier report, or a concurrent
    one that committed first) answers with that report (``created=False``) and writes nothing."""
    savepoint = session.begin_nested()
    connection = session.connection()
    try:
        report_id = connection.execute(_INSERT_REPORT, prepared.row).inserted_primary_key[0]
    except IntegrityError:
        savepoint.rollback()
        if prepared.key_sha256 is None:
            raise
        winner = session.connection().scalar(_REPORT_BY_KEY, {"key": prepared.key_sha256})
        if winner is None:
            raise
        return Receipt(winner, prepared.token, created=False)
    try:
        if prepared.photos:
            connection.execute(_INSERT_PHOTO, [{**p, "report_id": report_id} for p in prepared.photos])
        row = prepared.row
        placed = cluster_report(
            connection,
            report_id,
            row["category"],
            row["lat"],
            row["lon"],
            row["observed_at"],
            radius_m=radius_m,
            window=window,
        )
        audit = {**prepared.audit, "cluster_id": placed.cluster_id if placed else None}
        connection.execute(
            _INSERT_EVENT, event_values(ACTOR, "report.created", "report", report_id, None, audit)
        )
        savepoint.commit()
    except BaseException:
        if savepoint.is_active:
            savepoint.rollback()
        raise
    return Receipt(report_id, prepared.token, created=True)


def submit_report(
    session: Session,
    settings: Settings,
    data: ReportInput | Mapping[str, Any],
    *,
    photo_store: PhotoStore,
    now: datetime | None = None,
) -> Receipt:
    """Store one report and return its receipt (see the module docstring for tokens, idempotency and
    durability). ``data`` is a ``ReportInput`` or a mapping for ``validate``. Raises ``ReportError`` (a photo
    refused: field ``photos.<i>``, the ``PhotoError`` code). Commits ``session`` (also when called inside
    ``session_scope``); the caller should not have other work pending in it.

    ``prepare_report`` then ``store_report`` and a commit; the web intake does the same through
    ``tocsin.report_writer``, which commits many reports at once."""
    prepared = prepare_report(settings, data, photo_store=photo_store, now=now)
    try:
        receipt = store_report(
            session,
            prepared,
            radius_m=settings.cluster_radius_m,
            window=timedelta(minutes=settings.cluster_window_minutes),
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return receipt


def _audit(row: Mapping[str, Any], cleaned: list[CleanPhoto]) -> dict[str, Any]:
    """The report as the audit Event records it: everything but the contact (only whether there is one);
    ``cluster_id`` is added once the report is stored."""
    audit = {
        name: row[name]
        for name in (
            "category",
            "priority",
            "status",
            "location_source",
            "lat",
            "lon",
            "location_text",
            "place_name",
            "place_geonameid",
            "iso",
            "observed_at",
            "submitted_at",
            "description",
            "lang",
        )
    }
    audit["photos"] = [p.sha256 for p in cleaned]
    audit["cluster_id"] = None
    audit["has_contact"] = row["contact"] is not None
    return audit


# ------------------------------------------------------------------------------------- resident view


def resident_view(session: Session, token: str) -> dict[str, Any] | None:
    """What the resident holding ``token`` may see of their report, or None (no such report):

    ``{"category", "status", "submitted_at", "updated_at", "place_name", "crew_sent"}`` — ``crew_sent`` is
    True once a unit was dispatched (and not cancelled) to the report, its cluster, or the report it
    duplicates. Nothing else (no location, description, contact or photos: a token may be shared)."""
    if not valid_token(token):
        return None
    row = session.execute(
        select(
            Report.id,
            Report.category,
            Report.status,
            Report.submitted_at,
            Report.updated_at,
            Report.place_name,
            Report.cluster_id,
            Report.duplicate_of_id,
        ).where(Report.token_sha256 == token_sha256(token))
    ).one_or_none()
    if row is None:
        return None
    targets = [Dispatch.report_id == row.id]
    if row.cluster_id is not None:
        targets.append(Dispatch.cluster_id == row.cluster_id)
    if row.duplicate_of_id is not None:
        targets.append(Dispatch.report_id == row.duplicate_of_id)
    crew_sent = bool(
        session.scalar(select(exists().where(or_(*targets), Dispatch.status != DispatchStatus.CANCELLED)))
    )
    return {
        "category": ReportCategory(row.category).value,
        "status": ReportStatus(row.status).value,
        "submitted_at": row.submitted_at,
        "updated_at": row.updated_at,
        "place_name": row.place_name,
        "crew_sent": crew_sent,
    }
