"""The billing office's claim commands after the first answer from the payer: correct, replace
and resubmit, bill the secondary payer, patient payments and refunds, write-offs, appeal
decisions and closing. Each loads the claim (with the client's expected version), lets the
Claim decide, and saves once; a command that touches two claims (a replacement) saves both in
one transaction.

Frequency codes and loops follow the 837P implementation guide (ASC X12 005010X222A1):
- CLM05-3 claim frequency type code: 1 original, 7 replacement of a prior claim, 8 void of a
  prior claim. A 7 or 8 carries the payer's claim control number of the claim it replaces or
  voids in loop 2300 REF*F8 (payer claim control number). `domain.claim_drafting.drafted`
  records both on the replacement claim; `application.x12.claim837` writes them.
- A claim billed to a secondary payer (SBR01 S) carries the primary payer's adjudication:
  loop 2320 (other subscriber information, with AMT*D the payer paid amount and claim-level
  CAS), 2330A/2330B (other subscriber, other payer) and 2430 per line (SVD paid amount, CAS,
  DTP*573 adjudication date). `application.claim_documents` builds them from the claim's ledger,
  which is why billing the secondary only moves the balance and asks for a submission.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal
from uuid import UUID

from application.claims import ClaimApplication, SubmissionResult, lines_to_bill
from application.eventstore import CommandResult
from domain.claim import Claim
from domain.errors import RuleViolated, require
from domain.patient import CoverageRank

__all__ = [
    "bill_secondary",
    "close_claim",
    "correct_claim",
    "decide_appeal",
    "record_patient_payment",
    "refund_patient",
    "replace_claim",
    "write_off",
]


def correct_claim(
    claims: ClaimApplication,
    claim_id: UUID,
    *,
    ordering_npi: str | None = None,
    diagnoses: Sequence[str] | None = None,
    utn: str | None = None,
    utn_valid_until: date | None = None,
    expected_version: int | None = None,
) -> CommandResult:
    """Correct a claim the payer never filed (a draft, or one rejected by the 999/277CA): it
    goes back to draft, to be submitted again as an original (frequency 1)."""
    return _act(claims, claim_id, expected_version, lambda claim: claim.correct(
        on=claims.clock.today(), ordering_npi=ordering_npi, diagnoses=diagnoses, utn=utn,
        utn_valid_until=utn_valid_until,
    ))


def replace_claim(
    claims: ClaimApplication,
    claim_id: UUID,
    *,
    reason: str,
    ordering_npi: str | None = None,
    diagnoses: Sequence[str] | None = None,
    submit: bool = False,
    expected_version: int | None = None,
) -> CommandResult | SubmissionResult:
    """Replace an adjudicated claim (a denial to correct, say) with a frequency-7 claim that
    names the payer's claim control number (REF*F8): the original's charges are reversed, and
    the replacement is drafted from the order's lines of the same billing month with the
    corrected header facts. With `submit`, the replacement is scrubbed and requested for
    submission in the same transaction (the answer then carries its submission number).

    The answer is the replacement claim's id and version; the original is saved with it."""
    original = claims.load(claim_id, Claim, expected_version=expected_version)
    today = claims.clock.today()
    order = claims.orders.repository.get(original.order_id)
    month_lines = lines_to_bill(order).get(original.billing_month, [])
    billed = {line.order_line_id for line in original.lines}
    lines = [line for line in month_lines if line.order_line_id in billed]
    require(
        bool(lines),
        "replacement_bills_the_original_lines",
        "the order no longer bills the original claim's lines in its month",
    )
    codes = list(original.diagnoses if diagnoses is None else diagnoses)
    pointers = tuple(range(1, min(4, len(codes)) + 1))
    replacement_id = original.replace(today, reason)
    replacement = Claim.draft(
        order_id=original.order_id,
        patient_id=original.patient_id,
        payer_id=original.payer_id,
        coverage_id=original.coverage_id,
        billing_month=original.billing_month,
        ordering_npi=original.ordering_npi if ordering_npi is None else ordering_npi,
        diagnoses=codes,
        lines=[replace(line, diagnosis_pointers=pointers) for line in lines],
        swo_on_file=original.swo_on_file,
        pod_on_file=original.pod_on_file,
        drafted_on=today,
        utn=original.utn,
        utn_valid_until=original.utn_valid_until,
        replaces_claim_id=original.id,
        original_payer_claim_control_number=original.payer_claim_control_number,
        # Priced and filed as the original was drafted: by the tenant's payer record and the
        # fees in force (decisions 017, 018), else the packaged list's.
        payer=claims.billed_payer(original.tenant_id, original.payer_id),
        fees=claims.fees_on(order) if order.payer_id == original.payer_id else None,
        location_id=getattr(original, "location_id", None),
    )
    assert replacement.id == replacement_id
    if not submit:
        return claims.commit(replacement, original)
    replacement.scrub(today)
    replacement.request_submission(1)
    result = claims.commit(replacement, original)
    return SubmissionResult(result.id, result.version, result.position, 1)


def bill_secondary(
    claims: ClaimApplication, claim_id: UUID, *, expected_version: int | None = None
) -> SubmissionResult:
    """Bill what the primary payer left to the patient's secondary coverage (a crossover):
    the balance moves to the secondary payer and the claim is requested for submission to it,
    with the primary's adjudication in loops 2320/2330/2430. The secondary coverage is the
    patient's one in force on the claim's first date of service."""
    claim = claims.load(claim_id, Claim, expected_version=expected_version)
    patient = claims.patients.get_patient(claim.patient_id)
    served_on = min(line.from_date for line in claim.lines)
    coverage = patient.coverage_for_rank(CoverageRank.SECONDARY, served_on)
    if coverage is None:
        raise RuleViolated(
            "secondary_billing_needs_secondary_coverage",
            "the patient has no secondary coverage in force on the date of service",
        )
    claim.transfer_to_secondary(
        coverage.payer_id, coverage.coverage_id, claims.clock.today(),
        claims.filing_limit(claim.tenant_id, coverage.payer_id),
    )
    number = claim.submission_count + 1
    claim.request_submission(number)
    result = claims.commit(claim)
    return SubmissionResult(result.id, result.version, result.position, number)


def _act(
    claims: ClaimApplication,
    claim_id: UUID,
    expected_version: int | None,
    action: Callable[[Claim], object],
) -> CommandResult:
    """Load the claim at the version the client read, let it decide, save once."""
    claim = claims.load(claim_id, Claim, expected_version=expected_version)
    action(claim)
    return claims.commit(claim)


def record_patient_payment(
    claims: ClaimApplication,
    claim_id: UUID,
    *,
    amount: Decimal,
    reference: str,
    received_on: date | None = None,
    expected_version: int | None = None,
) -> CommandResult:
    """A payment from the patient, applied to what the patient owes on the claim's lines."""
    on = received_on or claims.clock.today()
    return _act(claims, claim_id, expected_version,
                lambda claim: claim.record_patient_payment(amount, on, reference))


def refund_patient(
    claims: ClaimApplication,
    claim_id: UUID,
    *,
    amount: Decimal,
    reference: str,
    refunded_on: date | None = None,
    expected_version: int | None = None,
) -> CommandResult:
    """A refund of the patient's credit on the claim."""
    on = refunded_on or claims.clock.today()
    return _act(claims, claim_id, expected_version,
                lambda claim: claim.refund_patient(amount, on, reference))


def write_off(
    claims: ClaimApplication,
    claim_id: UUID,
    *,
    reason: str,
    on: date | None = None,
    expected_version: int | None = None,
) -> CommandResult:
    """Write off every remaining balance (or credit) on a filed claim."""
    day = on or claims.clock.today()
    return _act(claims, claim_id, expected_version, lambda claim: claim.write_off(day, reason))


def decide_appeal(
    claims: ClaimApplication,
    claim_id: UUID,
    *,
    favourable: bool,
    decided_on: date | None = None,
    expected_version: int | None = None,
) -> CommandResult:
    """The payer's decision on the open appeal; money follows as a remittance."""
    day = decided_on or claims.clock.today()
    return _act(claims, claim_id, expected_version,
                lambda claim: claim.decide_appeal(day, favourable))


def close_claim(
    claims: ClaimApplication,
    claim_id: UUID,
    *,
    on: date | None = None,
    expected_version: int | None = None,
) -> CommandResult:
    """Close a claim at zero balance."""
    day = on or claims.clock.today()
    return _act(claims, claim_id, expected_version, lambda claim: claim.close(day))
