"""The OpenAPI document says what the server answers: errors as problem documents, the statuses
the platform adds around every route, bounded integers, an example for every request body."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, Field

from interfaces.http.app import create_app
from interfaces.http.bounds import BIGINT_MAX
from interfaces.http.openapi import example_of
from interfaces.settings import Settings

PROBLEM = "application/problem+json"
# Readiness answers its own body with 503: which dependency did not answer.
OWN_ERROR_BODIES = {("/ready", "get", "503")}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return create_app(settings=Settings(environment="test")).openapi()


def operations(document: dict[str, Any]):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_every_error_answer_is_documented_as_a_problem_document(document):
    wrong = [
        (path, method, code, list(answer.get("content", {})))
        for path, method, operation in operations(document)
        for code, answer in operation["responses"].items()
        if code[0] in "45" and (path, method, code) not in OWN_ERROR_BODIES
        and list(answer.get("content", {})) != [PROBLEM]
    ]
    assert wrong == []


def test_fastapis_own_validation_error_shape_is_not_in_the_document(document):
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_the_statuses_the_platform_answers_are_on_every_operation(document):
    for path, method, operation in operations(document):
        codes = set(operation["responses"])
        assert {"400", "500"} <= codes, (path, method)
        if path.startswith("/v1/"):
            assert {"429", "503"} <= codes, (path, method)
            assert "Retry-After" in operation["responses"]["429"]["headers"]
        if operation.get("parameters") or "requestBody" in operation:
            assert "422" in codes, (path, method)
        if "{" in path:
            assert "404" in codes, (path, method)
        if any(p["name"] == "If-Match" for p in operation.get("parameters", [])):
            assert "412" in codes, (path, method)


def test_every_request_body_has_an_example(document):
    missing = [
        (path, method)
        for path, method, operation in operations(document)
        for media in operation.get("requestBody", {}).get("content", {}).values()
        if not media.get("example") and not media.get("examples")
    ]
    assert missing == []


def _integer_schema(schema: dict[str, Any]) -> dict[str, Any] | None:
    for option in [schema, *schema.get("anyOf", [])]:
        if option.get("type") == "integer":
            return option
    return None


def test_every_integer_parameter_is_bounded_to_what_postgresql_holds(document):
    unbounded = [
        (path, method, parameter["name"])
        for path, method, operation in operations(document)
        for parameter in operation.get("parameters", [])
        if (schema := _integer_schema(parameter["schema"])) is not None
        and not ("minimum" in schema and schema.get("maximum", BIGINT_MAX + 1) <= BIGINT_MAX)
    ]
    assert unbounded == []


class _Pin(BaseModel):
    pin: str = Field(..., pattern=r"^[0-9]{4}$")


class _Named(BaseModel):
    name: str = Field(..., examples=["Ada"])
    nickname: str | None = None


def test_a_body_whose_required_field_has_no_example_gets_none():
    schema = _Pin.model_json_schema()
    assert example_of(schema, {}) is None


def test_a_body_example_is_made_of_its_required_fields_examples():
    assert example_of(_Named.model_json_schema(), {}) == {"name": "Ada"}
