"""Rules that run before and after the model: the workspace's own lists and limits, and the
checks that stop a reply from leaking the prompt, inventing facts or exposing other people."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from app.agent.ai_settings import AiSettings
from app.agent.decisions import Action
from app.agent.spam import is_spam

_TAG = re.compile(r"^[@#][\w.]+$")
_URL = re.compile(r"https?://[^\s)>\]]+|www\.[^\s)>\]]+", re.IGNORECASE)
_PRICE = re.compile(
    r"(?:[€$£]\s?\d+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?\s?(?:€|eur(?:os?)?\b|usd\b|dollars?\b|gbp\b|£|\$))",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_PHONE = re.compile(r"\+?\d[\d\s().-]{7,}\d")
_LEAK_MARKERS = (
    "my instructions",
    "system prompt",
    "i was instructed",
    "my prompt",
    "rules you always follow",
)


@dataclass(frozen=True)
class Verdict:
    action: Action | None
    reason: str


def _has_phrase(text: str, phrase: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(phrase.lower())}(?!\w)", text.lower()) is not None


def _only_emoji_or_punctuation(text: str) -> bool:
    return bool(text.strip()) and not any(unicodedata.category(ch)[0] in "LN" for ch in text)


def within_business_hours(settings: AiSettings, now: datetime) -> bool:
    """`business_hours`: {"mon": ["09:00", "18:00"], ...}; a missing day is closed. A day
    that closes before it opens ("18:00", "02:00") runs past midnight into the next day; one
    that closes when it opens is open all day."""
    hours = settings.business_hours
    if not hours:
        return True
    local = now.astimezone(ZoneInfo(settings.timezone))
    days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    time_of_day = local.strftime("%H:%M")
    today = hours.get(days[local.weekday()])
    if today:
        opens, closes = str(today[0]), str(today[1])
        if opens == closes or opens <= time_of_day < closes:
            return True
        if opens > closes and time_of_day >= opens:
            return True
    yesterday = hours.get(days[(local.weekday() - 1) % 7])
    if yesterday:
        opens, closes = str(yesterday[0]), str(yesterday[1])
        if opens > closes and time_of_day < closes:
            return True
    return False


def check_inbound(
    settings: AiSettings, *, channel: str, text: str | None, has_attachments: bool, now: datetime
) -> Verdict:
    body = (text or "").strip()
    if not body:
        if has_attachments and channel != "instagram_comment":
            return Verdict(Action.ESCALATE, "the customer sent media without text")
        return Verdict(Action.IGNORE, "nothing to answer")
    rules = settings.ignore_rules or {}
    if rules.get("emoji_only") and _only_emoji_or_punctuation(body):
        return Verdict(Action.IGNORE, "emoji-only message")
    if rules.get("tags_only") and all(_TAG.match(word) for word in body.split()):
        return Verdict(Action.IGNORE, "only tags or mentions")
    if channel == "instagram_comment" and rules.get("spam", True) and (why := is_spam(body)):
        return Verdict(Action.HIDE, why)
    for phrase in settings.blocked_words:
        if phrase and _has_phrase(body, phrase):
            if channel == "instagram_comment":
                return Verdict(Action.HIDE, f"blocked phrase in comment: {phrase!r}")
            return Verdict(Action.ESCALATE, f"blocked phrase: {phrase!r}")
    for keyword in settings.escalation_keywords:
        if keyword and _has_phrase(body, keyword):
            return Verdict(Action.ESCALATE, f"escalation keyword: {keyword!r}")
    if not within_business_hours(settings, now) and settings.away_message:
        return Verdict(Action.RESPOND, "outside business hours: away message")
    return Verdict(None, "inbound checks passed")


def fit_length(reply: str, limit: int, *, utf8_bytes: bool) -> str | None:
    """Trim at a sentence boundary to fit; None when not even one sentence fits."""

    def size(value: str) -> int:
        return len(value.encode()) if utf8_bytes else len(value)

    if size(reply) <= limit:
        return reply
    sentences = re.split(r"(?<=[.!?])\s+", reply)
    kept = ""
    for sentence in sentences:
        candidate = f"{kept} {sentence}".strip()
        if size(candidate) > limit:
            break
        kept = candidate
    return kept or None


def check_outbound(
    settings: AiSettings,
    *,
    channel: str,
    reply: str,
    sources: list[str],
    system_prompt: str,
    conversation_text: str,
) -> tuple[str | None, list[str]]:
    """(the reply to send or None, the problems found). Problems mean: do not send, escalate."""
    problems: list[str] = []
    lowered = reply.lower()
    for phrase in settings.blocked_words:
        if phrase and _has_phrase(reply, phrase):
            problems.append(f"reply contains blocked phrase {phrase!r}")
    if any(marker in lowered for marker in _LEAK_MARKERS) or _shares_long_run(reply, system_prompt):
        problems.append("reply reveals the assistant's instructions")
    known = " ".join(sources).lower()
    for url in _URL.findall(reply):
        if url.lower().rstrip(".,") not in known:
            problems.append(f"link not in the knowledge base: {url}")
    for price in _PRICE.findall(reply):
        digits = re.sub(r"[^\d.,]", "", price).strip(".,")
        if digits and digits not in known:
            problems.append(f"price not in the knowledge base: {price.strip()}")
    allowed = known + " " + conversation_text.lower()
    for value in [*_EMAIL.findall(reply), *_PHONE.findall(reply)]:
        if value.lower() not in allowed:
            problems.append("reply mentions contact details that are not ours or the customer's")
    if problems:
        return None, problems
    fitted = fit_length(reply, settings.max_chars(channel), utf8_bytes=channel == "instagram_dm")
    if fitted is None:
        return None, ["reply is too long for the channel"]
    return fitted, []


def _shares_long_run(reply: str, prompt: str, run: int = 60) -> bool:
    if len(reply) < run:
        return False
    normalized = " ".join(prompt.lower().split())
    words = " ".join(reply.lower().split())
    return any(words[i : i + run] in normalized for i in range(0, len(words) - run + 1, 10))
