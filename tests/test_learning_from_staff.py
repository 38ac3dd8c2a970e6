"""The bot learns from staff: a reply marked wrong puts the FAQ entry it came from under review
(the bot trusts it less until someone edits it) and analytics count the verdicts; an
escalation staff answered is offered as a new FAQ entry, editable, added in one step or
dismissed, and offered once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from psycopg.types.json import Jsonb

from tests.support.conversations import conversation as new_conversation
from tests.support.factories import add_member, create_workspace, register


async def _faq(client: Any, owner: Any, ws: str, question: str, answer: str) -> dict[str, Any]:
    created = await client.post(
        "/api/kb/faq", headers=owner.headers(ws), json={"question": question, "answer": answer}
    )
    assert created.status_code == 201, created.text
    return dict(created.json())


async def test_a_wrong_reply_puts_its_faq_under_review_until_edited(client, shop, admin) -> None:
    owner, ws = shop
    entry = await _faq(client, owner, ws, "What are your opening hours?", "Mon-Sat 9 to 18.")

    async def confidence() -> float:
        answer = await client.post(
            "/api/agent/preview",
            headers=owner.headers(ws),
            json={"text": "when are you open?", "channel": "instagram_dm"},
        )
        return float(answer.json()["confidence"] or 0)

    trusted = await confidence()
    decision = admin.execute(
        "insert into ai_decisions (workspace_id, conversation_id, decision, reply_text, sources)"
        " values (%s, %s, 'respond', 'Mon-Sat 9 to 18.', %s) returning id",
        (ws, new_conversation(admin, ws), Jsonb([{"kind": "faq", "id": entry["id"]}])),
    ).fetchone()["id"]
    agent = await register(client, "feedback-agent")
    await add_member(client, owner, ws, agent, "agent")
    wrong = await client.post(
        f"/api/decisions/{decision}/feedback",
        json={"verdict": "wrong", "note": "we open at 10 now"},
        headers=agent.headers(ws),
    )
    assert wrong.status_code == 200, wrong.text
    assert wrong.json()["faq_under_review"] == [entry["id"]]
    listed = (await client.get("/api/kb/faq", headers=owner.headers(ws))).json()["items"]
    assert listed[0]["needs_review_since"] is not None
    assert await confidence() < trusted, "trusted less while under review"

    overview = (await client.get("/api/analytics/overview", headers=owner.headers(ws))).json()
    assert overview["answer_quality"] == {"good": 0, "wrong": 1, "good_rate": 0.0}
    again = await client.post(
        f"/api/decisions/{decision}/feedback", json={"verdict": "good"}, headers=agent.headers(ws)
    )
    assert again.status_code == 200 and again.json()["faq_under_review"] == []
    overview = (await client.get("/api/analytics/overview", headers=owner.headers(ws))).json()
    assert overview["answer_quality"]["good"] == 1 and overview["answer_quality"]["wrong"] == 0

    fixed = await client.put(
        f"/api/kb/faq/{entry['id']}",
        json={"question": "What are your opening hours?", "answer": "Mon-Sat 10 to 18."},
        headers=owner.headers(ws),
    )
    assert fixed.status_code == 200 and fixed.json()["needs_review_since"] is None
    assert await confidence() >= trusted - 0.05, "trusted again once edited"

    stranger = await register(client, "feedback-stranger")
    await create_workspace(client, stranger)
    foreign = await client.post(
        f"/api/decisions/{decision}/feedback", json={"verdict": "wrong"}, headers=stranger.headers()
    )
    assert foreign.status_code == 404
    assert foreign.json()["detail"]["error_code"] == "decision_not_found"


async def test_staff_answers_are_offered_as_faq_entries_once(client, shop, admin) -> None:
    owner, ws = shop
    now = datetime.now(UTC)
    offers = []
    for question, answer in (
        ("Do you deliver on Sundays?", "Yes, on Sundays from 10 to 14."),
        ("Can I pay in bitcoin?", "No, sorry: cards and cash only."),
    ):
        conversation = new_conversation(admin, ws)
        admin.execute(
            "insert into messages (workspace_id, conversation_id, direction, sender, text, sent_at)"
            " values (%s, %s, 'inbound', 'contact', %s, %s)",
            (ws, conversation, question, now - timedelta(minutes=5)),
        )
        escalation = admin.execute(
            "insert into escalations (workspace_id, conversation_id, reason, status, created_at)"
            " values (%s, %s, 'not in the knowledge base', 'resolved', %s) returning id",
            (ws, conversation, now - timedelta(minutes=4)),
        ).fetchone()["id"]
        admin.execute(
            "insert into messages (workspace_id, conversation_id, direction, sender, text, sent_at)"
            " values (%s, %s, 'outbound', 'human', %s, %s)",
            (ws, conversation, answer, now - timedelta(minutes=3)),
        )
        offers.append(str(escalation))
    # an escalation nobody answered is not offered
    unanswered = new_conversation(admin, ws)
    admin.execute(
        "insert into escalations (workspace_id, conversation_id, reason, status)"
        " values (%s, %s, 'x', 'claimed')",
        (ws, unanswered),
    )

    listed = await client.get("/api/kb/faq/suggestions", headers=owner.headers(ws))
    assert listed.status_code == 200
    shown = {s["escalation_id"]: s for s in listed.json()["items"]}
    assert set(shown) == set(offers)
    assert shown[offers[0]]["question"] == "Do you deliver on Sundays?"
    assert shown[offers[0]]["answer"] == "Yes, on Sundays from 10 to 14."

    added = await client.post(
        f"/api/kb/faq/suggestions/{offers[0]}/accept",
        json={"question": "Do you deliver on Sundays and holidays?"},
        headers=owner.headers(ws),
    )
    assert added.status_code == 201, added.text
    assert added.json()["answer"] == "Yes, on Sundays from 10 to 14."
    faq = (await client.get("/api/kb/faq", headers=owner.headers(ws))).json()["items"]
    assert [f["question"] for f in faq] == ["Do you deliver on Sundays and holidays?"]
    twice = await client.post(
        f"/api/kb/faq/suggestions/{offers[0]}/accept", json={}, headers=owner.headers(ws)
    )
    assert (
        twice.status_code == 404 and twice.json()["detail"]["error_code"] == "suggestion_not_found"
    )
    dismissed = await client.post(
        f"/api/kb/faq/suggestions/{offers[1]}/dismiss", headers=owner.headers(ws)
    )
    assert dismissed.status_code == 204
    assert (await client.get("/api/kb/faq/suggestions", headers=owner.headers(ws))).json()[
        "items"
    ] == []

    agent = await register(client, "suggest-agent")
    await add_member(client, owner, ws, agent, "agent")
    assert (
        await client.get("/api/kb/faq/suggestions", headers=agent.headers(ws))
    ).status_code == 403
    stranger = await register(client, "suggest-stranger")
    await create_workspace(client, stranger)
    theirs = await client.post(
        f"/api/kb/faq/suggestions/{offers[1]}/accept", json={}, headers=stranger.headers()
    )
    assert theirs.status_code == 404
