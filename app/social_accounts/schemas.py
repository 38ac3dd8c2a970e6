from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel


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
