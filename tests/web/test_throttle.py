"""The sign-in throttle's counts: shared through Redis by every web process when the broker is
Redis, kept in memory otherwise, and still kept (per process) when Redis fails."""

from __future__ import annotations

import asyncio
import os
import uuid

import redis
from starlette.types import Message, Receive, Scope, Send

from bench.harness import free_port
from tests.web.conftest import run_async
from web.auth.flood_guard import SignInFloodGuard
from web.auth.passwords import HASH_QUEUE, HashingBusy, verify_in_pool
from web.auth.throttle import (
    ACCOUNT_FROM_CLIENT_TIERS,
    CONCURRENT_PER_CLIENT,
    SignInThrottle,
    account_key,
    throttle_for,
)

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
ACCOUNT = account_key("asha@riverside.example.nhs.uk")
LIMIT = ACCOUNT_FROM_CLIENT_TIERS[0].amount


async def fail_times(throttle: SignInThrottle, n: int) -> None:
    for _ in range(n):
        await throttle.failed("203.0.113.9", ACCOUNT, trusted=False)


def test_two_web_processes_on_redis_share_one_count_of_failures() -> None:
    prefix = f"test-{uuid.uuid4().hex[:10]}:"
    first, second = throttle_for(REDIS_URL, prefix), throttle_for(REDIS_URL, prefix)

    async def scenario() -> tuple[bool, bool]:
        await fail_times(first, LIMIT - 1)
        before = (await second.check("203.0.113.9", ACCOUNT, trusted=False)).allowed
        await fail_times(first, 1)
        after = (await second.check("203.0.113.9", ACCOUNT, trusted=False)).allowed
        return before, after

    assert run_async(scenario()) == (True, False)
    client = redis.Redis.from_url(REDIS_URL)
    keys = [k.decode() for k in client.scan_iter(match=f"{prefix}*")]
    assert keys and not any("asha" in k or "riverside" in k for k in keys)  # hashed
    for key in keys:
        client.delete(key)
    client.close()


def test_without_redis_the_counts_are_kept_in_this_process_memory() -> None:
    throttle = throttle_for("filesystem://", "")
    assert throttle.redis_url is None
    run_async(fail_times(throttle, LIMIT))
    verdict = run_async(throttle.check("203.0.113.9", ACCOUNT, trusted=False))
    assert not verdict.allowed and verdict.reason == "account_from_client"
    assert run_async(throttle.check("198.51.100.7", ACCOUNT, trusted=False)).allowed


def test_when_redis_fails_each_process_still_counts_in_its_own_memory() -> None:
    throttle = throttle_for(f"redis://127.0.0.1:{free_port()}/0", "")  # nothing listens there
    run_async(fail_times(throttle, LIMIT))
    assert not run_async(throttle.check("203.0.113.9", ACCOUNT, trusted=False)).allowed


def test_sign_ins_past_the_hashing_queue_are_refused_at_once_not_queued() -> None:
    async def flood() -> list[object]:
        return await asyncio.gather(
            *(verify_in_pool(None, "a guess at a password") for _ in range(HASH_QUEUE + 10)),
            return_exceptions=True,
        )

    results = run_async(flood())
    refused = [r for r in results if isinstance(r, HashingBusy)]
    assert len(refused) == 10
    assert all(r is False for r in results if not isinstance(r, HashingBusy))


def test_more_than_four_sign_ins_at_once_from_one_address_are_refused_at_the_door() -> None:
    throttle = throttle_for("filesystem://", "")
    reached: list[str] = []

    async def scenario() -> list[int]:
        release = asyncio.Event()

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            reached.append(scope["client"][0])
            await release.wait()
            await send({"type": "http.response.start", "status": 401, "headers": []})
            await send({"type": "http.response.body", "body": b""})

        guard = SignInFloodGuard(app, lambda: throttle)

        async def attempt(client: str) -> int:
            sent: list[Message] = []

            async def send(message: Message) -> None:
                sent.append(message)

            async def receive() -> Message:
                return {"type": "http.request", "body": b"", "more_body": False}

            scope = {"type": "http", "method": "POST", "path": "/sign-in", "client": (client, 1)}
            await guard(scope, receive, send)
            return int(sent[0]["status"])

        flood = [asyncio.create_task(attempt("203.0.113.9")) for _ in range(10)]
        other = asyncio.create_task(attempt("198.51.100.7"))
        await asyncio.sleep(0.05)
        release.set()
        return [*(await asyncio.gather(*flood)), await other]

    statuses = run_async(scenario())
    assert statuses[:10].count(401) == CONCURRENT_PER_CLIENT
    assert statuses[:10].count(429) == 10 - CONCURRENT_PER_CLIENT
    assert statuses[10] == 401  # another address is not held back
    assert reached.count("203.0.113.9") == CONCURRENT_PER_CLIENT
