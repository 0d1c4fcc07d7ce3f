"""The role × route matrix: EVERY route under ``/ops`` (found in the real app, so routes added later are
picked up automatically) refuses anonymous users and the roles its ``require(...)`` does not list, and
lets the listed roles through — on SQLite and PostgreSQL.

For each route and method:

- the route must have a ``require(...)`` dependency (a callable with ``.roles``) somewhere in its
  dependency tree — a route under /ops without one fails;
- anonymous: a browser (Accept: text/html) gets 303 to /ops/login, anyone else 401;
- each role not in ``.roles``: 403 (with a valid CSRF token, so the refusal is about the role);
- each role in ``.roles``: neither 401 nor 403 (404 or 422 for made-up ids and empty forms is fine).
  Path parameters get the id of a seeded row where the name says which table (``report_id`` …), else 1.

Only the sign-in pages (login, its TOTP step, logout) are exempt.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.routing import APIRoute
from sqlalchemy import Engine

from auth.conftest import build_app
from store.conftest import ENGINES, migrated_database
from support.ops import HTML, make_user, ops_client, sign_in
from tocsin.domain import Role
from tocsin.settings import Settings
from tocsin.store.engine import session_scope
from tocsin.web.app import create_app

EXEMPT = {"/ops/login", "/ops/login/totp", "/ops/logout"}
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def required_roles(dependant: Any) -> list[frozenset[Role]]:
    """The ``.roles`` of every ``require(...)`` in a route's dependency tree."""
    found = []
    for dep in dependant.dependencies:
        roles = getattr(dep.call, "roles", None)
        if roles is not None:
            found.append(frozenset(roles))
        found.extend(required_roles(dep))
    return found


def _route_contexts(app) -> list[Any]:
    """Every route of the app with its effective path, methods and dependency tree. FastAPI ≥ 0.16x keeps
    included routers as nested objects (``app.routes`` then lists no /ops path); ``iter_route_contexts``
    flattens them. Older FastAPI: ``app.routes`` is already flat."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:
        return list(app.routes)
    found = list(iter_route_contexts(app.routes))
    low = getattr(app.router, "_iter_low_priority_routes", None)  # catch-all routes matched last
    if low is not None:
        found.extend(iter_route_contexts([r for r in low() if hasattr(r, "path")]))
    return found


def ops_routes(app) -> list[tuple[str, str, Any]]:
    """``(path, method, route)`` for every route under /ops except the sign-in pages."""
    out = []
    for route in _route_contexts(app):
        path = getattr(route, "path", None) or ""
        if not (path == "/ops" or path.startswith("/ops/")) or path in EXEMPT:
            continue
        methods = sorted(getattr(route, "methods", None) or {"GET"})
        for method in methods:
            out.append((path, method, route))
    return out


def _is_api_route(route: Any) -> bool:
    return isinstance(getattr(route, "original_route", route), APIRoute)


def _collect() -> list[tuple[str, str]]:
    app = create_app(Settings(database_url="sqlite://"))
    return [(path, method) for path, method, _ in ops_routes(app)]


ROUTES = _collect()


def test_the_matrix_sees_the_operator_routes() -> None:
    paths = {path for path, _ in ROUTES}
    assert "/ops/me" in paths
    assert len(ROUTES) >= 1


@pytest.mark.parametrize(("path", "method"), ROUTES, ids=[f"{m} {p}" for p, m in ROUTES])
def test_every_ops_route_declares_its_roles(path: str, method: str) -> None:
    app = create_app(Settings(database_url="sqlite://"))
    route = next(r for p, m, r in ops_routes(app) if (p, m) == (path, method))
    kind = type(getattr(route, "original_route", route)).__name__
    assert _is_api_route(route), f"{path} is a {kind}: not protected by require()"
    found = required_roles(route.dependant)
    assert found, f"{method} {path} has no require(...) dependency"
    assert all(found), f"{method} {path}: require() with no roles at all"


def test_the_matrix_catches_an_unprotected_route() -> None:
    """The checks above fail for a route under /ops without require(), also one on a nested router and a
    mounted app (e.g. a StaticFiles folder of photos) — proven here on a copy of the app."""
    from fastapi import APIRouter, Depends
    from starlette.staticfiles import StaticFiles

    from tocsin.web.security import DISPATCH, require

    app = create_app(Settings(database_url="sqlite://"))
    inner, outer = APIRouter(), APIRouter()
    inner.add_api_route("/leak", lambda: {"secret": 1}, methods=["GET"])
    inner.add_api_route("/fine", lambda: {}, methods=["POST"], dependencies=[Depends(require(DISPATCH))])
    outer.include_router(inner, prefix="/nested")
    app.include_router(outer, prefix="/ops")
    app.mount("/ops/files", StaticFiles(directory="."), name="files")
    found = {(p, m): r for p, m, r in ops_routes(app)}
    assert required_roles(found[("/ops/nested/leak", "GET")].dependant) == []
    assert required_roles(found[("/ops/nested/fine", "POST")].dependant) == [DISPATCH]
    assert not _is_api_route(found[("/ops/files", "GET")])


# ------------------------------------------------------------------------------------- the matrix


@dataclass
class Matrix:
    app: Any
    ids: dict[str, int]
    clients: dict[Role, Any]
    csrf: dict[Role, str]
    anonymous: Any


def _seed(engine: Engine, admin: str) -> dict[str, int]:
    """One row of each operator-side table, so path ids point at something real. Best effort: a table
    whose shape changed is skipped (its routes then see id 1 → 404, which the matrix accepts)."""
    from tocsin.domain import CATEGORY_PRIORITY, Kind, LocationSource, ReportCategory
    from tocsin.store.models import Dispatch, Incident, Report, ReportCluster, Unit, User

    ids: dict[str, int] = {}
    now = datetime.now(UTC)
    steps = {
        "incident_id": lambda: Incident(
            iso="RU-SMO",
            window_start=now - timedelta(hours=2),
            window_end=now,
            time_precision=1,
            geo_precision=3,
            kind=Kind.INTERCEPTION,
        ),
        "cluster_id": lambda: ReportCluster(
            category=ReportCategory.DEBRIS, lat=54.78, lon=32.05, first_at=now, last_at=now, size=1
        ),
        "report_id": lambda: Report(
            token_sha256=secrets.token_hex(32),
            category=ReportCategory.DEBRIS,
            priority=CATEGORY_PRIORITY[ReportCategory.DEBRIS],
            lat=54.78,
            lon=32.05,
            location_source=next(iter(LocationSource)),
            observed_at=now,
            description="matrix",
            cluster_id=ids.get("cluster_id"),
        ),
        "unit_id": lambda: Unit(name=f"Matrix crew {secrets.token_hex(3)}"),
        "dispatch_id": lambda: Dispatch(unit_id=ids["unit_id"], report_id=ids["report_id"]),
    }
    for name, make in steps.items():
        try:
            with session_scope(engine) as s:
                row = make()
                s.add(row)
                s.flush()
                ids[name] = row.id
        except Exception:  # seeding is best effort (see the docstring)
            continue
    with session_scope(engine) as s:
        from sqlalchemy import select

        ids["user_id"] = s.scalars(select(User.id).where(User.username == admin)).one()
    return ids


@pytest.fixture(scope="module", params=ENGINES)
def matrix(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Matrix]:
    with migrated_database(request, tmp_path_factory.mktemp("matrix"), "matrix") as (eng, _url):
        app = build_app(Settings(default_lang="en"), eng)
        accounts = {role: make_user(eng, role) for role in Role}
        ids = _seed(eng, accounts[Role.ADMIN][0])
        clients, csrf = {}, {}
        for role, (username, password) in accounts.items():
            client = ops_client(app, follow_redirects=False, raise_server_exceptions=False)
            csrf[role] = sign_in(client, username, password)
            clients[role] = client
        anonymous = ops_client(app, follow_redirects=False, raise_server_exceptions=False)
        yield Matrix(app, ids, clients, csrf, anonymous)
        for client in [*clients.values(), anonymous]:
            client.close()


def _url(route: Any, ids: dict[str, int]) -> str:
    values = {name: str(ids.get(name, 1)) for name in route.param_convertors}
    path = route.path_format
    for name, value in values.items():
        path = path.replace("{" + name + "}", value)
    return path


@pytest.mark.parametrize(("path", "method"), ROUTES, ids=[f"{m} {p}" for p, m in ROUTES])
def test_role_route_matrix(matrix: Matrix, path: str, method: str) -> None:
    route = next(r for p, m, r in ops_routes(matrix.app) if (p, m) == (path, method))
    assert _is_api_route(route), f"{path}: not protected by require()"
    found = required_roles(route.dependant)
    assert found, f"{method} {path} has no require(...) dependency"
    allowed = frozenset.intersection(*found)
    url = _url(route, matrix.ids)

    r = matrix.anonymous.request(method, url, headers=HTML)
    assert r.status_code == 303, f"anonymous browser {method} {url}: {r.status_code}"
    assert r.headers["location"].startswith("/ops/login"), r.headers["location"]
    r = matrix.anonymous.request(method, url, headers={"Accept": "application/json"})
    assert r.status_code == 401, f"anonymous {method} {url}: {r.status_code}"

    for role in Role:
        headers = {"X-CSRF-Token": matrix.csrf[role]} if method in UNSAFE else {}
        r = matrix.clients[role].request(method, url, headers=headers)
        if role in allowed:
            assert r.status_code not in (401, 403), f"{role} {method} {url}: {r.status_code} {r.text[:200]}"
        else:
            assert r.status_code == 403, f"{role} {method} {url}: {r.status_code} (roles {sorted(allowed)})"
            if method in UNSAFE:  # and without the token it is refused too, before anything else
                assert matrix.clients[role].request(method, url).status_code == 403
