"""Ingestion through a real Celery worker, with progress, then search that understands paraphrases."""

from __future__ import annotations

import asyncio
import time

from tests.support.kb import CARE, RETURNS, SHIPPING, upload
from tests.support.pdfs import text_pdf


async def test_pdf_ingestion_with_progress_and_paraphrased_search(
    client, app, shop, worker
) -> None:
    owner, ws = shop
    pdf = text_pdf([SHIPPING * 3, RETURNS * 3, CARE * 3])
    response = await upload(client, owner, ws, "policies.pdf", pdf, "application/pdf")
    assert response.status_code == 202, response.text
    doc = response.json()
    assert doc["status"] == "pending" and doc["source_type"] == "pdf"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        doc = (await client.get(f"/api/kb/documents/{doc['id']}", headers=owner.headers(ws))).json()
        if doc["status"] in ("ready", "failed"):
            break
        await asyncio.sleep(0.2)
    assert doc["status"] == "ready", doc
    assert doc["pages_total"] == 3 and doc["pages_read"] == 3
    assert doc["chunks_total"] >= 3 and doc["chunks_embedded"] == doc["chunks_total"]
    assert doc["embedding_model"] == "wordllama-l2-supercat-256"

    for question, expected_page, word in (
        ("how long until my order arrives in Portugal?", 1, "Portugal"),
        ("can I get my money back?", 2, "refund"),
        ("how should I wash a linen shirt", 3, "linen"),
    ):
        hits = (
            await client.get("/api/kb/search", params={"q": question}, headers=owner.headers(ws))
        ).json()["hits"]
        chunks = [h for h in hits if h["kind"] == "chunk"]
        assert chunks[0]["page_number"] == expected_page, (question, chunks[0])
        assert word in chunks[0]["text"] and chunks[0]["source"] == "policies.pdf"
