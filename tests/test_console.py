"""The console in a real browser (Debian's Chromium through Playwright), against the API process
over HTTP, with the Meta sandbox playing Instagram and customers and a real Celery worker doing
the work: what owners, managers and staff do, at desktop and phone width. Screenshots of every
page go to tests/artifacts/."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from PIL import Image
from playwright.async_api import Page, async_playwright, expect

from tests.support.browser import DESKTOP, PHONE, launch, overflow_px, shoot, sign_in
from tests.support.factories import add_member, create_workspace, instagram_shop, register
from tests.support.pdfs import text_pdf
from tests.support.processes import until

HOURS = ("What are your opening hours?", "We are open Monday to Saturday, 9:00 to 18:00.")
# the bot waits a few seconds for more of a customer's messages before it answers
expect.set_options(timeout=20_000)
PAGES = (
    "/inbox",
    "/escalations",
    "/comments",
    "/calendar",
    "/kb",
    "/settings",
    "/settings/webhooks",
    "/analytics",
)


@pytest.fixture(scope="module")
def console(settings: Any, sandbox: Any) -> Iterator[Any]:
    """The API process as `make run` serves it, at its own address (Instagram's login sends the
    browser back there)."""
    from app.main import create_app
    from tests.support.live import LiveServer
    from tests.support.servers import free_port

    port = free_port()
    app = create_app(settings.model_copy(update={"public_base_url": f"http://127.0.0.1:{port}"}))
    server = LiveServer(app, port=port).start("/health")
    yield server
    server.stop()


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Any]:
    async with async_playwright() as playwright:
        chromium = await launch(playwright)
        yield chromium
        await chromium.close()


@pytest.fixture
async def page(browser: Any) -> AsyncIterator[Page]:
    context = await browser.new_context(viewport=DESKTOP)
    context.set_default_timeout(20_000)
    tab = await context.new_page()
    yield tab
    await context.close()


def _outbox(sandbox: Any, account: str, endpoint: str) -> list[dict[str, Any]]:
    return [
        o for o in sandbox.state.outbox if o["account"] == account and o["endpoint"] == endpoint
    ]


def _customer_writes(sandbox: Any, **event: Any) -> dict[str, Any]:
    response = httpx.post(f"{sandbox.url}/_sandbox/inbound", json=event, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_a_new_owner_signs_up_connects_instagram_and_signs_out(
    console: Any, page: Page, admin: Any
) -> None:
    await page.goto(f"{console.url}/inbox")
    assert "/login?next=/inbox" in page.url, "signed out: the console asks to sign in"
    await shoot(page, "login")
    await page.get_by_role("link", name="Create an account").click()
    email = f"owner-{datetime.now().timestamp():.0f}@bakery.example"
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill("password")
    await page.get_by_role("button", name="Create account").click()
    await expect(page.locator("#password-error")).to_contain_text("common")
    await page.get_by_label("Password").fill("croissants at dawn 42")
    await page.get_by_role("button", name="Create account").click()
    await expect(page.get_by_role("heading", name="Create your workspace")).to_be_visible()
    await page.get_by_label("Business name").fill("Bella's Bakery")
    await page.get_by_label("Time zone").fill("Mars/Olympus")
    await page.get_by_role("button", name="Create workspace").click()
    await expect(page.locator(".field-error")).to_be_visible()  # the API's zone check
    await page.get_by_label("Time zone").fill("Europe/Madrid")
    await page.get_by_role("button", name="Create workspace").click()
    await expect(page.get_by_text("No account connected yet")).to_be_visible()
    await shoot(page, "settings-empty")

    cookies = {c["name"]: c for c in await page.context.cookies()}
    assert cookies["ss_access"]["httpOnly"] and cookies["ss_access"]["sameSite"] == "Lax"
    assert cookies["ss_refresh"]["httpOnly"]

    # Instagram Login through the sandbox: off to "Instagram" and back with a code
    await page.get_by_role("button", name="Connect Instagram").click()
    await expect(page.get_by_role("heading", name="Instagram connected")).to_be_visible()
    await page.get_by_role("link", name="Back to your SocialSync settings").click()
    account = page.locator("[data-account]")
    await expect(account).to_contain_text("Instagram")
    await expect(account).to_contain_text("healthy")
    # WhatsApp through Embedded Signup: the page loads Meta's SDK (the sandbox's stand-in here),
    # the popup shares a number, and the code is exchanged at once
    await page.get_by_role("button", name="Connect with Meta (Embedded Signup)").click()
    whatsapp = page.locator("[data-account]", has_text="WhatsApp")
    await expect(whatsapp).to_contain_text("+1 555 0100")
    await expect(whatsapp).to_contain_text("healthy")
    await shoot(page, "settings-connected")

    ws = admin.execute(
        "select w.id from workspaces w join workspace_members m on m.workspace_id = w.id"
        " join app_private.local_users u on u.id = m.user_id where u.email = %s",
        (email,),
    ).fetchone()["id"]
    rows = admin.execute(
        "select platform, access_token_encrypted from social_accounts where workspace_id = %s",
        (ws,),
    ).fetchall()
    assert {r["platform"] for r in rows} == {"instagram", "whatsapp"}
    assert all(r["access_token_encrypted"] for r in rows), "tokens stored (encrypted)"

    # an expired session on an HTMX action goes cleanly to the login page
    await page.goto(f"{console.url}/inbox")
    await page.context.add_cookies(
        [
            {"name": "ss_access", "value": "expired", "url": console.url},
            {"name": "ss_refresh", "value": "revoked", "url": console.url},
        ]
    )
    await page.locator("#view").select_option("unread")
    await page.wait_for_url(re.compile(r"/login\?next=/inbox"))
    await expect(page.get_by_text("Your session ended")).to_be_visible()

    await sign_in(page, console.url, email, "croissants at dawn 42")
    await expect(page.get_by_role("link", name="Inbox")).to_be_visible()
    await page.get_by_role("button", name="Log out").click()
    await page.wait_for_url(re.compile(r"/login$"))
    await page.goto(f"{console.url}/settings")
    assert "/login" in page.url, "signed out for good"


async def test_knowledge_upload_progress_the_playground_and_a_guardrail(
    console: Any, page: Page, client: Any, worker: Any
) -> None:
    owner = await register(client, "kb-console")
    await create_workspace(client, owner, "Bella's Bakery")
    await sign_in(page, console.url, owner.email, owner.password)
    await page.goto(f"{console.url}/kb")
    await expect(page.get_by_text("No documents yet")).to_be_visible()
    pdf = text_pdf(
        [
            "Price list. Butter croissant 3.50 euros. Pain au chocolat 3.90 euros. "
            "Sourdough loaf 6.20 euros.",
            "Opening hours. We open Tuesday to Sunday from 7:30 to 14:00. Closed on Mondays.",
        ]
    )
    await page.locator("#upload-form input[type=file]").set_input_files(
        {"name": "prices.pdf", "mimeType": "application/pdf", "buffer": pdf}
    )
    await page.get_by_role("button", name="Upload").click()
    document = page.locator("[data-document]")
    await expect(document).to_contain_text("prices.pdf")
    # the row follows ingestion on its own, to the end
    await expect(document).to_have_attribute("data-status", "ready", timeout=60_000)
    await expect(document).to_contain_text("passages")
    await shoot(page, "knowledge")

    async def ask(question: str) -> str:
        await page.get_by_label("Message").fill(question)
        await page.get_by_role("button", name="Ask the bot").click()
        result = page.locator("#playground .preview")
        await expect(result).to_be_visible()
        return str(await result.get_attribute("data-decision"))

    assert await ask("how much is a butter croissant?") == "respond"
    await expect(page.locator("#playground .reply")).to_contain_text("3.50")
    await expect(page.locator("#playground .citations")).to_contain_text("prices")
    await shoot(page, "playground")

    # a guardrail: questions about croissants go to a person
    await page.goto(f"{console.url}/settings")
    keywords = page.get_by_label("Words that send the conversation to a person")
    await keywords.fill(await keywords.input_value() + ", croissant")
    await page.get_by_role("button", name="Save the bot's settings").click()
    await expect(page.get_by_text("Saved.")).to_be_visible()
    await page.goto(f"{console.url}/kb")
    assert await ask("how much is a butter croissant?") == "escalate"


async def test_inbox_live_messages_take_over_reply_and_an_escalation(
    console: Any, page: Page, browser: Any, sandbox: Any, client: Any, admin: Any, worker: Any
) -> None:
    owner, ws, ig = await instagram_shop(client, admin, HOURS, "inbox-console")
    await sign_in(page, console.url, owner.email, owner.password)
    await page.goto(f"{console.url}/inbox")
    await expect(page.get_by_text("No conversations yet")).to_be_visible()

    _customer_writes(
        sandbox,
        platform="instagram",
        account_id=ig,
        **{"from": "cust-live-1"},
        text="what are your opening hours?",
    )
    row = page.locator("#conversation-list [data-conversation]")
    await expect(row).to_have_count(1)  # arrived without a reload
    await row.locator("a").click()
    thread = page.locator("#thread-live")
    await expect(thread).to_contain_text("what are your opening hours?")
    await expect(thread).to_contain_text("We are open Monday to Saturday")  # the bot's reply
    await expect(thread).to_contain_text("Bot decided: respond")

    # staff judge the bot's reply: it counts in the analytics and teaches the ranking
    await thread.get_by_role("button", name="The bot's reply was good").click()
    await expect(page.locator("#thread-live")).to_contain_text("marked good")
    assert (
        admin.execute(
            "select verdict from decision_feedback where workspace_id = %s", (ws,)
        ).fetchone()["verdict"]
        == "good"
    )

    await page.get_by_role("button", name="Take over").click()
    await expect(page.locator("#thread")).to_contain_text("You hold this conversation")
    await page.keyboard.press("r")
    await page.locator("#reply-text").fill("Hi! This Sunday we open at 10 as an exception.")
    await page.get_by_role("button", name="Send").click()
    await until(
        lambda: [
            o
            for o in _outbox(sandbox, ig, "send_message")
            if "exception" in str(o.get("payload") or o)
        ]
    )
    await expect(page.locator("#thread-live")).to_contain_text("as an exception")
    await shoot(page, "inbox-thread")

    # the escalation queue, open in another tab, hears of a new escalation live
    queue = await page.context.new_page()
    await queue.goto(f"{console.url}/escalations")
    await expect(queue.get_by_text("Nothing waiting")).to_be_visible()
    _customer_writes(
        sandbox,
        platform="instagram",
        account_id=ig,
        **{"from": "cust-live-2"},
        text="I want to talk to a human about my order",
    )
    escalation = queue.locator("[data-escalation]")
    await expect(escalation).to_have_count(1)
    await expect(escalation).to_contain_text("human")
    await shoot(queue, "escalations")
    await escalation.get_by_role("textbox").fill("Hello, this is Ana from the bakery. Let me look.")
    await escalation.get_by_role("button", name="Send reply").click()
    await until(lambda: [o for o in _outbox(sandbox, ig, "send_message") if "Ana from" in str(o)])
    await expect(queue.get_by_text("Nothing waiting")).to_be_visible()  # claimed by the reply
    await queue.get_by_role("link", name="Claimed").click()
    claimed = queue.locator("[data-escalation]")
    await expect(claimed).to_contain_text("by you")
    await claimed.get_by_role("button", name="Resolve").click()
    await expect(queue.locator("[data-escalation]")).to_have_count(0)
    await until(
        lambda: admin.execute(
            "select 1 from messages where workspace_id = %s and sender = 'human' and text like %s",
            (ws, "%Ana from%"),
        ).fetchone()
    )

    # what Ana answered is offered as a FAQ entry; a manager adds it
    await queue.goto(f"{console.url}/kb")
    offer = queue.locator("[data-suggestion]")
    await expect(offer.get_by_label("Answer")).to_have_value(re.compile("Ana from the bakery"))
    await offer.get_by_label("Question").fill("Can I talk to a person about my order?")
    await offer.get_by_role("button", name="Add to the FAQ").click()
    await expect(queue.locator("#faq .faq").last).to_contain_text(
        "Can I talk to a person about my order?"
    )

    # the keyboard: j moves to a conversation, Enter opens it, t takes it over, e resolves it
    await page.goto(f"{console.url}/inbox")
    await expect(page.locator("#conversation-list [data-conversation]")).to_have_count(2)
    await page.keyboard.press("j")
    await page.keyboard.press("Enter")
    await expect(page.locator("#thread")).to_contain_text("The bot is answering")
    await page.keyboard.press("t")
    await expect(page.locator("#thread")).to_contain_text("You hold this conversation")
    await page.keyboard.press("e")
    await expect(page.locator("#thread-live")).to_contain_text("The bot is answering")


async def test_staff_hide_a_spam_comment(
    console: Any, page: Page, sandbox: Any, client: Any, admin: Any, worker: Any
) -> None:
    owner, ws, ig = await instagram_shop(client, admin, HOURS, "comments-console")
    # the bot leaves spam alone here, so that a person hides it
    response = await client.patch(
        "/api/agent/settings", headers=owner.headers(ws), json={"ignore_rules": {"spam": False}}
    )
    assert response.status_code == 200, response.text
    sent = _customer_writes(
        sandbox,
        platform="instagram",
        kind="comment",
        account_id=ig,
        **{"from": "spammer-1"},
        username="promo_kings",
        text="Get 10k followers now, DM us!",
    )
    await until(
        lambda: admin.execute(
            "select 1 from webhook_events w join ai_decisions d on d.webhook_event_id = w.id"
            " where w.dedupe_key = 'ig:comment:' || %s",
            (sent["platform_id"],),
        ).fetchone()
    )
    await sign_in(page, console.url, owner.email, owner.password)
    await page.goto(f"{console.url}/comments")
    comment = page.locator("[data-comment]").filter(has_text="10k followers")
    await expect(comment).to_contain_text("promo_kings")
    await comment.get_by_role("button", name="Hide").click()
    comment = page.locator("[data-comment]").filter(has_text="10k followers")
    await expect(comment.get_by_role("button", name="Unhide")).to_be_visible()
    hidden = _outbox(sandbox, ig, "hide_comment")
    assert [h for h in hidden if sent["platform_id"] in str(h)], "hidden on Instagram"
    await shoot(page, "comments")


async def test_settings_workspace_team_and_webhooks(
    console: Any, page: Page, client: Any, admin: Any
) -> None:
    owner = await register(client, "settings-console")
    ws = (await create_workspace(client, owner, "Corner Shop"))["id"]
    agent = await register(client, "settings-agent")
    await add_member(client, owner, ws, agent, "agent")
    await sign_in(page, console.url, owner.email, owner.password)
    await page.goto(f"{console.url}/settings")
    section = page.locator("#workspace")
    await section.get_by_label("Name").fill("Corner Shop Madrid")
    await section.get_by_label("Time zone").fill("Europe/Madrid")
    await section.get_by_role("button", name="Save").click()
    await expect(page.get_by_text("Saved.")).to_be_visible()
    row = admin.execute("select name, timezone from workspaces where id = %s", (ws,)).fetchone()
    assert (row["name"], row["timezone"]) == ("Corner Shop Madrid", "Europe/Madrid")

    await page.get_by_label(f"Role of {agent.email}").select_option("manager")
    await (
        page.locator("#team li", has_text=agent.email)
        .get_by_role("button", name="Change role")
        .click()
    )
    await expect(page.get_by_label(f"Role of {agent.email}")).to_have_value("manager")
    await page.locator("#team").get_by_label("Email").fill("new.person@corner.example")
    await page.locator("#team").get_by_role("button", name="Invite").click()
    await expect(page.get_by_text("Invitation for new.person@corner.example")).to_be_visible()

    # the workspace switcher: the same person in another workspace sees that one's settings
    other = await create_workspace(client, owner, "Second Shop")
    await page.reload()
    await page.locator("#workspace-switch").select_option(other["id"])
    await expect(page.locator("#workspace").get_by_label("Name")).to_have_value("Second Shop")
    await expect(page.locator("#team")).not_to_contain_text(agent.email)
    await page.locator("#workspace-switch").select_option(ws)
    await expect(page.locator("#workspace").get_by_label("Name")).to_have_value(
        "Corner Shop Madrid"
    )

    await page.get_by_role("link", name="Outgoing webhooks and their deliveries").click()
    await page.get_by_label("URL").fill("https://hooks.corner.example/in")
    await page.get_by_role("button", name="Add endpoint").click()
    await expect(page.locator(".field-error")).to_be_visible()  # no event chosen
    await page.get_by_label("escalation.opened").check()
    await page.get_by_role("button", name="Add endpoint").click()
    await expect(page.locator("#new-secret")).to_have_text(re.compile(r"\S{20,}"))
    await expect(page.locator("[data-endpoint]")).to_contain_text("hooks.corner.example")
    await shoot(page, "webhooks")
    await page.reload()
    await expect(page.locator("#new-secret")).to_have_count(0)  # the secret is shown once


def _jpeg(size: int = 1080) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (size, size), (200, 120, 40)).save(out, format="JPEG")
    return out.getvalue()


async def test_schedule_a_post_with_an_uploaded_image_drag_it_and_see_it_published(
    console: Any, page: Page, sandbox: Any, client: Any, admin: Any, worker: Any
) -> None:
    owner, ws, ig = await instagram_shop(client, admin, HOURS, "calendar-console")
    await sign_in(page, console.url, owner.email, owner.password)
    await page.goto(f"{console.url}/calendar")
    zone = ZoneInfo("UTC")
    # days 1 and 2 ahead, in the same week view (Monday-based) or moved by the view
    first = (datetime.now(zone) + timedelta(days=1)).replace(hour=10, minute=15)
    await page.get_by_label("Caption").fill("Fresh croissants every morning #bakery")
    await page.get_by_label(re.compile("Publish at")).fill(first.strftime("%Y-%m-%dT%H:%M"))
    await page.get_by_label("Upload an image or video").set_input_files(
        {"name": "croissant.jpg", "mimeType": "image/jpeg", "buffer": _jpeg()}
    )
    await page.get_by_role("button", name="Schedule").click()
    day = page.locator(f'[data-day="{first.date().isoformat()}"]')
    tile = day.locator("[data-post]")
    await expect(tile).to_contain_text("10:15")
    await expect(tile).to_contain_text("scheduled")
    await shoot(page, "calendar")

    # dragged to the next day, it keeps its time of day
    second = first + timedelta(days=1)
    await page.goto(f"{console.url}/calendar?view=week&date={first.date().isoformat()}")
    target = page.locator(f'[data-day="{second.date().isoformat()}"]')
    if await target.count() == 0:  # the next day is in the next week: drag backwards instead
        second = first - timedelta(days=1)
        target = page.locator(f'[data-day="{second.date().isoformat()}"]')
    await page.locator("[data-post]").first.drag_to(target)
    await expect(target.locator("[data-post]")).to_contain_text("10:15")
    moved = admin.execute(
        "select publish_at from scheduled_posts where workspace_id = %s", (ws,)
    ).fetchone()["publish_at"]
    assert moved.astimezone(zone).date() == second.date() and moved.astimezone(zone).hour == 10

    # publish it now from its page and see it published on the calendar
    await target.locator("[data-post]").click()
    await expect(page.locator("article.post")).to_contain_text("Fresh croissants every morning")
    await shoot(page, "post")
    await page.get_by_role("button", name="Publish now").click()
    await page.goto(f"{console.url}/calendar?date={datetime.now(zone).date().isoformat()}")
    today = page.locator(f'[data-day="{datetime.now(zone).date().isoformat()}"]')
    await expect(today.locator("[data-post]")).to_contain_text("published", timeout=60_000)
    assert _outbox(sandbox, ig, "publish"), "published through the Graph API"


async def test_every_page_works_at_phone_width(
    console: Any, browser: Any, client: Any, admin: Any
) -> None:
    owner, _, _ = await instagram_shop(client, admin, HOURS, "phone-console")
    context = await browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    phone = await context.new_page()
    errors: list[str] = []
    phone.on("pageerror", lambda exc: errors.append(str(exc)))
    await sign_in(phone, console.url, owner.email, owner.password)
    for path in PAGES:
        response = await phone.goto(f"{console.url}{path}")
        assert response is not None and response.status == 200, path
        await expect(phone.locator("main")).to_be_visible()
        assert await overflow_px(phone) <= 0, f"{path} scrolls sideways on a phone"
        await shoot(phone, f"phone{path.replace('/', '-')}")
    assert errors == []
    await context.close()


async def test_pages_are_scoped_to_the_workspace_and_need_the_csrf_token(
    console: Any, client: Any, admin: Any, sandbox: Any, worker: Any
) -> None:
    _, ws_a, ig_a = await instagram_shop(client, admin, HOURS, "tenant-a")
    owner_b, _, _ = await instagram_shop(client, admin, HOURS, "tenant-b")
    _customer_writes(
        sandbox, platform="instagram", account_id=ig_a, **{"from": "cust-tenant"}, text="hello"
    )
    conversation = (
        await until(
            lambda: admin.execute(
                "select id from conversations where workspace_id = %s", (ws_a,)
            ).fetchone()
        )
    )["id"]
    async with httpx.AsyncClient(base_url=console.url, timeout=20) as b:
        token = _page_csrf((await b.get("/login")).text)
        signed = await b.post(
            "/login",
            data={"email": owner_b.email, "password": owner_b.password, "csrf_token": token},
        )
        assert signed.status_code == 303
        other = await b.get(f"/inbox/{conversation}")
        assert other.status_code == 404, "A's conversation is not B's"
        assert "conversation not found" in other.text, "a page that says so"
        own = await b.get("/inbox")
        assert own.status_code == 200 and "cust-tenant" not in own.text
        assert own.text.startswith("<!doctype html>") and own.headers["vary"] == "HX-Request"
        fragment = await b.get("/inbox?part=list", headers={"HX-Request": "true"})
        assert fragment.text.lstrip().startswith('<ul id="conversation-list"'), "only the list"
        headers = {"HX-Request": "true", "X-CSRF-Token": _page_csrf(own.text)}
        taken = await b.post(f"/inbox/{conversation}/take-over", headers=headers)
        assert taken.status_code == 404
        assert taken.json()["detail"]["error_code"] == "conversation_not_found"
        # without the token, a change is refused before anything is done
        forged = await b.post(f"/inbox/{conversation}/take-over", headers={"HX-Request": "true"})
        assert forged.status_code == 403
        assert forged.json()["detail"]["error_code"] == "csrf_failed"
    owner_row = admin.execute(
        "select owner from conversations where id = %s", (conversation,)
    ).fetchone()
    assert owner_row["owner"] == "bot", "B changed nothing in A's workspace"


def _page_csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([0-9a-f]+)"', html)
    assert found, "the page carries its CSRF token"
    return found.group(1)
