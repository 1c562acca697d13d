"""`aries claims ...` against real PostgreSQL and Redis: the office's scripted claim commands."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from domain.claim_ids import claim_id_for
from domain.claim_values import ClaimStatus
from domain.context import bound_context
from interfaces.cli.main import app
from projections.runner import catch_up
from tests.conftest import aries_on
from tests.integration.scenarios import MEDICARE, delivered_bed_and_walker
from tests.servers import fresh_database
from tests.unit.claim_builders import NS, paid, scrubbed

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def db_url(server_database_url) -> Iterator[str]:
    """A database of the module's own: the batch reads the claims projection, caught up here."""
    with fresh_database(server_database_url) as url:
        yield url


@pytest.fixture(scope="module")
def aries(db_url, redis_url):
    with aries_on(db_url, redis_url) as built:
        yield built


@pytest.fixture(autouse=True)
def environment(monkeypatch, redis_prefix, db_url, redis_url):
    monkeypatch.setenv("ARIES_DATABASE_URL", db_url)
    monkeypatch.setenv("ARIES_REDIS_URL", redis_url)
    monkeypatch.setenv("ARIES_REDIS_KEY_PREFIX", redis_prefix)
    monkeypatch.setenv("ARIES_DB_POOL_SIZE", "1")


def claims(*arguments: str):
    return CliRunner().invoke(app, ["claims", *arguments])


def recorded(aries, tenant: str, builder):
    with bound_context(tenant_id=tenant):
        claim = builder(order_id=uuid.uuid5(NS, f"cli-{uuid.uuid4()}"))
        aries.claims.commit(claim)
    return claim


def test_a_patient_payment_then_closing_settles_a_claim_from_the_command_line(aries):
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    claim = recorded(aries, tenant, paid)

    paying = claims("patient-payment", str(claim.id), "--tenant", tenant, "--amount", "29.00",
                    "--reference", "chk 77")
    closing = claims("close", str(claim.id), "--tenant", tenant)
    again = claims("close", str(claim.id), "--tenant", tenant)

    assert (paying.exit_code, closing.exit_code) == (0, 0), paying.output + closing.output
    with bound_context(tenant_id=tenant):
        settled = aries.claims.get_claim(claim.id)
    assert (settled.balance, settled.status) == (Decimal("0.00"), ClaimStatus.CLOSED)
    assert again.exit_code == 1 and "claim_is_closed_once" in again.output


def test_a_write_off_takes_a_known_reason_code(aries):
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    claim = recorded(aries, tenant, paid)

    unknown = claims("write-off", str(claim.id), "--tenant", tenant, "--code", "whim")
    written = claims("write-off", str(claim.id), "--tenant", tenant, "--code", "small_balance")

    assert unknown.exit_code == 2
    assert written.exit_code == 0, written.output
    with bound_context(tenant_id=tenant):
        assert aries.claims.get_claim(claim.id).balance == 0


def test_a_payers_scrubbed_claims_are_submitted_in_one_command(aries):
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    claim = recorded(aries, tenant, scrubbed)
    catch_up(aries, "claims")

    done = claims("submit-batch", "--tenant", tenant, "--payer", "MCR-DMEB")

    assert done.exit_code == 0, done.output
    assert "1 claims requested for submission, 0 refused" in done.output
    with bound_context(tenant_id=tenant):
        assert aries.claims.get_claim(claim.id).status is ClaimStatus.SUBMISSION_REQUESTED


def test_a_status_check_asks_about_every_claim_submitted_long_enough_ago(aries):
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    delivered_on = datetime.now(UTC).date() - timedelta(days=75)
    with bound_context(tenant_id=tenant):
        delivered = delivered_bed_and_walker(aries, delivered_on, mbi="1EG4TE5MK73")
        aries.claims.catch_up_all()
        claim_id = claim_id_for(delivered.order_id, f"{delivered_on:%Y-%m}", MEDICARE)
        aries.claims.submit(claim_id)
        claim = aries.claims.get_claim(claim_id)
        sent_at = datetime.now(UTC) - timedelta(days=45)
        claim.prepare_transmission("000000999", [claim_id], sent_at)
        claim.record_submission("000000999", sent_at)
        aries.claims.commit(claim)
    catch_up(aries, "claims")

    too_recent = claims("status-check", "--tenant", tenant, "--older-than", "60")
    done = claims("status-check", "--tenant", tenant, "--older-than", "30")

    assert too_recent.exit_code == 0 and "0 claims answered: none" in too_recent.output
    assert done.exit_code == 0, done.output
    assert "1 claims answered: 1 F1" in done.output
    with bound_context(tenant_id=tenant):
        events = [type(e).__name__ for e in aries.claims.repository.event_store.get(claim_id)]
    assert events[-1] == "ClaimStatusReceived"
