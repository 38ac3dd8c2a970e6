"""What the sandbox remembers: everything sent to it, injected faults, and the small world of
media, comments, conversations and containers the Graph API calls read and change."""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from dataclasses import dataclass, field
from typing import Any

from fastapi.responses import JSONResponse


@dataclass
class Fault:
    endpoint: str
    kind: str
    remaining: int
    status: int | None = None
    code: int | None = None
    subcode: int | None = None
    latency_ms: int = 0
    retry_after_s: int | None = None
    regain_minutes: int | None = None
    # only requests whose URL contains this (an account id, a token in the query)
    match: str | None = None
    # each matching request fails with this probability (None: every one, until count runs out)
    probability: float | None = None


# kind -> (HTTP status, Graph error code, subcode, type, message)
FAULT_SHAPES: dict[str, tuple[int, int, int | None, str, str]] = {
    "server_error": (500, 2, None, "OAuthException", "Service temporarily unavailable"),
    "throttle": (400, 4, None, "OAuthException", "Application request limit reached"),
    "window": (
        403,
        10,
        2534022,
        "OAuthException",
        "This message is sent outside of allowed window.",
    ),
    "token_expired": (
        401,
        190,
        463,
        "OAuthException",
        "Error validating access token: Session has expired",
    ),
    "bad_request": (400, 100, None, "OAuthException", "Invalid parameter"),
}
WHATSAPP_FAULT_CODES = {"window": (400, 131047), "throttle": (429, 130429)}


@dataclass
class SandboxState:
    outbox: list[dict[str, Any]] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    media: dict[str, dict[str, Any]] = field(default_factory=dict)
    comments: dict[str, dict[str, Any]] = field(default_factory=dict)
    conversations: dict[str, dict[str, Any]] = field(default_factory=dict)
    containers: dict[str, dict[str, Any]] = field(default_factory=dict)
    published_24h: dict[str, int] = field(default_factory=dict)
    deliveries: list[dict[str, Any]] = field(default_factory=list)
    token_refreshes: list[dict[str, str]] = field(default_factory=list)
    # WhatsApp Business accounts the sandbox hosts: waba id -> its token and phone numbers
    wabas: dict[str, dict[str, Any]] = field(default_factory=dict)
    # accounts (WABA or Instagram) subscribed to our app's webhooks
    subscribed: set[str] = field(default_factory=set)
    # Instagram Login: test accounts by id, single-use codes, the tokens issued for each account
    ig_accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    oauth_codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    ig_tokens: dict[str, str] = field(default_factory=dict)
    oauth_deny: bool = False
    # containers' media are downloaded as Meta does (off: any URL is taken as it is)
    fetch_media: bool = True
    # Instagram customers' profiles (User Profile API), by IGSID; set with /_sandbox/profiles
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)
    send_echoes: bool = True
    container_polls_until_finished: int = 1
    publishing_quota: int = 50
    _ids: itertools.count[int] = field(
        default_factory=lambda: itertools.count(int(time.time() * 1000))
    )
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def new_id(self, prefix: str = "") -> str:
        return f"{prefix}{next(self._ids)}"

    def record(
        self, endpoint: str, platform: str, account: str, recipient: str | None, **details: Any
    ) -> dict[str, Any]:
        item = {
            "id": self.new_id("out_"),
            "endpoint": endpoint,
            "platform": platform,
            "account": account,
            "recipient": recipient,
            "text": details.pop("text", None),
            "media": details.pop("media", None),
            "time": time.time(),
            **details,
        }
        self.outbox.append(item)
        return item

    def take_fault(self, endpoint: str, url: str = "") -> Fault | None:
        for fault in self.faults:
            if (
                fault.remaining > 0
                and fault.endpoint in (endpoint, "*")
                and (fault.match is None or fault.match in url)
                and (fault.probability is None or random.random() < fault.probability)
            ):
                fault.remaining -= 1
                return fault
        return None

    def conversation_for(self, account: str, user: str) -> dict[str, Any]:
        key = f"{account}:{user}"
        if key not in self.conversations:
            self.conversations[key] = {
                "id": self.new_id("conv_"),
                "account": account,
                "user": user,
                "messages": [],
                "updated_time": time.time(),
            }
        return self.conversations[key]

    def new_waba(self, *, verified_name: str, display_phone_number: str) -> dict[str, Any]:
        """A WhatsApp Business account with one phone number and a system-user token, as a
        business would create them in Meta's Business Manager."""
        waba_id, phone_id = self.new_id(), self.new_id()
        waba = {
            "id": waba_id,
            "token": f"EAAsandbox{self.new_id()}",
            "phone_numbers": {
                phone_id: {
                    "id": phone_id,
                    "display_phone_number": display_phone_number,
                    "verified_name": verified_name,
                    "quality_rating": "GREEN",
                    "code_verification_status": "VERIFIED",
                    "name_status": "APPROVED",
                    "platform_type": "CLOUD_API",
                    "throughput": {"level": "STANDARD"},
                    "status": "CONNECTED",
                }
            },
        }
        self.wabas[waba_id] = waba
        return waba

    def ig_account(self, username: str | None, account_type: str) -> dict[str, Any]:
        """The test account of that username, or a new one ("approves as a new test account")."""
        for account in self.ig_accounts.values():
            if username and account["username"] == username:
                return account
        ig_id = f"1784{self.new_id()}"
        name = username or f"sandbox_shop_{ig_id[-6:]}"
        account = {
            "user_id": ig_id,
            "id": self.new_id(),  # app-scoped, as Meta's `id` is
            "username": name,
            "name": name.replace("_", " ").title(),
            "account_type": account_type,
            "profile_picture_url": f"https://sandbox.invalid/{ig_id}.jpg",
        }
        self.ig_accounts[ig_id] = account
        return account

    def waba_of_phone(self, phone_id: str) -> dict[str, Any] | None:
        return next((w for w in self.wabas.values() if phone_id in w["phone_numbers"]), None)

    def conversation_by_id(self, conversation_id: str) -> dict[str, Any] | None:
        return next((c for c in self.conversations.values() if c["id"] == conversation_id), None)

    def reset(self) -> None:
        self.outbox.clear()
        self.faults.clear()
        self.deliveries.clear()
        self.token_refreshes.clear()


def graph_error(
    status: int,
    code: int,
    message: str,
    *,
    subcode: int | None = None,
    error_type: str = "OAuthException",
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    error: dict[str, Any] = {
        "message": message,
        "type": error_type,
        "code": code,
        "fbtrace_id": "SandboxTrace",
    }
    if subcode is not None:
        error["error_subcode"] = subcode
    if status >= 500:
        error["is_transient"] = True
    return JSONResponse(status_code=status, content={"error": error}, headers=headers)


async def apply_fault(
    state: SandboxState, endpoint: str, *, whatsapp: bool = False, url: str = ""
) -> JSONResponse | None:
    fault = state.take_fault(endpoint, url)
    if fault is None:
        return None
    if fault.latency_ms:
        await asyncio.sleep(fault.latency_ms / 1000)
    if fault.kind == "latency":
        return None
    status, code, subcode, error_type, message = FAULT_SHAPES[fault.kind]
    if whatsapp and fault.kind in WHATSAPP_FAULT_CODES:
        status, code = WHATSAPP_FAULT_CODES[fault.kind]
        subcode = None
    headers: dict[str, str] = {}
    if fault.kind == "throttle":
        headers["X-App-Usage"] = '{"call_count":100,"total_cputime":12,"total_time":30}'
        if fault.regain_minutes is not None:
            headers["X-Business-Use-Case-Usage"] = (
                '{"sandbox":[{"type":"instagram","call_count":100,"total_cputime":10,"total_time":10,'
                f'"estimated_time_to_regain_access":{fault.regain_minutes}}}]}}'
            )
    if fault.retry_after_s is not None:
        headers["Retry-After"] = str(fault.retry_after_s)
    return graph_error(
        fault.status or status,
        fault.code or code,
        message,
        # 0 asks for no subcode at all (a bare 190, as Meta sends for an invalid token)
        subcode=(fault.subcode or None) if fault.subcode is not None else subcode,
        error_type=error_type,
        headers=headers,
    )
