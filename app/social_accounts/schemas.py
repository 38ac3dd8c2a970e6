from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class TokenHealthOut(BaseModel):
    """`problem` is set when staff must act: `reconnect`, `act_on_platform` (a security check
    on Instagram or Facebook first), `reconnect_as_page_admin`, `deauthorized` (the app was
    removed on Meta's side), `expires_before_post` (the token ends before a queued post)."""

    problem: str | None = None
    advice: str | None = Field(default=None, description="What to do, in words for staff")
    reconnect_path: str | None = Field(
        default=None, description="Where to reconnect: POST it (Instagram returns a login link)"
    )
    last_error: str | None = Field(default=None, description="Meta's last refusal")
    failed_at: datetime | None = None


class SocialAccountOut(BaseModel):
    """Never carries the access token: only whether there is one and how healthy it is."""

    id: UUID
    platform: Literal["instagram", "whatsapp"]
    external_id: str
    display_name: str | None
    username: str | None
    token_status: str
    token_expires_at: datetime | None
    has_token: bool
    connected_at: datetime
    disconnected_at: datetime | None = None
    waba_id: str | None = None
    quality_rating: str | None = Field(
        default=None, description="WhatsApp: the number's quality rating when it was connected"
    )
    health: TokenHealthOut = Field(default_factory=TokenHealthOut)


class WhatsAppConnectIn(BaseModel):
    """A system-user token with whatsapp_business_management and whatsapp_business_messaging,
    the WhatsApp Business Account's id and the phone number's id (Meta's WhatsApp Manager or
    the API setup page shows both)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "waba_id": "102290129340398",
                    "phone_number_id": "106540352242922",
                    "access_token": "EAAGm0PX4ZCpsBAPexampletoken",
                }
            ]
        },
    )

    waba_id: str = Field(pattern=r"^[0-9]{1,30}$", examples=["102290129340398"])
    phone_number_id: str = Field(pattern=r"^[0-9]{1,30}$", examples=["106540352242922"])
    access_token: str = Field(min_length=10, max_length=2048, pattern=r"^[A-Za-z0-9._\-|]+$")


class EmbeddedSignupIn(BaseModel):
    """What Meta's Embedded Signup popup gives the browser on FINISH: `code`
    (`authResponse.code`, valid 30 seconds) and the shared `waba_id` and `phone_number_id`."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "code": "AQD3x-example-code",
                    "waba_id": "102290129340398",
                    "phone_number_id": "106540352242922",
                }
            ]
        },
    )

    code: str = Field(min_length=4, max_length=2048, pattern=r"^[A-Za-z0-9._\-#]+$")
    waba_id: str = Field(pattern=r"^[0-9]{1,30}$", examples=["102290129340398"])
    phone_number_id: str = Field(pattern=r"^[0-9]{1,30}$", examples=["106540352242922"])
