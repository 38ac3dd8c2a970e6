"""Webhook bodies in Meta's exact formats (see META.md, section 1), as the sandbox sends them."""

from __future__ import annotations

import time
from typing import Any


def instagram_dm(
    account: str, sender: str, mid: str, text: str | None, *, attachments: list[Any] | None = None
) -> dict[str, Any]:
    message: dict[str, Any] = {"mid": mid}
    if text is not None:
        message["text"] = text
    if attachments:
        message["attachments"] = attachments
    return {
        "object": "instagram",
        "entry": [
            {
                "id": account,
                "time": int(time.time()),
                "messaging": [
                    {
                        "sender": {"id": sender},
                        "recipient": {"id": account},
                        "timestamp": int(time.time() * 1000),
                        "message": message,
                    }
                ],
            }
        ],
    }


def instagram_echo(
    account: str, recipient: str, mid: str, text: str | None, metadata: str | None = None
) -> dict[str, Any]:
    message: dict[str, Any] = {"mid": mid, "is_echo": True}
    if text is not None:
        message["text"] = text
    if metadata:
        message["metadata"] = metadata
    return {
        "object": "instagram",
        "entry": [
            {
                "id": account,
                "time": int(time.time()),
                "messaging": [
                    {
                        "sender": {"id": account},
                        "recipient": {"id": recipient},
                        "timestamp": int(time.time() * 1000),
                        "message": message,
                    }
                ],
            }
        ],
    }


def instagram_comment(
    account: str,
    sender: str,
    username: str,
    comment_id: str,
    text: str,
    media_id: str,
    parent_id: str | None = None,
) -> dict[str, Any]:
    value: dict[str, Any] = {
        "id": comment_id,
        "from": {"id": sender, "username": username},
        "text": text,
        "media": {"id": media_id, "media_product_type": "FEED"},
    }
    if parent_id:
        value["parent_id"] = parent_id
    return {
        "object": "instagram",
        "entry": [
            {
                "id": account,
                "time": int(time.time()),
                "changes": [{"field": "comments", "value": value}],
            }
        ],
    }


def whatsapp_message(
    phone_number_id: str, sender: str, name: str, wamid: str, text: str
) -> dict[str, Any]:
    """A customer's text. A sender with a dot is a business-scoped user id (BSUID): a customer
    who does not share their number, sent as Meta does since 2026 (`contacts[].user_id`, no
    `from`)."""
    hidden = "." in sender
    contact = {"profile": {"name": name}, "user_id" if hidden else "wa_id": sender}
    message: dict[str, Any] = {
        "id": wamid,
        "timestamp": str(int(time.time())),
        "type": "text",
        "text": {"body": text},
    }
    if not hidden:
        message["from"] = sender
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "200000000000001",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": "15550100",
                                "phone_number_id": phone_number_id,
                            },
                            "contacts": [contact],
                            "messages": [message],
                        },
                    }
                ],
            }
        ],
    }


def whatsapp_status(
    phone_number_id: str, recipient: str, wamid: str, status: str
) -> dict[str, Any]:
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "200000000000001",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": "15550100",
                                "phone_number_id": phone_number_id,
                            },
                            "statuses": [
                                {
                                    "id": wamid,
                                    "status": status,
                                    "timestamp": str(int(time.time())),
                                    "recipient_id": recipient,
                                }
                            ],
                        },
                    }
                ],
            }
        ],
    }
