"""WhatsApp Cloud API calls: text, media, interactive and template messages, mark as read."""

from __future__ import annotations

from typing import Any

from app.config import Settings
from app.platforms.meta.budget import Rate
from app.platforms.meta.graph_api import GraphAPI


def international(number: str) -> str:
    """Meta asks for '+' and the country code on every recipient."""
    digits = "".join(ch for ch in number if ch.isdigit())
    return f"+{digits}"


def is_bsuid(recipient: str) -> bool:
    """A business-scoped user id (`US.13491208655302741918`, `US.ENT.…`), which Meta sends in
    place of the phone number when the customer does not share it; a wa_id is digits only."""
    return "." in recipient and not recipient.replace("+", "").isdigit()


def addressed_to(recipient: str) -> dict[str, str]:
    """A phone number goes in `to`; a business-scoped user id in `recipient` (Meta's 2026
    change: messages from customers who hide their number carry only the BSUID)."""
    if is_bsuid(recipient):
        return {"recipient": recipient}
    return {"to": international(recipient)}


class WhatsAppClient:
    def __init__(self, graph: GraphAPI, settings: Settings) -> None:
        self.graph = graph
        self.phone_number_id = graph.account_id
        self._send = Rate(settings.whatsapp_send_per_s, max(1, int(settings.whatsapp_send_per_s)))

    async def _send_message(self, to: str, kind: str, content: dict[str, Any]) -> str:
        body = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            **addressed_to(to),
            "type": kind,
            kind: content,
        }
        result = await self.graph.request(
            "POST",
            f"{self.phone_number_id}/messages",
            json=body,
            bucket="send",
            rate=self._send,
            sends=True,
        )
        return str(result["messages"][0]["id"])

    async def send_text(self, to: str, body: str, *, preview_url: bool = True) -> str:
        return await self._send_message(to, "text", {"preview_url": preview_url, "body": body})

    async def send_media(self, to: str, kind: str, link: str, *, caption: str | None = None) -> str:
        content: dict[str, Any] = {"link": link}
        if caption and kind in ("image", "video", "document"):
            content["caption"] = caption
        return await self._send_message(to, kind, content)

    async def send_interactive(self, to: str, interactive: dict[str, Any]) -> str:
        return await self._send_message(to, "interactive", interactive)

    async def send_template(
        self,
        to: str,
        name: str,
        language: str = "en_US",
        components: list[dict[str, Any]] | None = None,
    ) -> str:
        template: dict[str, Any] = {"name": name, "language": {"code": language}}
        if components:
            template["components"] = components
        return await self._send_message(to, "template", template)

    async def mark_read(self, message_id: str, *, typing: bool = False) -> None:
        body: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "status": "read",
            "message_id": message_id,
        }
        if typing:
            body["typing_indicator"] = {"type": "text"}
        await self.graph.request(
            "POST", f"{self.phone_number_id}/messages", json=body, bucket="send", rate=self._send
        )

    # --- onboarding: checking a number and subscribing its WABA (META-CONNECT.md §3)

    PHONE_FIELDS = (
        "display_phone_number,verified_name,quality_rating,code_verification_status,"
        "name_status,platform_type,throughput,status"
    )

    async def phone_number_profile(self) -> dict[str, Any]:
        return await self.graph.request(
            "GET", self.phone_number_id, params={"fields": self.PHONE_FIELDS}
        )

    async def waba_phone_numbers(self, waba_id: str) -> list[dict[str, Any]]:
        result = await self.graph.request("GET", f"{waba_id}/phone_numbers")
        return list(result.get("data") or [])

    async def subscribe_waba(self, waba_id: str) -> None:
        await self.graph.request("POST", f"{waba_id}/subscribed_apps")

    async def unsubscribe_waba(self, waba_id: str) -> None:
        await self.graph.request("DELETE", f"{waba_id}/subscribed_apps")
