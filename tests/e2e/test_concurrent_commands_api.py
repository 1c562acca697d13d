"""Two clients write to one patient at the same moment, over HTTP: both loaded the same
version before either saved (a barrier holds each request in its decision). With If-Match the
loser is a 412 (its version is no longer current), never a 409; without If-Match, adding a
note is retried by the server and both notes land."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from domain.context import bound_context
from domain.patient import Patient
from tests.concurrency import race, together
from tests.e2e.conftest import aries_of, headers_for
from tests.integration.scenarios import medicare_patient

pytestmark = pytest.mark.e2e


@pytest.fixture
def racing_notes(monkeypatch) -> None:
    """Each request thread's first Patient.add_note waits until two have reached it."""
    race(monkeypatch, Patient, "add_note")


def patient_in(api, tenant: str) -> tuple[str, int]:
    with bound_context(tenant_id=tenant):
        patient_id, _ = medicare_patient(aries_of(api))
        return str(patient_id), aries_of(api).patients.get_patient(patient_id).version


def post_note(api, patient_id: str, headers: dict[str, str], text: str) -> Callable[[], Any]:
    return lambda: api.post(f"/v1/patients/{patient_id}/notes", json={"subjective": text},
                            headers=headers)


def test_a_lost_race_under_if_match_is_a_412_with_the_current_etag(api, tenant, racing_notes):
    clinician = headers_for(api, "clinician", tenant)
    patient_id, version = patient_in(api, tenant)
    conditional = {**clinician, "If-Match": f'"{version}"'}

    answers = together(post_note(api, patient_id, conditional, "first"),
                      post_note(api, patient_id, conditional, "second"))

    assert sorted(a.status_code for a in answers) == [201, 412], [a.text for a in answers]
    lost = next(a for a in answers if a.status_code == 412)
    assert lost.headers["content-type"].startswith("application/problem+json")
    assert lost.headers["ETag"] == f'"{version + 1}"'
    assert lost.json()["current_version"] == version + 1


def test_notes_added_at_once_without_if_match_both_land(api, tenant, racing_notes):
    clinician = headers_for(api, "clinician", tenant)
    patient_id, version = patient_in(api, tenant)

    answers = together(post_note(api, patient_id, clinician, "first"),
                      post_note(api, patient_id, clinician, "second"))

    assert [a.status_code for a in answers] == [201, 201], [a.text for a in answers]
    assert sorted(a.json()["version"] for a in answers) == [version + 1, version + 2]
