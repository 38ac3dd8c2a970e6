"""Where media files live. On the embedded default, under DATA_DIR/media, served by the API at
an unguessable path (`/media/<random>.<ext>`) that Meta (or the sandbox) fetches when it
publishes; with MEDIA_STORAGE=supabase, in a public Supabase Storage bucket through the supabase
client; with MEDIA_STORAGE=s3, in any S3-compatible bucket. Either way the name is the only
secret: 32 random bytes, never listed."""

from __future__ import annotations

import asyncio
import secrets
import shutil
from pathlib import Path
from typing import Any, BinaryIO, Protocol

import httpx

from app.config import Settings
from app.errors import ServiceUnavailable

_COPY_CHUNK = 1024 * 1024


def new_key(extension: str) -> str:
    return f"{secrets.token_urlsafe(32)}.{extension}"


class MediaStorage(Protocol):
    def new_key(self, extension: str) -> str: ...
    def path_for(self, key: str) -> Path | None: ...
    async def save(self, key: str, data: bytes, content_type: str) -> str: ...
    async def save_file(self, key: str, source: BinaryIO, content_type: str) -> str: ...
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

    async def save_file(self, key: str, source: BinaryIO, content_type: str) -> str:
        def write() -> None:
            self.root.mkdir(parents=True, exist_ok=True)
            partial = self.root / f".{key}.part"
            with partial.open("wb") as out:
                shutil.copyfileobj(source, out, _COPY_CHUNK)
            partial.replace(self.root / key)

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

    async def save_file(self, key: str, source: BinaryIO, content_type: str) -> str:
        # the supabase client uploads bytes or a path; a spooled upload may have no path
        return await self.save(key, await asyncio.to_thread(source.read), content_type)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._bucket.remove, [key])


class S3MediaStorage:
    """Any S3-compatible bucket through boto3 (synchronous: each call in a worker thread). The
    bucket's files must be publicly readable at S3_PUBLIC_BASE_URL (a bucket policy or a CDN):
    that is where Meta fetches them."""

    def __init__(self, settings: Settings) -> None:
        import boto3
        from botocore.config import Config

        secret = settings.s3_secret_access_key
        self._client: Any = boto3.client(
            "s3",
            endpoint_url=settings.s3_endpoint_url,
            region_name=settings.s3_region,
            aws_access_key_id=settings.s3_access_key_id,
            aws_secret_access_key=secret.get_secret_value() if secret else None,
            config=Config(
                s3={"addressing_style": settings.s3_addressing_style},
                connect_timeout=5,
                read_timeout=60,
                retries={"max_attempts": 3, "mode": "standard"},
            ),
        )
        self._bucket = settings.media_bucket
        endpoint = settings.s3_endpoint_url or f"https://s3.{settings.s3_region}.amazonaws.com"
        self._base = (settings.s3_public_base_url or f"{endpoint}/{self._bucket}").rstrip("/")

    def new_key(self, extension: str) -> str:
        return new_key(extension)

    def path_for(self, key: str) -> Path | None:
        return None  # the bucket serves the files

    async def save(self, key: str, data: bytes, content_type: str) -> str:
        meta = self._meta(content_type)
        return await self._put(
            key, self._client.put_object, Bucket=self._bucket, Key=key, Body=data, **meta
        )

    async def save_file(self, key: str, source: BinaryIO, content_type: str) -> str:
        """Uploaded in parts, straight from the file."""
        meta = self._meta(content_type)
        return await self._put(
            key, self._client.upload_fileobj, source, self._bucket, key, ExtraArgs=meta
        )

    @staticmethod
    def _meta(content_type: str) -> dict[str, str]:
        # a name never holds other content: cached for good
        return {"ContentType": content_type, "CacheControl": "public, max-age=31536000, immutable"}

    async def _put(self, key: str, call: Any, *args: Any, **kwargs: Any) -> str:
        """The public URL of `key` once `call` has stored it."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            await asyncio.to_thread(call, *args, **kwargs)
        except (BotoCoreError, ClientError) as exc:
            raise ServiceUnavailable(
                "the file store did not take the file; try again",
                error_code="storage_unavailable",
            ) from exc
        return f"{self._base}/{key}"

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._client.delete_object, Bucket=self._bucket, Key=key)


def create_media_storage(settings: Settings) -> MediaStorage:
    if settings.media_storage == "supabase":
        return SupabaseMediaStorage(settings)
    if settings.media_storage == "s3":
        return S3MediaStorage(settings)
    return LocalMediaStorage(settings)
