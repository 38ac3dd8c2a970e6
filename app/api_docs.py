"""The interactive API docs, served with no CDN: Swagger UI's files are pinned in
app/static/vendor/swagger-ui (with their licence) and served by the app itself, so the docs work
on a machine without internet access. Used by the API and the Meta sandbox."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = Path(__file__).parent / "static" / "vendor" / "swagger-ui"
ASSETS_PATH = "/_docs_assets"


def serve_docs(app: FastAPI, *, path: str = "/docs") -> None:
    """Mounts Swagger UI at `path`; create the app with `docs_url=None, redoc_url=None`."""
    app.mount(ASSETS_PATH, StaticFiles(directory=ASSETS), name="docs-assets")

    @app.get(path, include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} - docs",
            swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_PATH}/favicon.png",
        )
