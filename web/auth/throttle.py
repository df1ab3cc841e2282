"""Slowing down password guessing without locking anyone out (OWASP's progressive delays).

Failed sign-ins are counted in moving windows, by `limits`, under three keys:

- the account as typed, from that address: one address guessing at one account;
- the client address: one address guessing at many accounts;
- the account as typed, from every address: many addresses guessing at one account.

A browser that has signed in to the account before (a device cookie, see web.auth.devices) is
counted by the first alone, so neither a flood at its account nor one from its own network (a
hospital's staff share one address) holds it back.

Each key has tiers (5 a minute, 10 in 15 minutes, ...): while any tier is full, an attempt is
refused at once, without hashing anything, until the window frees, so the waits grow with the
failures. A stranger's failures fill their own address's counts and the account's count, never
the count of the coordinator's own browser or address: the coordinator still signs in. The
account is keyed as typed (hashed), known or not, so a refusal tells nothing about which
accounts exist. Counts live in memory, or in Redis when the broker is Redis, so every web
process shares them; if Redis fails, each process falls back to its own memory.

Refusing costs no thread and delays nobody else: it is a few dictionary (or Redis) look-ups.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import math
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import structlog
from limits import RateLimitItem, parse_many
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter as AsyncMovingWindow
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

log = structlog.get_logger(__name__)

CLIENT_TIERS = parse_many("30/minute;100/hour;300/day")
ACCOUNT_FROM_CLIENT_TIERS = parse_many("5/minute;10/15minutes;20/hour;50/day")
ACCOUNT_TIERS = parse_many("100/hour;300/day")
CONCURRENT_PER_CLIENT = 4  # sign-ins from one address being checked at once
# A flood's refusals are audited once a minute per address and reason, not each: 300 rows
# written for 300 refusals would make the audit trail the flood's amplifier.
AUDIT_REFUSALS = parse_many("1/minute")[0]


def account_key(email: str) -> str:
    """The account as typed, hashed: no email address is kept in memory or Redis."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Verdict:
    wait_seconds: int  # 0: go ahead
    reason: str = ""  # which count is full, for the audit trail

    @property
    def allowed(self) -> bool:
        return self.wait_seconds == 0


GO = Verdict(0)


class SignInThrottle:
    def __init__(self, redis_url: str | None = None, key_prefix: str = "") -> None:
        self.redis_url = redis_url
        self.key_prefix = f"{key_prefix}safetynet-signin"
        self._memory = MovingWindowRateLimiter(MemoryStorage())
        self._redis_limiter = self._new_redis_limiter() if redis_url else None
        self._redis_loop: int | None = None  # the event loop whose client that is
        self._in_flight: Counter[str] = Counter()

    def _tiers(
        self, client: str, account: str, trusted: bool
    ) -> list[tuple[RateLimitItem, tuple[str, ...], str]]:
        tiers: list[tuple[RateLimitItem, tuple[str, ...], str]] = [
            (item, ("account-from-client", account, client), "account_from_client")
            for item in ACCOUNT_FROM_CLIENT_TIERS
        ]
        if trusted:  # a known browser is counted on its own, whoever else fails around it
            return tiers
        tiers += [(item, ("client", client), "client") for item in CLIENT_TIERS]
        tiers += [(item, ("account", account), "account") for item in ACCOUNT_TIERS]
        return tiers

    async def check(self, client: str, account: str, *, trusted: bool) -> Verdict:
        """Whether an attempt may go ahead now, or how long to wait."""
        now = time.time()
        waits = []
        for item, keys, reason in self._tiers(client, account, trusted):
            if not await self._call("test", item, *keys):
                stats = await self._call("get_window_stats", item, *keys)
                waits.append((max(1, math.ceil(stats.reset_time - now)), reason))
        if not waits:
            return GO
        seconds, reason = max(waits)
        return Verdict(seconds, reason)

    async def failed(self, client: str, account: str, *, trusted: bool) -> None:
        for item, keys, _ in self._tiers(client, account, trusted):
            await self._call("hit", item, *keys)

    async def succeeded(self, client: str, account: str) -> None:
        """The right password from here: this address's count for the account starts again."""
        for item in ACCOUNT_FROM_CLIENT_TIERS:
            await self._call("clear", item, "account-from-client", account, client)

    def worth_auditing(self, client: str, reason: str) -> bool:
        """True for the first refusal of this address for this reason in a minute."""
        return bool(self._memory.hit(AUDIT_REFUSALS, "audited", client, reason))

    @contextmanager
    def attempt(self, client: str) -> Iterator[bool]:
        """True while fewer than CONCURRENT_PER_CLIENT attempts from `client` are in hand."""
        self._in_flight[client] += 1
        try:
            yield self._in_flight[client] <= CONCURRENT_PER_CLIENT
        finally:
            self._in_flight[client] -= 1
            if self._in_flight[client] <= 0:
                del self._in_flight[client]

    async def _call(self, method: str, *args: Any) -> Any:
        limiter = self._shared()
        if limiter is not None:
            try:
                return await getattr(limiter, method)(*args)
            except Exception as error:  # Redis down: this process's own counts, not none
                log.warning("sign_in_throttle_redis_failed", error=type(error).__name__)
        result = getattr(self._memory, method)(*args)
        return await result if inspect.isawaitable(result) else result

    def _shared(self) -> Any:
        if not self.redis_url:
            return None
        loop = id(asyncio.get_running_loop())
        if self._redis_loop != loop:
            if self._redis_loop is not None:  # another event loop (tests): a client of its own
                self._redis_limiter = self._new_redis_limiter()
            self._redis_loop = loop
        return self._redis_limiter

    def _new_redis_limiter(self) -> Any:
        # Made before any request where possible (it takes tens of milliseconds, which would
        # otherwise stall the event loop at the first sign-in); it connects on first use.
        storage = RedisStorage(
            "async+" + str(self.redis_url),
            implementation="redispy",
            key_prefix=self.key_prefix,
            socket_timeout=1,
            socket_connect_timeout=1,
        )
        return AsyncMovingWindow(storage)


def throttle_for(broker_url: str, key_prefix: str) -> SignInThrottle:
    shared = broker_url if broker_url.startswith(("redis://", "rediss://")) else None
    return SignInThrottle(shared, key_prefix)
