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

    # ------------------------------------------------------------ resident reports (issue 5)
    photo_dir: str = field(
        default="./tocsin-photos",
        metadata=_env(
            "TOCSIN_PHOTO_DIR",
            "Directory for residents' photos (re-encoded, metadata stripped). Keep it outside any web "
            "root: photos are served only to signed-in operators.",
        ),
    )
    max_photo_bytes: int = field(
        default=8 * 1024 * 1024,
        metadata=_env("TOCSIN_MAX_PHOTO_BYTES", "Largest photo upload accepted, in bytes (per photo)."),
    )
    max_photo_pixels: int = field(
        default=40_000_000,
        metadata=_env(
            "TOCSIN_MAX_PHOTO_PIXELS",
            "Largest photo accepted, in pixels (width × height); bigger images, and decompression bombs, "
            "are refused.",
        ),
    )
    max_report_bytes: int = field(
        default=42 * 1024 * 1024,
        metadata=_env(
            "TOCSIN_MAX_REPORT_BYTES",
            "Largest request body of a resident report (form or API, photos included), in bytes.",
        ),
    )
    report_rate_per_ip: int = field(
        default=20,
        metadata=_env(
            "TOCSIN_REPORT_RATE_PER_IP",
            "Resident reports accepted per client address per minute (mobile networks share addresses, "
            "so not too low); more get 429.",
        ),
    )
    report_rate_global: int = field(
        default=30_000,
        metadata=_env(
            "TOCSIN_REPORT_RATE_GLOBAL", "Resident reports accepted per minute in all; more get 429."
        ),
    )
    cluster_radius_m: int = field(
        default=500,
        metadata=_env(
            "TOCSIN_CLUSTER_RADIUS_M",
            "Reports of one category within this distance (metres) of a cluster's centre and within "
            "TOCSIN_CLUSTER_WINDOW_MINUTES of its reports join that cluster.",
        ),
    )
    cluster_window_minutes: int = field(
        default=120,
        metadata=_env("TOCSIN_CLUSTER_WINDOW_MINUTES", "Time window of report clustering, in minutes."),
    )
    claim_lock_minutes: int = field(
        default=10,
        metadata=_env(
            "TOCSIN_CLAIM_LOCK_MINUTES",
            "How long an operator's claim on a report lasts before another operator may take it.",
        ),
    )
    # ------------------------------------------------------------ publication policy
    public_location_precision: str = field(
        default="settlement",
        metadata=_env(
            "TOCSIN_PUBLIC_LOCATION_PRECISION",
            "How precisely the public side shows where a report was made: exact, settlement, district or "
            "region. Operators always see the exact location.",
        ),
    )
    publication_delay_minutes: int = field(
        default=60,
        metadata=_env(
            "TOCSIN_PUBLICATION_DELAY_MINUTES",
            "Reports appear on the public side only this many minutes after they were made (and only once "
            "an operator has triaged them).",
        ),
    )
    public_photos: bool = field(
        default=False,
        metadata=_env(
            "TOCSIN_PUBLIC_PHOTOS",
            "Whether residents' photos of triaged reports may ever be public. Default: never.",
        ),
    )
    # ------------------------------------------------------------ operator accounts
    ops_timezone: str = field(
        default="UTC",
        metadata=_env(
            "TOCSIN_OPS_TIMEZONE",
            "Time zone of the operators' pages and daily figures (an IANA name such as Europe/Moscow or "
            "Europe/Kyiv).",
        ),
    )
    secure_cookies: bool = field(
        default=True,
        metadata=_env(
            "TOCSIN_SECURE_COOKIES",
            "Mark the operators' session cookie Secure (sent over HTTPS only; browsers also send it to "
            "http://127.0.0.1 and localhost). Turn off only for a plain-HTTP test deployment.",
        ),
    )
    session_hours: int = field(
        default=12,
        metadata=_env("TOCSIN_SESSION_HOURS", "How long an operator stays signed in without activity."),
    )
    login_max_failures: int = field(
        default=5,
        metadata=_env(
            "TOCSIN_LOGIN_MAX_FAILURES", "Failed sign-ins in a row after which an account is locked."
        ),
    )
    lockout_minutes: int = field(
        default=15,
        metadata=_env("TOCSIN_LOCKOUT_MINUTES", "How long a locked account stays locked."),
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
