"""Email addresses as users type them. Local domains (`demo@socialsync.local`) are allowed:
self-hosted installs often run on private networks."""

from __future__ import annotations

from typing import Annotated

import email_validator
from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator

# email-validator documents editing this list as the way to accept special-use domains.
if "local" in email_validator.SPECIAL_USE_DOMAIN_NAMES:
    email_validator.SPECIAL_USE_DOMAIN_NAMES.remove("local")


def _normalize(value: str) -> str:
    try:
        return validate_email(
            value, check_deliverability=False, globally_deliverable=False
        ).normalized
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from exc


EmailAddress = Annotated[str, AfterValidator(_normalize)]
