from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from app.deps import CurrentWorkspace
from app.errors import NotFound
from app.outbound import repo
from app.outbound.service import NotSendable, check_eligibility
from app.pagination import CursorParam, Limit, Page, page_of, time_id_cursor
from app.queue import SEND_OUTBOUND, publish
from app.ratelimit import api_limit

router = APIRouter(prefix="/api/outbound", tags=["outbound messages"])

Status = Literal["pending", "sending", "sent", "unconfirmed", "failed", "dead", "cancelled"]


class OutboundOut(BaseModel):
    id: UUID
    conversation_id: UUID | None
    kind: str
    recipient: str
    payload: dict[str, Any]
    status: str
    attempts: int
    platform_message_id: str | None
    last_error: str | None
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None


@router.get("", response_model=Page[OutboundOut])
@api_limit
async def list_outbound(
    request: Request,
    ws: CurrentWorkspace,
    status: Annotated[Status | None, Query()] = None,
    cursor: CursorParam = None,
    limit: Limit = 50,
) -> Page[OutboundOut]:
    """What the bot sent or tried to send; `status=dead` is the dead-letter list staff work from."""
    async with ws.session() as conn:
        rows = await repo.list_outbound(
            conn,
            workspace_id=ws.workspace_id,
            status=status,
            limit=limit + 1,
            after=time_id_cursor(cursor),
        )
    return page_of(
        rows, limit=limit, key=lambda r: (r["created_at"], r["id"]), item=lambda r: OutboundOut(**r)
    )


@router.post("/{outbound_id:uuid}/retry", response_model=dict[str, str], status_code=202)
@api_limit
async def retry_outbound(
    request: Request, ws: CurrentWorkspace, outbound_id: UUID
) -> dict[str, str]:
    """Release a dead-lettered message: it is sent again, as yours, if the customer can still
    receive it (Meta's windows for a person: 24 h, 7 days on Instagram with HUMAN_AGENT);
    otherwise a 422 says why (`outside_messaging_window`, `template_required`)."""
    settings = request.app.state.settings
    async with ws.session() as conn:
        row = await repo.retryable(conn, workspace_id=ws.workspace_id, outbound_id=outbound_id)
        if row is None:
            raise NotFound(
                "no dead or failed message with this id", error_code="outbound_not_retryable"
            )
        if row["kind"] in ("dm", "whatsapp"):
            eligibility = check_eligibility(
                kind=row["kind"],
                sender="human",
                last_inbound_at=row["last_inbound_at"],
                payload=row["payload"],
                settings=settings,
                now=datetime.now(UTC),
            )
            if eligibility.reason:
                code = (
                    "template_required" if row["kind"] == "whatsapp" else "outside_messaging_window"
                )
                raise NotSendable(eligibility.reason, error_code=code)
        await repo.release_dead(conn, workspace_id=ws.workspace_id, outbound_id=outbound_id)
    await publish(
        request.app.state.redis, [(SEND_OUTBOUND, [str(outbound_id), str(ws.workspace_id)])]
    )
    return {"status": "pending"}
