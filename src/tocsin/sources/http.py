"""Safe HTTP fetching shared by the network sources (Telegram web preview, feeds).

Rules, in one place:

- only ``http://`` and ``https://`` URLs (``file:``, ``ftp:``, ``javascript:``, ``data:`` … are refused with
  :class:`UnsafeURL`, a ``ValueError``); loopback / private / link-local literal addresses and ``localhost``
  are refused too unless ``allow_private=True`` (tests use ``httpx.MockTransport`` and never need it);
- redirects are followed by hand (at most ``max_redirects``) and every hop is checked by the same rule;
- a timeout on every request (default 10 s);
- a response size cap (default 5 MB), enforced while streaming: the download is aborted as soon as the cap is
  passed (or at once when ``Content-Length`` already says so) with :class:`ResponseTooLarge`;
- a ``User-Agent`` naming tocsin;
- retries with exponential backoff on 429 / 5xx and on transport errors, honouring ``Retry-After``
  (seconds or an HTTP date), with the ``sleep`` function injectable so tests never really sleep.

The ``httpx.Client`` is injectable everywhere; when none is given a short-lived one is made per call.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

import httpx

from tocsin import __version__

DEFAULT_TIMEOUT = 10.0
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
DEFAULT_RETRIES = 3
DEFAULT_BACKOFF = 1.0
MAX_RETRY_AFTER = 120.0
MAX_REDIRECTS = 5
USER_AGENT = f"tocsin/{__version__} (open civil-protection information system)"

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
ALLOWED_SCHEMES = frozenset({"http", "https"})

Sleep = Callable[[float], None]
Clock = Callable[[], float]


class FetchError(Exception):
    """A URL could not be fetched; the message says which and why."""


class UnsafeURL(FetchError, ValueError):
    """A URL this system refuses to fetch (wrong scheme, no host, private address)."""


class ResponseTooLarge(FetchError):
    """The response body passed the size cap; the download was aborted."""


class HTTPStatusError(FetchError):
    """The server answered with an error status (after any retries)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


@dataclass(slots=True)
class Response:
    """A fully read (capped) response."""

    url: str
    status: int
    headers: Mapping[str, str]
    content: bytes = b""
    redirects: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")


def check_url(url: str, *, allow_private: bool = False) -> str:
    """Return ``url`` if it may be fetched, else raise :class:`UnsafeURL` saying why."""
    if not isinstance(url, str) or not url.strip():
        raise UnsafeURL("refused URL: empty")
    url = url.strip()
    if any(ch in url for ch in "\r\n\t\x00"):
        raise UnsafeURL(f"refused URL {url!r}: contains control characters")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        shown = scheme + ":" if scheme else "no scheme"
        raise UnsafeURL(f"refused URL {url[:200]!r}: only http(s) URLs are fetched, not {shown}")
    host = (parts.hostname or "").lower()
    if not host:
        raise UnsafeURL(f"refused URL {url[:200]!r}: no host")
    if parts.username or parts.password:
        raise UnsafeURL(f"refused URL {url[:200]!r}: credentials in URLs are not allowed")
    if not allow_private and _is_private_host(host):
        raise UnsafeURL(f"refused URL {url[:200]!r}: {host} is a local or private address")
    return url


def _is_private_host(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        ip = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_unspecified


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date); None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class Pacer:
    """Keeps at least ``min_interval`` seconds between calls to :meth:`wait` (a polite rate limit)."""

    def __init__(
        self, min_interval: float = 1.0, *, sleep: Sleep = time.sleep, clock: Clock = time.monotonic
    ):
        self.min_interval = max(0.0, float(min_interval))
        self._sleep = sleep
        self._clock = clock
        self._last: float | None = None

    def wait(self) -> None:
        if self._last is not None and self.min_interval > 0:
            gap = self.min_interval - (self._clock() - self._last)
            if gap > 0:
                self._sleep(gap)
        self._last = self._clock()


def make_client(
    *, timeout: float = DEFAULT_TIMEOUT, transport: httpx.BaseTransport | None = None
) -> httpx.Client:
    """An ``httpx.Client`` with tocsin's defaults (no automatic redirects, timeout, User-Agent)."""
    return httpx.Client(
        timeout=httpx.Timeout(timeout),
        follow_redirects=False,
        headers={"User-Agent": USER_AGENT},
        transport=transport,
    )


def fetch(
    url: str,
    *,
    client: httpx.Client | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_BYTES,
    retries: int = DEFAULT_RETRIES,
    backoff: float = DEFAULT_BACKOFF,
    max_retry_after: float = MAX_RETRY_AFTER,
    max_redirects: int = MAX_REDIRECTS,
    allow_private: bool = False,
    sleep: Sleep = time.sleep,
    ok_statuses: frozenset[int] = frozenset({304}),
) -> Response:
    """GET ``url`` safely and return the whole (capped) body.

    2xx and the statuses in ``ok_statuses`` (304 by default) are returned; 429 / 5xx and transport errors
    are retried ``retries`` times with backoff ``backoff * 2**n`` (or ``Retry-After`` when the server gives
    one, capped at ``max_retry_after``); any other status raises :class:`HTTPStatusError`.
    """
    current = check_url(url, allow_private=allow_private)
    own = client is None
    cli = client if client is not None else make_client(timeout=timeout)
    send_headers = {"User-Agent": USER_AGENT, **(dict(headers) if headers else {})}
    redirects: list[str] = []
    try:
        attempt = 0
        while True:
            try:
                status, resp_headers, body, location = _get_once(
                    cli, current, send_headers, timeout=timeout, max_bytes=max_bytes
                )
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                if attempt >= retries:
                    raise FetchError(f"fetching {current}: {type(exc).__name__}: {exc}") from exc
                sleep(backoff * (2**attempt))
                attempt += 1
                continue
            if location is not None:
                if len(redirects) >= max_redirects:
                    raise FetchError(f"fetching {url}: more than {max_redirects} redirects")
                target = urljoin(current, location)
                try:
                    check_url(target, allow_private=allow_private)
                except UnsafeURL as exc:
                    raise UnsafeURL(f"{current} redirected to a refused URL: {exc}") from exc
                redirects.append(current)
                current = target
                continue
            if status in RETRY_STATUSES:
                if attempt >= retries:
                    raise HTTPStatusError(
                        f"fetching {current}: HTTP {status} after {retries} retries", status
                    )
                wait = retry_after_seconds(resp_headers.get("retry-after"))
                if wait is None:
                    wait = backoff * (2**attempt)
                sleep(min(wait, max_retry_after))
                attempt += 1
                continue
            if 200 <= status < 300 or status in ok_statuses:
                return Response(
                    url=current, status=status, headers=resp_headers, content=body, redirects=redirects
                )
            raise HTTPStatusError(f"fetching {current}: HTTP {status}", status)
    finally:
        if own:
            cli.close()


def _get_once(
    cli: httpx.Client, url: str, headers: Mapping[str, str], *, timeout: float, max_bytes: int
) -> tuple[int, dict[str, str], bytes, str | None]:
    """One GET; returns (status, headers, body, redirect location or None). Streams and caps the body."""
    with cli.stream("GET", url, headers=headers, timeout=timeout, follow_redirects=False) as resp:
        resp_headers = {k.lower(): v for k, v in resp.headers.items()}
        if resp.is_redirect and "location" in resp_headers:
            return resp.status_code, resp_headers, b"", resp_headers["location"]
        declared = resp_headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > max_bytes:
            raise ResponseTooLarge(
                f"fetching {url}: response is {int(declared)} bytes, over the {max_bytes}-byte cap"
            )
        chunks: list[bytes] = []
        total = 0
        for chunk in resp.iter_bytes():
            total += len(chunk)
            if total > max_bytes:
                raise ResponseTooLarge(f"fetching {url}: response passed the {max_bytes}-byte cap; aborted")
            chunks.append(chunk)
        return resp.status_code, resp_headers, b"".join(chunks), None
