"""Fixtures for the residents' report tests: the store's engines (SQLite always, PostgreSQL when
``TOCSIN_TEST_DATABASE_URL`` is set), settings with a photo directory in tmp_path, the full app from
``create_app`` with a TestClient, and small builders for photos and report fields."""

from __future__ import annotations

import io
import warnings
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PIL import ExifTags, Image
from sqlalchemy import Engine

from store.conftest import ENGINES, ENV, _admin, blank_engine, engine, pg_url, session  # noqa: F401 (fixtures)
from tocsin.settings import Settings
from tocsin.web.app import create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # Starlette's TestClient warns about its httpx backend
    from fastapi.testclient import TestClient

NOW = datetime(2025, 11, 26, 9, 0, tzinfo=UTC)


def jpeg_with_metadata(size: tuple[int, int] = (64, 48), color: str = "blue") -> bytes:
    """A JPEG carrying EXIF that must never survive: camera make and model, and a GPS position."""
    img = Image.new("RGB", size, color)
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "SecretPhone"
    exif[ExifTags.Base.Model] = "Model-X1"
    exif[ExifTags.IFD.GPSInfo] = {1: "N", 2: (54.0, 46.0, 40.0), 3: "E", 4: (32.0, 2.0, 0.0)}
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif)
    return buf.getvalue()


def png(size: tuple[int, int] = (20, 10)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGBA", size, (255, 0, 0, 128)).save(buf, "PNG")
    return buf.getvalue()


def settings_for(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"photo_dir": str(tmp_path / "photos"), "default_lang": "en"}
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return settings_for(tmp_path)


@pytest.fixture
def make_client(engine: Engine, tmp_path: Path) -> Iterator[Callable[..., TestClient]]:  # noqa: F811
    """``make_client(**settings_overrides, client=("10.0.0.1", 1))`` → a TestClient on a fresh app."""
    clients: list[TestClient] = []

    def make(*, client: tuple[str, int] = ("203.0.113.7", 50000), **overrides: Any) -> TestClient:
        app = create_app(settings_for(tmp_path, **overrides), engine=engine)
        tc = TestClient(app, raise_server_exceptions=False, client=client)
        clients.append(tc)
        return tc

    yield make
    for tc in clients:
        tc.close()


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client()
