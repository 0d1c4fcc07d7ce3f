"""Suite-wide pytest set-up (kept minimal; fixtures live next to the tests that use them)."""

from __future__ import annotations

import os


def pytest_report_header(config) -> str:
    url = os.environ.get("TOCSIN_TEST_DATABASE_URL")
    return f"tocsin databases: sqlite + {'postgresql (TOCSIN_TEST_DATABASE_URL)' if url else 'no postgresql'}"
