"""What an outsider can send: settings that would stop the bot, NUL characters, hostile JSON in
signed webhooks, documents that cost without limit, forged Host and X-Forwarded-For headers.
Each ends in a 4xx with a stable error_code (or, for a customer's text, is stored without what
Postgres cannot hold), and nothing is half-written."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from fpdf import FPDF

from app.kb import service as kb_service
from app.kb.chunking import chunk_pages
from app.platforms.meta.events import EventKind, NormalizedEvent, Platform
from tests.support.factories import create_workspace, register
from tests.support.kb import SHIPPING, upload
from tests.support.meta import fixture, meta_bytes, personalize, signed_headers
from tests.support.pdfs import text_pdf
from tests.support.webhooks import events_for, secret

NON_NULLABLE = (
    "temperature",
    "persona",
    "tone",
    "confidence_threshold",
    "blocked_words",
    "escalation_keywords",
    "ignore_rules",
    "auto_reply",
    "comment_reply_mode",
    "max_reply_chars",
    "reply_in_customer_language",
)


def _code(response: Any) -> str:
    detail = response.json()["detail"]
    assert {"error_code", "message", "timestamp"} <= set(detail), detail
    return str(detail["error_code"])


# ---------------------------------------------------------------- settings


async def test_null_settings_are_refused_and_the_bot_keeps_its_settings(client, shop) -> None:
    owner, ws = shop
    before = await client.get("/api/agent/settings", headers=owner.headers(ws))
    assert before.status_code == 200
    for field in NON_NULLABLE:
        refused = await client.patch(
            "/api/agent/settings", headers=owner.headers(ws), json={field: None}
        )
        assert refused.status_code == 422, (field, refused.text)
        assert _code(refused) == "validation_error"
    for nested in (
        {"auto_reply": {"whatsapp": None}},
        {"max_reply_chars": {"whatsapp": None}},
        {"ignore_rules": {"emoji_only": None}},
        {"ignore_rules": {"no_such_rule": True}},
        {"no_such_setting": 1},
        {"temperature": "hot"},
    ):
        refused = await client.patch("/api/agent/settings", headers=owner.headers(ws), json=nested)
        assert refused.status_code == 422, (nested, refused.text)
    after = await client.get("/api/agent/settings", headers=owner.headers(ws))
    assert after.status_code == 200
    keep = {k: v for k, v in after.json().items() if k != "embedding"}
    assert keep == {k: v for k, v in before.json().items() if k != "embedding"}
    assert keep["unreadable_fields"] == []

    cleared = await client.patch(
        "/api/agent/settings",
        headers=owner.headers(ws),
        json={"chat_model": None, "business_hours": None, "away_message": None},
    )
    assert cleared.status_code == 200, "fields that may be cleared accept null"
    merged = await client.patch(
        "/api/agent/settings",
        headers=owner.headers(ws),
        json={"ignore_rules": {"emoji_only": False}, "auto_reply": {"whatsapp": False}},
    )
    # merged key by key; the rules never stored read as their defaults (what the bot does)
    assert merged.json()["ignore_rules"] == {
        "emoji_only": False,
        "tags_only": True,
        "spam": True,
        "praise": False,
    }
    assert merged.json()["auto_reply"] == {
        "instagram_dm": True,
        "instagram_comment": True,
        "whatsapp": False,
    }


async def test_a_stored_setting_the_bot_cannot_read_is_reported_and_repairable(
    client, shop, admin
) -> None:
    owner, ws = shop
    assert (
        await client.patch("/api/agent/settings", headers=owner.headers(ws), json={"tone": "warm"})
    ).status_code == 200
    # as an older version or a hand-made SQL update could have left it
    admin.execute(
        "update ai_settings set auto_reply = '{\"whatsapp\": \"yes\"}', blocked_words = '{}'"
        " where workspace_id = %s",
        (ws,),
    )
    read = await client.get("/api/agent/settings", headers=owner.headers(ws))
    assert read.status_code == 200
    assert read.json()["unreadable_fields"] == ["auto_reply"]
    assert read.json()["auto_reply"]["whatsapp"] is True, "the default stands in"
    repaired = await client.patch(
        "/api/agent/settings",
        headers=owner.headers(ws),
        json={"auto_reply": {"instagram_dm": True, "instagram_comment": True, "whatsapp": True}},
    )
    assert repaired.status_code == 200 and repaired.json()["unreadable_fields"] == []


async def test_a_map_that_is_not_an_object_cannot_be_stored(shop, admin) -> None:
    _, ws = shop
    admin.execute(
        "insert into ai_settings (workspace_id) values (%s) on conflict do nothing", (ws,)
    )
    import psycopg

    with pytest.raises(psycopg.errors.CheckViolation):
        admin.execute("update ai_settings set auto_reply = 'null' where workspace_id = %s", (ws,))


# ---------------------------------------------------------------- NUL characters


async def test_nul_characters_from_staff_are_refused_and_nothing_is_written(
    client, shop, admin
) -> None:
    owner, ws = shop
    headers = owner.headers(ws)
    faq_before = admin.execute(
        "select count(*) as n from faq where workspace_id = %s", (ws,)
    ).fetchone()["n"]
    attempts = [
        client.get("/api/kb/search", params={"q": "open\x00ing"}, headers=headers),
        client.post("/api/kb/faq", json={"question": "a\x00b?", "answer": "c"}, headers=headers),
        client.post("/api/workspaces", json={"name": "Shop\x00"}, headers=owner.headers()),
        client.patch("/api/agent/settings", json={"persona": "p\x00"}, headers=headers),
        client.post(
            "/api/agent/preview", json={"text": "hi\x00", "channel": "whatsapp"}, headers=headers
        ),
        client.get("/api/workspaces/%00", headers=owner.headers()),
        client.post(
            "/api/kb/faq/import",
            files={"file": ("faq.csv", "question,answer\nq\x00,a\n", "text/csv")},
            headers=headers,
        ),
        upload(client, owner, ws, "menu\x00.txt", b"Opening hours: 9 to 5.", "text/plain"),
    ]
    for response in await asyncio.gather(*attempts):
        assert response.status_code == 422, response.text
        assert _code(response) == "unstorable_characters"
    assert (
        admin.execute("select count(*) as n from faq where workspace_id = %s", (ws,)).fetchone()[
            "n"
        ]
        == faq_before
    )
    assert (
        admin.execute(
            "select count(*) as n from kb_documents where workspace_id = %s", (ws,)
        ).fetchone()["n"]
        == 0
    )
    assert (
        admin.execute(
            "select count(*) as n from workspaces w join workspace_members m on m.workspace_id = w.id"
            " where m.user_id = %s",
            (owner.user_id,),
        ).fetchone()["n"]
        == 1
    )
    # an unpaired surrogate (RFC 8259 leaves it to the receiver) becomes U+FFFD, as most JSON
    # decoders make it
    lone = await client.patch(
        "/api/agent/settings",
        content=b'{"tone": "lone \\ud800 surrogate"}',
        headers={**headers, "content-type": "application/json"},
    )
    assert lone.status_code == 200 and lone.json()["tone"] == "lone \ufffd surrogate"
    # an escaped backslash before "u0000" is ordinary text, not a NUL
    literal = await client.post(
        "/api/kb/faq",
        content=b'{"question": "What does \\\\u0000 mean?", "answer": "A NUL escape."}',
        headers={**headers, "content-type": "application/json"},
    )
    assert literal.status_code == 201, literal.text


async def test_a_customers_nul_characters_are_dropped_and_the_message_kept(
    client, settings, account, admin
) -> None:
    payload = personalize(fixture("ig_dm_text"), account["ig"], account["suffix"])
    payload["entry"][0]["messaging"][0]["message"]["text"] = "hello\x00 there \ud83d"
    body = meta_bytes(payload)
    assert b"\\u0000" in body
    for _ in range(2):  # Meta redelivers what failed; a redelivery is recognised
        response = await client.post(
            "/webhooks/instagram", content=body, headers=signed_headers(body, secret(settings))
        )
        assert response.status_code == 200, response.text
    [event] = events_for(admin, account["ig"])
    assert event["payload"]["text"] == "hello there \ufffd"


# ---------------------------------------------------------------- hostile JSON


HOSTILE_BODIES = {
    "deep nesting": b'{"object": "instagram", "entry": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    "nested under the recursion limit": b'{"object": "instagram", "entry": [{"id": "1", "x": '
    + b'{"a": ' * 500
    + b"1"
    + b"}" * 500
    + b"}]}",
    "huge integer": b'{"object": "instagram", "entry": [{"id": ' + b"9" * 5000 + b"}]}",
    "float overflow": b'{"object": "instagram", "entry": [{"id": "1", "time": 1e999}]}',
    "NaN": b'{"object": "instagram", "entry": [{"id": "1", "time": NaN}]}',
    "Infinity": b'{"object": "instagram", "entry": [{"id": "1", "time": -Infinity}]}',
}


async def test_hostile_json_in_signed_webhooks_is_a_400_and_never_hurts_its_neighbours(
    client, settings, account, admin
) -> None:
    good = [
        meta_bytes(personalize(fixture("ig_dm_text"), account["ig"], f"{account['suffix']}{n}"))
        for n in range(6)
    ]
    bodies = [*HOSTILE_BODIES.values(), *good]

    async def send(body: bytes) -> Any:
        return await client.post(
            "/webhooks/instagram", content=body, headers=signed_headers(body, secret(settings))
        )

    # all at once, so the good ones share group commits with the hostile ones
    responses = await asyncio.gather(*(send(b) for b in bodies))
    for name, response in zip(HOSTILE_BODIES, responses, strict=False):
        assert response.status_code == 400, (name, response.text)
        assert _code(response) == "malformed_json"
    for response in responses[len(HOSTILE_BODIES) :]:
        assert response.status_code == 200, response.text
    assert len(events_for(admin, account["ig"])) == len(good)


async def test_a_submission_that_fails_in_a_shared_commit_fails_alone(app, account, admin) -> None:
    """The group commit's isolation, shown with an event only a bug could let through: its
    text holds a NUL, which Postgres refuses for the whole INSERT it shares."""
    batcher = app.state.ingest

    def event(key: str, text: str) -> NormalizedEvent:
        return NormalizedEvent(
            platform=Platform.INSTAGRAM,
            kind=EventKind.IG_MESSAGE,
            account_external_id=account["ig"],
            dedupe_key=f"ig:msg:{key}",
            occurred_at=None,
            sender_id="c1",
            platform_id=key,
            text=text,
            data={},
            raw={"text": text},
        )

    keys = [f"iso-{account['suffix']}-{n}" for n in range(5)]
    results = await asyncio.gather(
        *(
            batcher.submit("instagram", [event(k, "bad\x00" if n == 2 else "fine")])
            for n, k in enumerate(keys)
        ),
        return_exceptions=True,
    )
    assert isinstance(results[2], Exception)
    assert all(isinstance(r, list) and len(r) == 1 for n, r in enumerate(results) if n != 2)
    stored = {e["dedupe_key"] for e in events_for(admin, account["ig"])}
    assert stored == {f"ig:msg:{k}" for n, k in enumerate(keys) if n != 2}


# ---------------------------------------------------------------- documents


async def _ingest(app: Any, settings: Any, doc: dict[str, Any], ws: str) -> str:
    state = app.state
    return await kb_service.ingest_document(
        state.pool, state.embedders, settings, document_id=doc["id"], workspace_id=ws
    )


def _heavy_page_pdf(draw_calls: int) -> bytes:
    """One page of a few kilobytes compressed whose drawing instructions inflate many times."""
    pdf = FPDF()
    pdf.set_font("helvetica", size=4)
    pdf.add_page()
    for n in range(draw_calls):
        pdf.text(10 + n % 150, 10 + (n // 150) % 250, "x")
    return bytes(pdf.output())


@pytest.mark.parametrize(
    ("limits", "make", "reason"),
    [
        ({"kb_max_pages": 5}, lambda: text_pdf([f"page {n}" for n in range(12)]), "12 pages"),
        (
            {"kb_max_document_chars": 2000},
            lambda: text_pdf([SHIPPING * 8, SHIPPING * 8]),
            "over 2000 characters",
        ),
        (
            {"kb_max_chunks": 3, "kb_chunk_chars": 200, "kb_chunk_overlap_chars": 0},
            lambda: text_pdf([SHIPPING * 6]),
            "up to 3 are accepted",
        ),
        ({"kb_max_page_content_bytes": 100_000}, lambda: _heavy_page_pdf(8000), "no text"),
        ({"kb_ingest_timeout_s": 0.0}, lambda: text_pdf(["one", "two"]), "took longer"),
    ],
)
async def test_documents_over_a_limit_fail_with_the_reason(
    client, app, shop, settings, admin, limits, make, reason
) -> None:
    owner, ws = shop
    response = await upload(client, owner, ws, "big.pdf", make(), "application/pdf")
    assert response.status_code == 202, response.text
    doc = response.json()
    assert await _ingest(app, settings.model_copy(update=limits), doc, ws) == "failed"
    stored = (await client.get(f"/api/kb/documents/{doc['id']}", headers=owner.headers(ws))).json()
    assert stored["status"] == "failed" and reason in stored["error"], stored
    assert (
        admin.execute(
            "select count(*) as n from kb_chunks where document_id = %s", (doc["id"],)
        ).fetchone()["n"]
        == 0
    )


def test_chunks_are_bounded_even_without_spaces() -> None:
    text = "Price list. " + "x" * 25_000 + " end. " + ("word " * 3000)
    chunks = chunk_pages([text], size=1000, overlap=200)
    assert chunks and max(len(c.content) for c in chunks) <= 1000
    assert sum(c.content.count("x") for c in chunks) >= 25_000, "nothing of the text is lost"


async def test_search_lists_faq_answers_and_passages_on_one_scale(client, app, shop) -> None:
    owner, ws = shop
    headers = owner.headers(ws)
    await client.post(
        "/api/kb/faq",
        json={"question": "Do you deliver to Spain?", "answer": "Yes, in three to five days."},
        headers=headers,
    )
    await client.post(
        "/api/kb/faq",
        json={"question": "Can I pay with Apple Pay?", "answer": "Yes, and with any card."},
        headers=headers,
    )
    doc = (
        await upload(client, owner, ws, "shipping.pdf", text_pdf([SHIPPING]), "application/pdf")
    ).json()
    assert await _ingest(app, app.state.settings, doc, ws) == "ready"
    hits = (
        await client.get("/api/kb/search", params={"q": "delivery to Spain"}, headers=headers)
    ).json()["hits"]
    assert {h["kind"] for h in hits} == {"faq", "chunk"}
    scores = [h["score"] for h in hits]
    assert scores == sorted(scores, reverse=True), hits
    assert all(-1 <= s <= 1 for s in scores)


# ---------------------------------------------------------------- headers


async def test_no_redirect_points_at_a_host_we_do_not_serve(client) -> None:
    user = await register(client)
    ws = (await create_workspace(client, user))["id"]
    evil = await client.get(
        "/api/kb/documents/", headers={**user.headers(ws), "host": "evil.example"}
    )
    assert evil.status_code == 400 and _code(evil) == "invalid_host"
    ours = await client.get(
        "/api/kb/documents/", headers={**user.headers(ws), "host": "localhost:8000"}
    )
    assert ours.status_code in (307, 308)
    assert ours.headers["location"].startswith("http://localhost:8000/api/kb/documents")


async def test_405_says_which_methods_are_allowed(client) -> None:
    response = await client.put("/api/auth/login", json={})
    assert response.status_code == 405 and _code(response) == "method_not_allowed"
    assert "POST" in response.headers["allow"]


def test_production_refuses_every_development_secret() -> None:
    from pydantic import ValidationError

    from app.config import Settings

    real = {
        "jwt_secret": "x" * 48,
        "meta_app_secret": "real-app-secret",
        "token_encryption_key": "k" * 44,
        "seed_demo": False,
    }
    assert Settings(environment="production", meta_verify_token="a-real-token", **real)
    with pytest.raises(ValidationError, match="META_VERIFY_TOKEN"):
        Settings(environment="production", **real)
    with pytest.raises(ValidationError, match="DEMO_PASSWORD"):
        Settings(environment="production", meta_verify_token="t", **{**real, "seed_demo": True})
