from __future__ import annotations

import threading
from datetime import date

import pytest

from application.eventstore import ConcurrentUpdate, StaleVersion
from domain.context import bound_context
from domain.errors import NotFound
from domain.patient import Patient
from domain.patient_values import Address, Demographics, Sex
from tests.integration.scenarios import new_mbi

pytestmark = pytest.mark.integration


def _demographics(last_name: str = "Rivera") -> Demographics:
    return Demographics(
        first_name="Ana",
        last_name=last_name,
        date_of_birth=date(1948, 3, 9),
        sex=Sex.FEMALE,
        address=Address("12 Elm St", None, "Columbus", "OH", "43004"),
        phone=None,
    )


def test_two_concurrent_writers_to_one_aggregate_give_one_success_and_one_conflict(aries):
    registered = aries.patients.register_patient(_demographics(), mbi=new_mbi())
    first = aries.patients.get_patient(registered.id)
    second = aries.patients.get_patient(registered.id)
    first.correct_demographics(_demographics("Rivera-Lopez"), as_of=date(2026, 1, 1))
    second.correct_demographics(_demographics("Lopez"), as_of=date(2026, 1, 1))

    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def write(patient: Patient) -> None:
        barrier.wait()
        try:
            aries.patients.commit(patient)
            outcomes.append("saved")
        except ConcurrentUpdate:
            outcomes.append("conflict")

    threads = [threading.Thread(target=write, args=(p,)) for p in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["conflict", "saved"]
    stored = aries.patients.get_patient(registered.id)
    assert stored.version == 2
    assert stored.demographics.last_name in {"Rivera-Lopez", "Lopez"}
    events = list(aries.patients.events.get(registered.id))
    assert [e.originator_version for e in events] == [1, 2]


def test_a_stale_if_match_version_is_refused_and_records_nothing(aries):
    registered = aries.patients.register_patient(_demographics())
    aries.patients.correct_demographics(registered.id, _demographics("Stone"))
    with pytest.raises(StaleVersion):
        aries.patients.correct_demographics(
            registered.id, _demographics("Stale"), expected_version=registered.version
        )
    assert aries.patients.get_patient(registered.id).demographics.last_name == "Stone"


def test_another_tenants_patient_is_not_found(aries):
    with bound_context(tenant_id="tenant-a"):
        registered = aries.patients.register_patient(_demographics())
    with bound_context(tenant_id="tenant-b"), pytest.raises(NotFound):
        aries.patients.get_patient(registered.id)
    with bound_context(tenant_id="tenant-a"):
        assert aries.patients.get_patient(registered.id).tenant_id == "tenant-a"


def test_events_carry_the_bound_context(aries):
    with bound_context(
        tenant_id="tenant-a", actor_id="user-7", actor_role="intake", correlation_id="req-1"
    ):
        registered = aries.patients.register_patient(_demographics())
    (event,) = aries.patients.events.get(registered.id)
    assert (event.tenant_id, event.actor_id, event.actor_role, event.correlation_id) == (
        "tenant-a",
        "user-7",
        "intake",
        "req-1",
    )
    assert event.timestamp.tzinfo is not None
