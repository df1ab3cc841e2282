"""The worker's Redis transport: a channel left over from a connection Celery closed when Redis
went away fails as a lost connection (retried, logged), never as an AttributeError that stops
the worker (issue 15: an alerts worker died for good inside kombu 5.7.0 after a Redis restart)."""

from __future__ import annotations

import os

import pytest
from kombu import Connection

from worker.redis_transport import ConnectionGone, Transport

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def a_channel_its_connection_outlived(transport: object) -> object:
    """What a lost connection leaves behind: kombu detached the transport from its connection
    (`Connection._do_close_transport`: the transport's client is None) while a channel of it,
    which had already dropped its pool, is still held by a message waiting to be acked."""
    connection = Connection(REDIS_URL, transport=transport)
    channel = connection.channel()
    channel._disconnect_pools()  # type: ignore[attr-defined]
    connection._do_close_transport()
    return channel


def test_kombus_own_channel_fails_with_the_attribute_error_that_stopped_the_worker() -> None:
    # The cause, kept as a check: when kombu fixes it, this fails and the workaround can go.
    channel = a_channel_its_connection_outlived("redis")
    with pytest.raises(AttributeError, match="hostname"):
        channel._size("alerts")  # type: ignore[attr-defined]


def test_our_channel_fails_as_a_lost_connection_which_kombu_and_celery_handle() -> None:
    channel = a_channel_its_connection_outlived(Transport)
    with pytest.raises(ConnectionGone) as raised:
        channel._size("alerts")  # type: ignore[attr-defined]
    assert isinstance(raised.value, Transport.connection_errors)


def test_our_transport_still_talks_to_redis() -> None:
    with Connection(REDIS_URL, transport=Transport) as connection:
        connection.ensure_connection(max_retries=1)
        queue = connection.SimpleQueue("safetynet-test-transport")
        queue.put({"id": 1})
        assert queue.get(timeout=2).payload == {"id": 1}
        queue.clear()
        queue.close()
