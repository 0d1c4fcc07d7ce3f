"""Helpers for tests of the operators' side (``/ops``): accounts, signing in, a client that sends the
Secure session cookie.

::

    from support.ops import make_user, ops_client, sign_in

    app = create_app(Settings(), engine=engine)
    with ops_client(app) as client:
        username, password = make_user(engine, Role.DISPATCHER)
        csrf = sign_in(client, username, password)
        client.post("/ops/units", data={"name": "Crew 1", "csrf_token": csrf})
        client.post("/ops/api/x", json={...}, headers={"X-CSRF-Token": csrf})

The signatures here are stable: other engineers' tests use them.
"""

from __future__ import annotations

import re
import secrets
import warnings

from sqlalchemy import Engine

from tocsin.accounts import add_user
from tocsin.domain import Role
from tocsin.store.engine import session_scope

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # Starlette's TestClient warns about its httpx backend
    from fastapi.testclient import TestClient

BASE_URL = "https://testserver"  # the session cookie is Secure: plain http would not send it back
HTML = {"Accept": "text/html"}
_CSRF_INPUT = re.compile(r'name="csrf_token"\s+value="([^"]+)"')


def make_user(
    engine: Engine, role: Role | str, username: str | None = None, *, display_name: str | None = None
) -> tuple[str, str]:
    """Create an operator account with a random strong password: ``(username, password)``."""
    name = username or f"{Role(role).value}-{secrets.token_hex(4)}"
    password = secrets.token_urlsafe(18)
    with session_scope(engine) as s:
        add_user(s, name, password, Role(role), display_name=display_name, actor="test")
    return name.strip().lower(), password


def login_csrf(client: TestClient) -> str:
    """Open the sign-in page and return its form's CSRF token (its cookie is now in the client)."""
    page = client.get("/ops/login", headers=HTML, follow_redirects=False)
    assert page.status_code == 200, f"GET /ops/login: {page.status_code} {page.text[:300]}"
    found = _CSRF_INPUT.search(page.text)
    assert found, "no csrf_token in the sign-in form"
    return found.group(1)


def sign_in(client: TestClient, username: str, password: str, *, totp_code: str | None = None) -> str:
    """Sign in through the real sign-in form (and the TOTP step if ``totp_code`` is given); return the
    session's CSRF token, for the ``csrf_token`` form field or the ``X-CSRF-Token`` header."""
    token = login_csrf(client)
    r = client.post(
        "/ops/login",
        data={"username": username, "password": password, "csrf_token": token, "next": "/ops/"},
        headers=HTML,
        follow_redirects=False,
    )
    assert r.status_code == 303, f"sign-in of {username!r} failed: {r.status_code} {r.text[:300]}"
    if totp_code is not None:
        assert r.headers["location"].startswith("/ops/login/totp"), r.headers["location"]
        page = client.get("/ops/login/totp", headers=HTML)
        found = _CSRF_INPUT.search(page.text)
        assert found, "no csrf_token in the TOTP form"
        r = client.post(
            "/ops/login/totp",
            data={"code": totp_code, "csrf_token": found.group(1)},
            headers=HTML,
            follow_redirects=False,
        )
        assert r.status_code == 303, f"TOTP step of {username!r} failed: {r.status_code} {r.text[:300]}"
    me = client.get("/ops/me")
    assert me.status_code == 200, f"GET /ops/me after sign-in: {me.status_code} {me.text[:300]}"
    return me.json()["csrf_token"]


def ops_client(app, **kwargs) -> TestClient:
    """A TestClient on ``https://testserver`` (so the Secure session cookie is sent back)."""
    kwargs.setdefault("base_url", BASE_URL)
    return TestClient(app, **kwargs)
