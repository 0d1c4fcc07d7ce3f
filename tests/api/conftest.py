"""API test fixtures: a minimal FastAPI app wired exactly as ``create_app`` wires the API (sessionmaker on
``app.state``, ``include_router(api.router)``, ``install_error_handlers``), on SQLite and PostgreSQL.

- ``seeded`` / ``client`` (module scope, read-only tests): one seeded database per engine and module;
- ``fresh_client`` (function scope, for tests that write): the store's migrated ``engine`` fixture, seeded.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from api.seed import SeedInfo, seed
from store.conftest import (  # noqa: F401 (fixtures)
    ENGINES,
    ENV,
    _admin,
    blank_engine,
    engine,
    migrated_database,
    pg_url,
)
from tocsin.store.engine import make_sessionmaker
from tocsin.web.errors import install_error_handlers
from tocsin.web.routes import api as api_routes

with warnings.catch_warnings():
    # Starlette >= 1.x warns that its TestClient's httpx backend is deprecated (in favour of httpx2);
    # the client still works, and the warning is about the test tool, not about tocsin.
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


def make_app(sm: sessionmaker[Session]) -> FastAPI:
    app = FastAPI(title="tocsin test app")
    app.state.sessionmaker = sm
    app.include_router(api_routes.router)
    install_error_handlers(app)
    return app


@dataclass
class Seeded:
    engine: Engine
    sessionmaker: sessionmaker[Session]
    info: SeedInfo
    name: str


@pytest.fixture(scope="module", params=ENGINES)
def seeded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    """A migrated, seeded database on each engine, shared by the tests of one module (they only read)."""
    with migrated_database(request, tmp_path_factory.mktemp("api"), "api") as (eng, _url):
        info = seed(eng)
        yield Seeded(eng, make_sessionmaker(eng), info, request.param)


@pytest.fixture(scope="module")
def client(seeded: Seeded) -> Iterator[TestClient]:
    with TestClient(make_app(seeded.sessionmaker), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def fresh_client(engine: Engine) -> Iterator[tuple[TestClient, Engine]]:  # noqa: F811 (store fixture)
    """A client on a freshly seeded database of its own (for tests that change data)."""
    seed(engine)
    with TestClient(make_app(make_sessionmaker(engine)), raise_server_exceptions=False) as c:
        yield c, engine
