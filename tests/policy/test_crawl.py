"""Every public route, crawled automatically, leaks nothing private about residents' reports.

The routes come from ``app.routes`` (every GET route not under ``/ops``: pages, ``/api/v1/...``, exports,
feeds, charts, ``/openapi.json``), so a route added later is crawled without touching this file. Path
parameters are filled from the seed; a parameter this file does not know how to fill FAILS the test — add it
to ``fillers`` below, so that no public route goes unchecked. Each address is requested plain and with
``?lang=ru`` / ``?lang=uk``, under several publication policies; no body or header may hold a canary, a
secret of the seed, or the exact coordinates' digits (at "exact" precision: no more than 4 decimals).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from starlette.routing import Mount

from policy.conftest import Seeded, client_for
from policy.seed import ANY_FORBIDDEN, CANARY, COARSE_FORBIDDEN, OPERATOR, ReportSeed

PARAM = re.compile(r"{([A-Za-z_][A-Za-z0-9_]*)(?::[^}]*)?}")
LANGS = (None, "ru", "uk")
MISSING_ID = 987654  # an id nothing has: the not-found path of every route is crawled too

POLICIES = {
    "default": {},
    "district+photos": {"public_location_precision": "district", "public_photos": True},
    "region+photos+no-delay": {
        "public_location_precision": "region",
        "public_photos": True,
        "publication_delay_minutes": 0,
    },
    "exact+photos+no-delay": {
        "public_location_precision": "exact",
        "public_photos": True,
        "publication_delay_minutes": 0,
    },
}


def fillers(seed: ReportSeed) -> dict[str, list[str]]:
    """Path parameter name → the values to crawl it with."""
    report_ids = [str(r.id) for r in seed.reports]
    return {
        "incident_id": [*map(str, seed.incident_ids), str(MISSING_ID)],
        "message_id": [*map(str, seed.message_ids), str(MISSING_ID)],
        "claim_id": [*map(str, seed.claim_ids), str(MISSING_ID)],
        "iso": ["RU-SMO", "UA-63", "RU", "ru-smo"],
        "what": ["incidents", "destroyed"],
        "period": ["day", "week"],
        "photo_id": [*map(str, seed.photo_ids), str(MISSING_ID)],
        "report_id": [*report_ids, str(MISSING_ID)],
        "cluster_id": [*map(str, seed.cluster_ids), str(MISSING_ID)],
        "dispatch_id": [*map(str, seed.dispatch_ids), str(MISSING_ID)],
        "unit_id": [*map(str, seed.unit_ids), str(MISSING_ID)],
        "user_id": [*map(str, seed.user_ids), str(MISSING_ID)],
        "token": [r.token for r in seed.reports] + ["no-such-token-" + "y" * 20],
        "fmt": ["csv", "jsonl", "geojson"],
        "format": ["csv", "jsonl", "geojson"],
    }


def all_routes(routes: Any) -> Iterator[Any]:
    """The app's routes, flattened: FastAPI ≥ 0.165 keeps included routers as one entry each."""
    for route in routes:
        if hasattr(route, "effective_route_contexts"):
            yield from route.effective_route_contexts()
            yield from route.effective_low_priority_routes()
        else:
            yield route


def public_get_paths(app: Any) -> list[str]:
    """Every GET route of the app that is not an operator route (static file mounts aside)."""
    paths = []
    for route in all_routes(app.routes):
        if isinstance(route, Mount):
            continue
        path = getattr(route, "path", None)
        if path is None or "GET" not in (getattr(route, "methods", None) or set()):
            continue
        if path == "/ops" or path.startswith("/ops/"):
            continue
        paths.append(path)
    return sorted(set(paths))


def addresses(path: str, fill: dict[str, list[str]]) -> Iterator[str]:
    names = PARAM.findall(path)
    unknown = [n for n in names if n not in fill]
    if unknown:
        pytest.fail(
            f"public route {path} has path parameters {unknown} that the policy crawl cannot fill: add them "
            "to fillers() in tests/policy/test_crawl.py so the route is checked for leaks",
            pytrace=False,
        )
    for values in itertools.product(*(fill[n] for n in names)):
        given = dict(zip(names, values, strict=True))
        yield PARAM.sub(lambda m, given=given: given[m.group(1)], path)


def forbidden_strings(seed: ReportSeed, precision: str) -> list[str]:
    coords = ANY_FORBIDDEN if precision == "exact" else COARSE_FORBIDDEN
    return [CANARY, OPERATOR, *coords, *seed.private_strings]


def own_view_allowed(seed: ReportSeed, address: str) -> set[str]:
    """What a resident's own receipt page (its address holds the receipt token) may show back to the token
    holder: the token itself (in the page's own links) and the report's resolved place name."""
    allowed: set[str] = set()
    for r in seed.reports:
        if r.token in address:
            allowed.add(r.token)
            if r.place_name:
                allowed.add(r.place_name)
    return allowed


def leaks(text: str, forbidden: list[str], allowed: set[str]) -> list[str]:
    for s in allowed:
        text = text.replace(s, "")
    return [s for s in forbidden if s in text]


@pytest.mark.parametrize("policy_name", list(POLICIES))
def test_no_public_route_leaks_private_report_data(seeded: Seeded, policy_name: str) -> None:
    settings = POLICIES[policy_name]
    seed = seeded.seed
    precision = settings.get("public_location_precision", "settlement")
    forbidden = forbidden_strings(seed, precision)
    fill = fillers(seed)
    problems: list[str] = []
    crawled: dict[str, int] = {}
    with client_for(seeded, **settings) as client:
        paths = public_get_paths(client.app)
        assert "/api/v1/public-reports" in paths and "/" in paths and "/openapi.json" in paths
        for path in paths:
            for address in addresses(path, fill):
                allowed = own_view_allowed(seed, address)
                for lang in LANGS:
                    response = client.get(address, params={"lang": lang} if lang else None)
                    crawled[path] = crawled.get(path, 0) + 1
                    where = f"{address}{'?lang=' + lang if lang else ''} [{response.status_code}]"
                    if response.status_code >= 500:
                        problems.append(f"{where}: server error")
                    body = response.content.decode("utf-8", errors="replace")
                    for s in leaks(body, forbidden, allowed):
                        problems.append(f"{where}: body contains {s!r}")
                    headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items() if k != "etag")
                    for s in leaks(headers, forbidden, allowed):
                        problems.append(f"{where}: headers contain {s!r}")
    assert not problems, "\n".join(problems[:50])
    # the crawl really saw the reports: the public list is not empty and every route was requested
    assert all(n >= len(LANGS) for n in crawled.values())


@pytest.mark.parametrize("policy_name", list(POLICIES))
def test_crawl_sees_exactly_the_public_reports(seeded: Seeded, policy_name: str) -> None:
    """The crawl above is not vacuous: the API lists exactly the reports the policy makes public, and their
    photo addresses (crawled above) answer only when photos are public."""
    settings = POLICIES[policy_name]
    delay = timedelta(minutes=settings.get("publication_delay_minutes", 60))
    expected = seeded.seed.public_ids(delay)
    assert expected
    with client_for(seeded, **settings) as client:
        data = client.get("/api/v1/public-reports", params={"limit": 500}).json()
        assert {f["id"] for f in data["features"]} == expected
        served = {
            p
            for p in seeded.seed.photo_ids
            if client.get(f"/api/v1/public-reports/photos/{p}").status_code == 200
        }
    if settings.get("public_photos"):
        assert served == {p for r in seeded.seed.reports if r.id in expected for p in r.photo_ids}
    else:
        assert served == set()
