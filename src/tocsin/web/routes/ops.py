"""The operators' side under ``/ops``: triage queue, reports, photos, clusters, units, dispatches, figures,
audit log.

Thin callers of ``tocsin.triage``, ``tocsin.dispatch`` and ``tocsin.audit``. Every route declares who may
use it with ``Depends(require(<capability>))`` (``tocsin.web.security``: sign-in, role, CSRF on POST).
Pages are server-rendered (``render_ops``: ``Cache-Control: no-store``) and work without JavaScript;
``static/ops.js`` only adds the report map and a gentle refresh of the queue.

Forms follow Post/Redirect/Get without flash messages: a change that works answers ``303`` to the page
that shows the new state; one that cannot be done re-renders that page with the reason (409 for a conflict
such as another operator's claim, 400 for bad input, 404 for an unknown id) and changes nothing.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pygal
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from tocsin import audit, dispatch, triage
from tocsin.dispatch import DispatchError, DispatchNotFoundError, InvalidInputError, UnitNotFoundError
from tocsin.domain import (
    DispatchStatus,
    LocationSource,
    ReportCategory,
    ReportStatus,
    UnitStatus,
)
from tocsin.photos import PhotoStore
from tocsin.store.models import Dispatch, Incident, Report, ReportCluster, ReportPhoto
from tocsin.triage import LockedError, NotFoundError, TriageError
from tocsin.web import charts
from tocsin.web.i18n import load_translations
from tocsin.web.render import NO_STORE, page_context
from tocsin.web.security import (
    DISPATCH,
    LINK_INCIDENT,
    READ_AUDIT,
    TRIAGE,
    VIEW_REPORTS,
    OpsAuth,
    render_ops,
    request_now,
    require,
)

router = APIRouter(include_in_schema=False)

MAX_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL: a bigger number cannot name a row
QUEUE_LIMIT = 200
AUDIT_PAGE = 50
HISTORY_LIMIT = 200
STATS_DAYS = (7, 14, 30, 90)
FIELD_MAX = 2000  # longest free-text form field kept (a note)
ENTITIES = ("report", "unit", "dispatch", "user")


def N_(message: str) -> str:
    """Marks a string for the ops catalog; translated where it is shown (``t()`` in templates)."""
    return message


# ----------------------------------------------------------------------------------------- vocabulary

CATEGORIES = {
    ReportCategory.INJURED: N_("Injured people"),
    ReportCategory.FIRE: N_("Fire"),
    ReportCategory.SUSPICIOUS_OBJECT: N_("Suspicious object"),
    ReportCategory.DEBRIS: N_("Debris"),
    ReportCategory.DAMAGE: N_("Damage"),
    ReportCategory.OTHER: N_("Other"),
}
STATUSES = {
    ReportStatus.NEW: N_("New"),
    ReportStatus.TRIAGED: N_("Triaged"),
    ReportStatus.DISPATCHED: N_("Dispatched"),
    ReportStatus.ON_SCENE: N_("On scene"),
    ReportStatus.RESOLVED: N_("Resolved"),
    ReportStatus.REJECTED: N_("Rejected"),
    ReportStatus.DUPLICATE: N_("Duplicate"),
}
UNIT_STATUSES = {
    UnitStatus.AVAILABLE: N_("Available"),
    UnitStatus.EN_ROUTE: N_("En route"),
    UnitStatus.ON_SCENE: N_("On scene"),
    UnitStatus.OFF_DUTY: N_("Off duty"),
}
DISPATCH_STATUSES = {
    DispatchStatus.ASSIGNED: N_("Assigned"),
    DispatchStatus.EN_ROUTE: N_("En route"),
    DispatchStatus.ON_SCENE: N_("On scene"),
    DispatchStatus.COMPLETED: N_("Completed"),
    DispatchStatus.CANCELLED: N_("Cancelled"),
}
ADVANCE_BUTTONS = {
    DispatchStatus.EN_ROUTE: N_("En route"),
    DispatchStatus.ON_SCENE: N_("Arrived on scene"),
    DispatchStatus.COMPLETED: N_("Completed"),
    DispatchStatus.CANCELLED: N_("Cancel dispatch"),
}
MOVE_BUTTONS = {
    ReportStatus.TRIAGED: N_("Mark triaged"),
    ReportStatus.DISPATCHED: N_("Mark dispatched (unit not in tocsin)"),
    ReportStatus.ON_SCENE: N_("Mark on scene"),
    ReportStatus.RESOLVED: N_("Mark resolved"),
    ReportStatus.REJECTED: N_("Reject"),
}
LOCATION_SOURCES = {
    LocationSource.MAP: N_("picked on the map"),
    LocationSource.DEVICE: N_("device location"),
    LocationSource.SETTLEMENT: N_("settlement name"),
    LocationSource.TEXT: N_("described in words"),
}
ACTIONS = {
    "report.claim": N_("claimed"),
    "report.release": N_("released"),
    "report.status": N_("status changed"),
    "report.incident": N_("incident link changed"),
    "unit.add": N_("unit added"),
    "unit.status": N_("unit status changed"),
    "dispatch.create": N_("unit dispatched"),
    "dispatch.status": N_("dispatch status changed"),
}
ENTITY_NAMES = {
    "report": N_("Report"),
    "unit": N_("Unit"),
    "dispatch": N_("Dispatch"),
    "user": N_("User"),
    "cluster": N_("Cluster"),
}
FIELDS = {  # keys of Event before/after dicts
    "status": N_("status"),
    "note": N_("note"),
    "locked_by": N_("claimed by"),
    "lock_expires_at": N_("claim until"),
    "duplicate_of_id": N_("duplicate of report"),
    "incident_id": N_("incident"),
    "dispatch_id": N_("dispatch"),
    "unit": N_("unit"),
    "unit_id": N_("unit number"),
    "report_id": N_("report"),
    "cluster_id": N_("cluster"),
    "reports": N_("reports"),
    "created_at": N_("assigned at"),
    "en_route_at": N_("en route at"),
    "on_scene_at": N_("on scene at"),
    "closed_at": N_("closed at"),
    "name": N_("name"),
    "kind": N_("kind"),
}
QUEUE_VIEWS = {
    "active": N_("Open (new, triaged, dispatched, on scene)"),
    "new": N_("New only"),
    "closed": N_("Closed (resolved, rejected, duplicate)"),
    "all": N_("All"),
}
QUEUE_STATUSES = {
    "active": triage.ACTIVE,
    "new": (ReportStatus.NEW,),
    "closed": (ReportStatus.RESOLVED, ReportStatus.REJECTED, ReportStatus.DUPLICATE),
    "all": tuple(ReportStatus),
}
LABELS = {
    "categories": CATEGORIES,
    "statuses": STATUSES,
    "unit_statuses": UNIT_STATUSES,
    "dispatch_statuses": DISPATCH_STATUSES,
    "advance": ADVANCE_BUTTONS,
    "moves": MOVE_BUTTONS,
    "location_sources": LOCATION_SOURCES,
    "actions": ACTIONS,
    "entities": ENTITY_NAMES,
    "views": QUEUE_VIEWS,
    "fields": FIELDS,
}

# error messages (the library's own message, in English, follows as the detail)
MSG_LOCKED = N_("Report #%(id)s is claimed by %(holder)s until %(until)s. Nothing was changed.")
MSG_NOT_ALLOWED = N_("This change is not allowed, nothing was changed:")
MSG_NOT_FOUND = N_("Not found:")
MSG_BAD_INPUT = N_("The form could not be used:")
MSG_BUSY = N_("The database was busy and nothing was changed. Please try again.")

Form = dict[str, str]


# ------------------------------------------------------------------------------------------- helpers


class BadInput(ValueError):
    """A form or query value that cannot be used (shown to the operator, 400)."""


async def form_fields(request: Request) -> Form:
    """The request's form fields as text (file parts and repeated names after the first are ignored).
    ``require`` has already parsed the form for the CSRF token; Starlette caches it on the request."""
    try:
        form = await request.form()
    except Exception:  # a malformed body: the CSRF check has refused it already
        return {}
    out: Form = {}
    for key, value in form.multi_items():
        if isinstance(value, str) and key not in out:
            out[key] = value
    return out


Fields = Annotated[Form, Depends(form_fields)]


def parse_id(value: str | None) -> int | None:
    """A positive id from a path, query or form value; None when it is not one (so: no such row)."""
    if value is None:
        return None
    value = value.strip().lstrip("#")
    if not value.isascii() or not value.isdigit() or len(value) > 10:
        return None
    n = int(value)
    return n if 0 < n <= MAX_ID else None


def _required_id(form: Form, name: str, label: str) -> int:
    n = parse_id(form.get(name))
    if n is None:
        raise BadInput(f"{label}: {form.get(name, '')[:40]!r} is not a number")
    return n


def _note(form: Form) -> str | None:
    note = (form.get("note") or "").strip()
    if not note:
        return None
    if "\x00" in note:
        raise BadInput("the note contains a NUL character")
    return note[:FIELD_MAX]


def _enum(cls, value: str | None, what: str):
    try:
        return cls(value)
    except ValueError:
        raise BadInput(
            f"{what}: {str(value)[:40]!r} is not one of {', '.join(m.value for m in cls)}"
        ) from None


def ops_zone(request: Request) -> tzinfo:
    """The time zone of operator pages and daily figures: ``Settings.ops_timezone`` when the deployment
    has one, else UTC (every time on the page is labelled with its offset)."""
    name = getattr(request.app.state.settings, "ops_timezone", "") or "UTC"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def _see_other(location: str) -> RedirectResponse:
    return RedirectResponse(location, status_code=303, headers=NO_STORE)


def _can(auth: OpsAuth) -> dict[str, bool]:
    role = auth.user.role
    return {
        "triage": role in TRIAGE,
        "dispatch": role in DISPATCH,
        "link": role in LINK_INCIDENT,
        "audit": role in READ_AUDIT,
    }


def _render(
    request: Request, auth: OpsAuth, template: str, data: dict[str, Any], *, status: int = 200
) -> HTMLResponse:
    base = {
        "labels": LABELS,
        "can": _can(auth),
        "now": request_now(request),
        "ops_tz": ops_zone(request),
    }
    return render_ops(request, template, {**base, **data}, auth, status=status)


def _t(request: Request):
    return load_translations(page_context(request).lang).gettext


def error_text(request: Request, exc: Exception) -> tuple[str, int]:
    """What went wrong, in the page's language, and the HTTP status to answer with."""
    t = _t(request)
    if isinstance(exc, LockedError):
        fmt_until = exc.until.astimezone(ops_zone(request)).strftime("%H:%M")
        return t(MSG_LOCKED) % {"id": exc.report_id, "holder": exc.holder, "until": fmt_until}, 409
    if isinstance(exc, NotFoundError | UnitNotFoundError | DispatchNotFoundError):
        return f"{t(MSG_NOT_FOUND)} {exc}", 404
    if isinstance(exc, BadInput | InvalidInputError):
        return f"{t(MSG_BAD_INPUT)} {exc}", 400
    if isinstance(exc, OperationalError):
        return t(MSG_BUSY), 503
    return f"{t(MSG_NOT_ALLOWED)} {exc}", 409


def _not_found(request: Request, auth: OpsAuth, kind: str, ident: int | None = None) -> HTMLResponse:
    data = {"page": "queue", "kind": kind, "ident": ident}
    return _render(request, auth, "ops/not_found.html", data, status=404)


# -------------------------------------------------------------------------------------------- queue


@router.get("/ops/", response_class=HTMLResponse)
@router.get("/ops", response_class=HTMLResponse, include_in_schema=False)
def queue_page(
    request: Request,
    auth: Annotated[OpsAuth, Depends(require(VIEW_REPORTS))],
    category: str = "",
    view: str = "active",
) -> Response:
    """The triage queue: most urgent first, then oldest; one line per cluster."""
    cat = category if category in {c.value for c in ReportCategory} else ""
    view = view if view in QUEUE_STATUSES else "active"
    now = request_now(request)
    lines = triage.queue(
        auth.db,
        statuses=QUEUE_STATUSES[view],
        category=ReportCategory(cat) if cat else None,
        now=now,
        limit=QUEUE_LIMIT,
    )
    data = {"page": "queue", "lines": lines, "category": cat, "view": view, "limit": QUEUE_LIMIT}
    return _render(request, auth, "ops/queue.html", data)


# ------------------------------------------------------------------------------------------- report


def _report_page(
    request: Request, auth: OpsAuth, report_id: int | None, *, error: str | None = None, status: int = 200
) -> HTMLResponse:
    db = auth.db
    report = db.get(Report, report_id) if report_id is not None else None
    if report is None:
        return _not_found(request, auth, "report", report_id)
    now = request_now(request)
    moves = [m for m in triage.allowed_moves(report.status) if m is not ReportStatus.DUPLICATE]
    if triage.open_dispatch_ids(db, report):  # the open dispatch drives the status back (cancel it)
        moves = [m for m in moves if m is not ReportStatus.TRIAGED]
    data = {
        "page": "queue",
        "report": report,
        "lock": triage.lock_of(db, report.id, now=now),
        "moves": moves,
        "can_duplicate": ReportStatus.DUPLICATE in triage.allowed_moves(report.status),
        "members": triage.cluster_members(db, report.cluster_id) if report.cluster_id else [],
        "incident": db.get(Incident, report.incident_id) if report.incident_id else None,
        "report_events": audit.history(db, "report", report.id, limit=HISTORY_LIMIT),
        "dispatches": dispatch.dispatches_for(db, report=report),
        "units": dispatch.available_units(db) if _can(auth)["dispatch"] else [],
        "error": error,
        "claim_minutes": request.app.state.settings.claim_lock_minutes,
    }
    return _render(request, auth, "ops/report.html", data, status=status)


@router.get("/ops/reports/{report_id}", response_class=HTMLResponse)
def report_page(request: Request, report_id: str, auth: Annotated[OpsAuth, Depends(require(VIEW_REPORTS))]):
    """Everything about one report: location, contact, description, photos, cluster, incident, history,
    and the forms the user's role may use."""
    return _report_page(request, auth, parse_id(report_id))


def _report_action(request: Request, auth: OpsAuth, report_id: str, action) -> Response:
    """Run ``action(db, rid, now)``; commit and redirect to the report, or re-render it with the reason."""
    rid = parse_id(report_id)
    if rid is None:
        return _not_found(request, auth, "report")
    try:
        action(auth.db, rid, request_now(request))
        auth.db.commit()
    except (TriageError, DispatchError, BadInput, OperationalError) as exc:
        auth.db.rollback()
        message, status = error_text(request, exc)
        return _report_page(request, auth, rid, error=message, status=status)
    return _see_other(f"/ops/reports/{rid}")


@router.post("/ops/reports/{report_id}/claim")
def claim_report(
    request: Request, report_id: str, auth: Annotated[OpsAuth, Depends(require(TRIAGE))]
) -> Response:
    """Claim the report (or extend one's claim) for ``Settings.claim_lock_minutes``."""
    minutes = request.app.state.settings.claim_lock_minutes

    def action(db: Session, rid: int, now: datetime) -> None:
        triage.claim(db, rid, auth.user, minutes=minutes, now=now)

    return _report_action(request, auth, report_id, action)


@router.post("/ops/reports/{report_id}/release")
def release_report(
    request: Request, report_id: str, auth: Annotated[OpsAuth, Depends(require(TRIAGE))]
) -> Response:
    """Give up one's claim on the report."""

    def action(db: Session, rid: int, now: datetime) -> None:
        triage.release(db, rid, auth.user, now=now)

    return _report_action(request, auth, report_id, action)


@router.post("/ops/reports/{report_id}/status")
def report_status(
    request: Request, report_id: str, form: Fields, auth: Annotated[OpsAuth, Depends(require(TRIAGE))]
) -> Response:
    """Move the report to another status (``status``; ``duplicate_of`` for a duplicate; ``note``)."""
    minutes = request.app.state.settings.claim_lock_minutes

    def action(db: Session, rid: int, now: datetime) -> None:
        new = _enum(ReportStatus, form.get("status"), "status")
        original = None
        if new is ReportStatus.DUPLICATE:
            original = _required_id(form, "duplicate_of", "duplicate of report")
        triage.transition(
            db,
            rid,
            new,
            auth.user,
            note=_note(form),
            duplicate_of=original,
            now=now,
            lock_minutes=minutes,
        )

    return _report_action(request, auth, report_id, action)


@router.post("/ops/reports/{report_id}/incident")
def report_incident(
    request: Request, report_id: str, form: Fields, auth: Annotated[OpsAuth, Depends(require(LINK_INCIDENT))]
) -> Response:
    """Link the report to incident ``incident_id``; an empty number (or ``unlink``) removes the link."""

    def action(db: Session, rid: int, now: datetime) -> None:
        raw = (form.get("incident_id") or "").strip()
        if form.get("unlink") or not raw:
            triage.unlink_incident(db, rid, auth.user)
            return
        triage.link_incident(db, rid, _required_id(form, "incident_id", "incident"), auth.user)

    return _report_action(request, auth, report_id, action)


# ------------------------------------------------------------------------------------------- photos


@router.get("/ops/photos/{photo_id}")
def photo(request: Request, photo_id: str, auth: Annotated[OpsAuth, Depends(require(VIEW_REPORTS))]):
    """A resident's photo (already re-encoded without metadata at intake), to signed-in operators only."""
    pid = parse_id(photo_id)
    row = auth.db.get(ReportPhoto, pid) if pid is not None else None
    headers = {
        **NO_STORE,
        "X-Content-Type-Options": "nosniff",
        "Content-Disposition": "inline",
        # the image is its own document: nothing in it may run or load anything
        "Content-Security-Policy": "default-src 'none'; img-src 'self'; sandbox",
    }
    if row is None:
        return Response("no such photo", status_code=404, media_type="text/plain", headers=headers)
    try:
        data = PhotoStore(request.app.state.settings.photo_dir).read(row.sha256, row.media_type)
    except (OSError, ValueError):  # missing file, unreadable path, or a digest/type no file can have
        return Response("photo file missing", status_code=404, media_type="text/plain", headers=headers)
    return Response(data, media_type=row.media_type, headers=headers)


# ----------------------------------------------------------------------------------------- clusters


def _cluster_page(
    request: Request, auth: OpsAuth, cluster_id: int | None, *, error: str | None = None, status: int = 200
) -> HTMLResponse:
    db = auth.db
    cluster = db.get(ReportCluster, cluster_id) if cluster_id is not None else None
    if cluster is None:
        return _not_found(request, auth, "cluster", cluster_id)
    data = {
        "page": "queue",
        "cluster": cluster,
        "members": triage.cluster_members(db, cluster.id),
        "dispatches": dispatch.dispatches_for(db, cluster_id=cluster.id),
        "units": dispatch.available_units(db) if _can(auth)["dispatch"] else [],
        "active": set(triage.ACTIVE),
        "error": error,
    }
    return _render(request, auth, "ops/cluster.html", data, status=status)


@router.get("/ops/clusters/{cluster_id}", response_class=HTMLResponse)
def cluster_page(request: Request, cluster_id: str, auth: Annotated[OpsAuth, Depends(require(VIEW_REPORTS))]):
    """A cluster's reports, its dispatches, and the form to dispatch a unit to all of them."""
    return _cluster_page(request, auth, parse_id(cluster_id))


# -------------------------------------------------------------------------------------------- units


def _units_page(
    request: Request, auth: OpsAuth, *, error: str | None = None, status: int = 200
) -> HTMLResponse:
    db = auth.db
    units = dispatch.list_units(db)
    open_rows = dispatch.list_dispatches(db, open_only=True, limit=500)
    busy = {d.unit_id: d for d in open_rows}
    data = {
        "page": "units",
        "units": units,
        "busy": busy,
        "open_dispatches": open_rows,
        "unit_statuses": list(UnitStatus),
        "error": error,
    }
    return _render(request, auth, "ops/units.html", data, status=status)


@router.get("/ops/units", response_class=HTMLResponse)
def units_page(request: Request, auth: Annotated[OpsAuth, Depends(require(VIEW_REPORTS))]):
    """Every unit with its status and open dispatch; forms for dispatchers."""
    return _units_page(request, auth)


@router.post("/ops/units")
def add_unit(
    request: Request, form: Fields, auth: Annotated[OpsAuth, Depends(require(DISPATCH))]
) -> Response:
    """Add a unit (``name``, optional ``kind``)."""
    try:
        dispatch.add_unit(auth.db, form.get("name", ""), form.get("kind"), auth.user)
        auth.db.commit()
    except (DispatchError, OperationalError) as exc:
        auth.db.rollback()
        message, status = error_text(request, exc)
        return _units_page(request, auth, error=message, status=status)
    return _see_other("/ops/units")


@router.post("/ops/units/{unit_id}/status")
def unit_status(
    request: Request, unit_id: str, form: Fields, auth: Annotated[OpsAuth, Depends(require(DISPATCH))]
) -> Response:
    """Set a unit's status by hand (``status``, optional ``note``)."""
    try:
        uid = parse_id(unit_id)
        if uid is None:
            raise UnitNotFoundError("no such unit")
        new = _enum(UnitStatus, form.get("status"), "status")
        dispatch.set_unit_status(auth.db, uid, new, auth.user, note=_note(form))
        auth.db.commit()
    except (DispatchError, BadInput, OperationalError) as exc:
        auth.db.rollback()
        message, status = error_text(request, exc)
        return _units_page(request, auth, error=message, status=status)
    return _see_other(f"/ops/units#unit-{uid}")


# --------------------------------------------------------------------------------------- dispatches


def _dispatch_page(
    request: Request, auth: OpsAuth, dispatch_id: int | None, *, error: str | None = None, status: int = 200
) -> HTMLResponse:
    db = auth.db
    row = db.get(Dispatch, dispatch_id) if dispatch_id is not None else None
    if row is None:
        return _not_found(request, auth, "dispatch", dispatch_id)
    data = {
        "page": "units",
        "dispatch": row,
        "reports": dispatch.covered_reports(db, row),
        "timeline": dispatch.timeline(db, row.id),
        "advances": dispatch.allowed_advances(row.status),
        "error": error,
    }
    return _render(request, auth, "ops/dispatch.html", data, status=status)


@router.get("/ops/dispatches/{dispatch_id}", response_class=HTMLResponse)
def dispatch_page(
    request: Request, dispatch_id: str, auth: Annotated[OpsAuth, Depends(require(VIEW_REPORTS))]
):
    """A dispatch: its unit, its reports, its timeline and the buttons that advance it."""
    return _dispatch_page(request, auth, parse_id(dispatch_id))


@router.post("/ops/dispatches")
def create_dispatch(
    request: Request, form: Fields, auth: Annotated[OpsAuth, Depends(require(DISPATCH))]
) -> Response:
    """Send unit ``unit_id`` to report ``report_id`` or to cluster ``cluster_id`` (optional ``note``)."""
    report_id = parse_id(form.get("report_id")) if form.get("report_id") else None
    cluster_id = parse_id(form.get("cluster_id")) if form.get("cluster_id") else None
    try:
        if form.get("report_id") and report_id is None:
            raise BadInput("report: not a number")
        if form.get("cluster_id") and cluster_id is None:
            raise BadInput("cluster: not a number")
        unit_id = _required_id(form, "unit_id", "unit")
        row = dispatch.dispatch(
            auth.db,
            unit_id,
            report_id=report_id,
            cluster_id=cluster_id,
            user=auth.user,
            note=_note(form),
            now=request_now(request),
        )
        auth.db.commit()
    except (DispatchError, BadInput, OperationalError) as exc:
        auth.db.rollback()
        message, status = error_text(request, exc)
        if cluster_id is not None and report_id is None:
            return _cluster_page(request, auth, cluster_id, error=message, status=status)
        if report_id is not None:
            return _report_page(request, auth, report_id, error=message, status=status)
        return _units_page(request, auth, error=message, status=status)
    return _see_other(f"/ops/dispatches/{row.id}")


@router.post("/ops/dispatches/{dispatch_id}/advance")
def advance_dispatch(
    request: Request, dispatch_id: str, form: Fields, auth: Annotated[OpsAuth, Depends(require(DISPATCH))]
) -> Response:
    """Move a dispatch on (``status``: en_route, on_scene, completed, cancelled; optional ``note``)."""
    did = parse_id(dispatch_id)
    if did is None:
        return _not_found(request, auth, "dispatch")
    try:
        new = _enum(DispatchStatus, form.get("status"), "status")
        dispatch.advance(auth.db, did, new, auth.user, request_now(request), note=_note(form))
        auth.db.commit()
    except (DispatchError, BadInput, OperationalError) as exc:
        auth.db.rollback()
        message, status = error_text(request, exc)
        return _dispatch_page(request, auth, did, error=message, status=status)
    return _see_other(f"/ops/dispatches/{did}")


# ------------------------------------------------------------------------------------------ figures

CHART_TEXT = {
    "counts": (N_("Reports received and dispatches per day"), N_("Reports received"), N_("Dispatches")),
    "times": (
        N_("Median minutes per day"),
        N_("Report to dispatch"),
        N_("Dispatch to scene"),
    ),
}


def _days(value: str) -> int:
    n = parse_id(value)
    return n if n in STATS_DAYS else 14


@router.get("/ops/stats", response_class=HTMLResponse)
def stats_page(request: Request, auth: Annotated[OpsAuth, Depends(require(VIEW_REPORTS))], days: str = "14"):
    """Per day: reports received, dispatches, median and 90th percentile time-to-dispatch and -scene."""
    n = _days(days)
    figures = dispatch.daily_figures(auth.db, days=n, tz=ops_zone(request), now=request_now(request))
    data = {"page": "stats", "figures": list(reversed(figures)), "days": n, "day_choices": STATS_DAYS}
    return _render(request, auth, "ops/stats.html", data)


@router.get("/ops/stats/{what}.svg")
def stats_chart(
    request: Request, what: str, auth: Annotated[OpsAuth, Depends(require(VIEW_REPORTS))], days: str = "14"
) -> Response:
    """The figures as an SVG chart (``counts`` or ``times``); a day without data has no bar."""
    if what not in CHART_TEXT:
        return Response("no such chart", status_code=404, media_type="text/plain", headers=NO_STORE)
    n = _days(days)
    figures = dispatch.daily_figures(auth.db, days=n, tz=ops_zone(request), now=request_now(request))
    t = _t(request)
    title, first, second = (t(s) for s in CHART_TEXT[what])
    labels = [f"{f.day:%d.%m}" for f in figures]
    if what == "counts":
        a = [f.received or None for f in figures]
        b = [f.dispatches or None for f in figures]
    else:
        a = [None if f.to_dispatch_median is None else round(f.to_dispatch_median, 1) for f in figures]
        b = [None if f.to_scene_median is None else round(f.to_scene_median, 1) for f in figures]
    top = max([v for v in a + b if v is not None], default=0)
    chart = pygal.Bar(
        title=title,
        js=[],
        style=charts.STYLE,
        width=720,
        height=300,
        explicit_size=False,
        legend_at_bottom=True,
        legend_at_bottom_columns=2,
        x_label_rotation=0 if n <= 14 else 45,
        show_minor_x_labels=n <= 31,
        x_labels_major_every=None if n <= 31 else 7,
        range=(0, max(1, top * 1.1)),
        print_values=False,
        margin=12,
        value_formatter=lambda v: f"{v:g}",
        no_data_text=t(N_("No data yet")),
    )
    chart.x_labels = labels
    chart.add(first, a)
    chart.add(second, b)
    svg = charts._render(chart)  # the public charts' script-free, deterministic rendering
    return Response(
        svg, media_type="image/svg+xml", headers={**NO_STORE, "X-Content-Type-Options": "nosniff"}
    )


# -------------------------------------------------------------------------------------------- audit

_ACTOR_TEXT = re.compile(r"^[^\x00-\x1f\x7f]{1,200}$")


@router.get("/ops/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    auth: Annotated[OpsAuth, Depends(require(READ_AUDIT))],
    entity: str = "",
    entity_id: str = "",
    actor: str = "",
    action: str = "",
    before: str = "",
) -> Response:
    """The audit log, newest first, with filters (entity, its id, actor, action) and keyset pages."""
    filters = {
        "entity": entity if entity in ENTITIES else None,
        "entity_id": entity_id.strip()[:128] if entity_id.strip() and _ACTOR_TEXT.match(entity_id) else None,
        "actor": actor.strip() if actor.strip() and _ACTOR_TEXT.match(actor) else None,
        "action": action if action in ACTIONS or (action and _ACTOR_TEXT.match(action)) else None,
    }
    before_id = parse_id(before)
    result = audit.page(auth.db, limit=AUDIT_PAGE, before_id=before_id, **filters)
    query = {k: v for k, v in filters.items() if v}
    older = None
    if result.next_before is not None:
        older = "/ops/audit?" + urlencode({**query, "before": result.next_before})
    data = {
        "page": "audit",
        "events": result.events,
        "filters": {k: v or "" for k, v in filters.items()},
        "older": older,
        "newest": "/ops/audit" + ("?" + urlencode(query) if query else ""),
        "paged": before_id is not None,
        "entities": ENTITIES,
    }
    return _render(request, auth, "ops/audit.html", data)
