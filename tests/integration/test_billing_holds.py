"""No month is lost silently (issue 15): a month a drafting rule refuses is a billing hold, on
the work queue with its rule, and is drafted once the cause is fixed (here, an SWO recorded
after delivery of an item not on the WOPD list)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from application.billing import run_billing
from domain.billing_hold import BillingHold, billing_hold_id
from domain.claim_ids import claim_id_for
from projections.runner import catch_up
from projections.work_queue_tables import work_queue
from tests.integration.scenarios import MEDICARE, delivered_bed_and_walker

pytestmark = pytest.mark.integration

MONTHS = ["2026-01", "2026-02", "2026-03"]


def held_items(aries, order_id) -> dict[str, str]:
    """subject id -> detail of the order's `billing_held` items."""
    catch_up(aries, "work_queue")
    with aries.read_engine.connect() as conn:
        rows = conn.execute(
            select(work_queue.c.subject_id, work_queue.c.detail).where(
                work_queue.c.order_id == order_id, work_queue.c.kind == "billing_held"
            )
        )
        return {str(subject): detail for subject, detail in rows}


def test_months_refused_for_want_of_an_swo_are_held_then_drafted_when_it_is_recorded(aries):
    delivered = delivered_bed_and_walker(aries, date(2026, 1, 10), swo=False)
    run_billing(aries.orders, aries.claims, as_of=date(2026, 3, 10))
    aries.orders.pick_up(delivered.order_id, picked_up_on=date(2026, 3, 20), reason="done")
    aries.claims.catch_up_all()

    for month in MONTHS:
        assert not aries.claims.exists(claim_id_for(delivered.order_id, month, MEDICARE))
        hold = aries.claims.repository.get(billing_hold_id(delivered.order_id, month))
        assert isinstance(hold, BillingHold)
        assert (hold.open, hold.rule_name) == (True, "claim_requires_delivery_and_swo")
    items = held_items(aries, delivered.order_id)
    assert len(items) == 3
    assert all("claim_requires_delivery_and_swo" in detail for detail in items.values())

    # The SWO comes after the pickup: nothing else would ever trigger these months again.
    aries.orders.record_documents(delivered.order_id, swo_signed_on=date(2026, 3, 25))
    aries.claims.catch_up_all()

    for month in MONTHS:
        claim_id = claim_id_for(delivered.order_id, month, MEDICARE)
        assert aries.claims.get_claim(claim_id).billing_month == month
        hold = aries.claims.repository.get(billing_hold_id(delivered.order_id, month))
        assert hold.cleared_by == claim_id
    assert held_items(aries, delivered.order_id) == {}


def test_a_held_month_is_held_once_however_often_it_is_refused(aries):
    delivered = delivered_bed_and_walker(aries, date(2026, 1, 10), swo=False)
    run_billing(aries.orders, aries.claims, as_of=date(2026, 1, 31))
    run_billing(aries.orders, aries.claims, as_of=date(2026, 2, 9))
    aries.orders.record_documents(delivered.order_id, abn_signed_on=date(2026, 2, 1))
    aries.claims.catch_up_all()

    hold = aries.claims.repository.get(billing_hold_id(delivered.order_id, "2026-01"))
    assert hold.version == 1  # placed once; the same rule refusing again records nothing
    assert len(held_items(aries, delivered.order_id)) == 1
