from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from app.auth.email import EmailAddress


class Credentials(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"email": "owner@bellas-bakery.com", "password": "correct horse battery"}]
        },
    )

    email: EmailAddress
    password: str = Field(min_length=8, max_length=256)


class RefreshRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"refresh_token": "rt_3q2-example"}]}
    )

    refresh_token: str = Field(min_length=1, max_length=4096)


class UserOut(BaseModel):
    id: UUID
    email: str | None


class TokenOut(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int
    user: UserOut


class PasswordResetRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"email": "owner@bellas-bakery.com"}]}
    )

    email: EmailAddress


class PasswordResetConfirm(BaseModel):
    """`token` is the one in the emailed link (`/reset-password?token=...`)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"token": "eyJhbGciOiJIUzI1NiJ9.example", "password": "new horse battery"}]
        },
    )

    token: str = Field(min_length=1, max_length=4096)
    password: str = Field(min_length=8, max_length=256)
