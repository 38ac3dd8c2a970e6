"""The worker's HTTP clients (app/http_clients.py) against a real server: every call in flight at
once is answered, connections stay within the limits and are kept for the next calls."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI, Request

from app import http_clients
from app.http_clients import LinearConnectionPool, pooled_client
from tests.support.live import LiveServer


class _Peers:
    """The client ports the server saw: one per TCP connection."""

    def __init__(self) -> None:
        self.ports: set[int] = set()


@pytest.fixture(scope="module")
def slow_server() -> Iterator[tuple[LiveServer, _Peers]]:
    peers = _Peers()
    app = FastAPI()

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/answer")
    async def answer(request: Request) -> dict[str, Any]:
        body = await request.json()
        assert request.client is not None
        peers.ports.add(request.client.port)
        await asyncio.sleep(float(body["wait_s"]))
        return {"n": body["n"]}

    server = LiveServer(app).start("/health")
    yield server, peers
    server.stop()


async def test_many_calls_at_once_are_all_answered_over_kept_connections(slow_server) -> None:
    server, peers = slow_server
    client = pooled_client(timeout_s=10, concurrency=40)
    try:
        pool = client._transport._pool  # type: ignore[attr-defined]
        assert isinstance(pool, LinearConnectionPool)

        async def call(n: int) -> int:
            response = await client.post(f"{server.url}/answer", json={"n": n, "wait_s": 0.2})
            return int(response.json()["n"])

        # more calls than connections allowed (max(100, concurrency)): the rest queue for one
        first = await asyncio.gather(*(call(n) for n in range(150)))
        assert first == list(range(150)), "every call got its own answer"
        assert len(peers.ports) <= 100, "never more connections than the limit"
        assert len(pool.connections) == 40, "the idle ones kept, up to the keep-alive limit"

        kept = set(peers.ports)
        peers.ports.clear()
        again = await asyncio.gather(*(call(n) for n in range(40)))
        assert again == list(range(40))
        assert peers.ports <= kept, "the next calls went over the connections kept open"
    finally:
        await client.aclose()


async def test_a_connection_the_server_closed_meanwhile_is_not_reused(
    slow_server, monkeypatch
) -> None:
    """The server drops idle connections after a second (uvicorn's keep-alive timeout): the next
    call notices before sending on the dead one and opens another, instead of failing, even
    between the pool's sweeps of every connection (none during this test)."""
    monkeypatch.setattr(http_clients, "SWEEP_S", 3600.0)
    _, peers = slow_server
    app = slow_server[0]._server.config.app
    server = LiveServer(app)
    server._server.config.timeout_keep_alive = 1
    server.start("/health")
    client = pooled_client(timeout_s=10, concurrency=4)
    try:
        first = await client.post(f"{server.url}/answer", json={"n": 1, "wait_s": 0})
        assert first.json() == {"n": 1}
        [connection] = client._transport._pool.connections  # type: ignore[attr-defined]

        deadline = time.monotonic() + 10
        while not connection.has_expired():  # the server's close, seen on the idle socket
            assert time.monotonic() < deadline, "the server kept the connection open"
            await asyncio.sleep(0.05)
        peers.ports.clear()
        again = await client.post(f"{server.url}/answer", json={"n": 2, "wait_s": 0})
        assert again.json() == {"n": 2}
        assert len(peers.ports) == 1, "answered over a new connection"
    finally:
        await client.aclose()
        server.stop()
