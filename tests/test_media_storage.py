"""The media library's files in Supabase Storage (MEDIA_STORAGE=supabase): stored through the
supabase client against a Storage server over HTTP, public at the URL Meta fetches, deleted."""

from __future__ import annotations

import io
import json

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
        found = inspect_media(io.BytesIO(png.getvalue()), max_image_bytes=8 * 1024 * 1024)
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


async def test_files_go_to_an_s3_compatible_bucket(settings) -> None:
    """MEDIA_STORAGE=s3 against an S3 server over HTTP (moto's, as MinIO or R2 would answer):
    signed uploads with the file's type, public at the bucket's URL, deleted; a store that
    refuses the file is a 503 that says to try again."""
    import boto3
    import pytest
    from moto.server import ThreadedMotoServer

    from app.errors import ServiceUnavailable
    from app.media.storage import S3MediaStorage
    from tests.support.servers import free_port

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        keys = {"aws_access_key_id": "test-key", "aws_secret_access_key": "test-secret"}
        admin = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", **keys)
        admin.create_bucket(Bucket="shop-media")
        # what an operator sets up (README): the bucket's files readable by anyone, Meta included
        public_read = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "Resource": "arn:aws:s3:::shop-media/*",
                }
            ],
        }
        admin.put_bucket_policy(Bucket="shop-media", Policy=json.dumps(public_read))
        configured = settings.model_copy(
            update={
                "media_storage": "s3",
                "media_bucket": "shop-media",
                "s3_endpoint_url": endpoint,
                "s3_access_key_id": "test-key",
                "s3_secret_access_key": SecretStr("test-secret"),
                "s3_addressing_style": "path",
            }
        )
        storage = create_media_storage(configured)
        assert isinstance(storage, S3MediaStorage)
        png = io.BytesIO()
        Image.new("RGB", (600, 600), (10, 20, 30)).save(png, format="PNG")
        found = inspect_media(io.BytesIO(png.getvalue()), max_image_bytes=8 * 1024 * 1024)
        key = storage.new_key(found.extension)
        url = await storage.save(key, found.data, found.content_type)
        assert url == f"{endpoint}/shop-media/{key}"
        head = admin.head_object(Bucket="shop-media", Key=key)
        assert head["ContentType"] == "image/jpeg"
        fetched = httpx.get(url)
        assert fetched.status_code == 200 and fetched.content == found.data, "what Meta fetches"
        await storage.delete(key)
        assert admin.list_objects_v2(Bucket="shop-media").get("KeyCount") == 0
        # a video goes up from the uploaded file itself, in parts, never whole in memory
        from app.sandbox.samples import mp4

        clip = mp4(12) + bytes(12 * 1024 * 1024)  # past boto3's multipart threshold (8 MB)
        video_url = await storage.save_file("clip.mp4", io.BytesIO(clip), "video/mp4")
        assert httpx.get(video_url).content == clip
        assert admin.head_object(Bucket="shop-media", Key="clip.mp4")["ContentType"] == "video/mp4"

        missing = create_media_storage(configured.model_copy(update={"media_bucket": "no-such"}))
        with pytest.raises(ServiceUnavailable) as refused:
            await missing.save(key, found.data, found.content_type)
        assert refused.value.error_code == "storage_unavailable"
    finally:
        server.stop()
