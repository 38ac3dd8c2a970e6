"""Redis stopped while customers write: Meta still gets 200s, nothing is lost, and every customer
gets exactly one reply once Redis is back (worker and Beat as real processes, reconnecting)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx

from tests.support import processes
from tests.support.factories import instagram_shop
from tests.support.servers import needs_embedded_redis

ANSWER = "Yes, we ship to the EU, the UK and the US."


@needs_embedded_redis
async def test_redis_down_during_webhooks_replies_after_it_returns(
    client, sandbox, servers, admin, redis_client, tmp_path: Path
) -> None:
    redis_client.delete("high", "default", "low", "unacked", "unacked_index")
    _, ws, ig = await instagram_shop(
        client, admin, ("Do you ship internationally?", ANSWER), "outage"
    )
    env = {
        "WEBHOOK_SWEEP_INTERVAL_S": "2",
        "WEBHOOK_SWEEP_PENDING_AFTER_S": "1",
        "REPLY_BURST_WINDOW_S": "0.5",
    }
    customers = [f"c{n}" for n in range(3)]

    def replies() -> list[dict[str, Any]]:
        return [
            o
            for o in sandbox.state.outbox
            if o["account"] == ig and o["endpoint"] == "send_message"
        ]

    def state() -> object:
        return {
            "events": admin.execute(
                "select kind, status from webhook_events where workspace_id = %s", (ws,)
            ).fetchall(),
            "outbound": admin.execute(
                "select status, last_error from outbound_messages where workspace_id = %s", (ws,)
            ).fetchall(),
        }

    log = tmp_path / "celery.log"
    worker = processes.start_worker(env, log)
    beat = processes.start_beat(env, log, tmp_path / "beat-schedule")
    try:
        servers.valkey.stop()
        try:
            for customer in customers:
                response = httpx.post(
                    f"{sandbox.url}/_sandbox/inbound",
                    json={
                        "platform": "instagram",
                        "account_id": ig,
                        "from": customer,
                        "text": "do you ship abroad?",
                    },
                    timeout=30,
                )
                assert response.status_code == 200, response.text
                assert response.json()["delivered"] == [200], (
                    "Meta must see a 200 while our broker is down"
                )
            statuses = {r["status"] for r in state()["events"]}  # type: ignore[index]
            assert statuses == {"pending"}, "stored, waiting for the broker"
            time.sleep(3)
            assert replies() == []
        finally:
            servers.valkey.start()

        processes.wait_for(lambda: len(replies()) >= len(customers), 90, state)
        time.sleep(3)  # room for duplicates, should anything send one
    finally:
        processes.stop(beat)
        processes.stop(worker)
    sent = replies()
    assert sorted(o["recipient"] for o in sent) == customers, sent
    assert all(o["text"] == ANSWER for o in sent)


@needs_embedded_redis
async def test_valkey_killed_under_a_busy_worker_the_worker_reconnects_and_answers(
    client, sandbox, servers, admin, redis_client, tmp_path: Path
) -> None:
    """kombu 5.7.0 stopped the whole worker here ("Unrecoverable error: AttributeError") when the
    broker died while it held unacknowledged tasks: workers/broker.py makes it a reconnect."""
    redis_client.delete("high", "default", "low", "unacked", "unacked_index")
    _, ws, ig = await instagram_shop(
        client, admin, ("Do you ship internationally?", ANSWER), "broker-kill"
    )
    env = {
        "WEBHOOK_SWEEP_INTERVAL_S": "1",
        "WEBHOOK_SWEEP_PENDING_AFTER_S": "1",
        "EVENT_LEASE_S": "3",
        # each reply waits its countdown unacknowledged in the worker: that is when a kill hurt
        "REPLY_BURST_WINDOW_S": "4",
        "REPLY_DRAFT_DELAY_S": "4",
    }
    customers = [f"k{n}" for n in range(3)]

    def replies() -> list[dict[str, Any]]:
        return [
            o
            for o in sandbox.state.outbox
            if o["account"] == ig and o["endpoint"] == "send_message"
        ]

    def events() -> list[dict[str, Any]]:
        return admin.execute(
            "select kind, status from webhook_events where workspace_id = %s", (ws,)
        ).fetchall()

    log = tmp_path / "celery.log"
    worker = processes.start_worker(env, log, pool="threads", concurrency=8)
    beat = processes.start_beat(env, log, tmp_path / "beat-schedule")
    try:
        for customer in customers:
            response = httpx.post(
                f"{sandbox.url}/_sandbox/inbound",
                json={"platform": "instagram", "account_id": ig, "from": customer, "text": "ship?"},
                timeout=30,
            )
            assert response.status_code == 200, response.text
        # every message stored and its reply waiting in the worker, unacknowledged
        processes.wait_for(
            lambda: (
                [r["status"] for r in events()] == ["processing"] * len(customers)
                and redis_client.zcard("unacked_index") >= len(customers)
            ),
            30,
            lambda: (events(), redis_client.zcard("unacked_index")),
        )
        assert replies() == []
        valkey = servers.valkey
        valkey._process.kill()  # type: ignore[attr-defined]
        valkey._process.wait(timeout=10)  # type: ignore[attr-defined]
        processes.wait_for(lambda: "Connection to broker lost" in log.read_text(), 30)
        try:
            valkey.stop()  # type: ignore[attr-defined]
        finally:
            valkey.start()  # type: ignore[attr-defined]

        processes.wait_for(lambda: len(replies()) >= len(customers), 90, events)
        assert worker.poll() is None, log.read_text()[-3000:]
        assert "Unrecoverable error" not in log.read_text()
        # every event finished, so nothing is left for a second reply to come from
        processes.wait_for(
            lambda: {r["status"] for r in events() if r["kind"] == "ig_message"} == {"done"},
            30,
            events,
        )
    finally:
        processes.stop(beat)
        processes.stop(worker)
    sent = replies()
    assert sorted(o["recipient"] for o in sent) == customers, sent
    assert all(o["text"] == ANSWER for o in sent)
