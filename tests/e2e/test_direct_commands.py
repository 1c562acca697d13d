"""DirectCommandRoute (interfaces/http/direct_commands.py) answers a patient command as FastAPI's
own handler does: each request below is sent the direct way and again with a dependency
override set (which sends the route to FastAPI's handler). A refused request must get the same
answer both ways (status, problem body, headers); an accepted one the same answer but for what
names the new record (its id, account number, position, Location) or version."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from interfaces.http.direct_commands import DirectCommandRoute
from interfaces.http.problems import ProblemError
from interfaces.http.routes import patients
from interfaces.http.security import current_principal
from tests.e2e.conftest import headers_for
from tests.e2e.test_direct_routes import VOLATILE, fastapis_handler
from tests.e2e.test_patients_api import intake, medicare, new_patient, register

pytestmark = pytest.mark.e2e
__all__ = ["intake"]  # the patients tests' fixture

NEW = {"id", "position", "account_number", "coverage_id", "note_id", "amendment_id"}


def _answer(response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = response.text
    if isinstance(body, dict):
        body.pop("instance", None)  # a problem's instance names its request id
        body.pop("request_id", None)
        body = {k: ("<new>" if k in NEW else v) for k, v in body.items()}
    headers = {k: v for k, v in response.headers.items() if k.lower() not in VOLATILE}
    if "location" in headers:
        headers["location"] = "<new>"
    if response.status_code < 300:  # the second of two commands on a patient is one version on
        body["version"] = "<next>"
        headers["etag"] = "<next>"
    return {"status": response.status_code, "body": body, "headers": headers}


def _same_both_ways(api, method: str, path: str, **request: Any) -> dict[str, Any]:
    direct = _answer(api.request(method, path, **request))
    with fastapis_handler(api):
        standard = _answer(api.request(method, path, **request))
    assert direct == standard
    return direct


def test_the_patient_commands_are_direct():
    handlers = {
        (route.path, tuple(route.methods)): route.get_route_handler().__name__
        for route in patients.router.routes
        if isinstance(route, DirectCommandRoute)
    }
    commands = {key: name for key, name in handlers.items() if key[1] != ("GET",)}
    assert len(commands) == 7
    assert set(commands.values()) == {"direct_command"}


def test_a_registration_answers_alike_whatever_the_request(api, tenant, intake):
    def post(**request: Any) -> dict[str, Any]:
        return _same_both_ways(api, "POST", "/v1/patients", **request)

    json_type = {**intake, "Content-Type": "application/json"}
    assert post(json=new_patient(mbi=None), headers=intake)["status"] == 201
    plus_json = {**intake, "Content-Type": "application/vnd.aries+json; charset=utf-8"}
    assert (
        post(
            content=b'{"first_name": "Ada", "last_name": "Byron", "date_of_birth": '
            b'"1950-01-01", "sex": "female", "address": {"line1": "1 Main St", "city": '
            b'"Columbus", "state": "OH", "postal_code": "43004"}, "extra": 1}',
            headers=plus_json,
        )["status"]
        == 201
    )
    for refused in (
        {"content": b"{", "headers": json_type},
        {"content": b"", "headers": json_type},
        {"content": b"\xff\xfe{}", "headers": json_type},
        {"content": b"[1, 2]", "headers": json_type},
        {"content": b"null", "headers": json_type},
        {"content": b"NaN", "headers": json_type},
        {"content": b'{"first_name": "Ada"}', "headers": {**intake, "Content-Type": "text/plain"}},
        {"content": b'{"first_name": "Ada"}', "headers": intake},  # no Content-Type
        {"json": new_patient(date_of_birth="2999-01-01"), "headers": intake},
        {"json": new_patient(mbi="not an MBI"), "headers": intake},
        {"json": new_patient(sex="sometimes"), "headers": intake},
        {"json": new_patient(first_name="Ada\u0001"), "headers": intake},
        {"json": {**new_patient(), "address": {"state": "ZZ"}}, "headers": intake},
    ):
        assert post(**refused)["status"] in (400, 422)
    assert post(json=new_patient(mbi=None), headers={})["status"] == 401
    # both wrong: FastAPI's order decides which refusal wins
    assert post(content=b"{", headers={**json_type, "Authorization": "Bearer x"})["status"] in (
        401,
        422,
    )
    assert post(json={}, headers={"Authorization": "Bearer nonsense"})["status"] in (401, 422)
    analyst = headers_for(api, "analyst", tenant)
    assert post(json=new_patient(mbi=None), headers=analyst)["status"] == 403
    mbi = new_patient()["mbi"]
    assert api.post("/v1/patients", json=new_patient(mbi=mbi), headers=intake).status_code == 201
    taken = post(json=new_patient(mbi=mbi), headers=intake)
    assert taken["status"] == 409 and taken["body"]["rule"] == "mbi_is_unique_per_tenant"


def test_a_correction_answers_alike_whatever_the_request(api, intake):
    created = register(api, intake, mbi=None)
    path = f"/v1/patients/{created['id']}"

    def patch(body: Any, if_match: str | None = None) -> dict[str, Any]:
        headers = intake if if_match is None else {**intake, "If-Match": if_match}
        return _same_both_ways(api, "PATCH", path, json=body, headers=headers)

    assert patch({"phone": "+1 217 555 0100"})["status"] == 200
    assert patch({"last_name": "King"}, '"1"')["status"] == 412
    assert patch({"last_name": "King"}, 'W/"1"')["status"] == 400
    assert patch({"last_name": "King"}, "three")["status"] == 400
    assert patch({})["status"] == 422
    assert patch({"last_name": None})["status"] == 422
    assert patch({"date_of_birth": "yesterday"}, "junk")["status"] in (400, 422)
    missing = _same_both_ways(
        api, "PATCH", f"/v1/patients/{uuid.uuid4()}", json={"last_name": "King"}, headers=intake
    )
    assert missing["status"] == 404
    assert (
        _same_both_ways(
            api, "PATCH", "/v1/patients/not-an-id", json={"last_name": "King"}, headers=intake
        )["status"]
        == 422
    )


def test_coverage_and_note_commands_answer_alike(api, tenant, intake):
    created = register(api, intake)
    path = f"/v1/patients/{created['id']}"
    added = api.post(f"{path}/coverages", json=medicare(), headers=intake)
    assert added.status_code == 201, added.text
    assert (
        _same_both_ways(api, "POST", f"{path}/coverages", json=medicare(), headers=intake)["status"]
        == 409
    )  # one primary coverage in force at a time
    assert (
        _same_both_ways(
            api, "POST", f"{path}/coverages", json=medicare(effective_from="soon"), headers=intake
        )["status"]
        == 422
    )
    clinician = headers_for(api, "clinician", tenant)
    written = _same_both_ways(
        api, "POST", f"{path}/notes", json={"subjective": "Sleeps well."}, headers=clinician
    )
    assert written["status"] == 201 and written["body"]["note_id"] == "<new>"
    assert (
        _same_both_ways(api, "POST", f"{path}/notes", json={"subjective": " "}, headers=clinician)[
            "status"
        ]
        == 422
    )
    assert (
        _same_both_ways(api, "POST", f"{path}/notes", json={"subjective": "x"}, headers=intake)[
            "status"
        ]
        == 403
    )


def test_dependency_overrides_reach_a_direct_command(api, intake):
    """(and so the comparisons above did compare two handlers)"""

    async def teapot() -> None:
        raise ProblemError(418, "Teapot", "overridden")

    api.app.dependency_overrides[current_principal] = teapot
    try:
        answer = api.post("/v1/patients", json=new_patient(mbi=None), headers=intake)
        assert answer.status_code == 418
    finally:
        api.app.dependency_overrides.pop(current_principal, None)
    assert api.post("/v1/patients", json=new_patient(mbi=None), headers=intake).status_code == 201
