"""`aries patients index-mbis` (application/patients.py `index_mbis`): patients registered before
the MBI index existed get their index, idempotently, against the real event store."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from typer.testing import CliRunner

from application.patients import account_number_for
from domain.context import bound_context
from domain.errors import RuleViolated
from domain.patient import Patient
from interfaces.bootstrap import bootstrap
from interfaces.cli.main import app
from interfaces.settings import Settings
from tests.integration.scenarios import demographics, new_mbi

pytestmark = pytest.mark.integration


@pytest.fixture
def environment(monkeypatch, redis_prefix, database_url, redis_url):
    monkeypatch.setenv("ARIES_DATABASE_URL", database_url)
    monkeypatch.setenv("ARIES_REDIS_URL", redis_url)
    monkeypatch.setenv("ARIES_REDIS_KEY_PREFIX", redis_prefix)
    monkeypatch.setenv("ARIES_DB_POOL_SIZE", "1")


@pytest.fixture
def aries(environment):
    aries = bootstrap(Settings())
    yield aries
    aries.close()


def registered_before_the_index(aries, tenant: str, mbi: str | None) -> uuid.UUID:
    """A patient saved as registrations were before the index: without its index."""
    patient_id = uuid.uuid4()
    with bound_context(tenant_id=tenant):
        patient = Patient.register(
            account_number=account_number_for(patient_id),
            demographics=demographics("Before"),
            as_of=date(2026, 1, 5),
            mbi=mbi,
            patient_id=patient_id,
        )
        aries.patients.save(patient)
    return patient_id


def test_patients_registered_before_the_index_are_indexed_once(aries):
    tenant, mbi = f"t-{uuid.uuid4().hex[:10]}", new_mbi()
    registered_before_the_index(aries, tenant, mbi)
    registered_before_the_index(aries, tenant, None)

    first = aries.patients.index_mbis()
    again = aries.patients.index_mbis()

    assert first.indexed >= 1 and first.without_mbi >= 1
    assert again.indexed == 0 and again.already_indexed >= first.indexed
    with bound_context(tenant_id=tenant), pytest.raises(RuleViolated) as refused:
        aries.patients.register_patient(demographics("Third"), mbi=mbi)
    assert refused.value.rule == "mbi_is_unique_per_tenant"


def test_two_patients_with_one_mbi_from_before_the_index_are_reported_by_id(aries):
    tenant, mbi = f"t-{uuid.uuid4().hex[:10]}", new_mbi()
    first = registered_before_the_index(aries, tenant, mbi)
    second = registered_before_the_index(aries, tenant, mbi)

    report = aries.patients.index_mbis()

    assert str(second) in report.duplicates and str(first) not in report.duplicates


def test_the_cli_indexes_with_progress_and_reports_counts(aries):
    tenant, mbi = f"t-{uuid.uuid4().hex[:10]}", new_mbi()
    registered_before_the_index(aries, tenant, mbi)

    result = CliRunner().invoke(app, ["patients", "index-mbis"])

    assert "MBIs indexed" in result.output, result.output
    with bound_context(tenant_id=tenant), pytest.raises(RuleViolated):
        aries.patients.register_patient(demographics("Second"), mbi=mbi)
