"""Meta-format fixtures and signing, as Meta sends them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from app.platforms.meta.signature import sign

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "meta"


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def meta_bytes(payload: dict[str, Any]) -> bytes:
    """Meta's wire form: compact, non-ASCII escaped as \\uXXXX."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=True).encode()


def signed_headers(body: bytes, secret: str) -> dict[str, str]:
    return {"Content-Type": "application/json", "X-Hub-Signature-256": sign(body, secret)}


FIXTURE_IG_ACCOUNT = "17841400000000001"
FIXTURE_WA_PHONE = "100000000000001"
FIXTURE_WABA = "200000000000001"


def personalize(payload: Any, account: str, suffix: str) -> Any:
    """The fixture as received by `account`, with its message and comment ids made unique so
    tests do not deduplicate against each other."""
    accounts = {FIXTURE_IG_ACCOUNT, FIXTURE_WA_PHONE}

    def walk(value: Any, key: str | None = None) -> Any:
        if isinstance(value, dict):
            return {k: walk(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, key) for v in value]
        if isinstance(value, str):
            if value in accounts:
                return account
            if (
                key in ("mid", "id", "comment_id", "media_id", "parent_id", "message_id")
                and value != FIXTURE_WABA
            ):
                return f"{value}-{suffix}"
        return value

    return walk(payload)
