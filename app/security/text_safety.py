"""Characters PostgreSQL cannot store: U+0000 (in text and jsonb) and unpaired UTF-16
surrogates (not valid UTF-8 at all). JSON can carry both as escapes (`\\u0000`, `\\ud800`).

Text from customers (webhooks) is kept without NULs. From staff (the API) a NUL is refused with
a clear error (`app.middleware.UnstorableTextMiddleware`). An unpaired surrogate, which
RFC 8259 leaves to the receiver and I-JSON forbids, becomes U+FFFD everywhere, as most JSON
decoders do."""

from __future__ import annotations

import re
from typing import Any

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# the escapes that can decode to such characters; a body without them cannot hold any
_ESCAPES = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")


def may_hold_unstorable(raw: bytes) -> bool:
    """Cheap screen over a raw JSON body before walking the decoded value."""
    return b"\x00" in raw or _ESCAPES.search(raw) is not None


def _clean(text: str) -> str:
    return _UNSTORABLE.sub(lambda m: "" if m.group() == "\x00" else "\ufffd", text)


def scrub(value: Any) -> Any:
    """The value with NULs removed and unpaired surrogates replaced by U+FFFD."""
    if isinstance(value, str):
        return _clean(value) if _UNSTORABLE.search(value) else value
    if isinstance(value, dict):
        return {scrub(k): scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    return value


def holds_unstorable(value: Any) -> bool:
    if isinstance(value, str):
        return _UNSTORABLE.search(value) is not None
    if isinstance(value, dict):
        return any(holds_unstorable(k) or holds_unstorable(v) for k, v in value.items())
    if isinstance(value, list):
        return any(holds_unstorable(v) for v in value)
    return False


def holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(holds_nul(k) or holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(holds_nul(v) for v in value)
    return False
