"""Safe fetching: schemes, redirects, size cap, retries, timeouts — all over httpx.MockTransport."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from tocsin.sources import http


def client(handler) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(handler))


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://example.org/x",
        "javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "gopher://example.org/",
        "example.org/feed",
        "",
        "https://",
        "http://user:pw@example.org/",
        "http://localhost/x",
        "http://127.0.0.1/x",
        "http://[::1]/x",
        "http://10.0.0.5/x",
        "http://169.254.169.254/latest/meta-data",
        "https://example.org/\r\nHost: evil",
    ],
)
def test_refused_urls(url):
    with pytest.raises(http.UnsafeURL) as info:
        http.fetch(url, client=client(lambda r: httpx.Response(200)))
    assert "refused" in str(info.value)
    assert isinstance(info.value, ValueError)


def test_private_allowed_only_when_asked():
    assert http.check_url("http://127.0.0.1:8000/x", allow_private=True)
    assert http.check_url("HTTPS://Example.org/feed") == "HTTPS://Example.org/feed"


def test_user_agent_timeout_and_body():
    seen = []

    def handler(request):
        seen.append(request)
        return httpx.Response(200, content=b"hello")

    resp = http.fetch("https://example.org/a", client=client(handler), timeout=3.0)
    assert resp.content == b"hello" and resp.status == 200
    assert seen[0].headers["user-agent"].startswith("tocsin/")
    assert seen[0].extensions["timeout"]["read"] == 3.0


def test_size_cap_streamed_without_content_length():
    def stream():
        for _ in range(100):
            yield b"x" * 1024

    with pytest.raises(http.ResponseTooLarge) as info:
        http.fetch(
            "https://example.org/big",
            client=client(lambda r: httpx.Response(200, content=stream())),
            max_bytes=10 * 1024,
        )
    assert "10240-byte cap" in str(info.value)


def test_size_cap_by_content_length():
    resp = httpx.Response(200, content=b"x" * 6 * 1024 * 1024)
    with pytest.raises(http.ResponseTooLarge, match="over the"):
        http.fetch("https://example.org/big", client=client(lambda r: resp))


def test_default_cap_is_5mb_and_body_at_cap_passes():
    assert http.DEFAULT_MAX_BYTES == 5 * 1024 * 1024
    body = b"y" * 1000
    assert (
        http.fetch(
            "https://e.org/", client=client(lambda r: httpx.Response(200, content=body)), max_bytes=1000
        ).content
        == body
    )


def test_redirects_followed_and_checked():
    def handler(request):
        if request.url.path == "/old":
            return httpx.Response(301, headers={"Location": "/new"})
        if request.url.path == "/evil":
            return httpx.Response(302, headers={"Location": "file:///etc/passwd"})
        if request.url.path == "/loop":
            return httpx.Response(302, headers={"Location": "/loop"})
        return httpx.Response(200, content=b"ok")

    c = client(handler)
    resp = http.fetch("https://example.org/old", client=c)
    assert resp.url == "https://example.org/new" and resp.content == b"ok"
    with pytest.raises(http.UnsafeURL, match="redirected to a refused URL"):
        http.fetch("https://example.org/evil", client=c)
    with pytest.raises(http.FetchError, match="redirects"):
        http.fetch("https://example.org/loop", client=c)


def test_retry_after_seconds_and_date_and_backoff():
    responses = [
        httpx.Response(429, headers={"Retry-After": "3"}),
        httpx.Response(503),
        httpx.Response(200, content=b"done"),
    ]
    sleeps: list[float] = []
    resp = http.fetch(
        "https://example.org/", client=client(lambda r: responses.pop(0)), sleep=sleeps.append, backoff=0.25
    )
    assert resp.content == b"done"
    assert sleeps == [3.0, 0.5]
    now = datetime(2024, 9, 21, 6, 0, tzinfo=UTC)
    assert http.retry_after_seconds(format_datetime(now + timedelta(seconds=30), usegmt=True), now=now) == 30
    assert http.retry_after_seconds("soon") is None
    assert http.retry_after_seconds(None) is None


def test_retry_after_is_capped():
    responses = [httpx.Response(429, headers={"Retry-After": "86400"}), httpx.Response(200)]
    sleeps: list[float] = []
    http.fetch(
        "https://example.org/",
        client=client(lambda r: responses.pop(0)),
        sleep=sleeps.append,
        max_retry_after=5,
    )
    assert sleeps == [5]


def test_timeouts_retried_then_clear_error():
    def handler(request):
        raise httpx.ReadTimeout("timed out", request=request)

    sleeps: list[float] = []
    with pytest.raises(http.FetchError, match="ReadTimeout"):
        http.fetch("https://example.org/", client=client(handler), retries=2, sleep=sleeps.append)
    assert sleeps == [1.0, 2.0]


def test_client_errors_not_retried():
    calls = []

    def handler(request):
        calls.append(request)
        return httpx.Response(403)

    with pytest.raises(http.HTTPStatusError) as info:
        http.fetch("https://example.org/", client=client(handler), sleep=lambda s: None)
    assert info.value.status == 403 and len(calls) == 1


def test_304_returned():
    resp = http.fetch("https://example.org/", client=client(lambda r: httpx.Response(304)))
    assert resp.status == 304 and resp.content == b""


def test_pacer():
    t = [0.0]
    sleeps: list[float] = []
    pacer = http.Pacer(1.0, sleep=sleeps.append, clock=lambda: t[0])
    pacer.wait()
    t[0] = 0.4
    pacer.wait()
    t[0] = 5.0
    pacer.wait()
    assert sleeps == [pytest.approx(0.6)]


def test_make_client_defaults():
    with http.make_client(timeout=2.0) as c:
        assert c.headers["user-agent"].startswith("tocsin/")
        assert c.follow_redirects is False
        assert c.timeout.read == 2.0
