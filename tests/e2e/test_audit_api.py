"""The auditors' API: history, time travel, the feed, chain verification, the access log and the
accounting of disclosures; only admins and auditors get in, and every PHI read or refused
attempt leaves exactly one access entry."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from application.audit.access_log import (
    DENIED,
    EXPORT,
    AccessRecord,
    record,
)
from domain.context import bound_context
from domain.identity import Role
from interfaces.http.permissions import PERMISSIONS
from tests.conftest import eventually
from tests.e2e.conftest import access_entries, headers_for
from tests.integration.scenarios import demographics

pytestmark = pytest.mark.e2e

AUDIT_OPERATIONS = (
    "read_audit_history", "read_audit_state", "read_audit_feed", "verify_audit_chain",
    "read_access_log", "read_disclosures",
)


def _patient(api, tenant: str, last_name: str = "Rivera") -> uuid.UUID:
    aries = api.app.state.aries
    with bound_context(tenant_id=tenant, actor_id="intake-1", actor_role="intake"):
        patient_id = aries.patients.register_patient(demographics(last_name)).id
        aries.patients.correct_demographics(patient_id, demographics(last_name + "-Lopez"))
    return patient_id


def test_only_admins_and_auditors_may_call_audit_operations():
    for operation in AUDIT_OPERATIONS:
        assert PERMISSIONS[operation] == frozenset({Role.ADMIN, Role.AUDITOR}), operation


def test_an_auditor_reads_a_patients_history_and_leaves_one_access_entry(api, tenant):
    patient_id = _patient(api, tenant)
    auditor = headers_for(api, "auditor", tenant)

    response = api.get(f"/v1/audit/patients/{patient_id}/events", headers=auditor)

    assert response.status_code == 200, response.text
    events = response.json()["events"]
    assert [e["version"] for e in events] == [1, 2]
    assert [e["type"] for e in events] == ["Registered", "DemographicsCorrected"]
    assert events[1]["payload"]["demographics"]["last_name"] == "Rivera-Lopez"
    assert events[0]["actor_id"] == "intake-1" and events[0]["chain_hash"]
    [entry] = access_entries(api, response)
    assert (entry.patient_ids, entry.action, entry.outcome, entry.operation) == (
        [patient_id], "read", "allowed", "read_audit_history"
    )
    assert entry.tenant_id == tenant and entry.actor_role == "auditor"


def test_state_at_a_version_and_at_a_time(api, tenant):
    patient_id = _patient(api, tenant)
    admin = headers_for(api, "admin", tenant)
    events = api.get(f"/v1/audit/patients/{patient_id}/events", headers=admin).json()["events"]

    first = api.get(
        f"/v1/audit/patients/{patient_id}/state", params={"version": 1}, headers=admin
    )
    at_second = api.get(
        f"/v1/audit/patients/{patient_id}/state",
        params={"at": events[1]["recorded_at"]}, headers=admin,
    )
    before = api.get(
        f"/v1/audit/patients/{patient_id}/state",
        params={"at": (datetime.fromisoformat(events[0]["recorded_at"]) - timedelta(seconds=1))
                .isoformat()},
        headers=admin,
    )

    assert first.status_code == 200, first.text
    assert first.json()["state"]["demographics"]["last_name"] == "Rivera"
    assert at_second.json()["version"] == 2
    assert at_second.json()["state"]["demographics"]["last_name"] == "Rivera-Lopez"
    assert before.status_code == 404
    assert len(access_entries(api, first)) == 1 and access_entries(api, before) == []


@pytest.mark.parametrize(
    "params", [{}, {"version": 1, "at": "2026-01-01T00:00:00Z"}, {"at": "2026-01-01T00:00:00"}]
)
def test_state_needs_exactly_one_aware_version_or_time(api, tenant, params):
    patient_id = _patient(api, tenant)
    response = api.get(
        f"/v1/audit/patients/{patient_id}/state", params=params,
        headers=headers_for(api, "auditor", tenant),
    )
    assert response.status_code in (400, 422)
    assert response.headers["content-type"].startswith("application/problem+json")


def test_another_tenants_auditor_finds_nothing(api, tenant):
    patient_id = _patient(api, tenant)
    stranger = headers_for(api, "auditor", f"{tenant}-other")

    response = api.get(f"/v1/audit/patients/{patient_id}/events", headers=stranger)

    assert response.status_code == 404
    assert access_entries(api, response) == []


@pytest.mark.parametrize("role", ["intake", "biller", "clinician", "analyst"])
def test_other_roles_are_refused_and_the_attempt_is_logged(api, tenant, role):
    patient_id = _patient(api, tenant)

    response = api.get(
        f"/v1/audit/patients/{patient_id}/events", headers=headers_for(api, role, tenant)
    )

    assert response.status_code == 403
    [entry] = access_entries(api, response)
    assert (entry.outcome, entry.patient_ids, entry.actor_role) == (DENIED, [patient_id], role)


def test_the_feed_pages_through_the_tenants_events_without_repeats(api, tenant):
    for n in range(3):
        _patient(api, tenant, f"Feed{n}")
    _patient(api, f"{tenant}-other")
    auditor = headers_for(api, "auditor", tenant)
    seen: list[tuple[str, int]] = []
    after = None
    deadline = datetime.now(UTC) + timedelta(seconds=20)
    while len(seen) < 6 and datetime.now(UTC) < deadline:  # the projector indexes them
        params: dict[str, object] = {"limit": 2}
        if after:
            params["after"] = after
        page = api.get("/v1/audit/events", params=params, headers=auditor)
        assert page.status_code == 200, page.text
        seen += [(i["aggregate_type"], i["position"]) for i in page.json()["items"]]
        after = page.json()["next_after"]

    assert len(seen) == 6 == len(set(seen))
    assert all(kind == "patients" for kind, _ in seen)


def test_the_feed_filters_by_type(api, tenant):
    _patient(api, tenant)
    auditor = headers_for(api, "auditor", tenant)
    deadline = datetime.now(UTC) + timedelta(seconds=20)
    items: list = []
    while not items and datetime.now(UTC) < deadline:
        items = api.get(
            "/v1/audit/events", params={"type": "DemographicsCorrected"}, headers=auditor
        ).json()["items"]
    assert [i["type"] for i in items] == ["DemographicsCorrected"]


def test_a_bad_feed_cursor_is_a_400(api, tenant):
    response = api.get(
        "/v1/audit/events", params={"after": "not-a-cursor"},
        headers=headers_for(api, "auditor", tenant),
    )
    assert response.status_code == 400


def _last_position(api, patient_id: uuid.UUID) -> int:
    with api.app.state.aries.read_engine.connect() as conn:
        return conn.execute(
            text("SELECT max(notification_id) FROM patients_events WHERE originator_id = :id"),
            {"id": patient_id},
        ).scalar_one()


def test_verify_reports_intact_chains_with_only_the_callers_tenants_heads(api, tenant):
    mine = _patient(api, tenant)
    auditor = headers_for(api, "auditor", tenant)
    other_tenant = f"{tenant}-other"
    headers_for(api, "auditor", other_tenant)
    theirs = _patient(api, other_tenant)

    response = eventually(
        lambda: api.get("/v1/audit/verify", headers=auditor),
        lambda r: r.status_code == 200 and next(
            c for c in r.json()["chains"] if c["chain"] == "patients_events"
        )["entries"] == 2,
        timeout=30,
    )

    body = response.json()
    assert body["ok"] is True and body["first_break"] is None
    patients = next(c for c in body["chains"] if c["chain"] == "patients_events")
    assert patients["ok"] and patients["head_position"] == _last_position(api, mine)
    assert patients["head_position"] < _last_position(api, theirs)
    access = next(c for c in body["chains"] if c["chain"] == "access_log")
    assert access["entries"] == 0 and access["head_hash"] == ""
    assert body["checkpoints"] == []  # the store's heads: every tenant's


def test_the_access_log_answers_who_read_a_patient(api, tenant):
    patient_id = _patient(api, tenant)
    auditor = headers_for(api, "auditor", tenant)
    read = api.get(f"/v1/audit/patients/{patient_id}/events", headers=auditor)
    api.get(f"/v1/audit/patients/{patient_id}/events", headers=headers_for(api, "biller", tenant))

    log = api.get("/v1/audit/access", params={"patient_id": str(patient_id)}, headers=auditor)

    assert log.status_code == 200, log.text
    items = log.json()["items"]
    assert [(i["outcome"], i["actor_role"]) for i in items] == [
        ("allowed", "auditor"), ("denied", "biller")
    ]
    assert items[0]["request_id"] == read.headers["X-Request-ID"]
    mine = api.get(
        "/v1/audit/access", params={"user": items[0]["actor_id"]}, headers=auditor
    ).json()["items"]
    assert [i["seq"] for i in mine] == [items[0]["seq"]]


def test_the_accounting_of_disclosures_lists_exports_only(api, tenant):
    patient_id = _patient(api, tenant)
    auditor = headers_for(api, "auditor", tenant)
    api.get(f"/v1/audit/patients/{patient_id}/events", headers=auditor)
    record(
        api.app.state.aries.read_engine,
        AccessRecord(
            tenant_id=tenant, actor_id="cli:ops", actor_role="operator", action=EXPORT,
            operation="audit_export", fields_class="full_record", patient_ids=(patient_id,),
            recipient="payer-audit", purpose="records request",
        ),
    )

    response = api.get(f"/v1/audit/disclosures/{patient_id}", headers=auditor)

    assert response.status_code == 200, response.text
    assert [(i["action"], i["recipient"]) for i in response.json()["items"]] == [
        ("export", "payer-audit")
    ]
