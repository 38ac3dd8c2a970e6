"""Meta webhook bodies -> NormalizedEvent, one per update.

One POST may batch many entries, each with many updates: every update becomes an event. What we
do not recognise becomes an UNKNOWN event (stored and logged, never dropped, never a crash)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import Any

from app.logging import get_logger
from app.platforms.meta.events import (
    EventKind,
    NormalizedEvent,
    Platform,
    comment_key,
    from_millis,
    from_seconds,
    message_key,
)

log = get_logger("meta.parse")

Item = dict[str, Any]


class PayloadError(ValueError):
    """The body is JSON but not a Meta webhook at all."""


def _digest(value: Any) -> str:
    return hashlib.sha256(
        json.dumps(value, sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()[:32]


def _unknown(platform: Platform, account: str, item: Any, where: str) -> NormalizedEvent:
    log.warning("unknown webhook update", platform=platform.value, where=where)
    raw = item if isinstance(item, dict) else {"value": item}
    return NormalizedEvent(
        platform=platform,
        kind=EventKind.UNKNOWN,
        account_external_id=account,
        dedupe_key=f"{platform.value}:unknown:{account}:{_digest(item)}",
        occurred_at=None,
        data={"where": where},
        raw=raw,
    )


def _str_id(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


# ---------------------------------------------------------------- Instagram: entry[].messaging[]


def _ig_message(account: str, item: Item) -> NormalizedEvent:
    message = item["message"]
    mid = str(message["mid"])
    sender, recipient = (
        _str_id(item.get("sender", {}).get("id")),
        _str_id(item.get("recipient", {}).get("id")),
    )
    data: dict[str, Any] = {}
    for flag in ("is_echo", "is_self", "is_unsupported", "is_deleted"):
        if message.get(flag):
            data[flag] = True
    if "quick_reply" in message:
        data["quick_reply_payload"] = message["quick_reply"].get("payload")
    if "reply_to" in message:
        data["reply_to"] = message["reply_to"]
    if "referral" in message:
        data["referral"] = message["referral"]
    if message.get("metadata"):
        # what we attach to messages we send comes back on their echo
        data["metadata"] = message["metadata"]
    if message.get("is_deleted"):
        kind = EventKind.IG_MESSAGE_DELETED
    elif message.get("is_echo"):
        kind = EventKind.IG_ECHO
    else:
        kind = EventKind.IG_MESSAGE
    # For an echo, Meta's sender is our account and the customer is the recipient
    customer = recipient if kind == EventKind.IG_ECHO else sender
    prefix = {"ig_echo": "echo", "ig_message_deleted": "deleted"}.get(kind.value)
    return NormalizedEvent(
        platform=Platform.INSTAGRAM,
        kind=kind,
        account_external_id=account,
        dedupe_key=f"ig:{prefix}:{mid}" if prefix else message_key(mid),
        occurred_at=from_millis(item.get("timestamp")),
        sender_id=customer,
        platform_id=mid,
        text=message.get("text"),
        attachments=tuple(message.get("attachments") or ()),
        data=data,
        raw=item,
    )


def _ig_reaction(account: str, item: Item) -> NormalizedEvent:
    reaction = item["reaction"]
    mid = str(reaction.get("mid"))
    action = reaction.get("action", "react")
    return NormalizedEvent(
        platform=Platform.INSTAGRAM,
        kind=EventKind.IG_REACTION,
        account_external_id=account,
        dedupe_key=f"ig:reaction:{mid}:{action}:{reaction.get('reaction')}:{item.get('timestamp')}",
        occurred_at=from_millis(item.get("timestamp")),
        sender_id=_str_id(item.get("sender", {}).get("id")),
        platform_id=mid,
        data={
            "action": action,
            "reaction": reaction.get("reaction"),
            "emoji": reaction.get("emoji"),
        },
        raw=item,
    )


def _ig_read(account: str, item: Item) -> NormalizedEvent:
    mid = str(item["read"].get("mid"))
    return NormalizedEvent(
        platform=Platform.INSTAGRAM,
        kind=EventKind.IG_READ,
        account_external_id=account,
        dedupe_key=f"ig:read:{mid}",
        occurred_at=from_millis(item.get("timestamp")),
        sender_id=_str_id(item.get("sender", {}).get("id")),
        platform_id=mid,
        raw=item,
    )


def _ig_postback(account: str, item: Item) -> NormalizedEvent:
    postback = item["postback"]
    mid = str(postback.get("mid"))
    return NormalizedEvent(
        platform=Platform.INSTAGRAM,
        kind=EventKind.IG_POSTBACK,
        account_external_id=account,
        dedupe_key=f"ig:postback:{mid}",
        occurred_at=from_millis(item.get("timestamp")),
        sender_id=_str_id(item.get("sender", {}).get("id")),
        platform_id=mid,
        text=postback.get("title"),
        data={"payload": postback.get("payload")},
        raw=item,
    )


def _ig_referral(account: str, item: Item) -> NormalizedEvent:
    sender = _str_id(item.get("sender", {}).get("id"))
    return NormalizedEvent(
        platform=Platform.INSTAGRAM,
        kind=EventKind.IG_REFERRAL,
        account_external_id=account,
        dedupe_key=f"ig:referral:{sender}:{item.get('timestamp')}:{_digest(item['referral'])}",
        occurred_at=from_millis(item.get("timestamp")),
        sender_id=sender,
        data={"referral": item["referral"]},
        raw=item,
    )


def _ig_edit(account: str, item: Item) -> NormalizedEvent:
    edit = item["message_edit"]
    mid = str(edit.get("mid"))
    return NormalizedEvent(
        platform=Platform.INSTAGRAM,
        kind=EventKind.IG_MESSAGE_EDIT,
        account_external_id=account,
        dedupe_key=f"ig:edit:{mid}:{edit.get('num_edit')}",
        occurred_at=from_millis(item.get("timestamp")),
        sender_id=_str_id(item.get("sender", {}).get("id")),
        platform_id=mid,
        text=edit.get("text"),
        data={"num_edit": edit.get("num_edit")},
        raw=item,
    )


# The first key present in a messaging item decides its parser.
_IG_MESSAGING_PARSERS: dict[str, Callable[[str, Item], NormalizedEvent]] = {
    "message": _ig_message,
    "reaction": _ig_reaction,
    "read": _ig_read,
    "postback": _ig_postback,
    "message_edit": _ig_edit,
    "referral": _ig_referral,
}


def _messaging_parser(item: Any) -> Callable[[str, Item], NormalizedEvent] | None:
    if not isinstance(item, dict):
        return None
    return next((p for key, p in _IG_MESSAGING_PARSERS.items() if key in item), None)


# ---------------------------------------------------------------- Instagram: entry[].changes[]


def _ig_comment(account: str, value: Item) -> NormalizedEvent:
    comment_id = str(value["id"])
    sender = value.get("from") or {}
    media = value.get("media") or {}
    data: dict[str, Any] = {
        "media_id": _str_id(media.get("id")),
        "media_product_type": media.get("media_product_type"),
        "parent_id": _str_id(value.get("parent_id")),
        "username": sender.get("username"),
        # our own comments and replies come back too; they must never be answered
        "is_self": _str_id(sender.get("id")) == account,
    }
    if "ad_id" in value:
        data["ad_id"] = value["ad_id"]
    return NormalizedEvent(
        platform=Platform.INSTAGRAM,
        kind=EventKind.IG_COMMENT,
        account_external_id=account,
        dedupe_key=comment_key(comment_id),
        occurred_at=None,
        sender_id=_str_id(sender.get("id")),
        platform_id=comment_id,
        text=value.get("text"),
        data=data,
        raw=value,
    )


def _ig_mention(account: str, value: Item) -> NormalizedEvent:
    target = _str_id(value.get("comment_id")) or _str_id(value.get("media_id"))
    return NormalizedEvent(
        platform=Platform.INSTAGRAM,
        kind=EventKind.IG_MENTION,
        account_external_id=account,
        dedupe_key=f"ig:mention:{target}",
        occurred_at=None,
        platform_id=target,
        data={
            "media_id": _str_id(value.get("media_id")),
            "comment_id": _str_id(value.get("comment_id")),
        },
        raw=value,
    )


_IG_CHANGE_PARSERS: dict[str, Callable[[str, Item], NormalizedEvent]] = {
    "comments": _ig_comment,
    "live_comments": _ig_comment,
    "mentions": _ig_mention,
}


def _parse_instagram(body: dict[str, Any]) -> list[NormalizedEvent]:
    events: list[NormalizedEvent] = []
    for entry in body.get("entry") or []:
        if not isinstance(entry, dict):
            events.append(_unknown(Platform.INSTAGRAM, "", entry, "entry"))
            continue
        account = str(entry.get("id", ""))
        entry_time = from_seconds(entry.get("time")) or from_millis(entry.get("time"))
        for item in [*(entry.get("messaging") or []), *(entry.get("standby") or [])]:
            parser = _messaging_parser(item)
            events.append(_safely(Platform.INSTAGRAM, parser, account, item, "messaging"))
        for change in entry.get("changes") or []:
            field = change.get("field") if isinstance(change, dict) else None
            value = change.get("value") if isinstance(change, dict) else None
            parser = _IG_CHANGE_PARSERS.get(str(field))
            if parser is None and isinstance(value, dict) and "sender" in value:
                # the app dashboard's "Test" button sends a messaging item as a change
                # (field "messages", "messaging_postbacks", ...): the same update as a DM
                parser = _messaging_parser(value)
            event = _safely(
                Platform.INSTAGRAM,
                parser,
                account,
                value if parser else change,
                f"changes.{field}",
            )
            if event.occurred_at is None and entry_time is not None:
                event = _with_time(event, entry_time)
            events.append(event)
    return events


# ---------------------------------------------------------------- WhatsApp


def _wa_text(message: Item) -> str | None:
    kind = message.get("type")
    part = message.get(kind) if isinstance(kind, str) else None
    if kind == "text":
        return (part or {}).get("body")
    if kind in ("image", "video", "document", "sticker", "audio"):
        return (part or {}).get("caption")
    if kind == "interactive" and isinstance(part, dict):
        reply = part.get("button_reply") or part.get("list_reply") or {}
        return reply.get("title")
    if kind == "button":
        return (part or {}).get("text")
    if kind == "location" and isinstance(part, dict):
        return ", ".join(str(part[k]) for k in ("name", "address") if part.get(k)) or None
    if kind == "reaction":
        return (part or {}).get("emoji")
    return None


def _wa_sender(message: Item, contacts: list[Item]) -> tuple[str | None, Item]:
    """Who wrote: the phone number (`from`, wa_id) when the customer shares it, else the
    business-scoped user id (BSUID) Meta sends instead; and their `contacts[]` entry."""
    sender = _str_id(message.get("from")) or _str_id(
        message.get("from_user_id") or message.get("user_id")
    )
    for contact in contacts:
        if sender is not None and sender in (
            _str_id(contact.get("wa_id")),
            _str_id(contact.get("user_id")),
        ):
            return sender, contact
    if sender is None and len(contacts) == 1:
        # no `from` at all: one contact in the change is who wrote
        contact = contacts[0]
        return _str_id(contact.get("wa_id")) or _str_id(contact.get("user_id")), contact
    return sender, {}


def _wa_echo(phone_id: str, echo: Item) -> NormalizedEvent:
    """What the business typed in the WhatsApp Business app (coexistence): `to` is the
    customer. Our own Cloud API sends never come back this way."""
    wamid = str(echo["id"])
    text = echo.get("text")
    return NormalizedEvent(
        platform=Platform.WHATSAPP,
        kind=EventKind.WA_ECHO,
        account_external_id=phone_id,
        dedupe_key=f"wa:echo:{wamid}",
        occurred_at=from_seconds(echo.get("timestamp")),
        sender_id=_str_id(echo.get("to")),
        platform_id=wamid,
        text=text.get("body") if isinstance(text, dict) else None,
        data={"type": echo.get("type")},
        raw=echo,
    )


def _wa_message(phone_id: str, message: Item, contacts: list[Item]) -> NormalizedEvent:
    wamid = str(message["id"])
    kind = message.get("type", "unknown")
    media = (
        message.get(kind) if kind in ("image", "video", "document", "sticker", "audio") else None
    )
    sender, contact = _wa_sender(message, contacts)
    profile = contact.get("profile")
    if not isinstance(profile, dict):
        profile = {}
    data: dict[str, Any] = {
        "message_type": kind,
        "profile_name": profile.get("name"),
        "username": profile.get("username"),
        "bsuid": _str_id(contact.get("user_id")),
    }
    for key in ("context", "referral", "interactive", "button", "location", "contacts", "reaction"):
        if key in message:
            data[key] = message[key]
    return NormalizedEvent(
        platform=Platform.WHATSAPP,
        kind=EventKind.WA_MESSAGE,
        account_external_id=phone_id,
        dedupe_key=f"wa:msg:{wamid}",
        occurred_at=from_seconds(message.get("timestamp")),
        sender_id=sender,
        platform_id=wamid,
        text=_wa_text(message),
        attachments=({"type": kind, **media},) if isinstance(media, dict) else (),
        data=data,
        raw=message,
    )


def _wa_status(phone_id: str, status: Item) -> NormalizedEvent:
    wamid = str(status["id"])
    state = str(status.get("status"))
    return NormalizedEvent(
        platform=Platform.WHATSAPP,
        kind=EventKind.WA_STATUS,
        account_external_id=phone_id,
        dedupe_key=f"wa:status:{wamid}:{state}",
        occurred_at=from_seconds(status.get("timestamp")),
        sender_id=_str_id(status.get("recipient_id") or status.get("recipient_user_id")),
        platform_id=wamid,
        data={
            "status": state,
            "errors": status.get("errors") or [],
            "pricing": status.get("pricing"),
        },
        raw=status,
    )


def _parse_whatsapp(body: dict[str, Any]) -> list[NormalizedEvent]:
    events: list[NormalizedEvent] = []
    for entry in body.get("entry") or []:
        for change in (entry.get("changes") if isinstance(entry, dict) else None) or []:
            value = change.get("value") if isinstance(change, dict) else None
            metadata = value.get("metadata") if isinstance(value, dict) else None
            phone_id = str(
                (metadata if isinstance(metadata, dict) else {}).get("phone_number_id", "")
            )
            if isinstance(value, dict) and change.get("field") == "smb_message_echoes":
                for echo in value.get("message_echoes") or []:
                    events.append(
                        _safely(Platform.WHATSAPP, _wa_echo, phone_id, echo, "message_echoes")
                    )
                if not value.get("message_echoes"):
                    events.append(_unknown(Platform.WHATSAPP, phone_id, value, "value"))
                continue
            if not isinstance(value, dict) or change.get("field") != "messages":
                # smb_message_echoes, calls, user_preferences, ... are kept with the number
                # they concern, so they belong to its workspace rather than to nobody
                events.append(
                    _unknown(
                        Platform.WHATSAPP,
                        phone_id,
                        change,
                        f"changes.{change.get('field') if isinstance(change, dict) else None}",
                    )
                )
                continue
            contacts = [c for c in value.get("contacts") or [] if isinstance(c, dict)]
            for message in value.get("messages") or []:
                events.append(
                    _safely(
                        Platform.WHATSAPP,
                        partial(_wa_message, contacts=contacts),
                        phone_id,
                        message,
                        "messages",
                    )
                )
            for status in value.get("statuses") or []:
                events.append(_safely(Platform.WHATSAPP, _wa_status, phone_id, status, "statuses"))
            if not value.get("messages") and not value.get("statuses"):
                events.append(_unknown(Platform.WHATSAPP, phone_id, value, "value"))
    return events


# ---------------------------------------------------------------- entry point


def _safely(
    platform: Platform,
    parser: Callable[[str, Item], NormalizedEvent] | None,
    account: str,
    item: Any,
    where: str,
) -> NormalizedEvent:
    if parser is None or not isinstance(item, dict):
        return _unknown(platform, account, item, where)
    try:
        return parser(account, item)
    except (KeyError, TypeError, AttributeError, ValueError):
        return _unknown(platform, account, item, where)


def _with_time(event: NormalizedEvent, when: Any) -> NormalizedEvent:
    return replace(event, occurred_at=when)


EXPECTED_OBJECT = {
    Platform.INSTAGRAM: ("instagram", "page"),
    Platform.WHATSAPP: ("whatsapp_business_account",),
}


def parse_webhook(platform: Platform, body: Any) -> list[NormalizedEvent]:
    if not isinstance(body, dict) or not isinstance(body.get("entry", []), list):
        raise PayloadError("a webhook body is an object with an 'entry' list")
    if body.get("object") not in EXPECTED_OBJECT[platform]:
        raise PayloadError(
            f"unexpected object {body.get('object')!r} for {platform.value} webhooks"
        )
    return _parse_instagram(body) if platform == Platform.INSTAGRAM else _parse_whatsapp(body)
