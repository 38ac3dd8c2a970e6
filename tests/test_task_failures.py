"""A task retries what passes (a dropped connection, a timeout) and hands over what would fail
the same way again: a reply the bot cannot decide goes to staff at once instead of looping
through retries and sweeps while the customer waits."""

from __future__ import annotations

from typing import Any

import httpx
import psycopg
import pytest

from app.kb.embeddings import EmbeddingUnavailable
from app.platforms.meta.errors import PermanentError, ThrottledError
from workers.transient import is_transient


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (psycopg.OperationalError("server closed the connection"), True),
        (httpx.ConnectError("refused"), True),
        (TimeoutError(), True),
        (EmbeddingUnavailable("quota"), True),
        (ThrottledError("slow down", retry_after_s=5), True),
        (PermanentError("Invalid parameter"), False),
        (ValueError("a bug"), False),
        (KeyError("text"), False),
        (psycopg.errors.CheckViolation("bad row"), False),
    ],
)
def test_which_failures_are_retried(error: BaseException, transient: bool) -> None:
    assert is_transient(error) is transient


def _rows(admin: Any, ws: str) -> tuple[str, str, int]:
    account = admin.execute(
        "insert into social_accounts (workspace_id, platform, external_id) values (%s, 'instagram', %s) returning id",
        (ws, "1784" + ws.replace("-", "")[:12]),
    ).fetchone()["id"]
    contact = admin.execute(
        "insert into contacts (workspace_id, social_account_id, platform, external_id) values (%s, %s, 'instagram', 'cust') returning id",
        (ws, account),
    ).fetchone()["id"]
    conversation = admin.execute(
        "insert into conversations (workspace_id, social_account_id, contact_id, channel, last_inbound_at)"
        " values (%s, %s, %s, 'instagram_dm', now()) returning id",
        (ws, account, contact),
    ).fetchone()["id"]
    message = admin.execute(
        "insert into messages (workspace_id, conversation_id, direction, sender, text, platform_message_id)"
        " values (%s, %s, 'inbound', 'contact', 'hi', 'm-fail') returning id",
        (ws, conversation),
    ).fetchone()["id"]
    event = admin.execute(
        "insert into webhook_events (workspace_id, platform, kind, account_external_id, dedupe_key, payload, status, lease_until)"
        " values (%s, 'instagram', 'ig_message', 'x', %s, '{}', 'processing', now() - interval '1 minute') returning id",
        (ws, f"fail-{ws}"),
    ).fetchone()["id"]
    return str(conversation), str(message), int(event)


async def test_a_reply_that_fails_for_good_goes_to_staff_and_is_not_swept(
    app, shop, admin, monkeypatch
) -> None:
    from app.webhooks.service import sweep_stale_events
    from workers import runtime
    from workers.tasks import replies as reply_tasks

    _, ws = shop
    conversation, message, event = _rows(admin, ws)

    async def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise ValueError("the stored conversation cannot be read")  # a bug, not an outage

    monkeypatch.setattr(reply_tasks.replies_service, "plan_conversation_reply", broken)
    try:
        result = reply_tasks.reply_to_conversation.apply(args=[ws, conversation, message, event])
        assert result.get() == "handed to staff"
    finally:
        runtime.close()
    escalation = admin.execute(
        "select reason, status from escalations where conversation_id = %s", (conversation,)
    ).fetchone()
    assert escalation["status"] == "open" and "could not answer" in escalation["reason"]
    owner = admin.execute(
        "select owner from conversations where id = %s", (conversation,)
    ).fetchone()["owner"]
    assert owner == "human"
    row = admin.execute(
        "select status, last_error from webhook_events where id = %s", (event,)
    ).fetchone()
    assert row["status"] == "failed" and "cannot be read" in row["last_error"]
    settings = app.state.settings.model_copy(
        update={"webhook_sweep_stale_after_s": 0, "webhook_sweep_backlog_after_s": 0}
    )
    await sweep_stale_events(settings, app.state.pool, app.state.redis)
    assert (
        admin.execute("select status from webhook_events where id = %s", (event,)).fetchone()[
            "status"
        ]
        == "failed"
    ), "a failed event is not handed out again"
