"""Which failures a task retries: the ones that pass (a connection dropped, a server busy, a
timeout). Anything else is a bug or bad data that the same input will hit again; retrying it
only delays the person waiting, so the task hands the work over instead (tasks/events.py)."""

from __future__ import annotations

import psycopg
import redis.exceptions
from httpx import TransportError
from psycopg_pool import PoolTimeout

from app.kb.embeddings import EmbeddingUnavailable
from app.platforms.meta.errors import GraphAPIError

_TRANSIENT = (
    psycopg.OperationalError,  # connection lost, server shutting down, too many clients
    psycopg.errors.SerializationFailure,
    psycopg.errors.DeadlockDetected,
    PoolTimeout,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    TransportError,
    TimeoutError,
    ConnectionError,
    EmbeddingUnavailable,
)


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, GraphAPIError):
        return bool(exc.transient)
    return isinstance(exc, _TRANSIENT)
