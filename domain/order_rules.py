"""The Order's rules, as named pure checks, and the command values they check.

Each rule function returns the problem (or None when satisfied); `@rule` (domain/rules.py) makes
it raise `RuleViolated` (`InvalidValue` for a malformed value) named after the function. The
name is stable: clients match on it, so renaming a rule is an API change. The aggregate
(`domain.order`) calls them from its public command methods, never from an `@event` body.
The rules that decide a delivery and its proof are in `domain.order_delivery`.

A pickup may not precede (or fall on) the start of a rental month already opened: an opened
month has been billed, and un-billing it (a void) is not modelled.

Prior authorization: the latest decision per line counts (decisions must be recorded in date
order); an affirmation without `valid_until` is valid through `decided_on` plus the catalogue's
`prior_auth_valid_days` (the shortest among its lines).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from domain.catalogue import HcpcsItem, PaymentCategory, item
from domain.diagnosis import billable_diagnosis
from domain.errors import InvalidValue
from domain.npi import valid_npi
from domain.order_values import (
    Hold,
    LineBilling,
    OrderingPractitioner,
    OrderLine,
    OrderStatus,
    PriorAuthorizationDecision,
    RentalMonth,
)
from domain.rules import calendar_date, present_text, rule

# PAP devices whose continued coverage depends on adherence (KX, else GA/GZ): CPAP and RAD.
ADHERENCE_CODES = frozenset({"E0601", "E0470"})

# At most 12 diagnoses fit on an 837P claim (HI segment).
MAX_DIAGNOSES = 12

UTN_FORMAT = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,49}$")


# Values ------------------------------------------------------------------------------------


@rule(InvalidValue)
def command_values_have_the_right_types(
    value: object, expected: type | tuple[type, ...], what: str
) -> str | None:
    """A date is not a datetime, an int is not a bool, a UUID is not a str."""
    kinds = expected if isinstance(expected, tuple) else (expected,)
    if isinstance(value, bool) and bool not in kinds:
        ok = False
    elif isinstance(value, datetime) and datetime not in kinds:
        ok = False
    else:
        ok = isinstance(value, kinds)
    names = " or ".join(kind.__name__ for kind in kinds)
    return None if ok else f"{what} must be a {names}, not {type(value).__name__}"


@rule(InvalidValue)
def line_quantity_is_at_least_one(quantity: object) -> str | None:
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
        return f"quantity must be a whole number of at least 1, not {quantity!r}"
    return None


@rule(InvalidValue)
def oxygen_flow_is_a_positive_decimal(flow: object) -> str | None:
    if isinstance(flow, bool) or not isinstance(flow, (Decimal, int)):
        return f"oxygen flow must be a Decimal number of litres per minute, not {flow!r}"
    if not Decimal(flow).is_finite() or Decimal(flow) <= 0:
        return f"oxygen flow must be above zero, not {flow}"
    return None


@rule(InvalidValue)
def utn_is_well_formed(utn: str) -> str | None:
    if not UTN_FORMAT.match(utn):
        return f"{utn!r} is not a unique tracking number (letters, digits, hyphens; 1-50)"
    return None


# Intake ------------------------------------------------------------------------------------


@rule()
def order_has_at_least_one_line(lines: Sequence[OrderLine]) -> str | None:
    return None if lines else "an order needs at least one line"


@rule()
def order_has_one_to_twelve_diagnoses(diagnoses: Sequence[str]) -> str | None:
    if not 1 <= len(diagnoses) <= MAX_DIAGNOSES:
        return f"an order needs 1 to {MAX_DIAGNOSES} diagnoses, not {len(diagnoses)}"
    return None


@rule()
def diagnoses_are_not_repeated(diagnoses: Sequence[str]) -> str | None:
    repeated = sorted({code for code in diagnoses if diagnoses.count(code) > 1})
    return f"diagnoses repeated: {', '.join(repeated)}" if repeated else None


@rule()
def line_ids_are_unique(lines: Sequence[OrderLine]) -> str | None:
    ids = [line.line_id for line in lines]
    return None if len(set(ids)) == len(ids) else "two lines share a line id"


@rule()
def rental_requires_a_rentable_item(catalogued: HcpcsItem, billing: LineBilling) -> str | None:
    if billing is LineBilling.RENTAL and not catalogued.rentable:
        return f"{catalogued.code} is not rented"
    return None


# How an item of each payment category is billed, and why another billing is refused.
_CATEGORY_BILLING = {
    PaymentCategory.CAPPED_RENTAL: (
        LineBilling.RENTAL,
        "a capped rental item: it is rented, not purchased",
    ),
    PaymentCategory.OXYGEN: (LineBilling.RENTAL, "oxygen equipment: it is rented, not purchased"),
    PaymentCategory.SUPPLY: (LineBilling.PURCHASE_NEW, "a supply: it is purchased new"),
}


def _billed_as_its_category(
    catalogued: HcpcsItem, billing: LineBilling, category: PaymentCategory
) -> str | None:
    required, why = _CATEGORY_BILLING[category]
    if catalogued.payment_category is category and billing is not required:
        return f"{catalogued.code} is {why}"
    return None


@rule()
def capped_rental_items_are_rented(catalogued: HcpcsItem, billing: LineBilling) -> str | None:
    return _billed_as_its_category(catalogued, billing, PaymentCategory.CAPPED_RENTAL)


@rule()
def oxygen_equipment_is_rented(catalogued: HcpcsItem, billing: LineBilling) -> str | None:
    return _billed_as_its_category(catalogued, billing, PaymentCategory.OXYGEN)


@rule()
def supplies_are_purchased_new(catalogued: HcpcsItem, billing: LineBilling) -> str | None:
    return _billed_as_its_category(catalogued, billing, PaymentCategory.SUPPLY)


@rule()
def oxygen_line_states_flow_rate(catalogued: HcpcsItem, line: OrderLine) -> str | None:
    if catalogued.payment_category is PaymentCategory.OXYGEN and line.oxygen_flow_lpm is None:
        return f"oxygen line {catalogued.code} needs the prescribed flow (litres per minute)"
    return None


@rule()
def flow_rate_only_on_oxygen_lines(catalogued: HcpcsItem, line: OrderLine) -> str | None:
    oxygen = catalogued.payment_category is PaymentCategory.OXYGEN
    if not oxygen and line.oxygen_flow_lpm is not None:
        return f"{catalogued.code} is not oxygen equipment: it has no flow rate"
    return None


@rule()
def oxygen_group_is_1_2_or_3_on_oxygen_lines(catalogued: HcpcsItem, line: OrderLine) -> str | None:
    group = line.oxygen_group
    if group is None:
        return None
    if catalogued.payment_category is not PaymentCategory.OXYGEN:
        return f"{catalogued.code} is not oxygen equipment: it has no oxygen coverage group"
    if isinstance(group, bool) or group not in (1, 2, 3):
        return f"oxygen coverage group {group!r} is not 1, 2 or 3"
    return None


# Lifecycle ---------------------------------------------------------------------------------


@rule()
def cancelled_order_accepts_no_changes(status: OrderStatus) -> str | None:
    return "the order is cancelled" if status is OrderStatus.CANCELLED else None


@rule()
def line_is_on_the_order(line_id: UUID, lines: Iterable[OrderLine]) -> str | None:
    if all(line.line_id != line_id for line in lines):
        return f"line {line_id} is not on this order"
    return None


@rule()
def order_is_not_already_on_hold(hold: Hold | None) -> str | None:
    return None if hold is None else f"the order is already on hold since {hold.on}"


@rule()
def picked_up_order_cannot_be_put_on_hold(stage: OrderStatus) -> str | None:
    return "the equipment was picked up" if stage is OrderStatus.PICKED_UP else None


@rule()
def only_an_order_on_hold_can_be_released(hold: Hold | None) -> str | None:
    return "the order is not on hold" if hold is None else None


@rule()
def release_is_not_before_hold(hold: Hold, released_on: date) -> str | None:
    if released_on < hold.on:
        return f"release on {released_on} precedes the hold on {hold.on}"
    return None


@rule()
def delivered_order_is_picked_up_not_cancelled(stage: OrderStatus) -> str | None:
    if stage in (OrderStatus.DELIVERED, OrderStatus.PICKED_UP):
        return "the order was delivered: record a pickup instead of a cancellation"
    return None


@rule()
def pickup_requires_delivery(stage: OrderStatus) -> str | None:
    return "the order was not delivered" if stage is OrderStatus.INTAKE else None


@rule()
def order_is_picked_up_only_once(stage: OrderStatus) -> str | None:
    return "the equipment was already picked up" if stage is OrderStatus.PICKED_UP else None


@rule()
def pickup_is_not_before_delivery(delivered_on: date, picked_up_on: date) -> str | None:
    if picked_up_on < delivered_on:
        return f"pickup on {picked_up_on} precedes delivery on {delivered_on}"
    return None


@rule()
def pickup_follows_every_opened_rental_month(
    opened: Iterable[RentalMonth], picked_up_on: date
) -> str | None:
    starts = [month.from_date for month in opened]
    if starts and picked_up_on <= max(starts):
        return (
            f"a rental month starting {max(starts)} is already opened (billed): a pickup on"
            f" {picked_up_on} would precede it"
        )
    return None


# Documents and decisions -------------------------------------------------------------------


@rule()
def swo_names_the_ordering_practitioner(ordering_npi: str, swo_npi: str) -> str | None:
    if swo_npi != ordering_npi:
        return f"the SWO is signed by NPI {swo_npi}, the order by NPI {ordering_npi}"
    return None


@rule()
def swo_is_not_signed_before_the_order_date(order_date: date, signed_on: date) -> str | None:
    if signed_on < order_date:
        return f"SWO signed on {signed_on}, before the order date {order_date}"
    return None


@rule()
def prior_authorization_applies_to_prior_auth_lines(
    lines: Sequence[OrderLine],
) -> str | None:
    if not lines:
        return "no line of this order needs prior authorization"
    others = [line.hcpcs for line in lines if not item(line.hcpcs).prior_auth_required]
    if others:
        return f"{', '.join(others)} do not need prior authorization"
    return None


@rule()
def prior_authorization_states_its_validity(valid_until: date | None) -> str | None:
    if valid_until is None:
        return "the catalogue has no validity period for this item: give valid_until"
    return None


@rule()
def prior_authorization_is_valid_from_its_decision(
    decided_on: date, valid_until: date
) -> str | None:
    if valid_until < decided_on:
        return f"valid until {valid_until}, before the decision on {decided_on}"
    return None


@rule()
def prior_authorization_decisions_are_recorded_in_date_order(
    previous: PriorAuthorizationDecision | None, decided_on: date
) -> str | None:
    if previous is not None and decided_on < previous.decided_on:
        return f"a decision of {previous.decided_on} is already recorded for this line"
    return None


@rule()
def adherence_applies_to_pap_devices(hcpcs: str) -> str | None:
    if hcpcs not in ADHERENCE_CODES:
        return f"{hcpcs} is not a PAP device: adherence is not evaluated"
    return None


@rule()
def adherence_is_evaluated_after_delivery(
    delivered_on: date | None, evaluated_on: date
) -> str | None:
    if delivered_on is None:
        return "the device was not delivered"
    if evaluated_on <= delivered_on:
        return f"evaluated on {evaluated_on}, not after delivery on {delivered_on}"
    return None


# Rental months -----------------------------------------------------------------------------


@rule()
def billing_run_is_not_in_the_future(as_of: date, today: date) -> str | None:
    """A rental month is billed once it has begun: capped rental items are paid month by month
    (42 CFR 414.229), and a rental line's date of service is its From date, the month's first
    day (Pub 100-04 ch.1 §70.1: the line item From date, DME rental items included). A billing
    run as of a date after the supplier's today would open months not yet rendered."""
    if as_of > today:
        return f"a billing run as of {as_of} is after today, {today}"
    return None


@rule()
def rental_month_numbers_only_go_up(
    opened: Sequence[RentalMonth], month_number: int, period: int = 1
) -> str | None:
    """Month numbers go up one by one within a rental period; a new period (the next one)
    starts at month 1 (`domain.rental_periods`)."""
    last_period = opened[-1].period if opened else 1
    last = opened[-1].month_number if opened else 0
    if period == last_period + 1 and opened:
        last = 0
    elif period != last_period:
        return f"after rental period {last_period} the next one is {last_period + 1}, not {period}"
    if month_number != last + 1:
        return f"after month {last} the next rental month is {last + 1}, not {month_number}"
    return None


@rule()
def rental_month_is_within_the_cap(cap: int | None, month_number: int) -> str | None:
    if cap is None or month_number > cap:
        return f"rental month {month_number} is beyond the cap of {cap} paid months"
    return None


# --- Command values, checked and normalised ---------------------------------------------------


def typed(value: Any, expected: type | tuple[type, ...], what: str) -> Any:
    """`value`, once `command_values_have_the_right_types` accepts it."""
    command_values_have_the_right_types(value, expected, what)
    return value


def checked_practitioner(practitioner: OrderingPractitioner) -> OrderingPractitioner:
    typed(practitioner, OrderingPractitioner, "practitioner")
    return OrderingPractitioner(
        name=present_text(practitioner.name, "the ordering practitioner's name"),
        npi=valid_npi(typed(practitioner.npi, str, "npi")),
    )


def checked_diagnoses(diagnoses: Sequence[str]) -> tuple[str, ...]:
    """Billable ICD-10-CM codes, normalised, in the order given (claim pointers follow it)."""
    if isinstance(diagnoses, str):
        typed(diagnoses, list, "diagnoses")
    codes = [billable_diagnosis(typed(code, str, "diagnosis")) for code in diagnoses]
    order_has_one_to_twelve_diagnoses(codes)
    diagnoses_are_not_repeated(codes)
    return tuple(codes)


def checked_lines(lines: Sequence[OrderLine]) -> tuple[OrderLine, ...]:
    lines = list(lines)
    order_has_at_least_one_line(lines)
    checked = tuple(checked_line(line) for line in lines)
    line_ids_are_unique(checked)
    return checked


def checked_line(line: OrderLine) -> OrderLine:
    """The line with its HCPCS code as catalogued and its oxygen flow as a Decimal."""
    typed(line, OrderLine, "line")
    typed(line.line_id, UUID, "line_id")
    catalogued = item(typed(line.hcpcs, str, "hcpcs"))
    line_quantity_is_at_least_one(line.quantity)
    typed(line.billing, LineBilling, "billing")
    rental_requires_a_rentable_item(catalogued, line.billing)
    capped_rental_items_are_rented(catalogued, line.billing)
    oxygen_equipment_is_rented(catalogued, line.billing)
    supplies_are_purchased_new(catalogued, line.billing)
    oxygen_line_states_flow_rate(catalogued, line)
    flow_rate_only_on_oxygen_lines(catalogued, line)
    oxygen_group_is_1_2_or_3_on_oxygen_lines(catalogued, line)
    flow = line.oxygen_flow_lpm
    if flow is not None:
        oxygen_flow_is_a_positive_decimal(flow)
        flow = Decimal(flow)
    return dataclasses.replace(line, hcpcs=catalogued.code, oxygen_flow_lpm=flow)


def lines_to_decide(
    lines: Sequence[OrderLine],
    line_ids: Sequence[UUID] | None,
    decisions: Mapping[UUID, PriorAuthorizationDecision],
    decided_on: date,
) -> tuple[OrderLine, ...]:
    """The lines a prior authorization decision of `decided_on` is for: `line_ids`, by default
    every line that needs prior authorization."""
    if line_ids is None:
        chosen = tuple(line for line in lines if item(line.hcpcs).prior_auth_required)
    else:
        if isinstance(line_ids, (str, UUID)):
            typed(line_ids, list, "line_ids")
        for line_id in line_ids:
            line_is_on_the_order(typed(line_id, UUID, "line_id"), lines)
        by_id = {line.line_id: line for line in lines}
        chosen = tuple(by_id[line_id] for line_id in dict.fromkeys(line_ids))
    prior_authorization_applies_to_prior_auth_lines(chosen)
    for line in chosen:
        prior_authorization_decisions_are_recorded_in_date_order(
            decisions.get(line.line_id), decided_on
        )
    return chosen


def prior_authorization_valid_until(
    lines: Sequence[OrderLine], decided_on: date, valid_until: date | None
) -> date:
    """`valid_until` as given, else `decided_on` plus the shortest catalogue validity."""
    if valid_until is None:
        days = [item(line.hcpcs).prior_auth_valid_days for line in lines]
        if all(d is not None for d in days):
            valid_until = decided_on + timedelta(days=min(d for d in days if d is not None))
    prior_authorization_states_its_validity(valid_until)
    valid_until = calendar_date(valid_until, "valid_until")
    prior_authorization_is_valid_from_its_decision(decided_on, valid_until)
    return valid_until


def check_months_to_open(
    lines: Sequence[OrderLine],
    opened: Mapping[UUID, tuple[RentalMonth, ...]],
    due: Sequence[RentalMonth],
) -> None:
    """Each month of `due`, in turn, follows its line's last opened month, within the cap."""
    caps = {line.line_id: item(line.hcpcs).rental_cap_months for line in lines}
    numbers = {line_id: list(months) for line_id, months in opened.items()}
    for month in due:
        rental_month_numbers_only_go_up(numbers[month.line_id], month.month_number, month.period)
        rental_month_is_within_the_cap(caps[month.line_id], month.month_number)
        numbers[month.line_id].append(month)
