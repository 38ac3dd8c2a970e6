"""Split page text into overlapping chunks on sentence boundaries, keeping page numbers."""

from __future__ import annotations

import re
from dataclasses import dataclass

_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n{2,}")
_SPACES = re.compile(r"[ \t]+")


@dataclass(frozen=True)
class Chunk:
    index: int
    page_number: int | None
    content: str


def _sentences(text: str) -> list[str]:
    cleaned = _SPACES.sub(" ", text.replace("\r", "")).strip()
    return [s.strip() for s in _SENTENCE_END.split(cleaned) if s and s.strip()]


def _split_long(sentence: str, size: int) -> list[str]:
    """A 'sentence' longer than a chunk (tables, lists without periods) is cut on spaces, and a
    'word' longer than a chunk (no spaces at all) is cut where it reaches the size: a chunk is
    never longer than `size`."""
    if len(sentence) <= size:
        return [sentence]
    parts, current = [], ""
    words = (
        piece
        for word in sentence.split(" ")
        for piece in (word[i : i + size] for i in range(0, max(len(word), 1), size))
    )
    for word in words:
        if current and len(current) + 1 + len(word) > size:
            parts.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        parts.append(current)
    return parts


def chunk_pages(
    pages: list[str], *, size: int = 1000, overlap: int = 200, first_page: int = 1
) -> list[Chunk]:
    """Chunks never span pages, so each cites exactly one page."""
    chunks: list[Chunk] = []
    for offset, text in enumerate(pages):
        sentences = [part for s in _sentences(text) for part in _split_long(s, size)]
        window: list[str] = []
        length = 0
        for sentence in sentences:
            if window and length + 1 + len(sentence) > size:
                chunks.append(Chunk(len(chunks), first_page + offset, " ".join(window)))
                # carry trailing sentences (up to `overlap` characters) into the next chunk
                carried: list[str] = []
                carried_len = 0
                for previous in reversed(window):
                    # the carried sentences and the next one must still fit in a chunk
                    if (
                        carried_len + len(previous) > overlap
                        or carried_len + len(previous) + 1 + len(sentence) > size
                    ):
                        break
                    carried.insert(0, previous)
                    carried_len += len(previous) + 1
                window, length = carried, max(0, carried_len - 1)
            window.append(sentence)
            length += len(sentence) + (1 if length else 0)
        if window:
            chunks.append(Chunk(len(chunks), first_page + offset, " ".join(window)))
    return chunks
