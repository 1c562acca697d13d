"""Order use cases: intake, coverage verification, documentation, prior authorization,
delivery, holds, rental billing months, pickup and cancellation."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING
from uuid import UUID, uuid4

from application.eventstore import CommandResult, retried_unless_conditional
from application.inventory import InventoryUseCases
from application.ports import Clock
from domain.errors import RuleViolated
from domain.order import Order
from domain.order_rules import billing_run_is_not_in_the_future
from domain.order_values import OrderingPractitioner, OrderLine, ProofOfDelivery, RentalMonth
from domain.rules import calendar_date

if TYPE_CHECKING:
    from application.patients import PatientApplication


class OrderApplication(InventoryUseCases):
    """Orders, and the stock they deliver from (the Orders family keeps both: decision 019)."""

    name = "Orders"
    aggregate_kind = "order"

    # Set by the composition root: orders check the patient and coverage they name, and the
    # location they are billed from (None: no setup application, as in unit tests).
    patients: PatientApplication

    def today_for(self, order: Order, clock: Clock | None = None) -> date:
        """The business date of `order`: today in its location's time zone (decision 017),
        by `clock` (default this application's)."""
        clock = clock or self.clock
        return clock.today() if self.setup is None else self.setup.today_for(order, clock)

    def get_order(self, order_id: UUID, version: int | None = None) -> Order:
        return self.load(order_id, Order, version)

    def place_order(
        self,
        *,
        patient_id: UUID,
        practitioner: OrderingPractitioner,
        diagnoses: Sequence[str],
        order_date: date,
        lines: Sequence[OrderLine],
        order_id: UUID | None = None,
        location_id: UUID | None = None,
    ) -> CommandResult:
        """Intake. The order is billed from `location_id` (an open location of the tenant:
        NotFound for another tenant's), by default the tenant's first open location, if it has
        any (decision 017)."""
        patient = self.patients.get_patient(patient_id)  # NotFound across tenants too
        if not patient.is_active:
            raise RuleViolated("order_requires_an_active_patient", "the patient is deactivated")
        if self.setup is not None:
            location_id = self.setup.billing_location(location_id)
        order = Order.intake(
            patient_id=patient_id,
            practitioner=practitioner,
            diagnoses=diagnoses,
            order_date=order_date,
            lines=lines,
            order_id=order_id or uuid4(),
            location_id=location_id,
        )
        return self.commit(order)

    def verify_coverage(
        self,
        order_id: UUID,
        *,
        coverage_id: UUID,
        verified_on: date,
        eligible: bool,
        same_or_similar_found: bool,
        expected_version: int | None = None,
    ) -> CommandResult:
        order = self.load(order_id, Order, expected_version=expected_version)
        patient = self.patients.get_patient(order.patient_id)
        coverage = patient.coverages.get(coverage_id)
        if coverage is None:
            raise RuleViolated(
                "coverage_belongs_to_the_patient", "the coverage is not one of the patient's"
            )
        if not coverage.is_active_on(verified_on):
            raise RuleViolated(
                "coverage_is_active_when_verified", "the coverage is not active on that date"
            )
        order.verify_coverage(
            coverage_id=coverage_id,
            payer_id=coverage.payer_id,
            verified_on=verified_on,
            eligible=eligible,
            same_or_similar_found=same_or_similar_found,
        )
        return self.commit(order)

    @retried_unless_conditional
    def record_documents(
        self,
        order_id: UUID,
        *,
        swo_signed_on: date | None = None,
        swo_practitioner_npi: str | None = None,
        wopd_signed_on: date | None = None,
        face_to_face_on: date | None = None,
        abn_signed_on: date | None = None,
        abn_decision: str = "signed",
        new_period_documents: tuple[date, date] | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        """Record whichever documents are given, atomically (all or none); the ABN with its
        decision (signed, refused, not_obtained); `new_period_documents` (medical necessity
        documentation, statement of why the need ended) for a new rental period."""
        order = self.load(order_id, Order, expected_version=expected_version)
        if swo_signed_on is not None:
            order.record_swo(swo_signed_on, swo_practitioner_npi or order.ordering_npi)
        if wopd_signed_on is not None:
            order.record_wopd(wopd_signed_on)
        if face_to_face_on is not None:
            order.record_face_to_face(face_to_face_on)
        if abn_signed_on is not None:
            order.record_abn(abn_signed_on, abn_decision)
        if new_period_documents is not None:
            order.record_new_rental_period_documents(*new_period_documents)
        if not order.pending_events:
            raise RuleViolated("documents_name_at_least_one", "no document was given")
        return self.commit(order)

    def decide_prior_authorization(
        self,
        order_id: UUID,
        *,
        affirmed: bool,
        decided_on: date,
        utn: str | None = None,
        valid_until: date | None = None,
        reason: str | None = None,
        line_ids: Sequence[UUID] | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        order = self.load(order_id, Order, expected_version=expected_version)
        if affirmed:
            if not utn:
                raise RuleViolated(
                    "affirmed_prior_authorization_has_a_utn", "an affirmation carries its UTN"
                )
            order.affirm_prior_authorization(utn, decided_on, valid_until, line_ids)
        else:
            order.non_affirm_prior_authorization(decided_on, reason or "", line_ids)
        return self.commit(order)

    def deliver(
        self,
        order_id: UUID,
        *,
        delivered_on: date,
        pod: ProofOfDelivery,
        expected_version: int | None = None,
    ) -> CommandResult:
        """Each serial on the proof of delivery must be in stock at the order's location, and
        leaves stock in the same transaction; so do the bulk lines' units
        (`bulk_out_for_delivery`: refused, 409, when the location has too few). (An order
        without a location, placed before the tenant set one up, delivers without stock.)"""
        order = self.load(order_id, Order, expected_version=expected_version)
        order.deliver(delivered_on, pod, today=self.today_for(order))
        # Month 1 of each rental comes due on the date of service: open it in the same commit,
        # so the delivery month's claim carries purchases and first rental months together.
        order.open_due_rental_months(delivered_on)
        location_id = order.location_id
        moved: list[object] = []
        if location_id is not None:
            moved = [*self.serials_out_for_delivery(order, location_id),
                     *self.bulk_out_for_delivery(order, location_id)]
        return self.commit(order, *moved)

    def hold(
        self, order_id: UUID, *, reason: str, on: date, expected_version: int | None = None
    ) -> CommandResult:
        order = self.load(order_id, Order, expected_version=expected_version)
        order.hold(reason, on)
        return self.commit(order)

    def release(
        self, order_id: UUID, *, on: date, expected_version: int | None = None
    ) -> CommandResult:
        order = self.load(order_id, Order, expected_version=expected_version)
        order.release(on)
        return self.commit(order)

    def record_adherence(
        self,
        order_id: UUID,
        *,
        line_id: UUID,
        evaluated_on: date,
        compliant: bool,
        expected_version: int | None = None,
    ) -> CommandResult:
        order = self.load(order_id, Order, expected_version=expected_version)
        order.record_adherence(line_id, evaluated_on, compliant)
        return self.commit(order)

    def pick_up(
        self,
        order_id: UUID,
        *,
        picked_up_on: date,
        reason: str,
        expected_version: int | None = None,
    ) -> CommandResult:
        order = self.load(order_id, Order, expected_version=expected_version)
        order.pick_up(picked_up_on, reason)
        return self.commit(
            order, *self.serials_back_from_pickup(order), *self.bulk_back_from_pickup(order)
        )

    def record_admission(
        self,
        order_id: UUID,
        *,
        admitted_on: date,
        setting: str,
        discharged_on: date | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        """An inpatient stay (hospital or SNF), with its discharge when it is known."""
        order = self.load(order_id, Order, expected_version=expected_version)
        today = self.clock.today()
        order.record_admission(admitted_on, setting, today=today)
        if discharged_on is not None:
            order.record_discharge(discharged_on, today=today)
        return self.commit(order)

    def record_discharge(
        self, order_id: UUID, *, discharged_on: date, expected_version: int | None = None
    ) -> CommandResult:
        order = self.load(order_id, Order, expected_version=expected_version)
        order.record_discharge(discharged_on, today=self.clock.today())
        return self.commit(order)

    def redeliver(
        self,
        order_id: UUID,
        *,
        delivered_on: date,
        pod: ProofOfDelivery,
        expected_version: int | None = None,
    ) -> CommandResult:
        """The item is back in the home after a pickup; the month due that day opens with it."""
        order = self.load(order_id, Order, expected_version=expected_version)
        order.redeliver(delivered_on, pod, today=self.clock.today())
        order.open_due_rental_months(delivered_on)
        return self.commit(order)

    def cancel(
        self, order_id: UUID, *, reason: str, on: date, expected_version: int | None = None
    ) -> CommandResult:
        order = self.load(order_id, Order, expected_version=expected_version)
        order.cancel(reason, on)
        return self.commit(order)

    def delivered_order_ids(self) -> list[UUID]:
        """Every order that was ever delivered (picked-up ones included), oldest first."""
        return self.originator_ids(Order.Delivered.TOPIC)

    def open_due_rental_months(
        self, order_id: UUID, as_of: date
    ) -> tuple[list[RentalMonth], CommandResult | None]:
        """Open every rental month due by `as_of` (not after today). Idempotent: a second call
        opens nothing."""
        order = self.load(order_id, Order)
        # Today at the order's location: a branch west of head office opens its months later.
        billing_run_is_not_in_the_future(calendar_date(as_of, "as_of"), self.today_for(order))
        opened = order.open_due_rental_months(as_of)
        if not opened:
            return [], None
        return opened, self.commit(order)
