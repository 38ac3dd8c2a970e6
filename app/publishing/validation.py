"""What Meta would refuse, refused before anything is queued, each with its own error_code:
caption limits, media count and type per kind, image format and aspect ratio, the publish time,
and an account that can publish (META.md §3)."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from PIL import Image, UnidentifiedImageError

from app.config import Settings
from app.errors import InvalidInput
from app.media.inspect import mp4_duration

HASHTAG = re.compile(r"(?<!\w)#\w+")
MENTION = re.compile(r"(?<![\w@])@[\w.]+")
# feed images (single and carousel items): Instagram's allowed aspect ratios
MIN_RATIO, MAX_RATIO = 4 / 5, 1.91
MIN_WIDTH = 320
REEL_MIN_S, REEL_MAX_S = 3.0, 15 * 60.0
VIDEO_SUFFIXES = (".mp4", ".mov")
_IMAGE_HEAD_BYTES = 256 * 1024  # enough for a JPEG's size
_VIDEO_HEAD_BYTES = 1024 * 1024  # a fast-start MP4's movie header comes before its data


class PostInvalid(InvalidInput):
    error_code = "post_invalid"


@dataclass(frozen=True)
class Item:
    """A media item, resolved: where Meta fetches it and what it is."""

    type: str  # image | video
    url: str
    media_id: str | None = None
    width: int | None = None
    height: int | None = None
    duration_s: float | None = None
    # the media library's small picture of it, for the calendar
    thumbnail_url: str | None = None

    def stored(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if v is not None}


def check_caption(caption: str, settings: Settings) -> None:
    if len(caption) > settings.caption_max_chars:
        raise PostInvalid(
            f"the caption has {len(caption)} characters; Instagram takes at most "
            f"{settings.caption_max_chars}",
            error_code="caption_too_long",
        )
    if len(HASHTAG.findall(caption)) > settings.caption_max_hashtags:
        raise PostInvalid(
            f"the caption has more than {settings.caption_max_hashtags} hashtags",
            error_code="too_many_hashtags",
        )
    if len(MENTION.findall(caption)) > settings.caption_max_mentions:
        raise PostInvalid(
            f"the caption mentions more than {settings.caption_max_mentions} accounts",
            error_code="too_many_mentions",
        )


def infer_kind(items: list[Item]) -> str:
    if len(items) > 1:
        return "carousel"
    return "reel" if items[0].type == "video" else "image"


def check_media(kind: str, items: list[Item]) -> None:
    count = len(items)
    if kind == "carousel" and not 2 <= count <= 10:
        raise PostInvalid(
            f"a carousel has 2 to 10 items; this one has {count}", error_code="media_count_invalid"
        )
    if kind != "carousel" and count != 1:
        raise PostInvalid(f"a {kind} has exactly one item", error_code="media_count_invalid")
    if kind == "image" and items[0].type != "image":
        raise PostInvalid("an image post needs an image", error_code="media_type_invalid")
    if kind == "reel" and items[0].type != "video":
        raise PostInvalid("a reel needs a video (MP4 or MOV)", error_code="media_type_invalid")
    length = items[0].duration_s
    if kind == "reel" and length is not None and not REEL_MIN_S <= length <= REEL_MAX_S:
        raise PostInvalid(
            f"the video lasts {length:.0f} s; a reel lasts 3 s to 15 minutes",
            error_code="video_duration_invalid",
        )
    if kind in ("image", "carousel"):
        for item in items:
            _check_feed_image(item)


def _check_feed_image(item: Item) -> None:
    if item.type != "image" or not item.width or not item.height:
        return
    ratio = item.width / item.height
    if not MIN_RATIO <= ratio <= MAX_RATIO:
        raise PostInvalid(
            f"the image is {item.width}x{item.height}: feed images must be between 4:5 (portrait)"
            " and 1.91:1 (landscape); crop it",
            error_code="image_aspect_ratio",
        )
    if item.width < MIN_WIDTH:
        raise PostInvalid(
            f"the image is {item.width} px wide; Instagram needs at least {MIN_WIDTH}",
            error_code="image_too_small",
        )


def check_publish_at(publish_at: datetime, now: datetime, settings: Settings) -> None:
    if publish_at < now - timedelta(minutes=1):
        raise PostInvalid(
            "publish_at is in the past: pick a later time, or use publish-now",
            error_code="publish_at_in_past",
        )
    if publish_at > now + timedelta(days=settings.schedule_max_days_ahead):
        raise PostInvalid(
            f"posts can be scheduled at most {settings.schedule_max_days_ahead} days ahead",
            error_code="publish_at_too_far",
        )


def check_account(account: dict[str, Any] | None) -> None:
    if account is None or account["platform"] != "instagram":
        raise PostInvalid(
            "no Instagram account with this id in the workspace", error_code="account_not_found"
        )
    if not account["has_token"] or account["disconnected_at"] is not None:
        raise PostInvalid(
            "the account is not connected: connect it again first",
            error_code="account_not_connected",
        )
    if account["token_status"] in ("needs_reconnect", "expired", "revoked"):
        raise PostInvalid(
            "Meta no longer accepts this account's token: reconnect the account",
            error_code="account_needs_reconnect",
        )
    granted = (account.get("settings") or {}).get("permissions")
    if granted and "instagram_business_content_publish" not in granted:
        raise PostInvalid(
            "the account was connected without the publishing permission: reconnect it and "
            "allow content publishing",
            error_code="account_cannot_publish",
        )


async def probe_url(
    http: httpx.AsyncClient, url: str, declared: str | None, settings: Settings
) -> Item:
    """What is at a URL, as Meta will fetch it: reachable, an image (JPEG, within the size
    limit, its dimensions read) or a video."""
    guess = "video" if url.lower().split("?", 1)[0].endswith(VIDEO_SUFFIXES) else "image"
    kind = declared or guess
    cap = settings.media_max_image_bytes if kind == "image" else settings.media_max_video_bytes
    try:
        async with http.stream(
            "GET", url, timeout=settings.media_fetch_timeout_s, follow_redirects=True
        ) as response:
            if response.status_code >= 400:
                raise PostInvalid(
                    f"the media URL answered {response.status_code}: Meta must be able to "
                    "fetch it publicly",
                    error_code="media_url_unreachable",
                )
            content_type = response.headers.get("content-type", "").split(";")[0].strip()
            length = int(response.headers.get("content-length") or 0)
            if length > cap:
                raise PostInvalid(
                    f"the file at the URL is over {cap // (1024 * 1024)} MB",
                    error_code="media_too_large",
                )
            # an image's size is in its first bytes; a video's length in its movie header,
            # at the start of a file made for streaming ("fast start")
            wanted = _IMAGE_HEAD_BYTES if kind == "image" else _VIDEO_HEAD_BYTES
            head = b""
            async for chunk in response.aiter_bytes():
                head += chunk
                if len(head) >= wanted:
                    break
    except httpx.HTTPError as exc:
        raise PostInvalid(
            f"the media URL could not be fetched ({type(exc).__name__}): Meta must be able to "
            "fetch it publicly",
            error_code="media_url_unreachable",
        ) from exc
    if kind == "video":
        if content_type and not content_type.startswith("video/"):
            raise PostInvalid(
                f"the URL serves {content_type}, not a video", error_code="media_type_invalid"
            )
        # None when the header is further in: Meta judges the length then
        return Item(type="video", url=url, duration_s=mp4_duration(head))
    if content_type and content_type != "image/jpeg":
        raise PostInvalid(
            f"the URL serves {content_type or 'no type'}: Instagram publishes JPEG images only "
            "(upload the file to the media library to have it converted)",
            error_code="image_format_unsupported",
        )
    width = height = None
    try:
        with Image.open(io.BytesIO(head)) as image:
            width, height = image.size
            if image.format != "JPEG":
                raise PostInvalid(
                    "Instagram publishes JPEG images only", error_code="image_format_unsupported"
                )
    except (UnidentifiedImageError, OSError):
        pass  # not decodable from its first bytes: Meta will judge it
    return Item(type="image", url=url, width=width, height=height)
