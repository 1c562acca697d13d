"""The Order aggregate: one patient's order for equipment, from intake to pickup.

Its values are in `domain.order_values`, its rules in `domain.order_rules` and, for delivery,
`domain.order_delivery`.

Lifecycle (DOMAIN.md, "Order lifecycle"): `Order.intake` -> coverage verification, documents
(SWO, WOPD, face-to-face, ABN) and prior authorization decisions -> `deliver` (with proof of
delivery; the delivery date is the date of service) -> monthly rental months opened by
`open_due_rental_months` -> `pick_up`. An order may be put on hold and released, and cancelled
before delivery.

Choices a reader may question:
- Ids: the caller gives the order id and every `OrderLine.line_id`; events never make one.
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
- A picked-up order still accepts documents (SWO, coverage, prior authorization, adherence,
  ABN): billing for the months it was rented may need them. A cancelled order accepts nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from uuid import UUID

from eventsourcing.domain import event

from domain import order_delivery as delivery
from domain import order_rules as rules
from domain.base import AriesAggregate, pin_topics
from domain.npi import valid_npi
from domain.order_values import (
    AdherenceEvaluation,
    CoverageVerification,
    Hold,
    LineBilling,
    LineSerial,
    OrderingPractitioner,
    OrderLine,
    OrderStatus,
    PriorAuthorizationDecision,
    ProofOfDelivery,
    RentalMonth,
    SignerRelationship,
    latest_verdict,
    rental_months_due,
)
from domain.pricing import AbnDecision, abn_decision
from domain.rules import calendar_date, present_text, refusing_rules


class Order(AriesAggregate):
    """An order: decide in the public methods, apply in the `@event` methods (replayed).

    Create with `Order.intake(...)`; never call `Order(...)` directly (it skips the rules).
    """

    # -- intake ---------------------------------------------------------------------------

    class Placed(AriesAggregate.Created):
        """The order was placed.

        Version 2 (current) adds `location_id: UUID | None`, the branch the order is billed
        from (`domain.location`). Version 1 had none: `upcast_v1_v2` gives it None, which
        claims read as the tenant's first location (decision 017).
        """

        class_version = 2

        patient_id: UUID
        practitioner: OrderingPractitioner
        diagnoses: tuple[str, ...]
        order_date: date
        lines: tuple[OrderLine, ...]
        location_id: UUID | None

        @staticmethod
        def upcast_v1_v2(state: dict) -> dict:
            state["location_id"] = None
            return state

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
        location_id: UUID | None = None,
    ) -> Order:
        """A new order (event `Placed`), billed from `location_id` (None: the tenant's first
        location, decision 017). `order_id` defaults to a new uuid4."""
        rules.typed(patient_id, UUID, "patient_id")
        if order_id is not None:
            rules.typed(order_id, UUID, "order_id")
        practitioner = rules.checked_practitioner(practitioner)
        codes = rules.checked_diagnoses(diagnoses)
        return cls._create(
            cls.Placed,  # type: ignore[attr-defined]
            id=order_id,
            patient_id=patient_id,
            practitioner=practitioner,
            diagnoses=codes,
            order_date=calendar_date(order_date, "order_date"),
            lines=rules.checked_lines(lines),
            location_id=location_id,
        )

    @event(Placed)
    def __init__(
        self,
        patient_id: UUID,
        practitioner: OrderingPractitioner,
        diagnoses: tuple[str, ...],
        order_date: date,
        lines: tuple[OrderLine, ...],
        location_id: UUID | None = None,
    ) -> None:
        self.location_id = location_id
        self.patient_id = patient_id
        self.practitioner = practitioner
        self.diagnoses = tuple(diagnoses)  # in the order given: claim pointers follow it
        self.order_date = order_date
        self.lines = tuple(lines)
        self._stage = OrderStatus.INTAKE
        self._hold: Hold | None = None
        self.coverage: CoverageVerification | None = None  # the latest verification
        self.swo_signed_on: date | None = None
        self._swo_npi: str | None = None
        self.wopd_signed_on: date | None = None
        self.face_to_face_on: date | None = None
        self.abn_signed_on: date | None = None
        self.abn_decision: AbnDecision | None = None
        self._prior_authorizations: dict[UUID, PriorAuthorizationDecision] = {}
        self.delivered_on: date | None = None  # the date of service
        self.pod: ProofOfDelivery | None = None
        self.picked_up_on: date | None = None
        self._pickup_reason: str | None = None
        self.cancelled_on: date | None = None
        self._cancellation_reason: str | None = None
        self._adherence: dict[UUID, tuple[AdherenceEvaluation, ...]] = {}
        self._rental_months: dict[UUID, tuple[RentalMonth, ...]] = {
            line.line_id: () for line in self.lines if line.billing is LineBilling.RENTAL
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
        rules.cancelled_order_accepts_no_changes(self._stage)
        rules.typed(coverage_id, UUID, "coverage_id")
        payer = present_text(payer_id, "payer_id")
        calendar_date(verified_on, "verified_on")
        rules.typed(eligible, bool, "eligible")
        rules.typed(same_or_similar_found, bool, "same_or_similar_found")
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
        self.coverage = CoverageVerification(
            coverage_id, payer_id, verified_on, eligible, same_or_similar_found
        )

    # -- documents --------------------------------------------------------------------------

    def record_swo(self, signed_on: date, practitioner_npi: str) -> None:
        """The Standard Written Order is on file (needed before any claim)."""
        signed_on = self._document_date(signed_on, "signed_on")
        npi = valid_npi(rules.typed(practitioner_npi, str, "practitioner_npi"))
        rules.swo_names_the_ordering_practitioner(self.ordering_npi, npi)
        rules.swo_is_not_signed_before_the_order_date(self.order_date, signed_on)
        self._swo_recorded(signed_on, npi)

    @event("SwoRecorded")
    def _swo_recorded(self, signed_on: date, practitioner_npi: str) -> None:
        self.swo_signed_on = signed_on
        self._swo_npi = practitioner_npi

    def _document_date(self, on: date, what: str) -> date:
        rules.cancelled_order_accepts_no_changes(self._stage)
        return calendar_date(on, what)

    def record_wopd(self, signed_on: date) -> None:
        """The Written Order Prior to Delivery is on file (required-list items)."""
        self._wopd_recorded(self._document_date(signed_on, "signed_on"))

    @event("WopdRecorded")
    def _wopd_recorded(self, signed_on: date) -> None:
        self.wopd_signed_on = signed_on

    def record_face_to_face(self, encounter_on: date) -> None:
        """The face-to-face encounter for a required-list item is documented."""
        self._face_to_face_recorded(self._document_date(encounter_on, "encounter_on"))

    @event("FaceToFaceRecorded")
    def _face_to_face_recorded(self, encounter_on: date) -> None:
        self.face_to_face_on = encounter_on

    def record_abn(self, signed_on: date, decision: AbnDecision | str = "signed") -> None:
        """What came of the Advance Beneficiary Notice on `signed_on`: signed or refused (GA
        when the item is not covered) or required but not obtained (GZ); see
        `domain.pricing.medical_necessity_modifier`."""
        checked = abn_decision(decision) or abn_decision("")  # None is refused too
        assert checked is not None
        self._abn_recorded(self._document_date(signed_on, "signed_on"), checked.value)

    @event("AbnRecorded")
    def _abn_recorded(self, signed_on: date, decision: str = "signed") -> None:
        # Recorded before decisions were: only signed ABNs were recorded.
        self.abn_signed_on = signed_on
        self.abn_decision = AbnDecision(decision)

    # -- prior authorization ---------------------------------------------------------------

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
        rules.cancelled_order_accepts_no_changes(self._stage)
        number = present_text(utn, "utn").upper()
        rules.utn_is_well_formed(number)
        calendar_date(decided_on, "decided_on")
        lines = rules.lines_to_decide(self.lines, line_ids, self._prior_authorizations, decided_on)
        valid_until = rules.prior_authorization_valid_until(lines, decided_on, valid_until)
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
        rules.cancelled_order_accepts_no_changes(self._stage)
        calendar_date(decided_on, "decided_on")
        why = present_text(reason, "the non-affirmation reason")
        lines = rules.lines_to_decide(self.lines, line_ids, self._prior_authorizations, decided_on)
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

    def _delivery_checks(self, on: date, today: date | None = None) -> list[Callable[[], None]]:
        return [
            lambda: delivery.delivery_is_not_in_the_future(on, today),
            lambda: rules.cancelled_order_accepts_no_changes(self._stage),
            lambda: delivery.order_is_delivered_only_once(self._stage),
            lambda: delivery.order_on_hold_cannot_be_delivered(self._hold),
            lambda: delivery.delivery_is_not_before_order_date(self.order_date, on),
            lambda: delivery.delivery_requires_verified_eligible_coverage(self.coverage, on),
            lambda: delivery.same_or_similar_equipment_blocks_delivery(self.coverage),
            lambda: delivery.delivery_requires_unexpired_prior_authorization(
                self.lines, self._prior_authorizations, on
            ),
            lambda: delivery.delivery_of_wopd_item_requires_wopd_and_face_to_face(
                self.lines, self.wopd_signed_on, self.face_to_face_on, on
            ),
            lambda: delivery.face_to_face_is_within_six_months_before_the_wopd(
                self.lines, self.wopd_signed_on, self.face_to_face_on
            ),
        ]

    def delivery_blockers(self, on: date) -> tuple[str, ...]:
        """The rules that would refuse a delivery on `on` (proof of delivery aside)."""
        return refusing_rules(self._delivery_checks(calendar_date(on, "on")))

    def ready_for_delivery(self, on: date) -> bool:
        return not self.delivery_blockers(on)

    def deliver(
        self, delivered_on: date, pod: ProofOfDelivery, *, today: date | None = None
    ) -> None:
        """Delivered with proof of delivery; `delivered_on` is the date of service, never
        after `today` (the supplier's date; the application always gives it)."""
        calendar_date(delivered_on, "delivered_on")
        if today is not None:
            calendar_date(today, "today")
        for check in self._delivery_checks(delivered_on, today):
            check()
        self._delivered(delivered_on, delivery.checked_pod(pod, delivered_on, self.lines))

    @event("Delivered")
    def _delivered(self, delivered_on: date, pod: ProofOfDelivery) -> None:
        self._stage = OrderStatus.DELIVERED
        self.delivered_on = delivered_on
        self.pod = pod

    # -- hold -------------------------------------------------------------------------------

    def hold(self, reason: str, on: date) -> None:
        """Put on hold: blocks delivery and defers rental billing until released."""
        rules.cancelled_order_accepts_no_changes(self._stage)
        rules.picked_up_order_cannot_be_put_on_hold(self._stage)
        rules.order_is_not_already_on_hold(self._hold)
        why = present_text(reason, "the hold reason")
        calendar_date(on, "on")
        self._put_on_hold(why, on)

    @event("PutOnHold")
    def _put_on_hold(self, reason: str, on: date) -> None:
        self._hold = Hold(reason, on)

    def release(self, on: date) -> None:
        rules.cancelled_order_accepts_no_changes(self._stage)
        rules.only_an_order_on_hold_can_be_released(self._hold)
        assert self._hold is not None
        calendar_date(on, "on")
        rules.release_is_not_before_hold(self._hold, on)
        self._released(on)

    @event("Released")
    def _released(self, on: date) -> None:
        self._hold = None

    # -- pickup and cancellation -------------------------------------------------------------

    def pick_up(self, picked_up_on: date, reason: str) -> None:
        """The equipment came back: rental months starting on or after this date are never
        opened."""
        rules.cancelled_order_accepts_no_changes(self._stage)
        rules.order_is_picked_up_only_once(self._stage)
        rules.pickup_requires_delivery(self._stage)
        assert self.delivered_on is not None
        calendar_date(picked_up_on, "picked_up_on")
        rules.pickup_is_not_before_delivery(self.delivered_on, picked_up_on)
        rules.pickup_follows_every_opened_rental_month(
            (m for months in self._rental_months.values() for m in months), picked_up_on
        )
        why = present_text(reason, "the pickup reason")
        self._picked_up(picked_up_on, why)

    @event("PickedUp")
    def _picked_up(self, picked_up_on: date, reason: str) -> None:
        self._stage = OrderStatus.PICKED_UP
        self.picked_up_on = picked_up_on
        self._pickup_reason = reason

    def cancel(self, reason: str, on: date) -> None:
        """Cancelled before delivery (after delivery, record a pickup)."""
        rules.cancelled_order_accepts_no_changes(self._stage)
        rules.delivered_order_is_picked_up_not_cancelled(self._stage)
        why = present_text(reason, "the cancellation reason")
        calendar_date(on, "on")
        self._cancelled(why, on)

    @event("Cancelled")
    def _cancelled(self, reason: str, on: date) -> None:
        self._stage = OrderStatus.CANCELLED
        self.cancelled_on = on
        self._cancellation_reason = reason
        self._hold = None

    # -- CPAP adherence ---------------------------------------------------------------------

    def record_adherence(self, line_id: UUID, evaluated_on: date, compliant: bool) -> None:
        """A PAP adherence evaluation (>= 4 h/night on 70% of nights in 30 days): KX if met."""
        rules.cancelled_order_accepts_no_changes(self._stage)
        rules.line_is_on_the_order(rules.typed(line_id, UUID, "line_id"), self.lines)
        rules.adherence_applies_to_pap_devices(self.line(line_id).hcpcs)
        calendar_date(evaluated_on, "evaluated_on")
        rules.typed(compliant, bool, "compliant")
        rules.adherence_is_evaluated_after_delivery(self.delivered_on, evaluated_on)
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
        if self.delivered_on is None or self._hold is not None:
            return []
        return rental_months_due(
            self.lines, self.delivered_on, self.picked_up_on, self._rental_months, as_of
        )

    def open_due_rental_months(self, as_of: date) -> list[RentalMonth]:
        """Record `RentalMonthOpened` for every month `due_rental_months(as_of)` lists and
        return them. Idempotent: a second call with the same `as_of` opens nothing."""
        due = self.due_rental_months(as_of)
        rules.check_months_to_open(self.lines, self._rental_months, due)
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
    def ordering_npi(self) -> str:
        return self.practitioner.npi

    def line(self, line_id: UUID) -> OrderLine:
        rules.line_is_on_the_order(line_id, self.lines)
        return next(line for line in self.lines if line.line_id == line_id)

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
    def payer_id(self) -> str | None:
        return self.coverage.payer_id if self.coverage else None

    @property
    def swo_on_file(self) -> bool:
        return self.swo_signed_on is not None

    @property
    def abn_on_file(self) -> bool:
        return self.abn_signed_on is not None

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

    def adherence(self, line_id: UUID) -> tuple[AdherenceEvaluation, ...]:
        """Adherence evaluations of a PAP line, in the order recorded."""
        return self._adherence.get(line_id, ())

    def adherence_met(self, line_id: UUID) -> bool | None:
        """The most recent evaluation's verdict (latest `evaluated_on`), or None if none."""
        return latest_verdict(self._adherence.get(line_id, ()))

    def rental_months(self, line_id: UUID) -> tuple[RentalMonth, ...]:
        """The months opened for a rental line, month 1 first."""
        return self._rental_months.get(line_id, ())

    @property
    def rental_months_by_line(self) -> dict[UUID, tuple[RentalMonth, ...]]:
        return dict(self._rental_months)

    def billable_purchases(self) -> tuple[OrderLine, ...]:
        """Purchase lines to bill once, dated `delivered_on`: empty before delivery and while on
        hold. The claim process manager keeps a bill-once key per (order, line)."""
        if self.delivered_on is None or self._hold is not None:
            return ()
        return tuple(line for line in self.lines if line.billing is not LineBilling.RENTAL)


pin_topics(Order, "aries.order")

AGGREGATES: tuple[type, ...] = (Order,)
# Every Enum and value object that appears in an event attribute (state-only ones are not).
VALUE_TYPES: tuple[type, ...] = (
    LineBilling, SignerRelationship, OrderingPractitioner, OrderLine, LineSerial, ProofOfDelivery
)
