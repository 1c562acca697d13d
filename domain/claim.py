"""The Claim aggregate: one claim per order, billing month and primary payer, from draft to a
zero balance.

Value types and ledger folds live in `domain.claim_values`, the pure deciding rules (scrub,
line billing, remittance checks) in `domain.claim_rules`; both are re-exported here as needed.

Lifecycle (status): DRAFT -scrub-> SCRUBBED -request_submission-> SUBMISSION_REQUESTED
-record_submission-> SUBMITTED -acknowledge-> ACCEPTED | REJECTED (not filed: correct and/or
scrub again) -adjudicate-> PAID | PARTIALLY_PAID | DENIED (| REVERSED after a CLP02 22) -> then
transfer_to_secondary (AWAITING_SECONDARY, submitted again to the secondary), patient
responsibility, appeal (APPEALED until decided), void (VOIDED, frequency 8) or replace
(REPLACED, the replacement claim has frequency 7) -> CLOSED at zero balance.

Money lives in an append-only ledger of `LedgerEntry` (one per line and responsible party). Each
entry's amount is signed: positive raises what `party` (a payer id, or `PATIENT`) owes on the
line, negative lowers it. Balances (claim, line, party) and each line's current payer are folds
of the ledger; nothing stores a balance. Every event that moves money carries its entries.

Choices a reader may question:
- Lines are priced when drafted (`domain.pricing`, in the deciding method); the Drafted event
  records the priced lines, so replay never reads the fee schedule.
- Line ids are uuid5(claim id, order line id, billing month, rental month): deterministic.
- The patient control number (CLM01) is the first 20 hex digits of the claim id, upper case.
- Scrub failures raise `ScrubFailed` (a RuleViolated): `rule` is the first failed rule in
  `SCRUB_RULES` order, `failures` lists every (rule, message).
- `LedgerEntry` dates are business dates named `posted_on` (the remittance's paid date for
  postings), not datetimes.
- A remittance posts once per (trace, payer claim control number): a reversal (CLP02 22, the
  original ICN) and its corrected claim (a new ICN) may share one check. A CLP02 22 posts
  `reversal` entries that negate what the remittance lists (paid and adjustments <= 0).
- PR adjustments move the amount from the payer to the patient (two entries). Credits stay put:
  `transfer_to_secondary` moves every other party's positive balance to the secondary;
  `assign_patient_responsibility` moves every payer's positive balance to the patient.
- A line's current payer is the party of its latest positive entry.
- Appeal deadlines: redetermination within 120 days of the remittance's paid date (the payer's
  5-day receipt presumption is not added); reconsideration within 180 days of the
  redetermination decision, after an unfavourable one. Only one of each per claim. CARC 29
  (timely filing) on the last determination is not appealable.
- Void and replace reverse each line's charge against the primary payer; the payer's later
  CLP02 22 remittance reverses its own postings, and the balance returns to zero. The
  replacement claim is drafted separately with `replaces_claim_id` and gets the id
  `Claim.replacement_id_for(original id)`.
- A claim closes explicitly (`close`), only at zero balance: closing is a decision, and a late
  remittance on a closed claim reopens it (adjudicate is allowed and posts).
- `write_off` and `record_patient_payment` are added so that balances can reach zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID, uuid5

from eventsourcing.domain import event

from domain import claim_rules as rules
from domain import pricing
from domain.base import AriesAggregate, pin_topics
from domain.claim_rules import (
    ALLOWED_STATES,
    CLAIM_STATUS_CODES,
    INTERCHANGE_CONTROL_NUMBER,
    NOT_APPEALABLE_CARCS,
    ORIGINAL,
    RECONSIDERATION_DAYS,
    REDETERMINATION_DAYS,
    REPLACEMENT,
    REVERSAL_STATUS_CODE,
    VOID,
    ScrubFailed,
    adjudication_outcome,
    billing_month_of,
    scrub_failures,
    uuid_of,
)
from domain.claim_values import (
    PATIENT,
    Adjustment,
    AdjustmentGroup,
    AppealLevel,
    ClaimLine,
    ClaimStatus,
    LedgerEntry,
    LedgerEntryKind,
    LineAdjudication,
    LineToBill,
    current_party,
    ledger_balance,
    party_balances,
)
from domain.errors import InvalidValue, require
from domain.money import ZERO, exact_money
from domain.rules import calendar_date, present_text, utc_time

CLAIM_NAMESPACE = UUID("8a0d6f6e-2f0b-5d57-9b7e-6c1f3f0a9e21")  # fixed forever: ids depend on it
S = ClaimStatus


# --- The aggregate --------------------------------------------------------------------------


class Claim(AriesAggregate):
    """A claim for one order, billing month and payer; its ledger is the money truth."""

    # -- ids

    @staticmethod
    def id_for(order_id: UUID, billing_month: str, payer_id: str) -> UUID:
        """The claim id for an order, billing month ('YYYY-MM') and primary payer."""
        month = billing_month_of(billing_month)
        return uuid5(CLAIM_NAMESPACE, f"claim:{order_id}:{month}:{payer_id}")

    @staticmethod
    def replacement_id_for(original_claim_id: UUID) -> UUID:
        """The id of the frequency-7 claim that replaces `original_claim_id`."""
        return uuid5(CLAIM_NAMESPACE, f"replacement-of:{original_claim_id}")

    @staticmethod
    def create_id(
        order_id: UUID, billing_month: str, payer_id: str, replaces_claim_id: UUID | None
    ) -> UUID:
        if replaces_claim_id is not None:
            return Claim.replacement_id_for(replaces_claim_id)
        return Claim.id_for(order_id, billing_month, payer_id)

    @staticmethod
    def patient_control_number_for(claim_id: UUID) -> str:
        return claim_id.hex[:20].upper()

    @staticmethod
    def line_id_for(
        claim_id: UUID, order_line_id: UUID, billing_month: str, rental_month: int | None
    ) -> UUID:
        return rules.line_id_for(claim_id, order_line_id, billing_month, rental_month)

    # -- folds of the ledger (no stored balance)

    @property
    def balance(self) -> Decimal:
        return ledger_balance(self.ledger)

    @property
    def line_balances(self) -> dict[UUID, Decimal]:
        return {
            line.line_id: ledger_balance(self.ledger, line_id=line.line_id) for line in self.lines
        }

    @property
    def line_payers(self) -> dict[UUID, str | None]:
        return {line.line_id: current_party(self.ledger, line.line_id) for line in self.lines}

    def party_balance(self, party: str) -> Decimal:
        return ledger_balance(self.ledger, party=party)

    @property
    def charge_total(self) -> Decimal:
        return sum((line.charge for line in self.lines), ZERO)

    # -- drafting

    @classmethod
    def draft(
        cls,
        *,
        order_id: UUID,
        patient_id: UUID,
        payer_id: str,
        coverage_id: UUID,
        billing_month: str,
        ordering_npi: str,
        diagnoses: Sequence[str],
        lines: Sequence[LineToBill],
        swo_on_file: bool,
        pod_on_file: bool,
        drafted_on: date,
        utn: str | None = None,
        utn_valid_until: date | None = None,
        replaces_claim_id: UUID | None = None,
        original_payer_claim_control_number: str | None = None,
    ) -> Claim:
        """Draft the claim and post one charge per line. Refused before delivery and SWO."""
        require(
            swo_on_file is True and pod_on_file is True,
            "claim_requires_delivery_and_swo",
            "a claim needs proof of delivery and a standard written order on file",
        )
        for value, what in (
            (order_id, "order_id"),
            (patient_id, "patient_id"),
            (coverage_id, "coverage_id"),
        ):
            uuid_of(value, what)
        if replaces_claim_id is not None:
            uuid_of(replaces_claim_id, "replaces_claim_id")
        month = billing_month_of(billing_month)
        drafted_on = calendar_date(drafted_on, "drafted_on")
        pricing.payer(payer_id)
        if replaces_claim_id is not None:
            original_payer_claim_control_number = present_text(
                original_payer_claim_control_number,
                "the original claim's payer claim control number",
                "replacement_claim_references_original",
            )
        claim_id = cls.create_id(order_id, month, payer_id, replaces_claim_id)
        codes = rules.diagnosis_list(diagnoses)
        claim_lines = rules.bill_lines(claim_id, payer_id, month, lines, len(codes))
        if utn_valid_until is not None:
            calendar_date(utn_valid_until, "utn_valid_until")
        return cls(
            order_id=order_id,
            patient_id=patient_id,
            payer_id=payer_id,
            coverage_id=coverage_id,
            billing_month=month,
            patient_control_number=cls.patient_control_number_for(claim_id),
            ordering_npi=str(ordering_npi).strip(),
            diagnoses=codes,
            lines=claim_lines,
            swo_on_file=True,
            pod_on_file=True,
            utn=utn.strip() if utn else None,
            utn_valid_until=utn_valid_until,
            frequency_code=ORIGINAL if replaces_claim_id is None else REPLACEMENT,
            replaces_claim_id=replaces_claim_id,
            original_payer_claim_control_number=original_payer_claim_control_number,
            drafted_on=drafted_on,
            entries=rules.charges(claim_lines, payer_id, drafted_on),
        )

    @event("Drafted")
    def __init__(
        self,
        order_id: UUID,
        patient_id: UUID,
        payer_id: str,
        coverage_id: UUID,
        billing_month: str,
        patient_control_number: str,
        ordering_npi: str,
        diagnoses: list[str],
        lines: list[ClaimLine],
        swo_on_file: bool,
        pod_on_file: bool,
        utn: str | None,
        utn_valid_until: date | None,
        frequency_code: str,
        replaces_claim_id: UUID | None,
        original_payer_claim_control_number: str | None,
        drafted_on: date,
        entries: list[LedgerEntry],
    ) -> None:
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
        self.status = ClaimStatus.DRAFT
        self.billed_payer_id = payer_id
        self.billed_coverage_id = coverage_id
        self.secondary_payer_id: str | None = None
        self.scrubbed_on: date | None = None
        self.submission_count = 0
        self.interchange_control_number: str | None = None
        self.submitted_at: datetime | None = None
        self.filed = False
        self.rejection_reasons: tuple[str, ...] = ()
        self.payer_claim_control_number: str | None = None
        self.posted_remittances: tuple[tuple[str, str], ...] = ()
        self.adjudication_outcome: ClaimStatus | None = None
        self.last_determination_on: date | None = None
        self.last_determination_carcs: tuple[str, ...] = ()
        self.open_appeal: AppealLevel | None = None
        self.redetermination_filed_on: date | None = None
        self.redetermination_decided_on: date | None = None
        self.redetermination_favourable: bool | None = None
        self.reconsideration_filed_on: date | None = None
        self.reconsideration_decided_on: date | None = None
        self.reconsideration_favourable: bool | None = None
        self.replacement_claim_id: UUID | None = None
        self.voided_on: date | None = None
        self.closed_on: date | None = None

    # -- corrections (before filing, or after a rejection)

    def correct(
        self,
        *,
        on: date,
        ordering_npi: str | None = None,
        diagnoses: Sequence[str] | None = None,
        utn: str | None = None,
        utn_valid_until: date | None = None,
        swo_on_file: bool | None = None,
        pod_on_file: bool | None = None,
        lines: Sequence[LineToBill] | None = None,
    ) -> None:
        """Correct an unfiled claim (header facts; lines only if never filed). Back to DRAFT."""
        self._require_status("correct")
        on = calendar_date(on, "on")
        changes = (ordering_npi, diagnoses, utn, utn_valid_until, swo_on_file, pod_on_file, lines)
        require(
            any(c is not None for c in changes),
            "correction_changes_something",
            "a correction names at least one new value",
        )
        swo = self.swo_on_file if swo_on_file is None else swo_on_file
        pod = self.pod_on_file if pod_on_file is None else pod_on_file
        require(
            swo is True and pod is True,
            "claim_requires_delivery_and_swo",
            "a claim needs proof of delivery and a standard written order on file",
        )
        codes = self.diagnoses if diagnoses is None else rules.diagnosis_list(diagnoses)
        entries: list[LedgerEntry] = []
        if lines is None:
            new_lines = self.lines
            for line in new_lines:
                rules.check_pointers(line.diagnosis_pointers, len(codes))
        else:
            require(
                not self.filed,
                "lines_are_corrected_only_before_filing",
                "a filed claim's lines are changed by a replacement claim",
            )
            new_lines = rules.bill_lines(
                self.id, self.payer_id, self.billing_month, lines, len(codes)
            )
            entries = [
                LedgerEntry(
                    LedgerEntryKind.REVERSAL, line_id, party, -amount, on, reference="correction"
                )
                for line_id in (line.line_id for line in self.lines)
                for party, amount in party_balances(self.ledger, line_id).items()
            ] + rules.charges(new_lines, self.payer_id, on)
        if utn_valid_until is not None:
            calendar_date(utn_valid_until, "utn_valid_until")
        self._corrected(
            on=on,
            ordering_npi=self.ordering_npi if ordering_npi is None else str(ordering_npi).strip(),
            diagnoses=list(codes),
            utn=self.utn if utn is None else (utn.strip() or None),
            utn_valid_until=self.utn_valid_until if utn_valid_until is None else utn_valid_until,
            swo_on_file=swo,
            pod_on_file=pod,
            lines=list(new_lines),
            entries=entries,
        )

    @event("Corrected")
    def _corrected(
        self,
        on: date,
        ordering_npi: str,
        diagnoses: list[str],
        utn: str | None,
        utn_valid_until: date | None,
        swo_on_file: bool,
        pod_on_file: bool,
        lines: list[ClaimLine],
        entries: list[LedgerEntry],
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
        failures = scrub_failures(self, as_of)
        if failures:
            raise ScrubFailed(failures)
        self._scrubbed(as_of=as_of)

    @event("Scrubbed")
    def _scrubbed(self, as_of: date) -> None:
        self.status = ClaimStatus.SCRUBBED
        self.scrubbed_on = as_of

    def request_submission(self, submission_number: int) -> None:
        """Ask for the claim to go out in an 837P; numbers run 1, 2, ... per claim."""
        self._require_status("request_submission")
        require(
            submission_number == self.submission_count + 1
            and not isinstance(submission_number, bool),
            "submission_number_is_next_in_sequence",
            f"submission {submission_number!r} is not {self.submission_count + 1}",
        )
        self._submission_requested(
            submission_number=submission_number,
            payer_id=self.billed_payer_id,
            frequency_code=self.frequency_code,
        )

    @event("SubmissionRequested")
    def _submission_requested(
        self, submission_number: int, payer_id: str, frequency_code: str
    ) -> None:
        self.status = ClaimStatus.SUBMISSION_REQUESTED
        self.submission_count = submission_number

    def record_submission(self, interchange_control_number: str, submitted_at: datetime) -> None:
        """The 837P went out in the interchange `interchange_control_number` (ISA13)."""
        self._require_status("record_submission")
        if not isinstance(interchange_control_number, str) or not INTERCHANGE_CONTROL_NUMBER.match(
            interchange_control_number
        ):
            raise InvalidValue(
                "interchange_control_number_is_nine_digits",
                f"{interchange_control_number!r} is not a nine-digit ISA13",
            )
        self._submitted(
            submission_number=self.submission_count,
            interchange_control_number=interchange_control_number,
            submitted_at=utc_time(submitted_at, "submitted_at"),
        )

    @event("Submitted")
    def _submitted(
        self, submission_number: int, interchange_control_number: str, submitted_at: datetime
    ) -> None:
        self.status = ClaimStatus.SUBMITTED
        self.interchange_control_number = interchange_control_number
        self.submitted_at = submitted_at

    def acknowledge(self, accepted: bool, reasons: Sequence[str], at: datetime) -> None:
        """The clearinghouse/payer acknowledgement (999/277CA): accepted, or rejected with
        reasons (a rejected claim was not filed)."""
        self._require_status("acknowledge")
        at = utc_time(at, "at")
        require(isinstance(accepted, bool), "acknowledgement_accepts_or_rejects", "accepted: bool")
        if isinstance(reasons, str):
            reasons = [reasons]
        reason_list = [
            present_text(r, "a reason", "acknowledgement_reasons_are_text") for r in reasons
        ]
        if accepted:
            self._accepted(reasons=reason_list, at=at)
        else:
            require(bool(reason_list), "rejection_states_reasons", "a rejection needs its reasons")
            self._rejected(reasons=reason_list, at=at)

    @event("Accepted")
    def _accepted(self, reasons: list[str], at: datetime) -> None:
        self.status = ClaimStatus.ACCEPTED
        self.filed = True
        self.rejection_reasons = ()

    @event("Rejected")
    def _rejected(self, reasons: list[str], at: datetime) -> None:
        self.status = ClaimStatus.REJECTED
        self.rejection_reasons = tuple(reasons)

    # -- remittance

    def adjudicate(
        self,
        remittance_trace: str,
        payer_claim_control_number: str,
        status_code: str,
        lines: Sequence[LineAdjudication],
        paid_on: date,
        payer_id: str | None = None,
    ) -> None:
        """Post one 835 claim (CLP) line by line. `payer_id` defaults to the payer billed now."""
        require(
            self.filed or self.status in (S.SUBMITTED, S.ACCEPTED),
            "remittance_requires_a_filed_claim",
            f"a {self.status.value} claim has not been filed",
        )
        trace = present_text(remittance_trace, "remittance_trace", "remittance_names_its_trace")
        icn = present_text(
            payer_claim_control_number,
            "payer_claim_control_number",
            "remittance_names_payer_claim_control_number",
        )
        require(
            (trace, icn) not in self.posted_remittances,
            "remittance_posts_once_per_trace",
            f"remittance {trace} for payer claim {icn} is already posted",
        )
        if status_code not in CLAIM_STATUS_CODES:
            raise InvalidValue(
                "remittance_claim_status_code_is_known", f"CLP02 {status_code!r} is not handled"
            )
        paid_on = calendar_date(paid_on, "paid_on")
        payer = self.billed_payer_id if payer_id is None else payer_id
        require(
            payer in (self.payer_id, self.secondary_payer_id),
            "remittance_comes_from_a_billed_payer",
            f"{payer!r} was never billed for this claim",
        )
        posted = rules.checked_adjudications(self.lines, status_code, lines)
        self._adjudicated(
            remittance_trace=trace,
            payer_claim_control_number=icn,
            payer_id=payer,
            status_code=status_code,
            lines=posted,
            paid_on=paid_on,
            outcome=adjudication_outcome(status_code, posted),
            entries=rules.remittance_entries(posted, status_code, payer, paid_on, trace),
        )

    @event("Adjudicated")
    def _adjudicated(
        self,
        remittance_trace: str,
        payer_claim_control_number: str,
        payer_id: str,
        status_code: str,
        lines: list[LineAdjudication],
        paid_on: date,
        outcome: ClaimStatus,
        entries: list[LedgerEntry],
    ) -> None:
        self.ledger = self.ledger + tuple(entries)
        self.posted_remittances = (
            *self.posted_remittances,
            (remittance_trace, payer_claim_control_number),
        )
        self.filed = True
        self.closed_on = None
        if status_code != REVERSAL_STATUS_CODE:
            self.payer_claim_control_number = payer_claim_control_number
            self.adjudication_outcome = outcome
            self.last_determination_on = paid_on
            self.last_determination_carcs = tuple(
                sorted({a.carc for line in lines for a in line.adjustments})
            )
        if self.status is S.APPEALED:
            return
        if self.replacement_claim_id is not None:
            self.status = S.REPLACED
        elif self.voided_on is not None:
            self.status = S.VOIDED
        else:
            self.status = outcome

    # -- after adjudication: secondary, patient, write-off

    def transfer_to_secondary(self, payer_id: str, coverage_id: UUID, on: date) -> None:
        """Move the remaining balance of every line to the secondary payer, to bill it next."""
        self._require_status("transfer_to_secondary")
        on = calendar_date(on, "on")
        uuid_of(coverage_id, "coverage_id")
        require(
            self.secondary_payer_id is None,
            "claim_moves_to_secondary_once",
            f"already moved to {self.secondary_payer_id}",
        )
        pricing.payer(payer_id)
        require(
            payer_id != self.payer_id,
            "secondary_payer_differs_from_primary",
            f"{payer_id} is the primary payer",
        )
        entries = self._moves(LedgerEntryKind.TRANSFER, payer_id, on, f"secondary:{payer_id}")
        require(
            bool(entries),
            "transfer_requires_remaining_balance",
            f"balance {self.balance} leaves nothing to bill",
        )
        self._transferred_to_secondary(
            payer_id=payer_id, coverage_id=coverage_id, on=on, entries=entries
        )

    @event("TransferredToSecondary")
    def _transferred_to_secondary(
        self, payer_id: str, coverage_id: UUID, on: date, entries: list[LedgerEntry]
    ) -> None:
        self.ledger = self.ledger + tuple(entries)
        self.secondary_payer_id = payer_id
        self.billed_payer_id = payer_id
        self.billed_coverage_id = coverage_id
        self.status = S.AWAITING_SECONDARY

    def assign_patient_responsibility(self, on: date, reason: str) -> None:
        """Move every payer's remaining balance on the claim to the patient."""
        self._require_status("assign_patient_responsibility")
        on = calendar_date(on, "on")
        reason = present_text(reason, "reason", "patient_responsibility_states_a_reason")
        entries = self._moves(LedgerEntryKind.PATIENT_RESPONSIBILITY, PATIENT, on, reason)
        require(
            bool(entries),
            "patient_responsibility_requires_payer_balance",
            "no payer holds a balance to move to the patient",
        )
        self._patient_responsibility_assigned(on=on, reason=reason, entries=entries)

    @event("PatientResponsibilityAssigned")
    def _patient_responsibility_assigned(
        self, on: date, reason: str, entries: list[LedgerEntry]
    ) -> None:
        self.ledger = self.ledger + tuple(entries)
        self.status = S.PATIENT_RESPONSIBILITY

    def record_patient_payment(self, amount: Decimal, received_on: date, reference: str) -> None:
        """A patient payment, applied to lines in order up to each line's patient balance."""
        require(self.status is not S.CLOSED, "closed_claim_takes_no_postings", "claim is closed")
        amount = exact_money(amount)
        received_on = calendar_date(received_on, "received_on")
        reference = present_text(reference, "reference", "patient_payment_names_its_reference")
        require(amount > 0, "patient_payment_is_positive", f"payment {amount} is not positive")
        owed = {
            line.line_id: ledger_balance(self.ledger, line_id=line.line_id, party=PATIENT)
            for line in self.lines
        }
        total_owed = sum((o for o in owed.values() if o > 0), ZERO)
        require(
            amount <= total_owed,
            "patient_payment_does_not_exceed_patient_balance",
            f"payment {amount} exceeds the patient balance {total_owed}",
        )
        entries, left = [], amount
        for line_id, line_owed in owed.items():
            applied = min(left, line_owed)
            if applied > 0:
                entries.append(
                    LedgerEntry(
                        LedgerEntryKind.PAYMENT,
                        line_id,
                        PATIENT,
                        -applied,
                        received_on,
                        reference=reference,
                    )
                )
                left -= applied
        self._patient_payment_recorded(
            amount=amount, received_on=received_on, reference=reference, entries=entries
        )

    @event("PatientPaymentRecorded")
    def _patient_payment_recorded(
        self, amount: Decimal, received_on: date, reference: str, entries: list[LedgerEntry]
    ) -> None:
        self.ledger = self.ledger + tuple(entries)

    def write_off(self, on: date, reason: str) -> None:
        """Write off every remaining balance (or credit) on a filed claim."""
        require(self.status is not S.CLOSED, "closed_claim_takes_no_postings", "claim is closed")
        require(self.filed, "write_off_requires_a_filed_claim", "the claim was never filed")
        on = calendar_date(on, "on")
        reason = present_text(reason, "reason", "write_off_states_a_reason")
        entries = [
            LedgerEntry(
                LedgerEntryKind.WRITE_OFF, line.line_id, party, -amount, on, reference=reason
            )
            for line in self.lines
            for party, amount in party_balances(self.ledger, line.line_id).items()
        ]
        require(bool(entries), "write_off_requires_a_balance", "nothing is owed on the claim")
        self._written_off(on=on, reason=reason, entries=entries)

    @event("WrittenOff")
    def _written_off(self, on: date, reason: str, entries: list[LedgerEntry]) -> None:
        self.ledger = self.ledger + tuple(entries)

    # -- appeals

    def appeal(self, level: AppealLevel | int, filed_on: date, reason: str) -> None:
        """File a redetermination (120 days from the remittance) or a reconsideration (180 days
        from an unfavourable redetermination decision)."""
        require(self.status is not S.APPEALED, "one_appeal_open_at_a_time", "an appeal is open")
        self._require_status("appeal")
        try:
            level = AppealLevel(level.value if isinstance(level, AppealLevel) else level)
        except ValueError:
            raise InvalidValue(
                "appeal_level_is_redetermination_or_reconsideration", f"level {level!r}"
            ) from None
        filed_on = calendar_date(filed_on, "filed_on")
        reason = present_text(reason, "reason", "appeal_states_a_reason")
        not_appealable = NOT_APPEALABLE_CARCS.intersection(self.last_determination_carcs)
        require(
            not not_appealable,
            "timely_filing_denial_is_not_appealable",
            f"CARC {', '.join(sorted(not_appealable))} (timely filing) cannot be appealed",
        )
        assert self.last_determination_on is not None
        if level is AppealLevel.REDETERMINATION:
            require(
                self.redetermination_filed_on is None,
                "redetermination_is_requested_once",
                "a redetermination was already requested",
            )
            rules.require_within(
                filed_on,
                self.last_determination_on,
                REDETERMINATION_DAYS,
                "redetermination_filed_within_120_days_of_remittance",
            )
        else:
            require(
                self.redetermination_decided_on is not None
                and self.redetermination_favourable is False,
                "reconsideration_follows_unfavourable_redetermination",
                "a reconsideration needs an unfavourable redetermination decision",
            )
            require(
                self.reconsideration_filed_on is None,
                "reconsideration_is_requested_once",
                "a reconsideration was already requested",
            )
            assert self.redetermination_decided_on is not None
            rules.require_within(
                filed_on,
                self.redetermination_decided_on,
                RECONSIDERATION_DAYS,
                "reconsideration_filed_within_180_days_of_redetermination",
            )
        self._appealed(level=level, filed_on=filed_on, reason=reason)

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
        decided_on = calendar_date(decided_on, "decided_on")
        require(isinstance(favourable, bool), "appeal_decision_is_favourable_or_not", "bool")
        assert self.open_appeal is not None
        filed_on = (
            self.redetermination_filed_on
            if self.open_appeal is AppealLevel.REDETERMINATION
            else self.reconsideration_filed_on
        )
        assert filed_on is not None
        require(
            decided_on >= filed_on,
            "appeal_is_decided_after_filing",
            f"decision {decided_on} precedes filing {filed_on}",
        )
        self._appeal_decided(level=self.open_appeal, decided_on=decided_on, favourable=favourable)

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
        on = calendar_date(on, "on")
        reason = present_text(reason, "reason", "void_states_a_reason")
        self._voided(
            on=on, reason=reason, frequency_code=VOID, entries=self._charge_reversals(on, "void")
        )

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
        frequency-7 claim with id `Claim.replacement_id_for(self.id)` (returned)."""
        self._require_status("replace")
        require(
            self.payer_claim_control_number is not None,
            "replacement_requires_adjudicated_claim",
            "the payer has not assigned a claim control number",
        )
        on = calendar_date(on, "on")
        reason = present_text(reason, "reason", "replacement_states_a_reason")
        replacement_id = Claim.replacement_id_for(self.id)
        self._replaced(
            on=on,
            reason=reason,
            replacement_claim_id=replacement_id,
            entries=self._charge_reversals(on, "replacement"),
        )
        return replacement_id

    @event("Replaced")
    def _replaced(
        self, on: date, reason: str, replacement_claim_id: UUID, entries: list[LedgerEntry]
    ) -> None:
        self.ledger = self.ledger + tuple(entries)
        self.replacement_claim_id = replacement_claim_id
        self.status = S.REPLACED

    def close(self, on: date) -> None:
        """Close the claim; only at zero balance, with no appeal or submission open."""
        require(self.status is not S.CLOSED, "claim_is_closed_once", "the claim is closed")
        require(
            self.status is not S.APPEALED,
            "claim_with_open_appeal_stays_open",
            "an appeal is open",
        )
        require(
            self.status not in (S.SUBMISSION_REQUESTED, S.SUBMITTED),
            "claim_with_submission_in_flight_stays_open",
            "a submission is awaiting its acknowledgement",
        )
        require(
            self.balance == 0,
            "claim_closes_only_at_zero_balance",
            f"balance is {self.balance}",
        )
        self._closed(on=calendar_date(on, "on"))

    @event("Closed")
    def _closed(self, on: date) -> None:
        self.status = S.CLOSED
        self.closed_on = on

    # -- helpers for deciding (never called from an @event body)

    def _require_status(self, command: str) -> None:
        states, rule = ALLOWED_STATES[command]
        require(self.status in states, rule, f"cannot {command} a {self.status.value} claim")

    def _moves(
        self, kind: LedgerEntryKind, target: str, on: date, reference: str
    ) -> list[LedgerEntry]:
        """Entries moving every other party's positive balance on each line to `target`
        (credits stay where they are)."""
        entries = []
        for line in self.lines:
            for party, amount in party_balances(self.ledger, line.line_id).items():
                if party == target or amount < 0:
                    continue
                entries.append(
                    LedgerEntry(kind, line.line_id, party, -amount, on, reference=reference)
                )
                entries.append(
                    LedgerEntry(kind, line.line_id, target, amount, on, reference=reference)
                )
        return entries

    def _charge_reversals(self, on: date, reference: str) -> list[LedgerEntry]:
        return [
            LedgerEntry(
                LedgerEntryKind.REVERSAL,
                line.line_id,
                self.payer_id,
                -line.charge,
                on,
                reference=reference,
            )
            for line in self.lines
        ]


pin_topics(Claim, "aries.claim")

__all__ = [
    "PATIENT",
    "Adjustment",
    "AdjustmentGroup",
    "AppealLevel",
    "Claim",
    "ClaimLine",
    "ClaimStatus",
    "LedgerEntry",
    "LedgerEntryKind",
    "LineAdjudication",
    "LineToBill",
    "ScrubFailed",
]

AGGREGATES = (Claim,)
VALUE_TYPES = (
    ClaimStatus,
    LedgerEntryKind,
    AdjustmentGroup,
    AppealLevel,
    ClaimLine,
    Adjustment,
    LineAdjudication,
    LedgerEntry,
)
