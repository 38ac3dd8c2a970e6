"""Supabase Storage's REST API, as much of it as the media library uses: upload an object into
a bucket, delete objects, and serve a public bucket's objects. Run as a real HTTP server, so
the supabase client's own code talks to it."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request, Response


def create_fake_storage() -> FastAPI:
    app = FastAPI()
    app.state.objects = {}  # (bucket, path) -> (content type, bytes, authorization)

    @app.post("/storage/v1/object/{bucket}/{path:path}")
    async def upload(bucket: str, path: str, request: Request) -> Any:
        form = await request.form()
        file: Any = form["file"]
        if (bucket, path) in app.state.objects:
            return Response('{"error":"Duplicate","message":"The resource already exists"}', 409)
        app.state.objects[(bucket, path)] = (
            file.content_type,
            await file.read(),
            request.headers.get("authorization"),
        )
        return {"Key": f"{bucket}/{path}", "Id": path}

    @app.delete("/storage/v1/object/{bucket}")
    async def remove(bucket: str, request: Request) -> Any:
        body = await request.json()
        gone = [p for p in body["prefixes"] if app.state.objects.pop((bucket, p), None)]
        return [{"name": p} for p in gone]

    @app.get("/storage/v1/object/public/{bucket}/{path:path}")
    async def public(bucket: str, path: str) -> Response:
        found = app.state.objects.get((bucket, path))
        if found is None:
            return Response(status_code=404)
        return Response(found[1], media_type=found[0])

    return app
