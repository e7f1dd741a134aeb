"""Sign-in throttling per client address, beside the per-account lockout of ``ctdx.accounts.sessions``.

The lockout stops one account's password from being guessed; it does not stop one address from trying a few
common passwords against many accounts (password spraying) or locking every account of an organisation out on
purpose. So failures are also counted per client address: after ``failures`` failed sign-ins from one address
within ``window``, every sign-in from that address, right or wrong, is refused for ``block`` with
``TooManyAttempts`` (code ``too_many_attempts``: HTTP 429 with ``Retry-After`` in the API, a message on the
sign-in page). A success does not reset the count, or an attacker could clear it with their own account.

Written here rather than taken from a rate-limiting library: those (slowapi, limits) count requests, and what
must be counted is failures, decided inside ``authenticate``. The counts live in the memory of the serving
process: a restart forgets them and each worker process counts its own, while the account lockout, kept in the
database, stays the durable control. The address is the one the server sees; behind a reverse proxy, run
``ctdx serve --proxy-headers --forwarded-allow-ips ...`` so that it trusts the proxy's forwarded address, or
every user shares the proxy's address. Addresses are never logged.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
from dataclasses import dataclass, field

from ctdx.errors import PermissionDenied, ValidationError

# How many addresses are tracked before expired entries are swept (bounds memory under a spoofing flood).
SWEEP_AT = 10_000


class TooManyAttempts(PermissionDenied):
    """Too many failed sign-ins came from this address; ``retry_after`` seconds until it may try again."""

    code = "too_many_attempts"

    def __init__(self, retry_after: int) -> None:
        minutes = max(1, math.ceil(retry_after / 60))
        super().__init__(
            f"too many failed sign-ins from this address; try again in {minutes} minute{'s' if minutes > 1 else ''}",
            retry_after=retry_after,
        )
        self.retry_after = retry_after


@dataclass
class _Count:
    started: dt.datetime
    failures: int = 0
    blocked_until: dt.datetime | None = None


@dataclass
class SignInThrottle:
    """Failed sign-ins per client address in the current process (see the module docstring)."""

    failures: int = 20
    window: dt.timedelta = dt.timedelta(minutes=10)
    block: dt.timedelta = dt.timedelta(minutes=15)
    _counts: dict[str, _Count] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        if self.failures < 1:
            raise ValidationError("the sign-in throttle needs at least one allowed failure", field="failures")
        if self.window <= dt.timedelta(0) or self.block <= dt.timedelta(0):
            raise ValidationError("the sign-in throttle's window and block must be positive", field="window")

    def check(self, address: str, now: dt.datetime) -> None:
        """``TooManyAttempts`` while ``address`` is blocked."""
        with self._lock:
            count = self._counts.get(address)
            if count is not None and count.blocked_until is not None and count.blocked_until > now:
                raise TooManyAttempts(math.ceil((count.blocked_until - now).total_seconds()))

    def failed(self, address: str, now: dt.datetime) -> None:
        """Count one failed sign-in from ``address``; the one that reaches the limit starts the block."""
        with self._lock:
            if len(self._counts) >= SWEEP_AT:
                self._sweep(now)
            count = self._counts.get(address)
            if count is None or count.started + self.window <= now:
                count = self._counts[address] = _Count(started=now)
            count.failures += 1
            if count.failures >= self.failures:
                count.blocked_until = now + self.block

    def _sweep(self, now: dt.datetime) -> None:
        expired = [
            address
            for address, c in self._counts.items()
            if c.started + self.window <= now and (c.blocked_until is None or c.blocked_until <= now)
        ]
        for address in expired:
            del self._counts[address]
