"""The Order aggregate: one patient's order for equipment, from intake to pickup.

Its values are in `domain.order_values`, its rules in `domain.order_rules` and, for delivery,
`domain.order_delivery`; its queries in `domain.order_queries`; rental periods (stays,
redeliveries) in `domain.rental_periods`.

Lifecycle (DOMAIN.md, "Order lifecycle"): `Order.intake` -> coverage verification, documents
(SWO, WOPD, face-to-face, ABN) and prior authorization decisions -> `deliver` (with proof of
delivery; the delivery date is the date of service) -> monthly rental months opened by
`open_due_rental_months` -> `pick_up` (and `redeliver` when the item comes back). An order may
be put on hold and released, and cancelled before delivery; inpatient stays pause the rental.

Choices a reader may question:
- Ids: the caller gives the order id and every `OrderLine.line_id`; events never make one.
- `OrderStatus` is the stored lifecycle stage plus ON_HOLD. There is no READY status: whether an
  order can be delivered depends on the delivery date (a UTN expires), so it is a query,
  `delivery_blockers(on)` / `ready_for_delivery(on)`, not a recorded state.
- A hold defers rental billing, it does not shift it: while the order is on hold nothing is
  opened; after `release` the months that came due during the hold are opened with their usual
  anniversary dates. A hospital or SNF stay is a different fact: it moves the month to the
  discharge date (`record_admission`). A hold may outlive the pickup, so `release` is accepted
  after pickup.
- Purchase lines are billed once, dated at delivery: `billable_purchases()` lists them (empty
  before delivery and while on hold). The Order does not record what was billed; the claim
  process manager keys claims by (order id, line id[, month number]) so billing twice is
  impossible on its side.
- A picked-up order still accepts documents (SWO, coverage, prior authorization, adherence,
  ABN): billing for the months it was rented may need them. A cancelled order accepts nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from uuid import UUID

from eventsourcing.domain import event

from domain import order_delivery as delivery
from domain import order_rules as rules
from domain import rental_periods as periods
from domain.base import AriesAggregate, pin_topics
from domain.npi import valid_npi
from domain.order_queries import OrderQueries
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
)
from domain.pricing import AbnDecision, abn_decision
from domain.rental_periods import InpatientSetting, InstitutionalStay, Possession
from domain.rules import calendar_date, present_text


class Order(OrderQueries, AriesAggregate):
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
        self._possessions: tuple[Possession, ...] = ()  # each delivery until its pickup
        self._stays: tuple[InstitutionalStay, ...] = ()
        self._new_period_documents: tuple[periods.NewPeriodDocuments, ...] = ()

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

    def record_new_rental_period_documents(
        self, medical_necessity_on: date, statement_on: date
    ) -> None:
        """New medical necessity documentation and the statement of why the need ended, made
        after the latest pickup: with a new SWO, what a new rental period's months need."""
        documents = periods.checked_new_period_documents(
            self._possessions, self._document_date(medical_necessity_on, "medical_necessity_on"),
            statement_on,
        )
        self._new_period_documented(documents.medical_necessity_on, documents.statement_on)

    @event("NewRentalPeriodDocumented")
    def _new_period_documented(self, medical_necessity_on: date, statement_on: date) -> None:
        documents = periods.NewPeriodDocuments(medical_necessity_on, statement_on)
        self._new_period_documents = (*self._new_period_documents, documents)

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
        self._possessions = (Possession(delivered_on),)

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
        last = self._possessions[-1]
        self._possessions = (*self._possessions[:-1], Possession(last.delivered_on, picked_up_on))

    # -- interruptions: inpatient stays and redelivery (domain.rental_periods) -------------

    def record_admission(
        self, admitted_on: date, setting: InpatientSetting | str, *, today: date | None = None
    ) -> None:
        """The patient was admitted to a hospital or SNF: no rental month is paid while there
        (the count resumes at discharge). Refused if a month already opened starts during it."""
        rules.cancelled_order_accepts_no_changes(self._stage)
        where = periods.checked_admission(
            self._stage is OrderStatus.DELIVERED, self._possessions, self._stays,
            admitted_on, setting, today, self._opened_starts(),
        )
        self._admitted(admitted_on, where)

    @event("InstitutionalStayBegan")
    def _admitted(self, admitted_on: date, setting: InpatientSetting) -> None:
        self._stays = (*self._stays, InstitutionalStay(admitted_on, setting))

    def record_discharge(self, discharged_on: date, *, today: date | None = None) -> None:
        """The patient is home again: the paused rental month resumes on this date."""
        rules.cancelled_order_accepts_no_changes(self._stage)
        self._discharged(periods.checked_discharge(self._stays, discharged_on, today))

    @event("InstitutionalStayEnded")
    def _discharged(self, discharged_on: date) -> None:
        stay = self._stays[-1]
        self._stays = (
            *self._stays[:-1],
            InstitutionalStay(stay.admitted_on, stay.setting, discharged_on),
        )

    def redeliver(
        self, delivered_on: date, pod: ProofOfDelivery, *, today: date | None = None
    ) -> None:
        """The item is back in the home after a pickup: the count goes on, or, back more than
        60 days after the month in which use ceased, a new rental period starts (its months
        are billed once 42 CFR 414.230(d)'s documents are on file)."""
        rules.cancelled_order_accepts_no_changes(self._stage)
        periods.redelivery_follows_a_pickup(self._stage is OrderStatus.PICKED_UP)
        calendar_date(delivered_on, "delivered_on")
        delivery.delivery_is_not_in_the_future(delivered_on, today)
        delivery.order_on_hold_cannot_be_delivered(self._hold)
        assert self.picked_up_on is not None
        periods.redelivery_is_not_before_pickup(self.picked_up_on, delivered_on)
        self._redelivered(delivered_on, delivery.checked_pod(pod, delivered_on, self.lines))

    @event("Redelivered")
    def _redelivered(self, delivered_on: date, pod: ProofOfDelivery) -> None:
        self._stage = OrderStatus.DELIVERED
        self.picked_up_on = None
        self._pickup_reason = None
        self.pod = pod
        self._possessions = (*self._possessions, Possession(delivered_on))

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
        self._check_adherence(line_id, evaluated_on, compliant)
        self._adherence_recorded(line_id, evaluated_on, compliant)

    @event("AdherenceRecorded")
    def _adherence_recorded(self, line_id: UUID, evaluated_on: date, compliant: bool) -> None:
        evaluation = AdherenceEvaluation(evaluated_on, compliant)
        self._adherence[line_id] = (*self._adherence.get(line_id, ()), evaluation)

    # -- rental months ----------------------------------------------------------------------

    def open_due_rental_months(self, as_of: date) -> list[RentalMonth]:
        """Record `RentalMonthOpened` for every month `due_rental_months(as_of)` lists and
        return them. Idempotent: a second call with the same `as_of` opens nothing."""
        due = self.due_rental_months(as_of)
        rules.check_months_to_open(self.lines, self._rental_months, due)
        for month in due:
            self._rental_month_opened(
                month.line_id, month.month_number, month.from_date, month.to_date, month.period
            )
        return due

    @event("RentalMonthOpened")
    def _rental_month_opened(
        self, line_id: UUID, month_number: int, from_date: date, to_date: date, period: int = 1
    ) -> None:
        # Opened before rental periods were counted: every month was in period 1.
        month = RentalMonth(line_id, month_number, from_date, to_date, period)
        self._rental_months[line_id] = (*self._rental_months.get(line_id, ()), month)


pin_topics(Order, "aries.order")

AGGREGATES: tuple[type, ...] = (Order,)
# Every Enum and value object that appears in an event attribute (state-only ones are not).
VALUE_TYPES: tuple[type, ...] = (
    LineBilling,
    SignerRelationship,
    OrderingPractitioner,
    OrderLine,
    LineSerial,
    ProofOfDelivery,
    InpatientSetting,
)
