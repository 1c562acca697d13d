"""The Claim aggregate: one claim per order, billing month and primary payer, from draft to a
zero balance, as commands and `@event` appliers. Values are in `domain.claim_values`; the pure
functions it decides with in `domain.claim_rules` (input checks, scrub rules, which command runs
in which status), `domain.claim_ids`, `domain.claim_drafting` (drafting and correcting, lines
priced), `domain.claim_transmission` (the interchange it goes out in),
`domain.claim_adjudication` (posting a remittance), `domain.claim_crossover` (billing the next
payer), `domain.claim_patient_money` (patient payments, refunds, write-offs),
`domain.claim_appeals`, `domain.claim_replacement` (void and replace) and `domain.claim_ledger`
(the money: balances and payers are folds of an append-only ledger, and every event that moves
money carries its entries).

Lifecycle (status): DRAFT -scrub-> SCRUBBED -request_submission-> SUBMISSION_REQUESTED
(-prepare_transmission: the interchange it will go out in, recorded before sending)
-record_submission-> SUBMITTED -acknowledge-> ACCEPTED | REJECTED (not filed: correct and/or
scrub again) -adjudicate-> PAID | PARTIALLY_PAID | DENIED (| REVERSED after a CLP02 22) -> then
transfer_to_secondary (AWAITING_SECONDARY, submitted again to the secondary), patient
responsibility, appeal (APPEALED until decided), void (VOIDED, frequency 8) or replace
(REPLACED, the replacement claim has frequency 7) -> CLOSED at zero balance.

A claim closes explicitly (`close`), only at zero balance: closing is a decision, and a late
remittance on a closed claim reopens it (adjudicate is allowed and posts). Why void and replace
reverse charges, and how patient money moves: those modules' docstrings.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from domain import claim_adjudication as adjudication
from domain import claim_appeals as appeals
from domain import claim_crossover as crossover
from domain import claim_drafting as drafting
from domain import claim_ids, inquiry_answers
from domain import claim_patient_money as patient_money
from domain import claim_replacement as replacement
from domain import claim_rules as rules
from domain import claim_transmission as transmission
from domain.base import AriesAggregate, pin_topics
from domain.claim_balances import ClaimBalances
from domain.claim_state import ClaimState
from domain.claim_values import (
    Adjustment,
    AdjustmentGroup,
    AppealLevel,
    ClaimLine,
    ClaimStatus,
    LedgerEntry,
    LedgerEntryKind,
    LineAdjudication,
    PendingTransmission,
)
from domain.errors import require
from domain.payer import FilingLimit
from domain.rules import calendar_date, utc_time

S = ClaimStatus


class Claim(ClaimState, ClaimBalances, AriesAggregate):
    """A claim for one order, billing month and payer; its ledger is the money truth (its
    balances are folds of it, `domain.claim_balances`); its lifecycle state starts in
    `domain.claim_state`."""

    @staticmethod
    def create_id(
        order_id: UUID, billing_month: str, payer_id: str, replaces_claim_id: UUID | None
    ) -> UUID:
        """The library asks for a new claim's id with the Drafted event's arguments."""
        return claim_ids.claim_id(order_id, billing_month, payer_id, replaces_claim_id)

    # -- drafting

    @classmethod
    def draft(cls, **command: Any) -> Claim:
        """Draft the claim and post one charge per line; the arguments, their checks and what
        the Drafted event records are `domain.claim_drafting.drafted`'s."""
        return cls(**drafting.drafted(**command))

    @event("Drafted")
    def __init__(
        self, order_id: UUID, patient_id: UUID, payer_id: str, coverage_id: UUID,
        billing_month: str, patient_control_number: str, ordering_npi: str, diagnoses: list[str],
        lines: list[ClaimLine], swo_on_file: bool, pod_on_file: bool, utn: str | None,
        utn_valid_until: date | None, frequency_code: str, replaces_claim_id: UUID | None,
        original_payer_claim_control_number: str | None, drafted_on: date,
        entries: list[LedgerEntry], filing_limit: FilingLimit | None = None,
        timely_filing_deadline: date | None = None, location_id: UUID | None = None,
    ) -> None:
        # The billed payer's limit as recorded (None: drafted before limits were recorded,
        # the packaged payer list's applies). The deadline is for the read model only.
        self.filing_limit = filing_limit
        self.location_id = location_id  # billed from; None: before claims recorded it
        self.order_id = order_id
        self.patient_id = patient_id
        self.payer_id = payer_id
        self.coverage_id = coverage_id
        self.billing_month = billing_month
        self.patient_control_number = patient_control_number
        self.ordering_npi = ordering_npi
        self.diagnoses = tuple(diagnoses)
        self.lines = tuple(lines)
        self.swo_on_file = swo_on_file
        self.pod_on_file = pod_on_file
        self.utn = utn
        self.utn_valid_until = utn_valid_until
        self.frequency_code = frequency_code
        self.replaces_claim_id = replaces_claim_id
        self.original_payer_claim_control_number = original_payer_claim_control_number
        self.drafted_on = drafted_on
        self.ledger: tuple[LedgerEntry, ...] = tuple(entries)
        self._start_state(payer_id, coverage_id)

    # -- corrections (before filing, or after a rejection)

    def correct(self, **changes: Any) -> None:
        """Correct an unfiled claim (header facts; lines only if never filed). Back to DRAFT.
        The changes, their checks and what the Corrected event records are
        `domain.claim_drafting.corrected`'s."""
        self._require_status("correct")
        self._corrected(**drafting.corrected(self, **changes))

    @event("Corrected")
    def _corrected(
        self, on: date, ordering_npi: str, diagnoses: list[str], utn: str | None,
        utn_valid_until: date | None, swo_on_file: bool, pod_on_file: bool,
        lines: list[ClaimLine], entries: list[LedgerEntry],
        timely_filing_deadline: date | None = None,
    ) -> None:
        self.ordering_npi = ordering_npi
        self.diagnoses = tuple(diagnoses)
        self.utn = utn
        self.utn_valid_until = utn_valid_until
        self.swo_on_file = swo_on_file
        self.pod_on_file = pod_on_file
        self.lines = tuple(lines)
        self.ledger = self.ledger + tuple(entries)
        self.status = ClaimStatus.DRAFT
        self.scrubbed_on = None

    # -- scrub and submission

    def scrub(self, as_of: date) -> None:
        """Validate the claim for submission on `as_of`; raises ScrubFailed listing every rule."""
        self._require_status("scrub")
        as_of = calendar_date(as_of, "as_of")
        failures = rules.scrub_failures(self, as_of)
        if failures:
            raise rules.ScrubFailed(failures)
        self._scrubbed(as_of=as_of)

    @event("Scrubbed")
    def _scrubbed(self, as_of: date) -> None:
        self.status = ClaimStatus.SCRUBBED
        self.scrubbed_on = as_of

    def request_submission(self, submission_number: int) -> None:
        """Ask for the claim to go out in an 837P; numbers run 1, 2, ... per claim."""
        self._require_status("request_submission")
        rules.submission_number_is_next(submission_number, self.submission_count)
        self._submission_requested(submission_number, self.billed_payer_id, self.frequency_code)

    @event("SubmissionRequested")
    def _submission_requested(
        self, submission_number: int, payer_id: str, frequency_code: str
    ) -> None:
        self.status = ClaimStatus.SUBMISSION_REQUESTED
        self.submission_count = submission_number

    def prepare_transmission(
        self, interchange_control_number: str, claim_ids: Sequence[UUID], at: datetime
    ) -> None:
        """The claim is about to go out in the interchange `interchange_control_number`,
        recorded before it is sent (`domain.claim_transmission`). Prepared again (the same or
        another interchange) while unsent."""
        self._require_status("prepare_transmission")
        self._transmission_prepared(
            **transmission.prepared(self, interchange_control_number, claim_ids, at)
        )

    class TransmissionPrepared(AriesAggregate.Event):
        """The claim is about to go out in an interchange (decision 007). Version 2: the claim
        list on the interchange's first claim only (`domain.claim_transmission.prepared`)."""

        class_version = 2

        submission_number: int
        interchange_control_number: str
        claim_ids: list[UUID]
        first_claim_id: UUID
        at: datetime

        upcast_v1_v2 = staticmethod(transmission.upcast_prepared_v1_v2)

    @event(TransmissionPrepared)
    def _transmission_prepared(
        self, submission_number: int, interchange_control_number: str, claim_ids: list[UUID],
        first_claim_id: UUID, at: datetime,
    ) -> None:
        self.pending_transmission = PendingTransmission(
            interchange_control_number, tuple(claim_ids), at, first_claim_id
        )

    def leave_transmission_unconfirmed(self, reason: str, at: datetime) -> None:
        """Whether the prepared interchange reached the clearinghouse cannot be known: a person
        must find out (the work queue's `confirm_transmission`); it is not sent again."""
        self._require_status("leave_transmission_unconfirmed")
        self._transmission_unconfirmed(**transmission.unconfirmed(self, reason, at))

    @event("TransmissionUnconfirmed")
    def _transmission_unconfirmed(
        self, interchange_control_number: str, reason: str, at: datetime
    ) -> None:
        self.status = ClaimStatus.TRANSMISSION_UNCONFIRMED

    def record_transmission_received(self, at: datetime) -> None:
        """A person found that the clearinghouse did receive the unconfirmed interchange: the
        claim was submitted in it."""
        self._require_status("settle_transmission")
        assert self.pending_transmission is not None  # set by every way into this status
        self._submitted(
            self.submission_count, self.pending_transmission.interchange_control_number,
            utc_time(at, "at"),
        )

    def record_transmission_not_received(self, at: datetime) -> None:
        """A person found that the clearinghouse never received the unconfirmed interchange:
        the claim is scrubbed and may be submitted again (under a new submission number)."""
        self._require_status("settle_transmission")
        self._transmission_not_received(utc_time(at, "at"))

    @event("TransmissionNotReceived")
    def _transmission_not_received(self, at: datetime) -> None:
        self.status = ClaimStatus.SCRUBBED
        self.pending_transmission = None

    def record_submission(self, interchange_control_number: str, submitted_at: datetime) -> None:
        """The 837P went out in the interchange `interchange_control_number` (ISA13)."""
        self._require_status("record_submission")
        interchange_control_number = rules.interchange_control_number(interchange_control_number)
        submitted_at = utc_time(submitted_at, "submitted_at")
        self._submitted(self.submission_count, interchange_control_number, submitted_at)

    @event("Submitted")
    def _submitted(
        self, submission_number: int, interchange_control_number: str, submitted_at: datetime
    ) -> None:
        self.status = ClaimStatus.SUBMITTED
        self.interchange_control_number = interchange_control_number
        self.submitted_at = submitted_at
        self.pending_transmission = None

    def acknowledge(self, accepted: bool, reasons: Sequence[str], at: datetime) -> None:
        """The clearinghouse/payer acknowledgement (999/277CA): accepted, or rejected with
        reasons (a rejected claim was not filed)."""
        self._require_status("acknowledge")
        if transmission.acknowledged_accepted(accepted, reasons):
            self._accepted(**transmission.acknowledgement(reasons, at))
        else:
            self._rejected(**transmission.acknowledgement(reasons, at))

    @event("Accepted")
    def _accepted(self, reasons: list[str], at: datetime) -> None:
        self.status = ClaimStatus.ACCEPTED
        self.filed = True
        self.rejection_reasons = ()

    @event("Rejected")
    def _rejected(self, reasons: list[str], at: datetime) -> None:
        self.status = ClaimStatus.REJECTED
        self.rejection_reasons = tuple(reasons)

    def record_status_report(self, *answer: Any) -> None:
        """The payer's answer to a claim status inquiry (277 STC01; the arguments, their checks
        and what ClaimStatusReceived records are `inquiry_answers.claim_status_answer`'s)."""
        self._require_status("record_status_report")
        self._claim_status_received(**inquiry_answers.claim_status_answer(*answer))

    @event("ClaimStatusReceived")
    def _claim_status_received(
        self, category: str, status_code: str, entity: str | None, status_on: date | None,
        paid: Decimal | None, payer_claim_control_number: str | None, checked_at: datetime,
    ) -> None:
        """A fact for the read side; the money moves with the 835."""

    # -- remittance

    def adjudicate(
        self, remittance_trace: str, payer_claim_control_number: str, status_code: str,
        lines: Sequence[LineAdjudication], paid_on: date, payer_id: str | None = None,
        claim_adjustments: Sequence[Adjustment] = (),
    ) -> None:
        """Post one 835 claim (CLP) line by line, its claim-level CAS (`claim_adjustments`)
        spread over the lines. `payer_id` defaults to the payer billed now. Refused when the
        same adjudication was posted before under any trace (`adjudication_posts_once`)."""
        self._adjudicated(
            **adjudication.posting(
                self, remittance_trace, payer_claim_control_number, status_code, lines, paid_on,
                payer_id, claim_adjustments,
            )
        )

    @event("Adjudicated")
    def _adjudicated(
        self, remittance_trace: str, payer_claim_control_number: str, payer_id: str,
        status_code: str, lines: list[LineAdjudication], paid_on: date, outcome: ClaimStatus,
        entries: list[LedgerEntry],
    ) -> None:
        self.ledger = self.ledger + tuple(entries)
        posted = (remittance_trace, payer_claim_control_number)
        self.posted_remittances = (*self.posted_remittances, posted)
        # Derived from the event's own attributes, so replaying old events gives it too.
        identity = adjudication.adjudication_identity(
            payer_id, payer_claim_control_number, status_code, lines)
        self.posted_adjudications = (*self.posted_adjudications, identity)
        self.adjudications = (*self.adjudications, (payer_id, paid_on, tuple(lines)))
        if adjudication.crossover_payer_of(self, payer_id):
            self.secondary_payer_id = payer_id  # the payer the claim was forwarded to
        if status_code in adjudication.CROSSOVER_STATUS_CODES:
            self.crossed_over_on = paid_on
        self.filed = True
        self.closed_on = None
        if status_code != adjudication.REVERSAL_STATUS_CODE:
            self.payer_claim_control_number = payer_claim_control_number
            self.adjudication_outcome = outcome
            self.last_determination_on = paid_on
            self.last_determination_carcs = tuple(
                sorted({a.carc for line in lines for a in line.adjustments})
            )
        if self.status is not S.APPEALED:
            self.status = adjudication.status_after_posting(self, outcome)

    # -- after adjudication: secondary, patient, write-off

    def transfer_to_secondary(
        self, payer_id: str, coverage_id: UUID, on: date, filing_limit: FilingLimit | None = None
    ) -> None:
        """Move the remaining balance of every line to the secondary payer, to bill it next;
        `filing_limit` is its payer record's (None: the packaged payer list's)."""
        self._require_status("transfer_to_secondary")
        moved = crossover.transfer_to_secondary(
            self, payer_id, coverage_id, on, payer_recorded=filing_limit is not None
        )
        limit = filing_limit or drafting.reference_filing_limit(payer_id)
        self._transferred_to_secondary(**moved, **drafting.filing_terms(limit, self.lines))

    @event("TransferredToSecondary")
    def _transferred_to_secondary(
        self, payer_id: str, coverage_id: UUID, on: date, entries: list[LedgerEntry],
        filing_limit: FilingLimit | None = None, timely_filing_deadline: date | None = None,
    ) -> None:
        self.filing_limit = filing_limit
        self.ledger = self.ledger + tuple(entries)
        self.secondary_payer_id = payer_id
        self.billed_payer_id = payer_id
        self.billed_coverage_id = coverage_id
        self.status = S.AWAITING_SECONDARY

    def assign_patient_responsibility(self, on: date, reason: str) -> None:
        """Move every payer's remaining balance on the claim to the patient."""
        self._require_status("assign_patient_responsibility")
        self._patient_responsibility_assigned(
            **patient_money.patient_responsibility(self, on, reason)
        )

    @event("PatientResponsibilityAssigned")
    def _patient_responsibility_assigned(
        self, on: date, reason: str, entries: list[LedgerEntry]
    ) -> None:
        self.ledger = self.ledger + tuple(entries)
        self.status = S.PATIENT_RESPONSIBILITY

    def record_patient_payment(self, amount: Decimal, received_on: date, reference: str) -> None:
        """A patient payment, applied to lines in order up to each line's patient balance."""
        self._patient_payment_recorded(
            **patient_money.patient_payment(self, amount, received_on, reference)
        )

    @event("PatientPaymentRecorded")
    def _patient_payment_recorded(
        self, amount: Decimal, received_on: date, reference: str, entries: list[LedgerEntry]
    ) -> None:
        self.ledger = self.ledger + tuple(entries)

    def refund_patient(self, amount: Decimal, refunded_on: date, reference: str) -> None:
        """Pay back a patient's credit (what they paid beyond what they owe now), line by line."""
        self._patient_refunded(
            **patient_money.patient_refund(self, amount, refunded_on, reference)
        )

    @event("PatientRefunded")
    def _patient_refunded(
        self, amount: Decimal, refunded_on: date, reference: str, entries: list[LedgerEntry]
    ) -> None:
        self.ledger = self.ledger + tuple(entries)

    def write_off(self, on: date, reason: str) -> None:
        """Write off every remaining balance (or credit) on a filed claim."""
        self._written_off(**patient_money.write_off(self, on, reason))

    @event("WrittenOff")
    def _written_off(self, on: date, reason: str, entries: list[LedgerEntry]) -> None:
        self.ledger = self.ledger + tuple(entries)

    # -- appeals

    def appeal(self, level: AppealLevel | int, filed_on: date, reason: str) -> None:
        """File a redetermination (within 120 days of receiving the remittance) or a
        reconsideration (180 days of receiving an unfavourable redetermination decision);
        receipt is presumed 5 days after the notice's date (`domain.claim_appeals`)."""
        require(self.status is not S.APPEALED, "one_appeal_open_at_a_time", "an appeal is open")
        self._require_status("appeal")
        self._appealed(**appeals.filed(self, level, filed_on, reason))

    @event("Appealed")
    def _appealed(self, level: AppealLevel, filed_on: date, reason: str) -> None:
        self.status = S.APPEALED
        self.open_appeal = level
        if level is AppealLevel.REDETERMINATION:
            self.redetermination_filed_on = filed_on
        else:
            self.reconsideration_filed_on = filed_on

    def decide_appeal(self, decided_on: date, favourable: bool) -> None:
        """The payer's decision on the open appeal (money follows as a new remittance)."""
        self._require_status("decide_appeal")
        self._appeal_decided(**appeals.decided(self, decided_on, favourable))

    @event("AppealDecided")
    def _appeal_decided(self, level: AppealLevel, decided_on: date, favourable: bool) -> None:
        self.open_appeal = None
        self.status = self.adjudication_outcome or S.DENIED
        if level is AppealLevel.REDETERMINATION:
            self.redetermination_decided_on = decided_on
            self.redetermination_favourable = favourable
        else:
            self.reconsideration_decided_on = decided_on
            self.reconsideration_favourable = favourable

    # -- void, replace, close

    def void(self, on: date, reason: str) -> None:
        """Void a filed claim (frequency code 8): each line's charge is reversed."""
        self._require_status("void")
        self._voided(**replacement.voided(self, on, reason))

    @event("Voided")
    def _voided(
        self, on: date, reason: str, frequency_code: str, entries: list[LedgerEntry]
    ) -> None:
        self.ledger = self.ledger + tuple(entries)
        self.frequency_code = frequency_code
        self.voided_on = on
        self.status = S.VOIDED

    def replace(self, on: date, reason: str) -> UUID:
        """Replace an adjudicated claim: charges reversed here; the application drafts the
        frequency-7 claim with id `claim_ids.replacement_id_for(self.id)` (returned)."""
        self._require_status("replace")
        replaced = replacement.replaced(self, on, reason)
        self._replaced(**replaced)
        return replaced["replacement_claim_id"]

    @event("Replaced")
    def _replaced(
        self, on: date, reason: str, replacement_claim_id: UUID, entries: list[LedgerEntry]
    ) -> None:
        self.ledger = self.ledger + tuple(entries)
        self.replacement_claim_id = replacement_claim_id
        self.status = S.REPLACED

    def close(self, on: date) -> None:
        """Close the claim; only at zero balance, with no appeal or submission open."""
        rules.claim_may_close(self.status, self.balance)
        self._closed(calendar_date(on, "on"))

    @event("Closed")
    def _closed(self, on: date) -> None:
        self.status = S.CLOSED
        self.closed_on = on

    # -- helpers for deciding (never called from an @event body)

    def _require_status(self, command: str) -> None:
        rules.require_allowed(self.status, command)


pin_topics(Claim, "aries.claim")

AGGREGATES = (Claim,)
# Every Enum and value object that appears in an event attribute.
VALUE_TYPES = (
    ClaimStatus, LedgerEntryKind, AdjustmentGroup, AppealLevel, ClaimLine, Adjustment,
    LineAdjudication, LedgerEntry, PendingTransmission,
)
