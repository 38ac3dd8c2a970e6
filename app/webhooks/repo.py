"""SQL for webhook events, the one place that writes them. Storing runs in the privileged
session (until the receiving account is resolved, the event belongs to no tenant); processing
runs in the worker's tenant session."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from uuid import UUID

from app.db.session import Conn
from app.db.trips import Query, statement
from app.outbound.metadata import outbound_id_from
from app.platforms.meta.events import EventKind, NormalizedEvent

# Runnable events are stored as 'enqueued' because the caller publishes them right after the
# commit; if publishing fails it sets them back to 'pending' (mark_pending), and the sweeper's
# stale check is the net should even that fail.
_INSERT = """
with incoming as (
    select *
      from jsonb_to_recordset(%(events)s::jsonb)
           as e(n integer, platform text, kind text, account text, dedupe_key text, payload jsonb,
                occurred_at timestamptz, settles uuid)
), accounts as (
    select s.id, s.workspace_id, s.platform, s.external_id
      from public.social_accounts s
     where (s.platform, s.external_id) in (select distinct platform, account from incoming)
)
insert into public.webhook_events
    (workspace_id, social_account_id, platform, kind, account_external_id, dedupe_key, status, payload,
     occurred_at, enqueued_at)
select a.workspace_id, a.id, e.platform, e.kind, e.account, e.dedupe_key,
       case when a.id is null then 'quarantined'
            when e.kind = 'unknown' or e.settles is not null then 'ignored'
            else 'enqueued' end,
       e.payload, e.occurred_at,
       case when a.id is not null and e.kind <> 'unknown' and e.settles is null then now() end
  from incoming e
  left join accounts a on a.platform = e.platform and a.external_id = e.account
 order by e.n
on conflict (dedupe_key) do nothing
returning id, workspace_id::text as workspace_id, kind, status, dedupe_key
"""


def settled_outbound_id(event: NormalizedEvent) -> str | None:
    """Our outbound message that this echo proves arrived (stored as ignored: nothing to do)."""
    if event.kind != EventKind.IG_ECHO:
        return None
    outbound_id = outbound_id_from(event.data.get("metadata"))
    return str(outbound_id) if outbound_id else None


def store_events_query(events: list[tuple[str, NormalizedEvent]]) -> Query:
    """(platform, event) pairs -> the rows that were new; redeliveries (same dedupe key) are skipped.

    The batch travels as one JSON document that Postgres unpacks: dumping one parameter per
    column per event cost more Python time than the insert itself."""
    document = [
        {
            "n": n,
            "platform": platform,
            "kind": e.kind.value,
            "account": e.account_external_id,
            "dedupe_key": e.dedupe_key,
            "payload": e.to_payload(),
            "occurred_at": e.occurred_at.isoformat() if e.occurred_at else None,
            "settles": settled_outbound_id(e),
        }
        for n, (platform, e) in enumerate(events)
    ]
    return Query(_INSERT, {"events": json.dumps(document)})


async def mark_pending(conn: Conn, event_ids: list[int]) -> None:
    """The broker did not take them: leave them for the sweeper."""
    if event_ids:
        await conn.execute(
            "update public.webhook_events set status = 'pending', enqueued_at = null"
            " where id = any(%(ids)s) and status = 'enqueued'",
            {"ids": event_ids},
        )


async def claim_stale_events(
    conn: Conn, *, pending_after_s: int, enqueued_after_s: int, limit: int
) -> list[dict[str, Any]]:
    """Events the broker may have lost: pending (enqueue failed), enqueued for long (a dead
    worker held them unacknowledged), or processing with a lease that ran out (its worker
    died). Processing is idempotent, so enqueuing twice is harmless."""
    cur = await conn.execute(
        """
        select id, workspace_id::text as workspace_id, kind
          from public.webhook_events
         where workspace_id is not null
           and ((status = 'pending' and received_at < now() - make_interval(secs => %(pending)s))
             or (status = 'enqueued'
                 and coalesce(enqueued_at, received_at) < now() - make_interval(secs => %(enqueued)s))
             or (status = 'processing' and coalesce(lease_until, enqueued_at, received_at)
                                           < now() - case when lease_until is null
                                                          then make_interval(secs => %(enqueued)s)
                                                          else interval '0' end))
         order by received_at
         limit %(limit)s
         for update skip locked
        """,
        {"pending": pending_after_s, "enqueued": enqueued_after_s, "limit": limit},
    )
    return await cur.fetchall()


async def mark_enqueued(conn: Conn, event_ids: list[int], *, grace_s: float) -> None:
    """Handed to the broker again; a processing event gets `grace_s` for a worker to take it
    before it counts as abandoned again."""
    if event_ids:
        await conn.execute(
            "update public.webhook_events set status = case when status = 'pending' then 'enqueued' else status end,"
            " enqueued_at = now(),"
            " lease_until = case when status = 'processing'"
            "                    then now() + make_interval(secs => %(grace)s) else lease_until end"
            " where id = any(%(ids)s)",
            {"ids": event_ids, "grace": grace_s},
        )


async def delete_account_events(conn: Conn, *, platform: str, account_external_id: str) -> int:
    """Meta's data-deletion request: the raw updates received for the account go too."""
    cur = await conn.execute(
        "delete from public.webhook_events where platform = %(p)s and account_external_id = %(a)s",
        {"p": platform, "a": account_external_id},
    )
    return cur.rowcount


async def adopt_held_events(
    conn: Conn,
    *,
    platform: str,
    account_external_id: str,
    workspace_id: UUID | str,
    social_account_id: UUID | str,
    fresh_after: datetime,
) -> dict[str, int]:
    """Updates that came for the account before any workspace had connected it (quarantined)
    now belong to the workspace that did: recent ones are processed (a customer who wrote
    during the setup is answered), older ones are kept as ignored, with the reason."""
    cur = await conn.execute(
        """
        update public.webhook_events
           set workspace_id = %(ws)s, social_account_id = %(account)s,
               status = case when kind <> 'unknown'
                              and coalesce(occurred_at, received_at) >= %(fresh)s
                             then 'pending' else 'ignored' end,
               last_error = case when kind <> 'unknown'
                                  and coalesce(occurred_at, received_at) >= %(fresh)s then null
                                 else 'received before the account was connected' end
         where status = 'quarantined' and workspace_id is null
           and platform = %(platform)s and account_external_id = %(external)s
        returning status
        """,
        {
            "ws": workspace_id,
            "account": social_account_id,
            "fresh": fresh_after,
            "platform": platform,
            "external": account_external_id,
        },
    )
    statuses = [row["status"] for row in await cur.fetchall()]
    return {"processed": statuses.count("pending"), "kept": statuses.count("ignored")}


# An event's life after storing: leased to the worker processing it, then finished


def lock_event_query(*, event_id: int, workspace_id: UUID | str) -> Query:
    """Row-locks the event for the rest of the transaction: two workers never process it at once."""
    return Query(
        """
        select id, workspace_id, social_account_id, platform, kind, status, payload, occurred_at, received_at,
               account_external_id
          from public.webhook_events
         where id = %(id)s and workspace_id = %(ws)s
         for update
        """,
        {"id": event_id, "ws": workspace_id},
    )


def set_event_status_query(
    *,
    event_id: int,
    status: str,
    error: str | None = None,
    lease_s: float | None = None,
) -> Query:
    """`lease_s`: the event stays this worker's for that long (renewed with renew_lease_query)."""
    return Query(
        """
        update public.webhook_events
           set status = %(status)s, last_error = %(error)s, attempts = attempts + 1,
               processed_at = case when %(status)s in ('done', 'ignored', 'failed') then now() else processed_at end,
               lease_until = case when %(lease)s::float8 is null then null
                                  else now() + make_interval(secs => %(lease)s::float8) end
         where id = %(id)s
        """,
        {"id": event_id, "status": status, "error": error, "lease": lease_s},
    )


set_event_status = statement(set_event_status_query)


def renew_lease_query(*, event_id: int, lease_s: float) -> Query:
    return Query(
        "update public.webhook_events set lease_until = now() + make_interval(secs => %(lease)s)"
        " where id = %(id)s and status = 'processing'",
        {"id": event_id, "lease": lease_s},
    )


async def delete_finished_events(conn: Conn, *, older_than_s: float, limit: int) -> int:
    """Raw payloads past retention; only finished events, never ones still to be worked."""
    cur = await conn.execute(
        """
        delete from public.webhook_events
         where id in (
             select id from public.webhook_events
              where status in ('done', 'ignored', 'failed', 'quarantined')
                and received_at < now() - make_interval(secs => %(secs)s)
              limit %(batch)s
         )
        """,
        {"secs": older_than_s, "batch": limit},
    )
    return cur.rowcount
