"""Claims bill as their order's location (837P 2010AA) and to the tenant's payer record
(2010BB, SBR09): one batch over two branches has one billing provider level per branch."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from domain.claim_ids import claim_id_for
from domain.context import bound_context
from domain.order_values import LineBilling, OrderLine, ProofOfDelivery, SignerRelationship
from interfaces.clearinghouse import submission_service_from
from tests.integration.scenarios import MEDICARE, PRACTITIONER, medicare_patient
from tests.setup_builders import denver, location, payer
from tests.x12_validation import assert_valid_x12

pytestmark = pytest.mark.integration

DELIVERED_ON = date(2026, 2, 10)


def delivered_walker_at(aries, location_id) -> object:
    patient_id, coverage_id = medicare_patient(aries)
    order = aries.orders.place_order(
        patient_id=patient_id, practitioner=PRACTITIONER, diagnoses=["M62.81"],
        order_date=DELIVERED_ON, lines=[OrderLine(uuid4(), "E0143", 1,
                                                  LineBilling.PURCHASE_NEW, None)],
        location_id=location_id,
    )
    aries.orders.verify_coverage(order.id, coverage_id=coverage_id, verified_on=DELIVERED_ON,
                                 eligible=True, same_or_similar_found=False)
    aries.orders.record_documents(order.id, swo_signed_on=DELIVERED_ON)
    aries.orders.deliver(order.id, delivered_on=DELIVERED_ON, pod=ProofOfDelivery(
        signer_name="Ana Rivera", relationship=SignerRelationship.PATIENT,
        signed_on=DELIVERED_ON, serial_numbers=()))
    return order.id


def test_claims_of_two_locations_bill_as_each_and_to_the_payer_record(aries):
    with bound_context(tenant_id=f"t-{uuid4()}"):
        springfield = aries.setup.open_location(location()).id
        mile_high = aries.setup.open_location(denver()).id
        aries.setup.register_payer(payer(x12_payer_id="DMEB1"))
        orders = [delivered_walker_at(aries, found) for found in (springfield, mile_high)]
        aries.claims.catch_up_all()
        claims = [
            aries.claims.get_claim(claim_id_for(order_id, f"{DELIVERED_ON:%Y-%m}", MEDICARE))
            for order_id in orders
        ]
        text = submission_service_from(aries).render(claims, 1)

    assert_valid_x12(text)
    segments = [s.strip() for s in text.split("~")]
    providers = [s for s in segments if s.startswith("NM1*85*")]
    assert [p.split("*")[-1] for p in providers] == ["1234567893", "1245319599"]
    assert [s for s in segments if s.startswith("HL*") and s.endswith("*20*1")] == [
        "HL*1**20*1", "HL*3**20*1"
    ]
    assert any(s.startswith("N4*Denver*CO*80205") for s in segments)
    assert sum(s.endswith("*PI*DMEB1") for s in segments) == 2


def test_an_order_placed_without_a_location_takes_the_tenants_first_open_one(aries):
    with bound_context(tenant_id=f"t-{uuid4()}"):
        first = aries.setup.open_location(location()).id
        aries.setup.open_location(denver())
        aries.setup.close_location(first, date(2026, 1, 31))
        patient_id, _ = medicare_patient(aries)
        order = aries.orders.place_order(
            patient_id=patient_id, practitioner=PRACTITIONER, diagnoses=["M62.81"],
            order_date=DELIVERED_ON,
            lines=[OrderLine(uuid4(), "E0143", 1, LineBilling.PURCHASE_NEW, None)],
        )
        placed_at = aries.orders.get_order(order.id).location_id
        assert aries.setup.get_location(placed_at).details.name == "Denver"


def test_a_claim_is_filed_by_its_payer_records_limit(isolated_aries):
    """A payer record's 90 days, not the packaged list's 12 months: the claim records the limit
    and the read model shows the deadline it gives. (A database of its own: the session's holds
    other tests' made-up claim histories, which the claims projection must not read.)"""
    aries = isolated_aries
    from sqlalchemy import select

    from projections.claims_tables import claims as claims_table
    from projections.runner import catch_up

    with bound_context(tenant_id=f"t-{uuid4()}"):
        aries.setup.register_payer(payer(timely_filing_months=None, timely_filing_days=90))
        order_id = delivered_walker_at(aries, aries.setup.open_location(location()).id)
        aries.claims.catch_up_all()
        claim = aries.claims.get_claim(claim_id_for(order_id, f"{DELIVERED_ON:%Y-%m}", MEDICARE))
    catch_up(aries, "claims")
    with aries.read_engine.connect() as conn:
        deadline = conn.execute(select(claims_table.c.timely_filing_deadline).where(
            claims_table.c.claim_id == claim.id)).scalar_one()
    assert claim.filing_limit.timely_filing_days == 90
    assert deadline == date(2026, 5, 11)
