"""The baseline: a bare FastAPI endpoint that reads the body and returns 200."""

from __future__ import annotations

from fastapi import FastAPI, Request


def create_bare_app() -> FastAPI:
    app = FastAPI()

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/webhooks/instagram")
    async def receive(request: Request) -> dict[str, int]:
        await request.body()
        return {"received": 1}

    return app
