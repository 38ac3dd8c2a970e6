"""Store-then-enqueue: Postgres is the commit point. A redelivered update is recognised by its
dedupe key and neither stored nor enqueued again; a broker outage leaves events pending for the
sweeper; an unknown receiving account quarantines the event."""

from __future__ import annotations

import hmac
import json
import math
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis

from app.config import Settings
from app.db.session import Pool, privileged_session
from app.errors import AppError, InvalidInput
from app.logging import get_logger
from app.platforms.meta.events import Platform
from app.platforms.meta.parse import PayloadError, parse_webhook
from app.platforms.meta.signature import verify_signature
from app.queue import publish_events, queued_tasks
from app.security.text_safety import may_hold_unstorable, scrub
from app.webhooks import repo
from app.webhooks.batcher import IngestBatcher

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


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError("number out of range")
    return value


# Meta's payloads nest about ten levels; a body that cannot nest deeper than this is not walked
MAX_DEPTH = 64


def _too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        children = node.values() if isinstance(node, dict) else node
        stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))
    return False


def _decode(body: bytes) -> Any:
    """Strict JSON: NaN, Infinity and numbers beyond a float's range (which Postgres' jsonb
    refuses), integers over Python's digit limit and nesting past the recursion limit are 400s
    here, never errors later in a shared group commit."""
    try:
        decoded = json.loads(body, parse_constant=_refuse_constant, parse_float=_finite_float)
        if body.count(b"[") + body.count(b"{") > MAX_DEPTH and _too_deep(decoded):
            raise ValueError(f"nested deeper than {MAX_DEPTH} levels")
        # a customer's text is stored faithfully, less what Postgres cannot hold
        return scrub(decoded) if may_hold_unstorable(body) else decoded
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise InvalidInput("the body is not valid JSON", error_code="malformed_json") from exc


async def ingest(
    *,
    settings: Settings,
    batcher: IngestBatcher,
    platform: Platform,
    body: bytes,
    signature: str | None,
) -> IngestResult:
    verify_signature(body, signature, settings.app_secret_for(platform.value).get_secret_value())
    try:
        events = parse_webhook(platform, _decode(body))
    except PayloadError as exc:
        raise InvalidInput(str(exc), error_code="invalid_payload") from exc
    stored = await batcher.submit(platform.value, events)
    quarantined = sum(1 for row in stored if row["status"] == "quarantined")
    if quarantined:
        log.warning(
            "events for unknown accounts quarantined", platform=platform.value, count=quarantined
        )
    enqueued = sum(1 for row in stored if row["status"] == "enqueued")
    return IngestResult(
        received=len(events), stored=len(stored), enqueued=enqueued, quarantined=quarantined
    )


async def receive_webhook(
    state: Any, platform: Platform, body: bytes, signature: str | None
) -> dict[str, int]:
    """What both the documented route and the fast path answer Meta with."""
    result = await ingest(
        settings=state.settings,
        batcher=state.ingest,
        platform=platform,
        body=body,
        signature=signature,
    )
    return {"received": result.received, "stored": result.stored, "quarantined": result.quarantined}


async def sweep_stale_events(settings: Settings, pool: Pool, redis: aioredis.Redis) -> int:
    """Beat: re-enqueue what the broker never got or lost. Returns how many were enqueued."""
    # an enqueued event with the queues empty is not waiting in them: a dead worker held it
    backlog = await queued_tasks(redis)
    enqueued_after_s = (
        settings.webhook_sweep_stale_after_s
        if backlog == 0
        else settings.webhook_sweep_backlog_after_s
    )
    async with privileged_session(pool) as conn:
        stale = await repo.claim_stale_events(
            conn,
            pending_after_s=settings.webhook_sweep_pending_after_s,
            enqueued_after_s=enqueued_after_s,
            limit=settings.webhook_sweep_batch,
        )
        if not stale or not await publish_events(
            redis, [(r["id"], r["workspace_id"], r["kind"]) for r in stale]
        ):
            return 0
        await repo.mark_enqueued(
            conn, [r["id"] for r in stale], grace_s=settings.webhook_sweep_stale_after_s
        )
    log.info("re-enqueued stale webhook events", count=len(stale))
    return len(stale)
