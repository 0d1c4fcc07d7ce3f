"""Rate limits for residents' reports: per client address and for the whole site, per minute.

Built on the ``limits`` package: a moving window (``MovingWindowRateLimiter``) over an in-process
``MemoryStorage`` — so the limits are per server process (``tocsin serve`` runs one). The numbers come from
``Settings.report_rate_per_ip`` (mobile networks put many people behind one address, so not too low) and
``Settings.report_rate_global`` (a flood from many addresses must not fill the operators' queue).

A hit counts every submission attempt, whatever becomes of it (refused, a honeypot, an idempotent replay):
that is what costs the server. The client address is checked first; an address over its limit does not
use up the global allowance.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from tocsin.settings import Settings

NAMESPACE = "tocsin-report"


@dataclass(frozen=True, slots=True)
class RetryAfter:
    """A refused hit: try again in ``seconds`` (≥ 1); ``scope`` is "ip" or "global"."""

    seconds: int
    scope: str


class RateLimiter:
    """Per-address and global limits (hits per minute); ``hit(ip)`` → None when allowed, else a
    ``RetryAfter``. Thread-safe (the storage locks per key)."""

    def __init__(self, per_ip: int, global_: int) -> None:
        if per_ip < 1 or global_ < 1:
            raise ValueError("rate limits must be at least 1 per minute")
        self.storage = MemoryStorage()
        self.limiter = MovingWindowRateLimiter(self.storage)
        self.per_ip = RateLimitItemPerMinute(per_ip, namespace=NAMESPACE)
        self.global_ = RateLimitItemPerMinute(global_, namespace=NAMESPACE)

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimiter:
        """The limits ``settings`` asks for (``report_rate_per_ip``, ``report_rate_global``)."""
        return cls(settings.report_rate_per_ip, settings.report_rate_global)

    def hit(self, ip: str | None) -> RetryAfter | None:
        """Count one submission from ``ip`` (None: an unknown address, limited together as one)."""
        key = ip or "unknown"
        if not self.limiter.hit(self.per_ip, "ip", key):
            return RetryAfter(self._wait(self.per_ip, "ip", key), "ip")
        if not self.limiter.hit(self.global_, "global"):
            return RetryAfter(self._wait(self.global_, "global"), "global")
        return None

    def _wait(self, item: RateLimitItemPerMinute, *identifiers: str) -> int:
        stats = self.limiter.get_window_stats(item, *identifiers)
        return max(1, math.ceil(stats.reset_time - time.time()))

    def reset(self) -> None:
        """Forget every hit (tests, or an operator lifting a block)."""
        self.storage.reset()
