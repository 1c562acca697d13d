"""Claim use cases and the process manager that turns delivered orders into claims.

`ClaimApplication` follows the Orders notification log. For each order event that can make
something billable (delivery, an opened rental month, a release from hold, a document or
decision a drafting rule asked for) it drafts the claim for that order, billing month and
primary payer, unless the month was drafted already (for any payer). A month a rule refuses
becomes a billing hold naming the rule (`domain.billing_hold`), cleared when it is drafted.
The claim id is a uuid5 of (order, month, payer), and the new claim events are recorded in
the same transaction as the tracking position, so a claim is created exactly once however
often, or however concurrently, the log is processed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

import structlog
from eventsourcing.application import ProcessingEvent
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, Tracking
from eventsourcing.projection import EventSourcedProjection
from eventsourcing.utils import get_topic

from application import billing_parties
from application.eventstore import AriesApplication, CommandResult
from domain import pricing
from domain.billing_hold import BillingHold, billing_hold_id, billing_requires_a_verified_payer
from domain.claim import Claim
from domain.claim_drafting import FeesOn
from domain.claim_ids import claim_id_for
from domain.claim_values import AppealLevel, ClaimStatus, LineToBill
from domain.context import EventContext, bound_context
from domain.errors import DomainError, NotFound
from domain.order import Order
from domain.order_values import LineBilling, OrderLine
from domain.payer import FilingLimit, billed_as
from domain.rural_zips import is_rural_zip

if TYPE_CHECKING:
    from application.fee_schedules import FeeSchedules
    from application.orders import OrderApplication
    from application.patients import PatientApplication

log = structlog.get_logger("aries.claims")

PROCESS_ACTOR = "process:claims"
# The order events after which something may have become billable: a delivery, a rental
# month, a release, and every document or decision whose absence a drafting rule refuses (an
# SWO recorded after delivery, allowed for items not on the WOPD list, releases the months
# held for it; 42 CFR 410.38(c)). Each looks at every undrafted month of the order again.
BILLING_TRIGGERS = (
    Order.Delivered,
    Order.RentalMonthOpened,
    Order.Released,
    Order.SwoRecorded,
    Order.CoverageVerified,
    Order.PriorAuthorizationAffirmed,
    Order.WopdRecorded,
    Order.FaceToFaceRecorded,
    Order.AbnRecorded,
    Order.AdherenceRecorded,
    Order.NewRentalPeriodDocumented,
)
TRIGGER_TOPICS = tuple(get_topic(trigger) for trigger in BILLING_TRIGGERS)


def billing_month(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def lines_to_bill(order: Order) -> dict[str, list[LineToBill]]:
    """Everything billable on the order now, by billing month: purchases once in the month of
    delivery, each opened rental month in the month it starts."""
    by_month: dict[str, list[LineToBill]] = defaultdict(list)
    for line in order.billable_purchases():
        assert order.delivered_on is not None
        by_month[billing_month(order.delivered_on)].append(
            replace(
                _to_bill(order, line, line.billing.value, order.delivered_on, order.delivered_on),
                # PAP supplies (A7030...) earn KX by the order's documentation, like rentals.
                abn=_abn(order),
                kx_documented=_documented(order),
            )
        )
    if order.on_hold:
        return dict(by_month)
    for line_id, months in order.rental_months_by_line.items():
        line = order.line(line_id)
        for month in months:
            rental = _to_bill(order, line, LineBilling.RENTAL.value, month.from_date, month.to_date)
            by_month[billing_month(month.from_date)].append(
                replace(
                    rental,
                    rental_month=month.month_number,
                    **_oxygen(order, line),
                    adherence_met=_adherence(order, line.line_id, month.month_number),
                    abn=_abn(order),
                    # The order's documentation (SWO on file, coverage verified eligible) is
                    # what a KX attests for items judged by documentation (wheelchairs).
                    kx_documented=_documented(order),
                )
            )
    return dict(by_month)


def _to_bill(
    order: Order, line: OrderLine, billing: str, from_date: date, to_date: date
) -> LineToBill:
    """What every billed line carries, purchase or rental month."""
    return LineToBill(
        order_line_id=line.line_id,
        hcpcs=line.hcpcs,
        billing=billing,
        from_date=from_date,
        to_date=to_date,
        units=line.quantity,
        diagnosis_pointers=tuple(range(1, min(4, len(order.diagnoses)) + 1)),
        serial_number=_serial(order, line.line_id),
    )


def _rental_periods_in(order: Order, month: str) -> list[int]:
    """The rental periods of the months billed in billing month `month` (none while on hold:
    `lines_to_bill` bills no rental month then)."""
    if order.on_hold:
        return []
    return sorted(
        {
            rental.period
            for months in order.rental_months_by_line.values()
            for rental in months
            if billing_month(rental.from_date) == month
        }
    )


def _adherence(order: Order, line_id: UUID, rental_month: int) -> bool:
    """The PAP adherence verdict a rental month is billed under. Months 1-3 are the initial
    coverage period, billed on the order's documentation; from month 4 a failed or missing
    re-evaluation means GA/GZ instead of KX. Items without an adherence policy ignore it."""
    verdict = order.adherence_met(line_id)
    if verdict is None:
        return rental_month <= 3
    return verdict


def _oxygen(order: Order, line: OrderLine) -> dict[str, Any]:
    """The flow, portable and coverage-group facts an oxygen line is priced by (42 CFR
    414.226(e); LCD L33797): the stationary prescription's flow picks the Q modifier for
    stationary and portable lines alike, whether portable oxygen is also prescribed on the order
    decides QF over QG, and the patient's coverage group (N1/N2/N3) is the line's own or, on a
    portable line without one, the stationary line's."""
    stationary = [o for o in order.lines if o.hcpcs in pricing.STATIONARY_OXYGEN]
    portable = any(o.hcpcs in pricing.PORTABLE_OXYGEN for o in order.lines)
    flow, group = line.oxygen_flow_lpm, line.oxygen_group
    if line.hcpcs in pricing.PORTABLE_OXYGEN:
        flow = stationary[0].oxygen_flow_lpm if stationary else None
        if group is None and stationary:
            group = stationary[0].oxygen_group
    return {"oxygen_flow_lpm": flow, "portable_oxygen": portable, "oxygen_group": group}


def _abn(order: Order) -> str | None:
    """The ABN decision recorded on the order, if any."""
    return order.abn_decision.value if order.abn_decision is not None else None


def _documented(order: Order) -> bool:
    return order.swo_on_file and order.coverage is not None and order.coverage.eligible


def _serial(order: Order, line_id: UUID) -> str | None:
    serials = order.pod.serials_for(line_id) if order.pod is not None else ()
    return serials[0] if serials else None


@dataclass(frozen=True)
class SubmissionResult(CommandResult):
    """A submit command's answer, with the submission number its job is named after."""

    submission_number: int


class ClaimApplication(EventSourcedProjection[UUID], AriesApplication):
    name = "Claims"
    aggregate_kind = "claim"
    topics = ()

    # Set by the composition root.
    orders: OrderApplication
    patients: PatientApplication
    # Imported fee schedules (None: every line priced by the packaged fallback, decision 018).
    fee_schedules: FeeSchedules | None = None

    def get_claim(self, claim_id: UUID, version: int | None = None) -> Claim:
        return self.load(claim_id, Claim, version)

    # --- the process manager ------------------------------------------------------------

    def catch_up(self, limit: int = 500) -> int:
        """Process the Orders events not yet processed, in order. Returns how many were read.

        Safe to run in several processes at once: a position processed by another process
        makes our tracking insert fail, and we move on from the new position.
        """
        upstream = self.orders.name
        start = (self.recorder.max_tracking_id(upstream) or 0) + 1
        # Only the triggers are read: the other order events change nothing here, and each
        # one read would cost a decode and a tracking transaction (a backlog of them took
        # minutes). Skipping them keeps exactly-once: tracking still rises with each trigger.
        notifications = self.orders.recorder.select_notifications(
            start=start, limit=limit, topics=TRIGGER_TOPICS
        )
        for notification in notifications:
            event = self.orders.mapper.to_domain_event(notification)
            tracking = Tracking(application_name=upstream, notification_id=notification.id)
            try:
                self.process_event(event, tracking)
            except IntegrityError:
                log.info("order event already processed elsewhere", position=notification.id)
                return len(notifications)
        return len(notifications)

    def catch_up_all(self) -> int:
        total = 0
        while count := self.catch_up():
            total += count
        return total

    def policy(self, domain_event: Any, processing_event: ProcessingEvent[UUID]) -> None:
        if not isinstance(domain_event, BILLING_TRIGGERS):
            return
        with bound_context(
            EventContext(
                tenant_id=domain_event.tenant_id,
                actor_id=PROCESS_ACTOR,
                actor_role="system",
                correlation_id=domain_event.correlation_id,
                causation_id=f"order:{domain_event.originator_id}:{domain_event.originator_version}",
            )
        ):
            for claim in self._claims_due(domain_event.originator_id):
                processing_event.collect_events(claim)

    def _claims_due(self, order_id: UUID) -> list[Aggregate]:
        """The claims to draft for the order's undrafted months, and the billing holds to
        place, change or clear: a month is drafted, or held with the rule that refused it."""
        # The order as it is now: events saved together (delivery and month 1) are seen
        # together, so the first of them drafts the month's whole claim.
        order = self.orders.repository.get(order_id)
        today = self.orders.today_for(order, self.clock)  # the order's location's calendar
        changed: list[Aggregate] = []
        payer_ids = self._payer_ids(order)
        for month, lines in sorted(lines_to_bill(order).items()):
            if self._drafted(order.id, month, payer_ids):
                continue
            hold = self._hold(order.id, month)
            outcome = self._draft_or_refusal(order, month, lines, today)
            if isinstance(outcome, Claim):
                changed.append(outcome)
                if hold is not None and hold.open:
                    hold.clear(outcome.id, today)
                    changed.append(hold)
                continue
            rule_name = getattr(outcome, "rule", type(outcome).__name__)
            # Ids and the rule only: the message may hold facts of the patient's record.
            log.info("month held", order_id=str(order.id), billing_month=month, rule=rule_name)
            if hold is None:
                changed.append(
                    BillingHold.place(
                        order_id=order.id,
                        patient_id=order.patient_id,
                        payer_id=order.payer_id,
                        billing_month=month,
                        rule_name=rule_name,
                        held_on=today,
                    )
                )
            elif hold.open and hold.refused_again(rule_name, order.payer_id, today):
                changed.append(hold)
        return changed

    def _drafted(self, order_id: UUID, month: str, payer_ids: set[str]) -> bool:
        """Whether the month was drafted for any payer: a payer verified later (the patient
        changed plans) bills the months from then on, never again those already billed."""
        return any(
            self.exists(claim_id_for(order_id, month, payer_id)) for payer_id in payer_ids
        )

    def _payer_ids(self, order: Order) -> set[str]:
        """The payers a month of the order may have been drafted for: the packaged list's and
        those of the patient's coverages, which name the tenant's payer records (decision
        017)."""
        ids = set(pricing.payers())
        if order.payer_id is not None:
            ids.add(order.payer_id)
        if order.payer_id is not None and order.payer_id not in pricing.payers():
            try:
                patient = self.patients.get_patient(order.patient_id)
            except NotFound:
                # The process must go on for every other order; this one's months are held
                # by the drafting rules, which find the patient missing too.
                log.warning("order names an unknown patient", order_id=str(order.id))
                return ids
            ids.update(coverage.payer_id for coverage in patient.coverages.values())
        return ids

    def _hold(self, order_id: UUID, month: str) -> BillingHold | None:
        hold_id = billing_hold_id(order_id, month)
        return self.repository.get(hold_id) if self.exists(hold_id) else None

    def _draft_or_refusal(
        self, order: Order, month: str, lines: list[LineToBill], today: date
    ) -> Claim | DomainError:
        """The month's claim, or the rule that refused it. One order's unbillable month must
        not stop every other order's billing: the refusal becomes a billing hold."""
        try:
            for period in _rental_periods_in(order, month):
                # 42 CFR 414.230(d): a new rental period's months wait for its documents.
                order.check_rental_period_documented(period)
            billing_requires_a_verified_payer(order.payer_id)
            assert order.payer_id is not None and order.coverage is not None
            utn_line = next((line for line in lines if order.utn(line.order_line_id)), None)
            return Claim.draft(
                order_id=order.id,
                patient_id=order.patient_id,
                payer_id=order.payer_id,
                coverage_id=order.coverage.coverage_id,
                billing_month=month,
                ordering_npi=order.ordering_npi,
                diagnoses=list(order.diagnoses),
                lines=lines,
                swo_on_file=order.swo_on_file,
                pod_on_file=order.pod is not None,
                drafted_on=today,
                utn=order.utn(utn_line.order_line_id) if utn_line else None,
                utn_valid_until=(
                    order.utn_valid_until(utn_line.order_line_id) if utn_line else None
                ),
                # The record's kind, fees and filing limit (decision 017); None: the list's.
                payer=self.billed_payer(order.tenant_id, order.payer_id),
                fees=self.fees_on(order),
                location_id=self.billing_location_id(order),
            )
        except DomainError as refused:
            return refused

    def billing_location_id(self, order: Order) -> UUID | None:
        """The location the order bills as (its own, else its tenant's first: decision 017),
        recorded on its claims: its time zone is their "today" for aging and timely filing."""
        setup = self.orders.setup
        location = None if setup is None else setup.location_of(order)
        return None if location is None else location.id

    def filing_limit(self, tenant_id: str, payer_id: str) -> FilingLimit | None:
        """The tenant's payer record's timely filing limit (None: no record, the packaged
        payer list's applies; decision 017)."""
        record = billing_parties.payer_record(self.orders.setup, tenant_id, payer_id)
        return None if record is None else record.details.filing_limit

    def billed_payer(self, tenant_id: str, payer_id: str) -> pricing.Payer | None:
        """The tenant's payer record as pricing takes it (id, kind, name, limit), or None: no
        record, the packaged payer list prices the claim (decision 017). The domain never
        reads the record itself."""
        record = billing_parties.payer_record(self.orders.setup, tenant_id, payer_id)
        if record is None:
            return None
        # The coverage's spelling of the id is the claim's (records are found case-blind).
        return replace(billed_as(record.details), payer_id=payer_id)

    def fees_on(self, order: Order) -> FeesOn | None:
        """The fees in force for the order's payer on a date of service, for the patient's
        state (DMEPOS fees are by state: CMS Pub. 100-04 ch. 20 s. 20.2, locality); rural
        when CMS lists the patient's ZIP code as rural (`domain.rural_zips`)."""
        schedules = self.fee_schedules
        if schedules is None or order.payer_id is None or not schedules.any_for(order.payer_id):
            return None  # the packaged fees price it: no need to read the patient
        payer_id = order.payer_id
        address = self.patients.get_patient(order.patient_id).demographics.address
        state, rural = address.state, is_rural_zip(address.postal_code)
        return lambda on: schedules.fees_in_force(payer_id, on, state, rural)

    # --- claim commands -----------------------------------------------------------------

    def submit(
        self, claim_id: UUID, *, expected_version: int | None = None
    ) -> SubmissionResult:
        """Scrub the claim (a draft, or a rejected claim after its correction) and ask for it to
        go out in the next 837P batch. A claim already scrubbed, or waiting to be billed to the
        secondary payer, goes as it is."""
        claim = self.load(claim_id, Claim, expected_version=expected_version)
        if claim.status in (ClaimStatus.DRAFT, ClaimStatus.REJECTED):
            claim.scrub(self.clock.today())
        number = claim.submission_count + 1
        claim.request_submission(number)
        result = self.commit(claim)
        return SubmissionResult(result.id, result.version, result.position, number)

    def appeal(
        self,
        claim_id: UUID,
        *,
        level: AppealLevel | int,
        reason: str,
        filed_on: date | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        claim = self.load(claim_id, Claim, expected_version=expected_version)
        claim.appeal(level, filed_on or self.clock.today(), reason)
        return self.commit(claim)

    def settle_transmission(
        self, claim_id: UUID, *, received: bool, expected_version: int | None = None
    ) -> CommandResult:
        """A person's answer for a claim whose interchange the clearinghouse could not confirm
        (application/submission.py): it was received (the claim was submitted in it), or not
        (the claim is scrubbed again, to be submitted anew)."""
        claim = self.load(claim_id, Claim, expected_version=expected_version)
        if received:
            claim.record_transmission_received(self.clock.now())
        else:
            claim.record_transmission_not_received(self.clock.now())
        return self.commit(claim)

    def void(
        self, claim_id: UUID, *, reason: str, expected_version: int | None = None
    ) -> CommandResult:
        claim = self.load(claim_id, Claim, expected_version=expected_version)
        claim.void(self.clock.today(), reason)
        return self.commit(claim)
