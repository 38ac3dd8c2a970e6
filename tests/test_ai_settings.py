"""The bot's settings API, and switching a workspace's embedding provider: the knowledge base is
re-embedded in the background by a real worker while search keeps comparing like with like."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from tests.support import processes
from tests.support.factories import add_member, create_workspace, register
from tests.support.kb import RETURNS, SHIPPING, upload

GEMINI = "gemini-embedding-001-768"
WORDLLAMA = "wordllama-l2-supercat-256"


async def test_settings_read_update_and_validation(client, shop) -> None:
    owner, ws = shop
    current = (await client.get("/api/agent/settings", headers=owner.headers(ws))).json()
    assert current["confidence_threshold"] == 0.7 and current["auto_reply"]["whatsapp"] is True
    assert current["embedding"]["provider"] == "wordllama"

    changed = await client.patch(
        "/api/agent/settings",
        headers=owner.headers(ws),
        json={
            "persona": "the helpful assistant of Linen & Co",
            "blocked_words": ["cheap followers"],
            "auto_reply": {"instagram_comment": False},
            "max_reply_chars": {"whatsapp": 500},
            "business_hours": {"mon": ["09:00", "18:00"]},
            "confidence_threshold": 0.8,
        },
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["auto_reply"] == {
        "instagram_dm": True,
        "instagram_comment": False,
        "whatsapp": True,
    }, "one channel changed, the others kept"
    assert (
        body["max_reply_chars"]["whatsapp"] == 500
        and body["max_reply_chars"]["instagram_dm"] == 1000
    )
    assert body["persona"].startswith("the helpful") and body["blocked_words"] == [
        "cheap followers"
    ]
    assert body["business_hours"] == {"mon": ["09:00", "18:00"]}

    for bad, field in (
        ({"max_reply_chars": {"instagram_dm": 5000}}, "max_reply_chars"),
        ({"business_hours": {"mon": ["25:00", "09:00"]}}, "business_hours"),
        ({"confidence_threshold": 1.5}, "confidence_threshold"),
        ({"comment_reply_mode": "loud"}, "comment_reply_mode"),
    ):
        refused = await client.patch("/api/agent/settings", headers=owner.headers(ws), json=bad)
        assert refused.status_code == 422, (field, refused.text)
        assert refused.json()["detail"]["error_code"] == "validation_error"
    unavailable = await client.patch(
        "/api/agent/settings", headers=owner.headers(ws), json={"embedding_provider": "gemini"}
    )
    assert unavailable.status_code == 422
    assert unavailable.json()["detail"]["error_code"] == "embedding_provider_unavailable"
    after = (await client.get("/api/agent/settings", headers=owner.headers(ws))).json()
    assert after["embedding_provider"] is None and after["confidence_threshold"] == 0.8

    agent = await register(client, "agent")
    await add_member(client, owner, ws, agent, "agent")
    forbidden = await client.patch(
        "/api/agent/settings", headers=agent.headers(ws), json={"persona": "chaos"}
    )
    assert forbidden.status_code == 403
    assert forbidden.json()["detail"]["error_code"] == "insufficient_role"
    assert (await client.get("/api/agent/settings", headers=agent.headers(ws))).status_code == 200

    other = await register(client, "other")
    other_ws = (await create_workspace(client, other))["id"]
    theirs = (await client.get("/api/agent/settings", headers=other.headers(other_ws))).json()
    assert (
        theirs["persona"] != body["persona"] and theirs["auto_reply"]["instagram_comment"] is True
    )


@pytest.fixture
async def gemini_client(settings, fake_ai) -> AsyncIterator[httpx.AsyncClient]:
    """The API of a server that has a Gemini key (pointed at the local Gemini-speaking server)."""
    from app.main import create_app

    configured = settings.model_copy(
        update={"gemini_api_key": SecretStr("test-key"), "gemini_base_url": fake_ai.url}
    )
    application = create_app(configured)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


async def _until(check, timeout: float = 60.0) -> Any:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := await check():
            return value
        await asyncio.sleep(0.3)
    raise AssertionError("timed out")


async def test_switching_embedding_provider_reembeds_in_the_background(
    gemini_client, admin, redis_client, fake_ai, fake_ai_state, tmp_path: Path
) -> None:
    client = gemini_client
    owner = await register(client, "switch")
    ws = (await create_workspace(client, owner, "Switch Shop"))["id"]
    redis_client.delete("high", "default", "low", "unacked", "unacked_index")
    env = {"GEMINI_API_KEY": "test-key", "GEMINI_BASE_URL": fake_ai.url}
    worker = processes.start_worker(env, tmp_path / "worker.log")
    try:
        document = (
            await upload(
                client,
                owner,
                ws,
                "policies.md",
                (SHIPPING + "\n\n" + RETURNS).encode(),
                "text/markdown",
            )
        ).json()

        async def ready() -> bool:
            doc = (
                await client.get(f"/api/kb/documents/{document['id']}", headers=owner.headers(ws))
            ).json()
            return doc["status"] == "ready"

        await _until(ready)
        await client.post(
            "/api/kb/faq",
            headers=owner.headers(ws),
            json={"question": "Do you gift wrap?", "answer": "Yes, for 3 euros."},
        )
        models = {
            r["embedding_model"]
            for r in admin.execute(
                "select embedding_model from kb_chunks where workspace_id = %s", (ws,)
            ).fetchall()
        }
        assert models == {WORDLLAMA}

        switched = await client.patch(
            "/api/agent/settings", headers=owner.headers(ws), json={"embedding_provider": "gemini"}
        )
        assert switched.status_code == 200, switched.text
        assert switched.json()["embedding"]["model"] == GEMINI

        async def complete() -> dict[str, Any] | None:
            status = (await client.get("/api/agent/settings", headers=owner.headers(ws))).json()[
                "embedding"
            ]
            return status if status["complete"] else None

        status = await _until(complete)
        assert status["provider"] == "gemini" and status["chunks_total"] >= 1
        assert status["chunks_current"] == status["chunks_total"] and status["faq_current"] == 1
        rows = admin.execute(
            "select embedding_model, vector_dims(embedding) as dims from kb_chunks where workspace_id = %s",
            (ws,),
        ).fetchall()
        assert {(r["embedding_model"], r["dims"]) for r in rows} == {(GEMINI, 768)}
        doc = admin.execute(
            "select embedding_model from kb_documents where id = %s", (document["id"],)
        ).fetchone()
        assert doc["embedding_model"] == GEMINI
        batches = [r for r in fake_ai_state.requests if r["api"] == "gemini"]
        assert batches and batches[0]["body"]["requests"][0]["taskType"] == "RETRIEVAL_DOCUMENT"

        hits = (
            await client.get("/api/kb/search", params={"q": "gift wrap"}, headers=owner.headers(ws))
        ).json()["hits"]
        assert fake_ai_state.requests[-1]["body"]["requests"][0]["taskType"] == "RETRIEVAL_QUERY"
        assert any(h["kind"] == "faq" for h in hits), (
            "the FAQ is found with the new model's vectors"
        )
        assert all(h["similarity"] is not None for h in hits if h["kind"] == "chunk"), (
            "chunks are compared with a query vector of the same model"
        )
    finally:
        processes.stop(worker)
