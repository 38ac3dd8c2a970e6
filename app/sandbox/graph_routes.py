"""The Graph API endpoints SocialSync calls, with Meta's request and response shapes."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from app.sandbox import payloads
from app.sandbox.state import SandboxState, apply_fault, graph_error

router = APIRouter()


def _state(request: Request) -> SandboxState:
    return request.app.state.sandbox


def _has_token(request: Request) -> bool:
    auth = request.headers.get("authorization", "")
    return auth.lower().startswith("bearer ") or "access_token" in request.query_params


async def _params(request: Request) -> dict[str, Any]:
    """Graph calls send parameters as query string, form or JSON: accept all three."""
    params: dict[str, Any] = dict(request.query_params)
    content_type = request.headers.get("content-type", "")
    if "json" in content_type:
        body = await request.json()
        if isinstance(body, dict):
            params.update(body)
    elif "form" in content_type:
        params.update(dict(await request.form()))
    params.pop("access_token", None)
    return params


async def _guard(request: Request, endpoint: str, *, whatsapp: bool = False) -> JSONResponse | None:
    if not _has_token(request):
        return graph_error(400, 190, "An access token is required to request this resource.")
    return await apply_fault(_state(request), endpoint, whatsapp=whatsapp, url=str(request.url))


@router.post("/{version}/{node_id}/messages")
async def send_message(version: str, node_id: str, request: Request) -> JSONResponse:
    params = await _params(request)
    if params.get("messaging_product") == "whatsapp":
        return await _whatsapp_send(node_id, params, request)
    if (error := await _guard(request, "send_message")) is not None:
        return error
    state = _state(request)
    recipient = params.get("recipient") or {}
    if "sender_action" in params:
        state.record(
            "sender_action",
            "instagram",
            node_id,
            recipient.get("id"),
            action=params["sender_action"],
        )
        return JSONResponse({"recipient_id": recipient.get("id")})
    message = params.get("message") or {}
    mid = state.new_id("m_")
    tag = params.get("tag")
    if "comment_id" in recipient:
        comment = state.comments.get(recipient["comment_id"], {})
        state.record(
            "private_reply",
            "instagram",
            node_id,
            comment.get("from", {}).get("id"),
            comment_id=recipient["comment_id"],
            text=message.get("text"),
            message_id=mid,
        )
        return JSONResponse({"recipient_id": comment.get("from", {}).get("id"), "message_id": mid})
    user = recipient.get("id")
    if not user:
        return graph_error(400, 100, "(#100) The parameter recipient is required")
    attachment = message.get("attachment")
    state.record(
        "send_message",
        "instagram",
        node_id,
        user,
        text=message.get("text"),
        media=(attachment or {}).get("payload", {}).get("url") if attachment else None,
        quick_replies=message.get("quick_replies"),
        tag=tag,
        message_id=mid,
        metadata=message.get("metadata"),
    )
    state.conversation_for(node_id, user)["messages"].append(
        {
            "id": mid,
            "from": {"id": node_id},
            "message": message.get("text"),
            "created_time": time.time(),
        }
    )
    if state.send_echoes:
        request.app.state.schedule_delivery(
            "instagram",
            payloads.instagram_echo(
                node_id, user, mid, message.get("text"), message.get("metadata")
            ),
        )
    return JSONResponse({"recipient_id": user, "message_id": mid})


async def _whatsapp_send(phone_id: str, params: dict[str, Any], request: Request) -> JSONResponse:
    if (error := await _guard(request, "wa_send", whatsapp=True)) is not None:
        return error
    state = _state(request)
    if params.get("status") == "read":
        state.record(
            "wa_mark_read",
            "whatsapp",
            phone_id,
            None,
            message_id=params.get("message_id"),
            typing=params.get("typing_indicator"),
        )
        return JSONResponse({"success": True})
    # a phone number in `to` (with + and the country code), or a business-scoped user id
    to = str(params.get("to") or params.get("recipient") or "")
    if "recipient" in params and "to" not in params:
        if "." not in to:
            return graph_error(400, 100, "(#100) Invalid parameter: 'recipient' is not a BSUID")
    elif not to.startswith("+"):
        return graph_error(
            400, 100, "(#100) Invalid parameter: 'to' must include + and the country code"
        )
    kind = params.get("type", "text")
    part = params.get(kind) or {}
    text = part.get("body") if kind == "text" else part.get("caption")
    wamid = state.new_id("wamid.")
    state.record(
        "wa_send",
        "whatsapp",
        phone_id,
        to,
        text=text,
        media=part.get("link"),
        type=kind,
        template=params.get("template"),
        interactive=params.get("interactive"),
        message_id=wamid,
    )
    return JSONResponse(
        {
            "messaging_product": "whatsapp",
            "contacts": [
                {"input": to, "user_id": to}
                if "." in to
                else {"input": to, "wa_id": to.lstrip("+")}
            ],
            "messages": [{"id": wamid}],
        }
    )


@router.post("/{version}/{comment_id}/replies")
async def reply_to_comment(version: str, comment_id: str, request: Request) -> JSONResponse:
    if (error := await _guard(request, "comment_reply")) is not None:
        return error
    state = _state(request)
    params = await _params(request)
    comment = state.comments.get(comment_id)
    if comment is not None and comment.get("hidden"):
        return graph_error(400, 100, "(#100) Cannot reply to a hidden comment")
    reply_id = state.new_id("c_")
    state.record(
        "comment_reply",
        "instagram",
        (comment or {}).get("account", ""),
        comment_id,
        text=params.get("message"),
        reply_id=reply_id,
    )
    return JSONResponse({"id": reply_id})


@router.post("/{version}/{ig_id}/media")
async def create_container(version: str, ig_id: str, request: Request) -> JSONResponse:
    if (error := await _guard(request, "create_container")) is not None:
        return error
    state = _state(request)
    params = await _params(request)
    url = params.get("image_url") or params.get("video_url")
    if url and state.fetch_media:
        # Meta downloads the media now: what it cannot fetch, or is not what it says, fails
        refused = await fetch_media(request.app.state.http, str(url), video="video_url" in params)
        if refused is not None:
            return refused
    container_id = state.new_id("cont_")
    state.containers[container_id] = {
        "account": ig_id,
        "params": params,
        "polls": 0,
        "status": "IN_PROGRESS",
    }
    state.record(
        "create_container",
        "instagram",
        ig_id,
        None,
        media=params.get("image_url") or params.get("video_url"),
        text=params.get("caption"),
        container_id=container_id,
        media_type=params.get("media_type", "IMAGE"),
    )
    return JSONResponse({"id": container_id})


async def fetch_media(http: Any, url: str, *, video: bool) -> JSONResponse | None:
    """Meta's download of a container's media: reachable, of the right type, within limits."""
    cap = (300 if video else 8) * 1024 * 1024
    try:
        async with http.stream("GET", url, timeout=10.0, follow_redirects=True) as response:
            kind = response.headers.get("content-type", "").split(";")[0].strip()
            size = 0
            if response.status_code < 400:
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > cap:
                        break
    except Exception:  # any failure to download is Meta's 9004
        return graph_error(400, 9004, "Media download has failed.", subcode=2207052)
    if response.status_code >= 400:
        return graph_error(400, 9004, "Media download has failed.", subcode=2207052)
    if size > cap:
        return graph_error(400, 36001, "The media is too large.", subcode=2207004)
    expected = "video/" if video else "image/jpeg"
    if not kind.startswith(expected):
        return graph_error(
            400, 9004, "Only photo or video can be accepted as media type.", subcode=2207026
        )
    return None


@router.post("/{version}/{ig_id}/media_publish")
async def publish(version: str, ig_id: str, request: Request) -> JSONResponse:
    if (error := await _guard(request, "publish")) is not None:
        return error
    state = _state(request)
    params = await _params(request)
    container = state.containers.get(str(params.get("creation_id")))
    if container is None or container["status"] != "FINISHED":
        return graph_error(400, 9007, "Media ID is not available", subcode=2207027)
    if state.published_24h.get(ig_id, 0) >= state.publishing_quota:
        return graph_error(400, 9, "Application request limit reached", subcode=2207042)
    media_id = state.new_id("media_")
    container["status"] = "PUBLISHED"
    state.published_24h[ig_id] = state.published_24h.get(ig_id, 0) + 1
    state.media[media_id] = {
        "id": media_id,
        "account": ig_id,
        "caption": container["params"].get("caption"),
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime()),
        "permalink": f"https://www.instagram.com/p/{media_id}/",
        "media_type": container["params"].get("media_type", "IMAGE"),
    }
    state.record(
        "publish",
        "instagram",
        ig_id,
        None,
        container_id=params.get("creation_id"),
        media_id=media_id,
    )
    return JSONResponse({"id": media_id})


@router.get("/{version}/{ig_id}/content_publishing_limit")
async def publishing_limit(version: str, ig_id: str, request: Request) -> JSONResponse:
    if (error := await _guard(request, "publishing_limit")) is not None:
        return error
    state = _state(request)
    return JSONResponse(
        {
            "data": [
                {
                    "quota_usage": state.published_24h.get(ig_id, 0),
                    "config": {"quota_total": state.publishing_quota, "quota_duration": 86400},
                }
            ]
        }
    )


@router.get("/{version}/{ig_id}/media")
async def list_media(version: str, ig_id: str, request: Request) -> JSONResponse:
    if (error := await _guard(request, "list_media")) is not None:
        return error
    items = [m for m in _state(request).media.values() if m["account"] == ig_id]
    return JSONResponse(
        {"data": [{k: v for k, v in m.items() if k != "account"} for m in reversed(items)]}
    )


@router.get("/{version}/{media_id}/comments")
async def list_comments(version: str, media_id: str, request: Request) -> JSONResponse:
    if (error := await _guard(request, "list_comments")) is not None:
        return error
    comments = [c for c in _state(request).comments.values() if c["media_id"] == media_id]
    return JSONResponse(
        {
            "data": [
                {
                    "id": c["id"],
                    "text": c["text"],
                    "timestamp": c["timestamp"],
                    "from": c["from"],
                    "username": c["from"].get("username"),
                    "hidden": c.get("hidden", False),
                }
                for c in comments
            ]
        }
    )


@router.get("/{version}/{ig_id}/conversations")
async def list_conversations(version: str, ig_id: str, request: Request) -> JSONResponse:
    if (error := await _guard(request, "list_conversations")) is not None:
        return error
    # `user_id` narrows the listing to the conversation with that person, as Meta's does
    user = request.query_params.get("user_id")
    conversations = [
        c
        for c in _state(request).conversations.values()
        if c["account"] == ig_id and (user is None or c["user"] == user)
    ]
    return JSONResponse(
        {
            "data": [
                {
                    "id": c["id"],
                    "updated_time": time.strftime(
                        "%Y-%m-%dT%H:%M:%S+0000", time.gmtime(c["updated_time"])
                    ),
                }
                for c in sorted(conversations, key=lambda c: -c["updated_time"])
            ]
        }
    )


def _bearer(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return request.query_params.get("access_token")


def _waba_for_token(
    request: Request, waba_id: str
) -> tuple[dict[str, Any] | None, JSONResponse | None]:
    """The WABA, if the caller's token is the one the sandbox issued for it (Meta: error 190 for
    a token it does not know, 200 for one without access to this WABA)."""
    state = _state(request)
    token = _bearer(request)
    if not token or not any(w["token"] == token for w in state.wabas.values()):
        return None, graph_error(401, 190, "Invalid OAuth access token - Cannot parse access token")
    waba = state.wabas.get(waba_id)
    if waba is None:
        return None, graph_error(
            400, 100, f"Unsupported get request. Object with ID '{waba_id}' does not exist"
        )
    if waba["token"] != token:
        return None, graph_error(
            403, 200, "Permissions error: no access to this WhatsApp Business Account"
        )
    return waba, None


@router.get("/{version}/{waba_id}/phone_numbers")
async def waba_phone_numbers(version: str, waba_id: str, request: Request) -> JSONResponse:
    if (
        error := await apply_fault(
            _state(request), "phone_numbers", whatsapp=True, url=str(request.url)
        )
    ) is not None:
        return error
    waba, error = _waba_for_token(request, waba_id)
    if error is not None:
        return error
    assert waba is not None
    return JSONResponse({"data": list(waba["phone_numbers"].values())})


@router.post("/{version}/{node_id}/subscribed_apps")
async def subscribe_app(version: str, node_id: str, request: Request) -> JSONResponse:
    if (
        error := await apply_fault(_state(request), "subscribed_apps", url=str(request.url))
    ) is not None:
        return error
    if node_id in _state(request).wabas:
        _, error = _waba_for_token(request, node_id)
        if error is not None:
            return error
    elif not _has_token(request):
        return graph_error(400, 190, "An access token is required to request this resource.")
    _state(request).subscribed.add(node_id)
    return JSONResponse({"success": True})


@router.delete("/{version}/{node_id}/subscribed_apps")
async def unsubscribe_app(version: str, node_id: str, request: Request) -> JSONResponse:
    if not _has_token(request):
        return graph_error(400, 190, "An access token is required to request this resource.")
    _state(request).subscribed.discard(node_id)
    return JSONResponse({"success": True})


@router.get("/refresh_access_token")
async def refresh_access_token(request: Request) -> JSONResponse:
    if (
        error := await apply_fault(_state(request), "refresh_token", url=str(request.url))
    ) is not None:
        return error
    if request.query_params.get("grant_type") != "ig_refresh_token" or not request.query_params.get(
        "access_token"
    ):
        return graph_error(400, 100, "grant_type must be ig_refresh_token")
    token = _state(request).new_id("sandbox-token-")
    _state(request).token_refreshes.append(
        {"old": request.query_params["access_token"], "new": token}
    )
    return JSONResponse(
        {
            "access_token": token,
            "token_type": "bearer",
            "expires_in": 60 * 24 * 3600,
        }
    )


@router.get("/{version}/{node_id}")
async def read_node(version: str, node_id: str, request: Request) -> JSONResponse:
    """Container status, a conversation's messages, or a media object."""
    state = _state(request)
    if node_id in state.containers:
        if (error := await _guard(request, "container_status")) is not None:
            return error
        container = state.containers[node_id]
        container["polls"] += 1
        if (
            container["status"] == "IN_PROGRESS"
            and container["polls"] >= state.container_polls_until_finished
        ):
            container["status"] = "FINISHED"
        return JSONResponse({"id": node_id, "status_code": container["status"]})
    waba = state.waba_of_phone(node_id)
    if waba is not None:  # a WhatsApp phone number: its profile, for its own WABA's token only
        if (
            error := await apply_fault(state, "phone_number", whatsapp=True, url=str(request.url))
        ) is not None:
            return error
        _, error = _waba_for_token(request, waba["id"])
        if error is not None:
            return error
        number = waba["phone_numbers"][node_id]
        fields = [f for f in request.query_params.get("fields", "").split(",") if f]
        return JSONResponse(
            {k: v for k, v in number.items() if k == "id" or not fields or k in fields}
        )
    if (error := await _guard(request, "list_messages")) is not None:
        return error
    conversation = state.conversation_by_id(node_id)
    if conversation is not None:
        return JSONResponse(
            {
                "id": node_id,
                "messages": {
                    "data": [
                        {
                            "id": m["id"],
                            "created_time": time.strftime(
                                "%Y-%m-%dT%H:%M:%S+0000", time.gmtime(m["created_time"])
                            ),
                            "from": m["from"],
                            "message": m["message"],
                        }
                        for m in reversed(conversation["messages"])
                    ]
                },
            }
        )
    if node_id in state.media:
        return JSONResponse({k: v for k, v in state.media[node_id].items() if k != "account"})
    if "profile_pic" in request.query_params.get("fields", ""):
        if (error := await _guard(request, "user_profile")) is not None:
            return error
        return _user_profile(state, node_id)
    return graph_error(
        400, 100, f"Unsupported get request. Object with ID '{node_id}' does not exist"
    )


def _user_profile(state: Any, igsid: str) -> JSONResponse:
    """Instagram's User Profile API: only for someone who wrote to the account (consent)."""
    wrote = igsid in state.profiles or any(c["user"] == igsid for c in state.conversations.values())
    if not wrote:
        return graph_error(400, 230, "User consent is required to access user profile")
    profile = state.profiles.get(igsid) or {
        "name": f"Customer {igsid[-4:]}",
        "username": f"customer_{igsid}",
    }
    return JSONResponse(
        {
            "id": igsid,
            "profile_pic": f"https://sandbox.invalid/avatars/{igsid}.jpg",
            "follower_count": 12,
            "is_user_follow_business": True,
            **profile,
        }
    )


@router.post("/{version}/{node_id}")
async def update_node(version: str, node_id: str, request: Request) -> JSONResponse:
    """Hide or unhide a comment (`hide`), or switch comments on a post (`comment_enabled`)."""
    if (error := await _guard(request, "hide_comment")) is not None:
        return error
    state = _state(request)
    params = await _params(request)
    if "hide" in params and node_id in state.comments:
        hidden = str(params["hide"]).lower() == "true"
        state.comments[node_id]["hidden"] = hidden
        state.record(
            "hide_comment", "instagram", state.comments[node_id]["account"], node_id, hidden=hidden
        )
        return JSONResponse({"success": True})
    if "comment_enabled" in params and node_id in state.media:
        state.media[node_id]["comment_enabled"] = str(params["comment_enabled"]).lower() == "true"
        return JSONResponse({"success": True})
    return graph_error(400, 100, f"Object with ID '{node_id}' does not exist")


@router.delete("/{version}/{comment_id}")
async def delete_comment(version: str, comment_id: str, request: Request) -> JSONResponse:
    if (error := await _guard(request, "delete_comment")) is not None:
        return error
    state = _state(request)
    comment = state.comments.pop(comment_id, None)
    if comment is None:
        return graph_error(400, 100, f"Object with ID '{comment_id}' does not exist")
    state.record("delete_comment", "instagram", comment["account"], comment_id)
    return JSONResponse({"success": True})
