"""Beat: delete raw webhook payloads past the retention period. What they produced (messages,
comments, decisions, replies) stays; only finished events go, never ones still to be worked.
Revoked refresh tokens are forgotten once they would have expired anyway."""

from __future__ import annotations

from app.auth import repo as auth_repo
from app.db.session import Pool, privileged_session


async def delete_old_events(pool: Pool, *, retention_days: float, batch: int) -> int:
    deleted = 0
    while True:
        async with privileged_session(pool) as conn:
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
                {"secs": retention_days * 86400, "batch": batch},
            )
        deleted += cur.rowcount
        # short transactions: a large backlog must not hold locks for minutes
        if cur.rowcount < batch:
            return deleted


async def forget_expired_revocations(pool: Pool, *, batch: int) -> int:
    async with privileged_session(pool) as conn:
        return await auth_repo.forget_expired_revocations(conn, limit=batch)
