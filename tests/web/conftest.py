"""Page test fixtures: the full app from ``create_app`` on a seeded database, on SQLite and PostgreSQL.

``site`` (module scope; the page tests only read) gives a ``Site`` with a TestClient and the seed's ids.
"""

from __future__ import annotations

import secrets
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from store.conftest import ENGINES, ENV, _admin, blank_engine, engine, pg_url  # noqa: F401 (fixtures)
from tocsin.settings import Settings
from tocsin.store.engine import make_engine, upgrade
from tocsin.web.app import create_app
from web.seed import SeedInfo, seed

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # Starlette's TestClient warns about its httpx backend
    from fastapi.testclient import TestClient


@dataclass
class Site:
    client: TestClient
    info: SeedInfo
    engine_name: str


@pytest.fixture(scope="module", params=ENGINES)
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path_factory.mktemp('web') / 'tocsin.db'}")
        cleanup = None
    else:
        url = request.getfixturevalue("pg_url")
        if url is None:
            pytest.skip(f"PostgreSQL: {ENV} not set")
        schema = f"web_{secrets.token_hex(6)}"
        _admin(url, f'CREATE SCHEMA "{schema}"')
        eng = make_engine(url, connect_args={"options": f"-csearch_path={schema}"})

        def cleanup() -> None:
            _admin(url, f'DROP SCHEMA "{schema}" CASCADE')

    try:
        upgrade(eng)
        info = seed(eng)
        app = create_app(Settings(default_lang="en", max_body_bytes=1000), engine=eng)
        with TestClient(app, raise_server_exceptions=False) as client:
            yield Site(client, info, request.param)
    finally:
        eng.dispose()
        if cleanup is not None:
            cleanup()
