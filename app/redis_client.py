"""One way to make an async Redis client: short timeouts, and a retry on a broken connection so
the first command after a Redis restart reconnects instead of failing."""

from __future__ import annotations

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError


def create_redis(url: str, *, socket_timeout: float = 2.0) -> aioredis.Redis:
    return aioredis.from_url(
        url,
        socket_timeout=socket_timeout,
        socket_connect_timeout=2,
        retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), retries=2),
        retry_on_error=[RedisConnectionError, RedisTimeoutError],
        health_check_interval=30,
    )
