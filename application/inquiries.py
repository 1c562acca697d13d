"""Real-time inquiries through the clearinghouse: a coverage's eligibility (270 -> 271,
005010X279A1) and a claim's status (276 -> 277, 005010X212). Each answer is checked by pyx12
against its implementation guide, read, and recorded as a fact on the patient
(`EligibilityChecked`) or the claim (`ClaimStatusReceived`), which the work queue follows.

An inquiry changes nothing at the payer, so asking twice is harmless: no intent is recorded
before sending (contrast the 837P, docs/decisions/007). The answer is recorded from a fresh
load, retried on a lost race like other commands that do not depend on what they read.
Failures: `ClearinghouseUnavailable` (retry later: HTTP 503) and `InquiryUnanswered` (refused,
a 999, an answer pyx12 rejects or that answers another inquiry: HTTP 502). Ids and codes only
are logged, never names or member ids. Why: docs/decisions/016-eligibility-and-claim-status.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

import structlog

from application import billing_parties
from application.claim_documents import reference_payer, subscriber_of
from application.eventstore import UNCONDITIONAL_ATTEMPTS, CommandResult, ConcurrentUpdate
from application.ports import (
    Clearinghouse,
    ClearinghouseRefused,
    Clock,
    ControlNumbers,
    MalformedAnswer,
    SystemClock,
)
from application.x12 import claim_status, eligibility
from application.x12.claim837 import Receiver, Supplier
from application.x12.envelope import Envelope
from application.x12.inquiry_parties import InquiryParties
from application.x12.segments import X12SyntaxError
from application.x12.validation import check_with_pyx12
from domain.claim import Claim
from domain.claim_rules import require_allowed
from domain.errors import RuleViolated
from domain.patient import Patient

if TYPE_CHECKING:
    from application.claims import ClaimApplication
    from application.patients import PatientApplication

log = structlog.get_logger("aries.inquiries")


class InquiryUnanswered(Exception):
    """The clearinghouse or payer gave no usable answer (refused, a 999, invalid X12)."""


@dataclass(frozen=True)
class EligibilityResult(CommandResult):
    coverage_id: UUID
    payer_id: str
    coverage: str  # active, inactive, rejected
    as_of: date
    reason: str | None
    plan_begin: date | None
    plan_end: date | None


@dataclass(frozen=True)
class ClaimStatusResult(CommandResult):
    category: str
    status_code: str
    entity: str | None
    status_on: date | None
    paid: Decimal | None
    payer_claim_control_number: str | None


@dataclass
class InquiryService:
    patients: PatientApplication
    claims: ClaimApplication
    clearinghouse: Clearinghouse
    clock: Clock = field(default_factory=SystemClock)
    supplier: Supplier = field(kw_only=True)
    receiver: Receiver = field(kw_only=True)
    control_numbers: ControlNumbers = field(kw_only=True)
    usage: str = field(default="T", kw_only=True)

    def check_eligibility(
        self, patient_id: UUID, coverage_id: UUID, *, as_of: date | None = None,
        service_type: str = eligibility.DME_PURCHASE,
    ) -> EligibilityResult:
        """Ask the coverage's payer whether it covers the patient on `as_of` (today)."""
        patient = self.patients.load(patient_id, Patient)
        coverage = patient.coverages.get(coverage_id)
        if coverage is None:  # the Patient's own rule, decided before anything is sent
            raise RuleViolated("coverage_exists", f"coverage {coverage_id} not found")
        as_of = as_of or self.clock.today()
        inquiry = eligibility.EligibilityInquiry(
            self._parties(patient, coverage_id, coverage.payer_id), _trace(), as_of, service_type
        )
        text = self._ask(eligibility.write_270(self._envelope(), inquiry), "271")
        reply = _read(eligibility.read_271, text)
        if reply.trace != inquiry.trace:
            raise InquiryUnanswered("the 271 answers another inquiry")
        result = self._record(
            lambda: self.patients.load(patient_id, Patient),
            lambda p: p.record_eligibility(coverage_id, coverage.payer_id, reply.coverage, as_of,
                                           self.clock.now(), reply.reject_reason),
            self.patients.commit,
        )
        log.info("eligibility checked", patient_id=str(patient_id), coverage=reply.coverage)
        return EligibilityResult(
            result.id, result.version, result.position, coverage_id, coverage.payer_id,
            reply.coverage, as_of, reply.reject_reason, reply.plan_begin, reply.plan_end,
        )

    def request_claim_status(self, claim_id: UUID) -> ClaimStatusResult:
        """Ask the payer billed now what became of the claim."""
        claim = self.claims.load(claim_id, Claim)
        require_allowed(claim.status, "record_status_report")
        patient = self.patients.get_patient(claim.patient_id)
        inquiry = claim_status.ClaimStatusInquiry(
            self._parties(patient, claim.billed_coverage_id, claim.billed_payer_id),
            _trace(), claim.patient_control_number, claim.charge_total,
            min(line.from_date for line in claim.lines), max(line.to_date for line in claim.lines),
            claim.payer_claim_control_number,
        )
        text = self._ask(claim_status.write_276(self._envelope(), inquiry), "277")
        reply = _read(claim_status.read_277, text)
        if reply.trace != inquiry.trace:
            raise InquiryUnanswered("the 277 answers another inquiry")
        result = self._record(
            lambda: self.claims.load(claim_id, Claim),
            lambda c: c.record_status_report(
                reply.category, reply.status_code, reply.entity, reply.status_on, reply.paid,
                reply.payer_claim_control_number, self.clock.now(),
            ),
            self.claims.commit,
        )
        log.info("claim status received", claim_id=str(claim_id), category=reply.category,
                 status=reply.status_code)
        return ClaimStatusResult(
            result.id, result.version, result.position, reply.category, reply.status_code,
            reply.entity, reply.status_on, reply.paid, reply.payer_claim_control_number,
        )

    # --- helpers ------------------------------------------------------------------------

    def _parties(self, patient: Patient, coverage_id: UUID, payer_id: str) -> InquiryParties:
        """The payer, the supplier and the coverage's subscriber (RuleViolated when the
        coverage is not the patient's, or names no subscriber it needs)."""
        setup = getattr(getattr(self.claims, "orders", None), "setup", None)
        # The tenant's payer record (decision 017), else the packaged list's.
        payer = billing_parties.payer_party(
            setup, patient.tenant_id, payer_id
        ) or reference_payer(payer_id)
        subscriber = subscriber_of(patient, coverage_id)
        return InquiryParties(
            payer.name, payer.payer_id, self.supplier.name, self.supplier.npi,
            self.supplier.submitter_id, subscriber.name.last_name, subscriber.name.first_name,
            subscriber.member_id, subscriber.date_of_birth, subscriber.sex,
        )

    def _envelope(self) -> Envelope:
        return Envelope(
            sender_id=self.supplier.submitter_id, receiver_id=self.receiver.receiver_id,
            control_number=self.control_numbers.next_interchange(),
            created_at=self.clock.now(), usage=self.usage,
        )

    def _ask(self, inquiry: str, expected: str) -> str:
        """The answer, checked by pyx12 (ClearinghouseUnavailable propagates)."""
        try:
            answer = self.clearinghouse.inquire(inquiry)
        except (ClearinghouseRefused, MalformedAnswer) as refused:
            raise InquiryUnanswered(str(refused)) from None
        try:
            report = check_with_pyx12(answer)
        except X12SyntaxError:
            raise InquiryUnanswered(f"the answer is not a {expected}") from None
        if not report.valid or report.errors:
            log.error("inquiry answer fails its implementation guide", expected=expected,
                      errors=len(report.errors))
            raise InquiryUnanswered(f"the {expected} fails its implementation guide")
        return answer

    def _record(
        self, load: Callable[[], Any], record: Callable[[Any], None],
        commit: Callable[..., CommandResult],
    ) -> CommandResult:
        attempt = 1
        while True:
            aggregate = load()
            record(aggregate)
            try:
                return commit(aggregate)
            except ConcurrentUpdate:
                if attempt >= UNCONDITIONAL_ATTEMPTS:
                    raise
                attempt += 1


def _trace() -> str:
    """TRN02: ours, unique per inquiry, echoed by the answer."""
    return uuid4().hex.upper()[:20]


def _read(reader: Callable[[str], Any], text: str) -> Any:
    try:
        return reader(text)
    except X12SyntaxError as unreadable:
        raise InquiryUnanswered(f"the answer cannot be read ({unreadable})") from None
