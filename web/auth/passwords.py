"""Password hashing with Argon2id (argon2-cffi), memory-hard by RFC 9106's low-memory profile.

The web app hashes in a pool of its own (`verify_in_pool`, `hash_in_pool`): one thread, at a
lower CPU priority, with a bounded queue. Argon2id takes about 0.11 s of CPU and 64 MiB; run in
Starlette's shared thread pool, 100 sign-ins at once took every thread and 2.5 GB, and webhooks
waited seconds behind them. Here a flood of sign-ins waits for this one thread, or is refused
once HASH_QUEUE are waiting, and nothing else waits at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 12
MAX_LENGTH = 256  # long enough for any passphrase, short enough that nobody hashes a megabyte


def production_hasher() -> PasswordHasher:
    """Argon2id with argon2-cffi's defaults (RFC 9106 low-memory): 64 MiB, 3 passes, 4 lanes."""
    return PasswordHasher()


_hasher = production_hasher()
# Verified against when the account does not exist, so a miss costs what a hit costs.
_DUMMY_HASH = _hasher.hash("not a password anybody has")


class WeakPassword(ValueError):
    pass


def check_strength(password: str) -> None:
    """Length is what makes a password strong (NCSC): no composition rules, just a minimum."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"a password needs at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"a password has at most {MAX_LENGTH} characters")
    if not password.strip():
        raise WeakPassword("a password cannot be only spaces")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True if the password matches. A missing hash still costs one verification."""
    if len(password) > MAX_LENGTH:
        return False
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(password_hash)


HASH_THREADS = 1  # one core's worth at most: the other is left to webhooks and pages
HASH_QUEUE = 16  # sign-ins waiting for the hashing thread before more are refused at once


class HashingBusy(RuntimeError):
    """More sign-ins are waiting for the hashing thread than HASH_QUEUE."""


def _lower_priority() -> None:
    # Linux gives each thread its own nice value: the event loop keeps its priority.
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)


_pool = ThreadPoolExecutor(
    max_workers=HASH_THREADS, thread_name_prefix="argon2", initializer=_lower_priority
)
_waiting = 0


async def _in_pool(function: object, *args: str | None) -> object:
    global _waiting
    if _waiting >= HASH_QUEUE:
        raise HashingBusy
    _waiting += 1
    try:
        return await asyncio.get_running_loop().run_in_executor(_pool, function, *args)  # type: ignore[arg-type]
    finally:
        _waiting -= 1


async def verify_in_pool(password_hash: str | None, password: str) -> bool:
    return bool(await _in_pool(verify_password, password_hash, password))


async def hash_in_pool(password: str) -> str:
    return str(await _in_pool(hash_password, password))


def waiting_for_hashing() -> int:
    return _waiting
