"""Monthly rental billing periods: anniversary months, caps, pickup, holds, idempotence."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from domain.order_values import LineBilling, rental_month_dates
from domain.rules import add_months
from tests.unit.order_builders import delivered, line, make_ready, place

D = date

# E0260 delivered 31 Jan 2026: each month starts on the 31st, or the month's last day.
E0260_FROM_2026_01_31 = [
    (1, D(2026, 1, 31), D(2026, 2, 27)),
    (2, D(2026, 2, 28), D(2026, 3, 30)),
    (3, D(2026, 3, 31), D(2026, 4, 29)),
    (4, D(2026, 4, 30), D(2026, 5, 30)),
    (5, D(2026, 5, 31), D(2026, 6, 29)),
    (6, D(2026, 6, 30), D(2026, 7, 30)),
    (7, D(2026, 7, 31), D(2026, 8, 30)),
    (8, D(2026, 8, 31), D(2026, 9, 29)),
    (9, D(2026, 9, 30), D(2026, 10, 30)),
    (10, D(2026, 10, 31), D(2026, 11, 29)),
    (11, D(2026, 11, 30), D(2026, 12, 30)),
    (12, D(2026, 12, 31), D(2027, 1, 30)),
    (13, D(2027, 1, 31), D(2027, 2, 27)),
]


def test_capped_rental_delivered_on_the_31st_opens_thirteen_anniversary_months():
    bed = line("E0260")
    order = delivered(bed, on=D(2026, 1, 31))
    opened = order.open_due_rental_months(D(2030, 12, 31))
    assert [(m.month_number, m.from_date, m.to_date) for m in opened] == E0260_FROM_2026_01_31
    assert order.rental_months(bed.line_id) == tuple(opened)


def test_capped_rental_month_fourteen_is_never_opened():
    bed = line("E0260")
    order = delivered(bed, on=D(2026, 1, 31))
    order.open_due_rental_months(D(2027, 2, 27))
    assert order.open_due_rental_months(D(2027, 2, 28)) == []
    assert order.open_due_rental_months(D(2040, 1, 1)) == []
    assert len(order.rental_months(bed.line_id)) == 13


@pytest.mark.parametrize(
    ("delivered_on", "month_number", "from_date", "to_date"),
    [
        (D(2026, 1, 15), 1, D(2026, 1, 15), D(2026, 2, 14)),
        (D(2026, 1, 15), 12, D(2026, 12, 15), D(2027, 1, 14)),
        (D(2024, 1, 31), 2, D(2024, 2, 29), D(2024, 3, 30)),  # leap year
        (D(2026, 12, 31), 2, D(2027, 1, 31), D(2027, 2, 27)),  # year end
        (D(2026, 12, 31), 3, D(2027, 2, 28), D(2027, 3, 30)),
        (D(2026, 3, 30), 12, D(2027, 2, 28), D(2027, 3, 29)),
        (D(2026, 2, 28), 2, D(2026, 3, 28), D(2026, 4, 27)),
    ],
)
def test_rental_month_starts_whole_calendar_months_after_delivery(
    delivered_on, month_number, from_date, to_date
):
    assert rental_month_dates(delivered_on, month_number) == (from_date, to_date)


def test_months_are_clamped_from_the_delivery_day_not_chained():
    assert add_months(D(2026, 1, 31), 1) == D(2026, 2, 28)
    assert add_months(D(2026, 1, 31), 2) == D(2026, 3, 31)


@pytest.mark.parametrize(
    ("as_of", "months"),
    [
        (D(2026, 1, 30), []),  # before delivery: nothing
        (D(2026, 1, 31), [1]),  # month 1 is due on the delivery date
        (D(2026, 2, 27), [1]),
        (D(2026, 2, 28), [1, 2]),
        (D(2026, 5, 30), [1, 2, 3, 4]),
    ],
)
def test_a_month_is_due_on_its_first_day(as_of, months):
    order = delivered("E0260", on=D(2026, 1, 31))
    assert [m.month_number for m in order.open_due_rental_months(as_of)] == months


def test_nothing_is_opened_before_delivery():
    order = make_ready(place("E0260"))
    order.collect_events()
    assert order.due_rental_months(D(2027, 1, 1)) == []
    assert order.open_due_rental_months(D(2027, 1, 1)) == []
    assert order.collect_events() == []


@pytest.mark.parametrize(
    ("code", "billing", "cap"),
    [
        ("E1390", LineBilling.RENTAL, 36),  # oxygen: 36 paid months
        ("E0601", LineBilling.RENTAL, 13),  # CPAP: capped rental
        ("E0143", LineBilling.RENTAL, 10),  # inexpensive item rented instead of bought
    ],
)
def test_rental_stops_at_the_items_cap(code, billing, cap):
    rented = line(code, billing)
    order = delivered(rented, on=D(2026, 1, 31))
    order.open_due_rental_months(D(2036, 1, 1))
    numbers = [m.month_number for m in order.rental_months(rented.line_id)]
    assert numbers == list(range(1, cap + 1))


def test_purchase_lines_never_open_rental_months():
    walker, mask = line("E0143", LineBilling.PURCHASE_NEW), line("A7030")
    order = delivered(walker, mask)
    assert order.open_due_rental_months(D(2030, 1, 1)) == []
    assert order.rental_months(walker.line_id) == ()


@pytest.mark.parametrize(
    ("picked_up_on", "months"),
    [
        (D(2026, 1, 31), []),  # picked up on delivery day: month 1 starts on pickup
        (D(2026, 2, 1), [1]),
        (D(2026, 3, 31), [1, 2]),  # month 3 starts on the pickup date: not billed
        (D(2026, 4, 1), [1, 2, 3]),
    ],
)
def test_pickup_stops_billing(picked_up_on, months):
    bed = line("E0260")
    order = delivered(bed, on=D(2026, 1, 31))
    order.pick_up(picked_up_on, "no longer needed")
    order.open_due_rental_months(D(2030, 1, 1))
    assert [m.month_number for m in order.rental_months(bed.line_id)] == months


def test_months_due_before_pickup_are_opened_after_it():
    bed = line("E0260")
    order = delivered(bed, on=D(2026, 1, 31))
    order.pick_up(D(2026, 3, 15), "no longer needed")
    opened = order.open_due_rental_months(D(2026, 3, 20))
    assert [m.month_number for m in opened] == [1, 2]
    assert opened[-1].to_date == D(2026, 3, 30)  # the rental month is billed whole


def test_hold_pauses_billing_and_release_opens_the_months_that_came_due():
    bed = line("E0260")
    order = delivered(bed, on=D(2026, 1, 31))
    assert [m.month_number for m in order.open_due_rental_months(D(2026, 2, 28))] == [1, 2]
    order.hold("awaiting payer audit", D(2026, 3, 1))
    assert order.due_rental_months(D(2026, 6, 1)) == []
    assert order.open_due_rental_months(D(2026, 6, 1)) == []
    order.release(D(2026, 6, 1))
    opened = order.open_due_rental_months(D(2026, 6, 1))
    assert [(m.month_number, m.from_date) for m in opened] == [
        (3, D(2026, 3, 31)),
        (4, D(2026, 4, 30)),
        (5, D(2026, 5, 31)),
    ]


def test_opening_twice_with_the_same_date_opens_nothing_new():
    order = delivered("E0260", "E1390", on=D(2026, 1, 31))
    first = order.open_due_rental_months(D(2026, 7, 1))
    order.collect_events()
    assert len(first) == 12
    assert order.open_due_rental_months(D(2026, 7, 1)) == []
    assert order.collect_events() == []


def test_due_rental_months_records_nothing():
    order = delivered("E0260", on=D(2026, 1, 31))
    order.collect_events()
    due = order.due_rental_months(D(2026, 3, 31))
    assert [m.month_number for m in due] == [1, 2, 3]
    assert order.collect_events() == []
    assert order.open_due_rental_months(D(2026, 3, 31)) == due


def test_each_opened_month_is_one_event_with_its_dates():
    bed = line("E0260")
    order = delivered(bed, on=D(2026, 1, 31))
    order.collect_events()
    order.open_due_rental_months(D(2026, 2, 28))
    events = order.collect_events()
    assert [type(e).__name__ for e in events] == ["RentalMonthOpened", "RentalMonthOpened"]
    assert (events[1].line_id, events[1].month_number) == (bed.line_id, 2)
    assert (events[1].from_date, events[1].to_date) == (D(2026, 2, 28), D(2026, 3, 30))


def test_months_of_lines_delivered_together_share_anniversaries():
    bed, oxygen = line("E0260"), line("E1390")
    order = delivered(bed, oxygen, on=D(2026, 1, 31))
    order.open_due_rental_months(D(2026, 1, 31) + timedelta(days=365))
    assert [m.from_date for m in order.rental_months(oxygen.line_id)[:13]] == [
        m.from_date for m in order.rental_months(bed.line_id)
    ]
