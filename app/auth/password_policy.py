"""What a password must be: long enough, not one of the passwords everybody tries first, and
not the account's own email (NIST SP 800-63B's checks, without composition rules)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from app.errors import InvalidInput

_COMMON = Path(__file__).with_name("common_passwords.txt")


@cache
def _common() -> frozenset[str]:
    lines = _COMMON.read_text(encoding="utf-8").splitlines()
    return frozenset(
        line.strip().lower() for line in lines if line.strip() and not line.startswith("#")
    )


def check_password(password: str, *, email: str, min_length: int) -> None:
    if len(password) < min_length:
        raise InvalidInput(
            f"the password must have at least {min_length} characters", error_code="weak_password"
        )
    lowered = password.strip().lower()
    if lowered in _common() or len(set(lowered)) <= 2:
        raise InvalidInput(
            "this password is one of the most commonly used: choose another (a few unrelated "
            "words make a strong one)",
            error_code="weak_password",
        )
    if lowered in (email.lower(), email.lower().partition("@")[0]):
        raise InvalidInput("the password must not be the email address", error_code="weak_password")
