"""The OpenAPI document tells the truth about errors: every operation lists the error responses
it can give, each with the one error shape the API answers with (`app.errors.error_body`),
instead of FastAPI's default 422 body, which we never send."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

ERROR_SCHEMA: dict[str, Any] = {
    "title": "ErrorResponse",
    "type": "object",
    "required": ["detail"],
    "properties": {
        "detail": {
            "type": "object",
            "required": ["error_code", "message", "timestamp"],
            "properties": {
                "error_code": {
                    "type": "string",
                    "description": "stable, machine-readable; the message may change",
                    "examples": ["validation_error"],
                },
                "message": {"type": "string", "description": "what happened and what to do"},
                "timestamp": {"type": "string", "format": "date-time"},
                "errors": {
                    "type": "array",
                    "description": "validation errors, one per field (422 validation_error)",
                    "items": {
                        "type": "object",
                        "properties": {
                            "loc": {"type": "array", "items": {"type": ["string", "integer"]}},
                            "msg": {"type": "string"},
                            "type": {"type": "string"},
                        },
                    },
                },
                "retry_after_s": {"type": "integer", "description": "on 429"},
            },
            "additionalProperties": True,
        }
    },
}

DESCRIPTIONS = {
    400: "Malformed request: a body that is not JSON, a header that is not valid, a Host "
    "this server does not serve",
    401: "Missing, expired or invalid credentials",
    403: "Authenticated, but the role or signature does not allow it",
    404: "No such resource in the caller's workspaces",
    409: "Conflicts with the resource's current state",
    413: "The body is over the size limit",
    415: "The file type is not supported",
    422: "A field is not valid (`validation_error`), or the text holds characters that "
    "cannot be stored (`unstorable_characters`)",
    429: "Rate limited; `Retry-After` says when to come back",
    503: "A dependency (database, broker) is unavailable; try again shortly",
}
WRITES = frozenset({"post", "put", "patch", "delete"})
# what UnstorableTextMiddleware refuses (422 unstorable_characters), said in the schema
STORABLE_TEXT = "^[^\\u0000]*$"


def _codes(path: str, method: str, operation: dict[str, Any]) -> set[int]:
    codes = {400, 422, 503}
    params = {p.get("in") for p in operation.get("parameters", [])}
    authenticated = bool(operation.get("security"))
    if authenticated:
        codes |= {401, 403, 404}
        if method in WRITES:
            codes.add(409)
    if "path" in params:
        codes.add(404)
    if "requestBody" in operation or method in WRITES:
        codes.add(413)
    body = operation.get("requestBody", {}).get("content", {})
    if "multipart/form-data" in body:
        codes.add(415)
    if path.startswith("/api/"):
        codes |= {401, 429}  # auth routes answer 401 for wrong credentials too
        if method in WRITES:
            codes.add(409)
    if path.startswith("/webhooks/"):
        codes |= {401, 403} if method == "post" else {403}
        if path.count("/") > 2:  # Meta's account callbacks are rate limited like the API
            codes.add(429)
    return codes


def _not_nullable(parameter: dict[str, Any]) -> None:
    """A header, query or path parameter is a string or absent, never JSON null: FastAPI's
    `anyOf [X, null]` for an optional one becomes X (left out is how it is not given)."""
    schema = parameter.get("schema", {})
    options = schema.get("anyOf")
    if options and len(options) == 2 and {"type": "null"} in options:
        [kept] = [o for o in options if o != {"type": "null"}]
        parameter["schema"] = {**{k: v for k, v in schema.items() if k != "anyOf"}, **kept}


def _request_schemas(schema: dict[str, Any]) -> set[str]:
    """Names of the component schemas a request body can hold (transitively)."""
    components = schema.get("components", {}).get("schemas", {})
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
                name = ref.rsplit("/", 1)[1]
                if name not in found:
                    found.add(name)
                    walk(components.get(name))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for item in schema.get("paths", {}).values():
        for operation in item.values():
            if isinstance(operation, dict):
                walk(operation.get("requestBody"))
    return found


def _storable_strings(node: Any) -> None:
    """Free text in a request may not hold U+0000 or an unpaired surrogate: add the pattern to
    every plain string (not one with a format, a pattern or a fixed set of values)."""
    if isinstance(node, dict):
        if node.get("type") == "string" and not {"format", "pattern", "enum", "const"} & set(node):
            node["pattern"] = STORABLE_TEXT
        for value in node.values():
            _storable_strings(value)
    elif isinstance(node, list):
        for value in node:
            _storable_strings(value)


def _example_upload(operation: dict[str, Any], components: dict[str, Any]) -> None:
    """Multipart bodies get an example naming each part (files as a placeholder)."""
    body = operation.get("requestBody", {}).get("content", {}).get("multipart/form-data")
    if body is None or "example" in body:
        return
    ref = body.get("schema", {}).get("$ref", "")
    properties = components.get(ref.rsplit("/", 1)[-1], {}).get("properties", {})
    body["example"] = {
        name: "<the file's bytes>" if "binary" in str(prop) else "Menu and prices 2026"
        for name, prop in properties.items()
    }


def _document_errors(schema: dict[str, Any]) -> dict[str, Any]:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for name in _request_schemas(schema):
        _storable_strings(components.get(name))
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    components["ErrorResponse"] = ERROR_SCHEMA
    ref = {"$ref": "#/components/schemas/ErrorResponse"}
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            _example_upload(operation, components)
            for parameter in operation.get("parameters", []):
                _not_nullable(parameter)
                _storable_strings(parameter.get("schema"))
            responses = operation.setdefault("responses", {})
            for code in sorted(_codes(path, method, operation)):
                entry = responses.setdefault(str(code), {"description": DESCRIPTIONS[code]})
                entry["content"] = {"application/json": {"schema": ref}}
            if "429" in responses:
                responses["429"]["headers"] = {
                    "Retry-After": {
                        "description": "seconds until the limit's window resets",
                        "schema": {"type": "integer"},
                    }
                }
    return schema


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _document_errors(
                get_openapi(
                    title=app.title,
                    version=app.version,
                    description=app.description,
                    routes=app.routes,
                )
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
