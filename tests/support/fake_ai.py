"""A local server that speaks the parts of the OpenAI and Gemini APIs we call (embeddings, chat
completions, moderation), so the real client libraries run over real HTTP in tests."""

from __future__ import annotations

import asyncio
import hashlib
import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


def fake_vector(text: str, dims: int) -> list[float]:
    """Deterministic, different per text, not normalised (the client must normalise)."""
    seed = hashlib.sha256(text.encode()).digest()
    values = [((seed[i % len(seed)] + i) % 17) - 8.0 + 0.5 for i in range(dims)]
    return [v * 3 for v in values]


def create_fake_ai_app() -> FastAPI:
    app = FastAPI()
    app.state.requests = []
    app.state.fail_next = 0
    app.state.chat_replies = []
    # seconds to stall each of the next chat requests (a slow model), consumed in order
    app.state.chat_delays = []
    # what the model answers once chat_replies is used up
    app.state.chat_default = {"content": "OK"}
    app.state.flag_words = {"kill", "idiot"}

    def maybe_fail() -> JSONResponse | None:
        if app.state.fail_next > 0:
            app.state.fail_next -= 1
            return JSONResponse(
                status_code=503, content={"error": {"message": "overloaded", "code": 503}}
            )
        return None

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/{api_version}/models/{model_action}")
    async def gemini(api_version: str, model_action: str, request: Request) -> Any:
        body = await request.json()
        app.state.requests.append(
            {
                "api": "gemini",
                "path": model_action,
                "body": body,
                "key": request.headers.get("x-goog-api-key"),
            }
        )
        if (failure := maybe_fail()) is not None:
            return failure
        _model, _, action = model_action.partition(":")
        items = body.get("requests") if action == "batchEmbedContents" else [body]
        if len(items) > 100:
            return JSONResponse(
                status_code=400,
                content={
                    "error": {
                        "code": 400,
                        "message": "at most 100 requests can be in one batch",
                        "status": "INVALID_ARGUMENT",
                    }
                },
            )
        embeddings = []
        for item in items:
            text = " ".join(p.get("text", "") for p in item["content"]["parts"])
            dims = item.get("outputDimensionality") or 3072
            embeddings.append({"values": fake_vector(text, dims)})
        return (
            {"embeddings": embeddings}
            if action == "batchEmbedContents"
            else {"embedding": embeddings[0]}
        )

    @app.post("/v1/embeddings")
    async def openai_embeddings(request: Request) -> Any:
        body = await request.json()
        app.state.requests.append({"api": "openai.embeddings", "body": body})
        if (failure := maybe_fail()) is not None:
            return failure
        inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
        return {
            "object": "list",
            "model": body["model"],
            "usage": {"prompt_tokens": 1, "total_tokens": 1},
            "data": [
                {"object": "embedding", "index": i, "embedding": fake_vector(t, 1536)}
                for i, t in enumerate(inputs)
            ],
        }

    @app.post("/v1/moderations")
    async def moderations(request: Request) -> Any:
        body = await request.json()
        app.state.requests.append({"api": "openai.moderations", "body": body})
        if (failure := maybe_fail()) is not None:
            return failure
        inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
        results = []
        for text in inputs:
            flagged = any(w in str(text).lower() for w in app.state.flag_words)
            score = 0.97 if flagged else 0.01
            categories = {
                "harassment": flagged,
                "violence": False,
                "hate": False,
                "sexual": False,
                "self-harm": False,
            }
            results.append(
                {
                    "flagged": flagged,
                    "categories": categories,
                    "category_scores": {k: (score if v else 0.01) for k, v in categories.items()},
                    "category_applied_input_types": {k: ["text"] for k in categories},
                }
            )
        return {
            "id": "modr-1",
            "model": body.get("model", "omni-moderation-latest"),
            "results": results,
        }

    @app.post("/v1/chat/completions")
    async def chat(request: Request) -> Any:
        body = await request.json()
        app.state.requests.append({"api": "openai.chat", "body": body})
        if (failure := maybe_fail()) is not None:
            return failure
        if app.state.chat_delays:
            await asyncio.sleep(app.state.chat_delays.pop(0))
        reply = app.state.chat_replies.pop(0) if app.state.chat_replies else app.state.chat_default
        message: dict[str, Any] = {"role": "assistant", "content": reply.get("content")}
        if reply.get("tool_calls"):
            message["tool_calls"] = reply["tool_calls"]
        return {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 0,
            "model": body["model"],
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "finish_reason": "tool_calls" if reply.get("tool_calls") else "stop",
                }
            ],
            "usage": {"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17},
        }

    return app


def cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return dot / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))
