"""POST /webhooks/{platform} without the framework's per-request machinery.

Meta's deliveries are the one hot path of the API (bursts of up to 1,000 updates, answers
wanted within 5 s, median <= 250 ms). Routing, dependency solving and the rate limiter's route
lookup cost more Python time per request than verifying, parsing and storing the webhook, so
this ASGI layer answers those POSTs itself, through the same service call as the documented
FastAPI route (webhooks/router.py), with the same error shape. It sits inside the request-id and
body-size middleware, so both still apply."""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from app.errors import AppError, error_body
from app.logging import get_logger
from app.platforms.meta.events import Platform
from app.webhooks import service

log = get_logger("webhooks.fast_path")

_PATHS = {f"/webhooks/{p.value}": p for p in Platform}


class WebhookFastPath:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        platform = _PATHS.get(scope.get("path", "")) if scope["type"] == "http" else None
        if platform is None or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        chunks = []
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        signature = next(
            (v.decode("latin-1") for k, v in scope["headers"] if k == b"x-hub-signature-256"), None
        )
        state = scope["app"].state
        try:
            result = await service.receive_webhook(state, platform, b"".join(chunks), signature)
            status, payload = 200, result
        except AppError as exc:
            status, payload = exc.status_code, error_body(exc.error_code, exc.message, **exc.extra)
        except Exception:
            log.exception("webhook ingest failed")
            status, payload = 500, error_body("internal_error", "something went wrong on our side")
        await _send_json(send, status, payload)


async def _send_json(send: Send, status: int, payload: dict[str, Any]) -> None:
    body = json.dumps(payload).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
