"""The media library's files in Supabase Storage (MEDIA_STORAGE=supabase): stored through the
supabase client against a Storage server over HTTP, public at the URL Meta fetches, deleted."""

from __future__ import annotations

import io

import httpx
from PIL import Image
from pydantic import SecretStr

from app.media.inspect import inspect_media
from app.media.storage import SupabaseMediaStorage, create_media_storage
from tests.support.fake_supabase_storage import create_fake_storage
from tests.support.live import LiveServer


async def test_files_go_to_a_public_supabase_bucket(settings) -> None:
    fake = create_fake_storage()
    server = LiveServer(fake).start("/docs")
    try:
        storage = create_media_storage(
            settings.model_copy(
                update={
                    "media_storage": "supabase",
                    "supabase_url": server.url,
                    "supabase_service_role_key": SecretStr("service-role-key-for-tests-0123456789"),
                }
            )
        )
        assert isinstance(storage, SupabaseMediaStorage)
        png = io.BytesIO()
        Image.new("RGB", (600, 600), (10, 20, 30)).save(png, format="PNG")
        found = inspect_media(png.getvalue())
        key = storage.new_key(found.extension)
        url = await storage.save(key, found.data, found.content_type)
        assert url == f"{server.url}/storage/v1/object/public/media/{key}"
        content_type, stored, authorization = fake.state.objects[("media", key)]
        assert content_type == "image/jpeg" and stored == found.data
        assert authorization == "Bearer service-role-key-for-tests-0123456789"
        fetched = httpx.get(url)
        assert fetched.status_code == 200 and fetched.content == found.data, "what Meta fetches"
        await storage.delete(key)
        assert ("media", key) not in fake.state.objects
    finally:
        server.stop()
