"""A real SMTP server on this machine (aiosmtpd) and the API configured to send through it:
what the business's mail server would receive."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from email import message_from_bytes
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller

from tests.support.servers import free_port


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"

    def to(self, address: str) -> list[Any]:
        return [m for m in self.messages if m["To"] == address]


@pytest.fixture(scope="module")
def inbox() -> Any:
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield handler, controller.port
    controller.stop()


@pytest.fixture(scope="module")
async def mail_client(settings: Any, inbox: Any) -> AsyncIterator[httpx.AsyncClient]:
    """The API with SMTP configured (the business's mail server)."""
    from app.main import create_app

    _, port = inbox
    app = create_app(
        settings.model_copy(
            update={"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_security": "none"}
        )
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


async def wait_for_mail(handler: Inbox, address: str) -> Any:
    for _ in range(100):
        if found := handler.to(address):
            return found[-1]
        await asyncio.sleep(0.05)
    raise AssertionError(f"no email to {address}")
