"""kombu's Redis transport, made to survive a broker that dies under a working worker.

When Valkey/Redis is killed while the worker holds unacknowledged tasks (every task is acked
late, and a burst's reply waits out its countdown unacked), Celery closes the lost connection:
kombu detaches the transport (`client = None`) and then closes the channel, which tries to
restore the unacked tasks through a new connection pool built from that detached transport.
kombu 5.7.0 fails there with `AttributeError: 'NoneType' object has no attribute 'hostname'`,
an error Celery does not count as a connection loss, so the whole worker stops ("Unrecoverable
error"). The same AttributeError escapes from an ack attempted after the loss.

Here a channel whose transport is detached reports a connection error instead, which Celery and
kombu already handle: the consumer reconnects with backoff and nothing stops. The tasks it held
stay in the broker's unacked index, and Postgres is the source of truth anyway: their webhook
events stay leased until the reply is decided, and the sweeper re-enqueues them within seconds
of the lease's end (webhooks/service.py)."""

from __future__ import annotations

from typing import Any

import redis.exceptions
from kombu.transport import redis as kombu_redis


class Channel(kombu_redis.Channel):
    def _connparams(self, asynchronous: bool = False) -> Any:
        transport = self.connection
        if transport is None or transport.client is None:
            raise redis.exceptions.ConnectionError("the broker connection was closed")
        return super()._connparams(asynchronous=asynchronous)


class Transport(kombu_redis.Transport):
    Channel = Channel
