"""Residents' reports: the form (``/report``), the receipt and status pages, and ``POST /api/v1/reports``.

Thin callers of ``tocsin.reports`` (validation, storage, the resident's view), ``tocsin.ratelimit`` and
``tocsin.places``. Pages:

- ``GET /report`` — the form; works without JavaScript (``static/report.js`` adds a map to pick the point,
  "use my location" and the local time). Each render carries a fresh idempotency key, so a double submit
  makes one report. A hidden honeypot field (``website``): when filled, the answer looks like success
  and nothing is stored.
- ``POST /report`` (multipart) — 303 to ``/report/receipt/{token}``; a refused report re-renders the form
  (400) with a message next to each field and the input kept (photos must be chosen again); 429 with
  ``Retry-After`` when rate-limited. The token travels in the URL (history, ``Referer`` — the app sends
  ``Referrer-Policy: strict-origin-when-cross-origin``, so other sites get the origin only).
- ``GET /report/receipt/{token}`` — the token, shown to keep; ``GET /report/status`` (a form to paste it)
  and ``GET /report/status/{token}`` — what the resident may see (``tocsin.reports.resident_view``).

API (``api_router``, under ``/api/v1``):

- ``POST /api/v1/reports`` — a JSON object (photos as base64 strings, data: URLs or
  ``{"data", "content_type"}``; at most 5) or multipart/form-data with the form's field names; header
  ``Idempotency-Key`` (wins over an ``idempotency_key`` field). 201 ``{"id", "token", "status_url"}``; 200
  with the same body for a repeated key; 400 malformed JSON / not UTF-8; 413 body too large (the app's body
  limit, ``TOCSIN_MAX_REPORT_BYTES``); 415 another content type; 422 invalid fields (``details`` name
  each one: ``{"loc": ["body", "photos", "1"], "msg", "type"}``); 429 with ``Retry-After``.
- ``GET /api/v1/reports/status/{token}`` — the resident's view as JSON; 404 for an unknown token.
- ``GET /api/v1/reports/places/nearest`` and ``/places/resolve`` — name a map point or a typed place (the
  form's script uses them; GeoNames data, offline).

Every response here is ``Cache-Control: no-store``. The rate limiter, the photo store and the report writer
are created on the first request and kept on ``app.state.report_intake``. A report is checked (and its
photos sanitized and saved) in a worker thread — or, for a small JSON report without photos, on the event
loop — then handed to the writer (``tocsin.report_writer``), which commits the reports pending at that
moment in one transaction; the request answers after that commit.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from importlib import resources
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from tocsin import places
from tocsin.domain import ReportCategory, ReportStatus
from tocsin.photos import PhotoStore
from tocsin.ratelimit import RateLimiter, RetryAfter
from tocsin.report_writer import ReportWriter
from tocsin.reports import (
    FIELDS,
    MAX_CONTACT,
    MAX_DESCRIPTION,
    MAX_LOCATION_TEXT,
    MAX_PHOTOS,
    PreparedReport,
    Problem,
    Receipt,
    ReportError,
    prepare_report,
    receipt_token,
    resident_view,
    valid_token,
)
from tocsin.web.errors import ApiError
from tocsin.web.render import NO_STORE, page_context, render_private
from tocsin.web.routes.public import N_, PageContext, place_name

router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api/v1", tags=["reports"])

HONEYPOT = "website"
FORM_FIELDS = tuple(f for f in FIELDS if f != "photos")  # the form's text fields
MAX_FILE_PARTS = MAX_PHOTOS * 4  # more file parts than this: refused while parsing
MAX_FORM_FIELDS = 64
MAX_PART_BYTES = 256 * 1024  # one text field; longer ones are refused, shorter too-long ones explained
INLINE_BODY_BYTES = 16 * 1024  # a JSON report up to this size is checked on the event loop (see _inline)

# ----------------------------------------------------------------------------------------- vocabulary

CATEGORIES = (
    (ReportCategory.DEBRIS, "🔩", N_("Debris or fragments"), N_("Pieces of metal, plastic or wreckage.")),
    (ReportCategory.DAMAGE, "🏚", N_("Damage"), N_("To buildings, cars, roads, power or gas lines.")),
    (ReportCategory.INJURED, "🚑", N_("Injured people"), N_("Call 112 first.")),
    (ReportCategory.FIRE, "🔥", N_("Fire"), N_("Call 112 first.")),
    (
        ReportCategory.SUSPICIOUS_OBJECT,
        "⚠",
        N_("Suspicious object"),
        N_("Do not touch it. Move away and keep others away."),
    ),
    (ReportCategory.OTHER, "✎", N_("Something else"), N_("Describe it below.")),
)
CATEGORY_LABELS = {c.value: label for c, _, label, _ in CATEGORIES}

# What a resident reads about their report's status (operators' words would mean little to them).
STATUS_LABELS = {
    ReportStatus.NEW.value: (N_("Received"), N_("Your report has arrived and waits for an operator.")),
    ReportStatus.TRIAGED.value: (N_("Checked"), N_("An operator has checked your report.")),
    ReportStatus.DISPATCHED.value: (N_("Crew sent"), N_("A crew is on its way.")),
    ReportStatus.ON_SCENE.value: (N_("Crew on scene"), N_("The crew is at the place.")),
    ReportStatus.RESOLVED.value: (N_("Closed"), N_("The work at this place is finished.")),
    ReportStatus.REJECTED.value: (
        N_("Closed without action"),
        N_("An operator closed the report without sending a crew, for example because nothing needed doing."),
    ),
    ReportStatus.DUPLICATE.value: (
        N_("Joined to another report"),
        N_("Someone reported the same thing; your report was joined to theirs."),
    ),
}

FIELD_LABELS = {
    "category": N_("What did you find?"),
    "location": N_("Where is it?"),
    "location_text": N_("Where is it?"),
    "lat": N_("Where is it?"),
    "lon": N_("Where is it?"),
    "location_source": N_("Where is it?"),
    "observed_at": N_("When did you see it?"),
    "tz_offset": N_("When did you see it?"),
    "description": N_("What did you see?"),
    "photos": N_("Photos"),
    "contact": N_("Your phone or e-mail"),
    "idempotency_key": N_("Form"),
    "lang": N_("Form"),
}
# Where a problem's message is shown on the form (the input it belongs to).
FIELD_ANCHORS = {
    "location": "location_text",
    "lat": "location_text",
    "lon": "location_text",
    "location_source": "location_text",
    "tz_offset": "observed_at",
    "lang": "form",
    "idempotency_key": "form",
}

MESSAGES = {
    ("category", None): N_("Choose what you found."),
    ("location", None): N_("Type a settlement, street or landmark, or pick the place on the map."),
    ("lat", None): N_("The point on the map is not valid. Pick it again, or type the place instead."),
    ("lon", None): N_("The point on the map is not valid. Pick it again, or type the place instead."),
    ("location_source", None): N_(
        "The point on the map is not valid. Pick it again, or type the place instead."
    ),
    ("observed_at", "future"): N_("This time is in the future."),
    ("observed_at", "too_old"): N_(
        "This form takes reports up to 7 days old. For older events, call your local emergency service."
    ),
    ("observed_at", None): N_("Enter a date and time, or leave the field empty for now."),
    ("tz_offset", None): N_("Enter a date and time, or leave the field empty for now."),
    ("idempotency_key", None): N_("The form was out of date. Please check it and send it again."),
    ("lang", None): N_("The form was out of date. Please check it and send it again."),
    ("photos", "too_many"): N_("Choose at most %(max)s photos."),
    ("form", None): N_("The form could not be read. Please fill it in and send it again."),
    (None, "too_long"): N_("This is too long: at most %(max)s characters (now %(length)s)."),
    (None, "control_chars"): N_("This contains control characters. Please type it again."),
    (None, "invalid_text"): N_("This contains characters that cannot be stored. Please type it again."),
    (None, None): N_("This value is not valid."),
}
PHOTO_MESSAGES = {
    "too_large": N_("Photo %(n)s (%(name)s) is too large: at most %(mb)s MB."),
    "too_many_pixels": N_("Photo %(n)s (%(name)s) has too many pixels. Send a smaller photo."),
    "unsupported_type": N_(
        "Photo %(n)s (%(name)s): this kind of image is not accepted. Send a JPEG, PNG or WebP photo."
    ),
    "truncated": N_("Photo %(n)s (%(name)s) is incomplete. Please choose it again."),
    "empty": N_("Photo %(n)s (%(name)s) is empty."),
    None: N_("Photo %(n)s (%(name)s) could not be read as a JPEG, PNG or WebP image."),
}


# ------------------------------------------------------------------------------------------- state


@dataclass
class Intake:
    """What the report routes keep per app: the rate limiter, the photo store and the report writer (group
    commit: ``tocsin.report_writer``)."""

    limiter: RateLimiter
    photos: PhotoStore
    writer: ReportWriter
    status_path: str | None = None  # the status API's path without the token (``_status_url``)


_state_lock = threading.Lock()


def intake(app: FastAPI) -> Intake:
    """The app's ``Intake``, created on first use (from ``app.state.settings``); starts loading the
    settlements in the background then, so the first report does not wait for them."""
    state = getattr(app.state, "report_intake", None)
    if state is not None:
        return state
    with _state_lock:
        state = getattr(app.state, "report_intake", None)
        if state is None:
            settings = app.state.settings
            writer = ReportWriter(
                app.state.engine,
                radius_m=settings.cluster_radius_m,
                window=timedelta(minutes=settings.cluster_window_minutes),
                session_factory=app.state.sessionmaker,
            )
            state = Intake(RateLimiter.from_settings(settings), PhotoStore(settings.photo_dir), writer)
            app.state.report_intake = state
            places.warm_up()
    return state


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def _prepare(app: FastAPI, fields: dict[str, Any]) -> PreparedReport:
    """Check a report and save its photos (in a worker thread: photo decoding and fsyncs block)."""
    return prepare_report(app.state.settings, fields, photo_store=intake(app).photos)


async def _store(app: FastAPI, prepared: PreparedReport) -> Receipt:
    """Hand a prepared report to the app's writer and wait, without holding a thread, for the commit that
    contains it: only then may the resident be told it is saved."""
    return await asyncio.wrap_future(intake(app).writer.submit(prepared))


# ------------------------------------------------------------------------------------------- pages


def _new_key() -> str:
    return secrets.token_urlsafe(24)


def _form_page(
    request: Request,
    *,
    values: dict[str, Any] | None = None,
    problems: list[Problem] | None = None,
    filenames: list[str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    pc = _with_twin(request)
    settings = request.app.state.settings
    values = dict(values or {})
    errors, summary = _errors(problems or [], filenames or [], pc.t, settings.max_photo_bytes)
    if not values.get("idempotency_key") or any(p.field == "idempotency_key" for p in problems or []):
        values["idempotency_key"] = _new_key()
    data = {
        "page": "report",
        "values": values,
        "errors": errors,
        "summary": summary,
        "categories": CATEGORIES,
        "max_photos": MAX_PHOTOS,
        "max_photo_mb": _mb(settings.max_photo_bytes),
        "max_description": MAX_DESCRIPTION,
        "max_contact": MAX_CONTACT,
        "max_location_text": MAX_LOCATION_TEXT,
        "honeypot": HONEYPOT,
        "region_dots": region_dots(pc.lang),
    }
    return render_private(request, "report/form.html", data, status=status, pc=pc)


@cache
def region_dots(lang: str) -> str:
    """The regions' centres and names as JSON (``[[iso, name, lat, lon], …]``) for the form's map, which
    has no background unless the deployment set a tile server: the dots help find one's region. In the
    page itself, so the map needs no request of its own."""
    raw = resources.files("tocsin.data").joinpath("region_centroids.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(io.StringIO(raw))
    dots = [[r["iso"], place_name(r["iso"], lang), float(r["lat"]), float(r["lon"])] for r in rows]
    return json.dumps(dots, ensure_ascii=False, separators=(",", ":"))


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):g}"


def _message(problem: Problem, t: Any, filenames: list[str], max_photo_bytes: int) -> str:
    if problem.field.startswith("photos."):
        index = int(problem.field.split(".", 1)[1])
        name = filenames[index] if index < len(filenames) and filenames[index] else "—"
        template = PHOTO_MESSAGES.get(problem.code, PHOTO_MESSAGES[None])
        return t(template) % {"n": index + 1, "name": name, "mb": _mb(max_photo_bytes)}
    for key in ((problem.field, problem.code), (problem.field, None), (None, problem.code), (None, None)):
        if key in MESSAGES:
            params = {
                "max": "",
                "length": "",
                **{k: v for k, v in problem.params.items() if k in ("max", "length")},
            }
            return t(MESSAGES[key]) % params
    return t(MESSAGES[(None, None)])


def _errors(
    problems: list[Problem], filenames: list[str], t: Any, max_photo_bytes: int
) -> tuple[dict[str, list[str]], list[tuple[str, str, str]]]:
    """Messages per form input, and the summary at the top: (input id, field label, message)."""
    errors: dict[str, list[str]] = {}
    summary: list[tuple[str, str, str]] = []
    for problem in problems:
        base = problem.field.split(".", 1)[0]
        anchor = FIELD_ANCHORS.get(base, base)
        message = _message(problem, t, filenames, max_photo_bytes)
        if message not in errors.setdefault(anchor, []):
            errors[anchor].append(message)
            summary.append((anchor, t(FIELD_LABELS.get(base, N_("Form"))), message))
    return errors, summary


@router.get("/report", response_class=HTMLResponse)
def report_form(request: Request) -> Response:
    """The report form. The first one a process serves waits for the settlements to load (under a
    second), so that naming a point picked on the map answers at once."""
    intake(request.app)
    places.load()
    return _form_page(request)


async def _read_form(request: Request) -> tuple[dict[str, Any], list[str], bool]:
    """The form's fields (photos as (bytes, content type) pairs), the photos' file names, and whether the
    honeypot was filled. Raises StarletteHTTPException (400) for a body that is not a readable form."""
    settings = request.app.state.settings
    form = await request.form(
        max_files=MAX_FILE_PARTS, max_fields=MAX_FORM_FIELDS, max_part_size=MAX_PART_BYTES
    )
    try:
        fields: dict[str, Any] = {}
        for name in FORM_FIELDS:
            value = form.get(name)
            if isinstance(value, str):
                fields[name] = value
        trap = form.get(HONEYPOT)
        trapped = isinstance(trap, str) and trap.strip() != ""
        photos: list[tuple[bytes, str | None]] = []
        names: list[str] = []
        for item in form.getlist("photos"):
            if not isinstance(item, UploadFile):
                continue
            data = await item.read(settings.max_photo_bytes + 1)  # one byte over says "too large"
            if not data and not item.filename:
                continue  # the file input left empty
            photos.append((data, item.content_type))
            names.append((item.filename or "")[:80])
        fields["photos"] = photos
        return fields, names, trapped
    finally:
        await form.close()


@router.post("/report", response_class=HTMLResponse)
async def report_submit(request: Request) -> Response:
    """Receive the form: 303 to the receipt, or the form again with what to fix."""
    state = intake(request.app)
    retry = state.limiter.hit(client_address(request))
    if retry is not None:
        return _limited_page(request, retry)
    try:
        fields, filenames, trapped = await _read_form(request)
    except StarletteHTTPException:
        problem = Problem("form", "unreadable", "the form could not be read")
        return _form_page(request, problems=[problem], status=400)
    if trapped:
        # A bot filled the invisible field: look like success, store nothing.
        return RedirectResponse(f"/report/receipt/{receipt_token()}", status_code=303, headers=NO_STORE)
    fields.setdefault("lang", page_context(request).lang)
    try:
        prepared = await run_in_threadpool(_prepare, request.app, fields)
    except ReportError as exc:
        kept = {k: v for k, v in fields.items() if k != "photos"}
        return _form_page(request, values=kept, problems=exc.problems, filenames=filenames, status=400)
    receipt = await _store(request.app, prepared)
    url = f"/report/receipt/{receipt.token}" + ("" if receipt.created else "?again=1")
    return RedirectResponse(url, status_code=303, headers=NO_STORE)


def _limited_page(request: Request, retry: RetryAfter) -> HTMLResponse:
    data = {"page": "report", "retry_after": retry.seconds}
    response = render_private(request, "report/limited.html", data, status=429, pc=_with_twin(request))
    response.headers["Retry-After"] = str(retry.seconds)
    return response


@router.get("/report/receipt/{token}", response_class=HTMLResponse)
def report_receipt(request: Request, token: str) -> Response:
    """The receipt: the token to keep, and where to follow the report (``?again=1``: the form had been
    sent before, this is that report's receipt)."""
    if not valid_token(token):
        return _unknown_page(request)
    again = request.query_params.get("again") == "1"
    data = {"page": "report", "token": token, "again": again, "status_url": f"/report/status/{token}"}
    return render_private(request, "report/receipt.html", data, pc=_with_twin(request, token))


def _with_twin(request: Request, token: str | None = None) -> PageContext:
    """The page context, naming the page's JSON twin (the status endpoint, or the API description)."""
    pc = page_context(request)
    twin = f"/api/v1/reports/status/{token}" if token else "/openapi.json"
    pc.alternates = [(twin, "report status" if token else "openapi")]
    return pc


def _zone(lang: str) -> ZoneInfo | None:
    """The zone the status page shows times in (with their UTC offset written next to them)."""
    return {"ru": ZoneInfo("Europe/Moscow"), "uk": ZoneInfo("Europe/Kyiv")}.get(lang)


def _unknown_page(request: Request, code: str = "") -> HTMLResponse:
    data = {"page": "report", "view": None, "unknown": True, "code": code}
    return render_private(request, "report/status.html", data, status=404, pc=_with_twin(request))


@router.get("/report/status", response_class=HTMLResponse)
def report_status_lookup(request: Request) -> Response:
    """A form to paste a receipt code; with ``?code=`` it goes to that report's status."""
    code = (request.query_params.get("code") or "").strip()
    if code:
        if valid_token(code):
            return RedirectResponse(f"/report/status/{code}", status_code=303, headers=NO_STORE)
        return _unknown_page(request, code[:200])
    data = {"page": "report", "view": None, "unknown": False}
    return render_private(request, "report/status.html", data, pc=_with_twin(request))


@router.get("/report/status/{token}", response_class=HTMLResponse)
def report_status(request: Request, token: str) -> Response:
    """What the resident may see of their report."""
    if not valid_token(token):
        return _unknown_page(request)
    with request.app.state.sessionmaker() as session:
        view = resident_view(session, token)
    if view is None:
        return _unknown_page(request)
    pc = _with_twin(request, token)
    data = {
        "page": "report",
        "view": view,
        "unknown": False,
        "token": token,
        "category_label": CATEGORY_LABELS.get(view["category"], N_("Something else")),
        "status_label": STATUS_LABELS.get(view["status"], (N_("Received"), ""))[0],
        "status_hint": STATUS_LABELS.get(view["status"], ("", ""))[1],
        "tz": _zone(pc.lang),
    }
    return render_private(request, "report/status.html", data, pc=pc)


# --------------------------------------------------------------------------------------------- API


@dataclass
class _Payload:
    kind: str  # "json" | "form"
    body: bytes = b""
    fields: dict[str, Any] | None = None


async def _api_payload(request: Request) -> _Payload:
    """Rate limit, then read the body as the content type says (the parsing proper runs in the endpoint's
    worker thread)."""
    state = intake(request.app)
    retry = state.limiter.hit(client_address(request))
    if retry is not None:
        raise ApiError(
            429,
            f"too many reports; try again in {retry.seconds} s",
            headers={"Retry-After": str(retry.seconds)},
        )
    content_type = request.headers.get("content-type", "")
    media, _, params = content_type.partition(";")
    media = media.strip().lower()
    if media == "application/json" or (media.startswith("application/") and media.endswith("+json")):
        charset = _charset(params)
        if charset not in (None, "utf-8", "utf8"):
            raise ApiError(415, "JSON must be sent as UTF-8", code="unsupported_media_type")
        return _Payload("json", body=await request.body())
    if media == "multipart/form-data":
        fields, _, _ = await _read_form(request)
        return _Payload("form", fields=fields)
    raise ApiError(
        415, "send the report as application/json or multipart/form-data", code="unsupported_media_type"
    )


def _charset(params: str) -> str | None:
    for part in params.split(";"):
        name, _, value = part.strip().partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"').lower()
    return None


def _json_fields(body: bytes) -> dict[str, Any]:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, "the request body is not valid UTF-8", code="bad_encoding") from None
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise ApiError(400, f"malformed JSON: {str(exc)[:80]}", code="invalid_json") from None
    if not isinstance(value, dict):
        raise ApiError(
            422,
            "the report must be a JSON object",
            code="validation_error",
            details=[{"loc": ["body"], "msg": "must be an object", "type": "invalid_type"}],
        )
    return value


def _status_url(request: Request, token: str) -> str:
    """``request.url_for("report_status_api", token=token)``, without searching all routes each time."""
    state = intake(request.app)
    if state.status_path is None:
        state.status_path = request.app.url_path_for("report_status_api", token="-")[:-1]
    return str(request.base_url).rstrip("/") + state.status_path + token


def _api_fields(payload: _Payload, header_key: str | None) -> dict[str, Any]:
    fields = _json_fields(payload.body) if payload.kind == "json" else dict(payload.fields or {})
    if header_key is not None:
        fields["idempotency_key"] = header_key.strip()
    return fields


def _api_prepare(app: FastAPI, fields: dict[str, Any]) -> PreparedReport:
    """The API's fields as a prepared report (``ApiError`` 422 when they are not one)."""
    try:
        return _prepare(app, fields)
    except ReportError as exc:
        raise _api_error(exc) from None


def _api_error(exc: ReportError) -> ApiError:
    details = [{"loc": ["body", *p.field.split(".")], "msg": p.message, "type": p.code} for p in exc.problems]
    names = ", ".join(exc.fields())
    return ApiError(422, f"invalid report: {names[:200]}", code="validation_error", details=details)


@api_router.post(
    "/reports",
    status_code=201,
    summary="Submit a resident's report",
    responses={
        200: {"description": "The same report again (a repeated Idempotency-Key)"},
        400: {"description": "Malformed JSON or not UTF-8"},
        413: {"description": "Request body too large"},
        415: {"description": "Not application/json or multipart/form-data"},
        422: {"description": "Invalid fields (each one named in details)"},
        429: {"description": "Too many reports (see Retry-After)"},
    },
)
async def create_report(request: Request) -> JSONResponse:
    """Submit what a resident found on the ground: ``category`` (injured, fire, suspicious_object, debris,
    damage, other), ``lat``/``lon`` and/or ``location_text``, ``observed_at`` (ISO 8601), ``description``,
    ``contact``, ``lang``, ``photos`` (base64, at most 5). Answers ``{"id", "token", "status_url"}``."""
    # Called here rather than as a FastAPI dependency: resolving dependencies costs more than the call.
    payload = await _api_payload(request)
    header_key = request.headers.get("idempotency-key")
    if payload.kind == "json" and len(payload.body) <= INLINE_BODY_BYTES:
        fields = _api_fields(payload, header_key)
        if not fields.get("photos") and places.loaded():
            # Checking a small report without photos takes tens of microseconds: on the event loop. A hand-
            # over to a worker thread and back costs more under load (each hand-over of the interpreter
            # lock between busy threads may wait out its switch interval, 5 ms).
            prepared = _api_prepare(request.app, fields)
        else:
            prepared = await run_in_threadpool(_api_prepare, request.app, fields)
    else:
        prepared = await run_in_threadpool(
            lambda: _api_prepare(request.app, _api_fields(payload, header_key))
        )
    receipt = await _store(request.app, prepared)
    body = {
        "id": receipt.report_id,
        "token": receipt.token,
        "status_url": _status_url(request, receipt.token),
    }
    return JSONResponse(body, status_code=201 if receipt.created else 200, headers=NO_STORE)


@api_router.get(
    "/reports/status/{token}", name="report_status_api", summary="A report's status for its reporter"
)
def report_status_api(request: Request, token: str) -> JSONResponse:
    """What the holder of a receipt token may see of the report: category, status, submitted and updated
    times, the settlement's name and whether a crew was sent."""
    view = None
    if valid_token(token):
        with request.app.state.sessionmaker() as session:
            view = resident_view(session, token)
    if view is None:
        raise ApiError(404, "no report with this receipt token", headers=NO_STORE)
    body = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in view.items()}
    return JSONResponse(body, headers=NO_STORE)


def _place_json(place: places.Place | None, lat: float | None = None, lon: float | None = None) -> dict:
    if place is None:
        return {"place": None}
    out: dict[str, Any] = {
        "geonameid": place.geonameid,
        "name": place.name,
        "iso": place.iso,
        "lat": place.lat,
        "lon": place.lon,
    }
    if lat is not None and lon is not None:
        out["distance_m"] = round(places.distance_m(lat, lon, place.lat, place.lon))
    return {"place": out}


@api_router.get("/reports/places/nearest", summary="The settlement a map point lies in or near")
def nearest_place_api(
    lat: Annotated[float, Query(ge=-90, le=90)], lon: Annotated[float, Query(ge=-180, le=180)]
) -> JSONResponse:
    """The GeoNames settlement (Russia, Ukraine) a point falls in, or the nearest within 30 km;
    ``{"place": null}`` when there is none."""
    return JSONResponse(_place_json(places.nearest_place(lat, lon), lat, lon), headers=NO_STORE)


@api_router.get("/reports/places/resolve", summary="The settlement a typed place name means")
def resolve_place_api(q: Annotated[str, Query(min_length=1, max_length=MAX_LOCATION_TEXT)]) -> JSONResponse:
    """The GeoNames settlement (Russia, Ukraine) a typed text names ("в Смоленске", "Vyazma"), or
    ``{"place": null}``."""
    return JSONResponse(_place_json(places.resolve_place(q)), headers=NO_STORE)
