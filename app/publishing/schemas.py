from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.json_schema import SkipJsonSchema

PostKind = Literal["image", "carousel", "reel", "story"]
PostStatus = Literal["draft", "scheduled", "publishing", "published", "failed", "cancelled"]

_URL = r"^https?://[^\s\x00]+$"
Url = Annotated[str, Field(max_length=2000, pattern=_URL)]
Caption = Annotated[str, Field(max_length=10_000)]


class MediaItemIn(BaseModel):
    """One item: a public URL (`type` says image or video; guessed from the URL when left out)
    or a file of the media library (`media_id`)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "oneOf": [
                {"required": ["url"], "not": {"required": ["media_id"]}},
                {"required": ["media_id"], "not": {"required": ["url"]}},
            ],
            "examples": [
                {"type": "image", "url": "https://www.bellas-bakery.com/media/spring.jpg"}
            ],
        },
    )

    type: Literal["image", "video"] | SkipJsonSchema[None] = None
    url: Url | SkipJsonSchema[None] = None
    media_id: UUID | SkipJsonSchema[None] = None

    @model_validator(mode="after")
    def _one_source(self) -> MediaItemIn:
        if (self.url is None) == (self.media_id is None):
            raise ValueError("give either url or media_id")
        return self


MediaList = Annotated[list[MediaItemIn], Field(min_length=1, max_length=20)]


class PostCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "account_id": "6f1d8a9e-3c1b-4a57-9a0e-2b0c9f3e4d11",
                    "caption": "Spring sale starts today! #bakery",
                    "media": [
                        {"type": "image", "url": "https://www.bellas-bakery.com/media/spring.jpg"}
                    ],
                    "publish_at": "2026-12-24T09:00:00+01:00",
                }
            ]
        },
    )

    account_id: UUID
    kind: PostKind | SkipJsonSchema[None] = Field(
        default=None, description="image, carousel (2-10 items), reel or story; from the media"
    )
    caption: str = Field(default="", max_length=10_000)
    media: list[MediaItemIn] = Field(min_length=1, max_length=20)
    publish_at: datetime = Field(
        description="ISO 8601; without an offset it is read in the workspace's time zone"
    )
    draft: bool = False
    cover_url: Url | SkipJsonSchema[None] = None
    share_to_feed: bool | SkipJsonSchema[None] = None


class PostUpdate(BaseModel):
    """Change a draft or scheduled post. `publish_on` moves it to another day at the same time
    of day (in the workspace's time zone); `publish_at` sets both."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"caption": "Now with cinnamon rolls", "publish_on": "2026-12-26"}],
            "minProperties": 1,
            "not": {"required": ["publish_at", "publish_on"]},
        },
    )

    caption: Caption | SkipJsonSchema[None] = None
    media: MediaList | SkipJsonSchema[None] = None
    kind: PostKind | SkipJsonSchema[None] = None
    publish_at: datetime | SkipJsonSchema[None] = None
    publish_on: date | SkipJsonSchema[None] = None
    draft: bool | SkipJsonSchema[None] = None
    cover_url: Url | SkipJsonSchema[None] = None
    share_to_feed: bool | SkipJsonSchema[None] = None

    @model_validator(mode="after")
    def _something(self) -> PostUpdate:
        if not self.model_fields_set:
            raise ValueError("give at least one field to change")
        if self.publish_at is not None and self.publish_on is not None:
            raise ValueError("give publish_at or publish_on, not both")
        return self


class PostFailure(BaseModel):
    code: str
    message: str = Field(description="what happened, in words")
    advice: str = Field(description="what to do next")
    raw: str | None = Field(default=None, description="Meta's error as it came, for support")


class PostOut(BaseModel):
    id: UUID
    account_id: UUID
    kind: PostKind
    caption: str
    media: list[dict[str, Any]]
    publish_at: datetime
    status: PostStatus
    attempts: int
    platform_media_id: str | None
    permalink: str | None
    published_at: datetime | None
    failure: PostFailure | None = None
    note: str | None = Field(default=None, description="why a scheduled post is waiting")
    warnings: list[str] = Field(default_factory=list)
    cover_url: str | None = None
    share_to_feed: bool | None = None
    created_at: datetime
    updated_at: datetime


class QuotaOut(BaseModel):
    account_id: UUID
    quota_total: int | None
    quota_usage: int | None
    remaining: int | None
    scheduled_next_24h: int


class InstagramPostOut(BaseModel):
    id: str
    caption: str | None = None
    media_type: str | None = None
    permalink: str | None = None
    timestamp: str | None = None
    comments_count: int | None = None


DAY_START = time(0, 0)
