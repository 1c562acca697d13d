"""What an Order says about itself: the queries the Order aggregate answers from its state.

`OrderQueries` is a base of `domain.order.Order` and holds no state of its own: every attribute
it reads is set by the Order's `@event` methods. It records nothing; the commands are on Order.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID

from domain import order_delivery as delivery
from domain import order_rules as rules
from domain import rental_periods as periods
from domain.order_values import (
    AdherenceEvaluation,
    LineBilling,
    OrderLine,
    OrderStatus,
    PriorAuthorizationDecision,
    RentalMonth,
    latest_verdict,
    rental_months_due,
)
from domain.rental_periods import InstitutionalStay, NewPeriodDocuments, Possession
from domain.rules import calendar_date, refusing_rules


class OrderQueries:
    """The Order's read side (see `domain.order.Order` for the state it reads)."""

    # Set by Order's event methods.
    _stage: OrderStatus
    _hold: Any
    _stays: tuple[InstitutionalStay, ...]
    _possessions: tuple[Possession, ...]
    _new_period_documents: tuple[NewPeriodDocuments, ...]
    _prior_authorizations: dict[UUID, PriorAuthorizationDecision]
    _adherence: dict[UUID, tuple[AdherenceEvaluation, ...]]
    _rental_months: dict[UUID, tuple[RentalMonth, ...]]

    def _document_date(self, on: date, what: str) -> date:
        """`on`, once a document may be recorded on this order that day."""
        rules.cancelled_order_accepts_no_changes(self._stage)
        return calendar_date(on, what)

    def _check_adherence(self, line_id: UUID, evaluated_on: date, compliant: bool) -> None:
        rules.cancelled_order_accepts_no_changes(self._stage)
        rules.line_is_on_the_order(rules.typed(line_id, UUID, "line_id"), self.lines)
        rules.adherence_applies_to_pap_devices(self.line(line_id).hcpcs)
        calendar_date(evaluated_on, "evaluated_on")
        rules.typed(compliant, bool, "compliant")
        rules.adherence_is_evaluated_after_delivery(self.delivered_on, evaluated_on)

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
                self.lines, self.wopd_signed_on, self.face_to_face_on, on
            ),
        ]

    def delivery_blockers(self, on: date) -> tuple[str, ...]:
        """The rules that would refuse a delivery on `on` (proof of delivery aside)."""
        return refusing_rules(self._delivery_checks(calendar_date(on, "on")))

    def ready_for_delivery(self, on: date) -> bool:
        return not self.delivery_blockers(on)


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

    @property
    def possessions(self) -> tuple[Possession, ...]:
        """Each delivery (the first, then redeliveries) until its pickup, oldest first."""
        return self._possessions

    @property
    def institutional_stays(self) -> tuple[InstitutionalStay, ...]:
        """The patient's hospital and SNF stays recorded on the order, oldest first."""
        return self._stays

    def check_rental_period_documented(self, period: int) -> None:
        """Raise the rule that keeps rental period `period`'s months from being billed: 42 CFR
        414.230(d)'s new SWO, new medical necessity documentation and statement of why the need
        ended, made after the pickup that ended the period before, and for an item on the
        Required List a new WOPD with its face-to-face encounter; period 1 passes."""
        facts = periods.NewPeriodFacts(
            self.swo_signed_on,
            self._new_period_documents,
            [line.hcpcs for line in self.lines if line.billing is LineBilling.RENTAL],
            self.wopd_signed_on,
            self.face_to_face_on,
        )
        breaks = periods.new_period_breaks(self._possessions, self._stays)
        periods.check_new_period_documented(period, breaks, facts)

    @property
    def inpatient_since(self) -> date | None:
        """The admission date of a stay without a discharge yet (months are paused)."""
        open_stay = self._stays[-1] if self._stays else None
        return open_stay.admitted_on if open_stay and open_stay.discharged_on is None else None

    @property
    def redelivered_on(self) -> date | None:
        """The latest date the item came back into the home after a pickup."""
        return self._possessions[-1].delivered_on if len(self._possessions) > 1 else None

    def billable_purchases(self) -> tuple[OrderLine, ...]:
        """Purchase lines to bill once, dated `delivered_on`: empty before delivery and while on
        hold. The claim process manager keeps a bill-once key per (order, line)."""
        if self.delivered_on is None or self._hold is not None:
            return ()
        return tuple(line for line in self.lines if line.billing is not LineBilling.RENTAL)

    # -- rental months ----------------------------------------------------------------------

    def due_rental_months(self, as_of: date) -> list[RentalMonth]:
        """The rental months due by `as_of` and not yet opened (pure query; records nothing).

        Month n of a rental period starts n-1 calendar months after its anchor (the delivery,
        or the date use resumed) and is due on its first day (`domain.rental_periods`). None
        before delivery, none while on hold (they come due after release), none while the
        patient is an inpatient, none beyond the item's `rental_cap_months` in a period, none
        starting on or after a pickup.
        """
        calendar_date(as_of, "as_of")
        if self.delivered_on is None or self._hold is not None:
            return []
        return rental_months_due(
            self.lines, self._possessions, self._stays, self._rental_months, as_of
        )

    def _opened_starts(self) -> list[date]:
        return [month.from_date for months in self._rental_months.values() for month in months]
