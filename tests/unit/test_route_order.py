"""The hot routers are matched first (interfaces/http/direct.py, `match_first`) without changing
which route answers any request, and /openapi.json still lists the routes in the order they
were added."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from starlette.routing import Match

from interfaces.http import app as app_module
from interfaces.http.direct import _path_formats, match_first
from interfaces.http.openapi import problem_openapi
from interfaces.settings import Settings

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


@pytest.fixture(scope="module")
def served() -> FastAPI:
    return app_module.create_app(settings=Settings(environment="test"))


@pytest.fixture(scope="module")
def added() -> FastAPI:
    """The same app with its routes left in the order they were added."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(app_module, "HOT_ROUTERS", ())
        return app_module.create_app(settings=Settings(environment="test"))


def _chosen(app: FastAPI, path: str, method: str) -> object:
    """What Starlette's router hands the request to among the app's top-level routes (the first
    full match, else the first partial one: a wrong method), named alike in both apps: an
    included router by its APIRouter, a route by its path."""
    scope = {"type": "http", "path": path, "method": method, "root_path": "", "headers": []}
    partial = None
    for route in app.router.routes:
        match, _ = route.matches(dict(scope))
        if match == Match.FULL:
            return _name(route)
        if match == Match.PARTIAL and partial is None:
            partial = _name(route)
    return partial


def _name(route: Any) -> object:
    return getattr(route, "original_router", None) or route.path_format


def test_the_patients_router_is_matched_first(served, added):
    assert _name(served.router.routes[0]) is app_module.patients.router
    assert _name(added.router.routes[0]) is not app_module.patients.router


def test_every_request_goes_to_the_route_it_went_to_before(served, added):
    paths = {
        re.sub(r"\{[^}]+\}", value, path)
        for route in served.router.routes
        for path in _path_formats(route) or ()
        for value in ("x", "00000000-0000-0000-0000-000000000001", "patients", "")
    }
    assert len(paths) > 100
    for path in sorted(paths | {"/", "/v1", "/v1/patients/", "/nowhere"}):
        for method in METHODS:
            assert _chosen(served, path, method) is _chosen(added, path, method), (method, path)


def test_the_document_keeps_the_order_the_routes_were_added_in(served, added):
    assert served.openapi() == added.openapi()
    assert list(served.openapi()["paths"]) == list(added.openapi()["paths"])
    assert list(problem_openapi(served)["paths"])[0] == "/v1/patients"  # the served order


def test_a_router_that_an_earlier_route_could_match_stays_where_it_is():
    catch_all, hot = APIRouter(), APIRouter(prefix="/v1/patients")

    @catch_all.get("/v1/{anything}")
    async def anything(anything: str) -> str:
        return anything

    @hot.get("")
    async def patients() -> list[str]:
        return []

    app = FastAPI()
    app.include_router(catch_all)
    app.include_router(hot)
    before = list(app.router.routes)
    assert match_first(app, hot) is False
    assert app.router.routes == before
    assert match_first(app, catch_all) is True  # nothing stands before the first one
