"""The role x endpoint matrix, proved over HTTP: for every /v1 operation and every role, a role
outside `PERMISSIONS[operation]` gets 403 problem+json, and a role inside it gets past the
permission check (any answer but 401/403).

Path parameters are random ids of nothing, bodies are empty: an allowed call then answers
404/422/400 and changes nothing. The permission check runs before body validation, so a denial
is a 403 whatever the request holds.
"""

from __future__ import annotations

import re
import uuid

import fastapi.routing
import pytest
from fastapi.routing import APIRoute

from domain.identity import Role
from interfaces.http.app import create_app
from interfaces.http.permissions import PERMISSIONS
from interfaces.settings import Settings
from tests.e2e.conftest import headers_for

pytestmark = pytest.mark.e2e

PUBLIC = {"issue_token"}
# Path parameters that are not ids take a valid value, so the call reaches the permission check
# on a real route shape.
PATH_VALUES = {"aggregate_type": "patients"}


def _api_routes() -> list[APIRoute]:
    app = create_app(settings=Settings(environment="test"))
    contexts = getattr(fastapi.routing, "iter_route_contexts", None)
    routes = [c.original_route for c in contexts(app.routes)] if contexts else app.routes
    return [
        r for r in routes
        if isinstance(r, APIRoute) and r.path.startswith("/v1/") and r.operation_id not in PUBLIC
    ]


def _cases() -> list[tuple[str, str, str, Role]]:
    cases = []
    for route in _api_routes():
        for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
            for role in Role:
                cases.append((method, route.path, route.operation_id, role))
    return cases


@pytest.fixture(scope="module")
def role_headers(api) -> dict[Role, dict[str, str]]:
    tenant = f"t-matrix-{uuid.uuid4().hex[:8]}"
    return {role: headers_for(api, role, tenant) for role in Role}


def _url(path: str) -> str:
    def value(match: re.Match[str]) -> str:
        return PATH_VALUES.get(match.group(1), str(uuid.uuid4()))

    return re.sub(r"\{([^}:]+)(?::[^}]*)?\}", value, path)


@pytest.mark.parametrize(
    ("method", "path", "operation", "role"),
    _cases(),
    ids=lambda v: v.value if isinstance(v, Role) else str(v),
)
def test_each_role_is_allowed_exactly_what_the_matrix_says(
    api, role_headers, method, path, operation, role
):
    response = api.request(method, _url(path), headers=role_headers[role])
    if role in PERMISSIONS[operation]:
        assert response.status_code not in (401, 403), (
            f"{role.value} may {operation} but got {response.status_code}: {response.text[:200]}"
        )
    else:
        assert response.status_code == 403, (
            f"{role.value} may not {operation} but got {response.status_code}"
        )
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["operation"] == operation


def test_the_matrix_covers_every_api_operation():
    operations = {r.operation_id for r in _api_routes()}
    assert operations <= set(PERMISSIONS)
