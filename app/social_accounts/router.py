from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request, Response

from app.deps import CurrentWorkspace
from app.ratelimit import api_limit
from app.social_accounts import connect, repo
from app.social_accounts.schemas import SocialAccountOut, WhatsAppConnectIn

router = APIRouter(prefix="/api/social-accounts", tags=["social accounts"])


@router.get("", response_model=list[SocialAccountOut])
@api_limit
async def list_social_accounts(request: Request, ws: CurrentWorkspace) -> list[SocialAccountOut]:
    async with ws.session() as conn:
        rows = await repo.list_accounts(conn, workspace_id=ws.workspace_id)
    return [account_out(row) for row in rows]


def account_out(row: dict[str, Any]) -> SocialAccountOut:
    return SocialAccountOut(**row, quality_rating=(row.get("settings") or {}).get("quality_rating"))


@router.post("/whatsapp", response_model=SocialAccountOut, status_code=201)
@api_limit
async def connect_whatsapp(
    request: Request, ws: CurrentWorkspace, body: WhatsAppConnectIn
) -> SocialAccountOut:
    """Connect a WhatsApp number with a system-user token (owners and managers). The token, the
    WhatsApp Business Account and the number are checked with Meta first (the number's display
    number, verified name and quality rating are read), the account is subscribed to our
    webhooks, and only then stored, the token encrypted. Connecting it again (a new token)
    keeps its conversations."""
    row = await connect.connect_whatsapp(
        ws, body, settings=request.app.state.settings, http=request.app.state.http
    )
    return account_out(row)


@router.delete("/{account_id:uuid}", status_code=204)
@api_limit
async def disconnect_account(request: Request, ws: CurrentWorkspace, account_id: UUID) -> Response:
    """Disconnect (owners and managers): unsubscribed from our webhooks, the token deleted, the
    conversations kept (read-only). Connect it again to resume."""
    await connect.disconnect(
        ws, account_id, settings=request.app.state.settings, http=request.app.state.http
    )
    return Response(status_code=204)
