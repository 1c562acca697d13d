"""Value types of the Order aggregate, and the rental month arithmetic (pure).

Every Enum and frozen dataclass here that appears in an Order event is listed in
`domain.order.VALUE_TYPES`; the others are aggregate state only. Ids (`OrderLine.line_id`) are
given by the caller, never generated here.

Rental months are anniversary months: month n of a rental line starts n-1 calendar months after
delivery and ends the day before month n+1 starts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from enum import Enum, nonmember
from typing import ClassVar
from uuid import UUID

from domain.catalogue import item
from domain.rental_periods import InstitutionalStay, Possession, slots_due
from domain.rules import add_months


class LineBilling(Enum):
    """How a line is billed: bought new (NU), bought used (UE) or rented month by month (RR)."""

    PURCHASE_NEW = "purchase_new"
    PURCHASE_USED = "purchase_used"
    RENTAL = "rental"

    TRANSCODING = nonmember("order.LineBilling")


class OrderStatus(Enum):
    INTAKE = "intake"
    ON_HOLD = "on_hold"
    DELIVERED = "delivered"
    PICKED_UP = "picked_up"
    CANCELLED = "cancelled"


class SignerRelationship(Enum):
    """Who signed the proof of delivery. A designee states the relationship in words."""

    PATIENT = "patient"
    DESIGNEE = "designee"

    TRANSCODING = nonmember("order.SignerRelationship")


@dataclass(frozen=True)
class OrderingPractitioner:
    TRANSCODING: ClassVar[str] = "order.OrderingPractitioner"

    name: str
    npi: str


@dataclass(frozen=True)
class OrderLine:
    """One item on the order. `line_id` is given by the caller; `hcpcs` is stored normalised."""

    TRANSCODING: ClassVar[str] = "order.OrderLine"

    line_id: UUID
    hcpcs: str
    quantity: int
    billing: LineBilling
    # Litres per minute; required on oxygen lines (it chooses the QE/QF/QG modifier), else None.
    oxygen_flow_lpm: Decimal | None = None
    # Oxygen lines: the LCD L33797 coverage group the patient qualifies under (1, 2 or 3), which
    # Medicare rentals carry as N1/N2/N3 (`domain.modifiers.oxygen_group_modifier`).
    oxygen_group: int | None = None


@dataclass(frozen=True)
class LineSerial:
    """The serial number of one unit of a serialized item delivered on a line."""

    TRANSCODING: ClassVar[str] = "order.LineSerial"

    line_id: UUID
    serial: str


@dataclass(frozen=True)
class ProofOfDelivery:
    """The signed delivery ticket. `designee_relationship` (e.g. "daughter") is required when a
    designee signs and absent when the patient does. Serialized lines carry one serial per unit.
    """

    TRANSCODING: ClassVar[str] = "order.ProofOfDelivery"

    signer_name: str
    relationship: SignerRelationship
    signed_on: date
    supplier_signed: bool = False
    designee_relationship: str | None = None
    serial_numbers: tuple[LineSerial, ...] = ()

    def serials_for(self, line_id: UUID) -> tuple[str, ...]:
        return tuple(s.serial for s in self.serial_numbers if s.line_id == line_id)


# State-only value objects (never in an event, so not in `domain.order.VALUE_TYPES`).


@dataclass(frozen=True)
class CoverageVerification:
    coverage_id: UUID
    payer_id: str
    verified_on: date
    eligible: bool
    same_or_similar_found: bool


@dataclass(frozen=True)
class PriorAuthorizationDecision:
    """The latest prior authorization decision for a line. `utn` and `valid_until` are set when
    affirmed; `reason` when non-affirmed."""

    affirmed: bool
    decided_on: date
    utn: str | None = None
    valid_until: date | None = None
    reason: str | None = None

    def covers(self, on: date) -> bool:
        return (
            self.affirmed
            and self.valid_until is not None
            and self.decided_on <= on <= self.valid_until
        )


@dataclass(frozen=True)
class AdherenceEvaluation:
    evaluated_on: date
    compliant: bool


@dataclass(frozen=True)
class Hold:
    reason: str
    on: date


@dataclass(frozen=True)
class RentalMonth:
    """A rental month of one line: month `month_number` (1-based) of rental period `period`,
    from `from_date` to `to_date` inclusive (the day before the next month's anniversary)."""

    line_id: UUID
    month_number: int
    from_date: date
    to_date: date
    period: int = 1


# --- Rental month arithmetic (anniversary billing) ------------------------------------------


def rental_month_dates(delivered_on: date, month_number: int) -> tuple[date, date]:
    """(from, to) of rental month `month_number`: it starts `month_number - 1` calendar months
    after delivery and ends the day before the next month starts."""
    start = add_months(delivered_on, month_number - 1)
    return start, add_months(delivered_on, month_number) - timedelta(days=1)


def rental_months_due(
    lines: Iterable[OrderLine],
    possessions: Sequence[Possession],
    stays: Sequence[InstitutionalStay],
    opened: Mapping[UUID, tuple[RentalMonth, ...]],
    as_of: date,
) -> list[RentalMonth]:
    """The months of each rental line due by `as_of` and not `opened`: each is due on its first
    day; none beyond the item's `rental_cap_months` in a period, none while the patient is an
    inpatient, none starting on or after a pickup (`domain.rental_periods`)."""
    due = []
    for line in lines:
        if line.billing is not LineBilling.RENTAL:
            continue
        cap = item(line.hcpcs).rental_cap_months
        if cap is None:
            continue
        done = {(month.period, month.month_number) for month in opened.get(line.line_id, ())}
        for slot in slots_due(possessions, stays, cap, as_of):
            if (slot.period, slot.number) not in done:
                month = RentalMonth(line.line_id, slot.number, slot.from_date, slot.to_date)
                due.append(replace(month, period=slot.period))
    return due


def latest_verdict(evaluations: Sequence[AdherenceEvaluation]) -> bool | None:
    """The verdict of the latest `evaluated_on` (on a tie, the one recorded last), or None."""
    if not evaluations:
        return None
    return max(enumerate(evaluations), key=lambda e: (e[1].evaluated_on, e[0]))[1].compliant
