from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Form, Path, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, ConfigDict, Field

from app.deps import CurrentWorkspace
from app.pages import page
from app.pagination import CursorParam, Limit, Page, page_of, time_id_cursor
from app.ratelimit import api_limit
from app.social_accounts import connect, instagram_connect, meta_callbacks, repo, token_health
from app.social_accounts.schemas import EmbeddedSignupIn, SocialAccountOut, WhatsAppConnectIn

router = APIRouter(prefix="/api/social-accounts", tags=["social accounts"])
pages = APIRouter(tags=["social accounts"])
# Meta's Instagram Login callbacks, set in the app's Business login settings
meta_callbacks_router = APIRouter(prefix="/webhooks/instagram", tags=["webhooks"])


@router.get("", response_model=Page[SocialAccountOut])
@api_limit
async def list_social_accounts(
    request: Request, ws: CurrentWorkspace, cursor: CursorParam = None, limit: Limit = 50
) -> Page[SocialAccountOut]:
    async with ws.session() as conn:
        rows = await repo.list_accounts(
            conn, workspace_id=ws.workspace_id, limit=limit + 1, after=time_id_cursor(cursor)
        )
    return page_of(rows, limit=limit, key=lambda r: (r["connected_at"], r["id"]), item=account_out)


def account_out(row: dict[str, Any]) -> SocialAccountOut:
    return SocialAccountOut(
        **row,
        quality_rating=(row.get("settings") or {}).get("quality_rating"),
        health=token_health.health_of(row),
    )


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


@router.post("/whatsapp/embedded-signup", response_model=SocialAccountOut, status_code=201)
@api_limit
async def connect_whatsapp_embedded(
    request: Request, ws: CurrentWorkspace, body: EmbeddedSignupIn
) -> SocialAccountOut:
    """Finish WhatsApp Embedded Signup (owners and managers): send what Meta's popup returned
    right away (its code lives 30 seconds). The number is then checked, subscribed and stored
    as with a manual connection."""
    row = await connect.connect_embedded_signup(
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


class AuthorizeOut(BaseModel):
    authorize_url: str


@router.post("/instagram/connect", response_model=AuthorizeOut)
@api_limit
async def connect_instagram(request: Request, ws: CurrentWorkspace) -> AuthorizeOut:
    """Start connecting an Instagram professional account (owners and managers): open
    `authorize_url` in a browser, log in to Instagram and allow SocialSync. The link is bound to
    this workspace and to you, and expires (`OAUTH_STATE_TTL_S`)."""
    return AuthorizeOut(authorize_url=instagram_connect.start(ws, request.app.state.settings))


@router.get("/instagram/callback", response_class=RedirectResponse, status_code=303)
@api_limit
async def instagram_callback(
    request: Request,
    code: Annotated[str | None, Query(max_length=2048)] = None,
    state: Annotated[str | None, Query(max_length=4096)] = None,
    error: Annotated[str | None, Query(max_length=200)] = None,
) -> RedirectResponse:
    """Where Instagram sends the browser back (with a code, or an error when the person said
    no). Answers with a redirect to a page that says what happened."""
    state_app = request.app.state
    outcome = await instagram_connect.finish(
        state_app.pool, state_app.settings, state_app.http, code=code, state=state, error=error
    )
    query = {
        "result": outcome.result,
        **({"username": outcome.username} if outcome.username else {}),
    }
    if outcome.detail:
        query["detail"] = outcome.detail
    return RedirectResponse(f"/connect/instagram/done?{urlencode(query)}", status_code=303)


@pages.get("/connect/instagram/done", response_class=HTMLResponse, include_in_schema=False)
async def instagram_connectedpage(
    result: Annotated[str, Query(max_length=40)] = "invalid_state",
    username: Annotated[str | None, Query(max_length=100)] = None,
    detail: Annotated[str | None, Query(max_length=300)] = None,
) -> HTMLResponse:
    known = result if result in instagram_connect.MESSAGES else "invalid_state"
    message = instagram_connect.Outcome(known, username, detail).message
    title = "Instagram connected" if known == "connected" else "Instagram not connected"
    status = 200 if known == "connected" else 400
    back = '<p><a href="/settings#accounts">Back to your SocialSync settings</a></p>'
    return page(title, [message], status, form=back)


class SignedRequestForm(BaseModel):
    """Meta's form body: `<signature>.<payload>`, base64url, signed with the Instagram app
    secret."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "signed_request": "zR1sM3Fq8b2Ua6l0bXr7UKbqQ3r4H4nGJrX2xgkS1Wc."
                    "eyJhbGdvcml0aG0iOiJITUFDLVNIQTI1NiIsInVzZXJfaWQiOiIxNzg0MSJ9"
                }
            ]
        },
    )

    signed_request: str = Field(min_length=3, max_length=8192)


SignedRequest = Annotated[SignedRequestForm, Form()]


class DeauthorizedOut(BaseModel):
    disconnected: int


class DeletionOut(BaseModel):
    url: str
    confirmation_code: str


@meta_callbacks_router.post("/deauthorize", response_model=DeauthorizedOut)
@api_limit
async def instagram_deauthorized(
    request: Request, signed_request: SignedRequest
) -> DeauthorizedOut:
    """Meta's Deauthorize callback: the account removed SocialSync on Instagram. It is
    disconnected (token deleted, conversations kept) and its workspace's staff are told to
    reconnect it."""
    state = request.app.state
    count = await meta_callbacks.deauthorize(
        state.pool, state.settings, signed_request.signed_request
    )
    return DeauthorizedOut(disconnected=count)


@meta_callbacks_router.post("/data-deletion", response_model=DeletionOut)
@api_limit
async def instagram_data_deletion(request: Request, signed_request: SignedRequest) -> DeletionOut:
    """Meta's Data Deletion Request callback: the account and all it sent us (contacts,
    conversations, messages, comments, posts, raw updates) are deleted now; `url` is a page
    that confirms it for `confirmation_code`."""
    state = request.app.state
    receipt = await meta_callbacks.delete_data(
        state.pool, state.settings, signed_request.signed_request
    )
    return DeletionOut(url=receipt.url, confirmation_code=receipt.confirmation_code)


@meta_callbacks_router.get(
    "/data-deletion/{code}", response_class=HTMLResponse, include_in_schema=False
)
@api_limit
async def data_deletion_status(
    request: Request, code: Annotated[str, Path(max_length=64)]
) -> HTMLResponse:
    found = await meta_callbacks.deletion_status(request.app.state.pool, code)
    if found is None:
        return page(
            "Unknown request",
            [
                "No data deletion request has this confirmation code. Check the code Meta showed you."
            ],
            404,
        )
    done = found["completed_at"]
    return page(
        "Data deleted" if done else "Deletion in progress",
        [
            f"Confirmation code: {found['confirmation_code']}",
            f"Requested {found['requested_at']:%Y-%m-%d %H:%M} UTC; "
            + (f"completed {done:%Y-%m-%d %H:%M} UTC." if done else "not finished yet."),
            "SocialSync deleted the Instagram account's conversations, contacts, comments and "
            "the updates Meta sent us for it.",
        ],
        200,
    )
