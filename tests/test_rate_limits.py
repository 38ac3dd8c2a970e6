from __future__ import annotations

import pytest

from app.config import get_settings
from app.ratelimit import limiter
from tests.support.factories import register


@pytest.fixture
def strict_auth_limit(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("RATE_LIMIT_AUTH", "3/minute")
    monkeypatch.setenv("RATE_LIMIT_DEFAULT", "3/minute")
    get_settings.cache_clear()
    limiter.reset()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()
    limiter.reset()


async def test_auth_routes_are_rate_limited_per_client(client, strict_auth_limit) -> None:
    body = {"email": "nobody@example.com", "password": "wrong password"}
    statuses = [(await client.post("/api/auth/login", json=body)).status_code for _ in range(3)]
    assert statuses == [401, 401, 401]
    limited = await client.post("/api/auth/login", json=body)
    assert limited.status_code == 429
    assert limited.json()["detail"]["error_code"] == "rate_limited"


async def test_api_default_limit_applies_but_never_to_webhooks(
    client, settings, strict_auth_limit
) -> None:
    user = await register(client)
    api = [
        (await client.get("/api/workspaces", headers=user.headers())).status_code for _ in range(4)
    ]
    assert api == [200, 200, 200, 429]
    other = await register(client)
    assert (await client.get("/api/workspaces", headers=other.headers())).status_code == 200, (
        "limits are per user/workspace"
    )
    token = settings.meta_verify_token.get_secret_value()
    params = {"hub.mode": "subscribe", "hub.verify_token": token, "hub.challenge": "ok"}
    statuses = {
        (await client.get("/webhooks/instagram", params=params)).status_code for _ in range(10)
    }
    assert statuses == {200}, "Meta's deliveries are never refused"
    assert (await client.get("/health")).status_code == 200


async def test_429_says_when_to_come_back(client, strict_auth_limit) -> None:
    body = {"email": "nobody@example.com", "password": "wrong password"}
    for _ in range(3):
        await client.post("/api/auth/login", json=body)
    limited = await client.post("/api/auth/login", json=body)
    assert limited.status_code == 429
    wait = int(limited.headers["retry-after"])
    assert 1 <= wait <= 60, "within the minute's window"
    assert limited.json()["detail"]["retry_after_s"] == wait


async def test_x_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(
    settings, strict_auth_limit
) -> None:
    """Without TRUSTED_PROXIES, a client cannot pick a fresh address (and rate-limit bucket) per
    request; behind a configured proxy, the address it forwards is the client's."""
    import httpx

    from app.main import create_app

    body = {"email": "nobody@example.com", "password": "wrong password"}

    async def statuses(app, forwarded: list[str]) -> list[int]:  # type: ignore[no-untyped-def]
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 5000))
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://testserver") as http,
        ):
            return [
                (
                    await http.post(
                        "/api/auth/login", json=body, headers={"X-Forwarded-For": address}
                    )
                ).status_code
                for address in forwarded
            ]

    spoofed = [f"203.0.113.{n}" for n in range(5)]
    assert await statuses(create_app(settings), spoofed) == [401, 401, 401, 429, 429]
    limiter.reset()
    behind_proxy = create_app(settings.model_copy(update={"trusted_proxies": "127.0.0.1"}))
    assert await statuses(behind_proxy, spoofed) == [401] * 5, "each forwarded client its own"
