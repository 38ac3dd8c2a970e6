"""A failed post explained: Meta's raw error (kept for support) becomes a stable code, what
happened in words, and what to do next."""

from __future__ import annotations

import re

from app.publishing.schemas import PostFailure

# (pattern in the raw error, code, what happened, what to do)
_RULES: tuple[tuple[str, str, str, str], ...] = (
    (
        r"reconnect the account|code=190|TokenExpired",
        "account_needs_reconnect",
        "Meta refused the account's access token.",
        "Reconnect the Instagram account, then retry the post.",
    ),
    (
        r"code=9004|2207052|could not fetch|download",
        "media_fetch_failed",
        "Instagram could not download the media.",
        "Check that the file's URL is public and still works (or upload it to the media "
        "library), then retry.",
    ),
    (
        r"container is (ERROR|EXPIRED)|items? still processing|still processing",
        "media_processing_failed",
        "Instagram could not process the media.",
        "Check the format: JPEG images between 4:5 and 1.91:1; MP4 or MOV videos (H.264, "
        "3 s to 15 min) for reels. Then retry.",
    ),
    (
        r"36003|2207009|aspect ratio",
        "image_aspect_ratio",
        "Instagram refused the image's shape.",
        "Crop it between 4:5 (portrait) and 1.91:1 (landscape), then retry.",
    ),
    (
        r"2207026|format|Only photo or video",
        "media_format_unsupported",
        "Instagram does not take this file format.",
        "Use a JPEG image or an MP4/MOV video, then retry.",
    ),
    (
        r"code=9[,)].*2207042|publishing limit",
        "publishing_limit_reached",
        "The account reached Instagram's limit of posts per 24 hours.",
        "Retry later, or move some posts to another day.",
    ),
    (
        r"only Instagram accounts publish",
        "account_cannot_publish",
        "Only Instagram accounts publish posts.",
        "Schedule the post on an Instagram account.",
    ),
    (
        r"no media",
        "media_missing",
        "The post has no media.",
        "Add an image or a video, then retry.",
    ),
)


def explain(raw: str | None) -> PostFailure:
    text = raw or ""
    for pattern, code, message, advice in _RULES:
        if re.search(pattern, text, flags=re.IGNORECASE):
            return PostFailure(code=code, message=message, advice=advice, raw=raw)
    return PostFailure(
        code="meta_refused",
        message="Instagram refused the post.",
        advice="Check the caption and media against Instagram's rules, then retry; if it keeps "
        "failing, contact support with the error below.",
        raw=raw,
    )
