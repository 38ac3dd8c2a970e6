"""Knowledge base: uploads, ingestion (real PDFs, broken ones), hybrid search, FAQ, isolation."""

from __future__ import annotations

from typing import Any

import pytest

from app.kb import service as kb_service
from tests.support.factories import add_member, create_workspace, register
from tests.support.kb import CARE, SHIPPING, upload
from tests.support.pdfs import encrypted_pdf, image_only_pdf, text_pdf


async def _ingest(app, doc: dict, ws: str) -> str:  # type: ignore[no-untyped-def]
    state = app.state
    return await kb_service.ingest_document(
        state.pool, state.embedders, state.settings, document_id=doc["id"], workspace_id=ws
    )


@pytest.mark.parametrize(
    ("name", "make", "reason"),
    [
        ("locked.pdf", lambda: encrypted_pdf("secret prices"), "encrypted"),
        ("scan.pdf", image_only_pdf, "no text could be extracted"),
        ("broken.pdf", lambda: text_pdf(["hello"])[:400], "damaged"),
        ("garbage.pdf", lambda: b"%PDF-1.7\n" + bytes(range(256)) * 20, "damaged"),
    ],
)
async def test_broken_pdfs_fail_cleanly(client, app, shop, admin, name, make, reason) -> None:
    owner, ws = shop
    response = await upload(client, owner, ws, name, make(), "application/pdf")
    assert response.status_code == 202
    doc = response.json()
    assert await _ingest(app, doc, ws) == "failed"
    stored = (await client.get(f"/api/kb/documents/{doc['id']}", headers=owner.headers(ws))).json()
    assert stored["status"] == "failed" and reason in stored["error"]
    assert (
        admin.execute(
            "select count(*) as n from kb_chunks where document_id = %s", (doc["id"],)
        ).fetchone()["n"]
        == 0
    )


async def test_text_and_markdown_uploads(client, app, shop) -> None:
    owner, ws = shop
    md = await upload(
        client, owner, ws, "faq.md", f"# Shipping\n\n{SHIPPING}".encode(), "text/markdown"
    )
    txt = await upload(client, owner, ws, "care.txt", CARE.encode(), "text/plain")
    for response in (md, txt):
        assert response.status_code == 202
        assert await _ingest(app, response.json(), ws) == "ready"
    empty = await upload(client, owner, ws, "empty.txt", b"", "text/plain")
    assert empty.status_code == 400 and empty.json()["detail"]["error_code"] == "empty_file"
    blank = await upload(client, owner, ws, "blank.txt", b"   \n  ", "text/plain")
    assert await _ingest(app, blank.json(), ws) == "failed"


async def test_bad_uploads_are_refused_without_a_row(client, shop, admin, settings) -> None:
    owner, ws = shop
    before = admin.execute(
        "select count(*) as n from kb_documents where workspace_id = %s", (ws,)
    ).fetchone()["n"]
    image = await upload(
        client, owner, ws, "photo.png", b"\x89PNG\r\n\x1a\n" + b"0" * 100, "image/png"
    )
    assert (
        image.status_code == 415 and image.json()["detail"]["error_code"] == "unsupported_file_type"
    )
    fake_pdf = await upload(client, owner, ws, "fake.pdf", b"not a pdf at all", "application/pdf")
    assert fake_pdf.status_code == 415
    big = await upload(
        client, owner, ws, "big.txt", b"a" * (settings.kb_max_upload_bytes + 10), "text/plain"
    )
    assert big.status_code == 413
    after = admin.execute(
        "select count(*) as n from kb_documents where workspace_id = %s", (ws,)
    ).fetchone()["n"]
    assert after == before


async def test_agents_read_but_do_not_change_the_knowledge_base(client, app, shop) -> None:
    owner, ws = shop
    agent = await register(client, "agent")
    await add_member(client, owner, ws, agent, "agent")
    denied = await upload(client, agent, ws, "x.txt", b"hello there", "text/plain")
    assert (
        denied.status_code == 403 and denied.json()["detail"]["error_code"] == "insufficient_role"
    )
    doc = (await upload(client, owner, ws, "care.txt", CARE.encode(), "text/plain")).json()
    await _ingest(app, doc, ws)
    assert (
        await client.delete(f"/api/kb/documents/{doc['id']}", headers=agent.headers(ws))
    ).status_code == 403
    assert (
        await client.get("/api/kb/search", params={"q": "wash linen"}, headers=agent.headers(ws))
    ).status_code == 200
    assert (
        await client.delete(f"/api/kb/documents/{doc['id']}", headers=owner.headers(ws))
    ).status_code == 204
    assert (
        await client.get(f"/api/kb/documents/{doc['id']}", headers=owner.headers(ws))
    ).status_code == 404


async def test_faq_crud_and_csv_import(client, shop) -> None:
    owner, ws = shop
    created = await client.post(
        "/api/kb/faq",
        headers=owner.headers(ws),
        json={"question": "Do you have a shop in Lisbon?", "answer": "Yes, Rua Augusta 10."},
    )
    assert created.status_code == 201
    faq_id = created.json()["id"]
    updated = await client.put(
        f"/api/kb/faq/{faq_id}",
        headers=owner.headers(ws),
        json={
            "question": "Do you have a store in Lisbon?",
            "answer": "Yes, at Rua Augusta 10, open daily.",
        },
    )
    assert updated.json()["answer"].endswith("open daily.")
    csv_ok = "question,answer\nCan I pay with PayPal?,Yes we accept PayPal.\nDo you sell gift cards?,Yes from 20 euros.\n"
    imported = await client.post(
        "/api/kb/faq/import",
        headers=owner.headers(ws),
        files={"file": ("faq.csv", csv_ok, "text/csv")},
    )
    assert imported.status_code == 201 and imported.json() == {"imported": 2}
    csv_bad = "question,answer\nGood question?,Good answer.\n,missing question\n"
    rejected = await client.post(
        "/api/kb/faq/import",
        headers=owner.headers(ws),
        files={"file": ("faq.csv", csv_bad, "text/csv")},
    )
    assert rejected.status_code == 400 and rejected.json()["detail"]["error_code"] == "invalid_csv"
    assert len((await client.get("/api/kb/faq", headers=owner.headers(ws))).json()["items"]) == 3, (
        "nothing of a bad import"
    )
    hits = (
        await client.get(
            "/api/kb/search",
            params={"q": "is there a physical store in Lisbon"},
            headers=owner.headers(ws),
        )
    ).json()["hits"]
    assert hits[0]["kind"] == "faq" and "Rua Augusta" in hits[0]["answer"]
    assert (
        await client.delete(f"/api/kb/faq/{faq_id}", headers=owner.headers(ws))
    ).status_code == 204


async def test_a_workspace_never_retrieves_another_workspaces_knowledge(client, app, shop) -> None:
    owner, ws = shop
    doc = (
        await upload(
            client,
            owner,
            ws,
            "secret.txt",
            b"Our supplier discount code is LINEN-SECRET-42.",
            "text/plain",
        )
    ).json()
    await _ingest(app, doc, ws)
    await client.post(
        "/api/kb/faq",
        headers=owner.headers(ws),
        json={"question": "What is the supplier code?", "answer": "LINEN-SECRET-42"},
    )
    # the owner finds it: what the rival must not see is really there
    own = (
        await client.get(
            "/api/kb/search", params={"q": "supplier discount code"}, headers=owner.headers(ws)
        )
    ).json()["hits"]
    assert any("LINEN-SECRET" in (h["text"] + (h["answer"] or "")) for h in own)
    rival = await register(client, "rival")
    rival_ws = (await create_workspace(client, rival))["id"]
    hits = (
        await client.get(
            "/api/kb/search",
            params={"q": "supplier discount code"},
            headers=rival.headers(rival_ws),
        )
    ).json()["hits"]
    assert all("LINEN-SECRET" not in (h["text"] + (h["answer"] or "")) for h in hits)
    assert (
        await client.get(f"/api/kb/documents/{doc['id']}", headers=rival.headers(rival_ws))
    ).status_code == 404
    # and through the SQL function directly, naming the other workspace
    from app.db.session import Claims, tenant_session
    from app.kb import repo

    vector = await app.state.embedders.get().embed_query("supplier discount code")

    async def search_as(user_id: str) -> list[Any]:
        async with tenant_session(app.state.pool, Claims.for_user(user_id)) as conn:
            return await repo.hybrid_search(
                conn,
                workspace_id=ws,
                query="supplier discount code",
                embedding=vector,
                model=app.state.embedders.get().model_id,
                dimensions=256,
                limit=10,
            )

    assert await search_as(owner.user_id), "the owner's own search finds the chunks"
    assert await search_as(rival.user_id) == []
