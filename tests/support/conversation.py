"""Playing a customer through the sandbox, and scripting the model's answer, for the tests that
run a real worker process."""

from __future__ import annotations

import json
from typing import Any

import httpx


def submit_reply(reply: str, confidence: float = 0.95) -> dict[str, Any]:
    """The chat model's answer: the `submit_reply` tool call with this reply."""
    arguments = json.dumps({"reply": reply, "confidence": confidence, "source_ids": []})
    return {
        "tool_calls": [
            {
                "id": "c1",
                "type": "function",
                "function": {"name": "submit_reply", "arguments": arguments},
            }
        ]
    }


def send_dm(sandbox: Any, ig: str, sender: str, text: str) -> None:
    response = httpx.post(
        f"{sandbox.url}/_sandbox/inbound",
        json={"platform": "instagram", "account_id": ig, "from": sender, "text": text},
    )
    assert response.status_code == 200, response.text


def dm_replies(sandbox: Any, ig: str) -> list[dict[str, Any]]:
    """What the bot sent as DMs from this account, oldest first."""
    return [
        o for o in sandbox.state.outbox if o["account"] == ig and o["endpoint"] == "send_message"
    ]
