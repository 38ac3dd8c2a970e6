"""create_sandbox_app(): the Meta sandbox. Graph API endpoints under /{version}/..., its own
controls under /_sandbox/..., and signed webhook delivery to the bot."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from app.api_docs import serve_docs
from app.config import Settings, get_settings
from app.http_clients import pooled_client
from app.sandbox import control_routes, graph_routes, oauth_routes
from app.sandbox.delivery import deliver, delivery_record
from app.sandbox.state import SandboxState

# webhook deliveries to the bot in flight at once over kept connections (more wait for one)
DELIVERIES_AT_ONCE = 100


def create_sandbox_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    bot_base = (settings.sandbox_bot_url or settings.api_base_url).rstrip("/")
    background: set[asyncio.Task[Any]] = set()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # webhooks go out as customers write, dozens at once in a busy demo or a benchmark: a
        # connection kept for each (httpx's own pool closed and reopened connections to the bot
        # past 20 in flight, and spent a sixth of the sandbox's CPU handing them out)
        async with pooled_client(timeout_s=10, concurrency=DELIVERIES_AT_ONCE) as client:
            app.state.http = client
            yield
            for task in list(background):
                task.cancel()

    app = FastAPI(
        title="SocialSync Meta sandbox",
        description=(
            "A local emulator of the Graph API endpoints SocialSync calls (Instagram messaging, "
            "comments, publishing; WhatsApp Cloud API). It records what is sent (`/_sandbox/outbox`), "
            "plays customers by sending signed webhooks (`/_sandbox/inbound`) and injects faults "
            "(`/_sandbox/faults`)."
        ),
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    serve_docs(app)
    app.state.sandbox = SandboxState()

    async def deliver_now(
        platform: str, payload: dict[str, Any], *, times: int = 1, concurrent: bool = False
    ) -> list[int]:
        url = f"{bot_base}/webhooks/{platform}"
        secret = settings.app_secret_for(platform).get_secret_value()
        statuses = await deliver(
            app.state.http, url, secret, payload, times=times, concurrent=concurrent
        )
        app.state.sandbox.deliveries.append(delivery_record(platform, url, statuses))
        return statuses

    def schedule_delivery(platform: str, payload: dict[str, Any]) -> None:
        task = asyncio.get_running_loop().create_task(deliver_now(platform, payload))
        background.add(task)
        task.add_done_callback(background.discard)

    app.state.deliver_now = deliver_now
    app.state.schedule_delivery = schedule_delivery
    app.include_router(control_routes.router)
    # before the Graph routes: their `/{version}/{node_id}` would take `/oauth/authorize`
    app.include_router(oauth_routes.router)
    app.include_router(graph_routes.router)
    return app
