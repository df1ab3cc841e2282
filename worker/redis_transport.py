"""kombu's Redis and Sentinel transports, with a channel that outlived its connection failing
as a lost connection rather than killing the worker.

The cause (kombu 5.7.0, `kombu/transport/redis.py`): when Redis goes away, Celery's consumer
collects and closes its broker connection, and `Connection._do_close_transport` sets the
transport's `client` to None. A channel of that connection can still be asked to act after
that: an acks-late task finishing acks (or a lost one requeues) its message on the channel it
came from, and a closed channel has already dropped its pool. Making a new pool reads
`self.connection.client.hostname` in `Channel._connparams`, and with `client` None that is
`AttributeError: 'NoneType' object has no attribute 'hostname'`. An AttributeError is not one
of the transport's connection errors, so nothing retries it: it reaches the worker's event loop,
and the worker stops for good (compose restarts it, but every task it held waits for the
visibility timeout).

Raised as `redis.ConnectionError` instead, it is what it is, a message whose connection is
gone: kombu logs "Couldn't ack" and Celery carries on with its new connection. Losing that ack
loses nothing here: the database holds every message, and a task is safe to run twice.
"""

from __future__ import annotations

from typing import Any

from kombu.transport import redis as kombu_redis
from redis.exceptions import ConnectionError as RedisConnectionError


class ConnectionGone(RedisConnectionError):
    """The broker connection this channel belonged to was closed (Redis went away)."""


def _check_attached(channel: Any) -> None:
    transport = channel.connection
    if transport is None or transport.client is None:
        raise ConnectionGone("the broker connection of this channel is closed")


class Channel(kombu_redis.Channel):
    def _connparams(self, asynchronous: bool = False) -> Any:
        _check_attached(self)
        return super()._connparams(asynchronous=asynchronous)


class SentinelChannel(kombu_redis.SentinelChannel):
    def _connparams(self, asynchronous: bool = False) -> Any:
        _check_attached(self)
        return super()._connparams(asynchronous=asynchronous)


class Transport(kombu_redis.Transport):
    Channel = Channel


class SentinelTransport(kombu_redis.SentinelTransport):
    Channel = SentinelChannel


# The transport for each broker URL scheme that has one of ours; any other keeps kombu's.
TRANSPORTS = {
    "redis": "worker.redis_transport:Transport",
    "sentinel": "worker.redis_transport:SentinelTransport",
}
