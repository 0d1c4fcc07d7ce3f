"""Page test fixtures: the full app from ``create_app`` on a seeded database, on SQLite and PostgreSQL.

``site`` (module scope; the page tests only read) gives a ``Site`` with a TestClient and the seed's ids.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from store.conftest import (  # noqa: F401 (fixtures)
    ENGINES,
    ENV,
    _admin,
    blank_engine,
    engine,
    migrated_database,
    pg_url,
)
from tocsin.settings import Settings
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
    with migrated_database(request, tmp_path_factory.mktemp("web"), "web") as (eng, _url):
        info = seed(eng)
        app = create_app(Settings(default_lang="en", max_body_bytes=1000), engine=eng)
        with TestClient(app, raise_server_exceptions=False) as client:
            yield Site(client, info, request.param)
