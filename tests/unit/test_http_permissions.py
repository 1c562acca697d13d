"""The permission matrix and the guarantee that every /v1 endpoint checks it."""

from __future__ import annotations

import fastapi.routing
import pytest
from fastapi.routing import APIRoute

from domain.identity import Role
from interfaces.http.app import create_app
from interfaces.http.permissions import PERMISSIONS, is_allowed
from interfaces.settings import Settings

PUBLIC = {"issue_token"}  # logging in is the one call made without credentials
OUTSIDE_THE_API = {"/health", "/ready", "/metrics"}


def _operations(dependant) -> set[str]:
    found = set()
    for dependency in dependant.dependencies:
        operation = getattr(dependency.call, "operation", None)
        if operation is not None:
            found.add(operation)
        found |= _operations(dependency)
    return found


def _routes() -> list[APIRoute]:
    """Every endpoint (FastAPI >= 0.160 wraps included routers; older ones list them flat)."""
    app = create_app(settings=Settings(environment="test"))
    contexts = getattr(fastapi.routing, "iter_route_contexts", None)
    routes = [c.original_route for c in contexts(app.routes)] if contexts else app.routes
    return [r for r in routes if isinstance(r, APIRoute)]


def _api_routes() -> list[APIRoute]:
    return [r for r in _routes() if r.path.startswith("/v1/")]


def test_every_endpoint_is_under_v1_with_its_routers_prefix():
    # Routers carry their prefix (APIRouter(prefix="/v1/...")) and are included without one:
    # the route templates in metrics (scope["route"].path) then read in full.
    outside = {r.path for r in _routes() if not r.path.startswith("/v1/")}
    assert outside <= OUTSIDE_THE_API


@pytest.mark.parametrize("route", _api_routes(), ids=lambda r: f"{r.methods} {r.path}")
def test_every_api_route_requires_a_permission_named_after_its_operation(route):
    if route.operation_id in PUBLIC:
        return
    assert _operations(route.dependant) == {route.operation_id}, (
        f"{route.path}: take `principal: Allowed({route.operation_id!r})`"
    )
    assert route.operation_id in PERMISSIONS, f"add {route.operation_id!r} to PERMISSIONS"


def test_an_unknown_operation_is_denied_to_every_role():
    assert not any(is_allowed(role, "no_such_operation") for role in Role)


def test_only_admins_manage_users_and_keys():
    for operation in ("create_user", "issue_api_key", "revoke_api_key"):
        assert {role for role in Role if is_allowed(role, operation)} == {Role.ADMIN}


def test_every_role_may_ask_who_it_is():
    assert all(is_allowed(role, "read_current_user") for role in Role)


def test_the_openapi_document_declares_both_credentials():
    schema = create_app(settings=Settings(environment="test")).openapi()
    schemes = schema["components"]["securitySchemes"]
    assert schemes["OAuth2Password"]["flows"]["password"]["tokenUrl"] == "/v1/auth/token"
    assert (schemes["ApiKey"]["in"], schemes["ApiKey"]["name"]) == ("header", "X-API-Key")
    assert schema["paths"]["/v1/users"]["post"]["security"] == [
        {"OAuth2Password": []}, {"ApiKey": []},
    ]
