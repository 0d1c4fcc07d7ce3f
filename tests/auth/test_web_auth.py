"""Signing in and out through the real app: cookies, CSRF, lockout, TOTP, redirects, escaping, expiry."""

from __future__ import annotations

import re
from datetime import timedelta
from http.cookies import SimpleCookie
from typing import Annotated
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
from fastapi import Depends, Request
from markupsafe import escape
from sqlalchemy import Engine, select

from auth.conftest import Clock, build_app
from support.ops import HTML, login_csrf, make_user, ops_client, sign_in
from tocsin.accounts import disable_user, enrol_totp, get_user
from tocsin.domain import Role
from tocsin.settings import Settings
from tocsin.store.engine import session_scope
from tocsin.store.models import User, UserSession
from tocsin.web.security import (
    SESSION_COOKIE,
    TRIAGE,
    OpsAuth,
    render_ops,
    require,
    safe_next,
)

XSS = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
PROBE = "/ops/_probe"
PAGE = "/ops/_page"


def _add_probes(app) -> None:
    """Two routes like the operator pages: a JSON action needing TRIAGE, a page rendered by render_ops."""

    def probe(auth: Annotated[OpsAuth, Depends(require(TRIAGE))]) -> dict:
        return {"user": auth.user.username, "role": str(auth.user.role)}

    def page(request: Request, auth: Annotated[OpsAuth, Depends(require(TRIAGE))]):
        return render_ops(request, "ops/base.html", {"page": "queue"}, auth)

    app.add_api_route(PROBE, probe, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    app.add_api_route(PAGE, page, methods=["GET"])


@pytest.fixture
def app(settings: Settings, engine: Engine, clock: Clock):
    app = build_app(settings, engine, clock)
    _add_probes(app)
    return app


def set_cookies(response) -> dict[str, dict[str, str | bool]]:
    """Every Set-Cookie of a response: name → {"value", and each attribute lower-cased}."""
    out: dict[str, dict[str, str | bool]] = {}
    for header in response.headers.get_list("set-cookie"):
        jar = SimpleCookie()
        jar.load(header)
        for name, morsel in jar.items():
            attrs: dict[str, str | bool] = {"value": morsel.value}
            for key in ("path", "max-age", "samesite", "secure", "httponly", "expires"):
                if morsel[key]:
                    attrs[key] = morsel[key] if isinstance(morsel[key], str) else True
            attrs["raw"] = header
            out[name] = attrs
    return out


def session_token(response) -> str:
    return str(set_cookies(response)[SESSION_COOKIE]["value"])


def fresh(app, token: str | None = None):
    """A client with no cookies but, optionally, a given session token."""
    c = ops_client(app, follow_redirects=False)
    if token:
        c.headers["Cookie"] = f"{SESSION_COOKIE}={token}"
    return c


def post_login(client, username: str, password: str, *, next_url: str = "/ops/", token: str | None = None):
    token = login_csrf(client) if token is None else token
    return client.post(
        "/ops/login",
        data={"username": username, "password": password, "csrf_token": token, "next": next_url},
        headers=HTML,
    )


def error_text(response) -> str:
    found = re.search(r'<p class="ops-error form-error" role="alert">(.*?)</p>', response.text, re.S)
    assert found, response.text[:500]
    return found.group(1).strip()


# ---------------------------------------------------------------------------------------- the form


def test_login_page_sets_a_short_lived_csrf_cookie(client) -> None:
    r = client.get("/ops/login", headers=HTML)
    assert r.status_code == 200 and "no-store" in r.headers["cache-control"]
    cookie = set_cookies(r)["tocsin_login_csrf"]
    assert cookie["httponly"] and cookie["secure"] and str(cookie["samesite"]).lower() == "strict"
    assert cookie["path"] == "/ops/login" and 0 < int(cookie["max-age"]) <= 3600
    assert f'name="csrf_token" value="{cookie["value"]}"' in r.text
    assert '<nav class="main-nav"' not in r.text  # nobody signed in: no operator navigation
    # the same browser keeps its token (several tabs), a malformed one is replaced
    assert (
        set_cookies(client.get("/ops/login", headers=HTML))["tocsin_login_csrf"]["value"] == cookie["value"]
    )
    c = fresh(client.app)
    c.headers["Cookie"] = "tocsin_login_csrf=short"
    assert set_cookies(c.get("/ops/login"))["tocsin_login_csrf"]["value"] != "short"


@pytest.mark.parametrize("lang", ["ru", "uk", "en"])
def test_login_page_in_every_language(client, lang: str) -> None:
    r = client.get(f"/ops/login?lang={lang}", headers=HTML)
    assert r.status_code == 200 and f'<html lang="{lang}">' in r.text
    words = {"ru": "Войти", "uk": "Увійти", "en": "Sign in"}
    assert words[lang] in r.text


def test_sign_in_sets_a_strict_session_cookie(client, engine, settings: Settings) -> None:
    username, password = make_user(engine, Role.OPERATOR)
    r = post_login(client, username, password)
    assert r.status_code == 303 and r.headers["location"] == "/ops/"
    cookies = set_cookies(r)
    c = cookies[SESSION_COOKIE]
    assert c["httponly"] is True and c["secure"] is True
    assert str(c["samesite"]).lower() == "strict" and c["path"] == "/ops"
    assert int(c["max-age"]) == settings.session_hours * 3600
    assert len(str(c["value"])) >= 43
    assert int(cookies["tocsin_login_csrf"]["max-age"]) == 0  # the pre-session token is dropped
    me = client.get("/ops/me")
    assert me.status_code == 200 and me.json()["username"] == username and me.json()["role"] == "operator"
    # only the token's hash is stored
    with session_scope(engine) as s:
        stored = s.scalars(select(UserSession.token_sha256)).all()
    assert c["value"] not in stored and len(stored) == 1
    # signed in: the sign-in page sends the user on
    assert client.get("/ops/login?next=/ops/units", headers=HTML).headers["location"] == "/ops/units"


def test_session_cookie_without_secure_when_turned_off(engine) -> None:
    app = build_app(Settings(secure_cookies=False), engine)
    username, password = make_user(engine, Role.ADMIN)
    with ops_client(app, follow_redirects=False) as c:
        r = post_login(c, username, password)
        cookie = set_cookies(r)[SESSION_COOKIE]
        assert "secure" not in cookie and cookie["httponly"] is True


@pytest.mark.parametrize("case", ["missing", "wrong", "no_cookie", "other_browser"])
def test_sign_in_form_needs_its_csrf_token(client, engine, case: str) -> None:
    username, password = make_user(engine, Role.OPERATOR)
    token = login_csrf(client)
    if case == "missing":
        token = ""
    elif case == "wrong":
        token = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    elif case == "other_browser":
        token = login_csrf(fresh(client.app))
    c = fresh(client.app) if case == "no_cookie" else client
    r = post_login(c, username, password, token=token)
    assert r.status_code == 403
    assert SESSION_COOKIE not in set_cookies(r)
    assert "expired" in error_text(r)
    with session_scope(engine) as s:
        assert get_user(s, username).failed_logins == 0  # not even counted as an attempt


def test_every_failure_looks_the_same(client, engine, settings: Settings) -> None:
    username, password = make_user(engine, Role.OPERATOR)
    disabled, dpw = make_user(engine, Role.OPERATOR)
    locked, lpw = make_user(engine, Role.OPERATOR)
    with session_scope(engine) as s:
        disable_user(s, disabled)
    for _ in range(settings.login_max_failures):
        post_login(client, locked, "not the password")
    answers = []
    for name, pw in [
        ("nobody-here", password),
        (username, "not the password"),
        (disabled, dpw),
        (locked, lpw),  # right password, locked account
    ]:
        r = post_login(client, name, pw)
        assert SESSION_COOKIE not in set_cookies(r)
        answers.append((r.status_code, error_text(r)))
    assert len(set(answers)) == 1, answers
    assert answers[0][0] == 400 and "locked" in answers[0][1]


def test_lockout_expires(client, engine, clock: Clock, settings: Settings) -> None:
    username, password = make_user(engine, Role.DISPATCHER)
    for _ in range(settings.login_max_failures):
        assert post_login(client, username, "not the password").status_code == 400
    assert post_login(client, username, password).status_code == 400
    clock.advance(minutes=settings.lockout_minutes - 1)
    assert post_login(client, username, password).status_code == 400
    clock.advance(minutes=1)
    assert post_login(client, username, password).status_code == 303


def test_hostile_sign_in_input_never_breaks_the_page(client, engine) -> None:
    username, _ = make_user(engine, Role.OPERATOR)
    token = login_csrf(client)
    cases = [
        {"username": "a" * 100_000, "password": "x", "csrf_token": token},
        {"username": "\x00", "password": "\x00" * 20, "csrf_token": token},
        {"username": username, "password": "p" * 500_000, "csrf_token": token},
        {"csrf_token": token},
        {"username": ["a", "b"], "password": "x", "csrf_token": token},
    ]
    for data in cases:
        r = client.post("/ops/login", data=data, headers=HTML)
        assert r.status_code in (400, 413), (r.status_code, r.text[:200])
        assert SESSION_COOKIE not in set_cookies(r)
    odd = [
        (b"username=%ff%fe&password=%c3&csrf_token=" + token.encode(), "application/x-www-form-urlencoded"),
        (b'{"username": "x", "password": "y"}', "application/json"),
        (b"--b\r\nContent-Disposition: form-data; name=username\r\n\r\nx", "multipart/form-data; boundary=b"),
        (b"\xff" * 1000, "text/plain"),
    ]
    for body, ctype in odd:
        r = client.post("/ops/login", content=body, headers={**HTML, "Content-Type": ctype})
        assert r.status_code in (400, 403, 422), (ctype, r.status_code, r.text[:200])
        assert SESSION_COOKIE not in set_cookies(r)
    assert client.post("/ops/login", content=b"x" * 2_000_000, headers=HTML).status_code == 413


# ------------------------------------------------------------------------------- sessions and logout


def _login_with_cookie(app, username: str, password: str, session_cookie: str):
    """Sign in from a browser that already sends ``session_cookie`` (planted, or an older session)."""
    c = fresh(app)
    token = login_csrf(c)
    c.cookies.clear()
    c.headers["Cookie"] = f"{SESSION_COOKIE}={session_cookie}; tocsin_login_csrf={token}"
    return post_login(c, username, password, token=token)


def test_new_session_on_sign_in_no_fixation(client, engine, app) -> None:
    username, password = make_user(engine, Role.OPERATOR)
    first = session_token(post_login(client, username, password))
    # a cookie planted before sign-in, or an old session, is useless afterwards
    planted = "attacker-chosen-value-attacker-chosen-value-1234"
    after_planted = session_token(_login_with_cookie(app, username, password, planted))
    second = session_token(_login_with_cookie(app, username, password, first))
    assert len({first, planted, after_planted, second}) == 4
    assert fresh(app, first).get("/ops/me").status_code == 401  # ended by the sign-in that carried it
    assert fresh(app, planted).get("/ops/me").status_code == 401
    assert fresh(app, second).get("/ops/me").status_code == 200
    assert fresh(app, after_planted).get("/ops/me").status_code == 200  # another browser: unaffected
    with session_scope(engine) as s:
        assert len(s.scalars(select(UserSession)).all()) == 2


def test_logout_needs_csrf_and_invalidates_the_session(client, engine, app) -> None:
    username, password = make_user(engine, Role.EDITOR)
    csrf = sign_in(client, username, password)
    token = client.cookies.get(SESSION_COOKIE)
    other = fresh(app)
    other_csrf = sign_in(other, *make_user(engine, Role.EDITOR))
    for bad in ("", "nonsense", other_csrf):
        r = client.post("/ops/logout", data={"csrf_token": bad})
        assert r.status_code == 403 and "CSRF" in r.text
        assert client.get("/ops/me").status_code == 200
    r = client.post("/ops/logout", data={"csrf_token": csrf})
    assert r.status_code == 303 and r.headers["location"] == "/ops/login"
    cleared = set_cookies(r)[SESSION_COOKIE]
    assert cleared["value"] == "" and int(cleared["max-age"]) == 0
    assert fresh(app, token).get("/ops/me").status_code == 401
    assert fresh(app, token).get(PROBE, headers=HTML).status_code == 303
    # logging out with no session just goes to the sign-in page
    assert fresh(app).post("/ops/logout").status_code == 303


def test_sessions_expire_and_slide(client, engine, app, clock: Clock, settings: Settings) -> None:
    username, password = make_user(engine, Role.OPERATOR)
    sign_in(client, username, password)
    life = timedelta(hours=settings.session_hours)
    # active use keeps the session alive well beyond its first expiry
    for _ in range(3):
        clock.advance(seconds=life.total_seconds() - 60)
        r = client.get(PAGE, headers=HTML)
        assert r.status_code == 200
        refreshed = set_cookies(r)[SESSION_COOKIE]  # the cookie's Max-Age is renewed with the expiry
        assert int(refreshed["max-age"]) == settings.session_hours * 3600 and refreshed["httponly"]
    # no write within a minute
    with session_scope(engine) as s:
        before = s.scalars(select(UserSession.expires_at)).one()
    clock.advance(seconds=30)
    assert client.get(PROBE).status_code == 200
    assert SESSION_COOKIE not in set_cookies(client.get(PAGE))
    with session_scope(engine) as s:
        assert s.scalars(select(UserSession.expires_at)).one() == before
    # idle past the expiry: signed out, and the row is deleted
    clock.advance(seconds=life.total_seconds())
    assert client.get(PROBE).status_code == 401
    r = client.get(PAGE + "?x=1", headers=HTML)
    assert r.status_code == 303
    assert parse_qs(urlsplit(r.headers["location"]).query) == {"next": [PAGE + "?x=1"]}
    with session_scope(engine) as s:
        assert s.scalars(select(UserSession)).all() == []


def test_a_disabled_user_is_signed_out_at_once(client, engine) -> None:
    username, password = make_user(engine, Role.ADMIN)
    sign_in(client, username, password)
    with session_scope(engine) as s:
        disable_user(s, username, actor="admin")
    assert client.get(PROBE).status_code == 401


@pytest.mark.parametrize("cookie", ["", "x", "é", "a" * 5000, "%00", '"quoted"'])
def test_malformed_session_cookies_are_not_signed_in(app, cookie: str) -> None:
    c = fresh(app)
    assert c.get(PROBE, headers={"Cookie": f"{SESSION_COOKIE}={cookie}".encode()}).status_code == 401


# ---------------------------------------------------------------------------------- CSRF and roles


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_unsafe_methods_need_the_sessions_csrf_token(client, engine, app, method: str) -> None:
    csrf = sign_in(client, *make_user(engine, Role.OPERATOR))
    other_csrf = sign_in(fresh(app), *make_user(engine, Role.OPERATOR))
    refusals = [
        {},
        {"headers": {"X-CSRF-Token": "nonsense"}},
        {"headers": {"X-CSRF-Token": other_csrf}},  # another session's token
        {"data": {"csrf_token": other_csrf}},
        {"data": {"csrf_token": csrf[:-1]}},
        {"headers": {"X-CSRF-Token": ("é" * 43).encode()}},
        {"content": b"csrf_token=%ff%fe", "headers": {"Content-Type": "application/x-www-form-urlencoded"}},
        {"content": b"--x\r\nbroken", "headers": {"Content-Type": "multipart/form-data; boundary=x"}},
        {"json": {"csrf_token": csrf}},  # a JSON body is not a form: use the header
    ]
    for kwargs in refusals:
        r = client.request(method, PROBE, **kwargs)
        assert r.status_code == 403, (kwargs, r.status_code, r.text)
        assert r.json()["error"]["message"] == "CSRF token missing or wrong"
    r = client.request(method, PROBE, headers={**HTML, "X-CSRF-Token": "nope"})
    assert r.status_code == 403 and "nothing was changed" in r.text  # the HTML page for browsers
    for kwargs in (
        {"headers": {"X-CSRF-Token": csrf}},
        {"data": {"csrf_token": csrf}},
        {"files": {"photo": ("a.txt", b"x")}, "data": {"csrf_token": csrf}},
    ):
        r = client.request(method, PROBE, **kwargs)
        assert r.status_code == 200, (kwargs, r.text)
    assert client.get(PROBE).status_code == 200  # safe methods need no token


def test_wrong_role_gets_403_page_or_json(client, engine) -> None:
    csrf = sign_in(client, *make_user(engine, Role.EDITOR, display_name="Edna"))
    r = client.get(PROBE)
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    r = client.post(PROBE, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    r = client.get(PROBE, headers=HTML)
    assert r.status_code == 403 and "text/html" in r.headers["content-type"]
    assert (
        "Your role does not allow" in r.text and "Edna" in r.text and "no-store" in r.headers["cache-control"]
    )
    assert f'name="csrf_token" value="{csrf}"' in r.text  # the sign-out form still works


def test_anonymous_gets_401_or_the_sign_in_page(app) -> None:
    c = fresh(app)
    r = c.get(PROBE)
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
    r = c.get(PROBE + "?a=1&b=%3Cx%3E", headers=HTML)
    assert r.status_code == 303
    target = urlsplit(r.headers["location"])
    assert target.path == "/ops/login" and parse_qs(target.query) == {"next": [PROBE + "?a=1&b=%3Cx%3E"]}
    r = c.post(PROBE, headers=HTML)
    assert r.status_code == 303 and r.headers["location"] == "/ops/login"
    assert c.post(PROBE).status_code == 401


def test_render_ops_shows_the_navigation_of_the_role(client, engine) -> None:
    csrf = sign_in(client, *make_user(engine, Role.OPERATOR, display_name="Olga"))
    r = client.get(PAGE, headers=HTML)
    assert r.status_code == 200 and "no-store" in r.headers["cache-control"]
    assert "Olga" in r.text and "(Operator)" in r.text
    for href in ('href="/ops/"', 'href="/ops/units"', 'href="/ops/stats"', 'href="/ops/audit"'):
        assert href in r.text
    assert f'value="{csrf}"' in r.text
    r = client.get(PAGE + "?lang=ru", headers=HTML)
    assert "(Оператор)" in r.text


# --------------------------------------------------------------------------------------- redirects

HOSTILE_NEXT = [
    "//evil.com",
    "https://evil.com",
    "http://evil.com/ops/",
    "/\\evil.com",
    "/ops/../x",
    "/ops/%2e%2e/x",
    "/ops//evil.com",
    "/ops/\\evil.com",
    "///evil.com",
    "javascript:alert(1)",
    "/opsevil",
    "ops/",
    "/ops/\nLocation: https://evil.com",
    "/ops/\x00",
    "/ops/é",
    "\\\\evil.com",
    " //evil.com",
    "/ops/" + "a" * 5000,
]


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_open_redirects_are_refused(client, engine, target: str) -> None:
    assert safe_next(target) == "/ops/"
    page = client.get("/ops/login", params={"next": target}, headers=HTML)
    assert 'name="next" value="/ops/"' in page.text
    username, password = make_user(engine, Role.OPERATOR)
    r = post_login(client, username, password, next_url=target)
    assert r.status_code == 303 and r.headers["location"] == "/ops/"


def test_local_next_is_followed(client, engine) -> None:
    assert safe_next("/ops/reports/7?tab=photos") == "/ops/reports/7?tab=photos"
    assert safe_next("/ops") == "/ops"
    username, password = make_user(engine, Role.OPERATOR)
    r = post_login(client, username, password, next_url="/ops/reports/7?tab=photos")
    assert r.headers["location"] == "/ops/reports/7?tab=photos"


# ------------------------------------------------------------------------------------------ escaping


def test_xss_payloads_are_escaped(client, engine) -> None:
    r = post_login(client, XSS, "whatever password")
    assert r.status_code == 400
    assert "<script>alert(1)" not in r.text and "onerror=alert(2)>" not in r.text
    assert str(escape(XSS)) in r.text
    r = client.get("/ops/login", params={"next": '/ops/"><script>alert(1)</script>'}, headers=HTML)
    assert "<script>alert(1)" not in r.text
    username, password = make_user(engine, Role.DISPATCHER, display_name=XSS)
    sign_in(client, username, password)
    page = client.get(PAGE, headers=HTML)
    assert page.status_code == 200 and "<script>alert(1)" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


def test_pages_keep_to_the_csp_and_work_on_a_phone(client, engine) -> None:
    """No inline script or style (the CSP forbids them), a viewport meta, labelled inputs."""
    username, password, _ = _totp_user(engine, Role.EDITOR)
    pages = [client.get("/ops/login", headers=HTML)]
    post_login(client, username, password)
    pages.append(client.get("/ops/login/totp", headers=HTML))
    client.cookies.clear()
    sign_in(client, *make_user(engine, Role.EDITOR))
    pages.append(client.get(PROBE, headers=HTML))  # the 403 page
    for page in pages:
        text = page.text
        assert re.search(r"<script(?![^>]*\bsrc=)", text) is None
        assert " style=" not in text and "<style" not in text
        assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in text
        for field in re.findall(r"<input [^>]*>", text):
            if 'type="hidden"' not in field:
                assert re.search(r"<label>[^<]*\s*" + re.escape(field), text), field


# ---------------------------------------------------------------------------------------------- TOTP


def _totp_user(engine, role: Role = Role.ADMIN) -> tuple[str, str, pyotp.TOTP]:
    username, password = make_user(engine, role)
    with session_scope(engine) as s:
        secret, _ = enrol_totp(s, get_user(s, username))
    return username, password, pyotp.TOTP(secret)


def _totp_csrf(client) -> str:
    page = client.get("/ops/login/totp", headers=HTML)
    assert page.status_code == 200, page.text[:300]
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def test_totp_second_step(client, engine, app, clock: Clock) -> None:
    username, password, totp = _totp_user(engine)
    r = post_login(client, username, password, next_url="/ops/audit")
    assert r.status_code == 303 and r.headers["location"] == "/ops/login/totp?next=%2Fops%2Faudit"
    pending = session_token(r)
    # not signed in yet
    assert client.get("/ops/me").status_code == 401
    assert client.get(PROBE, headers=HTML).status_code == 303
    csrf = _totp_csrf(client)
    right = totp.at(clock.now)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    r = client.post(
        "/ops/login/totp", data={"code": right, "csrf_token": "bad", "next": "/ops/audit"}, headers=HTML
    )
    assert r.status_code == 403
    for code in (wrong, "", "abcdef", "1" * 5000, "\x00\x00\x00\x00\x00\x00"):
        r = client.post("/ops/login/totp", data={"code": code, "csrf_token": csrf}, headers=HTML)
        assert r.status_code == 400 and "code is wrong" in error_text(r)
        with session_scope(engine) as s:
            get_user(s, username).failed_logins = 0  # keep clear of the lockout (tested below)
    r = client.post(
        "/ops/login/totp", data={"code": right, "csrf_token": csrf, "next": "/ops/audit"}, headers=HTML
    )
    assert r.status_code == 303 and r.headers["location"] == "/ops/audit"
    full = session_token(r)
    assert full != pending
    assert fresh(app, pending).get("/ops/me").status_code == 401
    assert client.get("/ops/me").status_code == 200


def test_totp_expired_code_and_pending_session_lifetime(client, engine, clock: Clock) -> None:
    username, password, totp = _totp_user(engine, Role.EDITOR)
    post_login(client, username, password)
    csrf = _totp_csrf(client)
    old = totp.at(clock.now - timedelta(minutes=2))
    r = client.post("/ops/login/totp", data={"code": old, "csrf_token": csrf}, headers=HTML)
    assert r.status_code == 400
    clock.advance(minutes=6)  # the pending session has run out
    r = client.post("/ops/login/totp", data={"code": totp.at(clock.now), "csrf_token": csrf}, headers=HTML)
    assert r.status_code == 303 and r.headers["location"] == "/ops/login"
    assert client.get("/ops/me").status_code == 401


def test_totp_guessing_runs_into_the_lockout(client, engine, clock: Clock, settings: Settings) -> None:
    username, password, totp = _totp_user(engine)
    post_login(client, username, password)
    csrf = _totp_csrf(client)
    wrong = f"{(int(totp.at(clock.now)) + 500_000) % 1_000_000:06d}"
    for _ in range(settings.login_max_failures):
        r = client.post("/ops/login/totp", data={"code": wrong, "csrf_token": csrf}, headers=HTML)
    assert r.status_code == 400 and "login" in r.text
    r = client.post("/ops/login/totp", data={"code": totp.at(clock.now), "csrf_token": csrf}, headers=HTML)
    assert r.headers.get("location") == "/ops/login"  # the pending session is gone
    assert post_login(client, username, password).status_code == 400  # and the account is locked
    with session_scope(engine) as s:
        assert s.scalars(select(User.locked_until).where(User.username == username)).one() is not None
