"""Settings: connected accounts with token health and reconnect (Instagram Login, WhatsApp by
hand), the bot's settings (persona, guardrails, thresholds, business hours, holding message),
the team (members, invitations) and canned replies. Every change goes through the API's own
validation; its errors are shown next to the field."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from app.agent.settings_router import AiSettingsIn, Day, get_settings, update_settings
from app.canned_replies.router import CannedReplyIn, create_canned_reply, list_canned_replies
from app.console.context import Change, Console, Page
from app.console.render import field_errors, go, on_the_form, render
from app.errors import AppError
from app.social_accounts import connect, instagram_connect
from app.social_accounts.router import list_social_accounts
from app.social_accounts.schemas import EmbeddedSignupIn, WhatsAppConnectIn
from app.workspaces import invites
from app.workspaces import service as workspaces
from app.workspaces.schemas import (
    ZONES,
    InviteOut,
    MemberInvite,
    MemberRoleUpdate,
    WorkspaceUpdate,
)

router = APIRouter(include_in_schema=False)

DAYS: tuple[Day, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Short = Annotated[str, Form(max_length=4000)]


async def _render(
    request: Request, console: Console, *, code: int = 200, **context: Any
) -> HTMLResponse:
    ws = console.ws
    accounts = (await list_social_accounts(request, ws, cursor=None, limit=50)).items
    detail = await workspaces.get_workspace(ws)
    pending = (
        [
            i
            for i in (await invites.list_invites(ws, limit=50, cursor=None)).items
            if i.status == "pending"
        ]
        if ws.has("owner")
        else []
    )
    values: dict[str, Any] = {
        "accounts": accounts,
        "ai": await get_settings(request, ws),
        "members": detail.members,
        "invites": pending,
        "canned": (await list_canned_replies(request, ws, q=None, cursor=None, limit=100)).items,
        "days": DAYS,
        "zones": ZONES,
        "is_manager": ws.has("manager"),
        "signup": request.app.state.settings.embedded_signup,
        "meta": request.app.state.settings,
        "is_owner": ws.has("owner"),
        "errors": {},
        **context,
    }
    return render(request, "settings.html", values, status=code)


@router.get("/settings", response_class=HTMLResponse)
async def settings_page(request: Request, console: Page) -> HTMLResponse:
    return await _render(request, console)


@router.post("/settings/accounts/instagram")
async def connect_instagram(request: Request, console: Change) -> Response:
    """Off to Instagram's login; Instagram sends the browser back to the API's callback."""
    console.ws.require("manager")
    return go(request, instagram_connect.start(console.ws, request.app.state.settings))


@router.post("/settings/accounts/whatsapp", response_class=HTMLResponse)
async def connect_whatsapp(
    request: Request,
    console: Change,
    waba_id: Short = "",
    phone_number_id: Short = "",
    access_token: Short = "",
) -> Response:
    try:
        body = WhatsAppConnectIn(
            waba_id=waba_id.strip(),
            phone_number_id=phone_number_id.strip(),
            access_token=access_token.strip(),
        )
        await connect.connect_whatsapp(
            console.ws, body, settings=request.app.state.settings, http=request.app.state.http
        )
    except ValidationError as exc:
        return await _render(request, console, code=422, errors={"whatsapp": field_errors(exc)})
    except AppError as exc:
        if not on_the_form(exc, "meta_unavailable"):
            raise
        return await _render(request, console, code=422, errors={"whatsapp": {"form": exc.message}})
    return go(request, "/settings#accounts")


@router.post("/settings/accounts/whatsapp/embedded-signup", response_class=HTMLResponse)
async def embedded_signup(
    request: Request,
    console: Change,
    code: Short = "",
    waba_id: Short = "",
    phone_number_id: Short = "",
) -> Response:
    """What Meta's popup gave the page (the code lives 30 seconds: exchanged now)."""
    try:
        body = EmbeddedSignupIn(code=code, waba_id=waba_id, phone_number_id=phone_number_id)
        await connect.connect_embedded_signup(
            console.ws, body, settings=request.app.state.settings, http=request.app.state.http
        )
    except ValidationError as exc:
        errors = {"form": "Meta's signup did not finish: " + "; ".join(field_errors(exc).values())}
        return await _render(request, console, code=422, errors={"whatsapp": errors})
    except AppError as exc:
        if not on_the_form(exc, "meta_unavailable"):
            raise
        return await _render(request, console, code=422, errors={"whatsapp": {"form": exc.message}})
    return go(request, "/settings?saved=whatsapp#accounts")


@router.post("/settings/accounts/{account_id:uuid}/disconnect")
async def disconnect(request: Request, console: Change, account_id: UUID) -> Response:
    await connect.disconnect(
        console.ws, account_id, settings=request.app.state.settings, http=request.app.state.http
    )
    return go(request, "/settings#accounts")


def _words(value: str) -> list[str]:
    return [w.strip() for w in value.replace("\n", ",").split(",") if w.strip()]


def _hours(form: dict[str, str]) -> dict[str, list[str]] | None:
    if form.get("always_open") == "true":
        return None
    return {
        day: [form.get(f"{day}_open", ""), form.get(f"{day}_close", "")]
        for day in DAYS
        if form.get(f"{day}_open") or form.get(f"{day}_close")
    }


@router.post("/settings/ai", response_class=HTMLResponse)
async def save_ai(request: Request, console: Change) -> Response:
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    changes: dict[str, Any] = {
        "persona": form.get("persona", "").strip(),
        "tone": form.get("tone", "").strip(),
        "confidence_threshold": form.get("confidence_threshold", ""),
        "blocked_words": _words(form.get("blocked_words", "")),
        "escalation_keywords": _words(form.get("escalation_keywords", "")),
        "comment_reply_mode": form.get("comment_reply_mode", "public"),
        "auto_reply": {
            channel: form.get(f"auto_{channel}") == "true"
            for channel in ("instagram_dm", "instagram_comment", "whatsapp")
        },
        "ignore_rules": {rule: form.get(f"ignore_{rule}") == "true" for rule in ("spam", "praise")},
        "holding_message": form.get("holding_message", "").strip() or None,
        "away_message": form.get("away_message", "").strip() or None,
        "business_hours": _hours(form),
        "reply_in_customer_language": form.get("reply_in_customer_language") == "true",
    }
    try:
        body = AiSettingsIn.model_validate(changes)
        await update_settings(request, body, console.ws)
    except ValidationError as exc:
        return await _render(request, console, code=422, errors={"ai": field_errors(exc)})
    return go(request, "/settings?saved=ai#ai")


@router.post("/settings/members", response_class=HTMLResponse)
async def invite(
    request: Request, console: Change, email: Short = "", role: Short = "agent"
) -> Response:
    try:
        body = MemberInvite.model_validate({"email": email.strip(), "role": role})
        added = await workspaces.add_member(
            console.ws, body, settings=request.app.state.settings, mailer=request.app.state.mailer
        )
    except ValidationError as exc:
        return await _render(request, console, code=422, errors={"team": field_errors(exc)})
    except AppError as exc:
        if not on_the_form(exc):
            raise
        return await _render(request, console, code=422, errors={"team": {"email": exc.message}})
    invited = added if isinstance(added, InviteOut) else None
    return await _render(request, console, invited=invited, added=None if invited else added)


@router.post("/settings/canned-replies", response_class=HTMLResponse)
async def add_canned(
    request: Request, console: Change, title: Short = "", text: Short = "", shortcut: Short = ""
) -> Response:
    try:
        body = CannedReplyIn.model_validate(
            {"title": title.strip(), "text": text.strip(), "shortcut": shortcut.strip() or None}
        )
        await create_canned_reply(request, console.ws, body)
    except ValidationError as exc:
        return await _render(request, console, code=422, errors={"canned": field_errors(exc)})
    except AppError as exc:
        if not on_the_form(exc):
            raise
        return await _render(
            request, console, code=422, errors={"canned": {"shortcut": exc.message}}
        )
    return go(request, "/settings#canned")


@router.post("/settings/workspace", response_class=HTMLResponse)
async def save_workspace(
    request: Request, console: Change, name: Short = "", timezone: Short = ""
) -> Response:
    try:
        body = WorkspaceUpdate.model_validate({"name": name.strip(), "timezone": timezone.strip()})
    except ValidationError as exc:
        return await _render(request, console, code=422, errors={"workspace": field_errors(exc)})
    await workspaces.update_workspace(console.ws, body)
    return go(request, "/settings?saved=workspace#workspace")


@router.post("/settings/members/{user_id:uuid}")
async def change_member(
    request: Request, console: Change, user_id: UUID, role: Short = "", remove: Short = ""
) -> Response:
    try:
        if remove == "true":
            await workspaces.remove_member(console.ws, user_id=user_id)
        else:
            await workspaces.change_role(
                console.ws,
                user_id=user_id,
                role=MemberRoleUpdate.model_validate({"role": role}).role,
            )
    except ValidationError as exc:
        return await _render(request, console, code=422, errors={"team": field_errors(exc)})
    except AppError as exc:
        if not on_the_form(exc):
            raise
        return await _render(request, console, code=422, errors={"team": {"member": exc.message}})
    return go(request, "/settings#team")


@router.post("/settings/invites/{invite_id:uuid}/revoke")
async def revoke_invite(request: Request, console: Change, invite_id: UUID) -> Response:
    await invites.revoke(console.ws, invite_id)
    return go(request, "/settings#team")
