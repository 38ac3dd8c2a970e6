from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from app.agent import feedback, service
from app.agent.ai_settings import load_ai_settings
from app.deps import CurrentWorkspace
from app.kb.service import KnowledgeReader
from app.ratelimit import api_limit

router = APIRouter(prefix="/api/agent", tags=["agent"])
decisions_router = APIRouter(prefix="/api/decisions", tags=["agent"])


class FeedbackIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"verdict": "wrong", "note": "we close at 17:00 now"}]},
    )

    verdict: Literal["good", "wrong"]
    note: Annotated[str, Field(min_length=1, max_length=1000)] | SkipJsonSchema[None] = None


class FeedbackOut(BaseModel):
    decision_id: UUID
    user_id: UUID
    verdict: str
    note: str | None
    faq_under_review: list[UUID] = Field(
        description="FAQ entries the reply came from, now under review (a wrong verdict)"
    )
    updated_at: datetime


@decisions_router.post("/{decision_id:uuid}/feedback", response_model=FeedbackOut)
@api_limit
async def decision_feedback(
    request: Request, ws: CurrentWorkspace, decision_id: UUID, body: FeedbackIn
) -> FeedbackOut:
    """Mark a bot reply good or wrong (yours replaces your earlier verdict). Wrong puts the FAQ
    entries it cited under review: the bot trusts them less until someone edits them."""
    return FeedbackOut(
        **await feedback.give_feedback(ws, decision_id, verdict=body.verdict, note=body.note)
    )


class PreviewIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"text": "do you ship internationally?", "channel": "instagram_dm"}]
        },
    )

    text: str = Field(min_length=1, max_length=4000)
    channel: Literal["instagram_dm", "instagram_comment", "whatsapp"] = "instagram_dm"


class PreviewOut(BaseModel):
    decision: str
    reply: str | None
    draft: str | None
    confidence: float | None
    citations: list[dict[str, Any]]
    reasons: list[str]
    model: str | None
    latency_ms: int


@router.post("/preview", response_model=PreviewOut)
@api_limit
async def preview(request: Request, ws: CurrentWorkspace, body: PreviewIn) -> PreviewOut:
    """Run the whole agent for this workspace on a sample message, sending nothing: the
    playground where a business tests its bot before going live."""
    state = request.app.state
    async with ws.session() as conn:
        ai = await load_ai_settings(conn, ws.workspace_id)
    # no transaction is held while the agent (maybe a model of seconds) runs
    decision = await service.run_agent(
        knowledge=KnowledgeReader(
            ws.pool, ws.claims, state.embedders.get(ai.embedding_provider), str(ws.workspace_id)
        ),
        settings=state.settings,
        ai=ai,
        moderator=state.moderator,
        chat_model=state.chat_models.for_workspace(ai),
        channel=body.channel,
        text=body.text,
    )
    data = decision.to_dict()
    return PreviewOut(**{k: data[k] for k in PreviewOut.model_fields})
