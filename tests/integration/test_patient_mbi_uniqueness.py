"""One MBI, one patient per tenant (application/patients.py + domain/patient_mbi_index.py),
against the real event store."""

from __future__ import annotations

import threading
import uuid

import pytest

from domain.context import bound_context
from domain.errors import RuleViolated
from tests.integration.scenarios import demographics, new_mbi

pytestmark = pytest.mark.integration


def tenant() -> str:
    return f"t-{uuid.uuid4().hex[:10]}"


def refused_rule(call) -> str:
    with pytest.raises(RuleViolated) as refused:
        call()
    return refused.value.rule


def test_a_second_patient_with_the_same_mbi_is_refused_and_nothing_is_recorded(aries):
    mbi = new_mbi()
    with bound_context(tenant_id=tenant()):
        aries.patients.register_patient(demographics("First"), mbi=mbi)
        second = uuid.uuid4()
        call = lambda: aries.patients.register_patient(  # noqa: E731
            demographics("Second"), mbi=mbi.lower(), patient_id=second
        )
        assert refused_rule(call) == "mbi_is_unique_per_tenant"
        assert not aries.patients.exists(second)


def test_the_same_mbi_in_another_tenant_is_another_patient(aries):
    mbi = new_mbi()
    for each in (tenant(), tenant()):
        with bound_context(tenant_id=each):
            aries.patients.register_patient(demographics(), mbi=mbi)


def test_a_correction_to_a_taken_mbi_is_refused(aries):
    taken = new_mbi()
    with bound_context(tenant_id=tenant()):
        aries.patients.register_patient(demographics("First"), mbi=taken)
        other = aries.patients.register_patient(demographics("Second"), mbi=new_mbi())
        call = lambda: aries.patients.correct_demographics(  # noqa: E731
            other.id, demographics("Second"), mbi=taken
        )
        assert refused_rule(call) == "mbi_is_unique_per_tenant"
        assert aries.patients.get_patient(other.id).mbi != taken


def test_a_corrected_mbi_releases_the_old_one(aries):
    mistyped, right = new_mbi(), new_mbi()
    with bound_context(tenant_id=tenant()):
        first = aries.patients.register_patient(demographics("First"), mbi=mistyped)
        aries.patients.correct_demographics(first.id, demographics("First"), mbi=right)
        owner = aries.patients.register_patient(demographics("Owner"), mbi=mistyped)
        assert aries.patients.get_patient(owner.id).mbi == mistyped
        call = lambda: aries.patients.register_patient(demographics("Third"), mbi=right)  # noqa: E731
        assert refused_rule(call) == "mbi_is_unique_per_tenant"


def test_concurrent_registrations_of_one_mbi_give_one_patient(aries):
    mbi, where = new_mbi(), tenant()
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def register(last_name: str) -> None:
        with bound_context(tenant_id=where):
            barrier.wait()
            try:
                aries.patients.register_patient(demographics(last_name), mbi=mbi)
                outcomes.append("registered")
            except RuleViolated as refused:
                outcomes.append(refused.rule)

    threads = [threading.Thread(target=register, args=(n,)) for n in ("One", "Two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["mbi_is_unique_per_tenant", "registered"]
