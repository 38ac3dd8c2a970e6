from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.auth.email import EmailAddress

Role = Literal["owner", "manager", "agent"]


class WorkspaceCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"name": "Bella's Bakery"}]}
    )

    name: str = Field(min_length=1, max_length=200)


class WorkspaceOut(BaseModel):
    id: UUID
    name: str
    timezone: str
    created_at: datetime
    role: Role


class MemberOut(BaseModel):
    user_id: UUID
    email: str | None
    role: Role
    created_at: datetime


class WorkspaceDetail(WorkspaceOut):
    members: list[MemberOut]


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
