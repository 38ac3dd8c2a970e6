"""Email addresses as users type them. Special-use domains (`demo@socialsync.local`,
`staff@shop.test`) are allowed: self-hosted installs often run on private networks, and an
address is confirmed by what is sent to it, not by its domain's name."""

from __future__ import annotations

from typing import Annotated

import email_validator
from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, Field

# email-validator documents editing this list as the way to accept special-use domains.
email_validator.SPECIAL_USE_DOMAIN_NAMES.clear()


def _normalize(value: str) -> str:
    try:
        return validate_email(
            value, check_deliverability=False, globally_deliverable=False
        ).normalized
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from exc


EmailAddress = Annotated[
    str,
    Field(min_length=3, max_length=320, json_schema_extra={"format": "email"}),
    AfterValidator(_normalize),
]
