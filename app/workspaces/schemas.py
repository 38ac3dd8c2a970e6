from __future__ import annotations

import zoneinfo
from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic.json_schema import SkipJsonSchema

from app.auth.email import EmailAddress

Role = Literal["owner", "manager", "agent"]


def iana_timezone(value: str) -> str:
    """A time zone by its IANA name (business hours, the calendar and analytics use it)."""
    if value not in ZONES:
        raise ValueError(f"{value!r} is not an IANA time zone name, e.g. Europe/Madrid or UTC")
    return value


ZONES = sorted(zoneinfo.available_timezones())
# the schema lists the names, so a client (or a fuzzer) knows exactly what is accepted
TimeZoneName = Annotated[
    str,
    Field(examples=["Europe/Madrid"], json_schema_extra={"enum": ZONES}),
    AfterValidator(iana_timezone),
]


def _no_nulls(data: Any) -> Any:
    if isinstance(data, dict) and any(v is None for v in data.values()):
        raise ValueError("null is not a value here: leave the field out to keep it")
    return data


class WorkspaceCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"name": "Bella's Bakery", "timezone": "Europe/Madrid"}]},
    )

    name: str = Field(min_length=1, max_length=200)
    timezone: TimeZoneName | SkipJsonSchema[None] = None

    _refuse_nulls = model_validator(mode="before")(_no_nulls)


class WorkspaceUpdate(BaseModel):
    """Rename the workspace or set its time zone (owners)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"name": "Bella's Bakery & Café", "timezone": "Europe/Lisbon"}],
            "minProperties": 1,
        },
    )

    name: Annotated[str, Field(min_length=1, max_length=200)] | SkipJsonSchema[None] = None
    timezone: TimeZoneName | SkipJsonSchema[None] = None

    _refuse_nulls = model_validator(mode="before")(_no_nulls)

    @model_validator(mode="after")
    def _something_to_change(self) -> WorkspaceUpdate:
        if self.name is None and self.timezone is None:
            raise ValueError("give a name, a timezone or both")
        return self


class WorkspaceOut(BaseModel):
    id: UUID
    name: str
    timezone: str
    created_at: datetime
    role: Role
    is_default: bool = Field(
        default=False, description="used when a request names no X-Workspace-Id"
    )


class MemberOut(BaseModel):
    user_id: UUID
    email: str | None
    role: Role
    created_at: datetime


class WorkspaceDetail(WorkspaceOut):
    members: list[MemberOut]

    def as_workspace(self) -> WorkspaceOut:
        return WorkspaceOut(**self.model_dump(exclude={"members"}))


class MemberInvite(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            # one of the two names the person (the validator below says the same)
            "anyOf": [
                {"required": ["email"], "properties": {"email": {"type": "string"}}},
                {"required": ["user_id"], "properties": {"user_id": {"type": "string"}}},
            ],
            "examples": [{"email": "sam@bellas-bakery.com", "role": "agent"}],
        },
    )

    email: EmailAddress | None = None
    user_id: UUID | None = None
    role: Role = "agent"

    @model_validator(mode="after")
    def _one_of(self) -> MemberInvite:
        if self.email is None and self.user_id is None:
            raise ValueError("give the email (or user_id) of the person to add")
        return self


class MemberRoleUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"role": "manager"}]})

    role: Role


class InviteOut(BaseModel):
    """A pending invitation: the person joins by accepting it (signed in with this email)."""

    id: UUID
    email: str
    role: Role
    created_at: datetime
    expires_at: datetime
    status: Literal["pending", "accepted", "revoked", "expired"]
    emailed: bool | None = Field(
        default=None, description="whether the invitation was emailed (only when it is made)"
    )
    invite_url: str | None = Field(
        default=None,
        description="the link to pass on yourself, when no SMTP server is configured",
    )


class InviteAccept(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"token": "Hq0J3w-example-token"}]}
    )

    token: str = Field(min_length=8, max_length=200, pattern=r"^[A-Za-z0-9_\-]+$")
