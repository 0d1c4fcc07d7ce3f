"""Rate limits: the ``RateLimiter`` itself, then per client address and global on the form and the API
(429 with ``Retry-After``; nothing stored for a refused request)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Engine, func, select

from tocsin.ratelimit import RateLimiter, RetryAfter
from tocsin.settings import Settings
from tocsin.store.engine import make_sessionmaker
from tocsin.store.models import Report

REPORT = {"category": "debris", "lat": 54.78, "lon": 32.05}


def _reports(engine: Engine) -> int:
    with make_sessionmaker(engine)() as session:
        return session.scalar(select(func.count()).select_from(Report))


def test_limiter_per_address_then_global() -> None:
    limiter = RateLimiter(per_ip=2, global_=3)
    assert limiter.hit("10.0.0.1") is None
    assert limiter.hit("10.0.0.1") is None
    refused = limiter.hit("10.0.0.1")
    assert isinstance(refused, RetryAfter) and refused.scope == "ip" and 1 <= refused.seconds <= 60
    assert limiter.hit("10.0.0.2") is None  # another address; the refused hit did not count globally
    refused = limiter.hit("10.0.0.3")
    assert refused is not None and refused.scope == "global" and 1 <= refused.seconds <= 60
    limiter.reset()
    assert limiter.hit("10.0.0.1") is None


def test_unknown_addresses_share_one_allowance() -> None:
    limiter = RateLimiter(per_ip=1, global_=100)
    assert limiter.hit(None) is None
    assert limiter.hit(None) is not None
    assert limiter.hit("") is not None


def test_limiter_from_settings() -> None:
    limiter = RateLimiter.from_settings(Settings(report_rate_per_ip=7, report_rate_global=70))
    assert (limiter.per_ip.amount, limiter.global_.amount) == (7, 70)
    with pytest.raises(ValueError):
        RateLimiter(0, 10)


def test_api_per_address_limit(make_client: Callable, engine: Engine) -> None:
    client = make_client(report_rate_per_ip=2)
    assert [client.post("/api/v1/reports", json=REPORT).status_code for _ in range(2)] == [201, 201]
    r = client.post("/api/v1/reports", json=REPORT)
    assert r.status_code == 429
    assert 1 <= int(r.headers["retry-after"]) <= 60
    assert r.json()["error"]["code"] == "too_many_requests"
    assert _reports(engine) == 2


def test_form_per_address_limit(make_client: Callable, engine: Engine) -> None:
    client = make_client(report_rate_per_ip=1)
    form = {"category": "debris", "location_text": "Вязьма"}
    assert client.post("/report", data=form, follow_redirects=False).status_code == 303
    r = client.post("/report?lang=ru", data=form, follow_redirects=False)
    assert r.status_code == 429
    assert 1 <= int(r.headers["retry-after"]) <= 60
    assert r.headers["content-type"].startswith("text/html")
    assert "112" in r.text and "Слишком много сообщений" in r.text
    assert _reports(engine) == 1


def test_global_limit_across_addresses(make_client: Callable, engine: Engine) -> None:
    first = make_client(report_rate_per_ip=100, report_rate_global=3)
    app = first.app
    from reports.conftest import TestClient

    clients = [first] + [TestClient(app, client=(f"198.51.100.{i}", 1000 + i)) for i in range(1, 4)]
    try:
        codes = [c.post("/api/v1/reports", json=REPORT).status_code for c in clients]
    finally:
        for c in clients[1:]:
            c.close()
    assert codes == [201, 201, 201, 429]
    assert _reports(engine) == 3


def test_each_address_has_its_own_allowance(make_client: Callable) -> None:
    a = make_client(report_rate_per_ip=1)
    from reports.conftest import TestClient

    b = TestClient(a.app, client=("192.0.2.99", 4000))
    try:
        assert a.post("/api/v1/reports", json=REPORT).status_code == 201
        assert a.post("/api/v1/reports", json=REPORT).status_code == 429
        assert b.post("/api/v1/reports", json=REPORT).status_code == 201
    finally:
        b.close()
