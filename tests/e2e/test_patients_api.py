"""The patients API over HTTP, against the running product (projector and worker in threads):
registration, search, pagination, corrections with If-Match, coverage, notes, roles and tenant
isolation. Each test has a tenant of its own."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from domain.context import bound_context
from tests.e2e.conftest import access_entries, headers_for

pytestmark = pytest.mark.e2e


def new_patient(**changes: Any) -> dict[str, Any]:
    body = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "date_of_birth": "1948-12-10",
        "sex": "female",
        "address": {"line1": "12 Elm Street", "city": "Springfield", "state": "IL",
                    "postal_code": "62704"},
        "mbi": "1EG4-TE5-MK73",
    }
    body.update(changes)
    return body


def register(api, headers, **changes: Any) -> dict[str, Any]:
    response = api.post("/v1/patients", json=new_patient(**changes), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def medicare(**changes: Any) -> dict[str, Any]:
    return {"payer_id": "MCR-JB", "payer_name": "Medicare DME MAC Jurisdiction B",
            "member_id": "1EG4TE5MK73", "rank": "primary", "effective_from": "2025-01-01",
            **changes}


def search(api, headers, position: int, **params: Any) -> list[dict[str, Any]]:
    response = api.get("/v1/patients", params={"min_position": position, **params},
                       headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]


@pytest.fixture
def intake(api, tenant) -> dict[str, str]:
    return headers_for(api, "intake", tenant)


@pytest.fixture
def clinician(api, tenant) -> dict[str, str]:
    return headers_for(api, "clinician", tenant)


# --- Registration and reading ------------------------------------------------------------


def test_a_registered_patient_reads_at_once_with_age_coverage_and_etag(api, intake):
    created = api.post("/v1/patients", json=new_patient(), headers=intake)

    assert created.status_code == 201
    body = created.json()
    assert created.headers["Location"] == f"/v1/patients/{body['id']}"
    assert created.headers["ETag"] == '"1"' and body["version"] == 1
    got = api.get(f"/v1/patients/{body['id']}", params={"min_position": body["position"]},
                  headers=intake)
    assert got.status_code == 200, got.text
    patient = got.json()
    assert got.headers["ETag"] == '"1"'
    assert got.headers["X-Read-Model-Position"] == str(body["position"])
    assert (patient["last_name"], patient["mbi"], patient["account_number"]) == (
        "Lovelace", "1EG4TE5MK73", body["account_number"]
    )
    assert patient["age"] >= 77 and patient["active"] is True
    assert patient["address"]["postal_code"] == "62704"
    assert patient["coverages"] == [] and patient["primary_coverage"] is None


def test_an_unknown_patient_is_404(api, intake):
    response = api.get(f"/v1/patients/{uuid.uuid4()}", headers=intake)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


# --- Search and pagination ---------------------------------------------------------------


def test_search_finds_a_name_with_a_typo_an_account_number_and_an_mbi(api, intake):
    lovelace = register(api, intake)
    register(api, intake, first_name="Grace", last_name="Hopper", mbi=None)
    last = register(api, intake, first_name="Emmy", last_name="Noether", mbi="2AC3DE4FG56")

    def ids(**params: Any) -> list[str]:
        return [p["id"] for p in search(api, intake, last["position"], **params)]

    assert ids(q="Lovelase") == [lovelace["id"]]
    assert ids(q=lovelace["account_number"]) == [lovelace["id"]]
    assert ids(q=lovelace["account_number"][:5].lower()) == [lovelace["id"]]
    assert ids(q="2AC3-DE4-FG56") == [last["id"]]
    assert ids(q="zzzz") == []


def test_filters_select_by_active_payer_and_date_of_birth(api, intake):
    first = register(api, intake)
    second = register(api, intake, last_name="Hopper", date_of_birth="1906-12-09", mbi=None)
    covered = api.post(f"/v1/patients/{first['id']}/coverages", json=medicare(), headers=intake)
    assert covered.status_code == 201, covered.text
    gone = api.post(f"/v1/patients/{second['id']}/deactivate", json={"reason": "duplicate"},
                    headers=intake)
    assert gone.status_code == 200, gone.text
    position = max(covered.json()["position"], gone.json()["position"])

    def ids(**params: Any) -> list[str]:
        return [p["id"] for p in search(api, intake, position, **params)]

    assert ids(active=False) == [second["id"]]
    assert ids(active=True) == [first["id"]]
    assert ids(payer_id="mcr-jb") == [first["id"]]
    assert ids(date_of_birth="1906-12-09") == [second["id"]]


def test_pages_list_every_patient_once_in_order_in_both_directions(api, intake):
    names = ["Young", "Adams", "King", "Baker", "Ng", "Diaz", "Evans"]
    made = [register(api, intake, last_name=name, mbi=None) for name in names]
    position = made[-1]["position"]

    def all_pages(**params: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        cursor = None
        while True:
            page = api.get("/v1/patients", headers=intake, params={
                "min_position": position, "limit": 3, **params,
                **({"cursor": cursor} if cursor else {}),
            }).json()
            assert len(page["items"]) <= 3
            items += page["items"]
            cursor = page["next_cursor"]
            if cursor is None:
                return items

    by_name = all_pages(sort="name")
    assert [p["last_name"] for p in by_name] == sorted(names)
    newest_first = all_pages(sort="registered_at", order="desc")
    assert [p["id"] for p in newest_first] == [m["id"] for m in reversed(made)]


def test_a_cursor_from_another_sort_is_refused(api, intake):
    for name in ("Adams", "Baker"):
        last = register(api, intake, last_name=name, mbi=None)
    page = api.get("/v1/patients", params={"limit": 1, "min_position": last["position"]},
                   headers=intake).json()
    response = api.get("/v1/patients", params={"sort": "registered_at",
                                                "cursor": page["next_cursor"]}, headers=intake)
    assert response.status_code == 400


# --- Corrections -------------------------------------------------------------------------


def test_a_correction_with_a_stale_if_match_is_412(api, intake):
    patient = register(api, intake)
    url = f"/v1/patients/{patient['id']}"

    corrected = api.patch(url, json={"last_name": "King", "phone": "217-555-0100"},
                          headers={**intake, "If-Match": '"1"'})
    stale = api.patch(url, json={"first_name": "Augusta"}, headers={**intake, "If-Match": '"1"'})

    assert corrected.status_code == 200, corrected.text
    assert corrected.headers["ETag"] == '"2"'
    assert stale.status_code == 412 and stale.headers["ETag"] == '"2"'
    got = api.get(url, params={"min_position": corrected.json()["position"]}, headers=intake)
    assert got.headers["ETag"] == '"2"'
    assert (got.json()["first_name"], got.json()["last_name"], got.json()["phone"]) == (
        "Ada", "King", "217-555-0100"
    )


def test_a_correction_without_if_match_keeps_every_field_it_does_not_name(api, intake):
    patient = register(api, intake, phone="217-555-0100")
    url = f"/v1/patients/{patient['id']}"

    moved = api.patch(url, json={"address": {"line1": "3 Oak Lane", "city": "Peoria",
                                             "state": "IL", "postal_code": "61602"}},
                      headers=intake)
    unlisted = api.patch(url, json={"phone": None}, headers=intake)

    assert (moved.status_code, unlisted.status_code) == (200, 200), unlisted.text
    got = api.get(url, params={"min_position": unlisted.json()["position"]}, headers=intake)
    body = got.json()
    assert got.headers["ETag"] == '"3"'
    assert (body["last_name"], body["date_of_birth"], body["phone"]) == (
        "Lovelace", "1948-12-10", None
    )
    assert (body["address"]["line1"], body["address"]["line2"], body["address"]["city"]) == (
        "3 Oak Lane", None, "Peoria"
    )


def test_an_empty_correction_is_422(api, intake):
    patient = register(api, intake)
    response = api.patch(f"/v1/patients/{patient['id']}", json={}, headers=intake)
    assert response.status_code == 422


# --- Coverage ----------------------------------------------------------------------------


def test_coverage_added_then_terminated_shows_in_the_patients_detail(api, intake):
    patient = register(api, intake)
    url = f"/v1/patients/{patient['id']}"
    added = api.post(f"{url}/coverages", json=medicare(), headers=intake)
    assert added.status_code == 201, added.text
    coverage_id = added.json()["coverage_id"]

    detail = api.get(url, params={"min_position": added.json()["position"]}, headers=intake)
    assert detail.json()["primary_coverage"]["coverage_id"] == coverage_id
    [coverage] = detail.json()["coverages"]
    assert (coverage["status"], coverage["active_today"]) == ("open", True)

    ended = api.post(f"{url}/coverages/{coverage_id}/terminate",
                     json={"terminated_on": "2025-06-30"}, headers=intake)
    assert ended.status_code == 200, ended.text
    detail = api.get(url, params={"min_position": ended.json()["position"]}, headers=intake)
    [coverage] = detail.json()["coverages"]
    assert (coverage["status"], coverage["terminated_on"], coverage["active_today"]) == (
        "terminated", "2025-06-30", False
    )
    assert detail.json()["primary_coverage"] is None and detail.json()["coverage_count"] == 0


def test_a_second_primary_coverage_in_force_is_a_409_with_the_rule(api, intake):
    patient = register(api, intake)
    url = f"/v1/patients/{patient['id']}/coverages"
    assert api.post(url, json=medicare(), headers=intake).status_code == 201
    clash = api.post(url, json=medicare(payer_id="BCBS1"), headers=intake)
    assert clash.status_code == 409 and clash.json()["rule"] == "one_active_coverage_per_rank"


SPOUSE = {"first_name": "Charles", "last_name": "Lovelace", "date_of_birth": "1945-05-02",
          "sex": "male", "address": {"line1": "12 Elm Street", "city": "Springfield",
                                     "state": "IL", "postal_code": "62704"}}


def test_a_spouses_plan_is_added_with_the_subscribers_demographics(api, intake, tenant):
    patient = register(api, intake, mbi=None)
    body = {"payer_id": "COM-AETNA", "payer_name": "Aetna", "member_id": "W987654321",
            "rank": "primary", "relationship_to_subscriber": "spouse",
            "effective_from": "2025-01-01", "subscriber": SPOUSE}
    added = api.post(f"/v1/patients/{patient['id']}/coverages", json=body, headers=intake)
    assert added.status_code == 201, added.text
    aries = api.app.state.aries
    with bound_context(tenant_id=tenant):
        stored = aries.patients.get_patient(uuid.UUID(patient["id"]))
    (coverage,) = stored.coverages.values()
    assert (coverage.subscriber.first_name, coverage.subscriber.date_of_birth.isoformat()) == (
        "Charles", "1945-05-02")


@pytest.mark.parametrize(
    "changes",
    [
        {"relationship_to_subscriber": "child"},  # no subscriber
        {"subscriber": SPOUSE},  # the patient is the subscriber: none other
        {"relationship_to_subscriber": "spouse", "subscriber": {**SPOUSE, "sex": "x"}},
        {"relationship_to_subscriber": "spouse", "subscriber": {**SPOUSE, "last_name": " "}},
    ],
)
def test_a_coverage_whose_subscriber_does_not_fit_its_relationship_is_a_422(
    api, intake, changes
):
    patient = register(api, intake, mbi=None)
    body = {"payer_id": "COM-AETNA", "payer_name": "Aetna", "member_id": "W987654321",
            "rank": "primary", "effective_from": "2025-01-01", **changes}
    response = api.post(f"/v1/patients/{patient['id']}/coverages", json=body, headers=intake)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


def test_terminating_an_unknown_coverage_is_404(api, intake):
    patient = register(api, intake)
    response = api.post(f"/v1/patients/{patient['id']}/coverages/{uuid.uuid4()}/terminate",
                        json={"terminated_on": "2025-06-30"}, headers=intake)
    assert response.status_code == 404


# --- Notes -------------------------------------------------------------------------------


def test_clinicians_write_amend_and_list_notes(api, tenant, intake, clinician):
    patient = register(api, intake)
    notes_url = f"/v1/patients/{patient['id']}/notes"
    written = api.post(notes_url, json={"subjective": "Sleeps 5 h", "plan": "Continue CPAP"},
                       headers=clinician)
    assert written.status_code == 201, written.text
    note_id = written.json()["note_id"]
    amended = api.post(f"{notes_url}/{note_id}/amendments",
                       json={"text": "Sleeps 6 h", "reason": "transcription error"},
                       headers=clinician)
    assert amended.status_code == 201, amended.text

    for reader in (clinician, headers_for(api, "auditor", tenant)):
        listed = api.get(notes_url, params={"min_position": amended.json()["position"]},
                         headers=reader)
        assert listed.status_code == 200, listed.text
        [note] = listed.json()["items"]
        assert (note["note_id"], note["subjective"], note["version"]) == (note_id, "Sleeps 5 h", 2)
        assert [a["text"] for a in note["amendments"]] == ["Sleeps 6 h"]


def test_notes_are_listed_newest_first_across_pages(api, intake, clinician):
    patient = register(api, intake)
    notes_url = f"/v1/patients/{patient['id']}/notes"
    written = [
        api.post(notes_url, json={"plan": f"plan {i}",
                                  "written_at": f"2026-11-0{i + 1}T10:00:00Z"},
                 headers=clinician).json()
        for i in range(5)
    ]
    first = api.get(notes_url, params={"limit": 2, "min_position": written[-1]["position"]},
                    headers=clinician).json()
    rest: list[dict[str, Any]] = []
    cursor = first["next_cursor"]
    while cursor:
        page = api.get(notes_url, params={"limit": 2, "cursor": cursor}, headers=clinician).json()
        rest += page["items"]
        cursor = page["next_cursor"]
    assert [n["plan"] for n in first["items"] + rest] == [f"plan {i}" for i in range(4, -1, -1)]


@pytest.mark.parametrize("role", ["biller", "admin", "intake", "analyst"])
def test_roles_without_clinical_need_are_denied_note_text(api, tenant, intake, role):
    patient = register(api, intake)
    headers = headers_for(api, role, tenant)
    notes_url = f"/v1/patients/{patient['id']}/notes"
    assert api.get(notes_url, headers=headers).status_code == 403
    assert api.post(notes_url, json={"plan": "x"}, headers=headers).status_code == 403


def test_billers_read_patients_but_analysts_do_not(api, tenant, intake):
    patient = register(api, intake)
    biller = headers_for(api, "biller", tenant)
    analyst = headers_for(api, "analyst", tenant)
    url = f"/v1/patients/{patient['id']}"
    params = {"min_position": patient["position"]}
    assert api.get(url, params=params, headers=biller).status_code == 200
    assert api.get(url, headers=analyst).status_code == 403
    assert api.get("/v1/patients", headers=analyst).status_code == 403
    assert api.post("/v1/patients", json=new_patient(), headers=biller).status_code == 403


# --- Tenant isolation and errors -----------------------------------------------------------


def test_another_tenants_patient_is_404_for_every_endpoint(api, intake, clinician):
    patient = register(api, intake)
    url = f"/v1/patients/{patient['id']}"
    coverage = api.post(f"{url}/coverages", json=medicare(), headers=intake).json()
    note = api.post(f"{url}/notes", json={"plan": "x"}, headers=clinician).json()
    api.get(url, params={"min_position": note["position"]}, headers=intake)  # projected
    other = f"t-{uuid.uuid4().hex[:10]}"
    their_intake = headers_for(api, "intake", other)
    their_clinician = headers_for(api, "clinician", other)

    calls = [
        ("get", url, None, their_intake),
        ("patch", url, {"last_name": "King"}, their_intake),
        ("post", f"{url}/coverages", medicare(), their_intake),
        ("post", f"{url}/coverages/{coverage['coverage_id']}/terminate",
         {"terminated_on": "2025-06-30"}, their_intake),
        ("post", f"{url}/deactivate", {"reason": "duplicate"}, their_intake),
        ("get", f"{url}/notes", None, their_clinician),
        ("post", f"{url}/notes", {"plan": "y"}, their_clinician),
        ("post", f"{url}/notes/{note['note_id']}/amendments", {"text": "t", "reason": "r"},
         their_clinician),
    ]
    for method, path, body, headers in calls:
        response = api.request(method, path, json=body, headers=headers)
        assert response.status_code == 404, (method, path, response.text)
    assert search(api, their_intake, note["position"]) == []


def test_a_bad_date_is_a_422_with_the_field_path_and_no_phi_in_the_answer(api, intake):
    body = new_patient(date_of_birth="1948-02-30", mbi="1SG4TE5MK73", last_name="Quixotic")

    response = api.post("/v1/patients", json=body, headers=intake)

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    paths = [error["loc"] for error in response.json()["errors"]]
    assert ["body", "date_of_birth"] in paths and ["body", "mbi"] in paths
    for phi in ("1948-02-30", "1SG4TE5MK73", "Quixotic", "Elm Street"):
        assert phi not in response.text


def test_a_future_date_of_birth_and_a_bad_state_are_422(api, intake):
    response = api.post(
        "/v1/patients",
        json=new_patient(date_of_birth="2999-01-01",
                         address={"line1": "1 A St", "city": "X", "state": "ZZ",
                                  "postal_code": "62704"}),
        headers=intake,
    )
    assert response.status_code == 422
    paths = [error["loc"] for error in response.json()["errors"]]
    assert ["body", "date_of_birth"] in paths and ["body", "address", "state"] in paths
    assert "2999-01-01" not in response.text


def test_a_bad_date_in_a_query_is_422(api, intake):
    response = api.get("/v1/patients", params={"date_of_birth": "12/10/1948"}, headers=intake)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["query", "date_of_birth"]


def test_commands_on_a_deactivated_patient_are_refused_by_rule(api, intake):
    patient = register(api, intake)
    url = f"/v1/patients/{patient['id']}"
    assert api.post(f"{url}/deactivate", json={"reason": "duplicate"},
                    headers=intake).status_code == 200
    refused = api.post(f"{url}/coverages", json=medicare(), headers=intake)
    assert refused.status_code == 409 and refused.json()["rule"] == "patient_is_active"


# --- PHI access log ------------------------------------------------------------------------


def test_every_phi_read_leaves_one_access_entry_and_a_denial_leaves_one_too(
    api, tenant, intake, clinician
):
    patient = register(api, intake)
    note = api.post(f"/v1/patients/{patient['id']}/notes", json={"plan": "x"},
                    headers=clinician).json()
    params = {"min_position": note["position"]}
    biller = headers_for(api, "biller", tenant)

    reads = [
        (api.get(f"/v1/patients/{patient['id']}", params=params, headers=intake), "read",
         "demographics", "allowed"),
        (api.get("/v1/patients", params=params, headers=intake), "search", "demographics",
         "allowed"),
        (api.get(f"/v1/patients/{patient['id']}/notes", params=params, headers=clinician),
         "read", "clinical_notes", "allowed"),
        (api.get(f"/v1/patients/{patient['id']}/notes", headers=biller), "read",
         "clinical_notes", "denied"),
    ]
    for response, action, fields_class, outcome in reads:
        [entry] = access_entries(api, response)
        assert (entry.action, entry.fields_class, entry.outcome) == (
            action, fields_class, outcome
        )
        assert entry.patient_ids == [uuid.UUID(patient["id"])]


def test_two_patients_with_one_mbi_is_a_409_problem_naming_the_rule(api, intake):
    register(api, intake, last_name="Lovelace", mbi="1EG4-TE5-MK73")
    response = api.post("/v1/patients", json=new_patient(last_name="Byron", mbi="1eg4te5mk73"),
                        headers=intake)
    assert response.status_code == 409, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["rule"] == "mbi_is_unique_per_tenant"
    assert "1EG4" not in response.text.upper()


def test_the_same_mbi_in_two_tenants_is_two_patients(api):
    for tenant in (f"t-{uuid.uuid4().hex[:10]}", f"t-{uuid.uuid4().hex[:10]}"):
        register(api, headers_for(api, "intake", tenant), mbi="1EG4-TE5-MK73")
