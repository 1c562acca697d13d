"""DirectRoute (interfaces/http/direct.py) answers a plain async read exactly as FastAPI's own
handler does: every request below is sent twice, once the direct way and once with a
dependency override set (which sends the route to FastAPI's handler), and the two answers must
match: status, body, headers and the PHI access entries they leave."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient

from interfaces.http.direct import DirectRoute
from interfaces.http.problems import ProblemError
from interfaces.http.reads import min_position
from interfaces.http.routes import patients
from tests.e2e.conftest import access_entries, headers_for
from tests.e2e.test_patients_api import register

pytestmark = pytest.mark.e2e

# Differ between any two requests whatever answers them.
VOLATILE = {"x-request-id", "date", "content-length"}


def _unrelated() -> None:  # only its override matters: FastAPI's handler then answers
    return None


@contextmanager
def fastapis_handler(api: TestClient) -> Iterator[None]:
    api.app.dependency_overrides[_unrelated] = _unrelated
    try:
        yield
    finally:
        api.app.dependency_overrides.pop(_unrelated, None)


def _answer(api: TestClient, path: str, headers: dict[str, str], params: Any) -> dict[str, Any]:
    response = api.get(path, headers=headers, params=params)
    body = response.json()
    if isinstance(body, dict):
        body.pop("instance", None)  # a problem's instance names its request id
        body.pop("request_id", None)
    entries = [
        (e.action, e.operation, e.patient_ids, e.fields_class, e.outcome)
        for e in access_entries(api, response)
    ]
    kept = {k: v for k, v in response.headers.items() if k.lower() not in VOLATILE}
    return {"status": response.status_code, "body": body, "headers": kept, "access": entries}


def _same_both_ways(api: TestClient, path: str, headers: dict[str, str], params: Any = None):
    direct = _answer(api, path, headers, params)
    with fastapis_handler(api):
        standard = _answer(api, path, headers, params)
    assert direct == standard
    return direct


@pytest.fixture
def intake(api, tenant) -> dict[str, str]:
    return headers_for(api, "intake", tenant)


def test_the_patient_reads_are_direct_and_the_commands_are_not():
    handlers = {
        (route.path, tuple(route.methods)): route.get_route_handler().__name__
        for route in patients.router.routes if isinstance(route, DirectRoute)
    }
    assert handlers[("/v1/patients/{patient_id}", ("GET",))] == "direct"
    assert handlers[("/v1/patients", ("GET",))] == "direct"
    assert handlers[("/v1/patients", ("POST",))] != "direct"


def test_a_patient_read_answers_alike_whatever_the_request(api, tenant, intake):
    created = register(api, intake)
    path = f"/v1/patients/{created['id']}"
    position = created["position"]

    read = _same_both_ways(api, path, intake, {"min_position": position})
    assert read["headers"]["x-read-model-position"] == str(position)
    ok = _same_both_ways(api, path, intake)  # the read model has it now
    assert ok["status"] == 200 and ok["access"] and ok["headers"]["etag"] == '"1"'
    _same_both_ways(api, path, {**intake, "X-Min-Position": str(position)})
    _same_both_ways(api, path, {**intake, "X-Min-Position": "1"}, {"min_position": position})
    assert _same_both_ways(api, path, intake, {"min_position": -1})["status"] == 422
    assert _same_both_ways(api, path, {**intake, "X-Min-Position": "x"})["status"] == 422
    assert _same_both_ways(api, "/v1/patients/not-an-id", intake)["status"] == 422
    assert _same_both_ways(api, f"/v1/patients/{uuid.uuid4()}", intake)["status"] == 404
    assert _same_both_ways(api, path, {})["status"] == 401
    assert _same_both_ways(api, path, {"Authorization": "Bearer nonsense"})["status"] == 401
    # both wrong: FastAPI's order decides which refusal wins
    both = _same_both_ways(api, "/v1/patients/x", {"Authorization": "Bearer nonsense"})
    assert both["status"] in (401, 422)
    denied = _same_both_ways(api, path, headers_for(api, "analyst", tenant))
    assert denied["status"] == 403 and denied["access"][0][-1] == "denied"


def test_a_patient_list_answers_alike_whatever_the_request(api, tenant, intake):
    first = register(api, intake, last_name="Lovelace")
    last = register(api, intake, last_name="Byron", mbi=None)
    position = max(first["position"], last["position"])
    wait = {"min_position": position}

    page = _same_both_ways(api, "/v1/patients", intake, {**wait, "limit": 1})
    assert page["status"] == 200 and len(page["body"]["items"]) == 1
    cursor = page["body"]["next_cursor"]
    _same_both_ways(api, "/v1/patients", intake, {"limit": 1, "cursor": cursor})
    for params in (
        {"q": "lovelase"}, {"active": "true"}, {"active": "false"},
        {"date_of_birth": "1948-12-10"}, {"payer_id": "MCR-JB"},
        {"sort": "registered_at", "order": "desc", "limit": 1},
        {"sort": "registered_at", "cursor": cursor},  # another sort's cursor: 400
        {"limit": 0}, {"limit": "many"}, {"q": "ab"}, {"sort": "age"}, {"active": ""},
        [("limit", "1"), ("limit", "2")],
    ):
        _same_both_ways(api, "/v1/patients", intake, params if isinstance(params, list)
                        else {**wait, **params})
    assert _same_both_ways(api, "/v1/patients", intake, {"cursor": "junk"})["status"] == 400
    csv = api.get("/v1/patients", headers={**intake, "Accept": "text/csv"}, params=wait)
    with fastapis_handler(api):
        standard_csv = api.get("/v1/patients", headers={**intake, "Accept": "text/csv"},
                               params=wait)
    assert (csv.status_code, csv.text) == (standard_csv.status_code, standard_csv.text)


def test_dependency_overrides_reach_a_direct_route(api, intake):
    """(and so the comparisons above did compare two handlers)"""

    async def teapot() -> None:
        raise ProblemError(418, "Teapot", "overridden")

    api.app.dependency_overrides[min_position] = teapot
    try:
        assert api.get("/v1/patients", headers=intake).status_code == 418
    finally:
        api.app.dependency_overrides.pop(min_position, None)
    assert api.get("/v1/patients", headers=intake).status_code == 200
