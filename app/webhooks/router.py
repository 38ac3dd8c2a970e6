from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import PlainTextResponse

from app.deps import AppSettings
from app.platforms.meta.events import Platform
from app.webhooks import service

router = APIRouter(prefix="/webhooks", tags=["webhooks"])


@router.get("/{platform}", response_class=PlainTextResponse)
async def verify_subscription(
    platform: Platform,
    settings: AppSettings,
    mode: Annotated[str | None, Query(alias="hub.mode")] = None,
    token: Annotated[str | None, Query(alias="hub.verify_token")] = None,
    challenge: Annotated[str | None, Query(alias="hub.challenge")] = None,
) -> PlainTextResponse:
    """Meta's verification handshake: echo hub.challenge when hub.verify_token matches."""
    return PlainTextResponse(service.answer_handshake(settings, mode, token, challenge))


@router.post("/{platform}")
async def receive(
    platform: Platform,
    request: Request,
    x_hub_signature_256: Annotated[str | None, Header()] = None,
) -> dict[str, int]:
    """Signed updates from Meta: stored durably, enqueued, answered within milliseconds.

    Served by `app.webhooks.fast_path` in the running app; this route documents it and answers
    when the app runs without that layer."""
    return await service.receive_webhook(
        request.app.state, platform, await request.body(), x_hub_signature_256
    )
