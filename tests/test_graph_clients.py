"""The Graph API clients over real HTTP against the sandbox: shapes, error classes, retries."""

from __future__ import annotations

import uuid

import httpx
import pytest
import redis.asyncio as aioredis

from app.platforms.meta.budget import AccountBudget, Rate
from app.platforms.meta.errors import (
    OutsideWindowError,
    PermanentError,
    ThrottledError,
    TokenExpiredError,
    TransientError,
    UnknownOutcome,
)
from app.platforms.meta.graph_api import GraphAPI, RetryPolicy
from app.platforms.meta.instagram import InstagramClient
from app.platforms.meta.whatsapp import WhatsAppClient

TOKEN = "EAAG-secret-access-token-should-never-be-logged"
POLICY = RetryPolicy(
    max_attempts=4,
    backoff_base_s=0.01,
    backoff_max_s=0.05,
    max_inline_wait_s=2,
    default_throttle_pause_s=60,
)


@pytest.fixture
async def http():  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(timeout=httpx.Timeout(1.0)) as client:
        yield client


@pytest.fixture
async def budget(servers):  # type: ignore[no-untyped-def]
    client = aioredis.from_url(servers.redis_url)
    yield AccountBudget(client)
    await client.aclose()


@pytest.fixture
def sandbox_state(sandbox):  # type: ignore[no-untyped-def]
    sandbox.state.reset()
    yield sandbox.state
    sandbox.state.reset()


def instagram(sandbox, http, settings, budget=None, account=None) -> InstagramClient:  # type: ignore[no-untyped-def]
    graph = GraphAPI(
        http=http,
        base_url=sandbox.url,
        version=settings.graph_api_version,
        access_token=TOKEN,
        account_id=account or uuid.uuid4().hex[:12],
        policy=POLICY,
        budget=budget,
    )
    return InstagramClient(graph, settings)


def whatsapp(sandbox, http, settings) -> WhatsAppClient:  # type: ignore[no-untyped-def]
    graph = GraphAPI(
        http=http,
        base_url=sandbox.url,
        version=settings.graph_api_version,
        access_token=TOKEN,
        account_id="100000000000009",
        policy=POLICY,
    )
    return WhatsAppClient(graph, settings)


async def fault(sandbox, **spec) -> None:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient() as c:
        assert (await c.post(f"{sandbox.url}/_sandbox/faults", json=spec)).status_code == 201


async def test_instagram_calls_have_meta_shapes(sandbox, sandbox_state, http, settings) -> None:
    ig = instagram(sandbox, http, settings)
    mid = await ig.send_text(
        "6152938123456789",
        "Hi! 👋",
        quick_replies=["Opening hours", "Shipping"],
        metadata="socialsync:x",
    )
    assert mid.startswith("m_")
    [sent] = sandbox_state.outbox
    assert (
        sent["endpoint"] == "send_message"
        and sent["recipient"] == "6152938123456789"
        and sent["text"] == "Hi! 👋"
    )
    assert [q["title"] for q in sent["quick_replies"]] == ["Opening hours", "Shipping"]
    assert sent["metadata"] == "socialsync:x"
    image_mid = await ig.send_image("6152938123456789", "https://example.com/p.jpg")
    assert image_mid != mid and sandbox_state.outbox[-1]["media"] == "https://example.com/p.jpg"
    tagged = await ig.send_text("6152938123456789", "Following up", tag="HUMAN_AGENT")
    assert tagged and sandbox_state.outbox[-1]["tag"] == "HUMAN_AGENT"


async def test_comments_publishing_and_reads(sandbox, sandbox_state, http, settings) -> None:
    account = uuid.uuid4().hex[:12]
    ig = instagram(sandbox, http, settings, account=account)
    async with httpx.AsyncClient() as c:
        inbound = (
            await c.post(
                f"{sandbox.url}/_sandbox/inbound",
                json={
                    "platform": "instagram",
                    "kind": "comment",
                    "account_id": account,
                    "from": "777",
                    "text": "price?",
                    "deliver": False,
                },
            )
        ).json()
    comment_id = inbound["platform_id"]
    reply_id = await ig.reply_to_comment(comment_id, "It is 20 EUR")
    private_mid = await ig.private_reply(comment_id, "Sent you the details")
    await ig.hide_comment(comment_id)
    assert [o["endpoint"] for o in sandbox_state.outbox] == [
        "comment_reply",
        "private_reply",
        "hide_comment",
    ]
    assert reply_id and private_mid and sandbox_state.outbox[1]["recipient"] == "777"

    media = await ig.list_media()
    assert media and (await ig.list_comments(media[0]["id"]))[0]["text"] == "price?"

    container = await ig.create_container(
        image_url=f"{sandbox.url}/_sandbox/samples/square.jpg", caption="New in!"
    )
    with pytest.raises(PermanentError) as not_ready:
        await ig.publish(container)
    assert not_ready.value.code == 9007
    assert await ig.container_status(container) == "FINISHED"
    media_id = await ig.publish(container)
    assert media_id.startswith("media_")
    limit = await ig.publishing_limit()
    assert limit["quota_usage"] == 1 and limit["config"]["quota_total"] == 50
    refreshed = await ig.refresh_token("old-token")
    assert refreshed["expires_in"] == 60 * 24 * 3600


async def test_conversation_listing_for_reconciliation(
    sandbox, sandbox_state, http, settings
) -> None:
    account = uuid.uuid4().hex[:12]
    async with httpx.AsyncClient() as c:
        await c.post(
            f"{sandbox.url}/_sandbox/inbound",
            json={
                "platform": "instagram",
                "account_id": account,
                "from": "555",
                "text": "lost webhook",
                "deliver": False,
            },
        )
    ig = instagram(sandbox, http, settings, account=account)
    [conversation] = await ig.list_conversations()
    [message] = await ig.list_messages(conversation["id"])
    assert message["message"] == "lost webhook" and message["from"]["id"] == "555"


async def test_whatsapp_calls(sandbox, sandbox_state, http, settings) -> None:
    wa = whatsapp(sandbox, http, settings)
    wamid = await wa.send_text("34 600 111 222", "Olá!")
    assert wamid.startswith("wamid.")
    await wa.send_media("+34600111222", "image", "https://example.com/i.jpg", caption="look")
    await wa.send_interactive(
        "+34600111222",
        {
            "type": "button",
            "body": {"text": "Ok?"},
            "action": {"buttons": [{"type": "reply", "reply": {"id": "y", "title": "Yes"}}]},
        },
    )
    await wa.send_template("+34600111222", "order_update", "pt_BR")
    await wa.mark_read(wamid, typing=True)
    outbox = sandbox_state.outbox
    assert [o["endpoint"] for o in outbox] == ["wa_send"] * 4 + ["wa_mark_read"]
    assert outbox[0]["recipient"] == "+34600111222", (
        "recipients always carry + and the country code"
    )
    assert [o["type"] for o in outbox[:4]] == ["text", "image", "interactive", "template"]
    assert outbox[4]["typing"] == {"type": "text"}


async def test_transient_errors_are_retried(sandbox, sandbox_state, http, settings) -> None:
    await fault(sandbox, endpoint="send_message", kind="server_error", count=2)
    mid = await instagram(sandbox, http, settings).send_text("1", "hello")
    assert mid and len(sandbox_state.outbox) == 1, "two 500s, then one delivered message"


async def test_retries_give_up_after_the_last_attempt(
    sandbox, sandbox_state, http, settings
) -> None:
    await fault(sandbox, endpoint="list_media", kind="server_error", count=10)
    with pytest.raises(TransientError):
        await instagram(sandbox, http, settings).list_media()
    [remaining] = sandbox_state.faults
    assert remaining.remaining == 10 - POLICY.max_attempts


async def test_throttling_honours_retry_after_and_pauses_the_account(
    sandbox, sandbox_state, http, settings, budget
) -> None:
    await fault(sandbox, endpoint="wa_send", kind="throttle", count=1, retry_after_s=0)
    assert await whatsapp(sandbox, http, settings).send_text("+1555", "hi")

    account = uuid.uuid4().hex[:12]
    await fault(sandbox, endpoint="send_message", kind="throttle", count=1, regain_minutes=5)
    ig = instagram(sandbox, http, settings, budget=budget, account=account)
    with pytest.raises(ThrottledError) as throttled:
        await ig.send_text("1", "hi")
    assert throttled.value.code == 4 and throttled.value.retry_after_s == 300, (
        "X-Business-Use-Case-Usage minutes"
    )
    sent_before = len(sandbox_state.outbox)
    with pytest.raises(ThrottledError):
        await ig.send_text("1", "again")
    assert len(sandbox_state.outbox) == sent_before, "after a throttle we stop calling Meta"


@pytest.mark.parametrize(
    ("kind", "error_class", "code"),
    [
        ("window", OutsideWindowError, 10),
        ("token_expired", TokenExpiredError, 190),
        ("bad_request", PermanentError, 100),
    ],
)
async def test_permanent_classes_are_not_retried(
    sandbox, sandbox_state, http, settings, kind, error_class, code
) -> None:
    await fault(sandbox, endpoint="send_message", kind=kind, count=5)
    with pytest.raises(error_class) as raised:
        await instagram(sandbox, http, settings).send_text("1", "hi")
    assert raised.value.code == code
    assert sandbox_state.faults[0].remaining == 4, "exactly one call"
    if kind == "window":
        assert raised.value.subcode == 2534022


async def test_whatsapp_window_error(sandbox, sandbox_state, http, settings) -> None:
    await fault(sandbox, endpoint="wa_send", kind="window", count=1)
    with pytest.raises(OutsideWindowError) as raised:
        await whatsapp(sandbox, http, settings).send_text("+1555", "hi")
    assert raised.value.code == 131047


async def test_timeout_after_sending_is_an_unknown_outcome_not_a_retry(
    sandbox, sandbox_state, http, settings
) -> None:
    await fault(sandbox, endpoint="send_message", kind="latency", latency_ms=1500, count=1)
    with pytest.raises(UnknownOutcome):
        await instagram(sandbox, http, settings).send_text("1", "maybe delivered")
    import asyncio

    await asyncio.sleep(0.7)
    assert len(sandbox_state.outbox) == 1, "the message arrived once; we did not send it again"


async def test_slow_reads_are_retried(sandbox, sandbox_state, http, settings) -> None:
    await fault(sandbox, endpoint="list_media", kind="latency", latency_ms=1500, count=1)
    assert await instagram(sandbox, http, settings).list_media() == []


async def test_budget_is_shared_through_redis(budget) -> None:
    account = uuid.uuid4().hex
    rate = Rate(per_second=1, burst=2)
    waits = [await budget.wait_time(account, "send", rate) for _ in range(3)]
    assert waits[0] == 0 and waits[1] == 0 and 0.5 < waits[2] <= 1.0
    await budget.pause(account, 30)
    assert 25 < await budget.wait_time(account, "send", rate) <= 30


async def test_tokens_never_reach_the_logs(sandbox, sandbox_state, http, settings) -> None:
    from structlog.testing import capture_logs

    await fault(sandbox, endpoint="send_message", kind="token_expired", count=1)
    with capture_logs() as logs, pytest.raises(TokenExpiredError) as raised:
        await instagram(sandbox, http, settings).send_text("1", "hi")
    assert any(entry["event"] == "Graph API error" and entry["code"] == 190 for entry in logs)
    assert TOKEN not in repr(logs) + str(raised.value) + repr(vars(raised.value))
