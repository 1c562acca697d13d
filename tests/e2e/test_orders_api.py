"""The orders API over HTTP, against the running product (real PostgreSQL and Redis, projector
and worker in threads): every command endpoint, the queries with read-your-writes, If-Match,
rule violations, tenant isolation, filters, pagination, validation and permissions.

Patients and coverage are recorded through the Patient application (the patients API is
someone else's endpoint); everything about orders goes over HTTP.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from domain.context import bound_context
from domain.identity import Role
from interfaces.http.permissions import is_allowed
from tests.e2e.conftest import access_entries, headers_for
from tests.integration.scenarios import medicare_patient

pytestmark = pytest.mark.e2e

DAY = "2026-06-01"
BED_AND_WALKER = [
    {"hcpcs": "E0260", "quantity": 1, "billing": "rental"},
    {"hcpcs": "E0143", "quantity": 1, "billing": "purchase_new"},
]
PRACTITIONER = {"name": "Dr Ada Lovelace", "npi": "1234567893"}


# --- Helpers ----------------------------------------------------------------------------------


def patient(api: TestClient, tenant: str) -> tuple[str, str]:
    """A Medicare patient with an active coverage, in `tenant`: (patient id, coverage id)."""
    with bound_context(tenant_id=tenant):
        patient_id, coverage_id = medicare_patient(api.app.state.aries)
    return str(patient_id), str(coverage_id)


def place(
    api: TestClient,
    headers: dict[str, str],
    patient_id: str,
    *,
    lines: list[dict[str, Any]] = BED_AND_WALKER,
    order_date: str = DAY,
) -> dict[str, Any]:
    response = api.post(
        "/v1/orders",
        json={
            "patient_id": patient_id,
            "order_date": order_date,
            "practitioner": PRACTITIONER,
            "diagnoses": ["G47.33", "E11.9"],
            "lines": lines,
        },
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return response.json()


def act(
    api: TestClient, headers: dict[str, str], order_id: str, action: str, body: dict[str, Any]
) -> dict[str, Any]:
    response = api.post(f"/v1/orders/{order_id}/{action}", json=body, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == f'"{response.json()["version"]}"'
    return response.json()


def read(api: TestClient, headers: dict[str, str], answer: dict[str, Any]) -> dict[str, Any]:
    """GET the order a command answered, at that command's position."""
    response = api.get(
        f"/v1/orders/{answer['id']}", params={"min_position": answer["position"]}, headers=headers
    )
    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == f'"{response.json()["version"]}"'
    return response.json()


def deliver_body(bed_line_id: str, on: str = DAY) -> dict[str, Any]:
    return {
        "delivered_on": on,
        "proof_of_delivery": {
            "signer_name": "Ana Rivera",
            "relationship": "patient",
            "signed_on": on,
            "serial_numbers": [{"line_id": bed_line_id, "serial": "BED-0001"}],
        },
    }


def ready_to_deliver(api, headers, tenant) -> tuple[dict[str, Any], dict[str, Any]]:
    """A bed-and-walker order with eligible coverage and its SWO: (placed answer, last answer)."""
    patient_id, coverage_id = patient(api, tenant)
    placed = place(api, headers, patient_id)
    act(api, headers, placed["id"], "coverage-verification", {
        "coverage_id": coverage_id, "verified_on": DAY, "eligible": True,
        "same_or_similar_found": False,
    })
    last = act(api, headers, placed["id"], "documents", {"swo": {"signed_on": DAY}})
    return placed, last


@pytest.fixture
def intake(api, tenant) -> dict[str, str]:
    return headers_for(api, "intake", tenant)


# --- Commands and reading them back -----------------------------------------------------------


def test_placing_an_order_answers_201_with_location_and_reads_back_at_its_position(
    api, tenant, intake
):
    patient_id, _ = patient(api, tenant)
    response = api.post(
        "/v1/orders",
        json={"patient_id": patient_id, "order_date": DAY, "practitioner": PRACTITIONER,
              "diagnoses": ["G47.33"], "lines": BED_AND_WALKER},
        headers=intake,
    )

    assert response.status_code == 201, response.text
    placed = response.json()
    assert response.headers["Location"] == f"/v1/orders/{placed['id']}"
    assert response.headers["ETag"] == '"1"' and placed["version"] == 1
    order = read(api, intake, placed)
    assert (order["status"], order["patient_id"], order["order_date"]) == (
        "intake", patient_id, DAY
    )
    assert [line["line_id"] for line in order["lines"]] == placed["line_ids"]
    assert [(line["hcpcs"], line["billing"]) for line in order["lines"]] == [
        ("E0260", "rental"), ("E0143", "purchase_new")
    ]
    assert order["practitioner"] == PRACTITIONER and order["diagnoses"] == ["G47.33"]
    assert order["coverage"] is None and order["documentation"]["complete"] is False


def test_an_order_is_verified_documented_and_delivered_over_http(api, tenant, intake):
    placed, _ = ready_to_deliver(api, intake, tenant)
    bed_line_id = placed["line_ids"][0]

    delivered = act(api, intake, placed["id"], "delivery", deliver_body(bed_line_id))

    order = read(api, intake, delivered)
    assert (order["status"], order["delivered_on"], order["pod_signer_relationship"]) == (
        "delivered", DAY, "patient"
    )
    assert order["coverage"]["eligible"] is True and order["coverage"]["payer_id"] == "MCR-DMEB"
    assert order["documentation"]["swo_signed_on"] == DAY
    assert order["documentation"]["complete"] is True
    bed, walker = order["lines"]
    assert (bed["serial_numbers"], bed["rental_months_opened"]) == (["BED-0001"], 1)
    assert (walker["serial_numbers"], walker["rental_months_opened"]) == ([], 0)


def test_wopd_and_face_to_face_are_recorded_together_and_complete_a_power_chair_file(
    api, tenant, intake
):
    patient_id, _ = patient(api, tenant)
    placed = place(api, intake, patient_id,
                   lines=[{"hcpcs": "K0823", "quantity": 1, "billing": "rental"}])

    answer = act(api, intake, placed["id"], "documents", {
        "swo": {"signed_on": DAY}, "wopd": {"signed_on": DAY},
        "face_to_face": {"encounter_on": "2026-05-20"}, "abn": {"signed_on": DAY},
    })

    documentation = read(api, intake, answer)["documentation"]
    assert documentation == {
        "swo_signed_on": DAY, "wopd_required": True, "wopd_signed_on": DAY,
        "face_to_face_on": "2026-05-20", "abn_signed_on": DAY, "complete": True,
    }


def test_an_abn_not_obtained_is_recorded_with_its_decision(api, tenant, intake):
    patient_id, _ = patient(api, tenant)
    placed = place(api, intake, patient_id,
                   lines=[{"hcpcs": "E0601", "quantity": 1, "billing": "rental"}])
    act(api, intake, placed["id"], "documents",
        {"abn": {"signed_on": DAY, "decision": "not_obtained"}})
    with bound_context(tenant_id=tenant):
        order = api.app.state.aries.orders.get_order(uuid.UUID(placed["id"]))
    assert order.abn_decision.value == "not_obtained"


def test_an_unknown_abn_decision_is_a_422(api, tenant, intake):
    patient_id, _ = patient(api, tenant)
    placed = place(api, intake, patient_id,
                   lines=[{"hcpcs": "E0601", "quantity": 1, "billing": "rental"}])
    response = api.post(f"/v1/orders/{placed['id']}/documents", headers=intake,
                        json={"abn": {"signed_on": DAY, "decision": "maybe"}})
    assert response.status_code == 422, response.text


def test_prior_authorization_decisions_are_kept_per_line(api, tenant, intake):
    patient_id, _ = patient(api, tenant)
    placed = place(api, intake, patient_id, lines=[
        {"hcpcs": "E0277", "quantity": 1, "billing": "rental"},
        {"hcpcs": "E0260", "quantity": 1, "billing": "rental"},
    ])
    mattress = placed["line_ids"][0]

    refused = act(api, intake, placed["id"], "prior-authorization", {
        "decision": "non_affirmed", "decided_on": DAY, "reason": "insufficient documentation",
        "line_ids": [mattress],
    })
    assert read(api, intake, refused)["prior_authorization"] == {
        "status": "non_affirmed", "valid_until": None,
    }
    affirmed = act(api, intake, placed["id"], "prior-authorization", {
        "decision": "affirmed", "utn": "jc1234567890pa", "decided_on": "2026-06-03",
    })

    order = read(api, intake, affirmed)
    assert order["prior_authorization"] == {"status": "affirmed", "valid_until": "2026-07-03"}
    line, bed = order["lines"]
    assert (line["prior_auth_status"], line["utn"], line["utn_valid_until"]) == (
        "affirmed", "JC1234567890PA", "2026-07-03"
    )
    assert line["prior_auth_reason"] is None
    assert (bed["prior_auth_required"], bed["prior_auth_status"]) == (False, None)


def test_a_hold_blocks_delivery_until_the_order_is_released(api, tenant, intake):
    placed, _ = ready_to_deliver(api, intake, tenant)
    held = act(api, intake, placed["id"], "hold", {"reason": "awaiting paperwork", "on": DAY})
    assert read(api, intake, held)["hold"] == {"reason": "awaiting paperwork", "since": DAY}

    refused = api.post(f"/v1/orders/{placed['id']}/delivery",
                       json=deliver_body(placed["line_ids"][0]), headers=intake)
    released = act(api, intake, placed["id"], "release", {"on": DAY})

    assert refused.status_code == 409
    assert refused.json()["rule"] == "order_on_hold_cannot_be_delivered"
    order = read(api, intake, released)
    assert (order["status"], order["hold"]) == ("intake", None)


def test_a_pickup_ends_a_delivered_rental(api, tenant, intake):
    placed, _ = ready_to_deliver(api, intake, tenant)
    act(api, intake, placed["id"], "delivery", deliver_body(placed["line_ids"][0]))

    picked_up = act(api, intake, placed["id"], "pickup",
                    {"picked_up_on": "2026-06-20", "reason": "no longer needed"})

    order = read(api, intake, picked_up)
    assert (order["status"], order["picked_up_on"], order["pickup_reason"]) == (
        "picked_up", "2026-06-20", "no longer needed"
    )


def test_a_cancelled_order_accepts_no_more_commands(api, tenant, intake):
    patient_id, _ = patient(api, tenant)
    placed = place(api, intake, patient_id)
    cancelled = act(api, intake, placed["id"], "cancel", {"on": DAY, "reason": "declined"})

    refused = api.post(f"/v1/orders/{placed['id']}/hold",
                       json={"reason": "x", "on": DAY}, headers=intake)

    order = read(api, intake, cancelled)
    assert (order["status"], order["cancelled_on"], order["cancellation_reason"]) == (
        "cancelled", DAY, "declined"
    )
    assert refused.status_code == 409
    assert refused.json()["rule"] == "cancelled_order_accepts_no_changes"


def test_a_clinician_records_cpap_adherence_after_delivery(api, tenant, intake):
    patient_id, coverage_id = patient(api, tenant)
    placed = place(api, intake, patient_id,
                   lines=[{"hcpcs": "E0601", "quantity": 1, "billing": "rental"}])
    cpap = placed["line_ids"][0]
    act(api, intake, placed["id"], "coverage-verification", {
        "coverage_id": coverage_id, "verified_on": DAY, "eligible": True,
        "same_or_similar_found": False,
    })
    act(api, intake, placed["id"], "delivery", {
        "delivered_on": DAY,
        "proof_of_delivery": {"signer_name": "Ana Rivera", "relationship": "patient",
                              "signed_on": DAY,
                              "serial_numbers": [{"line_id": cpap, "serial": "CPAP-1"}]},
    })
    clinician = headers_for(api, "clinician", tenant)

    recorded = act(api, clinician, placed["id"], "adherence",
                   {"line_id": cpap, "evaluated_on": "2026-07-01", "compliant": True})

    [line] = read(api, clinician, recorded)["lines"]
    assert (line["adherence_met"], line["adherence_evaluated_on"]) == (True, "2026-07-01")


# --- Concurrency, rules, tenants ---------------------------------------------------------------


def test_a_command_with_a_stale_if_match_is_412_and_changes_nothing(api, tenant, intake):
    placed, last = ready_to_deliver(api, intake, tenant)

    stale = api.post(f"/v1/orders/{placed['id']}/hold", json={"reason": "x", "on": DAY},
                     headers={**intake, "If-Match": '"1"'})
    current = api.post(f"/v1/orders/{placed['id']}/hold", json={"reason": "x", "on": DAY},
                       headers={**intake, "If-Match": f'"{last["version"]}"'})

    assert stale.status_code == 412
    assert stale.headers["content-type"].startswith("application/problem+json")
    assert stale.headers["ETag"] == f'"{last["version"]}"'
    assert current.status_code == 200 and current.json()["version"] == last["version"] + 1


def test_a_broken_rule_is_a_409_naming_it(api, tenant, intake):
    patient_id, _ = patient(api, tenant)
    placed = place(api, intake, patient_id)

    response = api.post(f"/v1/orders/{placed['id']}/delivery",
                        json=deliver_body(placed["line_ids"][0]), headers=intake)

    assert response.status_code == 409
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["rule"] == "delivery_requires_verified_eligible_coverage"


def test_another_tenants_order_is_not_found_for_queries_and_commands(api, tenant, intake):
    patient_id, _ = patient(api, tenant)
    placed = place(api, intake, patient_id)
    read(api, intake, placed)
    stranger = headers_for(api, "intake", f"{tenant}-other")

    got = api.get(f"/v1/orders/{placed['id']}", headers=stranger)
    held = api.post(f"/v1/orders/{placed['id']}/hold", json={"reason": "x", "on": DAY},
                    headers=stranger)
    listed = api.get("/v1/orders", params={"patient_id": patient_id}, headers=stranger)

    assert (got.status_code, held.status_code) == (404, 404)
    assert listed.status_code == 200 and listed.json()["items"] == []


def test_placing_an_order_for_another_tenants_patient_is_a_422_on_patient_id(
    api, tenant, intake
):
    patient_id, _ = patient(api, f"{tenant}-other")
    response = api.post(
        "/v1/orders",
        json={"patient_id": patient_id, "order_date": DAY, "practitioner": PRACTITIONER,
              "diagnoses": ["G47.33"], "lines": BED_AND_WALKER},
        headers=intake,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "patient_id"]


# --- Lists --------------------------------------------------------------------------------------


def list_ids(api, headers, position: int, **params: Any) -> list[str]:
    response = api.get("/v1/orders", params={"min_position": position, **params},
                       headers=headers)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def test_the_list_filters_by_status_patient_order_date_and_hold(api, tenant, intake):
    first_patient, _ = patient(api, tenant)
    second_patient, _ = patient(api, tenant)
    early = place(api, intake, first_patient, order_date="2026-05-01")
    late = place(api, intake, first_patient, order_date="2026-06-15")
    other = place(api, intake, second_patient, order_date="2026-06-01")
    last = act(api, intake, late["id"], "hold", {"reason": "awaiting paperwork", "on": DAY})
    at = last["position"]

    assert list_ids(api, intake, at) == [late["id"], other["id"], early["id"]]
    assert list_ids(api, intake, at, patient_id=first_patient) == [late["id"], early["id"]]
    assert list_ids(api, intake, at, status="on_hold") == [late["id"]]
    assert list_ids(api, intake, at, status="intake") == [other["id"], early["id"]]
    assert list_ids(api, intake, at, on_hold=False) == [other["id"], early["id"]]
    assert list_ids(api, intake, at, order_date_from="2026-05-02",
                    order_date_to="2026-06-01") == [other["id"]]


def test_the_list_pages_with_a_cursor_newest_first_without_repeats(api, tenant, intake):
    patient_id, _ = patient(api, tenant)
    placed = [place(api, intake, patient_id, order_date=f"2026-06-0{day}") for day in
              (3, 1, 5, 2, 4)]
    position = max(answer["position"] for answer in placed)

    pages, cursor = [], None
    while True:
        params = {"limit": 2, "min_position": position, **({"cursor": cursor} if cursor else {})}
        page = api.get("/v1/orders", params=params, headers=intake).json()
        pages.append([item["order_date"] for item in page["items"]])
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert pages == [["2026-06-05", "2026-06-04"], ["2026-06-03", "2026-06-02"], ["2026-06-01"]]


def test_a_forged_cursor_is_a_400_problem(api, tenant, intake):
    response = api.get("/v1/orders", params={"cursor": "WyJub3QtYS1kYXRlIiwieCJd"},
                       headers=intake)
    assert response.status_code == 400
    assert response.json()["type"] == "https://aries.dev/problems/bad-cursor"


# --- Validation and permissions ----------------------------------------------------------------


def test_malformed_commands_are_422_with_field_paths(api, tenant, intake):
    patient_id, _ = patient(api, tenant)
    bad_order = api.post(
        "/v1/orders",
        json={"patient_id": patient_id, "order_date": "06/01/2026",
              "practitioner": {"name": "Dr Ada Lovelace"}, "diagnoses": ["G47.33"],
              "lines": [{"hcpcs": "E0260", "quantity": 0, "billing": "rental"}]},
        headers=intake,
    )
    no_document = api.post(f"/v1/orders/{uuid.uuid4()}/documents", json={}, headers=intake)
    bad_decision = api.post(f"/v1/orders/{uuid.uuid4()}/prior-authorization",
                            json={"decision": "maybe", "decided_on": DAY}, headers=intake)

    assert bad_order.status_code == 422
    assert sorted(tuple(e["loc"]) for e in bad_order.json()["errors"]) == [
        ("body", "lines", 0, "quantity"),
        ("body", "order_date"),
        ("body", "practitioner", "npi"),
    ]
    assert no_document.status_code == 422
    assert no_document.json()["errors"][0]["loc"] == ["body"]
    assert bad_decision.status_code == 422
    assert bad_decision.json()["errors"][0]["loc"][0] == "body"


ORDER_OPERATIONS = [
    ("place_order", "post", ""),
    ("list_orders", "get", ""),
    ("read_order", "get", "/{id}"),
    ("verify_order_coverage", "post", "/{id}/coverage-verification"),
    ("record_order_documents", "post", "/{id}/documents"),
    ("decide_prior_authorization", "post", "/{id}/prior-authorization"),
    ("deliver_order", "post", "/{id}/delivery"),
    ("hold_order", "post", "/{id}/hold"),
    ("release_order", "post", "/{id}/release"),
    ("pick_up_order", "post", "/{id}/pickup"),
    ("cancel_order", "post", "/{id}/cancel"),
    ("record_adherence", "post", "/{id}/adherence"),
]


@pytest.mark.parametrize("role", list(Role), ids=lambda role: role.value)
def test_each_role_is_refused_every_order_operation_it_is_not_granted(api, tenant, role):
    headers = headers_for(api, role, tenant)
    order_id = uuid.uuid4()
    for operation, method, path in ORDER_OPERATIONS:
        url = "/v1/orders" + path.format(id=order_id)
        kwargs = {"json": {}} if method == "post" else {}
        response = api.request(method.upper(), url, headers=headers, **kwargs)
        if is_allowed(role, operation):
            assert response.status_code != 403, (operation, response.text)
        else:
            assert response.status_code == 403, (operation, response.text)
            assert response.json()["operation"] == operation


def test_an_auditor_reads_orders_but_a_biller_may_not_place_one(api, tenant, intake):
    patient_id, _ = patient(api, tenant)
    placed = place(api, intake, patient_id)

    auditor = headers_for(api, "auditor", tenant)
    biller = headers_for(api, "biller", tenant)

    assert read(api, auditor, placed)["id"] == placed["id"]
    refused = api.post("/v1/orders", json={}, headers=biller)
    assert refused.status_code == 403


def test_reading_and_listing_orders_are_phi_reads_in_the_access_log(api, tenant, intake):
    patient_id, _ = patient(api, tenant)
    placed = place(api, intake, patient_id)
    params = {"min_position": placed["position"]}
    reads = [
        (api.get(f"/v1/orders/{placed['id']}", params=params, headers=intake), "read"),
        (api.get("/v1/orders", params={**params, "patient_id": patient_id}, headers=intake),
         "search"),
    ]
    for response, action in reads:
        assert response.status_code == 200, response.text
        [entry] = access_entries(api, response)
        assert (entry.action, entry.fields_class, entry.outcome, entry.tenant_id) == (
            action, "orders", "allowed", tenant,
        )
        assert entry.patient_ids == [uuid.UUID(patient_id)]
    # A role refused orders leaves a denial (analysts read aggregates only).
    analyst = headers_for(api, "analyst", tenant)
    refused = api.get(f"/v1/orders/{placed['id']}", headers=analyst)
    assert refused.status_code == 403
    [denial] = access_entries(api, refused)
    assert (denial.fields_class, denial.outcome) == ("orders", "denied")
