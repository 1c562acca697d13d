"""Every integer parameter the OpenAPI document declares is tried at its bounds against the
running product: at the bound it reaches the database and is answered without a 500; one past
it is a 422 problem before anything runs. A parameter added without bounds fails the unit test
of the document (tests/unit/test_openapi_document.py)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from domain.identity import Role
from interfaces.http.openapi import example_of
from interfaces.http.permissions import PERMISSIONS
from tests.e2e.conftest import headers_for

pytestmark = pytest.mark.e2e

PREFERENCE = (Role.ADMIN, Role.BILLER, Role.INTAKE, Role.CLINICIAN, Role.AUDITOR, Role.ANALYST)
PROBLEM = "application/problem+json"


def _integer(schema: dict[str, Any]) -> dict[str, Any] | None:
    return next(
        (s for s in [schema, *schema.get("anyOf", [])] if s.get("type") == "integer"), None
    )


def _bounded_parameters(document: dict[str, Any]):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for parameter in operation.get("parameters", []):
                schema = _integer(parameter["schema"])
                if schema is not None:
                    yield path, method, operation, parameter, schema


def _request(api, document, path, method, operation, parameter, value, headers):
    """The operation called with `parameter` at `value` and every other required parameter at
    an example value (random ids: a 404 is as good an answer as any)."""
    schemas = document["components"]["schemas"]
    query: dict[str, Any] = {}
    sent = dict(headers)
    url = path
    for other in operation.get("parameters", []):
        if other is parameter:
            given = value
        elif other["in"] == "path":
            given = example_of(other["schema"], schemas)
            if other["schema"].get("format") == "uuid":
                given = uuid.uuid4()
        elif other.get("required"):
            given = example_of(other["schema"], schemas)
        else:
            continue
        if other["in"] == "path":
            url = url.replace("{" + other["name"] + "}", str(given))
        elif other["in"] == "query":
            query[other["name"]] = str(given)
        elif other["in"] == "header":
            sent[other["name"]] = str(given)
    # A position nobody reached makes the read wait its bounded time: keep that short here.
    return api.request(method.upper(), url, params=query, headers=sent)


@pytest.fixture
def short_read_wait(api, monkeypatch):
    monkeypatch.setattr(api.app.state.aries.settings, "read_wait_seconds", 0.05)


def test_each_integer_parameter_is_answered_at_its_bounds_and_refused_past_them(
    api, tenant, short_read_wait
):
    document = api.app.openapi()
    callers: dict[Role, dict[str, str]] = {}
    tried = []
    for path, method, operation, parameter, schema in _bounded_parameters(document):
        allowed = PERMISSIONS.get(operation["operationId"], frozenset(Role))
        role = next((r for r in PREFERENCE if r in allowed), Role.ADMIN)
        if role not in callers:
            callers[role] = headers_for(api, role, tenant)
        for value, refused in (
            (schema["maximum"], False), (schema["minimum"], False),
            (schema["maximum"] + 1, True), (schema["minimum"] - 1, True),
        ):
            response = _request(
                api, document, path, method, operation, parameter, value, callers[role]
            )
            where = (method, path, parameter["name"], value, response.status_code)
            if refused:
                assert response.status_code == 422, where
                assert response.headers["content-type"] == PROBLEM, where
            else:
                assert response.status_code < 500, where
            tried.append(where)
    # The claims list's day count and the audit cursors were the 500s of issue 19.
    names = {(path, name) for _, path, name, _, _ in tried}
    assert ("/v1/claims", "min_days_outstanding") in names
    assert ("/v1/audit/access", "after") in names
