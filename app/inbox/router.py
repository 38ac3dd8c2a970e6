from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Header, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.json_schema import SkipJsonSchema

from app.conversations import repo
from app.deps import CurrentWorkspace
from app.errors import NotFound
from app.escalations import repo as escalations_repo
from app.escalations import service as escalations
from app.inbox import service
from app.pagination import CursorParam, Limit, Page, decode_cursor, flag, page_of
from app.ratelimit import api_limit

router = APIRouter(tags=["staff inbox"])


class ConversationOut(BaseModel):
    id: UUID
    channel: str
    platform: str
    owner: Literal["bot", "human"]
    assigned_user_id: UUID | None
    status: str
    contact_external_id: str
    contact_username: str | None
    contact_name: str | None
    contact_picture_url: str | None = Field(
        default=None, description="Instagram's picture of the customer (its link expires)"
    )
    last_inbound_at: datetime | None
    last_outbound_at: datetime | None
    updated_at: datetime
    open_escalations: int
    unread: bool = Field(description="the customer wrote since staff last opened it")
    waiting_since: datetime | None = Field(
        description="the customer's last message, while nobody has answered it"
    )


class MessageOut(BaseModel):
    id: UUID
    direction: str
    sender: str
    text: str | None
    attachments: list[Any]
    sent_at: datetime


class ConversationDetail(ConversationOut):
    messages: list[MessageOut]


class EscalationOut(BaseModel):
    id: UUID
    conversation_id: UUID
    channel: str
    contact_external_id: str
    contact_username: str | None
    contact_name: str | None = None
    reason: str
    draft_reply: str | None
    status: Literal["open", "claimed", "resolved"]
    claimed_by: UUID | None
    claimed_at: datetime | None
    resolved_at: datetime | None
    created_at: datetime
    waiting_s: float | None = Field(
        default=None, description="how long the customer has waited for an answer (seconds)"
    )


class EscalationDetail(EscalationOut):
    messages: list[MessageOut] = Field(description="the conversation's latest messages")


class EscalationReplyIn(BaseModel):
    """Answer with your own `text`, or send the bot's draft as it is (`approve_draft`)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "oneOf": [
                {"required": ["text"], "not": {"required": ["approve_draft"]}},
                {
                    "required": ["approve_draft"],
                    "properties": {"approve_draft": {"const": True}},
                    "not": {"required": ["text"]},
                },
            ],
            "examples": [{"text": "Sorry for the wait! Your order left today."}],
        },
    )

    text: Annotated[str, Field(min_length=1, max_length=1000)] | SkipJsonSchema[None] = None
    approve_draft: bool = False

    @model_validator(mode="after")
    def _one_of(self) -> EscalationReplyIn:
        if (self.text is None) == (not self.approve_draft):
            raise ValueError("give text, or approve_draft: true")
        return self


class MediaLink(BaseModel):
    model_config = ConfigDict(extra="forbid")

    link: str = Field(min_length=1, max_length=2000, description="a public https URL")


class TemplateParameter(BaseModel):
    """One value filled into an approved WhatsApp template (Cloud API `parameters[]`)."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["text", "payload", "image", "document", "video"]
    text: str | None = Field(default=None, min_length=1, max_length=1024)
    payload: str | None = Field(default=None, min_length=1, max_length=1024)
    image: MediaLink | None = None
    document: MediaLink | None = None
    video: MediaLink | None = None


class TemplateComponent(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["header", "body", "button"]
    sub_type: Literal["quick_reply", "url"] | None = None
    index: int | None = Field(default=None, ge=0, le=9)
    parameters: list[TemplateParameter] = Field(default_factory=list, max_length=20)


class Template(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=512)
    language: str = Field(default="en_US", min_length=2, max_length=15)
    components: list[TemplateComponent] | None = Field(default=None, max_length=10)


class ReplyIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            # text, an image, or (WhatsApp) an approved template: the validator says the same
            "anyOf": [
                {
                    "required": ["text"],
                    "properties": {"text": {"type": "string"}, "template": {"type": "null"}},
                },
                {
                    "required": ["media_id"],
                    "properties": {"media_id": {"type": "string"}, "template": {"type": "null"}},
                },
                {
                    "required": ["template"],
                    "properties": {
                        "template": {"type": "object"},
                        "text": {"type": "null"},
                        "media_id": {"type": "null"},
                    },
                },
            ],
            "examples": [{"text": "Thanks for waiting! Your order ships tomorrow."}],
        },
    )

    text: str | None = Field(
        default=None,
        min_length=1,
        max_length=1000,
        description="with `media_id` on WhatsApp: the picture's caption",
    )
    media_id: UUID | None = Field(
        default=None, description="an image of the media library, sent as a picture"
    )
    template: Template | None = Field(
        default=None, description="WhatsApp only: an approved template, needed outside 24 h"
    )

    @model_validator(mode="after")
    def _one_of(self) -> ReplyIn:
        if self.template is not None and (self.text is not None or self.media_id is not None):
            raise ValueError("a template goes alone: leave out text and media_id")
        if self.template is None and self.text is None and self.media_id is None:
            raise ValueError("give text, media_id or template")
        return self


class ReplyOut(BaseModel):
    outbound_id: UUID
    status: str
    tag: str | None = Field(description="HUMAN_AGENT when answering after 24 h (up to 7 days)")


class ClaimOut(BaseModel):
    id: UUID
    conversation_id: UUID
    status: str
    claimed_by: UUID
    claimed_at: datetime


class ResolveIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"hand_back": True}]})

    hand_back: bool = Field(default=True, description="give the conversation back to the bot")


@router.get("/api/conversations", response_model=Page[ConversationOut])
@api_limit
async def list_conversations(
    request: Request,
    ws: CurrentWorkspace,
    owner: Annotated[Literal["bot", "human"] | None, Query()] = None,
    channel: Annotated[
        Literal["instagram_dm", "instagram_comment", "whatsapp"] | None, Query()
    ] = None,
    assignee: Annotated[
        Literal["mine", "unassigned"] | None,
        Query(description="mine: held by you; unassigned: held by a person but nobody named"),
    ] = None,
    unread: Annotated[bool, Query(description="only those the customer wrote in since")] = False,
    sort: Annotated[Literal["recent", "longest_waiting"], Query()] = "recent",
    cursor: CursorParam = None,
    limit: Limit = 50,
) -> Page[ConversationOut]:
    """The inbox: newest activity first, or the customers waiting longest for an answer."""
    waiting = sort == "longest_waiting"
    after = _after(cursor, longest_waiting=waiting)
    async with ws.session() as conn:
        rows = await repo.list_conversations(
            conn,
            workspace_id=ws.workspace_id,
            limit=limit + 1,
            after=after,
            owner=owner,
            channel=channel,
            assigned_to=ws.principal.user_id if assignee == "mine" else None,
            unassigned=assignee == "unassigned",
            unread=unread,
            longest_waiting=waiting,
        )
    return page_of(
        rows,
        limit=limit,
        key=lambda r: repo.conversation_sort_key(r, longest_waiting=waiting),
        item=lambda r: ConversationOut(**r),
    )


def _after(cursor: str | None, *, longest_waiting: bool) -> list[Any] | None:
    """The inbox's two orders: (time, id), or (answered, waiting since, id)."""
    if longest_waiting:
        return decode_cursor(cursor, flag, datetime.fromisoformat, UUID)
    return decode_cursor(cursor, datetime.fromisoformat, UUID)


def _escalations_after(cursor: str | None, *, longest_waiting: bool) -> list[Any] | None:
    """(time, id), or (answered, waiting since, conversation, id)."""
    if longest_waiting:
        return decode_cursor(cursor, flag, datetime.fromisoformat, UUID, UUID)
    return decode_cursor(cursor, datetime.fromisoformat, UUID)


@router.post(
    "/api/conversations/{conversation_id:uuid}/read", status_code=204, response_class=Response
)
@api_limit
async def mark_read(request: Request, ws: CurrentWorkspace, conversation_id: UUID) -> Response:
    """Staff have seen the conversation: it is no longer unread (for the whole team)."""
    async with ws.session() as conn:
        if not await repo.mark_read(
            conn, workspace_id=ws.workspace_id, conversation_id=conversation_id
        ):
            raise NotFound("conversation not found", error_code="conversation_not_found")
    return Response(status_code=204)


@router.get("/api/conversations/{conversation_id:uuid}", response_model=ConversationDetail)
@api_limit
async def get_conversation(
    request: Request,
    ws: CurrentWorkspace,
    conversation_id: UUID,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> ConversationDetail:
    async with ws.session() as conn:
        row = await repo.get_conversation(
            conn, workspace_id=ws.workspace_id, conversation_id=conversation_id
        )
        if row is None:
            raise NotFound("conversation not found", error_code="conversation_not_found")
        messages = await repo.messages_of(conn, conversation_id=conversation_id, limit=limit)
    return ConversationDetail(**row, messages=[MessageOut(**m) for m in messages])


@router.post("/api/conversations/{conversation_id:uuid}/take-over", response_model=ConversationOut)
@api_limit
async def take_over(
    request: Request, ws: CurrentWorkspace, conversation_id: UUID
) -> ConversationOut:
    """A person holds the conversation: the bot stays silent and its queued reply is not sent."""
    return ConversationOut(**await service.take_over(ws, conversation_id))


@router.post("/api/conversations/{conversation_id:uuid}/hand-back", response_model=ConversationOut)
@api_limit
async def hand_back(
    request: Request, ws: CurrentWorkspace, conversation_id: UUID
) -> ConversationOut:
    """The bot answers again; open escalations on the conversation are resolved."""
    return ConversationOut(**await service.hand_back(ws, conversation_id))


@router.post(
    "/api/conversations/{conversation_id:uuid}/messages", response_model=ReplyOut, status_code=202
)
@api_limit
async def reply(
    request: Request,
    ws: CurrentWorkspace,
    conversation_id: UUID,
    body: ReplyIn,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> ReplyOut:
    """Answer as a person. Instagram: within 24 h of the customer's last message, or up to 7 days
    with the HUMAN_AGENT tag (added for you). WhatsApp: within 24 h, else an approved template.
    The same `Idempotency-Key` never sends twice."""
    result = await service.reply(
        ws,
        settings=request.app.state.settings,
        redis=request.app.state.redis,
        conversation_id=conversation_id,
        text=body.text,
        media_id=body.media_id,
        template=body.template.model_dump(exclude_none=True) if body.template else None,
        idempotency_key=idempotency_key,
    )
    return ReplyOut(outbound_id=result.outbound_id, status=result.status, tag=result.tag)


@router.get("/api/escalations", response_model=Page[EscalationOut])
@api_limit
async def list_escalations(
    request: Request,
    ws: CurrentWorkspace,
    status: Annotated[Literal["open", "claimed", "resolved"] | None, Query()] = None,
    channel: Annotated[
        Literal["instagram_dm", "instagram_comment", "whatsapp"] | None, Query()
    ] = None,
    assignee: Annotated[
        Literal["mine", "unassigned"] | None,
        Query(description="mine: claimed by you; unassigned: claimed by nobody"),
    ] = None,
    sort: Annotated[Literal["newest", "longest_waiting"], Query()] = "newest",
    cursor: CursorParam = None,
    limit: Limit = 50,
) -> Page[EscalationOut]:
    """What the bot handed to staff, with its reason, the draft it would have sent, and how
    long the customer has waited."""
    waiting = sort == "longest_waiting"
    after = _escalations_after(cursor, longest_waiting=waiting)
    async with ws.session() as conn:
        rows = await escalations_repo.list_escalations(
            conn,
            workspace_id=ws.workspace_id,
            status=status,
            limit=limit + 1,
            after=after,
            channel=channel,
            claimed_by=ws.principal.user_id if assignee == "mine" else None,
            unassigned=assignee == "unassigned",
            longest_waiting=waiting,
        )
    return page_of(
        rows,
        limit=limit,
        key=lambda r: escalations_repo.escalation_sort_key(r, longest_waiting=waiting),
        item=lambda r: EscalationOut(**r),
    )


@router.get("/api/escalations/{escalation_id:uuid}", response_model=EscalationDetail)
@api_limit
async def get_escalation(
    request: Request, ws: CurrentWorkspace, escalation_id: UUID
) -> EscalationDetail:
    """The escalation with the customer, the messages that led to it and the bot's draft."""
    async with ws.session() as conn:
        row = await escalations_repo.get_escalation(
            conn, workspace_id=ws.workspace_id, escalation_id=escalation_id
        )
        if row is None:
            raise NotFound("escalation not found", error_code="escalation_not_found")
        messages = await repo.messages_of(conn, conversation_id=row["conversation_id"], limit=20)
    return EscalationDetail(**row, messages=[MessageOut(**m) for m in messages])


@router.post(
    "/api/escalations/{escalation_id:uuid}/reply", response_model=ReplyOut, status_code=202
)
@api_limit
async def reply_to_escalation(
    request: Request,
    ws: CurrentWorkspace,
    escalation_id: UUID,
    body: EscalationReplyIn,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> ReplyOut:
    """Answer the customer from the escalation (the same rules as a conversation's messages);
    the escalation becomes yours. 409 `no_draft` when approving a draft the bot did not leave."""
    result = await service.reply_to_escalation(
        ws,
        escalation_id,
        text=body.text,
        approve_draft=body.approve_draft,
        settings=request.app.state.settings,
        redis=request.app.state.redis,
        idempotency_key=idempotency_key,
    )
    return ReplyOut(outbound_id=result.outbound_id, status=result.status, tag=result.tag)


@router.post("/api/escalations/{escalation_id:uuid}/claim", response_model=ClaimOut)
@api_limit
async def claim(request: Request, ws: CurrentWorkspace, escalation_id: UUID) -> ClaimOut:
    """Take the escalation and its conversation; an escalation someone else claimed is 409."""
    return ClaimOut(**await escalations.claim(ws, escalation_id))


@router.post("/api/escalations/{escalation_id:uuid}/resolve", status_code=204)
@api_limit
async def resolve(
    request: Request, ws: CurrentWorkspace, escalation_id: UUID, body: ResolveIn | None = None
) -> None:
    hand_back_to_bot = body.hand_back if body is not None else True
    await escalations.resolve(ws, escalation_id, hand_back_to_bot=hand_back_to_bot)
