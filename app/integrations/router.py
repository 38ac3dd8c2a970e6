from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from app.deps import CurrentWorkspace
from app.integrations import service
from app.pagination import CursorParam, Limit, Page, page_of, time_id_cursor
from app.ratelimit import api_limit

router = APIRouter(prefix="/api/webhook-endpoints", tags=["outgoing webhooks"])

EventType = Literal[
    "message.received",
    "comment.received",
    "escalation.opened",
    "send.failed",
    "post.published",
    "post.failed",
]
Url = Annotated[
    str,
    Field(
        min_length=8,
        max_length=2000,
        # a host (no user or password, no IPv6 literal), then any path without controls
        pattern=r"^https?://[^\x00-\x20\x7f@/?#\[\]\\:]+"
        r"(:(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4}))?"
        r"([/?#][^\x00-\x20\x7f]*)?$",
        description="where we POST the events (https://)",
    ),
]
Events = Annotated[list[EventType], Field(min_length=1, max_length=20)]
Description = Annotated[str, Field(max_length=200)]
DeliveryStatus = Literal["pending", "succeeded", "failed", "dead"]


class EndpointIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "url": "https://hooks.shop.example/socialsync",
                    "events": ["message.received", "escalation.opened"],
                    "description": "our CRM",
                }
            ]
        },
    )

    url: Url
    events: Events
    description: Description | SkipJsonSchema[None] = None


class EndpointUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"enabled": True}, {"events": ["send.failed"]}]},
    )

    url: Url | SkipJsonSchema[None] = None
    events: Events | SkipJsonSchema[None] = None
    description: Description | None = None
    enabled: bool | SkipJsonSchema[None] = Field(
        default=None, description="true switches it on again and clears the failure count"
    )


class EndpointOut(BaseModel):
    id: UUID
    url: str
    events: list[str]
    description: str | None
    enabled: bool
    disabled_reason: str | None = Field(description="why we switched it off, when we did")
    consecutive_failures: int
    created_by: UUID | None
    created_at: datetime
    updated_at: datetime


class EndpointWithSecret(EndpointOut):
    secret: str = Field(
        description="checks our `SocialSync-Signature` header; shown only now (rotate for another)"
    )


class DeliveryOut(BaseModel):
    id: UUID
    endpoint_id: UUID
    event_id: UUID = Field(description="the same on a redelivery: receivers dedupe on it")
    event_type: str
    payload: dict[str, Any]
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime
    last_status_code: int | None
    last_response: str | None = Field(
        description="the receiver's answer (its first 1,000 characters)"
    )
    last_error: str | None
    last_attempt_at: datetime | None
    delivered_at: datetime | None
    created_at: datetime


@router.get("", response_model=Page[EndpointOut])
@api_limit
async def list_endpoints(
    request: Request, ws: CurrentWorkspace, cursor: CursorParam = None, limit: Limit = 50
) -> Page[EndpointOut]:
    """The workspace's integrations (owners and managers)."""
    rows = await service.list_endpoints(ws, limit=limit + 1, after=time_id_cursor(cursor))
    return page_of(
        rows, limit=limit, key=lambda r: (r["created_at"], r["id"]), item=lambda r: EndpointOut(**r)
    )


@router.post("", response_model=EndpointWithSecret, status_code=201)
@api_limit
async def create_endpoint(
    request: Request, ws: CurrentWorkspace, body: EndpointIn
) -> EndpointWithSecret:
    """Events are POSTed as JSON with `SocialSync-Signature: t=<unix>,v1=<hex>`, the
    HMAC-SHA256 of `<t>.<raw body>` with the secret returned here (once). Answer 2xx within
    OUTGOING_WEBHOOK_TIMEOUT_S; anything else is retried with backoff."""
    row, secret = await service.create(
        ws,
        url=body.url,
        event_types=list(body.events),
        description=body.description,
        settings=request.app.state.settings,
    )
    return EndpointWithSecret(**row, secret=secret)


@router.get("/{endpoint_id:uuid}", response_model=EndpointOut)
@api_limit
async def get_endpoint(request: Request, ws: CurrentWorkspace, endpoint_id: UUID) -> EndpointOut:
    return EndpointOut(**await service.get(ws, endpoint_id))


@router.patch("/{endpoint_id:uuid}", response_model=EndpointOut)
@api_limit
async def update_endpoint(
    request: Request, ws: CurrentWorkspace, endpoint_id: UUID, body: EndpointUpdate
) -> EndpointOut:
    changes = {
        k: v
        for k, v in body.model_dump(exclude_unset=True).items()
        if v is not None or k == "description"
    }
    return EndpointOut(
        **await service.update(ws, endpoint_id, changes, settings=request.app.state.settings)
    )


@router.delete("/{endpoint_id:uuid}", status_code=204, response_class=Response)
@api_limit
async def delete_endpoint(request: Request, ws: CurrentWorkspace, endpoint_id: UUID) -> Response:
    await service.delete(ws, endpoint_id)
    return Response(status_code=204)


@router.post("/{endpoint_id:uuid}/rotate-secret", response_model=EndpointWithSecret)
@api_limit
async def rotate_secret(
    request: Request, ws: CurrentWorkspace, endpoint_id: UUID
) -> EndpointWithSecret:
    """A new signing secret (the old one stops working at once)."""
    row, secret = await service.rotate_secret(ws, endpoint_id)
    return EndpointWithSecret(**row, secret=secret)


@router.post("/{endpoint_id:uuid}/ping", response_model=DeliveryOut, status_code=202)
@api_limit
async def ping(request: Request, ws: CurrentWorkspace, endpoint_id: UUID) -> DeliveryOut:
    """A `ping` event to this endpoint, to try the receiver: see its delivery for the answer."""
    return DeliveryOut(**await service.ping(ws, endpoint_id))


@router.get("/{endpoint_id:uuid}/deliveries", response_model=Page[DeliveryOut])
@api_limit
async def list_deliveries(
    request: Request,
    ws: CurrentWorkspace,
    endpoint_id: UUID,
    status: Annotated[DeliveryStatus | None, Query()] = None,
    cursor: CursorParam = None,
    limit: Limit = 50,
) -> Page[DeliveryOut]:
    """Newest first, each with its attempts and the receiver's last answer."""
    rows = await service.list_deliveries(
        ws, endpoint_id, status=status, limit=limit + 1, after=time_id_cursor(cursor)
    )
    return page_of(
        rows, limit=limit, key=lambda r: (r["created_at"], r["id"]), item=lambda r: DeliveryOut(**r)
    )


@router.post(
    "/{endpoint_id:uuid}/deliveries/{delivery_id:uuid}/redeliver",
    response_model=DeliveryOut,
    status_code=202,
)
@api_limit
async def redeliver(
    request: Request, ws: CurrentWorkspace, endpoint_id: UUID, delivery_id: UUID
) -> DeliveryOut:
    """Send it again with the next run (the same event id), whatever became of it."""
    return DeliveryOut(**await service.redeliver(ws, endpoint_id, delivery_id))
