"""Run a transaction again when Postgres chose it as a deadlock's victim (or a serialization
failure): the other side has finished by then, and the same work succeeds. Only for bodies that
are a whole transaction and safe to repeat."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from psycopg import errors

T = TypeVar("T")
_RETRYABLE = (errors.DeadlockDetected, errors.SerializationFailure)


async def retrying_conflicts(work: Callable[[], Awaitable[T]], *, attempts: int = 3) -> T:
    for attempt in range(1, attempts + 1):
        try:
            return await work()
        except _RETRYABLE:
            if attempt == attempts:
                raise
            await asyncio.sleep(random.uniform(0.01, 0.05) * attempt)
    raise AssertionError("unreachable")
