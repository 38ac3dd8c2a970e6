"""A worker killed with SIGKILL in the middle of sending: after a restart the message is settled
and the customer has exactly one reply."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid

import httpx

from app.security.crypto import encrypt_secret
from tests.support.factories import create_workspace, register

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _start_worker() -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "CELERY_VISIBILITY_TIMEOUT_S": "3",
        "GRAPH_TIMEOUT_S": "30",
        "SEND_STALE_AFTER_S": "4",
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "workers.celery_app",
            "worker",
            "--pool",
            "prefork",
            "--concurrency",
            "1",
            "-Q",
            "high,default,low",
            "--loglevel",
            "WARNING",
        ],
        env=env,
        cwd=ROOT,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait(check, timeout: float, state=lambda: None):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"condition not met in time; state: {state()}")


async def test_sigkill_mid_send_then_restart_replies_once(
    client, sandbox, admin, redis_client
) -> None:
    # earlier test modules leave enqueued events without a worker: start from an empty broker
    redis_client.delete("high", "default", "low", "unacked", "unacked_index")
    owner = await register(client, "crash")
    ws = (await create_workspace(client, owner))["id"]
    await client.post(
        "/api/kb/faq",
        headers=owner.headers(ws),
        json={"question": "What are your opening hours?", "answer": "We are open 9 to 6."},
    )
    ig = str(uuid.uuid4().int)[:17]
    admin.execute(
        "insert into social_accounts (workspace_id, platform, external_id, access_token_encrypted) values (%s, 'instagram', %s, %s)",
        (ws, ig, encrypt_secret("sandbox-token")),
    )
    httpx.post(
        f"{sandbox.url}/_sandbox/faults",
        json={"endpoint": "send_message", "kind": "latency", "latency_ms": 6000, "count": 1},
    )

    def state() -> object:
        return {
            "outbound": admin.execute(
                "select status, last_error from outbound_messages where workspace_id = %s", (ws,)
            ).fetchall(),
            "events": admin.execute(
                "select kind, status, attempts from webhook_events where workspace_id = %s", (ws,)
            ).fetchall(),
            "queues": {q: redis_client.llen(q) for q in ("high", "default", "low")},
            "outbox": [o for o in sandbox.state.outbox if o["account"] == ig],
            "faults": [vars(f) for f in sandbox.state.faults],
        }

    worker = _start_worker()
    try:
        httpx.post(
            f"{sandbox.url}/_sandbox/inbound",
            json={
                "platform": "instagram",
                "account_id": ig,
                "from": "k1",
                "text": "when are you open?",
            },
        )
        _wait(
            lambda: admin.execute(
                "select 1 from outbound_messages where workspace_id = %s and status = 'sending'",
                (ws,),
            ).fetchone(),
            60,
        )
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    restarted = _start_worker()
    try:

        def settled() -> bool:
            row = admin.execute(
                "select status from outbound_messages where workspace_id = %s", (ws,)
            ).fetchone()
            return row is not None and row["status"] == "sent"

        _wait(settled, 90, state)
        time.sleep(3)
    finally:
        os.killpg(restarted.pid, signal.SIGTERM)
        restarted.wait(timeout=30)
    replies = [
        o for o in sandbox.state.outbox if o["account"] == ig and o["endpoint"] == "send_message"
    ]
    assert len(replies) == 1 and replies[0]["text"] == "We are open 9 to 6."
