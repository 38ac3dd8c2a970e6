"""Store-then-enqueue: Postgres is the commit point. A redelivered update is recognised by its
dedupe key and neither stored nor enqueued again; a broker outage leaves events pending for the
sweeper; an unknown receiving account quarantines the event."""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from typing import Any

from app.config import Settings
from app.db.session import Pool, privileged_session
from app.errors import AppError, InvalidInput
from app.logging import get_logger
from app.platforms.meta.events import Platform
from app.platforms.meta.parse import PayloadError, parse_webhook
from app.platforms.meta.signature import verify_signature
from app.queue import enqueue_events
from app.webhooks import repo

log = get_logger("webhooks")


class VerifyTokenMismatch(AppError):
    status_code = 403
    error_code = "verify_token_mismatch"


@dataclass(frozen=True)
class IngestResult:
    received: int
    stored: int
    enqueued: int
    quarantined: int


def answer_handshake(
    settings: Settings, mode: str | None, token: str | None, challenge: str | None
) -> str:

    expected = settings.meta_verify_token.get_secret_value()
    if (
        mode != "subscribe"
        or token is None
        or not hmac.compare_digest(token.encode(), expected.encode())
    ):
        raise VerifyTokenMismatch("hub.verify_token does not match")
    if not challenge:
        raise InvalidInput("hub.challenge is missing", error_code="challenge_missing")
    return challenge


def _decode(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput("the body is not valid JSON", error_code="malformed_json") from exc


async def ingest(
    *, settings: Settings, pool: Pool, platform: Platform, body: bytes, signature: str | None
) -> IngestResult:
    verify_signature(body, signature, settings.app_secret_for(platform.value).get_secret_value())
    try:
        events = parse_webhook(platform, _decode(body))
    except PayloadError as exc:
        raise InvalidInput(str(exc), error_code="invalid_payload") from exc

    async with privileged_session(pool) as conn:
        stored = await repo.store_events(conn, platform.value, events)
    runnable = [
        (row["id"], row["workspace_id"], row["kind"])
        for row in stored
        if row["status"] == "pending"
    ]
    sent = await enqueue_events(runnable)
    if sent:
        async with privileged_session(pool) as conn:
            await repo.mark_enqueued(conn, sent)
    quarantined = sum(1 for row in stored if row["status"] == "quarantined")
    if quarantined:
        log.warning(
            "events for unknown accounts quarantined", platform=platform.value, count=quarantined
        )
    return IngestResult(
        received=len(events), stored=len(stored), enqueued=len(sent), quarantined=quarantined
    )


async def sweep_stale_events(settings: Settings, pool: Pool) -> int:
    """Beat: re-enqueue what the broker never got or lost. Returns how many were enqueued."""
    async with privileged_session(pool) as conn:
        stale = await repo.claim_stale_events(
            conn,
            pending_after_s=settings.webhook_sweep_pending_after_s,
            enqueued_after_s=settings.webhook_sweep_stale_after_s,
            limit=settings.webhook_sweep_batch,
        )
        sent = await enqueue_events([(r["id"], r["workspace_id"], r["kind"]) for r in stale])
        await repo.touch_enqueued(conn, sent)
    if sent:
        log.info("re-enqueued stale webhook events", count=len(sent))
    return len(sent)
