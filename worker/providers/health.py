"""How each SMS provider is doing, as the failover provider asks: failing (it answered 5xx or
timed out in the last `failing_seconds`, shared by every worker through Redis) or slow (Notify's
slow-delivery rule over the messages recorded in the database, read at most once a minute)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import redis
import structlog

from pathway.provider_speed import slow_providers
from schema.db import session_scope
from schema.types import utcnow

log = structlog.get_logger(__name__)

SLOW_CHECK_EVERY_SECONDS = 60.0


class ProviderHealth:
    def __init__(
        self,
        *,
        redis_url: str = "",
        key_prefix: str = "",
        failing_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        read_slow: Callable[[], set[str]] | None = None,
    ) -> None:
        self.failing_seconds = failing_seconds
        self._clock = clock
        self._namespace = f"{key_prefix}safetynet-provider-failing:"
        self._redis = (
            redis.Redis.from_url(redis_url, socket_timeout=0.5, socket_connect_timeout=0.5)
            if redis_url
            else None
        )
        self._lock = threading.Lock()
        self._failing_until: dict[str, float] = {}
        self._read_slow = read_slow or _slow_now
        self._slow: set[str] = set()
        self._slow_read_at: float | None = None

    def mark_failing(self, name: str) -> None:
        with self._lock:
            self._failing_until[name] = self._clock() + self.failing_seconds
        if self._redis is not None:
            try:
                self._redis.set(self._namespace + name, "1", px=int(self.failing_seconds * 1000))
            except redis.RedisError as error:
                log.warning("provider_health_store_unreachable", error=type(error).__name__)

    def failing(self, name: str) -> bool:
        with self._lock:
            if self._clock() < self._failing_until.get(name, 0.0):
                return True
        if self._redis is None:
            return False
        try:
            return bool(self._redis.exists(self._namespace + name))
        except redis.RedisError:
            return False  # what this process saw is all it knows

    def slow(self, name: str) -> bool:
        now = self._clock()
        with self._lock:
            stale = (
                self._slow_read_at is None or now - self._slow_read_at >= SLOW_CHECK_EVERY_SECONDS
            )
            if stale:
                self._slow_read_at = now
        if stale:
            try:
                found = self._read_slow()
            except Exception as error:  # the database away: keep the last answer
                log.warning("provider_speed_unreadable", error=type(error).__name__)
            else:
                with self._lock:
                    if found != self._slow:
                        log.warning("provider_speed_changed", slow=sorted(found))
                    self._slow = found
        with self._lock:
            return name in self._slow


def _slow_now() -> set[str]:
    with session_scope() as session:
        return slow_providers(session, now=utcnow())
