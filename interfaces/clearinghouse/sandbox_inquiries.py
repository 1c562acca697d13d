"""How the sandbox clearinghouse answers real-time inquiries, as a payer's system would: a 270
with a 271 (005010X279A1), a 276 with a 277 (005010X212), after pyx12 has checked the inquiry
against its implementation guide (a failing one is answered with a 999 rejecting it).

The sandbox has no enrolment data, so its answers follow documented test values, as payers'
test systems do:
- Eligibility: no member id, or a Medicare member id that is not a valid MBI, is refused
  (2100C AAA*N**72*C: invalid/missing subscriber id, please correct and resubmit). A member id
  whose last character is `9` has coverage that ended on the last day of the month before the
  date asked about (EB*6, inactive; DTP*347 plan end). Any other is active (EB*1, plan begun
  on 1 January of that year; DTP*346) for the service type asked about, with the payer's
  insurance type (MB Medicare Part B, MC Medicaid, C1 commercial); Medicare adds EB*A
  co-insurance 20% (Part B pays 80 percent of the fee schedule amount, 42 CFR 414.210(a)).
- Claim status: a member id ending in `9` (coverage ended) is denied (F2, status 1 "for more
  detailed information, see remittance advice", no payment). Otherwise the claim is paid (F1,
  status 1; 80 percent of the charge; EFT trace number) once 14 days have passed since its last
  date of service (Medicare pays a clean electronic claim no earlier than the 14th day after
  receipt, the payment floor: the 14th day for a HIPAA-compliant electronic claim, Pub. 100-04
  ch. 1 section 80.2.1; the sandbox counts from the last date of service), and pending before
  that (P1, status 20 "accepted for processing"). Health care claim status category codes: X12
  external code list 507; status codes: list 508.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from application.x12 import claim_status, eligibility
from application.x12.acknowledgements import SegmentError, TransactionAck, write_999
from application.x12.envelope import Envelope
from application.x12.segments import X12SyntaxError, interchanges
from application.x12.validation import check_with_pyx12
from domain import pricing
from domain.mbi import is_valid_mbi

PAYMENT_FLOOR_DAYS = 14
MEDICARE_SHARE = Decimal("0.80")
INSURANCE_TYPE = {
    pricing.PayerKind.MEDICARE: "MB",
    pricing.PayerKind.MEDICAID: "MC",
    pricing.PayerKind.COMMERCIAL: "C1",
}
ENDED = "9"  # the last character of a member id whose coverage has ended


def answer_inquiry(text: str, clearinghouse_id: str, now: datetime) -> str:
    """The 271, 277 or 999 answering `text`; X12SyntaxError when it is no inquiry at all."""
    isa = interchanges(text)[0]
    sender = isa.segments[0][6].strip() or "SENDER"
    group = next((s for s in isa.segments if s[0] == "GS"), None)
    if group is None or len(group) < 9 or group[1] not in ("HS", "HR"):
        raise X12SyntaxError("not a 270 or 276 inquiry")
    envelope = Envelope(clearinghouse_id, sender, int(isa.control_number) or 1, now)
    refused = _refusal(text)
    if refused is not None:
        return write_999(envelope, group[6], group[8], [refused],
                         transaction_code="270" if group[1] == "HS" else "276")
    today = now.date()
    if group[1] == "HS":
        asked = eligibility.read_270(text)
        return eligibility.write_271(envelope, asked, coverage(asked))
    inquiry = claim_status.read_276(text)
    return claim_status.write_277(envelope, inquiry, status_of(inquiry, today))


def coverage(asked: eligibility.EligibilityInquiry) -> eligibility.EligibilityReply:
    member_id = asked.parties.member_id
    kind = _payer_kind(asked.parties.payer_id)
    if not member_id or (kind is pricing.PayerKind.MEDICARE and not is_valid_mbi(member_id)):
        return eligibility.EligibilityReply(
            asked.trace, asked.parties.payer_id, eligibility.REJECTED, reject_reason="72"
        )
    insurance = INSURANCE_TYPE.get(kind, "C1") if kind else "C1"
    if member_id.endswith(ENDED):
        ended = asked.as_of.replace(day=1) - timedelta(days=1)
        return eligibility.EligibilityReply(
            asked.trace, asked.parties.payer_id, eligibility.INACTIVE,
            plan_begin=date(ended.year, 1, 1), plan_end=ended,
            benefits=(eligibility.Benefit("6", eligibility.HEALTH_BENEFIT_PLAN, insurance),),
        )
    benefits = [eligibility.Benefit("1", asked.service_type, insurance)]
    if kind is pricing.PayerKind.MEDICARE:
        benefits.append(eligibility.Benefit(
            "A", asked.service_type, insurance, percent=Decimal("1") - MEDICARE_SHARE))
    return eligibility.EligibilityReply(
        asked.trace, asked.parties.payer_id, eligibility.ACTIVE,
        plan_begin=date(asked.as_of.year, 1, 1), benefits=tuple(benefits),
    )


def status_of(
    inquiry: claim_status.ClaimStatusInquiry, today: date
) -> claim_status.ClaimStatusReply:
    decided_on = min(inquiry.service_to + timedelta(days=PAYMENT_FLOOR_DAYS), today)
    number = inquiry.payer_claim_control_number or f"SBX{inquiry.trace[:12].upper()}"
    if inquiry.parties.member_id.endswith(ENDED):
        return claim_status.ClaimStatusReply(
            inquiry.trace, "F2", "1", status_on=today, charge=inquiry.charge,
            paid=Decimal("0"), adjudicated_on=decided_on, payer_claim_control_number=number,
        )
    if today - inquiry.service_to < timedelta(days=PAYMENT_FLOOR_DAYS):
        return claim_status.ClaimStatusReply(
            inquiry.trace, "P1", "20", status_on=today, charge=inquiry.charge, paid=Decimal("0"),
        )
    paid = (inquiry.charge * MEDICARE_SHARE).quantize(Decimal("0.01"))
    return claim_status.ClaimStatusReply(
        inquiry.trace, "F1", "1", status_on=today, charge=inquiry.charge, paid=paid,
        adjudicated_on=decided_on, check_on=decided_on,
        check_number=f"EFT{inquiry.trace[:12].upper()}", payer_claim_control_number=number,
    )


def _refusal(text: str) -> TransactionAck | None:
    """A 999 transaction acknowledgement rejecting the inquiry pyx12 finds in error."""
    report = check_with_pyx12(text)
    if report.valid and not report.errors:
        return None
    errors = tuple(
        SegmentError(segment_id=e.where.split(" ")[0], position=1, code="8", loop_id=None)
        for e in report.errors[:5]
    )
    return TransactionAck(control_number="0001", accepted=False, code="5", errors=errors)


def _payer_kind(x12_payer_id: str) -> pricing.PayerKind | None:
    return next(
        (p.kind for p in pricing.payers().values() if p.x12_payer_id == x12_payer_id), None
    )
