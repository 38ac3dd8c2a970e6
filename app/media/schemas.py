from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field


class MediaOut(BaseModel):
    id: UUID
    kind: Literal["image", "video"]
    content_type: str
    size_bytes: int
    width: int | None
    height: int | None
    duration_s: float | None = Field(default=None, description="a video's length")
    filename: str | None
    public_url: str = Field(description="what Meta fetches when the post is published")
    thumbnail_url: str | None
    created_at: datetime
