"""Managing a workspace's webhook endpoints (managers and owners): register one (its signing
secret is shown once), change, switch on and off, rotate the secret, send a test ping, list the
deliveries with the receiver's answers, redeliver one by hand. Every change is audited."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import httpx

from app.audit.record import record
from app.config import Settings
from app.db.session import Conn
from app.errors import InvalidInput, NotFound
from app.integrations import events, repo, signing
from app.integrations.delivery import PrivateAddress, Unresolvable, check_public
from app.security.crypto import encrypt_secret
from app.workspaces.context import WorkspaceContext


async def check_url(url: str, settings: Settings) -> None:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port that is not a number
        httpx.URL(url)  # a host name that is not a valid internet (IDNA) name
    except (ValueError, httpx.InvalidURL) as exc:
        raise InvalidInput(
            f"the receiver's URL cannot be read ({exc})", error_code="webhook_url_invalid"
        ) from exc
    allow_private = settings.outgoing_webhook_allow_private
    schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in schemes or not parts.hostname:
        raise InvalidInput(
            "the receiver's URL must be https:// with a host name",
            error_code="webhook_url_invalid",
        )
    if parts.username or parts.password:
        raise InvalidInput(
            "put no user or password in the URL: the signature proves it is us",
            error_code="webhook_url_invalid",
        )
    try:
        await check_public(url, allow_private=allow_private)
    except Unresolvable as exc:
        raise InvalidInput(f"{exc}: check the URL", error_code="webhook_url_unresolvable") from exc
    except PrivateAddress as exc:
        raise InvalidInput(
            f"{exc}: give an address on the public internet", error_code="webhook_url_private"
        ) from exc


def _not_found() -> NotFound:
    return NotFound("no such webhook endpoint", error_code="webhook_endpoint_not_found")


async def create(
    ws: WorkspaceContext,
    *,
    url: str,
    event_types: list[str],
    description: str | None,
    settings: Settings,
) -> tuple[dict[str, Any], str]:
    """The endpoint and its secret (never shown again: rotate it to get a new one)."""
    ws.require("manager")
    await check_url(url, settings)
    secret = signing.new_secret()
    async with ws.session() as conn:
        row = await repo.create_endpoint(
            conn,
            workspace_id=ws.workspace_id,
            url=url,
            events=sorted(set(event_types)),
            description=description,
            secret_encrypted=encrypt_secret(secret),
            user_id=ws.principal.user_id,
        )
        await record(conn, ws, "webhook_endpoint.create", "webhook_endpoint", row["id"], url=url)
    return row, secret


async def update(
    ws: WorkspaceContext, endpoint_id: UUID, changes: dict[str, Any], *, settings: Settings
) -> dict[str, Any]:
    ws.require("manager")
    if "url" in changes:
        await check_url(changes["url"], settings)
    if "events" in changes:
        changes["events"] = sorted(set(changes["events"]))
    async with ws.session() as conn:
        row = await repo.update_endpoint(
            conn, workspace_id=ws.workspace_id, endpoint_id=endpoint_id, changes=changes
        )
        if row is None:
            raise _not_found()
        await record(
            conn,
            ws,
            "webhook_endpoint.update",
            "webhook_endpoint",
            endpoint_id,
            fields=sorted(changes),
        )
    return row


async def rotate_secret(ws: WorkspaceContext, endpoint_id: UUID) -> tuple[dict[str, Any], str]:
    ws.require("manager")
    secret = signing.new_secret()
    async with ws.session() as conn:
        row = await repo.update_endpoint(
            conn,
            workspace_id=ws.workspace_id,
            endpoint_id=endpoint_id,
            changes={"secret_encrypted": encrypt_secret(secret)},
        )
        if row is None:
            raise _not_found()
        await record(conn, ws, "webhook_endpoint.rotate_secret", "webhook_endpoint", endpoint_id)
    return row, secret


async def delete(ws: WorkspaceContext, endpoint_id: UUID) -> None:
    ws.require("manager")
    async with ws.session() as conn:
        if not await repo.delete_endpoint(
            conn, workspace_id=ws.workspace_id, endpoint_id=endpoint_id
        ):
            raise _not_found()
        await record(conn, ws, "webhook_endpoint.delete", "webhook_endpoint", endpoint_id)


async def _endpoint(conn: Conn, ws: WorkspaceContext, endpoint_id: UUID) -> dict[str, Any]:
    row = await repo.get_endpoint(conn, workspace_id=ws.workspace_id, endpoint_id=endpoint_id)
    if row is None:
        raise _not_found()
    return row


async def get(ws: WorkspaceContext, endpoint_id: UUID) -> dict[str, Any]:
    ws.require("manager")
    async with ws.session() as conn:
        return await _endpoint(conn, ws, endpoint_id)


async def ping(ws: WorkspaceContext, endpoint_id: UUID) -> dict[str, Any]:
    """A `ping` event to this endpoint only, delivered by the next run like any other."""
    ws.require("manager")
    async with ws.session() as conn:
        await _endpoint(conn, ws, endpoint_id)
        return await repo.enqueue_for_endpoint(
            conn,
            workspace_id=ws.workspace_id,
            endpoint_id=endpoint_id,
            event=events.envelope(ws.workspace_id, events.PING, {"endpoint_id": str(endpoint_id)}),
        )


async def redeliver(ws: WorkspaceContext, endpoint_id: UUID, delivery_id: UUID) -> dict[str, Any]:
    ws.require("manager")
    async with ws.session() as conn:
        row = await repo.redeliver(
            conn, workspace_id=ws.workspace_id, endpoint_id=endpoint_id, delivery_id=delivery_id
        )
        if row is None:
            raise NotFound("no such delivery of this endpoint", error_code="delivery_not_found")
        await record(conn, ws, "webhook_delivery.redeliver", "webhook_delivery", delivery_id)
    return row


async def list_endpoints(ws: WorkspaceContext, *, limit: int, after: Any) -> list[dict[str, Any]]:
    ws.require("manager")
    async with ws.session() as conn:
        return await repo.list_endpoints(
            conn, workspace_id=ws.workspace_id, limit=limit, after=after
        )


async def list_deliveries(
    ws: WorkspaceContext, endpoint_id: UUID, *, status: str | None, limit: int, after: Any
) -> list[dict[str, Any]]:
    ws.require("manager")
    async with ws.session() as conn:
        await _endpoint(conn, ws, endpoint_id)
        return await repo.list_deliveries(
            conn,
            workspace_id=ws.workspace_id,
            endpoint_id=endpoint_id,
            status=status,
            limit=limit,
            after=after,
        )
