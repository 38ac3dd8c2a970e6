"""Comment spam that a business hides by default (ignore_rules "spam"): links to shorteners,
follower and like selling, "check my profile", giveaways that are not the shop's, crypto and
get-rich offers. Strong signals settle it alone; a link needs one weaker signal with it."""

from __future__ import annotations

import re

from app.agent.lexicon import fold

_STRONG = re.compile(
    r"\b(bit\.ly|tinyurl|t\.co/|goo\.gl|cutt\.ly|is\.gd|rebrand\.ly|linktr\.ee|shorturl)"
    r"|\bfree (followers|likes|views|subscribers)\b|\b(buy|get|gain)( \w+)?( real)? (followers|likes)\b"
    r"|\b(check|visit|see) (out )?(my|our) (profile|page|bio|account|story)\b|\blink in (my )?bio\b"
    r"|\b(crypto|bitcoin|btc|ethereum|usdt|forex|binary option|nft drop)\w*"
    r"|\b(earn|make) \$?\d+[\w,.]* (a|per) (day|week|hour)\b|\bwork from home\b"
    r"|\b(onlyfans|sugar daddy|cash ?app|dm me for (promo|collab|shoutout))\b"
    r"|\b(you (have )?won|claim your (prize|reward)|win a free)\b"
    r"|\b(promote|promotion|shoutout) (your|ur) (page|account|business)\b",
)
_LINK = re.compile(r"https?://|www\.|\b\w+\.(com|net|io|xyz|ru|top|click|link)\b")
_WEAK = re.compile(
    r"\b(free|giveaway|promo|discount code|dm me|follow me|follow back|f4f|l4l|invest\w*|"
    r"profit|income|money|cash|prize|winner|click|followers|likes)\b"
)


def is_spam(text: str) -> str | None:
    """Why the comment is spam, or None."""
    folded = fold(text)
    if match := _STRONG.search(folded):
        return f"spam ({match.group(0).strip()})"
    if _LINK.search(folded) and (weak := _WEAK.search(folded)):
        return f"spam (a link with {weak.group(0)!r})"
    return None
