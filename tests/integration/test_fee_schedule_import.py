"""Fee schedules imported from CMS's real DMEPOS file (tests/fee_schedules/README.md) price
the claims the billing process drafts: by the patient's state, rural or not, and by the
schedule in force on each line's date of service. Importing the same file again records
nothing. Each test works in a tenant of its own: the session's other claims keep the packaged
fallback fees."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from uuid import uuid4

import pytest
from sqlalchemy import func, select

from application.billing import run_billing
from domain.claim_ids import claim_id_for
from domain.context import bound_context
from domain.fee_schedule import CMS_DMEPOS, FeeSchedule
from domain.patient_values import Address
from domain.pricing import PURCHASE_NEW
from projections.catalogue_tables import fee_schedule_rates, fee_schedules
from projections.runner import catch_up
from tests.integration import scenarios
from tests.integration.scenarios import MEDICARE

pytestmark = pytest.mark.integration

FILES = Path(__file__).parents[1] / "fee_schedules"
APRIL_2025 = (FILES / "DMEPOS25_APR_excerpt.csv").read_bytes()
JANUARY_2026_TX = (FILES / "DMEPOS26_JAN_TX_excerpt.csv").read_bytes()


@pytest.fixture
def tenant():
    with bound_context(tenant_id=f"t-fees-{uuid4().hex[:8]}", actor_id="u-1", actor_role="admin"):
        yield


def import_april(aries):
    return aries.fee_schedules.import_file(
        payer_id=MEDICARE, source=CMS_DMEPOS, effective_from=date(2025, 4, 1),
        file_name="DMEPOS25_APR.csv", content=APRIL_2025,
    )


def bed_delivered(aries, monkeypatch, delivered_on: date, address: Address):
    """A delivered bed and walker for a Medicare patient living at `address`."""
    plain = scenarios.demographics
    monkeypatch.setattr(
        scenarios, "demographics", lambda *a, **k: replace(plain(*a, **k), address=address)
    )
    return scenarios.delivered_bed_and_walker(aries, delivered_on)


def bed_charge(aries, delivered, month: str) -> Decimal:
    aries.claims.catch_up_all()
    claim = aries.claims.get_claim(claim_id_for(delivered.order_id, month, MEDICARE))
    return next(line.charge for line in claim.lines if line.hcpcs == "E0260")


def test_reimporting_the_same_file_records_nothing(aries, tenant):
    first = import_april(aries)
    events = aries.catalogue.count_events(FeeSchedule.Imported.TOPIC)
    again = import_april(aries)
    assert (first.imported, again.imported) == (True, False)
    assert again.schedule_id == first.schedule_id and again.row_count == first.row_count == 47
    assert aries.catalogue.count_events(FeeSchedule.Imported.TOPIC) == events


def test_the_read_model_holds_each_schedule_and_its_amounts(isolated_aries, tenant):
    aries = isolated_aries
    imported = import_april(aries)
    catch_up(aries, "catalogue")
    with aries.read_engine.connect() as conn:
        schedule = conn.execute(
            select(fee_schedules).where(fee_schedules.c.schedule_id == imported.schedule_id)
        ).one()
        r = fee_schedule_rates.c
        illinois_bed = conn.execute(
            select(r.rural, r.amount).where(
                r.schedule_id == imported.schedule_id, r.hcpcs == "E0260", r.state == "IL"
            ).order_by(r.rural)
        ).all()
        rates = conn.execute(
            select(func.count()).where(r.schedule_id == imported.schedule_id)
        ).scalar_one()
    assert (schedule.effective_from, schedule.row_count, schedule.source) == (
        date(2025, 4, 1), 47, CMS_DMEPOS
    )
    assert [tuple(row) for row in illinois_bed] == [
        (False, Decimal("73.90")), (True, Decimal("125.35"))
    ]
    assert rates > 47


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        (Address("12 Elm St", None, "Springfield", "IL", "62701"), "73.90"),
        (Address("1 Main St", None, "Odell", "IL", "60460"), "125.35"),
        (Address("9 Ocean Ave", None, "Los Angeles", "CA", "90001"), "72.69"),
        (Address("3 Ranch Rd", None, "Acton", "CA", "93510"), "125.35"),
    ],
    ids=["illinois", "illinois-rural", "california", "california-rural"],
)
def test_a_claim_is_priced_by_the_patients_state_and_rural_status(
    aries, tenant, monkeypatch, address, expected
):
    april = import_april(aries)
    delivered = bed_delivered(aries, monkeypatch, date(2025, 5, 10), address)
    assert bed_charge(aries, delivered, "2025-05") == Decimal(expected)
    aries.claims.catch_up_all()
    claim = aries.claims.get_claim(claim_id_for(delivered.order_id, "2025-05", MEDICARE))
    walker = next(line for line in claim.lines if line.billing == PURCHASE_NEW)
    assert walker.hcpcs == "E0143" and walker.charge > 0
    # each line records the schedule that priced it, for auditors
    assert {line.fee_schedule_id for line in claim.lines} == {april.schedule_id}


def test_each_month_is_priced_by_the_schedule_in_force_on_its_date_of_service(
    aries, tenant, monkeypatch
):
    import_april(aries)
    aries.fee_schedules.import_file(
        payer_id=MEDICARE, source=CMS_DMEPOS, effective_from=date(2026, 1, 1),
        file_name="DMEPOS26_JAN.csv", content=JANUARY_2026_TX,
    )
    dallas = Address("500 Elm St", None, "Dallas", "TX", "75201")
    delivered = bed_delivered(aries, monkeypatch, date(2025, 12, 20), dallas)
    run_billing(aries.orders, aries.claims, as_of=date(2026, 1, 25))
    assert bed_charge(aries, delivered, "2025-12") == Decimal("75.46")  # April 2025 file
    assert bed_charge(aries, delivered, "2026-01") == Decimal("77.50")  # January 2026 file


def test_without_an_imported_schedule_the_packaged_fees_price_the_claim(
    aries, tenant, monkeypatch
):
    springfield = Address("12 Elm St", None, "Springfield", "IL", "62701")
    delivered = bed_delivered(aries, monkeypatch, date(2025, 5, 10), springfield)
    assert bed_charge(aries, delivered, "2025-05") == Decimal("140.00")
    claim = aries.claims.get_claim(claim_id_for(delivered.order_id, "2025-05", MEDICARE))
    assert {line.fee_schedule_id for line in claim.lines} == {None}
