"""SQL for outgoing webhooks: the endpoints a workspace registered and their deliveries. Staff
sessions see their own workspace's (RLS, managers and owners); the delivery job claims due
deliveries across workspaces in a privileged session and records each outcome in its own."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from psycopg.types.json import Jsonb

from app.db.keyset import after_key, after_params
from app.db.session import Conn
from app.db.trips import Query

_ENDPOINT = (
    "id, url, events, description, enabled, disabled_reason, consecutive_failures, created_by,"
    " created_at, updated_at"
)
_DELIVERY = (
    "id, endpoint_id, event_id, event_type, payload, status, attempts, next_attempt_at,"
    " last_status_code, last_response, last_error, last_attempt_at, delivered_at, created_at"
)


async def create_endpoint(
    conn: Conn,
    *,
    workspace_id: UUID,
    url: str,
    events: list[str],
    description: str | None,
    secret_encrypted: str,
    user_id: UUID,
) -> dict[str, Any]:
    cur = await conn.execute(
        "insert into public.webhook_endpoints"  # noqa: S608 - constant columns
        " (workspace_id, url, events, description, secret_encrypted, created_by)"
        " values (%(ws)s, %(url)s, %(events)s, %(description)s, %(secret)s, %(user)s)"
        f" returning {_ENDPOINT}",
        {
            "ws": workspace_id,
            "url": url,
            "events": events,
            "description": description,
            "secret": secret_encrypted,
            "user": user_id,
        },
    )
    row = await cur.fetchone()
    assert row is not None
    return row


async def list_endpoints(
    conn: Conn, *, workspace_id: UUID, limit: int, after: Sequence[Any] | None = None
) -> list[dict[str, Any]]:
    cur = await conn.execute(
        f"select {_ENDPOINT} from public.webhook_endpoints"  # noqa: S608 - constant fragments
        f" where workspace_id = %(ws)s and {after_key('created_at, id', 'asc')}"
        " order by created_at, id limit %(limit)s",
        {"ws": workspace_id, "limit": limit, **after_params(after)},
    )
    return await cur.fetchall()


async def get_endpoint(
    conn: Conn, *, workspace_id: UUID, endpoint_id: UUID
) -> dict[str, Any] | None:
    cur = await conn.execute(
        f"select {_ENDPOINT} from public.webhook_endpoints"  # noqa: S608 - constant columns
        " where workspace_id = %(ws)s and id = %(id)s",
        {"ws": workspace_id, "id": endpoint_id},
    )
    return await cur.fetchone()


async def update_endpoint(
    conn: Conn, *, workspace_id: UUID, endpoint_id: UUID, changes: dict[str, Any]
) -> dict[str, Any] | None:
    """`changes`: url, events, description, enabled, secret_encrypted. Enabling it again starts
    its failure count afresh."""
    allowed = {
        k: v
        for k, v in changes.items()
        if k in ("url", "events", "description", "enabled", "secret_encrypted")
    }
    sets = [f"{column} = %({column})s" for column in allowed]
    if allowed.get("enabled") is True:
        sets += ["consecutive_failures = 0", "disabled_reason = null"]
    cur = await conn.execute(
        "update public.webhook_endpoints set "  # noqa: S608 - column names from the allow-list
        + "".join(f"{s}, " for s in sets)
        + "updated_at = now() where workspace_id = %(ws)s and id = %(id)s"
        f" returning {_ENDPOINT}",
        {"ws": workspace_id, "id": endpoint_id, **allowed},
    )
    return await cur.fetchone()


async def delete_endpoint(conn: Conn, *, workspace_id: UUID, endpoint_id: UUID) -> bool:
    cur = await conn.execute(
        "delete from public.webhook_endpoints where workspace_id = %(ws)s and id = %(id)s",
        {"ws": workspace_id, "id": endpoint_id},
    )
    return cur.rowcount > 0


async def enqueue_event(conn: Conn, *, workspace_id: UUID | str, event: dict[str, Any]) -> int:
    query = enqueue_event_query(workspace_id=workspace_id, event=event)
    cur = await conn.execute(query.text, query.params)
    return cur.rowcount


def enqueue_event_query(*, workspace_id: UUID | str, event: dict[str, Any]) -> Query:
    """A delivery of `event` for each enabled endpoint subscribed to its type."""
    return Query(
        """
        insert into public.webhook_deliveries (workspace_id, endpoint_id, event_id, event_type, payload)
        select e.workspace_id, e.id, %(event_id)s, %(type)s, %(payload)s
          from public.webhook_endpoints e
         where e.workspace_id = %(ws)s and e.enabled and %(type)s = any(e.events)
        """,
        {
            "ws": workspace_id,
            "event_id": event["id"],
            "type": event["type"],
            "payload": Jsonb(event),
        },
    )


async def enqueue_for_endpoint(
    conn: Conn, *, workspace_id: UUID, endpoint_id: UUID, event: dict[str, Any]
) -> dict[str, Any]:
    """One delivery to this endpoint (its test ping), whatever it subscribed to."""
    cur = await conn.execute(
        "insert into public.webhook_deliveries"  # noqa: S608 - constant columns
        " (workspace_id, endpoint_id, event_id, event_type, payload)"
        " values (%(ws)s, %(endpoint)s, %(event_id)s, %(type)s, %(payload)s)"
        f" returning {_DELIVERY}",
        {
            "ws": workspace_id,
            "endpoint": endpoint_id,
            "event_id": event["id"],
            "type": event["type"],
            "payload": Jsonb(event),
        },
    )
    row = await cur.fetchone()
    assert row is not None
    return row


async def list_deliveries(
    conn: Conn,
    *,
    workspace_id: UUID,
    endpoint_id: UUID,
    status: str | None,
    limit: int,
    after: Sequence[Any] | None = None,
) -> list[dict[str, Any]]:
    cur = await conn.execute(
        f"select {_DELIVERY} from public.webhook_deliveries"  # noqa: S608 - constant fragments
        " where workspace_id = %(ws)s and endpoint_id = %(endpoint)s"
        " and (%(status)s::text is null or status = %(status)s)"
        f" and {after_key('created_at, id')}"
        " order by created_at desc, id desc limit %(limit)s",
        {
            "ws": workspace_id,
            "endpoint": endpoint_id,
            "status": status,
            "limit": limit,
            **after_params(after),
        },
    )
    return await cur.fetchall()


async def redeliver(
    conn: Conn, *, workspace_id: UUID, endpoint_id: UUID, delivery_id: UUID
) -> dict[str, Any] | None:
    """Due again now, whatever became of it; the same event id (receivers dedupe on it)."""
    cur = await conn.execute(
        "update public.webhook_deliveries"  # noqa: S608 - constant columns
        " set status = 'pending', next_attempt_at = now(), lease_until = null"
        " where workspace_id = %(ws)s and endpoint_id = %(endpoint)s and id = %(id)s"
        f" returning {_DELIVERY}",
        {"ws": workspace_id, "endpoint": endpoint_id, "id": delivery_id},
    )
    return await cur.fetchone()


async def claim_due(conn: Conn, *, limit: int, lease_s: float) -> list[dict[str, Any]]:
    """Privileged: due deliveries of enabled endpoints, leased to this run (another run skips
    them; a run that dies leaves them to the next once the lease ends)."""
    cur = await conn.execute(
        """
        with due as (
            select d.id
              from public.webhook_deliveries d
              join public.webhook_endpoints e on e.id = d.endpoint_id and e.enabled
             where d.status in ('pending', 'failed') and d.next_attempt_at <= now()
               and (d.lease_until is null or d.lease_until < now())
             order by d.next_attempt_at
             limit %(limit)s
               for update of d skip locked
        )
        update public.webhook_deliveries d
           set lease_until = now() + make_interval(secs => %(lease)s)
          from due, public.webhook_endpoints e
         where d.id = due.id and e.id = d.endpoint_id
        returning d.id, d.workspace_id, d.endpoint_id, d.event_type, d.payload, d.attempts,
                  e.url, e.secret_encrypted
        """,
        {"limit": limit, "lease": lease_s},
    )
    return await cur.fetchall()


async def record_success(
    conn: Conn, *, delivery_id: UUID, endpoint_id: UUID, status_code: int, response: str
) -> None:
    await conn.execute(
        """
        update public.webhook_deliveries
           set status = 'succeeded', attempts = attempts + 1, delivered_at = now(),
               last_attempt_at = now(), last_status_code = %(code)s, last_response = %(response)s,
               last_error = null, lease_until = null
         where id = %(id)s
        """,
        {"id": delivery_id, "code": status_code, "response": response},
    )
    await conn.execute(
        "update public.webhook_endpoints set consecutive_failures = 0 where id = %(id)s",
        {"id": endpoint_id},
    )


async def record_failure(
    conn: Conn,
    *,
    delivery_id: UUID,
    endpoint_id: UUID,
    status_code: int | None,
    response: str | None,
    error: str,
    retry_in_s: float | None,
    disable_after: int,
) -> dict[str, Any] | None:
    """Failed again: retried in `retry_in_s`, or dead (None). The endpoint is switched off once
    `disable_after` attempts in a row failed: its row when that happened now (else None)."""
    await conn.execute(
        """
        update public.webhook_deliveries
           set status = case when %(retry)s::float8 is null then 'dead' else 'failed' end,
               attempts = attempts + 1, last_attempt_at = now(), last_status_code = %(code)s,
               last_response = %(response)s, last_error = %(error)s, lease_until = null,
               next_attempt_at = now() + make_interval(secs => coalesce(%(retry)s::float8, 0))
         where id = %(id)s
        """,
        {
            "id": delivery_id,
            "code": status_code,
            "response": response,
            "error": error,
            "retry": retry_in_s,
        },
    )
    cur = await conn.execute(
        """
        update public.webhook_endpoints
           set consecutive_failures = consecutive_failures + 1,
               enabled = enabled and consecutive_failures + 1 < %(limit)s,
               disabled_reason = case when enabled and consecutive_failures + 1 >= %(limit)s
                   then %(reason)s else disabled_reason end,
               updated_at = now()
         where id = %(id)s
        returning enabled, disabled_reason, consecutive_failures = %(limit)s as just_disabled
        """,
        {
            "id": endpoint_id,
            "limit": disable_after,
            "reason": f"switched off after {disable_after} failed attempts in a row; "
            f"the last: {error[:300]}",
        },
    )
    row = await cur.fetchone()
    return row if row and row["just_disabled"] else None
