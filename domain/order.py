"""The Order aggregate: one patient's order for equipment, from intake to pickup.

Lifecycle (DOMAIN.md, "Order lifecycle"): `Order.intake` -> coverage verification, documents
(SWO, WOPD, face-to-face, ABN) and prior authorization decisions -> `deliver` (with proof of
delivery; the delivery date is the date of service) -> monthly rental months opened by
`open_due_rental_months` -> `pick_up`. An order may be put on hold and released, and cancelled
before delivery.

Choices a reader may question:
- Ids: the caller (application layer) gives the order id and every `OrderLine.line_id` (uuid4);
  the domain never generates an id inside an event.
- `OrderStatus` is the stored lifecycle stage plus ON_HOLD. There is no READY status: whether an
  order can be delivered depends on the delivery date (a UTN expires), so it is a query,
  `delivery_blockers(on)` / `ready_for_delivery(on)`, not a recorded state.
- A hold defers rental billing, it does not shift it: while the order is on hold nothing is
  opened; after `release` the months that came due during the hold are opened with their usual
  anniversary dates. (A hospital stay that pauses the rental count is a different fact, not
  modelled yet.) A hold may outlive the pickup, so `release` is accepted after pickup.
- Purchase lines are billed once, dated at delivery: `billable_purchases()` lists them (empty
  before delivery and while on hold). The Order does not record what was billed; the claim
  process manager keys claims by (order id, line id[, month number]) so billing twice is
  impossible on its side.
- A pickup may not precede (or fall on) the start of a rental month already opened: an opened
  month has been billed, and un-billing it (a void) is not modelled here.
- Prior authorization: the latest decision per line counts (decisions must be recorded in date
  order); an affirmation without `valid_until` is valid through `decided_on` plus the
  catalogue's `prior_auth_valid_days`. The POD must be signed on the delivery date (direct
  delivery: the signature date is the date of service).
- A picked-up order still accepts documents (SWO, coverage, prior authorization, adherence,
  ABN): billing for the months it was rented may need them. A cancelled order accepts nothing.
- Rules are the functions in the "Rules" section; each function's name is the stable rule name
  carried by the `RuleViolated` it raises (clients match on it: renaming one is an API change).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import event

from domain.base import AriesAggregate, pin_topics
from domain.catalogue import HcpcsItem, PaymentCategory, item
from domain.diagnosis import billable_diagnosis
from domain.errors import InvalidValue, RuleViolated
from domain.npi import valid_npi
from domain.rules import add_months, calendar_date, present_text, rule

# ---------------------------------------------------------------------------------------------
# Value objects (frozen; those that appear in events are listed in VALUE_TYPES)
# ---------------------------------------------------------------------------------------------


class LineBilling(Enum):
    """How a line is billed: bought new (NU), bought used (UE) or rented month by month (RR)."""

    PURCHASE_NEW = "purchase_new"
    PURCHASE_USED = "purchase_used"
    RENTAL = "rental"


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


# State-only value objects (never in an event, so not in VALUE_TYPES).


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
    """A rental month of one line: month `month_number` (1-based) from `from_date` to `to_date`
    inclusive (the day before the next month's anniversary)."""

    line_id: UUID
    month_number: int
    from_date: date
    to_date: date


# Enum transcoding names are pinned too (an attribute in an Enum body would become a member).
LineBilling.TRANSCODING = "order.LineBilling"  # type: ignore[attr-defined]
SignerRelationship.TRANSCODING = "order.SignerRelationship"  # type: ignore[attr-defined]

# PAP devices whose continued coverage depends on adherence (KX, else GA/GZ): CPAP and RAD.
ADHERENCE_CODES = frozenset({"E0601", "E0470"})

# At most 12 diagnoses fit on an 837P claim (HI segment).
MAX_DIAGNOSES = 12

UTN_FORMAT = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,49}$")


# ---------------------------------------------------------------------------------------------
# Rental month arithmetic (anniversary billing)
# ---------------------------------------------------------------------------------------------


def rental_month_dates(delivered_on: date, month_number: int) -> tuple[date, date]:
    """(from, to) of rental month `month_number`: it starts `month_number - 1` calendar months
    after delivery and ends the day before the next month starts."""
    start = add_months(delivered_on, month_number - 1)
    return start, add_months(delivered_on, month_number) - timedelta(days=1)


# ---------------------------------------------------------------------------------------------
# Rules: each function's name is the rule name; it returns the problem, or None when satisfied
# ---------------------------------------------------------------------------------------------

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


@rule()
def capped_rental_items_are_rented(catalogued: HcpcsItem, billing: LineBilling) -> str | None:
    category = catalogued.payment_category
    if category is PaymentCategory.CAPPED_RENTAL and billing is not LineBilling.RENTAL:
        return f"{catalogued.code} is a capped rental item: it is rented, not purchased"
    return None


@rule()
def oxygen_equipment_is_rented(catalogued: HcpcsItem, billing: LineBilling) -> str | None:
    category = catalogued.payment_category
    if category is PaymentCategory.OXYGEN and billing is not LineBilling.RENTAL:
        return f"{catalogued.code} is oxygen equipment: it is rented, not purchased"
    return None


@rule()
def supplies_are_purchased_new(catalogued: HcpcsItem, billing: LineBilling) -> str | None:
    category = catalogued.payment_category
    if category is PaymentCategory.SUPPLY and billing is not LineBilling.PURCHASE_NEW:
        return f"{catalogued.code} is a supply: it is purchased new"
    return None


@rule()
def oxygen_line_states_flow_rate(catalogued: HcpcsItem, line: OrderLine) -> str | None:
    is_oxygen = catalogued.payment_category is PaymentCategory.OXYGEN
    if is_oxygen and line.oxygen_flow_lpm is None:
        return f"oxygen line {catalogued.code} needs the prescribed flow (litres per minute)"
    return None


@rule()
def flow_rate_only_on_oxygen_lines(catalogued: HcpcsItem, line: OrderLine) -> str | None:
    is_oxygen = catalogued.payment_category is PaymentCategory.OXYGEN
    if not is_oxygen and line.oxygen_flow_lpm is not None:
        return f"{catalogued.code} is not oxygen equipment: it has no flow rate"
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


# Delivery ----------------------------------------------------------------------------------


@rule()
def order_is_delivered_only_once(stage: OrderStatus) -> str | None:
    if stage in (OrderStatus.DELIVERED, OrderStatus.PICKED_UP):
        return "the order was already delivered"
    return None


@rule()
def order_on_hold_cannot_be_delivered(hold: Hold | None) -> str | None:
    return None if hold is None else f"the order is on hold: {hold.reason}"


@rule()
def delivery_is_not_before_order_date(order_date: date, delivered_on: date) -> str | None:
    if delivered_on < order_date:
        return f"delivery on {delivered_on} precedes the order date {order_date}"
    return None


@rule()
def delivery_requires_verified_eligible_coverage(
    coverage: CoverageVerification | None, delivered_on: date
) -> str | None:
    if coverage is None:
        return "coverage was not verified"
    if coverage.verified_on > delivered_on:
        return f"coverage was verified on {coverage.verified_on}, after {delivered_on}"
    if not coverage.eligible:
        return f"the patient is not eligible with payer {coverage.payer_id}"
    return None


@rule()
def same_or_similar_equipment_blocks_delivery(
    coverage: CoverageVerification | None,
) -> str | None:
    if coverage is not None and coverage.same_or_similar_found:
        return "the payer already covers the same or similar equipment (CARC 150/151, M3)"
    return None


@rule()
def delivery_requires_unexpired_prior_authorization(
    lines: Sequence[OrderLine],
    decisions: dict[UUID, PriorAuthorizationDecision],
    delivered_on: date,
) -> str | None:
    for line in lines:
        if not item(line.hcpcs).prior_auth_required:
            continue
        decision = decisions.get(line.line_id)
        if decision is None or not decision.affirmed:
            return f"{line.hcpcs} needs an affirmed prior authorization (UTN)"
        if not decision.covers(delivered_on):
            return (
                f"the UTN {decision.utn} for {line.hcpcs} is valid from {decision.decided_on}"
                f" to {decision.valid_until}, not on {delivered_on}"
            )
    return None


@rule()
def delivery_of_wopd_item_requires_wopd_and_face_to_face(
    lines: Sequence[OrderLine],
    wopd_signed_on: date | None,
    face_to_face_on: date | None,
    delivered_on: date,
) -> str | None:
    codes = [line.hcpcs for line in lines if item(line.hcpcs).wopd_required]
    if not codes:
        return None
    listed = ", ".join(codes)
    if wopd_signed_on is None or wopd_signed_on > delivered_on:
        return f"{listed} need a written order signed on or before delivery"
    if face_to_face_on is None or face_to_face_on > delivered_on:
        return f"{listed} need a face-to-face encounter on or before delivery"
    return None


@rule()
def proof_of_delivery_is_signed_on_delivery_date(
    pod: ProofOfDelivery, delivered_on: date
) -> str | None:
    if pod.signed_on != delivered_on:
        return f"the POD is signed on {pod.signed_on}; the delivery date is {delivered_on}"
    return None


@rule()
def supplier_may_not_sign_proof_of_delivery(pod: ProofOfDelivery) -> str | None:
    return "the supplier may not sign the proof of delivery" if pod.supplier_signed else None


@rule()
def designee_signature_states_relationship(pod: ProofOfDelivery) -> str | None:
    stated = bool(pod.designee_relationship and pod.designee_relationship.strip())
    if pod.relationship is SignerRelationship.DESIGNEE and not stated:
        return "a designee who signs states their relationship to the patient"
    if pod.relationship is SignerRelationship.PATIENT and pod.designee_relationship is not None:
        return "the patient signed: there is no designee relationship"
    return None


@rule()
def serial_numbers_only_for_serialized_lines(
    pod: ProofOfDelivery, lines: Sequence[OrderLine]
) -> str | None:
    serialized = {line.line_id for line in lines if item(line.hcpcs).serialized}
    strays = {s.line_id for s in pod.serial_numbers} - serialized
    if strays:
        listed = ", ".join(sorted(map(str, strays)))
        return f"serial numbers given for lines without serialized items: {listed}"
    return None


@rule()
def serialized_lines_record_one_serial_per_unit(
    pod: ProofOfDelivery, lines: Sequence[OrderLine]
) -> str | None:
    for line in lines:
        if item(line.hcpcs).serialized:
            count = len(pod.serials_for(line.line_id))
            if count != line.quantity:
                return f"{line.hcpcs} line needs {line.quantity} serial number(s), got {count}"
    return None


@rule()
def serial_numbers_are_distinct(pod: ProofOfDelivery) -> str | None:
    serials = [s.serial.strip() for s in pod.serial_numbers]
    return None if len(set(serials)) == len(serials) else "a serial number is given twice"


# Rental months -----------------------------------------------------------------------------


@rule()
def rental_month_numbers_only_go_up(opened: Sequence[RentalMonth], month_number: int) -> str | None:
    last = opened[-1].month_number if opened else 0
    if month_number != last + 1:
        return f"after month {last} the next rental month is {last + 1}, not {month_number}"
    return None


@rule()
def rental_month_is_within_the_cap(cap: int | None, month_number: int) -> str | None:
    if cap is None or month_number > cap:
        return f"rental month {month_number} is beyond the cap of {cap} paid months"
    return None


# ---------------------------------------------------------------------------------------------
# The aggregate
# ---------------------------------------------------------------------------------------------


def _a(value: object, expected: type | tuple[type, ...], what: str) -> Any:
    command_values_have_the_right_types(value, expected, what)
    return value


class Order(AriesAggregate):
    """An order: decide in the public methods, apply in the `@event` methods (replayed).

    Create with `Order.intake(...)`; never call `Order(...)` directly (it skips the rules).
    """

    # -- intake ---------------------------------------------------------------------------

    @classmethod
    def intake(
        cls,
        *,
        patient_id: UUID,
        practitioner: OrderingPractitioner,
        diagnoses: Sequence[str],
        order_date: date,
        lines: Sequence[OrderLine],
        order_id: UUID | None = None,
    ) -> Order:
        """A new order (event `Placed`). `order_id` defaults to a new uuid4."""
        _a(patient_id, UUID, "patient_id")
        if order_id is not None:
            _a(order_id, UUID, "order_id")
        _a(practitioner, OrderingPractitioner, "practitioner")
        practitioner = OrderingPractitioner(
            name=present_text(practitioner.name, "the ordering practitioner's name"),
            npi=valid_npi(_a(practitioner.npi, str, "npi")),
        )
        if isinstance(diagnoses, str):
            _a(diagnoses, list, "diagnoses")
        codes = [billable_diagnosis(_a(code, str, "diagnosis")) for code in diagnoses]
        order_has_one_to_twelve_diagnoses(codes)
        diagnoses_are_not_repeated(codes)
        calendar_date(order_date, "order_date")
        lines = list(lines)
        order_has_at_least_one_line(lines)
        checked = tuple(cls._checked_line(line) for line in lines)
        line_ids_are_unique(checked)
        return cls._create(
            cls.Placed,  # type: ignore[attr-defined]
            id=order_id,
            patient_id=patient_id,
            practitioner=practitioner,
            diagnoses=tuple(codes),
            order_date=order_date,
            lines=checked,
        )

    @staticmethod
    def _checked_line(line: OrderLine) -> OrderLine:
        _a(line, OrderLine, "line")
        _a(line.line_id, UUID, "line_id")
        catalogued = item(_a(line.hcpcs, str, "hcpcs"))
        line_quantity_is_at_least_one(line.quantity)
        _a(line.billing, LineBilling, "billing")
        rental_requires_a_rentable_item(catalogued, line.billing)
        capped_rental_items_are_rented(catalogued, line.billing)
        oxygen_equipment_is_rented(catalogued, line.billing)
        supplies_are_purchased_new(catalogued, line.billing)
        oxygen_line_states_flow_rate(catalogued, line)
        flow_rate_only_on_oxygen_lines(catalogued, line)
        flow = line.oxygen_flow_lpm
        if flow is not None:
            oxygen_flow_is_a_positive_decimal(flow)
            flow = Decimal(flow)
        return dataclasses.replace(line, hcpcs=catalogued.code, oxygen_flow_lpm=flow)

    @event("Placed")
    def __init__(
        self,
        patient_id: UUID,
        practitioner: OrderingPractitioner,
        diagnoses: tuple[str, ...],
        order_date: date,
        lines: tuple[OrderLine, ...],
    ) -> None:
        self._patient_id = patient_id
        self._practitioner = practitioner
        self._diagnoses = tuple(diagnoses)
        self._order_date = order_date
        self._lines = tuple(lines)
        self._stage = OrderStatus.INTAKE
        self._hold: Hold | None = None
        self._coverage: CoverageVerification | None = None
        self._swo_signed_on: date | None = None
        self._swo_npi: str | None = None
        self._wopd_signed_on: date | None = None
        self._face_to_face_on: date | None = None
        self._abn_signed_on: date | None = None
        self._prior_authorizations: dict[UUID, PriorAuthorizationDecision] = {}
        self._delivered_on: date | None = None
        self._pod: ProofOfDelivery | None = None
        self._picked_up_on: date | None = None
        self._pickup_reason: str | None = None
        self._cancelled_on: date | None = None
        self._cancellation_reason: str | None = None
        self._adherence: dict[UUID, tuple[AdherenceEvaluation, ...]] = {}
        self._rental_months: dict[UUID, tuple[RentalMonth, ...]] = {
            line.line_id: () for line in self._lines if line.billing is LineBilling.RENTAL
        }

    # -- coverage ---------------------------------------------------------------------------

    def verify_coverage(
        self,
        coverage_id: UUID,
        payer_id: str,
        verified_on: date,
        eligible: bool,
        same_or_similar_found: bool,
    ) -> None:
        """Record an eligibility (270/271) and same-or-similar check; the latest one counts."""
        cancelled_order_accepts_no_changes(self._stage)
        _a(coverage_id, UUID, "coverage_id")
        payer = present_text(payer_id, "payer_id")
        calendar_date(verified_on, "verified_on")
        _a(eligible, bool, "eligible")
        _a(same_or_similar_found, bool, "same_or_similar_found")
        self._coverage_verified(coverage_id, payer, verified_on, eligible, same_or_similar_found)

    @event("CoverageVerified")
    def _coverage_verified(
        self,
        coverage_id: UUID,
        payer_id: str,
        verified_on: date,
        eligible: bool,
        same_or_similar_found: bool,
    ) -> None:
        self._coverage = CoverageVerification(
            coverage_id, payer_id, verified_on, eligible, same_or_similar_found
        )

    # -- documents --------------------------------------------------------------------------

    def record_swo(self, signed_on: date, practitioner_npi: str) -> None:
        """The Standard Written Order is on file (needed before any claim)."""
        cancelled_order_accepts_no_changes(self._stage)
        calendar_date(signed_on, "signed_on")
        npi = valid_npi(_a(practitioner_npi, str, "practitioner_npi"))
        swo_names_the_ordering_practitioner(self.ordering_npi, npi)
        swo_is_not_signed_before_the_order_date(self._order_date, signed_on)
        self._swo_recorded(signed_on, npi)

    @event("SwoRecorded")
    def _swo_recorded(self, signed_on: date, practitioner_npi: str) -> None:
        self._swo_signed_on = signed_on
        self._swo_npi = practitioner_npi

    def record_wopd(self, signed_on: date) -> None:
        """The Written Order Prior to Delivery is on file (required-list items)."""
        cancelled_order_accepts_no_changes(self._stage)
        calendar_date(signed_on, "signed_on")
        self._wopd_recorded(signed_on)

    @event("WopdRecorded")
    def _wopd_recorded(self, signed_on: date) -> None:
        self._wopd_signed_on = signed_on

    def record_face_to_face(self, encounter_on: date) -> None:
        """The face-to-face encounter for a required-list item is documented."""
        cancelled_order_accepts_no_changes(self._stage)
        calendar_date(encounter_on, "encounter_on")
        self._face_to_face_recorded(encounter_on)

    @event("FaceToFaceRecorded")
    def _face_to_face_recorded(self, encounter_on: date) -> None:
        self._face_to_face_on = encounter_on

    def record_abn(self, signed_on: date) -> None:
        """An Advance Beneficiary Notice is on file (GA rather than GZ when not covered)."""
        cancelled_order_accepts_no_changes(self._stage)
        calendar_date(signed_on, "signed_on")
        self._abn_recorded(signed_on)

    @event("AbnRecorded")
    def _abn_recorded(self, signed_on: date) -> None:
        self._abn_signed_on = signed_on

    # -- prior authorization ---------------------------------------------------------------

    def _prior_auth_lines(self, line_ids: Sequence[UUID] | None) -> tuple[OrderLine, ...]:
        if line_ids is None:
            return tuple(ln for ln in self._lines if item(ln.hcpcs).prior_auth_required)
        if isinstance(line_ids, (str, UUID)):
            _a(line_ids, list, "line_ids")
        for line_id in line_ids:
            line_is_on_the_order(_a(line_id, UUID, "line_id"), self._lines)
        return tuple(self.line(line_id) for line_id in dict.fromkeys(line_ids))

    def _check_decision(self, lines: Sequence[OrderLine], decided_on: date) -> None:
        prior_authorization_applies_to_prior_auth_lines(lines)
        for line in lines:
            prior_authorization_decisions_are_recorded_in_date_order(
                self._prior_authorizations.get(line.line_id), decided_on
            )

    def affirm_prior_authorization(
        self,
        utn: str,
        decided_on: date,
        valid_until: date | None = None,
        line_ids: Sequence[UUID] | None = None,
    ) -> None:
        """An affirmed decision with its UTN, for `line_ids` (default: every line that needs
        prior authorization). `valid_until` defaults to `decided_on` plus the catalogue's
        `prior_auth_valid_days` (the shortest among the lines)."""
        cancelled_order_accepts_no_changes(self._stage)
        number = present_text(utn, "utn").upper()
        utn_is_well_formed(number)
        calendar_date(decided_on, "decided_on")
        lines = self._prior_auth_lines(line_ids)
        self._check_decision(lines, decided_on)
        if valid_until is None:
            days = [item(line.hcpcs).prior_auth_valid_days for line in lines]
            if all(d is not None for d in days):
                valid_until = decided_on + timedelta(days=min(d for d in days if d is not None))
        prior_authorization_states_its_validity(valid_until)
        assert valid_until is not None
        calendar_date(valid_until, "valid_until")
        prior_authorization_is_valid_from_its_decision(decided_on, valid_until)
        self._prior_authorization_affirmed(
            tuple(line.line_id for line in lines), number, decided_on, valid_until
        )

    @event("PriorAuthorizationAffirmed")
    def _prior_authorization_affirmed(
        self, line_ids: tuple[UUID, ...], utn: str, decided_on: date, valid_until: date
    ) -> None:
        decision = PriorAuthorizationDecision(True, decided_on, utn=utn, valid_until=valid_until)
        for line_id in line_ids:
            self._prior_authorizations[line_id] = decision

    def non_affirm_prior_authorization(
        self, decided_on: date, reason: str, line_ids: Sequence[UUID] | None = None
    ) -> None:
        """A non-affirmed decision for `line_ids` (default: every prior-auth line). It replaces
        an earlier affirmation; a later affirmation (resubmission) replaces it in turn."""
        cancelled_order_accepts_no_changes(self._stage)
        calendar_date(decided_on, "decided_on")
        why = present_text(reason, "the non-affirmation reason")
        lines = self._prior_auth_lines(line_ids)
        self._check_decision(lines, decided_on)
        self._prior_authorization_non_affirmed(
            tuple(line.line_id for line in lines), decided_on, why
        )

    @event("PriorAuthorizationNonAffirmed")
    def _prior_authorization_non_affirmed(
        self, line_ids: tuple[UUID, ...], decided_on: date, reason: str
    ) -> None:
        decision = PriorAuthorizationDecision(False, decided_on, reason=reason)
        for line_id in line_ids:
            self._prior_authorizations[line_id] = decision

    # -- delivery ---------------------------------------------------------------------------

    def _delivery_checks(self, on: date) -> list[Callable[[], None]]:
        return [
            lambda: cancelled_order_accepts_no_changes(self._stage),
            lambda: order_is_delivered_only_once(self._stage),
            lambda: order_on_hold_cannot_be_delivered(self._hold),
            lambda: delivery_is_not_before_order_date(self._order_date, on),
            lambda: delivery_requires_verified_eligible_coverage(self._coverage, on),
            lambda: same_or_similar_equipment_blocks_delivery(self._coverage),
            lambda: delivery_requires_unexpired_prior_authorization(
                self._lines, self._prior_authorizations, on
            ),
            lambda: delivery_of_wopd_item_requires_wopd_and_face_to_face(
                self._lines, self._wopd_signed_on, self._face_to_face_on, on
            ),
        ]

    def delivery_blockers(self, on: date) -> tuple[str, ...]:
        """The rules that would refuse a delivery on `on` (proof of delivery aside)."""
        calendar_date(on, "on")
        blockers = []
        for check in self._delivery_checks(on):
            try:
                check()
            except RuleViolated as refused:
                blockers.append(refused.rule)
        return tuple(blockers)

    def ready_for_delivery(self, on: date) -> bool:
        return not self.delivery_blockers(on)

    def deliver(self, delivered_on: date, pod: ProofOfDelivery) -> None:
        """Delivered with proof of delivery; `delivered_on` is the date of service."""
        calendar_date(delivered_on, "delivered_on")
        for check in self._delivery_checks(delivered_on):
            check()
        self._delivered(delivered_on, self._checked_pod(delivered_on, pod))

    def _checked_pod(self, delivered_on: date, pod: ProofOfDelivery) -> ProofOfDelivery:
        _a(pod, ProofOfDelivery, "pod")
        signer = present_text(pod.signer_name, "the signer's printed name")
        _a(pod.relationship, SignerRelationship, "relationship")
        calendar_date(pod.signed_on, "signed_on")
        _a(pod.supplier_signed, bool, "supplier_signed")
        relationship = pod.designee_relationship
        if relationship is not None:
            relationship = _a(relationship, str, "designee_relationship").strip() or None
        _a(pod.serial_numbers, (tuple, list), "serial_numbers")
        serials = []
        for serial in pod.serial_numbers:
            _a(serial, LineSerial, "serial number")
            _a(serial.line_id, UUID, "serial line_id")
            serial_number = present_text(serial.serial, "a serial number")
            serials.append(LineSerial(serial.line_id, serial_number))
        pod = dataclasses.replace(
            pod,
            signer_name=signer,
            designee_relationship=relationship,
            serial_numbers=tuple(serials),
        )
        supplier_may_not_sign_proof_of_delivery(pod)
        designee_signature_states_relationship(pod)
        proof_of_delivery_is_signed_on_delivery_date(pod, delivered_on)
        serial_numbers_only_for_serialized_lines(pod, self._lines)
        serialized_lines_record_one_serial_per_unit(pod, self._lines)
        serial_numbers_are_distinct(pod)
        return pod

    @event("Delivered")
    def _delivered(self, delivered_on: date, pod: ProofOfDelivery) -> None:
        self._stage = OrderStatus.DELIVERED
        self._delivered_on = delivered_on
        self._pod = pod

    # -- hold -------------------------------------------------------------------------------

    def hold(self, reason: str, on: date) -> None:
        """Put on hold: blocks delivery and defers rental billing until released."""
        cancelled_order_accepts_no_changes(self._stage)
        picked_up_order_cannot_be_put_on_hold(self._stage)
        order_is_not_already_on_hold(self._hold)
        why = present_text(reason, "the hold reason")
        calendar_date(on, "on")
        self._put_on_hold(why, on)

    @event("PutOnHold")
    def _put_on_hold(self, reason: str, on: date) -> None:
        self._hold = Hold(reason, on)

    def release(self, on: date) -> None:
        cancelled_order_accepts_no_changes(self._stage)
        only_an_order_on_hold_can_be_released(self._hold)
        assert self._hold is not None
        calendar_date(on, "on")
        release_is_not_before_hold(self._hold, on)
        self._released(on)

    @event("Released")
    def _released(self, on: date) -> None:
        self._hold = None

    # -- pickup and cancellation -------------------------------------------------------------

    def pick_up(self, picked_up_on: date, reason: str) -> None:
        """The equipment came back: rental months starting on or after this date are never
        opened."""
        cancelled_order_accepts_no_changes(self._stage)
        order_is_picked_up_only_once(self._stage)
        pickup_requires_delivery(self._stage)
        assert self._delivered_on is not None
        calendar_date(picked_up_on, "picked_up_on")
        pickup_is_not_before_delivery(self._delivered_on, picked_up_on)
        pickup_follows_every_opened_rental_month(
            (m for months in self._rental_months.values() for m in months), picked_up_on
        )
        why = present_text(reason, "the pickup reason")
        self._picked_up(picked_up_on, why)

    @event("PickedUp")
    def _picked_up(self, picked_up_on: date, reason: str) -> None:
        self._stage = OrderStatus.PICKED_UP
        self._picked_up_on = picked_up_on
        self._pickup_reason = reason

    def cancel(self, reason: str, on: date) -> None:
        """Cancelled before delivery (after delivery, record a pickup)."""
        cancelled_order_accepts_no_changes(self._stage)
        delivered_order_is_picked_up_not_cancelled(self._stage)
        why = present_text(reason, "the cancellation reason")
        calendar_date(on, "on")
        self._cancelled(why, on)

    @event("Cancelled")
    def _cancelled(self, reason: str, on: date) -> None:
        self._stage = OrderStatus.CANCELLED
        self._cancelled_on = on
        self._cancellation_reason = reason
        self._hold = None

    # -- CPAP adherence ---------------------------------------------------------------------

    def record_adherence(self, line_id: UUID, evaluated_on: date, compliant: bool) -> None:
        """A PAP adherence evaluation (>= 4 h/night on 70% of nights in 30 days): KX if met."""
        cancelled_order_accepts_no_changes(self._stage)
        line_is_on_the_order(_a(line_id, UUID, "line_id"), self._lines)
        adherence_applies_to_pap_devices(self.line(line_id).hcpcs)
        calendar_date(evaluated_on, "evaluated_on")
        _a(compliant, bool, "compliant")
        adherence_is_evaluated_after_delivery(self._delivered_on, evaluated_on)
        self._adherence_recorded(line_id, evaluated_on, compliant)

    @event("AdherenceRecorded")
    def _adherence_recorded(self, line_id: UUID, evaluated_on: date, compliant: bool) -> None:
        evaluation = AdherenceEvaluation(evaluated_on, compliant)
        self._adherence[line_id] = (*self._adherence.get(line_id, ()), evaluation)

    # -- rental months ----------------------------------------------------------------------

    def due_rental_months(self, as_of: date) -> list[RentalMonth]:
        """The rental months due by `as_of` and not yet opened (pure query; records nothing).

        Month n of a rental line starts n-1 calendar months after delivery and is due on its
        first day. None before delivery, none while on hold (they come due after release),
        none beyond the item's `rental_cap_months`, none starting on or after pickup.
        """
        calendar_date(as_of, "as_of")
        delivered_on = self._delivered_on
        if delivered_on is None or self._hold is not None:
            return []
        due = []
        for line in self._lines:
            if line.billing is not LineBilling.RENTAL:
                continue
            cap = item(line.hcpcs).rental_cap_months
            opened = self._rental_months.get(line.line_id, ())
            number = opened[-1].month_number + 1 if opened else 1
            while cap is not None and number <= cap:
                start, end = rental_month_dates(delivered_on, number)
                picked_up = self._picked_up_on is not None and start >= self._picked_up_on
                if start > as_of or picked_up:
                    break
                due.append(RentalMonth(line.line_id, number, start, end))
                number += 1
        return due

    def open_due_rental_months(self, as_of: date) -> list[RentalMonth]:
        """Record `RentalMonthOpened` for every month `due_rental_months(as_of)` lists and
        return them. Idempotent: a second call with the same `as_of` opens nothing."""
        due = self.due_rental_months(as_of)
        opened = {line_id: list(months) for line_id, months in self._rental_months.items()}
        for month in due:
            line = self.line(month.line_id)
            rental_month_numbers_only_go_up(opened[month.line_id], month.month_number)
            rental_month_is_within_the_cap(item(line.hcpcs).rental_cap_months, month.month_number)
            opened[month.line_id].append(month)
        for month in due:
            self._rental_month_opened(
                month.line_id, month.month_number, month.from_date, month.to_date
            )
        return due

    @event("RentalMonthOpened")
    def _rental_month_opened(
        self, line_id: UUID, month_number: int, from_date: date, to_date: date
    ) -> None:
        month = RentalMonth(line_id, month_number, from_date, to_date)
        self._rental_months[line_id] = (*self._rental_months.get(line_id, ()), month)

    # -- queries ----------------------------------------------------------------------------

    @property
    def patient_id(self) -> UUID:
        return self._patient_id

    @property
    def practitioner(self) -> OrderingPractitioner:
        return self._practitioner

    @property
    def ordering_npi(self) -> str:
        return self._practitioner.npi

    @property
    def diagnoses(self) -> tuple[str, ...]:
        """Normalised ICD-10-CM codes in the order given (claim diagnosis pointers follow it)."""
        return self._diagnoses

    @property
    def order_date(self) -> date:
        return self._order_date

    @property
    def lines(self) -> tuple[OrderLine, ...]:
        return self._lines

    def line(self, line_id: UUID) -> OrderLine:
        line_is_on_the_order(line_id, self._lines)
        return next(line for line in self._lines if line.line_id == line_id)

    @property
    def status(self) -> OrderStatus:
        """ON_HOLD while held (before delivery or during the rental), else the stage."""
        if self._hold is not None and self._stage in (OrderStatus.INTAKE, OrderStatus.DELIVERED):
            return OrderStatus.ON_HOLD
        return self._stage

    @property
    def on_hold(self) -> bool:
        return self._hold is not None

    @property
    def hold_reason(self) -> str | None:
        return self._hold.reason if self._hold else None

    @property
    def coverage(self) -> CoverageVerification | None:
        """The latest coverage verification (payer, eligibility, same-or-similar)."""
        return self._coverage

    @property
    def payer_id(self) -> str | None:
        return self._coverage.payer_id if self._coverage else None

    @property
    def swo_on_file(self) -> bool:
        return self._swo_signed_on is not None

    @property
    def swo_signed_on(self) -> date | None:
        return self._swo_signed_on

    @property
    def wopd_signed_on(self) -> date | None:
        return self._wopd_signed_on

    @property
    def face_to_face_on(self) -> date | None:
        return self._face_to_face_on

    @property
    def abn_on_file(self) -> bool:
        return self._abn_signed_on is not None

    @property
    def abn_signed_on(self) -> date | None:
        return self._abn_signed_on

    def prior_authorization(self, line_id: UUID) -> PriorAuthorizationDecision | None:
        """The latest prior authorization decision for the line, if any."""
        return self._prior_authorizations.get(line_id)

    @property
    def prior_authorizations(self) -> dict[UUID, PriorAuthorizationDecision]:
        """The latest decision per line id (lines never decided are absent)."""
        return dict(self._prior_authorizations)

    def utn(self, line_id: UUID) -> str | None:
        """The line's UTN if its latest decision is an affirmation (expiry: `utn_valid_until`)."""
        decision = self._prior_authorizations.get(line_id)
        return decision.utn if decision and decision.affirmed else None

    def utn_valid_until(self, line_id: UUID) -> date | None:
        decision = self._prior_authorizations.get(line_id)
        return decision.valid_until if decision and decision.affirmed else None

    @property
    def delivered_on(self) -> date | None:
        """The date of service (None until delivered)."""
        return self._delivered_on

    @property
    def pod(self) -> ProofOfDelivery | None:
        return self._pod

    @property
    def picked_up_on(self) -> date | None:
        return self._picked_up_on

    @property
    def cancelled_on(self) -> date | None:
        return self._cancelled_on

    def adherence(self, line_id: UUID) -> tuple[AdherenceEvaluation, ...]:
        """Adherence evaluations of a PAP line, in the order recorded."""
        return self._adherence.get(line_id, ())

    def adherence_met(self, line_id: UUID) -> bool | None:
        """The most recent evaluation's verdict (latest `evaluated_on`), or None if none."""
        evaluations = self._adherence.get(line_id, ())
        if not evaluations:
            return None
        return max(enumerate(evaluations), key=lambda e: (e[1].evaluated_on, e[0]))[1].compliant

    def rental_months(self, line_id: UUID) -> tuple[RentalMonth, ...]:
        """The months opened for a rental line, month 1 first."""
        return self._rental_months.get(line_id, ())

    @property
    def rental_months_by_line(self) -> dict[UUID, tuple[RentalMonth, ...]]:
        return dict(self._rental_months)

    def billable_purchases(self) -> tuple[OrderLine, ...]:
        """Purchase lines to bill once, dated `delivered_on`: empty before delivery and while on
        hold. The claim process manager keeps a bill-once key per (order, line)."""
        if self._delivered_on is None or self._hold is not None:
            return ()
        return tuple(line for line in self._lines if line.billing is not LineBilling.RENTAL)


pin_topics(Order, "aries.order")

AGGREGATES: tuple[type, ...] = (Order,)
VALUE_TYPES: tuple[type, ...] = (
    LineBilling,
    SignerRelationship,
    OrderingPractitioner,
    OrderLine,
    LineSerial,
    ProofOfDelivery,
)

__all__ = [
    "ADHERENCE_CODES",
    "AGGREGATES",
    "VALUE_TYPES",
    "AdherenceEvaluation",
    "CoverageVerification",
    "Hold",
    "LineBilling",
    "LineSerial",
    "Order",
    "OrderLine",
    "OrderStatus",
    "OrderingPractitioner",
    "PriorAuthorizationDecision",
    "ProofOfDelivery",
    "RentalMonth",
    "SignerRelationship",
    "rental_month_dates",
]
