"""HTTP clients for many calls in flight at once (a worker's model and Graph API calls).

httpcore 1.0.9 (the locked version; httpx's connection pool) hands out connections in
`_assign_requests_to_connections`, which it runs twice per request and which costs time
quadratic in the pool's connections: with a connection per waiting reply it became the largest
single cost in a worker's CPU profile, and more concurrency made every reply dearer instead of
the worker faster (upstream: encode/httpcore#1035, unreleased). It also counts busy connections
against the keep-alive limit, so with more calls in flight than that limit it closed every
connection that fell idle and reopened it for the next call (a TLS handshake, to Meta or the
model's provider). `LinearConnectionPool` keeps httpcore's behaviour and does the same work in
one pass over the connections and the queued requests, counting only idle connections against
the keep-alive limit."""

from __future__ import annotations

import time

import httpcore
import httpx
from httpcore._async.interfaces import AsyncConnectionInterface

# how often every idle connection is checked for expiry (keep-alive over, closed by the server)
SWEEP_S = 1.0


class LinearConnectionPool(httpcore.AsyncConnectionPool):
    """HTTP/1.1 only (each connection carries one request at a time; clients are made without
    http2): a connection is handed to one request at a time, never to a second one before the
    first has started on it (upstream, both raced for it and one was re-queued, or it was closed
    as idle under the request: encode/httpcore#1110). Whether an idle connection has expired
    (its keep-alive ran out, or the server closed it: a poll of its socket) is asked of the one
    about to be handed out, and of all of them at most once a second, not of every connection
    twice per request."""

    _swept_at = 0.0

    def _assign_requests_to_connections(self) -> list[AsyncConnectionInterface]:
        # a connection handed to a request that has not started on it yet still looks idle:
        # it is neither offered to another request nor closed as surplus
        taken = {id(r.connection) for r in self._requests if r.connection is not None}
        now = time.monotonic()
        sweep = now - self._swept_at >= SWEEP_S
        if sweep:
            self._swept_at = now
        closing: list[AsyncConnectionInterface] = []
        kept: list[AsyncConnectionInterface] = []
        idle = 0
        for connection in self._connections:
            if connection.is_closed():
                continue
            if sweep and connection.has_expired():
                closing.append(connection)
                continue
            if connection.is_idle() and id(connection) not in taken:
                if idle >= self._max_keepalive_connections:
                    closing.append(connection)
                    continue
                idle += 1
            kept.append(connection)
        self._connections = kept

        queued = [request for request in self._requests if request.is_queued()]
        if not queued:
            return closing
        available = [c for c in self._connections if id(c) not in taken and c.is_available()]
        for pool_request in queued:
            origin = pool_request.request.url.origin
            chosen = self._usable(available, origin, closing)
            if chosen is None and len(self._connections) < self._max_connections:
                chosen = self.create_connection(origin)
                self._connections.append(chosen)
            elif chosen is None:
                spare = next(
                    (c for c in self._connections if id(c) not in taken and c.is_idle()), None
                )
                if spare is None:
                    continue  # stays queued until a connection is released
                self._connections.remove(spare)
                closing.append(spare)
                chosen = self.create_connection(origin)
                self._connections.append(chosen)
            taken.add(id(chosen))
            pool_request.assign_to_connection(chosen)
        return closing

    def _usable(
        self,
        available: list[AsyncConnectionInterface],
        origin: httpcore.Origin,
        closing: list[AsyncConnectionInterface],
    ) -> AsyncConnectionInterface | None:
        """The first available connection to `origin` that has not expired, taken out of
        `available`; expired ones found on the way are closed."""
        for candidate in [c for c in available if c.can_handle_request(origin)]:
            available.remove(candidate)
            if not candidate.has_expired():
                return candidate
            self._connections.remove(candidate)
            closing.append(candidate)
        return None


def pooled_client(*, timeout_s: float, concurrency: int) -> httpx.AsyncClient:
    """A client that keeps a connection open for each caller that may be waiting at once."""
    client = httpx.AsyncClient(
        timeout=timeout_s,
        limits=httpx.Limits(
            max_connections=max(100, concurrency), max_keepalive_connections=concurrency
        ),
    )
    transport = client._transport
    # only httpx's own direct pool (a proxy's pool is a subclass with behaviour of its own)
    if isinstance(transport, httpx.AsyncHTTPTransport):
        pool = transport._pool
        if type(pool) is httpcore.AsyncConnectionPool:
            pool.__class__ = LinearConnectionPool
    return client
