"""Values at the edge of what the API takes: dates only as written dates, no control characters,
and a patient search that must say enough to identify someone (minimum necessary)."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import headers_for
from tests.e2e.test_patients_api import new_patient, register, search

pytestmark = pytest.mark.e2e

PROBLEM = "application/problem+json"


@pytest.fixture
def intake(api, tenant) -> dict[str, str]:
    return headers_for(api, "intake", tenant)


@pytest.mark.parametrize("born", [0, "0", 86400, "1948-12-10T00:00:00"])
def test_a_date_of_birth_that_is_not_a_written_date_is_422(api, intake, born):
    response = api.post("/v1/patients", json=new_patient(date_of_birth=born), headers=intake)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    assert ["body", "date_of_birth"] in [e["loc"] for e in response.json()["errors"]]


def test_a_date_query_parameter_that_is_not_a_written_date_is_422(api, intake):
    response = api.get("/v1/patients", params={"date_of_birth": "0"}, headers=intake)
    assert response.status_code == 422


@pytest.mark.parametrize("name", ["Ada\u0007", "Ada\u009b", "Ada\u007f", "Ada\u001b[2J"])
def test_a_control_character_in_a_name_is_refused(api, intake, name):
    response = api.post("/v1/patients", json=new_patient(first_name=name), headers=intake)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["type"].endswith("/control-character")


@pytest.mark.parametrize("name", ["Ada\nLovelace", "Ada\tLovelace"])
def test_a_line_break_or_tab_in_a_name_is_422(api, intake, name):
    response = api.post("/v1/patients", json=new_patient(last_name=name), headers=intake)
    assert response.status_code == 422, response.text


def test_a_control_character_in_the_query_string_is_refused(api, intake):
    response = api.get("/v1/patients?q=ada%07", headers=intake)
    assert response.status_code == 400


def test_a_note_keeps_its_line_breaks_and_tabs(api, intake, tenant):
    patient = register(api, intake)
    note = {"subjective": "Sleeps well.\nNo complaints.\tNone.", "plan": "Continue\r\n"}
    response = api.post(f"/v1/patients/{patient['id']}/notes", json=note,
                        headers=headers_for(api, "clinician", tenant))
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("q", ["ee", "a b", "..e"])
def test_a_search_with_fewer_than_three_letters_or_digits_is_422(api, intake, q):
    response = api.get("/v1/patients", params={"q": q}, headers=intake)
    assert response.status_code == 422, response.text


def test_a_junk_search_does_not_answer_patients_it_does_not_identify(api, intake):
    names = ["Eames", "Eberly", "Eckert", "Edison", "Eliot", "Emmett", "Ebbe", "Eden"]
    last = None
    for name in names:
        last = register(api, intake, last_name=name, first_name="Eve", mbi=None)
    assert search(api, intake, last["position"], q="e e e") == []
    assert search(api, intake, last["position"], q="eqz") == []
    assert [p["last_name"] for p in search(api, intake, last["position"], q="Edisn")] == ["Edison"]
