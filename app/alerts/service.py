"""Email alerts (a Beat job, when SMTP is configured): to each member who asked, a new
escalation once, and a held conversation whose customer has waited longer than
ALERT_WAITING_MINUTES once per customer message. Claimed before sending and stamped after, so
two runs never send one alert twice; a run that dies mid-way leaves its claims to be retried."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from app.alerts import repo
from app.config import Settings
from app.db.session import Pool, privileged_session
from app.errors import ServiceUnavailable
from app.logging import get_logger
from app.mail.sender import Mail, Mailer
from app.workspaces.context import WorkspaceContext

log = get_logger("alerts")

KINDS = ("escalation", "waiting")


async def my_settings(ws: WorkspaceContext) -> dict[str, Any]:
    async with ws.session() as conn:
        row = await repo.get_settings(
            conn, workspace_id=ws.workspace_id, user_id=ws.principal.user_id
        )
    return row or {"new_escalations": False, "waiting": False, "updated_at": None}


async def set_my_settings(
    ws: WorkspaceContext, *, new_escalations: bool, waiting: bool
) -> dict[str, Any]:
    async with ws.session() as conn:
        return await repo.put_settings(
            conn,
            workspace_id=ws.workspace_id,
            user_id=ws.principal.user_id,
            new_escalations=new_escalations,
            waiting=waiting,
        )


def _who(row: dict[str, Any]) -> str:
    if row["contact_name"] and row["contact_username"]:
        return f"{row['contact_name']} (@{row['contact_username']})"
    return row["contact_name"] or (
        f"@{row['contact_username']}" if row["contact_username"] else "A customer"
    )


def compose(kind: str, row: dict[str, Any], settings: Settings) -> Mail:
    channel = {"instagram_dm": "Instagram", "instagram_comment": "an Instagram comment"}.get(
        row["channel"], "WhatsApp"
    )
    where = f"{settings.api_base_url}/ (conversation {row['conversation_id']})"
    if kind == "escalation":
        return Mail(
            to=row["email"],
            subject=f"[{row['workspace_name']}] {_who(row)} needs a person",
            text=(
                f"The bot handed a conversation on {channel} to your team.\n\n"
                f"Why: {row['reason']}\n\n"
                f"Answer it in SocialSync: {where}\n\n"
                "You get this because you asked for alerts on new escalations; turn them off "
                "in your alert settings."
            ),
        )
    waited = int((datetime.now(UTC) - row["target_at"]).total_seconds() // 60)
    return Mail(
        to=row["email"],
        subject=f"[{row['workspace_name']}] {_who(row)} has waited {waited} minutes",
        text=(
            f"A customer on {channel} wrote {waited} minutes ago and nobody has answered yet.\n\n"
            f"Answer it in SocialSync: {where}\n\n"
            "You get this because you asked for alerts on customers kept waiting; turn them off "
            "in your alert settings."
        ),
    )


async def send_due_alerts(pool: Pool, *, mailer: Mailer, settings: Settings) -> dict[str, int]:
    if not mailer.configured:
        return {"sent": 0, "failed": 0, "smtp": 0}
    counts = {"sent": 0, "failed": 0, "smtp": 1}
    for kind in KINDS:
        async with privileged_session(pool) as conn:
            rows = await repo.due(
                conn,
                kind=kind,
                waiting_minutes=settings.alert_waiting_minutes,
                limit=settings.alert_batch,
            )
        for row in rows:
            key: dict[str, Any] = {
                "user_id": UUID(str(row["user_id"])),
                "kind": kind,
                "target_id": row["target_id"],
                "target_at": row["target_at"],
            }
            async with privileged_session(pool) as conn:
                if not await repo.claim(conn, workspace_id=row["workspace_id"], **key):
                    continue
            try:
                sent = await mailer.send(compose(kind, row, settings))
            except ServiceUnavailable:
                sent = False
            async with privileged_session(pool) as conn:
                await repo.settle(conn, **key, sent=sent)
            counts["sent" if sent else "failed"] += 1
    if counts["failed"]:
        log.warning("alerts not sent; retried on the next run", failed=counts["failed"])
    return counts
