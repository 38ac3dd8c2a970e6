"""The reply path with a real worker process, a slow model (the local OpenAI-speaking server)
and the sandbox: no database connection is held while the model thinks, a message that
arrives meanwhile supersedes the draft (one coherent reply), the model's time counts toward the
burst window, and a worker killed mid-draft
costs seconds, not the old quarter of an hour."""

from __future__ import annotations

import json
import os
import signal
import time
from functools import partial
from pathlib import Path
from typing import Any

from tests.support import processes
from tests.support.conversation import dm_replies, send_dm, submit_reply
from tests.support.factories import instagram_shop

HOURS = ("What are your opening hours?", "We are open 9 to 6, Monday to Saturday.")


def _env(fake_ai: Any, **extra: str) -> dict[str, str]:
    return {
        "CHAT_MODEL": "gpt-4o-mini",
        "OPENAI_API_KEY": "sk-test",
        "OPENAI_BASE_URL": f"{fake_ai.url}/v1",
        "REPLY_BURST_WINDOW_S": "0.3",
        **extra,
    }


def _chats(fake_ai_state: Any) -> int:
    return sum(1 for r in fake_ai_state.requests if r["api"] == "openai.chat")


async def test_no_connection_is_held_while_the_model_thinks(
    client, sandbox, admin, fake_ai, fake_ai_state, clean_broker, tmp_path: Path
) -> None:
    _, _, ig = await instagram_shop(client, admin, HOURS, "thinking")
    fake_ai_state.chat_default = submit_reply(HOURS[1])
    fake_ai_state.chat_delays.extend([3, 3, 3])
    worker = processes.start_worker(_env(fake_ai), tmp_path / "worker.log")
    try:
        for n in range(3):
            send_dm(sandbox, ig, f"c{n}", "when are you open?")
        processes.wait_for(lambda: _chats(fake_ai_state) >= 1, 30)
        samples: list[dict[str, Any]] = []

        def sampled_until_all_answered() -> bool:
            # pg_stat_activity, sampled at every poll for as long as the three drafts take: a
            # connection held through a model call (3 s here) sits idle in its transaction for
            # seconds; the brief gap between two statements of a short transaction does not count
            samples.append(
                admin.execute(
                    "select count(*) filter (where state like 'idle in transaction%%'"
                    "                          and now() - state_change > interval '500 milliseconds') as idle_tx"
                    " from pg_stat_activity where usename = 'socialsync_app' and pid <> pg_backend_pid()"
                ).fetchone()
            )
            return len(dm_replies(sandbox, ig)) == 3

        processes.wait_for(sampled_until_all_answered, 60)
        assert len(samples) >= 20, "sampled through the model's 9 s of thinking"
    finally:
        processes.stop(worker)
    assert all(s["idle_tx"] == 0 for s in samples), samples
    assert {r["recipient"] for r in dm_replies(sandbox, ig)} == {"c0", "c1", "c2"}


async def test_a_message_that_arrives_while_the_model_drafts_supersedes_the_draft(
    client, sandbox, admin, fake_ai, fake_ai_state, clean_broker, tmp_path: Path
) -> None:
    _, _, ig = await instagram_shop(client, admin, HOURS, "superseded")
    fake_ai_state.chat_default = submit_reply(HOURS[1])
    fake_ai_state.chat_delays.append(3)  # the first draft is slow; the second is not
    # the production pool: the second message is stored while the first draft is thinking
    worker = processes.start_worker(
        _env(fake_ai), tmp_path / "worker.log", pool="threads", concurrency=4
    )
    try:
        send_dm(sandbox, ig, "c1", "hi!")
        processes.wait_for(lambda: _chats(fake_ai_state) >= 1, 30)
        send_dm(sandbox, ig, "c1", "when are you open on saturday?")
        processes.wait_for(lambda: dm_replies(sandbox, ig), 30)
        processes.wait_for(
            lambda: (
                admin.execute(
                    "select count(*) as n from webhook_events where account_external_id = %s"
                    " and kind = 'ig_message' and status = 'done'",
                    (ig,),
                ).fetchone()["n"]
                == 2
            ),
            30,
        )
    finally:
        processes.stop(worker)
    [reply] = dm_replies(sandbox, ig)
    assert reply["recipient"] == "c1"
    last_request = [r for r in fake_ai_state.requests if r["api"] == "openai.chat"][-1]
    assert "saturday" in json.dumps(last_request["body"]).lower(), "one draft for both messages"


async def test_the_draft_starts_at_once_and_the_write_waits_out_the_window(
    client, sandbox, admin, fake_ai, fake_ai_state, clean_broker, tmp_path: Path
) -> None:
    """The model's time counts toward the burst window: the draft is asked for shortly after
    the message, and a message the customer adds within the window, after that draft is done,
    still gets one reply to both."""
    _, _, ig = await instagram_shop(client, admin, HOURS, "draft-early")
    fake_ai_state.chat_default = submit_reply(HOURS[1])
    # c0's answer, then the first draft for c1, which the second message must supersede
    fake_ai_state.chat_replies.extend([submit_reply(HOURS[1]), submit_reply("The first draft.")])
    # the production pool: a run waiting out the window holds one of its slots, not the worker
    worker = processes.start_worker(
        _env(fake_ai, REPLY_BURST_WINDOW_S="6"), tmp_path / "w.log", pool="threads", concurrency=4
    )
    try:
        # another customer's answer first: the worker is up, its models loaded
        send_dm(sandbox, ig, "c0", "hello")
        processes.wait_for(lambda: dm_replies(sandbox, ig), 60)
        before = _chats(fake_ai_state)
        send_dm(sandbox, ig, "c1", "a question about your shop")
        sent_at = time.monotonic()
        processes.wait_for(lambda: _chats(fake_ai_state) > before, 30)
        drafted_after = time.monotonic() - sent_at
        # the first draft is done and waits for the window: nothing has gone out
        assert [r["recipient"] for r in dm_replies(sandbox, ig)] == ["c0"]
        send_dm(sandbox, ig, "c1", "when are you open on saturday?")
        processes.wait_for(lambda: len(dm_replies(sandbox, ig)) == 2, 30)
    finally:
        processes.stop(worker)
    assert drafted_after < 6, f"the draft waited for the whole window ({drafted_after:.1f} s)"
    replies = dm_replies(sandbox, ig)
    assert [(r["recipient"], r["text"]) for r in replies] == [("c0", HOURS[1]), ("c1", HOURS[1])]
    last = json.dumps([r for r in fake_ai_state.requests if r["api"] == "openai.chat"][-1]["body"])
    assert "saturday" in last and "question about your shop" in last, "one draft for both"


async def test_a_worker_killed_mid_draft_is_replaced_within_seconds(
    client, sandbox, admin, fake_ai, fake_ai_state, clean_broker, tmp_path: Path
) -> None:
    _, _, ig = await instagram_shop(client, admin, HOURS, "leased")
    fake_ai_state.chat_default = submit_reply(HOURS[1])
    fake_ai_state.chat_delays.append(60)  # the first run never finishes: its worker dies
    env = _env(fake_ai, EVENT_LEASE_S="3", WEBHOOK_SWEEP_INTERVAL_S="1")
    beat = processes.start_beat(env, tmp_path / "beat.log", tmp_path / "beat-schedule")
    first = processes.start_worker(env, tmp_path / "worker-1.log")
    try:
        send_dm(sandbox, ig, "c1", "when are you open?")
        processes.wait_for(lambda: _chats(fake_ai_state) >= 1, 30)
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
        killed_at = time.monotonic()
        second = processes.start_worker(env, tmp_path / "worker-2.log")
        try:
            processes.wait_for(lambda: dm_replies(sandbox, ig), 60)
            delay = time.monotonic() - killed_at
        finally:
            processes.stop(second)
    finally:
        processes.stop(beat)
        if first.poll() is None:
            processes.stop(first)
    assert delay < 30, f"answered {delay:.0f} s after the crash"
    [reply] = dm_replies(sandbox, ig)
    assert reply["recipient"] == "c1" and reply["text"] == HOURS[1]


async def test_a_started_worker_is_ready_before_its_first_customer(
    admin, clean_broker, tmp_path: Path
) -> None:
    """A worker opens its database pool and clients as it starts (both pools `make run` and the
    deployments use), not in its first task: after a start or a crash-restart, the first
    customers do not wait for them. Nothing is sent to it here."""

    def connections(name: str) -> int:
        row = admin.execute(
            "select count(*) as n from pg_stat_activity where application_name = %s", (name,)
        ).fetchone()
        return int(row["n"])

    for pool in ("threads", "prefork"):
        name, log = f"warm-{pool}-{tmp_path.name}"[:60], tmp_path / f"worker-{pool}.log"
        worker = processes.start_worker({"PGAPPNAME": name}, log, pool=pool)
        try:
            # the log as the state shown on failure: why it did not connect
            processes.wait_for(partial(connections, name), 60, log.read_text)
        finally:
            processes.stop(worker)
