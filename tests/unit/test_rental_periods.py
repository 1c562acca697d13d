"""Rental periods (issue 15): a break in service of more than 60 days after the rental month in
which use ceased starts a new period; an inpatient stay pauses the count (domain.rental_periods,
and the Order commands that record the facts)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from application.claims import ClaimApplication
from application.orders import OrderApplication
from domain.billing_hold import billing_hold_id
from domain.claim import Claim
from domain.context import bound_context
from domain.errors import InvalidValue, RuleViolated
from domain.order import Order
from domain.rental_periods import (
    InpatientSetting,
    InstitutionalStay,
    PeriodBreak,
    Possession,
    RentalMonthSlot,
    new_period_breaks,
    rental_month_slots,
    slots_due,
    starts_a_new_rental_period,
)
from tests.conftest import FixedClock
from tests.unit.order_builders import make_ready, place, pod_for

MEMORY = {"PERSISTENCE_MODULE": "eventsourcing.popo"}

HOSPITAL = InpatientSetting.HOSPITAL


def _months(possessions, stays=(), cap=13, as_of=date(2030, 1, 1)):
    return [
        (slot.period, slot.number, slot.from_date)
        for slot in slots_due(possessions, stays, cap, as_of)
    ]


def test_a_return_within_60_days_after_the_month_continues_the_count():
    # Noridian JD DME "New Capped Rental Period": rental from 15 January, returned 25 March;
    # month 3 runs 15 March - 14 April, so the limit is 13 June.
    ceased = RentalMonthSlot(1, 3, date(2026, 3, 15), date(2026, 4, 14))
    assert not starts_a_new_rental_period(ceased, date(2026, 6, 13))
    months = _months(
        [Possession(date(2026, 1, 15), date(2026, 3, 25)), Possession(date(2026, 6, 13))],
        as_of=date(2026, 7, 13),
    )
    assert months[3:] == [(1, 4, date(2026, 6, 13)), (1, 5, date(2026, 7, 13))]


def test_a_return_more_than_60_days_after_the_month_starts_a_new_period():
    ceased = RentalMonthSlot(1, 3, date(2026, 3, 15), date(2026, 4, 14))
    assert starts_a_new_rental_period(ceased, date(2026, 6, 14))
    months = _months(
        [Possession(date(2026, 1, 15), date(2026, 3, 25)), Possession(date(2026, 6, 14))],
        as_of=date(2026, 7, 14),
    )
    assert months[3:] == [(2, 1, date(2026, 6, 14)), (2, 2, date(2026, 7, 14))]


def test_a_return_before_the_month_ends_keeps_the_anniversary():
    months = _months(
        [Possession(date(2026, 1, 15), date(2026, 3, 20)), Possession(date(2026, 4, 1))],
        as_of=date(2026, 5, 15),
    )
    assert [m[2] for m in months] == [
        date(2026, 1, 15),
        date(2026, 2, 15),
        date(2026, 3, 15),
        date(2026, 4, 15),
        date(2026, 5, 15),
    ]


def test_a_stay_over_the_anniversary_pauses_the_count_until_discharge():
    # Pub 100-04 ch.20 s.30.5.4: no payment during the interruption, a new date of service when
    # use resumes, and the unpaid time does not count toward the cap.
    stay = InstitutionalStay(date(2026, 3, 1), HOSPITAL, date(2026, 3, 20))
    months = _months([Possession(date(2026, 1, 10))], [stay], as_of=date(2026, 4, 30))
    assert months == [
        (1, 1, date(2026, 1, 10)),
        (1, 2, date(2026, 2, 10)),
        (1, 3, date(2026, 3, 20)),
        (1, 4, date(2026, 4, 20)),
    ]


def test_a_stay_within_a_rental_month_changes_nothing():
    stay = InstitutionalStay(
        date(2026, 1, 15), InpatientSetting.SKILLED_NURSING_FACILITY, date(2026, 2, 5)
    )
    months = _months([Possession(date(2026, 1, 10))], [stay], as_of=date(2026, 3, 10))
    assert [m[2] for m in months] == [date(2026, 1, 10), date(2026, 2, 10), date(2026, 3, 10)]


def test_an_open_stay_opens_no_month():
    stay = InstitutionalStay(date(2026, 2, 1), HOSPITAL)
    months = _months([Possession(date(2026, 1, 10))], [stay], as_of=date(2026, 12, 31))
    assert months == [(1, 1, date(2026, 1, 10))]


def test_a_long_stay_is_never_a_new_period():
    stay = InstitutionalStay(date(2026, 2, 1), HOSPITAL, date(2026, 8, 1))
    months = _months([Possession(date(2026, 1, 10))], [stay], as_of=date(2026, 9, 1))
    assert months == [(1, 1, date(2026, 1, 10)), (1, 2, date(2026, 8, 1)), (1, 3, date(2026, 9, 1))]


def test_the_cap_counts_paid_months_of_a_period_only():
    months = _months([Possession(date(2024, 1, 10))], cap=13, as_of=date(2026, 1, 1))
    assert len(months) == 13 and months[-1][:2] == (1, 13)


# --- random histories ---------------------------------------------------------------------------


@st.composite
def histories(draw: st.DrawFn):
    day = date(2025, 1, 1) + timedelta(days=draw(st.integers(0, 60)))
    possessions, stays = [], []
    for _ in range(draw(st.integers(1, 3))):
        start = day
        for _ in range(draw(st.integers(0, 2))):
            admitted = day + timedelta(days=draw(st.integers(1, 120)))
            discharged = admitted + timedelta(days=draw(st.integers(0, 150)))
            stays.append(InstitutionalStay(admitted, HOSPITAL, discharged))
            day = discharged
        end = day + timedelta(days=draw(st.integers(1, 200)))
        possessions.append(Possession(start, end))
        day = end + timedelta(days=draw(st.integers(0, 150)))
    if draw(st.booleans()):
        possessions[-1] = Possession(possessions[-1].delivered_on)
        stays = [
            s for s in stays if s.admitted_on < (possessions[-1].delivered_on + timedelta(900))
        ]
    return possessions, stays


@settings(max_examples=300, deadline=None, derandomize=True)
@given(histories(), st.sampled_from([13, 36]))
def test_every_month_is_in_the_home_once_per_billing_month_and_counted_up_by_one(history, cap):
    possessions, stays = history
    slots = slots_due(possessions, stays, cap, date(2029, 1, 1))
    billing_months = [(s.from_date.year, s.from_date.month) for s in slots]
    assert len(set(billing_months)) == len(billing_months)
    assert [s.from_date for s in slots] == sorted(s.from_date for s in slots)
    for slot in slots:
        assert not any(stay.covers(slot.from_date) for stay in stays)
        assert any(
            p.delivered_on <= slot.from_date
            and (p.picked_up_on is None or slot.from_date < p.picked_up_on)
            for p in possessions
        )
    by_period: dict[int, list[int]] = {}
    for slot in slots:
        by_period.setdefault(slot.period, []).append(slot.number)
    for numbers in by_period.values():
        assert numbers == list(range(1, len(numbers) + 1)) and len(numbers) <= cap
    assert list(by_period) == list(range(1, len(by_period) + 1))


def test_rental_month_slots_ends_for_a_capped_item_kept_in_the_home():
    assert len(list(rental_month_slots([Possession(date(2025, 1, 1))], (), 36))) == 36


# --- the Order records the facts -------------------------------------------------------------


def _delivered(on=date(2026, 1, 10)):
    order = make_ready(place("E0260"), on)
    order.record_swo(on, order.ordering_npi)
    order.deliver(on, pod_for(order, on), today=on)
    order.open_due_rental_months(on)
    return order


def test_a_stay_recorded_on_the_order_defers_the_month_to_the_discharge():
    order = _delivered()
    order.open_due_rental_months(date(2026, 2, 10))
    order.record_admission(date(2026, 3, 1), "hospital", today=date(2026, 3, 1))
    assert order.due_rental_months(date(2026, 3, 19)) == []
    order.record_discharge(date(2026, 3, 20), today=date(2026, 3, 20))
    due = order.due_rental_months(date(2026, 3, 20))
    assert [(m.month_number, m.from_date, m.to_date) for m in due] == [
        (3, date(2026, 3, 20), date(2026, 4, 19))
    ]


def test_a_stay_over_an_opened_month_is_refused():
    order = _delivered()
    order.open_due_rental_months(date(2026, 2, 10))
    with pytest.raises(RuleViolated) as refused:
        order.record_admission(date(2026, 2, 1), "snf")
    assert refused.value.rule == "institutional_stay_does_not_cover_an_opened_rental_month"


def test_one_stay_at_a_time_and_a_discharge_needs_a_stay():
    order = _delivered()
    with pytest.raises(RuleViolated) as refused:
        order.record_discharge(date(2026, 2, 1))
    assert refused.value.rule == "discharge_ends_an_open_stay"
    order.record_admission(date(2026, 1, 20), "hospital")
    with pytest.raises(RuleViolated) as refused:
        order.record_admission(date(2026, 1, 25), "hospital")
    assert refused.value.rule == "one_institutional_stay_at_a_time"
    order.record_discharge(date(2026, 1, 30))
    with pytest.raises(InvalidValue):
        order.record_admission(date(2026, 2, 5), "home")


def _back_after_a_long_break() -> tuple[Order, date]:
    """Delivered 15 January, picked up 25 March (in the month 15 March-14 April), back on 14
    June: more than 60 days after that month, so a new rental period (the Noridian example)."""
    order = _delivered(date(2026, 1, 15))
    order.open_due_rental_months(date(2026, 3, 15))
    order.pick_up(date(2026, 3, 25), "no longer needed")
    back = date(2026, 6, 14)
    order.redeliver(back, pod_for(order, back), today=back)
    return order, back


def test_a_redelivery_after_a_long_break_starts_month_1_of_a_new_period():
    order, back = _back_after_a_long_break()
    opened = order.open_due_rental_months(back)
    assert [(m.period, m.month_number, m.from_date) for m in opened] == [(2, 1, back)]
    assert new_period_breaks(order.possessions, order.institutional_stays) == {
        2: PeriodBreak(date(2026, 3, 25), back)
    }


def test_a_new_period_needs_414_230_d_documents_made_after_the_pickup():
    order, _ = _back_after_a_long_break()
    order.check_rental_period_documented(1)  # the first period needs none of them
    with pytest.raises(RuleViolated) as refused:
        order.check_rental_period_documented(2)
    assert refused.value.rule == "new_rental_period_requires_a_new_swo"
    order.record_swo(date(2026, 6, 1), order.ordering_npi)
    with pytest.raises(RuleViolated) as refused:
        order.check_rental_period_documented(2)
    assert refused.value.rule == "new_rental_period_documents_medical_necessity"
    with pytest.raises(RuleViolated) as refused:  # documentation of the old episode is not new
        order.record_new_rental_period_documents(date(2026, 3, 25), date(2026, 6, 1))
    assert refused.value.rule == "new_period_documents_follow_a_pickup"
    order.record_new_rental_period_documents(date(2026, 5, 30), date(2026, 6, 1))
    order.check_rental_period_documented(2)


def test_a_new_period_of_a_required_list_item_needs_a_new_wopd_and_face_to_face():
    """A power wheelchair back after a long break is a new order for an item on the Required
    List: besides 414.230(d)'s documents, a WOPD signed after the pickup and by the
    redelivery, with a face-to-face encounter in the 6 months before it."""
    delivered = date(2026, 1, 15)
    order = make_ready(place("K0856"), delivered)  # WOPD and face-to-face on 15 January
    order.record_swo(delivered, order.ordering_npi)
    order.deliver(delivered, pod_for(order, delivered), today=delivered)
    order.open_due_rental_months(date(2026, 3, 15))
    order.pick_up(date(2026, 3, 25), "no longer needed")
    back = date(2026, 6, 14)
    order.redeliver(back, pod_for(order, back), today=back)
    order.record_swo(date(2026, 6, 1), order.ordering_npi)
    order.record_new_rental_period_documents(date(2026, 5, 30), date(2026, 6, 1))
    rule = "new_rental_period_of_a_listed_item_needs_a_new_wopd_and_face_to_face"
    with pytest.raises(RuleViolated) as refused:  # the first episode's WOPD is not new
        order.check_rental_period_documented(2)
    assert refused.value.rule == rule
    order.record_wopd(date(2026, 6, 20))  # after the redelivery: not a WOPD
    with pytest.raises(RuleViolated) as refused:
        order.check_rental_period_documented(2)
    assert refused.value.rule == rule
    order.record_wopd(date(2026, 6, 10))
    order.record_face_to_face(date(2025, 12, 9))  # more than 6 months before the WOPD
    with pytest.raises(RuleViolated) as refused:
        order.check_rental_period_documented(2)
    assert "face-to-face" in refused.value.message
    order.record_face_to_face(date(2026, 6, 5))
    order.check_rental_period_documented(2)


def test_new_period_documents_need_a_pickup_first():
    order = _delivered()
    with pytest.raises(RuleViolated) as refused:
        order.record_new_rental_period_documents(date(2026, 2, 1), date(2026, 2, 1))
    assert refused.value.rule == "new_period_documents_follow_a_pickup"


def test_a_new_period_holds_its_months_until_its_documents_are_recorded():
    """42 CFR 414.230(d): the claims process drafts no month of the new period, and puts a
    billing hold (the work queue's `billing_held` item) naming the rule on each, until a new
    SWO and the other two documents are on file; then it drafts each month once."""
    clock = FixedClock(datetime(2026, 8, 20, 12, tzinfo=UTC))
    orders = OrderApplication(env=MEMORY, clock=clock)
    claims = ClaimApplication(env=MEMORY)
    claims.clock, claims.orders = clock, orders
    with bound_context(tenant_id="t-periods", actor_id="u-biller", actor_role="biller"):
        order, back = _back_after_a_long_break()
        order.verify_coverage(uuid4(), "MCR-DMEB", date(2026, 1, 15), True, False)  # listed
        order.open_due_rental_months(date(2026, 7, 14))
        orders.save(order)
        claims.catch_up_all()

        def holds() -> dict[str, str | None]:
            found = {}
            for month in ("2026-06", "2026-07"):
                hold_id = billing_hold_id(order.id, month)
                hold = claims.repository.get(hold_id) if claims.exists(hold_id) else None
                found[month] = hold.rule_name if hold is not None and hold.open else None
            return found

        def drafted() -> list[tuple[int | None, date]]:
            lines = []
            for notification in claims.recorder.select_notifications(1, 1000):
                event = claims.mapper.to_domain_event(notification)
                if isinstance(event, Claim.Drafted):
                    lines += [(ln.rental_month, ln.from_date) for ln in event.lines]
            return sorted(lines, key=lambda ln: ln[1])

        first_period = [(1, date(2026, 1, 15)), (2, date(2026, 2, 15)), (3, date(2026, 3, 15))]
        assert drafted() == first_period
        rule = "new_rental_period_requires_a_new_swo"
        assert holds() == {"2026-06": rule, "2026-07": rule}

        order = orders.get_order(order.id)
        order.record_swo(date(2026, 6, 1), order.ordering_npi)
        orders.save(order)
        claims.catch_up_all()
        rule = "new_rental_period_documents_medical_necessity"
        assert holds() == {"2026-06": rule, "2026-07": rule}
        assert drafted() == first_period

        order = orders.get_order(order.id)
        order.record_new_rental_period_documents(date(2026, 5, 30), date(2026, 6, 1))
        orders.save(order)
        claims.catch_up_all()
        assert holds() == {"2026-06": None, "2026-07": None}
        assert drafted() == [*first_period, (1, back), (2, date(2026, 7, 14))]
        claims.catch_up_all()
        assert len(drafted()) == 5  # each month once


def test_a_redelivery_within_60_days_continues_the_count_without_a_new_swo():
    order = _delivered(date(2026, 1, 15))
    order.open_due_rental_months(date(2026, 3, 15))
    order.pick_up(date(2026, 3, 25), "hospitalised")
    back = date(2026, 5, 2)
    order.redeliver(back, pod_for(order, back), today=back)
    opened = order.open_due_rental_months(back)
    assert [(m.period, m.month_number, m.from_date) for m in opened] == [(1, 4, back)]
    assert order.picked_up_on is None


def test_redelivery_needs_a_pickup():
    order = _delivered()
    with pytest.raises(RuleViolated) as refused:
        order.redeliver(date(2026, 2, 1), pod_for(order, date(2026, 2, 1)))
    assert refused.value.rule == "redelivery_follows_a_pickup"
