"""Operator sign-in and sign-out (``/ops/login``, ``/ops/logout``), the TOTP step, ``/ops/me``.

- ``GET /ops/login`` shows the form; ``POST /ops/login`` checks it. The form carries a CSRF token that
  must equal the short-lived cookie ``tocsin_login_csrf`` (double submit: there is no session yet).
  Every failure (unknown user, wrong password, disabled, locked) gets the same message and status, so
  the page does not tell which usernames exist or which accounts are locked.
- A user with TOTP gets a session that is NOT signed in yet (``second_factor_ok`` False, a few minutes
  long) and is sent to ``/ops/login/totp``; the right code replaces it with a new, signed-in session.
- Every sign-in makes a new session token (an old cookie — planted or stale — is useless afterwards).
- ``?next=`` is followed only to local addresses under ``/ops/`` (``tocsin.web.security.safe_next``).
- ``POST /ops/logout`` (with the session's CSRF token) ends the session and clears the cookie.
- ``GET /ops/me`` (JSON): the signed-in user and the session's CSRF token, for scripts that send
  ``X-CSRF-Token``.
"""

from __future__ import annotations

import logging
import secrets
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from tocsin.accounts import AuthError, authenticate, complete_second_factor, end_session, load_session
from tocsin.accounts import start_session as start_user_session
from tocsin.settings import Settings
from tocsin.store.models import UserSession
from tocsin.web.render import NO_STORE, render_private
from tocsin.web.security import (
    ALL_ROLES,
    CSRF_MESSAGE,
    HOME_PATH,
    LOGIN_PATH,
    SESSION_COOKIE,
    OpsAuth,
    OpsRefusal,
    clear_session_cookie,
    ops_db,
    request_now,
    require,
    safe_next,
    set_session_cookie,
    tokens_match,
)

log = logging.getLogger("tocsin.auth")

router = APIRouter(include_in_schema=False)

LOGIN_CSRF_COOKIE = "tocsin_login_csrf"
LOGIN_CSRF_MINUTES = 30
TOTP_PATH = "/ops/login/totp"
MAX_FIELD = 1024  # longest username/password/code looked at; the rest is ignored (and fails)


def N_(message: str) -> str:
    return message


FAILED = N_(
    "Sign-in failed: wrong username or password, or the account is locked after repeated failures "
    "or disabled. Wait a few minutes and try again, or ask an administrator."
)
BAD_CODE = N_("Sign-in failed: the code is wrong or has expired, or the account is locked. Try again.")
FORM_EXPIRED = N_("The form has expired or was not sent from this site. Please try again.")

Text = Annotated[str, Form()]
Db = Annotated[Session, Depends(ops_db)]
SignedIn = Annotated[OpsAuth, Depends(require(ALL_ROLES))]


def _settings(request: Request) -> Settings:
    return request.app.state.settings


def _session_token(request: Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE)


def _current(request: Request, db: Session) -> UserSession | None:
    """The browser's live session (signed in or waiting for TOTP), or None."""
    token = _session_token(request)
    if not token:
        return None
    us = load_session(db, token, settings=_settings(request), now=request_now(request))
    db.commit()
    return us


def _redirect(location: str) -> RedirectResponse:
    return RedirectResponse(location, status_code=303, headers=NO_STORE)


def _login_token(request: Request) -> str:
    """The sign-in form's CSRF token: the browser's cookie if it has a well-formed one, else a new one."""
    have = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if 32 <= len(have) <= 64 and have.isascii() and all(c.isalnum() or c in "-_" for c in have):
        return have
    return secrets.token_urlsafe(32)


def _set_login_cookie(response: Response, token: str, settings: Settings) -> None:
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=LOGIN_CSRF_MINUTES * 60,
        path=LOGIN_PATH,
        secure=settings.secure_cookies,
        httponly=True,
        samesite="strict",
    )


def _login_page(
    request: Request, *, next_url: str, username: str = "", error: str | None = None, status: int = 200
) -> HTMLResponse:
    token = _login_token(request)
    data: dict[str, Any] = {
        "page": "login",
        "login_csrf": token,
        "next_url": next_url,
        "username": username[:64],
        "error": error,
    }
    response = render_private(request, "auth/login.html", data, status=status)
    _set_login_cookie(response, token, _settings(request))
    return response


def _totp_page(
    request: Request, pending: UserSession, *, next_url: str, error: str | None = None, status: int = 200
) -> HTMLResponse:
    data = {"page": "login", "csrf_token": pending.csrf_token, "next_url": next_url, "error": error}
    return render_private(request, "auth/totp.html", data, status=status)


@router.get(LOGIN_PATH, response_class=HTMLResponse)
def login_form(request: Request, db: Db, next: str = "") -> Response:
    """The sign-in form (or straight on to ``next`` when already signed in)."""
    next_url = safe_next(next)
    us = _current(request, db)
    if us is not None and us.second_factor_ok:
        return _redirect(next_url)
    return _login_page(request, next_url=next_url)


@router.post(LOGIN_PATH, response_class=HTMLResponse)
def login(
    request: Request,
    db: Db,
    username: Text = "",
    password: Text = "",
    csrf_token: Text = "",
    next: Text = "",
) -> Response:
    """Check the sign-in form; on success a new session cookie and 303 to ``next`` (or the TOTP step)."""
    settings = _settings(request)
    next_url = safe_next(next)
    shown = username[:64]
    if not tokens_match(csrf_token, request.cookies.get(LOGIN_CSRF_COOKIE)):
        return _login_page(request, next_url=next_url, username=shown, error=FORM_EXPIRED, status=403)
    now = request_now(request)
    try:
        user = authenticate(db, username[:MAX_FIELD], password[: MAX_FIELD + 1], settings=settings, now=now)
    except AuthError as exc:
        db.commit()  # keep the failure count
        log.info("sign-in refused for %r: %s", shown, exc.reason)
        return _login_page(request, next_url=next_url, username=shown, error=FAILED, status=400)
    # No fixation: whatever session the browser had ends; the new one gets a new token.
    token = _session_token(request)
    old = load_session(db, token, settings=settings, now=now) if token else None
    if old is not None:
        end_session(db, old)
    two_step = user.totp_secret is not None
    new_token, _ = start_user_session(db, user, settings=settings, second_factor_ok=not two_step, now=now)
    db.commit()
    if two_step:
        then = "" if next_url == HOME_PATH else "?next=" + quote(next_url, safe="")
        response = _redirect(TOTP_PATH + then)
    else:
        response = _redirect(next_url)
    set_session_cookie(response, new_token, settings)
    response.delete_cookie(
        LOGIN_CSRF_COOKIE, path=LOGIN_PATH, secure=settings.secure_cookies, httponly=True, samesite="strict"
    )
    return response


@router.get(TOTP_PATH, response_class=HTMLResponse)
def totp_form(request: Request, db: Db, next: str = "") -> Response:
    """The second step: the code from the authenticator app."""
    next_url = safe_next(next)
    us = _current(request, db)
    if us is None:
        return _redirect(LOGIN_PATH)
    if us.second_factor_ok:
        return _redirect(next_url)
    return _totp_page(request, us, next_url=next_url)


@router.post(TOTP_PATH, response_class=HTMLResponse)
def totp(
    request: Request,
    db: Db,
    code: Text = "",
    csrf_token: Text = "",
    next: Text = "",
) -> Response:
    """Check the TOTP code of a pending session; on success a NEW session cookie and 303 to ``next``."""
    settings = _settings(request)
    next_url = safe_next(next)
    us = _current(request, db)
    if us is None:
        return _redirect(LOGIN_PATH)
    if us.second_factor_ok:
        return _redirect(next_url)
    if not tokens_match(csrf_token, us.csrf_token):
        return _totp_page(request, us, next_url=next_url, error=FORM_EXPIRED, status=403)
    try:
        new_token, _ = complete_second_factor(
            db, us, code[:MAX_FIELD], settings=settings, now=request_now(request)
        )
    except AuthError as exc:
        db.commit()
        log.info("TOTP refused for %r: %s", us.user.username, exc.reason)
        if exc.reason == "locked":  # the lock has ended the pending session
            response = _login_page(request, next_url=next_url, error=FAILED, status=400)
            clear_session_cookie(response, settings)
            return response
        return _totp_page(request, us, next_url=next_url, error=BAD_CODE, status=400)
    db.commit()
    response = _redirect(next_url)
    set_session_cookie(response, new_token, settings)
    return response


@router.post("/ops/logout")
def logout(request: Request, db: Db, csrf_token: Text = "") -> Response:
    """End this browser's session (also one still waiting for TOTP) and go to the sign-in page."""
    settings = _settings(request)
    us = _current(request, db)
    if us is not None:
        given = csrf_token or request.headers.get("X-CSRF-Token", "")
        if not tokens_match(given, us.csrf_token):
            raise OpsRefusal(403, CSRF_MESSAGE, code="csrf")
        end_session(db, us, actor=us.user.username)
        db.commit()
    response = _redirect(LOGIN_PATH)
    clear_session_cookie(response, settings)
    return response


@router.get("/ops/me")
def me(auth: SignedIn) -> JSONResponse:
    """The signed-in user and this session's CSRF token (send it as ``X-CSRF-Token``)."""
    user = auth.user
    body = {
        "username": user.username,
        "display_name": user.display_name,
        "role": str(user.role),
        "csrf_token": auth.csrf_token,
        "expires_at": auth.session.expires_at.isoformat(),
    }
    return JSONResponse(body, headers=NO_STORE)
