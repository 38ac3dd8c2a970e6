"""A worker killed with SIGKILL in the middle of a reply: after a restart the customer's message is
answered, exactly once. Nothing acknowledges the killed task; what brings the work back is the
database (the event stays `processing` until its reply has been acted on, and Beat's sweeper
re-enqueues it), with Celery's own redelivery left at its production setting."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import processes
from tests.support.conversation import submit_reply
from tests.support.factories import instagram_shop

ANSWER = "We are open 9 to 6, Monday to Saturday."


@pytest.mark.parametrize("moment", ["drafting", "sending"])
async def test_sigkill_mid_reply_then_restart_replies_once(
    moment, client, sandbox, admin, redis_client, fake_ai, fake_ai_state, tmp_path: Path
) -> None:
    # earlier modules leave tasks in the broker with no worker: start from an empty one
    redis_client.delete("high", "default", "low", "unacked", "unacked_index")
    _, ws, ig = await instagram_shop(
        client, admin, ("What are your opening hours?", ANSWER), "crash"
    )
    env = {
        "CHAT_MODEL": "gpt-4o-mini",
        "OPENAI_API_KEY": "sk-test",
        "OPENAI_BASE_URL": f"{fake_ai.url}/v1",
        "GRAPH_TIMEOUT_S": "5",
        "SEND_LEASE_S": "6",
        "OUTBOUND_REQUEUE_INTERVAL_S": "1",
        "WEBHOOK_SWEEP_INTERVAL_S": "2",
        "WEBHOOK_SWEEP_STALE_AFTER_S": "10",
    }
    # however many times the model is asked (the killed run, replays), it drafts the answer
    fake_ai_state.chat_default = submit_reply(ANSWER)
    if moment == "drafting":
        fake_ai_state.chat_delays.append(60)
    else:
        # Meta takes 2.5 s over the send the worker dies in: finished long before the send's
        # lease, which the dead worker no longer renews, runs out (SEND_LEASE_S)
        httpx.post(
            f"{sandbox.url}/_sandbox/faults",
            json={"endpoint": "send_message", "kind": "latency", "latency_ms": 2500, "count": 1},
        )

    def replies() -> list[dict[str, Any]]:
        return [
            o
            for o in sandbox.state.outbox
            if o["account"] == ig and o["endpoint"] == "send_message"
        ]

    def state() -> object:
        return {
            "outbound": admin.execute(
                "select status, last_error from outbound_messages where workspace_id = %s", (ws,)
            ).fetchall(),
            "events": admin.execute(
                "select kind, status, attempts from webhook_events where workspace_id = %s", (ws,)
            ).fetchall(),
            "replies": replies(),
            "decisions": admin.execute(
                "select decision, reasons, model from ai_decisions where workspace_id = %s", (ws,)
            ).fetchall(),
            "escalations": admin.execute(
                "select reason from escalations where workspace_id = %s", (ws,)
            ).fetchall(),
        }

    def midway() -> bool:
        if moment == "drafting":
            return any(r["api"] == "openai.chat" for r in fake_ai_state.requests)
        return bool(
            admin.execute(
                "select 1 from outbound_messages where workspace_id = %s and status = 'sending'",
                (ws,),
            ).fetchone()
        )

    log = tmp_path / "celery.log"
    worker = processes.start_worker(env, log)
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
        processes.wait_for(midway, 60, state)
    finally:
        processes.kill(worker)
    assert not replies() or moment == "sending", "killed before anything was sent"

    restarted = processes.start_worker(env, log)
    beat = processes.start_beat(env, log, tmp_path / "beat-schedule")
    try:

        def answered() -> bool:
            done = admin.execute(
                "select 1 from webhook_events where workspace_id = %s and kind = 'ig_message'"
                " and status = 'done'",
                (ws,),
            ).fetchone()
            sent = admin.execute(
                "select 1 from outbound_messages where workspace_id = %s and status = 'sent'", (ws,)
            ).fetchone()
            return bool(done and sent)

        processes.wait_for(answered, 90, state)
        time.sleep(3)  # room for a second reply, should anything still send one
    finally:
        processes.stop(beat)
        processes.stop(restarted)
    sent = replies()
    assert len(sent) == 1, state()
    assert sent[0]["text"] == ANSWER
    rows = admin.execute(
        "select status from outbound_messages where workspace_id = %s", (ws,)
    ).fetchall()
    assert [r["status"] for r in rows] == ["sent"]


def test_a_task_step_over_the_soft_limit_is_cancelled() -> None:
    """The threads pool cannot enforce Celery's time limits: each step runs under an asyncio
    timeout instead, so a hung call frees its thread and the task's retry takes over."""
    import asyncio

    from workers import runtime

    started = time.monotonic()
    with pytest.raises(TimeoutError):
        runtime.run(lambda _: asyncio.sleep(30), timeout=0.3)
    assert time.monotonic() - started < 5
    assert runtime.run(lambda _: asyncio.sleep(0, result="done"), timeout=5) == "done", (
        "the thread's loop is still usable afterwards"
    )
    runtime.close()


def test_executor_work_runs_on_the_task_thread_and_errors_reach_the_caller() -> None:
    """Libraries' `run_in_executor(None, ...)` (LangChain per chat response, `to_thread`) runs on
    the loop's own thread: no thread hop per step; a failure still surfaces in the task."""
    import asyncio
    import threading

    from workers import runtime

    def boom() -> None:
        raise ValueError("from the executor")

    async def steps(_: runtime.Resources) -> tuple[int, int]:
        ran_on = await asyncio.to_thread(threading.get_ident)
        with pytest.raises(ValueError, match="from the executor"):
            await asyncio.get_running_loop().run_in_executor(None, boom)
        return ran_on, threading.get_ident()

    ran_on, task_thread = runtime.run(steps, timeout=30)
    assert ran_on == task_thread
    runtime.close()
