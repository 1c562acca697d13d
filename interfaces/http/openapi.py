"""The OpenAPI document, made true to what the server answers, for every route (routes added
later inherit it without declaring anything):

- every 4xx/5xx answer is documented as `application/problem+json` with the Problem schema
  (FastAPI documents its 422 as `application/json` with its own error shape; the handlers in
  `problems.py` answer problem documents). An answer a route documents with a body of its own
  (readiness' 503) keeps it.
- the statuses the platform answers around the route are documented on it: 400 (a control
  character anywhere, a malformed header), 500, and under /v1 429 and 503 (rate limits,
  database or Redis unavailable); 422 where the route takes parameters or a body; 413 with a
  body; 404 with path parameters; 412 with If-Match; 409 on POST (an Idempotency-Key still in
  flight). What each status means for the route itself stays the route's `ProblemResponses`.
- every request body carries an example: the model's own, or one put together from its fields'
  examples (a test fails for a body whose required fields have none).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from starlette.routing import BaseRoute

from interfaces.http.middleware import API_PREFIX
from interfaces.http.problems import PROBLEM_JSON, Problem

PROBLEM_REF = "#/components/schemas/Problem"
# FastAPI's own validation error shapes, which the server never answers.
_FASTAPI_ERRORS = ("HTTPValidationError", "ValidationError")

GENERIC = {
    400: "the request is malformed (a control character, a malformed header or cursor)",
    404: "nothing at this path in your tenant",
    409: "refused in the current state, or a request with this Idempotency-Key is in flight",
    412: "If-Match names a version the resource is no longer at",
    413: "the body is larger than this API accepts",
    422: "a parameter or a field of the body is missing or malformed",
    429: "too many requests; retry after `Retry-After` seconds",
    500: "an unexpected error; it was logged with the request id",
    503: "the database or Redis is unavailable; retry after `Retry-After` seconds",
}
RETRY_AFTER = {
    "Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}
}


def install_openapi(app: FastAPI, routes: Sequence[BaseRoute] | None = None) -> None:
    """Serve the document `problem_openapi` builds, once, of `routes` in their order (by
    default the app's, in the order they are matched)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = problem_openapi(app, routes)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def problem_openapi(app: FastAPI, routes: Sequence[BaseRoute] | None = None) -> dict[str, Any]:
    doc = get_openapi(
        title=app.title, version=app.version, description=app.description,
        routes=app.routes if routes is None else list(routes),
    )
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    for path, item in doc.get("paths", {}).items():
        for method, operation in item.items():
            _document_statuses(path, method, operation)
            _problem_content(operation)
            _example_bodies(operation, schemas)
    for name in _FASTAPI_ERRORS:
        schemas.pop(name, None)
    return doc


def implied_statuses(path: str, method: str, operation: dict[str, Any]) -> set[int]:
    """The error statuses the platform can answer on this operation, whatever the route does."""
    parameters = operation.get("parameters", [])
    codes = {400, 500}
    if path == API_PREFIX or path.startswith(API_PREFIX + "/"):
        codes |= {429, 503}
    if parameters or "requestBody" in operation:
        codes.add(422)
    if "requestBody" in operation:
        codes.add(413)
    if any(p["in"] == "path" for p in parameters):
        codes.add(404)
    if any(p["in"] == "header" and p["name"].lower() == "if-match" for p in parameters):
        codes.add(412)
    if method == "post":
        codes.add(409)
    return codes


def _document_statuses(path: str, method: str, operation: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    for code in sorted(implied_statuses(path, method, operation)):
        responses.setdefault(str(code), {"description": GENERIC[code]})
    for code in ("429", "503"):
        if code in responses:
            responses[code].setdefault("headers", copy.deepcopy(RETRY_AFTER))


def _problem_content(operation: dict[str, Any]) -> None:
    for code, answer in operation["responses"].items():
        if code[0] not in "45":
            continue
        content = answer.get("content", {})
        if not all(_is_problem(kind, media) for kind, media in content.items()):
            continue  # a body of the route's own (readiness' 503)
        answer["content"] = {PROBLEM_JSON: {"schema": {"$ref": PROBLEM_REF}}}


def _is_problem(media_type: str, media: dict[str, Any]) -> bool:
    name = media.get("schema", {}).get("$ref", "").rsplit("/", 1)[-1]
    return media_type == PROBLEM_JSON or name in ("Problem", *_FASTAPI_ERRORS)


def _example_bodies(operation: dict[str, Any], schemas: dict[str, Any]) -> None:
    for media in operation.get("requestBody", {}).get("content", {}).values():
        if "example" in media or "examples" in media:
            continue
        example = example_of(media.get("schema", {}), schemas)
        if example is not None:
            media["example"] = example


_BY_FORMAT = {
    "date": "2026-11-02",
    "date-time": "2026-11-02T09:30:00Z",
    "uuid": "7d3c8e1a-4b5f-4c2d-9e8f-1a2b3c4d5e6f",
    "password": "correct horse battery staple",
}


def example_of(schema: dict[str, Any], schemas: dict[str, Any]) -> Any:
    """An example value for `schema`: its own example, else one made of its parts' examples;
    None where a required part has none."""
    if "$ref" in schema:
        return example_of(schemas[schema["$ref"].rsplit("/", 1)[-1]], schemas)
    for key in ("examples", "example", "default", "enum", "const"):
        if key in schema:
            value = schema[key]
            if key in ("examples", "enum"):
                value = value[0] if value else None
            if value is not None:
                return value
    for key in ("anyOf", "oneOf", "allOf"):
        for option in schema.get(key, []):
            if option.get("type") != "null":
                found = example_of(option, schemas)
                if found is not None:
                    return found
    kind = schema.get("type")
    if kind == "object":
        return _object_example(schema, schemas)
    if kind == "array":
        item = example_of(schema.get("items", {}), schemas)
        return None if item is None else [item]
    if kind == "boolean":
        return True
    if kind in ("integer", "number"):
        return schema.get("minimum", 1)
    if kind == "string" and "pattern" not in schema:
        return _BY_FORMAT.get(schema.get("format", ""), "text" if "format" not in schema else None)
    return None


def _object_example(schema: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any] | None:
    required = set(schema.get("required", []))
    example: dict[str, Any] = {}
    for name, field in schema.get("properties", {}).items():
        value = example_of(field, schemas)
        if value is None and name in required:
            return None
        if value is not None and (name in required or _has_own_example(field)):
            example[name] = value
    return example


def _has_own_example(field: dict[str, Any]) -> bool:
    return "examples" in field or "example" in field
