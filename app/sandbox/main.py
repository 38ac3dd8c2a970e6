from __future__ import annotations

from fastapi import FastAPI


def create_sandbox_app() -> FastAPI:
    app = FastAPI(title="SocialSync Meta sandbox")

    @app.get("/_sandbox/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return app
