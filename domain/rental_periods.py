"""Rental periods: which rental months a line is paid for when the item leaves the home and
comes back, or the patient is in a hospital or skilled nursing facility (pure; no I/O).

The facts are the order's possessions (each delivery until its pickup) and the patient's
institutional stays recorded on it. From them `rental_month_slots` lays out the rental months in
order, each with its rental period and its month number in that period:

- Month n of a period starts n-1 calendar months after the period's anchor (the delivery) and
  ends the day before the next anniversary, as before (`rental_month_dates`).
- A stay pauses the count: a month whose anniversary falls while the patient is an inpatient
  is not paid; the month resumes on the discharge date, which anchors the months after it, and
  keeps its number. A stay never starts a new period.
- A pickup ends the possession. If the item comes back before the end of the rental month in
  which use ceased, nothing changes. If it comes back later, but not more than 60 days after
  that month's end, the count continues from the redelivery date. Later than that, a new
  rental period begins at month 1. Its months are billed only once the documents 42 CFR
  414.230(d) asks for are on file (`check_new_period_documented`); until then the claims
  process holds them with the rule that refuses.

Each possession starts in the home: its first month starts on its delivery date. Every month
starts in a later calendar month than the one before it, so a billing month ('YYYY-MM') holds
at most one rental month of a line: claim ids keyed by billing month stay unique across periods.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import Enum, nonmember

from domain.errors import InvalidValue
from domain.required_list import on_required_list
from domain.rules import add_months, billing_rule, calendar_date, rule

# 42 CFR 414.230(c)(2): an interruption of up to 60 consecutive days plus the days remaining in
# the rental month in which use ceases is temporary.
TEMPORARY_INTERRUPTION_DAYS = 60


class InpatientSetting(Enum):
    """Where the patient stayed: neither is a home for Part B DME (42 CFR 410.38(b))."""

    HOSPITAL = "hospital"
    SKILLED_NURSING_FACILITY = "snf"

    TRANSCODING = nonmember("order.InpatientSetting")


@dataclass(frozen=True)
class InstitutionalStay:
    """An inpatient stay from `admitted_on` until `discharged_on` (None while it lasts). The
    patient is home again on the discharge date."""

    admitted_on: date
    setting: InpatientSetting
    discharged_on: date | None = None

    def covers(self, day: date) -> bool:
        return self.admitted_on <= day and (self.discharged_on is None or day < self.discharged_on)


@dataclass(frozen=True)
class Possession:
    """The item in the patient's home from `delivered_on` until `picked_up_on` (None: still)."""

    delivered_on: date
    picked_up_on: date | None = None


@dataclass(frozen=True)
class RentalMonthSlot:
    """One rental month: month `number` of rental period `period`, `from_date`-`to_date`."""

    period: int
    number: int
    from_date: date
    to_date: date


@billing_rule(
    "42 CFR 414.230(c)-(d) (temporary interruption: not longer than 60 consecutive days plus the"
    " days remaining in the rental month in which use ceases; a longer one begins a new rental"
    " period with a new prescription, new medical necessity documentation and a statement why"
    " need ended; checked against the CFR text); CMS Pub. 100-04 ch. 20 s. 30.5.4, 'Payments"
    " for Capped Rental Items During a Period of Continuous Use' (the rental month, not the"
    " calendar month; a new date of service when use resumes; checked against a copy of the"
    " section's text); Noridian JD DME 'New Capped Rental Period'",
    "tests/unit/test_rental_periods.py::test_a_return_within_60_days_after_the_month_continues_the_count",
    "tests/unit/test_rental_periods.py::test_a_return_more_than_60_days_after_the_month_starts_a_new_period",
)
def starts_a_new_rental_period(month_in_which_use_ceased: RentalMonthSlot, back_on: date) -> bool:
    """An item back in the home more than 60 days after the end of the rental month in which
    its use ceased starts a new rental period (month 1 again); back earlier, the count goes on.
    """
    limit = month_in_which_use_ceased.to_date + timedelta(days=TEMPORARY_INTERRUPTION_DAYS)
    return back_on > limit


@billing_rule(
    "CMS Pub. 100-04 ch. 20 s. 30.5.4 (no rental payment while use is interrupted beyond the"
    " rental month; a new date of service when use resumes; unpaid months of interruption do not"
    " count toward the cap; example of a patient institutionalized for 45 days; checked against"
    " a copy of the section's text); 42 CFR"
    " 410.38(a)-(b) and Pub. 100-02 ch. 15 s. 110.1 (a hospital or SNF is not a home for Part B"
    " DME); Noridian JD DME 'New Capped Rental Period' (a hospital or nursing facility stay does"
    " not start a new capped rental period)",
    "tests/unit/test_rental_periods.py::test_a_stay_over_the_anniversary_pauses_the_count_until_discharge",
    "tests/unit/test_rental_periods.py::test_a_stay_within_a_rental_month_changes_nothing",
    "tests/unit/test_rental_periods.py::test_an_open_stay_opens_no_month",
)
def rental_month_slots(
    possessions: Sequence[Possession],
    stays: Sequence[InstitutionalStay] = (),
    cap: int | None = None,
) -> Iterator[RentalMonthSlot]:
    """The rental months of the possessions, in order: a month whose anniversary falls during an
    inpatient stay is not paid and resumes, with its number, on the discharge date; the count
    of a period stops at `cap` (None: no cap) and starts again at 1 in a new period.

    Lazy and possibly endless (an open possession without a cap): callers stop when a month
    starts after the date they look at."""
    period, number = 1, 0
    anchor: date | None = None
    step = 0
    last: RentalMonthSlot | None = None
    for index, possession in enumerate(possessions):
        start, end = possession.delivered_on, possession.picked_up_on
        if index == 0 or last is None:
            anchor, step = start, 0
        elif starts_a_new_rental_period(last, start):
            period, number, anchor, step = period + 1, 0, start, 0
        elif start > last.to_date:  # back after the month's end: a new date of service
            anchor, step = start, 0
        assert anchor is not None
        while True:
            day = add_months(anchor, step)
            if end is not None and day >= end:
                break  # picked up before this anniversary: the next possession goes on
            stay = next((s for s in stays if s.covers(day)), None)
            if stay is not None:
                if stay.discharged_on is None:
                    return  # paused until the discharge is recorded
                if end is not None and stay.discharged_on >= end:
                    break  # picked up during the stay
                anchor, step = stay.discharged_on, 0
                continue
            if cap is not None and number >= cap:
                if end is None:
                    return  # the cap is reached and the item stays: nothing more is paid
                # Paid out; the months still go on (without payment) until the pickup, so that
                # the rental month in which use ceases is known.
                last = RentalMonthSlot(period, number, day, _month_end(anchor, step))
                step += 1
                continue
            number += 1
            last = RentalMonthSlot(period, number, day, _month_end(anchor, step))
            yield last
            step += 1


def _month_end(anchor: date, step: int) -> date:
    return add_months(anchor, step + 1) - timedelta(days=1)


def slots_due(
    possessions: Sequence[Possession],
    stays: Sequence[InstitutionalStay],
    cap: int | None,
    as_of: date,
) -> list[RentalMonthSlot]:
    """Every paid rental month starting on or before `as_of`."""
    due = []
    for slot in rental_month_slots(possessions, stays, cap):
        if slot.from_date > as_of:
            break
        due.append(slot)
    return due


def month_in_which_use_ceased(
    possessions: Sequence[Possession], stays: Sequence[InstitutionalStay]
) -> RentalMonthSlot | None:
    """The last rental month started before the latest pickup (paid or past the cap)."""
    if not possessions or possessions[-1].picked_up_on is None:
        return None
    picked_up_on = possessions[-1].picked_up_on
    last = None
    for slot in _all_months(possessions, stays):
        if slot.from_date >= picked_up_on:
            break
        last = slot
    return last


def _all_months(
    possessions: Sequence[Possession], stays: Sequence[InstitutionalStay]
) -> Iterator[RentalMonthSlot]:
    # Without a cap every month of a closed history is listed, and the listing ends.
    return rental_month_slots(possessions, stays, None)


# --- Rules on the facts ------------------------------------------------------------------------


@rule()
def institutional_stay_is_recorded_while_the_item_is_home(in_home: bool) -> str | None:
    return (
        None if in_home else "the item is not in the patient's home (not delivered, or picked up)"
    )


@rule()
def admission_is_not_before_delivery(delivered_on: date, admitted_on: date) -> str | None:
    if admitted_on < delivered_on:
        return f"admission on {admitted_on} precedes the delivery on {delivered_on}"
    return None


@rule()
def one_institutional_stay_at_a_time(
    stays: Sequence[InstitutionalStay], admitted_on: date
) -> str | None:
    for stay in stays:
        if stay.discharged_on is None:
            return f"the stay from {stay.admitted_on} has no discharge yet"
        if admitted_on < stay.discharged_on:
            return f"admission on {admitted_on} precedes the discharge on {stay.discharged_on}"
    return None


@rule()
def discharge_ends_an_open_stay(stays: Sequence[InstitutionalStay]) -> str | None:
    if stays and stays[-1].discharged_on is None:
        return None
    return "no stay without a discharge is recorded"


@rule()
def discharge_is_not_before_admission(admitted_on: date, discharged_on: date) -> str | None:
    if discharged_on < admitted_on:
        return f"discharge on {discharged_on} precedes the admission on {admitted_on}"
    return None


@rule()
def stay_dates_are_not_in_the_future(day: date, today: date | None) -> str | None:
    if today is not None and day > today:
        return f"{day} is after today, {today}"
    return None


@rule()
def institutional_stay_does_not_cover_an_opened_rental_month(
    stay: InstitutionalStay, opened_starts: Sequence[date]
) -> str | None:
    """A month already opened (billed) whose start the stay covers was not payable: the stay is
    refused until that month's claim is voided."""
    covered = [day for day in opened_starts if stay.covers(day)]
    if covered:
        return f"the rental month starting {min(covered)} is already opened during the stay"
    return None


@rule()
def redelivery_follows_a_pickup(picked_up: bool) -> str | None:
    return None if picked_up else "the item was not picked up: it is still in the home"


@rule()
def redelivery_is_not_before_pickup(picked_up_on: date, delivered_on: date) -> str | None:
    if delivered_on < picked_up_on:
        return f"redelivery on {delivered_on} precedes the pickup on {picked_up_on}"
    return None


# --- A new rental period's documents (42 CFR 414.230(d)) -----------------------------------


@dataclass(frozen=True)
class NewPeriodDocuments:
    """What 42 CFR 414.230(d)(2)-(3) asks for besides the new prescription, by the day each was
    made: new medical necessity documentation, and the statement of why use was interrupted
    that shows the need in the prior episode ended. Dates only: the statement's text is the
    patient's record, kept by the supplier, not in the event store."""

    medical_necessity_on: date
    statement_on: date


@dataclass(frozen=True)
class PeriodBreak:
    """The break before a new rental period: the pickup that ended the one before, and the
    redelivery that began it."""

    picked_up_on: date
    back_on: date


def new_period_breaks(
    possessions: Sequence[Possession], stays: Sequence[InstitutionalStay]
) -> dict[int, PeriodBreak]:
    """For each rental period after the first, the break before it (the periods numbered as
    `rental_month_slots` numbers them)."""
    breaks: dict[int, PeriodBreak] = {}
    period = 1
    for index in range(1, len(possessions)):
        before = possessions[:index]
        ceased = month_in_which_use_ceased(before, stays)
        back_on = possessions[index].delivered_on
        if ceased is not None and starts_a_new_rental_period(ceased, back_on):
            period += 1
            picked_up_on = before[-1].picked_up_on
            assert picked_up_on is not None  # every possession but the last was picked up
            breaks[period] = PeriodBreak(picked_up_on, back_on)
    return breaks


@billing_rule(
    "42 CFR 414.230(d)(1) (a new rental period begins only if the supplier submits a new"
    " prescription, among the three items of 414.230(d)); checked against the CFR text",
    "tests/unit/test_rental_periods.py::test_a_new_period_holds_its_months_until_its_documents_are_recorded",
    "tests/unit/test_billing_histories.py::test_every_rendered_month_is_billed_exactly_once_or_held_with_its_rule",
)
@rule()
def new_rental_period_requires_a_new_swo(
    picked_up_on: date, swo_signed_on: date | None
) -> str | None:
    """A month of a new rental period is billed only once an SWO signed after the pickup that
    ended the previous period is on file (the new prescription of 414.230(d)(1))."""
    if swo_signed_on is None or swo_signed_on <= picked_up_on:
        return (
            f"the item came back more than {TEMPORARY_INTERRUPTION_DAYS} days after the rental"
            f" month in which use ceased: a new rental period needs a new SWO signed after the"
            f" pickup on {picked_up_on}"
        )
    return None


@billing_rule(
    "42 CFR 414.230(d)(2)-(3) (new medical necessity documentation, and a statement describing"
    " the reason for the interruption and demonstrating that medical necessity in the prior"
    " episode ended); checked against the CFR text",
    "tests/unit/test_rental_periods.py::test_a_new_period_holds_its_months_until_its_documents_are_recorded",
    "tests/unit/test_billing_histories.py::test_every_rendered_month_is_billed_exactly_once_or_held_with_its_rule",
)
@rule()
def new_rental_period_documents_medical_necessity(
    picked_up_on: date, documents: Sequence[NewPeriodDocuments]
) -> str | None:
    """A month of a new rental period is billed only once new medical necessity documentation
    and the statement of why the need ended, both made after the pickup, are on file."""
    if any(
        d.medical_necessity_on > picked_up_on and d.statement_on > picked_up_on
        for d in documents
    ):
        return None
    return (
        "a new rental period needs new medical necessity documentation and a statement of why"
        f" the need in the prior episode ended, both made after the pickup on {picked_up_on}"
    )


@billing_rule(
    "42 CFR 410.38(c)(8) (the Required Face-to-Face Encounter and Written Order Prior to"
    " Delivery List); Noridian JD DME 'Face-to-Face and WOPD CMS Required List HCPCS Code Lookup"
    " Tool' (checked: a qualifying face-to-face encounter is required each time a new"
    " order/prescription for an item on the Required List is ordered; the WOPD is a complete"
    " SWO communicated before delivery, within six months after the encounter)",
    "tests/unit/test_rental_periods.py::test_a_new_period_of_a_required_list_item_needs_a_new_wopd_and_face_to_face",
)
@rule()
def new_rental_period_of_a_listed_item_needs_a_new_wopd_and_face_to_face(
    listed: bool, gap: PeriodBreak, wopd_signed_on: date | None, face_to_face_on: date | None
) -> str | None:
    """A new rental period of an item on the Required List is a new order: its months are
    billed once a WOPD signed after the pickup and by the redelivery is on file, with a
    face-to-face encounter in the 6 months before that WOPD."""
    if not listed:
        return None
    if wopd_signed_on is None or not gap.picked_up_on < wopd_signed_on <= gap.back_on:
        return (
            "an item on the Required List starts a new rental period: it needs a new WOPD signed"
            f" after the pickup on {gap.picked_up_on} and by the redelivery on {gap.back_on}"
        )
    earliest = add_months(wopd_signed_on, -6)
    if face_to_face_on is None or not earliest <= face_to_face_on <= wopd_signed_on:
        return (
            "an item on the Required List starts a new rental period: it needs a face-to-face"
            f" encounter in the 6 months before the new WOPD of {wopd_signed_on}"
        )
    return None


@dataclass(frozen=True)
class NewPeriodFacts:
    """What an order has on file that a new rental period's months are checked against."""

    swo_signed_on: date | None
    documents: Sequence[NewPeriodDocuments]
    codes: Sequence[str]  # the order's rental lines' HCPCS codes
    wopd_signed_on: date | None
    face_to_face_on: date | None


def check_new_period_documented(
    period: int, breaks: dict[int, PeriodBreak], facts: NewPeriodFacts
) -> None:
    """Raise the first rule a month of `period` fails (period 1 needs nothing more)."""
    gap = breaks.get(period)
    if gap is None:
        return
    new_rental_period_requires_a_new_swo(gap.picked_up_on, facts.swo_signed_on)
    new_rental_period_documents_medical_necessity(gap.picked_up_on, facts.documents)
    new_rental_period_of_a_listed_item_needs_a_new_wopd_and_face_to_face(
        any(on_required_list(code, gap.back_on) for code in facts.codes),
        gap,
        facts.wopd_signed_on,
        facts.face_to_face_on,
    )


@rule()
def new_period_documents_follow_a_pickup(
    possessions: Sequence[Possession], documents: NewPeriodDocuments
) -> str | None:
    pickups = [p.picked_up_on for p in possessions if p.picked_up_on is not None]
    if not pickups:
        return "the item was never picked up: no new rental period can begin"
    for day in (documents.medical_necessity_on, documents.statement_on):
        if day <= pickups[-1]:
            return f"{day} is not after the latest pickup, on {pickups[-1]}"
    return None


def checked_admission(
    in_home: bool,
    possessions: Sequence[Possession],
    stays: Sequence[InstitutionalStay],
    admitted_on: date,
    setting: InpatientSetting | str,
    today: date | None,
    opened_starts: Sequence[date],
) -> InpatientSetting:
    """The setting of an admission on `admitted_on`, once every stay rule accepts it."""
    institutional_stay_is_recorded_while_the_item_is_home(in_home)
    calendar_date(admitted_on, "admitted_on")
    where = inpatient_setting(setting)
    stay_dates_are_not_in_the_future(admitted_on, today)
    admission_is_not_before_delivery(possessions[-1].delivered_on, admitted_on)
    one_institutional_stay_at_a_time(stays, admitted_on)
    institutional_stay_does_not_cover_an_opened_rental_month(
        InstitutionalStay(admitted_on, where), opened_starts
    )
    return where


def checked_discharge(
    stays: Sequence[InstitutionalStay], discharged_on: date, today: date | None
) -> date:
    """`discharged_on`, once it can end the open stay."""
    calendar_date(discharged_on, "discharged_on")
    discharge_ends_an_open_stay(stays)
    stay_dates_are_not_in_the_future(discharged_on, today)
    discharge_is_not_before_admission(stays[-1].admitted_on, discharged_on)
    return discharged_on


def checked_new_period_documents(
    possessions: Sequence[Possession], medical_necessity_on: date, statement_on: date
) -> NewPeriodDocuments:
    documents = NewPeriodDocuments(
        calendar_date(medical_necessity_on, "medical_necessity_on"),
        calendar_date(statement_on, "statement_on"),
    )
    new_period_documents_follow_a_pickup(possessions, documents)
    return documents


def inpatient_setting(value: InpatientSetting | str) -> InpatientSetting:
    """'hospital' or 'snf' (or the enum itself)."""
    if isinstance(value, InpatientSetting):
        return value
    try:
        return InpatientSetting(value)
    except ValueError:
        raise InvalidValue(
            "inpatient_setting_is_hospital_or_snf", f"setting {value!r} is not hospital or snf"
        ) from None
