"""Where media files live. On the embedded default, under DATA_DIR/media, served by the API at
an unguessable path (`/media/<random>.<ext>`) that Meta (or the sandbox) fetches when it
publishes; with MEDIA_STORAGE=supabase, in a public Supabase Storage bucket through the supabase
client. Either way the name is the only secret: 32 random bytes, never listed."""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path
from typing import Any, Protocol

import httpx

from app.config import Settings
from app.errors import ServiceUnavailable


def new_key(extension: str) -> str:
    return f"{secrets.token_urlsafe(32)}.{extension}"


class MediaStorage(Protocol):
    def new_key(self, extension: str) -> str: ...
    def path_for(self, key: str) -> Path | None: ...
    async def save(self, key: str, data: bytes, content_type: str) -> str: ...
    async def delete(self, key: str) -> None: ...


class LocalMediaStorage:
    def __init__(self, settings: Settings) -> None:
        self.root = Path(settings.data_dir) / "media"
        self._base = settings.media_public_base_url or f"{settings.api_base_url}/media"

    def new_key(self, extension: str) -> str:
        return new_key(extension)

    def url_for(self, key: str) -> str:
        return f"{self._base.rstrip('/')}/{key}"

    def path_for(self, key: str) -> Path | None:
        """The file for a key, None for anything that is not one of ours."""
        if "/" in key or "\\" in key or key.startswith("."):
            return None
        path = self.root / key
        return path if path.is_file() else None

    async def save(self, key: str, data: bytes, content_type: str) -> str:
        def write() -> None:
            self.root.mkdir(parents=True, exist_ok=True)
            partial = self.root / f".{key}.part"
            partial.write_bytes(data)
            partial.replace(self.root / key)  # never a half-written file at the public path

        await asyncio.to_thread(write)
        return self.url_for(key)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(lambda: (self.root / key).unlink(missing_ok=True))


class SupabaseMediaStorage:
    """A public bucket of the project's Supabase Storage; its public URL is what Meta fetches.
    The client is synchronous: each call runs in a worker thread."""

    def __init__(self, settings: Settings) -> None:
        from supabase import create_client

        if not settings.supabase_url or not settings.supabase_service_role_key:
            raise ValueError(
                "MEDIA_STORAGE=supabase needs SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY"
            )
        client = create_client(
            settings.supabase_url, settings.supabase_service_role_key.get_secret_value()
        )
        self._bucket: Any = client.storage.from_(settings.media_bucket)

    def new_key(self, extension: str) -> str:
        return new_key(extension)

    def path_for(self, key: str) -> Path | None:
        return None  # Supabase serves the files

    async def save(self, key: str, data: bytes, content_type: str) -> str:
        from storage3.exceptions import StorageException

        try:
            await asyncio.to_thread(
                self._bucket.upload, key, data, {"content-type": content_type, "upsert": "false"}
            )
        except (StorageException, httpx.HTTPError, OSError) as exc:
            raise ServiceUnavailable(
                "Supabase Storage did not take the file; try again",
                error_code="storage_unavailable",
            ) from exc
        return str(self._bucket.get_public_url(key))

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._bucket.remove, [key])


def create_media_storage(settings: Settings) -> MediaStorage:
    if settings.media_storage == "supabase":
        return SupabaseMediaStorage(settings)
    return LocalMediaStorage(settings)
