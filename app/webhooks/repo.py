"""SQL for the webhook inbox. Storing runs in the privileged session: until the receiving
account is resolved, the event belongs to no tenant."""

from __future__ import annotations

from typing import Any

from psycopg.types.json import Jsonb

from app.db.session import Conn
from app.platforms.meta.events import NormalizedEvent

_INSERT = """
with accounts as (
    select id, workspace_id, external_id
      from public.social_accounts
     where platform = %(platform)s and external_id = any(%(externals)s::text[])
)
insert into public.webhook_events
    (workspace_id, social_account_id, platform, kind, account_external_id, dedupe_key, status, payload, occurred_at)
select a.workspace_id, a.id, %(platform)s, e.kind, e.account, e.dedupe_key,
       case when a.id is null then 'quarantined'
            when e.kind = 'unknown' then 'ignored'
            else 'pending' end,
       e.payload, e.occurred_at
  from unnest(%(kinds)s::text[], %(accounts)s::text[], %(keys)s::text[], %(payloads)s::jsonb[],
              %(times)s::timestamptz[]) with ordinality as e(kind, account, dedupe_key, payload, occurred_at, n)
  left join accounts a on a.external_id = e.account
 order by e.n
on conflict (dedupe_key) do nothing
returning id, workspace_id::text as workspace_id, kind, status
"""


async def store_events(
    conn: Conn, platform: str, events: list[NormalizedEvent]
) -> list[dict[str, Any]]:
    """Inserts what is new; redeliveries (same dedupe key) are skipped. Returns the new rows."""
    if not events:
        return []
    cur = await conn.execute(
        _INSERT,
        {
            "platform": platform,
            "externals": sorted({e.account_external_id for e in events}),
            "kinds": [e.kind.value for e in events],
            "accounts": [e.account_external_id for e in events],
            "keys": [e.dedupe_key for e in events],
            "payloads": [Jsonb(e.to_payload()) for e in events],
            "times": [e.occurred_at for e in events],
        },
    )
    return await cur.fetchall()


async def mark_enqueued(conn: Conn, event_ids: list[int]) -> None:
    if event_ids:
        await conn.execute(
            "update public.webhook_events set status = 'enqueued', enqueued_at = now()"
            " where id = any(%(ids)s) and status = 'pending'",
            {"ids": event_ids},
        )


async def claim_stale_events(
    conn: Conn, *, pending_after_s: int, enqueued_after_s: int, limit: int
) -> list[dict[str, Any]]:
    """Events the broker may have lost: pending (enqueue failed), or enqueued/processing for
    longer than any task may take. Processing is idempotent, so enqueuing twice is harmless."""
    cur = await conn.execute(
        """
        select id, workspace_id::text as workspace_id, kind
          from public.webhook_events
         where workspace_id is not null
           and ((status = 'pending' and received_at < now() - make_interval(secs => %(pending)s))
             or (status in ('enqueued', 'processing')
                 and coalesce(enqueued_at, received_at) < now() - make_interval(secs => %(enqueued)s)))
         order by received_at
         limit %(limit)s
         for update skip locked
        """,
        {"pending": pending_after_s, "enqueued": enqueued_after_s, "limit": limit},
    )
    return await cur.fetchall()


async def touch_enqueued(conn: Conn, event_ids: list[int]) -> None:
    if event_ids:
        await conn.execute(
            "update public.webhook_events set status = case when status = 'pending' then 'enqueued' else status end,"
            " enqueued_at = now() where id = any(%(ids)s)",
            {"ids": event_ids},
        )
