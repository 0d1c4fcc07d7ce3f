"""One ``Settings`` object for the whole deployment, read from ``TOCSIN_*`` environment variables.

Every field is declared once here, with its environment variable, type, default and meaning. To add a
setting, add a field with ``metadata=_env("TOCSIN_NAME", "what it means")``; ``from_env`` picks it up.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields
from typing import Any

DEFAULT_DATABASE_URL = "sqlite:///./tocsin.db"


def _env(name: str, doc: str) -> dict[str, str]:
    return {"env": name, "doc": doc}


class SettingsError(ValueError):
    """An environment variable holds a value that cannot be read (the message names it)."""


@dataclass(frozen=True, slots=True)
class Settings:
    """The deployment's configuration. Build it with ``Settings.from_env()`` or directly in tests."""

    database_url: str = field(
        default=DEFAULT_DATABASE_URL,
        metadata=_env(
            "TOCSIN_DATABASE_URL",
            "SQLAlchemy URL of the database. Default: the SQLite file ./tocsin.db in the working "
            "directory. Production: postgresql+psycopg://user@host:5432/dbname.",
        ),
    )
    tile_url: str = field(
        default="",
        metadata=_env(
            "TOCSIN_TILE_URL",
            "Map tile URL template for the public map, e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png "
            "(only with the tile operator's permission). Default: none — the map shows region markers "
            "without a background, and no request leaves the site.",
        ),
    )
    tile_attribution: str = field(
        default="",
        metadata=_env(
            "TOCSIN_TILE_ATTRIBUTION",
            "Plain-text attribution shown with the tiles, e.g. '© OpenStreetMap contributors'. Required by "
            "most tile operators; when TOCSIN_TILE_URL is an openstreetmap.org URL and this is empty, the "
            "OpenStreetMap attribution is used.",
        ),
    )
    default_lang: str = field(
        default="en",
        metadata=_env(
            "TOCSIN_DEFAULT_LANG",
            "Language of the public pages when neither ?lang=, the language cookie nor the browser's "
            "Accept-Language picks one of ru, uk, en.",
        ),
    )
    max_body_bytes: int = field(
        default=1_048_576,
        metadata=_env(
            "TOCSIN_MAX_BODY_BYTES",
            "Largest request body the web app accepts, in bytes; bigger requests get 413.",
        ),
    )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read every field from its ``TOCSIN_*`` variable; unset or empty variables keep the default."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            name = f.metadata["env"]
            raw = env.get(name, "").strip()
            if not raw:
                continue
            values[f.name] = _convert(name, raw, f.type if f.default is MISSING else type(f.default))
        return cls(**values)

    @classmethod
    def describe(cls) -> list[tuple[str, str, str]]:
        """``(env var, default, meaning)`` for each setting — for docs and ``--help``."""
        return [(f.metadata["env"], repr(f.default), f.metadata["doc"]) for f in fields(cls)]


def _convert(name: str, raw: str, kind: Any) -> Any:
    if kind is bool:
        low = raw.lower()
        if low in {"1", "true", "yes", "on"}:
            return True
        if low in {"0", "false", "no", "off"}:
            return False
        raise SettingsError(f"{name}={raw!r}: expected a boolean (true/false, 1/0, yes/no, on/off)")
    if kind is int or kind is float:
        try:
            return kind(raw)
        except ValueError:
            raise SettingsError(f"{name}={raw!r}: expected a number") from None
    return raw
