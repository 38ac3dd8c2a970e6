"""Beat: delete raw webhook payloads past the retention period. What they produced (messages,
comments, decisions, replies) stays; only finished events go, never ones still to be worked.
Revoked refresh tokens are forgotten once they would have expired anyway."""

from __future__ import annotations

from app.auth import repo as auth_repo
from app.db.session import Pool, privileged_session
from app.webhooks import repo as webhooks_repo


async def delete_old_events(pool: Pool, *, retention_days: float, batch: int) -> int:
    deleted = 0
    while True:
        async with privileged_session(pool) as conn:
            count = await webhooks_repo.delete_finished_events(
                conn, older_than_s=retention_days * 86400, limit=batch
            )
        deleted += count
        # short transactions: a large backlog must not hold locks for minutes
        if count < batch:
            return deleted


async def forget_expired_revocations(pool: Pool, *, batch: int) -> int:
    async with privileged_session(pool) as conn:
        return await auth_repo.forget_expired_revocations(conn, limit=batch)
