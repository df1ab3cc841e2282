"""Bulk SMS paced to each sender's throughput, so the provider's queue for a sender stays short.

Twilio queues messages per sender and sends each at the sender's rate; a trust's morning batch
handed over at once would sit there for minutes, and anything else from that sender behind it.
A moving window of `per_second` sends per second per sender, shared by every worker through
Redis (the broker's), keeps bulk to the rate. Only bulk waits: alerts are never paced, but they
are counted, so bulk leaves them their room on a shared sender.

A worker waits for its turn only briefly (`max_wait`), with no transaction open; a longer wait
hands the rest of its batch back to the database, due when the sender has room.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import lru_cache

import structlog
from limits import RateLimitItem, RateLimitItemPerSecond
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import MovingWindowRateLimiter

from schema.settings import Settings

log = structlog.get_logger(__name__)

MAX_WAIT_SECONDS = 2.0


class Pacer:
    def __init__(
        self,
        storage: Storage,
        *,
        key_prefix: str = "",
        max_wait: float = MAX_WAIT_SECONDS,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._limiter = MovingWindowRateLimiter(storage)
        self._fallback = MovingWindowRateLimiter(MemoryStorage())
        self._namespace = f"{key_prefix}safetynet-pacing"
        self.max_wait = max_wait
        self._clock = clock
        self._sleep = sleep

    def wait_for_turn(self, sender: str, per_second: int) -> float | None:
        """Take a bulk send's place in the sender's second, waiting up to `max_wait` for it.
        None: send now. A number: the sender is busy for that many seconds more than
        `max_wait`; nothing was taken, and the message should wait in the database."""
        item = RateLimitItemPerSecond(per_second)
        deadline = self._clock() + self.max_wait
        while not self._hit(item, sender):
            wait = max(self._reset_time(item, sender) - self._clock(), 0.001)
            if self._clock() + wait > deadline:
                return wait
            self._sleep(wait)
        return None

    def count_urgent(self, sender: str, per_second: int) -> None:
        """An alert from a sender bulk also uses: it goes now, and takes a place if one is free."""
        self._hit(RateLimitItemPerSecond(per_second), sender)

    def _hit(self, item: RateLimitItem, sender: str) -> bool:
        try:
            return bool(self._limiter.hit(item, self._namespace, sender))
        except Exception as error:  # Redis away: pace this process alone rather than stop
            log.warning("pacing_store_unreachable", error=type(error).__name__)
            return bool(self._fallback.hit(item, self._namespace, sender))

    def _reset_time(self, item: RateLimitItem, sender: str) -> float:
        try:
            return float(self._limiter.get_window_stats(item, self._namespace, sender).reset_time)
        except Exception:
            return float(self._fallback.get_window_stats(item, self._namespace, sender).reset_time)


def pacer(settings: Settings) -> Pacer:
    """The process's pacer: on the broker's Redis when there is one, else in memory (one host)."""
    url = settings.resolved_broker_url
    return _pacer(
        url if url.startswith(("redis://", "rediss://")) else "", settings.broker_key_prefix
    )


@lru_cache(maxsize=4)
def _pacer(redis_url: str, key_prefix: str) -> Pacer:
    storage: Storage = (
        RedisStorage(
            redis_url,
            key_prefix=f"{key_prefix}LIMITS",
            socket_timeout=1,
            socket_connect_timeout=1,
        )
        if redis_url
        else MemoryStorage()
    )
    return Pacer(storage, key_prefix=key_prefix)


def reset_pacers() -> None:
    _pacer.cache_clear()
