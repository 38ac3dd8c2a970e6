"""The sandbox's own controls: read the outbox, play a customer, inject faults."""

from __future__ import annotations

import time
from typing import Any, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from app.sandbox import payloads, samples
from app.sandbox.state import FAULT_SHAPES, Fault, SandboxState

router = APIRouter(prefix="/_sandbox", tags=["sandbox controls"])


def _state(request: Request) -> SandboxState:
    return request.app.state.sandbox


class InboundEvent(BaseModel):
    platform: Literal["instagram", "whatsapp"]
    kind: Literal["dm", "comment"] = "dm"
    account_id: str = Field(description="our Instagram account id, or WhatsApp phone number id")
    from_: str = Field(
        alias="from",
        description="the customer's IGSID, wa_id, or WhatsApp BSUID (e.g. US.1349120865530274: "
        "a customer who does not share their number)",
    )
    text: str = ""
    username: str | None = None
    media_id: str | None = Field(default=None, description="for comments: the post commented on")
    parent_id: str | None = None
    times: int = Field(
        default=1, ge=1, le=50, description="deliver the same event N times (Meta's duplicates)"
    )
    concurrent: bool = Field(default=False, description="deliver the copies at the same moment")
    deliver: bool = Field(
        default=True, description="false: the platform has it, the webhook is lost"
    )


class FaultSpec(BaseModel):
    endpoint: str = Field(
        description="send_message, private_reply, comment_reply, hide_comment, "
        "delete_comment, wa_send, list_media, list_comments, list_conversations, "
        "list_messages, create_container, container_status, publish, "
        "publishing_limit, refresh_token, phone_numbers, phone_number, subscribed_apps, "
        "user_profile, or * for any"
    )
    kind: Literal["server_error", "throttle", "window", "token_expired", "bad_request", "latency"]
    count: int = Field(default=1, ge=1, le=10_000)
    status: int | None = None
    code: int | None = None
    subcode: int | None = Field(
        default=None, description="overrides the kind's subcode; 0 sends none (a bare 190)"
    )
    latency_ms: int = Field(default=0, ge=0, le=60_000)
    retry_after_s: int | None = None
    regain_minutes: int | None = None
    match: str | None = Field(
        default=None,
        max_length=500,
        description="only requests whose URL contains this: an account id, a token in the query",
    )
    probability: float | None = Field(
        default=None, gt=0, le=1, description="each matching request fails with this chance"
    )


class SandboxConfig(BaseModel):
    send_echoes: bool | None = None
    container_polls_until_finished: int | None = Field(default=None, ge=1, le=100)
    publishing_quota: int | None = Field(default=None, ge=0)
    oauth_deny: bool | None = Field(
        default=None, description="Instagram Login's authorize page says no (access_denied)"
    )
    fetch_media: bool | None = Field(
        default=None, description="download containers' media as Meta does (default on)"
    )


class HumanReply(BaseModel):
    account_id: str
    to: str
    text: str


@router.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/outbox")
async def outbox(
    request: Request,
    since: int = Query(
        0, ge=0, description="skip the first this many (what a poller has read already)"
    ),
) -> list[dict[str, Any]]:
    """Everything the bot sent since the outbox was last cleared, newest last."""
    return _state(request).outbox[since:]


@router.delete("/outbox", status_code=204)
async def clear_outbox(request: Request) -> None:
    _state(request).outbox.clear()


@router.get("/deliveries")
async def deliveries(request: Request) -> list[dict[str, Any]]:
    """Every webhook the sandbox sent to the bot, with the HTTP statuses it got back."""
    return _state(request).deliveries


@router.post("/faults", status_code=201)
async def add_fault(spec: FaultSpec, request: Request) -> dict[str, Any]:
    assert spec.kind == "latency" or spec.kind in FAULT_SHAPES
    _state(request).faults.append(
        Fault(
            endpoint=spec.endpoint,
            kind=spec.kind,
            remaining=spec.count,
            status=spec.status,
            code=spec.code,
            subcode=spec.subcode,
            latency_ms=spec.latency_ms,
            retry_after_s=spec.retry_after_s,
            regain_minutes=spec.regain_minutes,
            match=spec.match,
            probability=spec.probability,
        )
    )
    return spec.model_dump()


@router.get("/faults")
async def list_faults(request: Request) -> list[dict[str, Any]]:
    return [vars(f) for f in _state(request).faults if f.remaining > 0]


@router.delete("/faults", status_code=204)
async def clear_faults(request: Request) -> None:
    _state(request).faults.clear()


@router.post("/config")
async def configure(config: SandboxConfig, request: Request) -> dict[str, Any]:
    state = _state(request)
    for key, value in config.model_dump(exclude_none=True).items():
        setattr(state, key, value)
    return {
        "send_echoes": state.send_echoes,
        "container_polls_until_finished": state.container_polls_until_finished,
        "publishing_quota": state.publishing_quota,
        "oauth_deny": state.oauth_deny,
        "fetch_media": state.fetch_media,
    }


@router.post("/reset", status_code=204)
async def reset(request: Request) -> None:
    _state(request).reset()


@router.post("/inbound")
async def inbound(event: InboundEvent, request: Request) -> dict[str, Any]:
    """Play a customer: Meta receives their message or comment and sends the bot a signed webhook."""
    state = _state(request)
    now = time.time()
    if event.platform == "whatsapp":
        platform_id = state.new_id("wamid.")
        payload = payloads.whatsapp_message(
            event.account_id, event.from_, event.username or "Customer", platform_id, event.text
        )
    elif event.kind == "dm":
        platform_id = state.new_id("m_")
        payload = payloads.instagram_dm(event.account_id, event.from_, platform_id, event.text)
        state.conversation_for(event.account_id, event.from_)["messages"].append(
            {
                "id": platform_id,
                "from": {"id": event.from_},
                "message": event.text,
                "created_time": now,
            }
        )
        state.conversation_for(event.account_id, event.from_)["updated_time"] = now
    else:
        platform_id = state.new_id("c_")
        media_id = (
            event.media_id
            or next(
                (
                    m["id"]
                    for m in reversed(state.media.values())
                    if m["account"] == event.account_id
                ),
                None,
            )
            or state.new_id("media_")
        )
        state.media.setdefault(
            media_id,
            {
                "id": media_id,
                "account": event.account_id,
                "caption": "",
                "media_type": "IMAGE",
                "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime(now)),
                "permalink": f"https://www.instagram.com/p/{media_id}/",
            },
        )
        username = event.username or f"user{event.from_[-4:]}"
        state.comments[platform_id] = {
            "id": platform_id,
            "account": event.account_id,
            "media_id": media_id,
            "text": event.text,
            "from": {"id": event.from_, "username": username},
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime(now)),
        }
        payload = payloads.instagram_comment(
            event.account_id,
            event.from_,
            username,
            platform_id,
            event.text,
            media_id,
            event.parent_id,
        )
    statuses: list[int] = []
    if event.deliver:
        statuses = await request.app.state.deliver_now(
            event.platform, payload, times=event.times, concurrent=event.concurrent
        )
    return {"platform_id": platform_id, "delivered": statuses, "payload": payload}


@router.post("/human_reply")
async def human_reply(reply: HumanReply, request: Request) -> dict[str, Any]:
    """Staff answered from the Instagram app: the bot receives the echo (no metadata of ours)."""
    state = _state(request)
    mid = state.new_id("m_")
    state.conversation_for(reply.account_id, reply.to)["messages"].append(
        {
            "id": mid,
            "from": {"id": reply.account_id},
            "message": reply.text,
            "created_time": time.time(),
        }
    )
    statuses = await request.app.state.deliver_now(
        "instagram", payloads.instagram_echo(reply.account_id, reply.to, mid, reply.text)
    )
    return {"message_id": mid, "delivered": statuses}


class NewWhatsAppBusiness(BaseModel):
    verified_name: str = "Sandbox Shop"
    display_phone_number: str = "+1 555 0100"


@router.post("/whatsapp/businesses", status_code=201)
async def create_whatsapp_business(body: NewWhatsAppBusiness, request: Request) -> dict[str, Any]:
    """A WhatsApp Business account with a phone number and a token, for connecting it manually
    (`POST /api/social-accounts/whatsapp` with these three values)."""
    waba = _state(request).new_waba(
        verified_name=body.verified_name, display_phone_number=body.display_phone_number
    )
    [phone_id] = waba["phone_numbers"]
    return {"waba_id": waba["id"], "phone_number_id": phone_id, "access_token": waba["token"]}


class ProfileSpec(BaseModel):
    igsid: str = Field(min_length=1, max_length=64)
    name: str | None = Field(default=None, max_length=200)
    username: str | None = Field(default=None, max_length=100)


@router.post("/profiles", status_code=201)
async def set_profile(spec: ProfileSpec, request: Request) -> dict[str, Any]:
    """What Instagram's User Profile API answers for this customer (IGSID)."""
    profile = {"name": spec.name, "username": spec.username}
    _state(request).profiles[spec.igsid] = profile
    return {"igsid": spec.igsid, **profile}


@router.get("/samples/{name}")
async def sample_media(name: str) -> Response:
    """Media to publish with, served as a CDN would: square.jpg, portrait.jpg (4:5),
    banner.jpg (too wide for the feed), logo.png, clip.mp4 (a 12-second video), short.mp4
    (2 seconds)."""
    found = samples.SAMPLES.get(name)
    if found is None:
        return Response(status_code=404)
    content_type, make = found
    return Response(make(), media_type=content_type)
