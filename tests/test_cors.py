"""Browsers on the configured origins may call the API (preflight, credentials, error answers
included); any other origin gets no CORS grant; none is configured by default."""

from __future__ import annotations

import httpx


async def test_only_configured_origins_are_granted(settings, client) -> None:
    from app.main import create_app

    app = create_app(settings.model_copy(update={"cors_allowed_origins": "https://app.shop.test/"}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            preflight = await http.options(
                "/api/workspaces",
                headers={
                    "Origin": "https://app.shop.test",
                    "Access-Control-Request-Method": "POST",
                    "Access-Control-Request-Headers": "authorization,x-workspace-id",
                },
            )
            assert preflight.status_code == 200
            assert preflight.headers["access-control-allow-origin"] == "https://app.shop.test"
            assert preflight.headers["access-control-allow-credentials"] == "true"
            denied = await http.get("/api/workspaces", headers={"Origin": "https://app.shop.test"})
            assert denied.status_code == 401, "an error answer"
            assert denied.headers["access-control-allow-origin"] == "https://app.shop.test"
            other = await http.get("/health", headers={"Origin": "https://evil.test"})
            assert "access-control-allow-origin" not in other.headers
    default = await client.get("/health", headers={"Origin": "https://app.shop.test"})
    assert "access-control-allow-origin" not in default.headers
