"""The chat model through a real worker: an outage falls back to the offline responder or
escalates (nothing is dropped), and staff taking a conversation over while the model is still
drafting keep the bot's draft from being sent."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from tests.support import processes
from tests.support.conversation import dm_replies, send_dm
from tests.support.factories import instagram_shop

HOURS = ("What are your opening hours?", "We are open 9 to 6, Monday to Saturday.")


def _env(fake_ai: Any) -> dict[str, str]:
    return {
        "CHAT_MODEL": "gpt-4o-mini",
        "OPENAI_API_KEY": "sk-test",
        "OPENAI_BASE_URL": f"{fake_ai.url}/v1",
        "REPLY_BURST_WINDOW_S": "0.3",
    }


async def test_llm_down_falls_back_or_escalates_nothing_dropped(
    client, sandbox, admin, fake_ai, fake_ai_state, clean_broker, tmp_path: Path
) -> None:
    _, ws, ig = await instagram_shop(client, admin, HOURS, "llmdown")
    fake_ai_state.fail_next = 10_000  # chat and moderation answer 503 throughout
    worker = processes.start_worker(_env(fake_ai), tmp_path / "worker.log")
    try:
        send_dm(sandbox, ig, "c1", "when are you open?")
        send_dm(sandbox, ig, "c2", "can you make a custom wedding dress for my dog?")

        def settled() -> list[dict[str, Any]] | None:
            rows = admin.execute(
                "select d.decision, d.reasons, d.model, ct.external_id from ai_decisions d"
                " join conversations c on c.id = d.conversation_id join contacts ct on ct.id = c.contact_id"
                " where d.workspace_id = %s order by ct.external_id",
                (ws,),
            ).fetchall()
            return rows if len(rows) == 2 else None

        answered, escalated = processes.wait_for(settled, 60)
        processes.wait_for(lambda: len(dm_replies(sandbox, ig)) >= 2, 20)
    finally:
        processes.stop(worker)
    assert answered["decision"] == "respond" and answered["model"] == "offline"
    assert any("chat model unavailable" in r for r in answered["reasons"])
    assert escalated["decision"] == "escalate" and escalated["external_id"] == "c2"
    from app.agent.ai_settings import DEFAULT_HOLDING_MESSAGE

    replies = {r["recipient"]: r["text"] for r in dm_replies(sandbox, ig)}
    assert replies == {"c1": HOURS[1], "c2": DEFAULT_HOLDING_MESSAGE}, (
        "answered from the knowledge base; told a person will answer"
    )
    opened = admin.execute(
        "select count(*) as n from escalations where workspace_id = %s and status = 'open'", (ws,)
    ).fetchone()
    assert opened["n"] == 1, "the question the knowledge base cannot answer waits for staff"


async def test_takeover_while_the_model_drafts_sends_nothing(
    client, sandbox, admin, fake_ai, fake_ai_state, clean_broker, tmp_path: Path
) -> None:
    owner, ws, ig = await instagram_shop(client, admin, HOURS, "drafting")
    arguments = json.dumps({"reply": HOURS[1], "confidence": 0.95, "source_ids": []})
    fake_ai_state.chat_default = {
        "tool_calls": [
            {
                "id": "c1",
                "type": "function",
                "function": {"name": "submit_reply", "arguments": arguments},
            }
        ]
    }
    fake_ai_state.chat_delays.append(4)
    worker = processes.start_worker(_env(fake_ai), tmp_path / "worker.log")
    try:
        send_dm(sandbox, ig, "c1", "when are you open?")
        processes.wait_for(
            lambda: any(r["api"] == "openai.chat" for r in fake_ai_state.requests), 30
        )
        conversation = admin.execute(
            "select id from conversations where workspace_id = %s", (ws,)
        ).fetchone()["id"]
        started = time.monotonic()
        taken = await client.post(
            f"/api/conversations/{conversation}/take-over", headers=owner.headers(ws)
        )
        assert taken.status_code == 200 and taken.json()["owner"] == "human"
        assert time.monotonic() - started < 2, "taking over does not wait for the model"

        def escalated() -> Any:
            return admin.execute(
                "select reason, draft_reply from escalations where workspace_id = %s", (ws,)
            ).fetchone()

        escalation = processes.wait_for(escalated, 30)
        time.sleep(1)
    finally:
        processes.stop(worker)
    assert dm_replies(sandbox, ig) == [], "the bot's draft never went out"
    assert "human took over" in escalation["reason"] and escalation["draft_reply"] == HOURS[1]
    row = admin.execute(
        "select status from outbound_messages where workspace_id = %s", (ws,)
    ).fetchone()
    assert row["status"] == "cancelled"
