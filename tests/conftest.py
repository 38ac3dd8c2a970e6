"""Test session: real embedded PostgreSQL (pgvector, RLS) and Valkey, started before the app's
modules are imported so that settings read their URLs from the environment."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from tests.support.servers import TestServers, free_port, start_test_servers

_servers: TestServers | None = None
_LIVE_API_PORT = free_port()


def pytest_configure(config: pytest.Config) -> None:
    global _servers
    if getattr(config, "workerinput", None) is None and _servers is None:
        _servers = start_test_servers()
        os.environ.update(
            {
                "ENVIRONMENT": "test",
                "DATABASE_URL": _servers.app_url,
                "MIGRATION_DATABASE_URL": _servers.admin_url,
                "REDIS_URL": _servers.redis_url,
                "DATA_DIR": str(_servers.root / "data"),
                "RATE_LIMIT_DEFAULT": "100000/minute",
                "RATE_LIMIT_AUTH": "100000/minute",
                "LOG_LEVEL": "WARNING",
                # the in-process client (httpx ASGITransport) calls the API "testserver"
                "TRUSTED_HOSTS": "testserver",
                # the media library's files are served by the live API, where the sandbox
                # downloads them as Meta would
                "MEDIA_PUBLIC_BASE_URL": f"http://127.0.0.1:{_LIVE_API_PORT}/media",
                # the integrations under test listen on this machine
                "OUTGOING_WEBHOOK_ALLOW_PRIVATE": "true",
            }
        )


def pytest_unconfigure(config: pytest.Config) -> None:
    if _servers is not None:
        _servers.stop()


@pytest.fixture(scope="session")
def servers() -> TestServers:
    assert _servers is not None
    return _servers


@pytest.fixture(scope="session")
def settings() -> Any:
    from app.config import get_settings

    return get_settings()


@pytest.fixture(scope="session")
async def app(settings: Any) -> AsyncIterator[Any]:
    from app.main import create_app

    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture(scope="session")
async def client(app: Any) -> AsyncIterator[Any]:
    import httpx

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture(scope="session")
async def pool(app: Any) -> Any:
    return app.state.pool


@pytest.fixture(scope="session")
def live_api(settings: Any) -> Iterator[Any]:
    """The API over real HTTP (the sandbox delivers webhooks to it)."""
    from app.main import create_app
    from tests.support.live import LiveServer

    server = LiveServer(create_app(settings), port=_LIVE_API_PORT).start("/health")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def sandbox(settings: Any, live_api: Any) -> Iterator[Any]:
    """The Meta sandbox over real HTTP, delivering webhooks to the live API."""
    from app.sandbox.main import create_sandbox_app
    from tests.support.live import LiveServer

    sandbox_settings = settings.model_copy(update={"sandbox_bot_url": live_api.url})
    app = create_sandbox_app(sandbox_settings)
    server = LiveServer(app, port=settings.sandbox_port).start("/_sandbox/health")
    server.state = app.state.sandbox  # type: ignore[attr-defined]
    yield server
    server.stop()


@pytest.fixture
def redis_client(servers: TestServers) -> Iterator[Any]:
    import redis

    client = redis.Redis.from_url(servers.redis_url)
    yield client
    client.close()


@pytest.fixture
def admin(servers: TestServers) -> Iterator[Any]:
    """A superuser connection for arranging and inspecting rows, never for the code under test."""
    import psycopg
    from psycopg.rows import dict_row

    with psycopg.connect(servers.admin_url, autocommit=True, row_factory=dict_row) as conn:
        yield conn


@pytest.fixture
async def account(client: Any, servers: TestServers) -> dict[str, Any]:
    """A workspace with a connected Instagram account and WhatsApp number of its own."""
    import uuid

    import psycopg
    from psycopg.rows import dict_row

    from tests.support.factories import create_workspace, register

    owner = await register(client)
    ws = (await create_workspace(client, owner))["id"]
    ig, wa = str(uuid.uuid4().int)[:17], str(uuid.uuid4().int)[:15]
    async with await psycopg.AsyncConnection.connect(
        servers.admin_url, autocommit=True, row_factory=dict_row
    ) as conn:
        for platform, external in (("instagram", ig), ("whatsapp", wa)):
            await conn.execute(
                "insert into social_accounts (workspace_id, platform, external_id) values (%s, %s, %s)",
                (ws, platform, external),
            )
    return {"workspace_id": ws, "ig": ig, "wa": wa, "owner": owner, "suffix": uuid.uuid4().hex[:8]}


@pytest.fixture
def clean_broker(redis_client: Any) -> None:
    """Empty queues (and Celery's unacked bookkeeping) for a test that starts its own worker."""
    redis_client.delete("high", "default", "low", "unacked", "unacked_index")


@pytest.fixture
def queues(redis_client: Any) -> Any:
    from tests.support.webhooks import QUEUES

    redis_client.delete(*QUEUES)
    return redis_client


@pytest.fixture(scope="module")
def worker() -> Iterator[Any]:
    """A real Celery worker consuming our queues on the real Valkey broker (per test module)."""
    from celery.contrib.testing.worker import start_worker

    from workers.celery_app import celery_app

    with start_worker(
        celery_app,
        queues=["high", "default", "low"],
        perform_ping_check=False,
        shutdown_timeout=10,
        loglevel="WARNING",
    ) as running:
        yield running
    from workers import runtime

    runtime.close()


@pytest.fixture
async def shop(client: Any) -> tuple[Any, str]:
    """A workspace owner and their workspace id."""
    from tests.support.factories import create_workspace, register

    owner = await register(client, "kbowner")
    ws = (await create_workspace(client, owner, "Linen & Co"))["id"]
    return owner, ws


@pytest.fixture(scope="session")
def fake_ai() -> Iterator[Any]:
    """OpenAI- and Gemini-speaking local server (embeddings, chat, moderation)."""
    from tests.support.fake_ai import create_fake_ai_app
    from tests.support.live import LiveServer

    app = create_fake_ai_app()
    server = LiveServer(app).start("/health")
    server.app = app  # type: ignore[attr-defined]
    yield server
    server.stop()


@pytest.fixture
def fake_ai_state(fake_ai: Any) -> Iterator[Any]:
    state = fake_ai.app.state
    state.requests.clear()
    state.fail_next = 0
    state.chat_replies.clear()
    state.chat_delays.clear()
    state.chat_default = {"content": "OK"}
    yield state
    state.fail_next = 0
    state.chat_replies.clear()
    state.chat_delays.clear()
    state.chat_default = {"content": "OK"}
