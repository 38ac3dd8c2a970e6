from __future__ import annotations

from app.config import Settings
from app.main import create_app
from tests.support.servers import free_port


async def test_health_and_ready(client) -> None:
    assert (await client.get("/health")).json() == {"status": "ok"}
    ready = await client.get("/ready")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "database": {"status": "ok"}, "redis": {"status": "ok"}}


async def test_ready_reports_which_dependency_is_down(settings) -> None:
    import httpx

    broken = Settings(
        **{**settings.model_dump(), "redis_url": f"redis://127.0.0.1:{free_port()}/0"}
    )
    app = create_app(broken)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http,
    ):
        ready = await http.get("/ready")
    assert ready.status_code == 503
    body = ready.json()
    assert body["database"] == {"status": "ok"} and body["redis"]["status"] == "error"


async def test_openapi_docs_are_served(client) -> None:
    spec = (await client.get("/openapi.json")).json()
    assert "/api/auth/login" in spec["paths"] and "/api/workspaces" in spec["paths"]
    assert (await client.get("/docs")).status_code == 200


async def test_responses_carry_a_request_id(client) -> None:
    response = await client.get("/health", headers={"X-Request-Id": "abc123"})
    assert response.headers["x-request-id"] == "abc123"
    assert len((await client.get("/health")).headers["x-request-id"]) == 32
