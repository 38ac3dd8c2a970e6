"""The tag we attach to every Instagram message we send; Meta returns it on the message's echo,
which is how an echo is recognised as ours (and settles a send whose outcome was unknown)."""

from __future__ import annotations

from uuid import UUID

OUTBOUND_METADATA_PREFIX = "socialsync:"


def metadata_for(outbound_id: object) -> str:
    return f"{OUTBOUND_METADATA_PREFIX}{outbound_id}"


def outbound_id_from(metadata: object) -> UUID | None:
    """Our outbound message's id, or None for anything else (another app's metadata)."""
    text = str(metadata or "")
    if not text.startswith(OUTBOUND_METADATA_PREFIX):
        return None
    try:
        return UUID(text.removeprefix(OUTBOUND_METADATA_PREFIX))
    except ValueError:
        return None
