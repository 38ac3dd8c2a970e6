"""Email alerts as staff get them through the business's SMTP server: only members who asked,
a new escalation once each, a customer left waiting in a held chat once per message, nothing
for other workspaces, and a mail server that is down delays the alert instead of losing it."""

from __future__ import annotations

from email.header import decode_header, make_header
from typing import Any

from app.alerts.service import send_due_alerts
from app.mail.sender import Mailer
from tests.support.conversations import conversation
from tests.support.factories import add_member, create_workspace, register
from tests.support.mail import inbox  # noqa: F401 - the SMTP server fixture


def _subject(mail: Any) -> str:
    return " ".join(str(make_header(decode_header(mail["Subject"]))).split())


def _body(mail: Any) -> str:
    return str(mail.get_payload(decode=True).decode())


def _conversation(
    admin: Any, ws: str, *, owner: str, waited_min: float, assigned: str | None
) -> str:
    return conversation(
        admin,
        ws,
        owner=owner,
        assigned=assigned,
        waited_min=waited_min,
        username="ana_p",
        name="Ana Pérez",
    )


async def test_members_who_asked_get_each_alert_once(app, client, settings, admin, inbox) -> None:  # noqa: F811
    handler, port = inbox
    smtp = settings.model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_security": "none"}
    )
    mailer = Mailer(smtp)
    owner = await register(client, "alerted-owner")
    ws = (await create_workspace(client, owner, "Alert Bakery"))["id"]
    agent = await register(client, "alerted-agent")
    quiet = await register(client, "quiet-agent")
    await add_member(client, owner, ws, agent, "agent")
    await add_member(client, owner, ws, quiet, "agent")

    default = await client.get("/api/alert-settings", headers=agent.headers(ws))
    assert default.status_code == 200
    assert (default.json()["new_escalations"], default.json()["waiting"]) == (False, False)
    chosen = await client.put(
        "/api/alert-settings",
        json={"new_escalations": True, "waiting": True},
        headers=agent.headers(ws),
    )
    assert (
        chosen.status_code == 200 and chosen.json()["waiting_minutes"] == smtp.alert_waiting_minutes
    )
    assert (await client.get("/api/alert-settings", headers=quiet.headers(ws))).json()[
        "new_escalations"
    ] is False, "one member's choice is theirs alone"

    escalated = _conversation(admin, ws, owner="human", waited_min=1, assigned=None)
    admin.execute(
        "insert into escalations (workspace_id, conversation_id, reason) values (%s, %s, %s)",
        (ws, escalated, "asked for a refund"),
    )
    waiting = _conversation(
        admin, ws, owner="human", waited_min=smtp.alert_waiting_minutes + 5, assigned=agent.user_id
    )
    someone_elses = _conversation(
        admin, ws, owner="human", waited_min=smtp.alert_waiting_minutes + 5, assigned=owner.user_id
    )

    # the mail server is down: nothing is lost, the next run sends
    down = Mailer(smtp.model_copy(update={"smtp_port": 1}))
    failed = await send_due_alerts(app.state.pool, mailer=down, settings=smtp)
    assert failed["failed"] >= 2 and failed["sent"] == 0 and handler.to(agent.email) == []
    # the job runs over every workspace; what counts here is what this shop's people received
    assert handler.to(agent.email) == []
    await send_due_alerts(app.state.pool, mailer=mailer, settings=smtp)
    mails = handler.to(agent.email)
    assert len(mails) == 2, [_subject(m) for m in mails]
    subjects = sorted(_subject(m) for m in mails)
    assert any("needs a person" in s and "Ana Pérez" in s for s in subjects), subjects
    assert any("has waited" in s for s in subjects), subjects
    escalation_mail = next(m for m in mails if "needs a person" in _subject(m))
    assert "asked for a refund" in _body(escalation_mail)
    assert all(someone_elses not in _body(m) for m in mails), "not the owner's chat"
    assert handler.to(quiet.email) == [] and handler.to(owner.email) == []

    await send_due_alerts(app.state.pool, mailer=mailer, settings=smtp)
    assert len(handler.to(agent.email)) == 2, "each alert once"
    # the customer writes again and is kept waiting again: a new alert
    admin.execute(
        "update conversations set last_inbound_at = now() - make_interval(mins => %s) where id = %s",
        (smtp.alert_waiting_minutes + 1, waiting),
    )
    await send_due_alerts(app.state.pool, mailer=mailer, settings=smtp)
    assert len(handler.to(agent.email)) == 3
    # without SMTP the job does nothing at all
    assert (await send_due_alerts(app.state.pool, mailer=Mailer(settings), settings=settings))[
        "sent"
    ] == 0

    stranger = await register(client, "alert-stranger")
    theirs = (await create_workspace(client, stranger))["id"]
    await client.put(
        "/api/alert-settings",
        json={"new_escalations": True, "waiting": True},
        headers=stranger.headers(theirs),
    )
    other = _conversation(admin, ws, owner="human", waited_min=1, assigned=None)
    admin.execute(
        "insert into escalations (workspace_id, conversation_id, reason) values (%s, %s, 'x')",
        (ws, other),
    )
    await send_due_alerts(app.state.pool, mailer=mailer, settings=smtp)
    assert handler.to(stranger.email) == [], "another workspace's escalations are not theirs"
    forged = await client.put(
        "/api/alert-settings",
        json={"new_escalations": True, "waiting": True},
        headers=stranger.headers(ws),
    )
    assert forged.status_code == 404
