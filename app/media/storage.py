"""Where media files live: on the embedded default, under DATA_DIR/media, served by the API at
an unguessable path (`/media/<random>.<ext>`) that Meta (or the sandbox) fetches when it
publishes. The name is the only secret: 32 random bytes, never listed."""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path

from app.config import Settings


class LocalMediaStorage:
    def __init__(self, settings: Settings) -> None:
        self.root = Path(settings.data_dir) / "media"
        self._base = settings.media_public_base_url or f"{settings.api_base_url}/media"

    def new_key(self, extension: str) -> str:
        return f"{secrets.token_urlsafe(32)}.{extension}"

    def url_for(self, key: str) -> str:
        return f"{self._base.rstrip('/')}/{key}"

    def path_for(self, key: str) -> Path | None:
        """The file for a key, None for anything that is not one of ours."""
        if "/" in key or "\\" in key or key.startswith("."):
            return None
        path = self.root / key
        return path if path.is_file() else None

    async def save(self, key: str, data: bytes) -> str:
        def write() -> None:
            self.root.mkdir(parents=True, exist_ok=True)
            partial = self.root / f".{key}.part"
            partial.write_bytes(data)
            partial.replace(self.root / key)  # never a half-written file at the public path

        await asyncio.to_thread(write)
        return self.url_for(key)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(lambda: (self.root / key).unlink(missing_ok=True))
