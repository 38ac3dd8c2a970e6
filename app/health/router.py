from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

router = APIRouter(tags=["health"])


@router.get("/health")
async def health() -> dict[str, str]:
    """The process is up (liveness)."""
    return {"status": "ok"}


async def _check_database(request: Request) -> dict[str, Any]:
    try:
        async with request.app.state.pool.connection(timeout=2) as conn:
            await conn.execute("select 1")
        return {"status": "ok"}
    except Exception as exc:
        return {"status": "error", "error": type(exc).__name__}


async def _check_redis(request: Request) -> dict[str, Any]:
    try:
        await asyncio.wait_for(request.app.state.redis.ping(), timeout=2)
        return {"status": "ok"}
    except Exception as exc:
        return {"status": "error", "error": type(exc).__name__}


@router.get("/ready")
async def ready(request: Request) -> JSONResponse:
    """Database and Redis reachable (readiness): 200 when both are, 503 otherwise."""
    database, redis = await asyncio.gather(_check_database(request), _check_redis(request))
    ok = database["status"] == "ok" and redis["status"] == "ok"
    return JSONResponse(
        status_code=200 if ok else 503,
        content={"status": "ok" if ok else "degraded", "database": database, "redis": redis},
    )
