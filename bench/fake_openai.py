"""An OpenAI-compatible server whose chat model answers instantly: every request gets a
`submit_reply` tool call, so the agent's real ChatOpenAI path runs at no model cost. A model
named `bench-delay-<seconds>` answers after that long instead, as a real model would."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from fastapi import FastAPI, Request

REPLY = "Thanks for your message! We are open Monday to Saturday, 9:00 to 18:00."


def create_fake_openai_app() -> FastAPI:
    app = FastAPI()

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/v1/chat/completions")
    async def chat(request: Request) -> dict[str, Any]:
        body = await request.json()
        model = str(body.get("model", ""))
        if model.startswith("bench-delay-"):
            await asyncio.sleep(float(model.removeprefix("bench-delay-")))
        arguments = json.dumps({"reply": REPLY, "confidence": 0.95, "source_ids": []})
        message = {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "submit_reply", "arguments": arguments},
                }
            ],
        }
        return {
            "id": "chatcmpl-bench",
            "object": "chat.completion",
            "created": 0,
            "model": body["model"],
            "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls"}],
            "usage": {"prompt_tokens": 50, "completion_tokens": 20, "total_tokens": 70},
        }

    @app.post("/v1/moderations")
    async def moderations(request: Request) -> dict[str, Any]:
        body = await request.json()
        inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
        categories = {
            "harassment": False,
            "hate": False,
            "violence": False,
            "sexual": False,
            "self-harm": False,
        }
        return {
            "id": "modr",
            "model": "omni-moderation-latest",
            "results": [
                {
                    "flagged": False,
                    "categories": categories,
                    "category_scores": dict.fromkeys(categories, 0.001),
                    "category_applied_input_types": {k: ["text"] for k in categories},
                }
                for _ in inputs
            ],
        }

    return app
