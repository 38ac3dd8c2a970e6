"""Instagram Login as Meta runs it (META-CONNECT.md §1): the authorize page approves at once
(or denies, when configured to) and sends the browser back with a single-use code; the code
and token exchanges; and `/me`, the account behind a token."""

from __future__ import annotations

import json
import secrets
import time
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from app.sandbox.state import SandboxState, graph_error

router = APIRouter(tags=["sandbox: Instagram Login"])

SHORT_LIVED_S = 3600
LONG_LIVED_S = 5183944
GRANTED = (
    "instagram_business_basic,instagram_business_manage_messages,"
    "instagram_business_manage_comments,instagram_business_content_publish"
)


def _state(request: Request) -> SandboxState:
    return request.app.state.sandbox


def _oauth_error(message: str) -> JSONResponse:
    return JSONResponse(
        {"error_type": "OAuthException", "code": 400, "error_message": message}, status_code=400
    )


@router.get("/oauth/authorize", response_model=None)
async def authorize(
    request: Request,
    client_id: str = "",
    redirect_uri: str = "",
    response_type: str = "",
    state: str = "",
    account: str | None = None,
    account_type: str = "BUSINESS",
    deny: bool = False,
) -> RedirectResponse | JSONResponse:
    """A plain GET (browser or script) approves at once as a new test account, or as the one
    named by `account`; `account_type=PERSONAL` plays a personal account; `deny=true` (or the
    sandbox's `oauth_deny`) plays a person who said no."""
    if not client_id or not redirect_uri.startswith(("http://", "https://")):
        return _oauth_error("Invalid platform app")
    if response_type != "code":
        return _oauth_error("response_type must be code")
    sandbox = _state(request)
    if deny or sandbox.oauth_deny:
        query = {
            "error": "access_denied",
            "error_reason": "user_denied",
            "error_description": "The user denied your request.",
            "state": state,
        }
        return RedirectResponse(f"{redirect_uri}?{urlencode(query)}", status_code=302)
    ig = sandbox.ig_account(account, account_type.upper())
    code = secrets.token_urlsafe(24)
    sandbox.oauth_codes[code] = {"ig_id": ig["user_id"], "redirect_uri": redirect_uri}
    # Meta appends `#_` to the redirect
    return RedirectResponse(
        f"{redirect_uri}?{urlencode({'code': code, 'state': state})}#_", status_code=302
    )


@router.post("/oauth/access_token")
async def exchange_code(request: Request) -> JSONResponse:
    form = dict(await request.form())
    if form.get("grant_type") != "authorization_code" or not form.get("client_secret"):
        return _oauth_error("Missing or invalid grant_type or client_secret")
    grant = _state(request).oauth_codes.pop(str(form.get("code", "")), None)  # single use
    if grant is None:
        return _oauth_error("This authorization code has been used or has expired")
    if grant["redirect_uri"] != form.get("redirect_uri"):
        return _oauth_error(
            "Error validating verification code. Please make sure your redirect_uri is identical"
        )
    token = f"IGQsandbox{secrets.token_urlsafe(16)}"
    _state(request).ig_tokens[token] = grant["ig_id"]
    return JSONResponse(
        {"access_token": token, "user_id": int(grant["ig_id"]), "permissions": GRANTED}
    )


@router.get("/access_token")
async def long_lived_token(request: Request) -> JSONResponse:
    params = request.query_params
    if params.get("grant_type") != "ig_exchange_token" or not params.get("client_secret"):
        return graph_error(400, 100, "grant_type must be ig_exchange_token")
    ig_id = _state(request).ig_tokens.get(params.get("access_token", ""))
    if ig_id is None:
        return graph_error(400, 190, "Invalid OAuth access token - Cannot parse access token")
    token = f"IGAAsandbox{secrets.token_urlsafe(24)}"
    _state(request).ig_tokens[token] = ig_id
    return JSONResponse({"access_token": token, "token_type": "bearer", "expires_in": LONG_LIVED_S})


@router.get("/{version}/me")
async def me(version: str, request: Request) -> JSONResponse:
    auth = request.headers.get("authorization", "")
    token = (
        auth[7:].strip()
        if auth.lower().startswith("bearer ")
        else request.query_params.get("access_token", "")
    )
    ig_id = _state(request).ig_tokens.get(token)
    if ig_id is None:
        return graph_error(400, 190, "Invalid OAuth access token - Cannot parse access token")
    account: dict[str, Any] = _state(request).ig_accounts[ig_id]
    fields = [f for f in request.query_params.get("fields", "").split(",") if f]
    return JSONResponse(
        {k: v for k, v in account.items() if k == "id" or not fields or k in fields}
    )


# ---------------------------------------------------------------- WhatsApp Embedded Signup

EMBEDDED_CODE_TTL_S = 30  # Meta's: exchange it at once


@router.post("/_sandbox/whatsapp/embedded-signup", status_code=201, tags=["sandbox: control"])
async def finish_embedded_signup(request: Request, response: Response) -> dict[str, Any]:
    """What the browser gets when a customer finishes Meta's Embedded Signup popup: a code
    (single use, 30 s) and the ids of the WhatsApp Business Account and number it shared."""
    # the sandbox's SDK stand-in calls this from the console's page (another origin)
    response.headers["Access-Control-Allow-Origin"] = "*"
    sandbox = _state(request)
    waba = sandbox.new_waba(verified_name="Embedded Shop", display_phone_number="+1 555 0100")
    [phone_id] = waba["phone_numbers"]
    code = secrets.token_urlsafe(24)
    sandbox.oauth_codes[code] = {
        "waba_id": waba["id"],
        "expires": time.monotonic() + EMBEDDED_CODE_TTL_S,
    }
    return {"code": code, "waba_id": waba["id"], "phone_number_id": phone_id}


@router.get("/{version}/oauth/access_token")
async def exchange_business_code(
    request: Request, client_id: str = "", client_secret: str = "", code: str = ""
) -> JSONResponse:
    """Embedded Signup's code for the customer's business token (no redirect_uri, no
    grant_type, as Meta documents it)."""
    if not client_id or not client_secret:
        return graph_error(400, 101, "Missing client_id or client_secret")
    grant = _state(request).oauth_codes.pop(code, None)  # single use
    if grant is None or "waba_id" not in grant or grant["expires"] < time.monotonic():
        return graph_error(400, 100, "Invalid verification code format or the code has expired")
    waba = _state(request).wabas[grant["waba_id"]]
    return JSONResponse({"access_token": waba["token"], "token_type": "bearer"})


# Meta's JavaScript SDK as the console uses it for Embedded Signup: FB.init, and FB.login
# finishing at once (the popup's WA_EMBEDDED_SIGNUP message, then the callback with the code)
_SDK = """(function () {
  var origin = %s;
  window.FB = {
    init: function () {},
    login: function (callback, options) {
      fetch(origin + "/_sandbox/whatsapp/embedded-signup", {method: "POST"})
        .then(function (r) { return r.json(); })
        .then(function (p) {
          window.postMessage(JSON.stringify({type: "WA_EMBEDDED_SIGNUP", event: "FINISH",
            data: {phone_number_id: p.phone_number_id, waba_id: p.waba_id}}), "*");
          setTimeout(function () { callback({authResponse: {code: p.code}}); }, 50);
        })
        .catch(function () { callback({authResponse: null}); });
    }
  };
  if (typeof window.fbAsyncInit === "function") window.fbAsyncInit();
})();
"""


@router.get("/_sandbox/sdk.js", tags=["sandbox: control"], response_class=Response)
async def sdk(request: Request) -> Response:
    """Stands in for https://connect.facebook.net/en_US/sdk.js: its Embedded Signup finishes
    at once as a new WhatsApp Business Account with one number."""
    origin = json.dumps(str(request.base_url).rstrip("/"))
    return Response(_SDK % origin, media_type="text/javascript")
