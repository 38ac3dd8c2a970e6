"""ASGI middleware: request ids for logs, and body-size limits enforced while reading the body
(a lying or absent Content-Length cannot get past them)."""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from typing import Any

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import error_body
from app.logging import get_logger
from app.security.text_safety import holds_nul, holds_unstorable, may_hold_unstorable, scrub

log = get_logger("http")


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        request_id = headers.get(b"x-request-id", b"").decode("latin-1")[:64] or uuid.uuid4().hex
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if scope["path"] not in ("/health",):
                log.info(
                    "request",
                    method=scope["method"],
                    path=scope["path"],
                    status=status,
                    ms=round((time.perf_counter() - started) * 1000, 1),
                )
            structlog.contextvars.clear_contextvars()


class BodyTooLarge(Exception):
    pass


class BodySizeLimitMiddleware:
    """413 with the error shape when a body exceeds the limit for its path prefix."""

    def __init__(self, app: ASGIApp, *, default_limit: int, limits: dict[str, int]) -> None:
        self.app = app
        self.default_limit = default_limit
        self.limits = sorted(limits.items(), key=lambda kv: -len(kv[0]))

    def _limit_for(self, path: str) -> int:
        for prefix, limit in self.limits:
            if path.startswith(prefix):
                return limit
        return self.default_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit_for(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _send_413(send, limit)
            return
        received = 0
        response_started = False
        refused = False

        async def limited_receive() -> Message:
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Answer now: frameworks turn an exception raised while reading the body into
                    # their own 400, which would hide the real reason.
                    if not response_started and not refused:
                        refused = True
                        await _send_413(send, limit)
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if refused:
                return
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        with contextlib.suppress(BodyTooLarge):
            await self.app(scope, limited_receive, tracking_send)


async def _send_413(send: Send, limit: int) -> None:
    await send_error(send, 413, "payload_too_large", f"request body is over {limit} bytes")


async def send_error(send: Send, status: int, error_code: str, message: str) -> None:
    """An error in the API's shape, from ASGI middleware (below the framework's handlers)."""
    body: dict[str, Any] = error_body(error_code, message)
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


class UnstorableTextMiddleware:
    """422 `unstorable_characters` for API input holding U+0000 (in the path, the query or a
    JSON or form body), which PostgreSQL cannot store: staff are told, and nothing is
    half-written. An unpaired surrogate in a JSON body becomes U+FFFD (text_safety.py).
    Webhooks are not screened here: a customer's text is kept without those characters
    (webhooks/service.py). Uploaded files are binary and not screened."""

    def __init__(self, app: ASGIApp, *, skip_prefixes: tuple[str, ...] = ("/webhooks/",)) -> None:
        self.app = app
        self.skip_prefixes = skip_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path.startswith(self.skip_prefixes):
            await self.app(scope, receive, send)
            return
        query = scope.get("query_string", b"")
        if "\x00" in path or b"%00" in query or b"\x00" in query:
            await _send_unstorable(send)
            return
        content_type = dict(scope["headers"]).get(b"content-type", b"").lower()
        is_form = b"x-www-form-urlencoded" in content_type
        if not (b"json" in content_type or is_form):
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        more = True
        while more:
            message = await receive()
            messages.append(message)
            more = message["type"] == "http.request" and message.get("more_body", False)
        body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request")
        if is_form:
            if b"%00" in body or b"\x00" in body:
                await _send_unstorable(send)
                return
        elif may_hold_unstorable(body):
            try:
                value = json.loads(body)
            except (ValueError, RecursionError):
                value = None  # not JSON: the framework answers it with its own 400
            if holds_nul(value):
                await _send_unstorable(send)
                return
            if holds_unstorable(value):
                body = json.dumps(scrub(value)).encode()
                messages = [{"type": "http.request", "body": body, "more_body": False}]
                scope = {
                    **scope,
                    "headers": [
                        (k, str(len(body)).encode() if k == b"content-length" else v)
                        for k, v in scope["headers"]
                    ],
                }
        replay = iter(messages)

        async def replayed() -> Message:
            return next(replay, None) or await receive()

        await self.app(scope, replayed, send)


async def _send_unstorable(send: Send) -> None:
    await send_error(
        send,
        422,
        "unstorable_characters",
        "the request holds a NUL character (\\u0000), which cannot be stored: remove it and "
        "send again",
    )


class TrustedHostMiddleware:
    """400 `invalid_host` for a Host header the API does not serve (TRUSTED_HOSTS): the
    framework builds redirects (a missing trailing slash) and links from it."""

    # probes (load balancers, Kubernetes) call these by address; they answer no links
    PROBES = frozenset({"/health", "/ready"})

    def __init__(self, app: ASGIApp, *, allowed_hosts: list[str]) -> None:
        self.app = app
        self.any = "*" in allowed_hosts
        self.allowed = frozenset(allowed_hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.any or scope["path"] in self.PROBES:
            await self.app(scope, receive, send)
            return
        host = dict(scope["headers"]).get(b"host", b"").decode("latin-1").lower()
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        if name.strip("[]") not in self.allowed:
            await send_error(
                send,
                400,
                "invalid_host",
                "this server does not answer to that Host; add it to TRUSTED_HOSTS if it is ours",
            )
            return
        await self.app(scope, receive, send)
