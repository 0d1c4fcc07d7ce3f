"""Who may use an operator page: sessions, roles and CSRF for every route under ``/ops``.

Every operator route declares what it needs with one dependency::

    @router.post("/ops/reports/{report_id}/triage")
    def triage(report_id: int, auth: OpsAuth = Depends(require(TRIAGE))) -> Response: ...

``require(roles)`` answers for the route when the caller may not use it:

- no valid session (no, unknown, malformed or expired cookie; disabled user; TOTP code still missing):
  a browser (``Accept`` has ``text/html``) is sent to ``/ops/login?next=<path>`` (303), anyone else gets
  401 JSON;
- a role that is not in ``roles``: 403 (an HTML page for browsers once ``install(app)`` has run, else JSON);
- POST, PUT, PATCH, DELETE without the session's CSRF token (form field ``csrf_token`` or header
  ``X-CSRF-Token``): 403 "CSRF token missing or wrong".

The capabilities below (``VIEW_REPORTS``, ``TRIAGE`` …) are the only place that says which role may do
what. ``render_ops`` renders an operator page with the signed-in user, the CSRF token and the navigation
that user's role may see.
"""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote, unquote, urlencode, urlsplit

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException

from tocsin.accounts import load_session
from tocsin.domain import Role
from tocsin.settings import Settings
from tocsin.store.models import User, UserSession
from tocsin.web.errors import error_response
from tocsin.web.render import NO_STORE, render_private

SESSION_COOKIE = "tocsin_ops"
COOKIE_PATH = "/ops"
LOGIN_PATH = "/ops/login"
HOME_PATH = "/ops/"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_MESSAGE = "CSRF token missing or wrong"
MAX_NEXT = 2000  # longest ?next= kept


def N_(message: str) -> str:
    """Marks a string for the auth catalog; translated where it is shown (``t()`` in templates)."""
    return message


ROLE_LABELS: dict[Role, str] = {
    Role.OPERATOR: N_("Operator"),
    Role.DISPATCHER: N_("Dispatcher"),
    Role.EDITOR: N_("Editor"),
    Role.ADMIN: N_("Administrator"),
}

# ------------------------------------------------------------------------- capability → roles
ALL_ROLES = frozenset(Role)
VIEW_REPORTS = frozenset({Role.OPERATOR, Role.DISPATCHER, Role.EDITOR, Role.ADMIN})
TRIAGE = frozenset({Role.OPERATOR, Role.DISPATCHER, Role.ADMIN})
DISPATCH = frozenset({Role.DISPATCHER, Role.ADMIN})
LINK_INCIDENT = frozenset({Role.OPERATOR, Role.DISPATCHER, Role.EDITOR, Role.ADMIN})
READ_AUDIT = frozenset({Role.OPERATOR, Role.DISPATCHER, Role.EDITOR, Role.ADMIN})
ADMIN = frozenset({Role.ADMIN})

OPS_NAV: list[tuple[str, str, str, frozenset[Role]]] = [
    ("queue", "/ops/", N_("Queue"), VIEW_REPORTS),
    ("units", "/ops/units", N_("Units"), VIEW_REPORTS),
    ("stats", "/ops/stats", N_("Figures"), VIEW_REPORTS),
    ("audit", "/ops/audit", N_("Audit log"), READ_AUDIT),
]


def nav_for(role: Role | str) -> list[tuple[str, str, str]]:
    """The ``(key, href, label)`` entries of ``OPS_NAV`` that ``role`` may see."""
    r = Role(role)
    return [(key, href, label) for key, href, label, roles in OPS_NAV if r in roles]


@dataclass(frozen=True)
class OpsUser:
    """What templates see of the signed-in user (never the hash or the TOTP secret)."""

    id: int
    username: str
    display_name: str | None
    role: Role
    role_label: str

    @classmethod
    def of(cls, user: User) -> OpsUser:
        role = Role(user.role)
        return cls(user.id, user.username, user.display_name, role, ROLE_LABELS[role])


@dataclass
class OpsAuth:
    """The signed-in operator of one request (what ``require`` gives the route)."""

    user: User  # tocsin.store.models.User
    session: UserSession
    csrf_token: str
    db: Session  # the request's SQLAlchemy session (routes may use it; committed by the route)


# ----------------------------------------------------------------------------------------- helpers


def request_now(request: Request) -> datetime:
    """Now, or ``app.state.clock()`` when a test has set one."""
    clock: Callable[[], datetime] | None = getattr(request.app.state, "clock", None)
    return clock() if clock else datetime.now(UTC)


def wants_html(request: Request) -> bool:
    """A browser asking for a page (``Accept`` has ``text/html``)."""
    return "text/html" in request.headers.get("accept", "")


def safe_next(value: str | None, default: str = HOME_PATH) -> str:
    """``value`` if it is a local operator address (``/ops`` or under ``/ops/``), else ``default``.

    Refuses anything that a browser could take to another site or outside ``/ops``: a scheme or host
    (``https://evil.com``, ``//evil.com``), backslashes (``/\\evil.com``), ``//`` anywhere, ``.``/``..``
    segments (also percent-encoded), control characters and non-ASCII.
    """
    if not value or not isinstance(value, str) or len(value) > MAX_NEXT:
        return default
    if not value.isascii() or any(ord(c) < 33 or ord(c) == 127 for c in value) or "\\" in value:
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return default
    path = parts.path
    if path != COOKIE_PATH and not path.startswith(COOKIE_PATH + "/"):
        return default
    decoded = unquote(path)
    if "//" in decoded or "\\" in decoded or not decoded.isascii():
        return default
    if any(seg in (".", "..") for seg in decoded.split("/")):
        return default
    return path + (f"?{parts.query}" if parts.query else "")


def login_url(request: Request) -> str:
    """``/ops/login?next=…`` back to this page (a GET's path and query; other methods go to /ops/)."""
    if request.method not in ("GET", "HEAD"):
        return LOGIN_PATH
    here = quote(request.url.path, safe="/")
    if request.url.query:
        here += "?" + request.url.query
    nxt = safe_next(here, default="")
    return f"{LOGIN_PATH}?{urlencode({'next': nxt})}" if nxt and nxt != HOME_PATH else LOGIN_PATH


def set_session_cookie(response: Response, token: str, settings: Settings) -> None:
    """The session cookie: HttpOnly, SameSite=Strict, Path=/ops, Secure per settings, Max-Age per
    ``session_hours``."""
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_hours * 3600,
        path=COOKIE_PATH,
        secure=settings.secure_cookies,
        httponly=True,
        samesite="strict",
    )


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path=COOKIE_PATH, secure=settings.secure_cookies, httponly=True, samesite="strict"
    )


def tokens_match(given: str | None, expected: str | None) -> bool:
    """Constant-time comparison of a submitted token with the expected one (False if either is missing)."""
    if not given or not expected or not isinstance(given, str):
        return False
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"), expected.encode("utf-8"))


# ------------------------------------------------------------------------------------------ refusals


class OpsRefusal(StarletteHTTPException):
    """``require`` refusing a request: 303 to the sign-in page, 401 or 403. Without ``install(app)`` the
    app's JSON error handler answers it (same status and Location); with it, browsers get an HTML page."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str,
        location: str | None = None,
        auth: OpsAuth | None = None,
    ) -> None:
        headers = {**NO_STORE}
        if location:
            headers["Location"] = location
        super().__init__(status_code=status, detail=message, headers=headers)
        self.code = code
        self.details: list[Any] = []
        self.location = location
        self.auth = auth


def _not_signed_in(request: Request) -> OpsRefusal:
    if wants_html(request):
        return OpsRefusal(303, "sign in first", code="sign_in", location=login_url(request))
    return OpsRefusal(401, "sign in first", code="unauthorized")


async def _refusal_response(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, OpsRefusal)
    if exc.location:
        return RedirectResponse(exc.location, status_code=303, headers=NO_STORE)
    if exc.status_code == 403 and wants_html(request) and hasattr(request.app.state, "pages"):
        data = {"page": "forbidden", "reason": exc.code}
        if exc.auth is not None:
            return render_ops(request, "auth/forbidden.html", data, exc.auth, status=403)
        return render_private(request, "auth/forbidden.html", data, status=403)
    return error_response(exc.status_code, str(exc.detail), exc.code, headers=NO_STORE)


def install(app: FastAPI) -> None:
    """Answer ``require``'s refusals with redirects and HTML pages for browsers (JSON for the rest).
    Idempotent; call in ``create_app`` (registration order does not matter: the handler is for the
    ``OpsRefusal`` class, which Starlette prefers over its base class)."""
    if OpsRefusal not in app.exception_handlers:
        app.add_exception_handler(OpsRefusal, _refusal_response)


# --------------------------------------------------------------------------------------- dependency


def ops_db(request: Request) -> Iterator[Session]:
    """The request's SQLAlchemy session (one per request, shared by every dependency that asks),
    closed — uncommitted changes rolled back — after the request."""
    with request.app.state.sessionmaker() as db:
        yield db


async def submitted_csrf(request: Request) -> AsyncIterator[str | None]:
    """The CSRF token an unsafe request carries: header ``X-CSRF-Token``, else the form field
    ``csrf_token`` (urlencoded or multipart body). None for safe methods or when there is none."""
    if request.method not in UNSAFE_METHODS:
        yield None
        return
    header = request.headers.get(CSRF_HEADER)
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if header or ctype not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        yield header or None
        return
    try:
        form = await request.form()  # cached on the request: the route reads the same form
    except Exception:  # a malformed body carries no token; the route reports the body itself
        yield None
        return
    try:
        value = form.get(CSRF_FIELD)
        yield value if isinstance(value, str) else None
    finally:
        await form.close()  # uploaded files' temporary files (closing twice is harmless)


def require(roles: frozenset[Role]) -> Callable[..., Any]:
    """A FastAPI dependency giving the route an :class:`OpsAuth` when the signed-in user's role is in
    ``roles`` (and, for unsafe methods, the CSRF token is right); see the module docstring for the
    refusals. The returned callable has ``.roles``, so tests can enumerate every route's roles.

    Also slides the session's expiry (``Settings.session_hours``), at most once a minute.
    """
    allowed = frozenset(Role(r) for r in roles)

    def dependency(
        request: Request,
        db: Annotated[Session, Depends(ops_db)],
        submitted: Annotated[str | None, Depends(submitted_csrf)],
    ) -> OpsAuth:
        settings: Settings = request.app.state.settings
        now = request_now(request)
        token = request.cookies.get(SESSION_COOKIE)
        us = load_session(db, token, settings=settings, now=now) if token else None
        if us is None or not us.second_factor_ok:
            if token:
                db.commit()  # an expired session found here has been deleted
            raise _not_signed_in(request)
        if us.last_seen_at == now:  # load_session slid the expiry just now
            db.commit()
            request.state.ops_session_token = token  # render_ops renews the cookie's Max-Age
        auth = OpsAuth(user=us.user, session=us, csrf_token=us.csrf_token, db=db)
        if Role(us.user.role) not in allowed:
            raise OpsRefusal(403, "your role may not do this", code="forbidden", auth=auth)
        if request.method in UNSAFE_METHODS and not tokens_match(submitted, us.csrf_token):
            raise OpsRefusal(403, CSRF_MESSAGE, code="csrf", auth=auth)
        return auth

    dependency.roles = allowed  # type: ignore[attr-defined]
    dependency.__name__ = "require_" + "_".join(sorted(r.value for r in allowed))
    return dependency


# ---------------------------------------------------------------------------------------- rendering


def render_ops(
    request: Request, template: str, data: dict[str, Any], auth: OpsAuth, *, status: int = 200
) -> HTMLResponse:
    """``render_private`` plus ``user`` (an :class:`OpsUser`, with ``role_label``), ``csrf_token`` and
    ``ops_nav`` (the ``OPS_NAV`` entries the user's role may see)."""
    user = OpsUser.of(auth.user)
    extra = {"user": user, "csrf_token": auth.csrf_token, "ops_nav": nav_for(user.role)}
    response = render_private(request, template, {**data, **extra}, status=status)
    token = getattr(request.state, "ops_session_token", None)
    if token:
        set_session_cookie(response, token, request.app.state.settings)
    return response
