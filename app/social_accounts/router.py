from __future__ import annotations

from fastapi import APIRouter, Request

from app.deps import CurrentWorkspace
from app.ratelimit import api_limit
from app.social_accounts import repo
from app.social_accounts.schemas import SocialAccountOut

router = APIRouter(prefix="/api/social-accounts", tags=["social accounts"])


@router.get("", response_model=list[SocialAccountOut])
@api_limit
async def list_social_accounts(request: Request, ws: CurrentWorkspace) -> list[SocialAccountOut]:
    async with ws.session() as conn:
        rows = await repo.list_accounts(conn, workspace_id=ws.workspace_id)
    return [SocialAccountOut(**row) for row in rows]
