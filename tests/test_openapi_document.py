"""The OpenAPI document as a client reads it: every request body has an example, every
operation lists its errors with the API's one error shape, ids are UUIDs."""

from __future__ import annotations

from typing import Any


def _refs(schema: dict[str, Any]) -> list[str]:
    options = schema.get("anyOf", [schema])
    return [o["$ref"].rsplit("/", 1)[-1] for o in options if "$ref" in o]


async def test_every_request_body_has_an_example(client) -> None:
    spec = (await client.get("/openapi.json")).json()
    components = spec["components"]["schemas"]
    missing = []
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            for media in operation.get("requestBody", {}).get("content", {}).values():
                named = [components[n] for n in _refs(media["schema"])]
                if not ("example" in media or any("examples" in c for c in named)):
                    missing.append(f"{method.upper()} {path}")
    assert not missing, missing


async def test_every_operation_documents_its_errors_with_the_error_shape(client) -> None:
    spec = (await client.get("/openapi.json")).json()
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            assert {"400", "422"} <= set(responses), (method, path)
            if operation.get("security"):
                assert {"401", "403", "404"} <= set(responses), (method, path)
            if path.startswith("/api/"):
                assert "Retry-After" in responses["429"]["headers"], (method, path)
            for code, response in responses.items():
                if code.startswith("4"):
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/ErrorResponse"}
            for parameter in operation.get("parameters", []):
                if (
                    parameter["name"].endswith("_id")
                    or parameter["name"].lower() == "x-workspace-id"
                ):
                    assert parameter["schema"].get("format") == "uuid", (path, parameter)


async def test_the_documented_422_is_what_the_api_answers(client) -> None:
    from tests.support.factories import register

    user = await register(client)
    response = await client.post("/api/workspaces", json={"name": ""}, headers=user.headers())
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert set(detail) >= {"error_code", "message", "timestamp", "errors"}
    assert detail["errors"][0]["loc"] == ["body", "name"]


async def test_the_docs_work_with_no_network(client, sandbox) -> None:
    """Swagger UI's files come from our own server, for the API and the sandbox alike."""
    import re

    import httpx

    for base, get in (("", client.get), (sandbox.url, httpx.AsyncClient().get)):
        page = await get(f"{base}/docs")
        assert page.status_code == 200 and "swagger-ui" in page.text
        urls = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text)
        assert urls, "the page loads its script and styles"
        assert not [u for u in urls if u.startswith(("http:", "https:", "//"))], urls
        for url in urls:
            asset = await get(f"{base}{url}")
            assert asset.status_code == 200 and len(asset.content) > 500, url
        assert (await get(f"{base}/openapi.json")).status_code == 200
