"""Graph API errors as classes, by Meta's error code, each knowing whether to retry."""

from __future__ import annotations

from typing import Any

THROTTLING_CODES = frozenset(
    {4, 17, 32, 613, 80001, 80002, 80003, 80004, 80005, 80006, 80008, 130429, 131056}
)
TRANSIENT_CODES = frozenset({1, 2, 131057})
OUTSIDE_WINDOW = frozenset({(10, 2534022), (131047, None)})
# 190 and 102: invalid, expired or revoked; 0: WhatsApp's AuthException (META-CONNECT.md §5)
TOKEN_CODES = frozenset({190, 102, 0})


class GraphAPIError(Exception):
    transient = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: int | None = None,
        subcode: int | None = None,
        retry_after_s: float | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.subcode = subcode
        self.retry_after_s = retry_after_s
        self.details = details or {}

    def __str__(self) -> str:
        return f"{type(self).__name__}(status={self.status}, code={self.code}, subcode={self.subcode}): {self.message}"


class TransientError(GraphAPIError):
    """5xx, timeouts, connection failures, Meta's 'temporary' codes: retry with backoff."""

    transient = True


class UnknownOutcome(TransientError):
    """The request may have reached Meta (timeout after sending): a send must be reconciled
    before it is retried, or the customer could get the message twice."""


class ThrottledError(GraphAPIError):
    """Rate limited: stop calling (more calls extend the block) and retry after the wait."""

    transient = True


class OutsideWindowError(GraphAPIError):
    """Instagram 10/2534022 or WhatsApp 131047: the messaging window is closed."""


class TokenExpiredError(GraphAPIError):
    """190, 102 or WhatsApp 0: Meta refused the access token (expired, revoked or invalid).
    Whether the account must be reconnected is token_health's call: one refusal may be a
    glitch on Meta's side."""


class PermanentError(GraphAPIError):
    """A request Meta will never accept as it is (bad parameter, missing permission)."""


def classify(
    status: int, body: Any, headers: dict[str, str], retry_after_s: float | None
) -> GraphAPIError:
    error = body.get("error", {}) if isinstance(body, dict) else {}
    code = error.get("code") if isinstance(error.get("code"), int) else None
    subcode = error.get("error_subcode") if isinstance(error.get("error_subcode"), int) else None
    message = str(error.get("message") or f"HTTP {status}")
    kwargs: dict[str, Any] = {
        "status": status,
        "code": code,
        "subcode": subcode,
        "retry_after_s": retry_after_s,
        "details": {"type": error.get("type"), "fbtrace_id": error.get("fbtrace_id")},
    }
    if code in THROTTLING_CODES or status == 429:
        return ThrottledError(message, **kwargs)
    if (code, subcode) in OUTSIDE_WINDOW or (code, None) in OUTSIDE_WINDOW:
        return OutsideWindowError(message, **kwargs)
    if code in TOKEN_CODES:
        return TokenExpiredError(message, **kwargs)
    if status >= 500 or code in TRANSIENT_CODES or error.get("is_transient"):
        return TransientError(message, **kwargs)
    return PermanentError(message, **kwargs)
