"""Posting due deliveries (a Beat job): claimed in one short privileged transaction, posted with
no connection held, each outcome recorded in its workspace's own session. A receiver that
answers 2xx has it; anything else is retried with a doubling delay, dead after the last
attempt, and an endpoint that keeps failing is switched off with the reason."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import httpx

from app.audit.repo import write_audit
from app.config import Settings
from app.db.session import Claims, Pool, privileged_session, tenant_session
from app.integrations import repo, signing
from app.logging import get_logger
from app.security.crypto import decrypt_secret

log = get_logger("integrations")

_KEPT_RESPONSE = 1000


@dataclass(frozen=True)
class Attempt:
    status_code: int | None
    response: str | None
    error: str | None

    @property
    def succeeded(self) -> bool:
        return self.error is None


class PrivateAddress(Exception):
    """The receiver's host is on a private, loopback or link-local network."""


class Unresolvable(PrivateAddress):
    """The receiver's host name has no address."""


async def check_public(url: str, *, allow_private: bool) -> None:
    """Refuse a host that resolves to our own networks (a workspace must not make the server
    call them); checked at every delivery, since DNS can change after the endpoint was saved."""
    if allow_private:
        return
    host = urlsplit(url).hostname or ""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise Unresolvable(f"the receiver's host {host!r} does not resolve: {exc}") from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise PrivateAddress(f"{host!r} is a private or local address ({address})")


def retry_delay(settings: Settings, attempts: int) -> float | None:
    """Seconds until the next try after `attempts` failed ones; None when they are spent."""
    if attempts >= settings.outgoing_webhook_max_attempts:
        return None
    return min(
        settings.outgoing_webhook_retry_base_s * 2 ** (attempts - 1),
        settings.outgoing_webhook_retry_max_s,
    )


async def post(
    http: httpx.AsyncClient, settings: Settings, *, url: str, secret: str, row: dict[str, Any]
) -> Attempt:
    body = json.dumps(row["payload"], separators=(",", ":"), default=str).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "SocialSync-Webhooks/1",
        signing.HEADER: signing.sign(secret, body),
        "SocialSync-Event": row["event_type"],
        "SocialSync-Delivery": str(row["id"]),
    }
    try:
        await check_public(url, allow_private=settings.outgoing_webhook_allow_private)
        response = await http.post(
            url,
            content=body,
            headers=headers,
            timeout=settings.outgoing_webhook_timeout_s,
            follow_redirects=False,
        )
    except PrivateAddress as exc:
        return Attempt(None, None, str(exc))
    except httpx.TimeoutException:
        return Attempt(None, None, f"no answer within {settings.outgoing_webhook_timeout_s:g} s")
    except httpx.HTTPError as exc:
        return Attempt(None, None, f"could not connect: {exc!s}"[:500])
    except (httpx.InvalidURL, UnicodeError, ValueError) as exc:
        return Attempt(None, None, f"the URL cannot be called: {exc!s}"[:500])
    text = response.text[:_KEPT_RESPONSE]
    if 200 <= response.status_code < 300:
        return Attempt(response.status_code, text, None)
    return Attempt(response.status_code, text, f"the receiver answered HTTP {response.status_code}")


async def deliver_due(pool: Pool, *, http: httpx.AsyncClient, settings: Settings) -> dict[str, int]:
    """One run: every due delivery (up to the batch), posted at once, each recorded."""
    lease = settings.outgoing_webhook_timeout_s * 3 + 30
    async with privileged_session(pool) as conn:
        rows = await repo.claim_due(conn, limit=settings.outgoing_webhook_batch, lease_s=lease)
    slots = asyncio.Semaphore(settings.outgoing_webhook_concurrency)

    async def one(row: dict[str, Any]) -> bool:
        async with slots:
            return await _deliver(pool, http, settings, row)

    outcomes = await asyncio.gather(*(one(row) for row in rows))
    return {
        "claimed": len(rows),
        "succeeded": sum(1 for o in outcomes if o),
        "failed": sum(1 for o in outcomes if not o),
    }


async def _deliver(
    pool: Pool, http: httpx.AsyncClient, settings: Settings, row: dict[str, Any]
) -> bool:
    secret = decrypt_secret(row["secret_encrypted"])
    if secret is None:
        attempt = Attempt(None, None, "the endpoint's secret cannot be read: rotate it")
    else:
        attempt = await post(http, settings, url=row["url"], secret=secret, row=row)
    async with tenant_session(pool, Claims.for_worker(str(row["workspace_id"]))) as conn:
        if attempt.succeeded:
            await repo.record_success(
                conn,
                delivery_id=row["id"],
                endpoint_id=row["endpoint_id"],
                status_code=attempt.status_code or 0,
                response=attempt.response or "",
            )
            return True
        disabled = await repo.record_failure(
            conn,
            delivery_id=row["id"],
            endpoint_id=row["endpoint_id"],
            status_code=attempt.status_code,
            response=attempt.response,
            error=attempt.error or "failed",
            retry_in_s=retry_delay(settings, row["attempts"] + 1),
            disable_after=settings.outgoing_webhook_disable_after,
        )
        if disabled is not None:
            await write_audit(
                conn,
                workspace_id=UUID(str(row["workspace_id"])),
                actor_user_id=None,
                action="webhook_endpoint.disabled",
                target_type="webhook_endpoint",
                target_id=str(row["endpoint_id"]),
                details={"reason": disabled["disabled_reason"]},
            )
    log.info(
        "outgoing webhook failed",
        delivery_id=str(row["id"]),
        attempts=row["attempts"] + 1,
        error=attempt.error,
    )
    return False
