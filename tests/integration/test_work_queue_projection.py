"""The work queue's batches against real PostgreSQL: a batch is folded in memory, yet leaves the
rows that applying its events one at a time leaves, down to the event each item names as the one
that opened it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from domain.base import event_type
from domain.claim import Claim
from domain.context import bound_context
from domain.order_values import LineSerial, ProofOfDelivery, SignerRelationship
from projections.runner import catch_up, rebuild
from projections.work_queue_tables import work_queue, work_queue_claims, work_queue_rentals
from tests.integration.scenarios import delivered_bed_and_walker
from tests.unit.claim_builders import (
    PAID_ON,
    SCRUB_DAY,
    SECONDARY,
    SECONDARY_COVERAGE,
    accepted,
    at,
    denial,
    drafted,
    medicare_payment,
)

pytestmark = pytest.mark.integration

ONE_BATCH = 10_000


@pytest.fixture
def tenant() -> Iterator[str]:
    name = f"t-{uuid.uuid4().hex[:10]}"
    with bound_context(tenant_id=name, actor_id="u-test", actor_role="biller"):
        yield name


def items(aries, subject_id) -> dict[str, dict[str, Any]]:
    """kind -> row of the subject's open items."""
    with aries.read_engine.connect() as conn:
        found = conn.execute(select(work_queue).where(work_queue.c.subject_id == subject_id))
        return {row["kind"]: dict(row) for row in found.mappings()}


def positions(app, aggregate_id) -> dict[int, int]:
    """version -> notification id (the position in its log) of an aggregate's events."""
    return {
        n.originator_version: n.id
        for n in app.recorder.select_notifications(1, ONE_BATCH)
        if n.originator_id == aggregate_id
    }


def positions_by_type(app, aggregate_id) -> dict[str, list[int]]:
    """event type -> positions of an aggregate's events of that type, in order."""
    found: dict[str, list[int]] = {}
    for n in app.recorder.select_notifications(1, ONE_BATCH):
        if n.originator_id == aggregate_id:
            found.setdefault(event_type(n.topic), []).append(n.id)
    return found


def all_rows(aries) -> list[list[tuple]]:
    with aries.read_engine.connect() as conn:
        return [
            sorted(tuple(row) for row in conn.execute(select(table)))
            for table in (work_queue, work_queue_claims, work_queue_rentals)
        ]


def test_an_item_closed_and_opened_again_within_one_batch_names_the_event_that_reopened_it(
    isolated_aries, tenant
):
    aries = isolated_aries
    claim = drafted(order_id=uuid.uuid4())
    claim.scrub(SCRUB_DAY)
    claim.request_submission(1)  # submit_claim closes
    claim.record_submission("000000101", at(12))
    claim.acknowledge(False, ["A7:562"], at(13))
    claim.scrub(SCRUB_DAY)  # submit_claim opens again
    aries.claims.save(claim)
    catch_up(aries, "work_queue", batch_size=ONE_BATCH)

    found = items(aries, claim.id)
    at_version = positions(aries.claims, claim.id)
    assert set(found) == {"submit_claim", "timely_filing_risk"}
    assert found["submit_claim"]["opened_position"] == at_version[claim.version]
    assert found["timely_filing_risk"]["opened_position"] == at_version[1]
    assert found["submit_claim"]["opened_upstream"] == "claims"


def test_a_rental_held_stays_on_the_queue_saying_so_and_keeps_the_event_that_opened_it(
    isolated_aries, tenant
):
    """A hold defers the month, it does not lose it: the month stays on the queue (issue 15,
    no month lost silently), and the item is the one delivery opened."""
    aries = isolated_aries
    delivered_on = date(2026, 6, 2)
    order = delivered_bed_and_walker(aries, delivered_on)
    aries.orders.hold(order.order_id, reason="hospital stay", on=date(2026, 6, 10))
    catch_up(aries, "work_queue", batch_size=ONE_BATCH)
    held = items(aries, order.bed_line_id)["bill_rental"]
    assert held["due_on"] == date(2026, 7, 2)
    assert "on hold" in held["detail"]

    aries.orders.release(order.order_id, on=date(2026, 6, 20))
    aries.orders.open_due_rental_months(order.order_id, date(2026, 7, 2))
    catch_up(aries, "work_queue", batch_size=ONE_BATCH)

    found = items(aries, order.bed_line_id)
    delivered = positions_by_type(aries.orders, order.order_id)["Delivered"]
    assert set(found) == {"bill_rental"}
    assert found["bill_rental"]["due_on"] == date(2026, 8, 2)
    assert "on hold" not in found["bill_rental"]["detail"]
    assert found["bill_rental"]["opened_position"] == delivered[0]


def test_an_inpatient_stay_takes_the_rental_off_the_queue_until_the_discharge_moves_it(
    isolated_aries, tenant
):
    """A month whose anniversary falls in a hospital stay is not billed; it comes due on the
    discharge date (domain.rental_periods)."""
    aries = isolated_aries
    order = delivered_bed_and_walker(aries, date(2026, 6, 2))
    aries.orders.record_admission(order.order_id, admitted_on=date(2026, 6, 20), setting="hospital")
    catch_up(aries, "work_queue", batch_size=ONE_BATCH)
    assert "bill_rental" not in items(aries, order.bed_line_id)

    aries.orders.record_discharge(order.order_id, discharged_on=date(2026, 7, 15))
    catch_up(aries, "work_queue", batch_size=ONE_BATCH)
    assert items(aries, order.bed_line_id)["bill_rental"]["due_on"] == date(2026, 7, 15)

    aries.orders.open_due_rental_months(order.order_id, date(2026, 7, 15))
    catch_up(aries, "work_queue", batch_size=ONE_BATCH)
    assert items(aries, order.bed_line_id)["bill_rental"]["due_on"] == date(2026, 8, 15)


def test_a_redelivery_after_a_long_break_puts_month_1_of_a_new_period_on_the_queue(
    isolated_aries, tenant
):
    aries = isolated_aries
    order = delivered_bed_and_walker(aries, date(2026, 1, 15))
    aries.orders.open_due_rental_months(order.order_id, date(2026, 3, 15))
    aries.orders.pick_up(order.order_id, picked_up_on=date(2026, 3, 25), reason="recovered")
    catch_up(aries, "work_queue", batch_size=ONE_BATCH)
    assert "bill_rental" not in items(aries, order.bed_line_id)

    back = date(2026, 6, 14)
    aries.orders.record_documents(order.order_id, swo_signed_on=date(2026, 6, 10))
    aries.orders.redeliver(order.order_id, delivered_on=back, pod=_pod(back, order.bed_line_id))
    catch_up(aries, "work_queue", batch_size=ONE_BATCH)

    item = items(aries, order.bed_line_id)["bill_rental"]
    assert item["due_on"] == date(2026, 7, 14)
    assert "period 2 month 2 of 13" in item["detail"]


def _pod(on: date, bed_line_id: Any) -> ProofOfDelivery:
    return ProofOfDelivery(
        signer_name="Ana Rivera",
        relationship=SignerRelationship.PATIENT,
        signed_on=on,
        serial_numbers=(LineSerial(bed_line_id, "BED-0001"),),
    )


def test_an_item_open_before_a_batch_keeps_the_event_that_opened_it(isolated_aries, tenant):
    aries = isolated_aries
    order = delivered_bed_and_walker(aries, date(2026, 6, 2))
    catch_up(aries, "work_queue")
    delivered = positions_by_type(aries.orders, order.order_id)["Delivered"]
    assert items(aries, order.bed_line_id)["bill_rental"]["opened_position"] == delivered[0]

    aries.orders.open_due_rental_months(order.order_id, date(2026, 8, 2))
    catch_up(aries, "work_queue")

    item = items(aries, order.bed_line_id)["bill_rental"]
    assert (item["due_on"], item["opened_position"]) == (date(2026, 9, 2), delivered[0])


def _claims_of_every_kind() -> list[Claim]:
    denied = accepted(order_id=uuid.uuid4())
    denied.adjudicate("TRN-1", "ICN-1", "4", denial(denied), PAID_ON)
    appealed = accepted(order_id=uuid.uuid4())
    appealed.adjudicate("TRN-2", "ICN-2", "4", denial(appealed), PAID_ON)
    appealed.appeal(1, PAID_ON + timedelta(days=5), "meets the policy")
    appealed.decide_appeal(PAID_ON + timedelta(days=40), favourable=False)
    transferred = accepted(order_id=uuid.uuid4())
    transferred.adjudicate("TRN-3", "ICN-3", "1", medicare_payment(transferred), PAID_ON)
    transferred.transfer_to_secondary(SECONDARY, SECONDARY_COVERAGE, PAID_ON)
    rejected = drafted(order_id=uuid.uuid4())
    rejected.scrub(SCRUB_DAY)
    rejected.request_submission(1)
    rejected.record_submission("000000102", at(12))
    rejected.acknowledge(False, ["A3:21"], at(13))
    voided = accepted(order_id=uuid.uuid4())
    voided.void(PAID_ON, "billed in error")
    return [denied, appealed, transferred, rejected, voided]


def test_one_event_per_batch_and_one_batch_for_all_leave_the_same_rows(isolated_aries, tenant):
    aries = isolated_aries
    aries.claims.save(*_claims_of_every_kind())
    picked_up = delivered_bed_and_walker(aries, date(2026, 1, 31))
    aries.orders.open_due_rental_months(picked_up.order_id, date(2026, 3, 31))
    aries.orders.hold(picked_up.order_id, reason="hospital stay", on=date(2026, 4, 2))
    aries.orders.release(picked_up.order_id, on=date(2026, 4, 20))
    aries.orders.pick_up(picked_up.order_id, picked_up_on=date(2026, 5, 5), reason="done")
    aries.orders.redeliver(
        picked_up.order_id, delivered_on=date(2026, 5, 20), pod=_pod(date(2026, 5, 20),
                                                                     picked_up.bed_line_id)
    )
    aries.orders.record_admission(
        picked_up.order_id, admitted_on=date(2026, 6, 1), setting="snf",
        discharged_on=date(2026, 7, 2),
    )
    delivered_bed_and_walker(aries, date(2026, 2, 28))
    held = delivered_bed_and_walker(aries, date(2026, 3, 10), swo=False)
    aries.claims.catch_up_all()  # the month without an SWO is held
    aries.orders.record_documents(held.order_id, abn_signed_on=date(2026, 3, 11))
    held_too = delivered_bed_and_walker(aries, date(2026, 3, 12), swo=False)
    aries.claims.catch_up_all()
    aries.orders.record_documents(held_too.order_id, swo_signed_on=date(2026, 3, 13))
    aries.claims.catch_up_all()  # and this one is drafted: its hold cleared
    catch_up(aries, "work_queue", batch_size=7)
    live = all_rows(aries)
    assert {row[0] for row in live[0]} >= {
        "submit_claim",
        "fix_rejection",
        "bill_secondary",
        "appeal_denial",
        "timely_filing_risk",
        "bill_rental",
        "billing_held",
    }

    rebuild(aries, "work_queue", batch_size=1)
    one_by_one = all_rows(aries)
    rebuild(aries, "work_queue", batch_size=ONE_BATCH)

    assert one_by_one == live
    assert all_rows(aries) == live


def test_a_transmission_nobody_can_confirm_is_a_confirm_transmission_item_until_settled(
    isolated_aries, tenant
):
    aries = isolated_aries
    claim = drafted(order_id=uuid.uuid4())
    claim.scrub(SCRUB_DAY)
    claim.request_submission(1)
    claim.prepare_transmission("000000123", [claim.id], at(12))
    claim.leave_transmission_unconfirmed("no status service", at(13))
    aries.claims.save(claim)
    catch_up(aries, "work_queue", batch_size=ONE_BATCH)

    item = items(aries, claim.id)["confirm_transmission"]
    assert item["due_on"] == at(13).date()
    assert "000000123" in item["detail"]
    assert item["opened_position"] == positions(aries.claims, claim.id)[claim.version]

    claim.record_transmission_received(at(14))  # the clearinghouse had it after all
    aries.claims.save(claim)
    catch_up(aries, "work_queue", batch_size=ONE_BATCH)

    assert "confirm_transmission" not in items(aries, claim.id)
