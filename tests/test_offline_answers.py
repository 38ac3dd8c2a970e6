"""The offline responder as a shop owner tries it through `POST /api/agent/preview`, with no model
key: paraphrases of the FAQ, the line of a price list that holds the asked price (never the raw
chunk), small talk in the persona's tone and the customer's language, complaints and safety
questions to a person, comment spam hidden and praise thanked (each as the workspace chooses),
and questions in another language than the knowledge base's to staff with the draft."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.kb import upload
from tests.support.pdfs import text_pdf

PRICE_LIST = (
    "Bella's Bakery - Menu & Price List 2026\n"
    "Family bakery since 1998.\n\n"
    "Pastries\nButter croissant $3.50\nChocolate croissant $3.90\nCinnamon roll $4.20\n\n"
    "Breads\nSourdough loaf $6.50\nBaguette $2.90\n\n"
    "Our sourdough is fermented for 36 hours.\n"
)
FAQ = (
    ("What are your opening hours?", "We're open Tuesday to Sunday, 7:00 to 19:00."),
    ("Do you deliver?", "Yes, we deliver within 5 km; delivery costs $4."),
    ("Which payment methods do you accept?", "Cash, all major cards and Apple Pay."),
    ("Where are you located?", "We're at 12 Baker Street, next to the market."),
    ("Do you sell gift cards?", "Yes, gift cards from $10 are available in the shop."),
)


@pytest.fixture
async def bakery(client, app, shop) -> tuple[Any, str]:  # type: ignore[no-untyped-def]
    from app.kb import service as kb_service

    owner, ws = shop
    for question, answer in FAQ:
        created = await client.post(
            "/api/kb/faq", headers=owner.headers(ws), json={"question": question, "answer": answer}
        )
        assert created.status_code == 201
    doc = (
        await upload(client, owner, ws, "prices.pdf", text_pdf([PRICE_LIST]), "application/pdf")
    ).json()
    await kb_service.ingest_document(
        app.state.pool,
        app.state.embedders,
        app.state.settings,
        document_id=doc["id"],
        workspace_id=ws,
    )
    return owner, ws


async def _preview(
    client: Any, owner: Any, ws: str, text: str, channel: str = "instagram_dm"
) -> Any:
    response = await client.post(
        "/api/agent/preview", headers=owner.headers(ws), json={"text": text, "channel": channel}
    )
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize(
    ("text", "fact"),
    [
        ("hey! when do you guys open?", "7:00"),
        ("what's your address?", "12 Baker Street"),
        ("where are you?", "12 Baker Street"),
        ("do you take cards?", "cards"),
        ("how much is delivery?", "$4"),
        ("do you sell gift vouchers?", "gift cards"),
    ],
)
async def test_paraphrases_get_the_faq_answer(client, bakery, text, fact) -> None:
    answer = await _preview(client, *bakery, text)
    assert answer["decision"] == "respond", answer["reasons"]
    assert fact in answer["reply"] and answer["citations"][0]["kind"] == "faq"


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("how much is a butter croissant?", "Butter croissant $3.50"),
        ("baguette price?", "Baguette $2.90"),
        ("how long is the sourdough fermented?", "36 hours"),
    ],
)
async def test_a_price_list_answers_with_its_line(client, bakery, text, line) -> None:
    answer = await _preview(client, *bakery, text)
    assert answer["decision"] == "respond", answer["reasons"]
    assert line in answer["reply"], answer["reply"]
    assert "Menu & Price List" not in answer["reply"] and len(answer["reply"]) < 80, "not the chunk"
    assert answer["citations"][0]["title"] == "prices.pdf"


async def test_small_talk_in_the_customers_language_and_the_workspaces_tone(client, bakery) -> None:
    owner, ws = bakery
    greeting = await _preview(client, owner, ws, "hi")
    assert greeting["decision"] == "respond" and "Linen & Co" in greeting["reply"]
    assert (await _preview(client, owner, ws, "thanks a lot!"))["decision"] == "respond"
    bot = await _preview(client, owner, ws, "are you a bot?")
    assert bot["decision"] == "respond" and "assistant" in bot["reply"]
    spanish = await _preview(client, owner, ws, "¡Hola!")
    assert spanish["reply"].startswith("¡Hola!")
    formal = await client.patch(
        "/api/agent/settings", headers=owner.headers(ws), json={"tone": "formal and polite"}
    )
    assert formal.status_code == 200
    assert "👋" not in (await _preview(client, owner, ws, "hello"))["reply"]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("the croissant I bought yesterday was stale, really disappointed", "unhappy"),
        ("I have a nut allergy, is the cinnamon roll safe for me?", "safety question"),
        ("do you sell wedding dresses?", "no confident answer"),
        ("where is my order? I ordered an hour ago", "no confident answer"),
    ],
)
async def test_what_a_person_should_answer_is_escalated(client, bakery, text, reason) -> None:
    answer = await _preview(client, *bakery, text)
    assert answer["decision"] == "escalate" and answer["reply"] is None
    assert reason in " ".join(answer["reasons"])


async def test_another_language_goes_to_staff_with_the_draft(client, bakery) -> None:
    answer = await _preview(client, *bakery, "¿A qué hora abren el sábado?")
    assert answer["decision"] == "escalate" and answer["reply"] is None
    assert "7:00" in (answer["draft"] or ""), answer["reasons"]
    assert "does not translate" in answer["reasons"][-1]


async def test_comment_spam_hidden_and_praise_thanked_as_the_workspace_chooses(
    client, bakery
) -> None:
    owner, ws = bakery
    spam = await _preview(
        client, owner, ws, "FREE FOLLOWERS!!! visit bit.ly/xyz", "instagram_comment"
    )
    assert spam["decision"] == "hide" and "spam" in " ".join(spam["reasons"])
    praise = await _preview(client, owner, ws, "love this! 😍", "instagram_comment")
    assert praise["decision"] == "respond" and praise["reply"]
    changed = await client.patch(
        "/api/agent/settings",
        headers=owner.headers(ws),
        json={"ignore_rules": {"spam": False, "praise": True}},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["ignore_rules"]["spam"] is False
    kept = await _preview(
        client, owner, ws, "FREE FOLLOWERS!!! visit bit.ly/xyz", "instagram_comment"
    )
    assert kept["decision"] != "hide"
    quiet = await _preview(client, owner, ws, "love this! 😍", "instagram_comment")
    assert quiet["decision"] == "ignore"
