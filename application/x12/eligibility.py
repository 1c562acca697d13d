"""Eligibility: the 270 inquiry Aries sends and the 271 answer it reads, ASC X12 005010X279A1
(Health Care Eligibility Benefit Inquiry and Response). The writer of the 271 is what the
sandbox clearinghouse answers with; reading what it writes is how both are tested.

270 (TR3 section 2.4): BHT*0022*13, the payer level (2000A/2100A NM1*PR), the supplier level
(2000B/2100B NM1*1P with its NPI), the subscriber level (2000C: TRN*1 our trace, 2100C NM1*IL
with the member id, DMG birth date, DTP*291 the date asked about) and one EQ per service type
asked about: 12 (Durable Medical Equipment Purchase) or 18 (Durable Medical Equipment Rental),
X12 element 1365.

271: the same levels, TRN*2 echoing our trace, then either 2100C AAA (the request was not
valid: AAA03 72 invalid/missing subscriber id, 75 subscriber not found, ...; AAA04 C "please
correct and resubmit") or the benefits: EB01 (element 1390) 1-5 say active coverage, 6-8
inactive (6 Inactive, 7 Inactive - Pending Eligibility Update, 8 Inactive - Pending
Investigation); DTP*346/347 the plan's begin and end dates. Coverage counts as active when any
EB01 is 1-5 and none is 6-8 for the same service type asked about or 30 (Health Benefit Plan
Coverage).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from application.x12.envelope import Envelope, TransactionSet, interchange
from application.x12.inquiry_parties import (
    InquiryParties,
    element,
    one_interchange,
    parse_date,
    payer_level,
    subscriber_name,
)
from application.x12.segments import Segments, X12SyntaxError, amount, clean, d8, hhmm

IMPLEMENTATION = "005010X279A1"
DME_PURCHASE = "12"
DME_RENTAL = "18"
HEALTH_BENEFIT_PLAN = "30"
ACTIVE_CODES = frozenset("12345")
INACTIVE_CODES = frozenset("678")
ACTIVE, INACTIVE, REJECTED = "active", "inactive", "rejected"
# AAA03 (element 901, reject reason codes) the sandbox answers with and readers name.
REJECT_REASON_TEXT = {
    "42": "unable to respond at current time",
    "72": "invalid/missing subscriber/insured id",
    "73": "invalid/missing subscriber/insured name",
    "75": "subscriber/insured not found",
}


@dataclass(frozen=True)
class EligibilityInquiry:
    parties: InquiryParties
    trace: str  # TRN02: ours, echoed by the 271
    as_of: date  # DTP*291: the date the coverage is asked about
    service_type: str = DME_PURCHASE


@dataclass(frozen=True)
class Benefit:
    """One EB: the information code (1 active ... 6 inactive, C deductible, A co-insurance),
    the service type, the insurance type (MB Medicare Part B, MC Medicaid, C1 commercial), and
    an amount or percent when it has one."""

    code: str
    service_type: str
    insurance_type: str | None = None
    amount: Decimal | None = None
    percent: Decimal | None = None


@dataclass(frozen=True)
class EligibilityReply:
    trace: str
    payer_id: str
    coverage: str  # ACTIVE, INACTIVE or REJECTED
    plan_begin: date | None = None
    plan_end: date | None = None
    benefits: tuple[Benefit, ...] = ()
    reject_reason: str | None = None  # AAA03 when REJECTED


def write_270(envelope: Envelope, inquiry: EligibilityInquiry) -> str:
    p = inquiry.parties
    body = _levels(envelope, inquiry, purpose="13", trace_type="1")
    if p.subscriber_birth_date is not None:
        body.add("DMG", "D8", d8(p.subscriber_birth_date), p.subscriber_sex)
    body.add("DTP", "291", "D8", d8(inquiry.as_of))
    body.add("EQ", inquiry.service_type)
    return interchange(envelope, "HS", IMPLEMENTATION, [TransactionSet("270", body)])


def read_270(text: str) -> EligibilityInquiry:
    """The inquiry a 270 makes (the sandbox reads it to answer); X12SyntaxError if it is not
    one."""
    isa, body = one_interchange(text, "270")
    values: dict[str, str] = {}
    for s in body:
        tag, qualifier = s[0], element(s, 1)
        if tag == "NM1" and qualifier == "PR":
            values.update(payer_name=element(s, 3), payer_id=element(s, 9))
        elif tag == "NM1" and qualifier == "1P":
            values.update(provider_name=element(s, 3), provider_npi=element(s, 9))
        elif tag == "NM1" and qualifier == "IL":
            values.update(last=element(s, 3), first=element(s, 4), member_id=element(s, 9))
        elif tag == "DMG":
            values.update(birth=element(s, 2), sex=element(s, 3))
        elif tag == "TRN":
            values["trace"] = element(s, 2)
        elif tag == "DTP" and qualifier == "291":
            values["as_of"] = element(s, 3)
        elif tag == "EQ":
            values.setdefault("service_type", element(s, 1))
    as_of = parse_date(values.get("as_of", ""))
    if "trace" not in values or as_of is None:
        raise X12SyntaxError("a 270 names its trace and date")
    return EligibilityInquiry(
        parties=InquiryParties(
            values.get("payer_name", ""), values.get("payer_id", ""),
            values.get("provider_name", ""), values.get("provider_npi", ""),
            isa.segments[0][6].strip(), values.get("last", ""), values.get("first", ""),
            values.get("member_id", ""), parse_date(values.get("birth", "")),
            values.get("sex") or None,
        ),
        trace=values["trace"],
        as_of=as_of,
        service_type=values.get("service_type", DME_PURCHASE),
    )


def write_271(envelope: Envelope, inquiry: EligibilityInquiry, reply: EligibilityReply) -> str:
    p = inquiry.parties
    body = _levels(envelope, inquiry, purpose="11", trace_type="2")
    if reply.coverage == REJECTED:
        body.add("AAA", "N", None, reply.reject_reason or "75", "C")
    if p.subscriber_birth_date is not None:
        body.add("DMG", "D8", d8(p.subscriber_birth_date))
    if reply.plan_begin is not None:
        body.add("DTP", "346", "D8", d8(reply.plan_begin))
    if reply.plan_end is not None:
        body.add("DTP", "347", "D8", d8(reply.plan_end))
    for b in reply.benefits:
        body.add("EB", b.code, "IND", b.service_type, b.insurance_type, None, None,
                 amount(b.amount) if b.amount is not None else None,
                 amount(b.percent) if b.percent is not None else None)
    return interchange(envelope, "HB", IMPLEMENTATION, [TransactionSet("271", body)])


def read_271(text: str) -> EligibilityReply:
    """What a 271 says of the coverage; X12SyntaxError if the text is not a 271."""
    _, body = one_interchange(text, "271")
    trace = payer_id = reject = ""
    begin = end = None
    benefits: list[Benefit] = []
    for s in body:
        tag, qualifier = s[0], element(s, 1)
        if tag == "NM1" and qualifier == "PR":
            payer_id = element(s, 9)
        elif tag == "TRN" and qualifier == "2":
            trace = element(s, 2)
        elif tag == "AAA" and element(s, 1) == "N":
            reject = reject or element(s, 3)
        elif tag == "DTP" and qualifier == "346":
            begin = parse_date(element(s, 3))
        elif tag == "DTP" and qualifier == "347":
            end = parse_date(element(s, 3))
        elif tag == "EB":
            benefits.append(Benefit(
                qualifier, element(s, 3), element(s, 4) or None,
                _decimal(element(s, 7)), _decimal(element(s, 8)),
            ))
    if not trace:
        raise X12SyntaxError("a 271 echoes the inquiry's trace (TRN*2)")
    return EligibilityReply(
        trace=trace, payer_id=payer_id, coverage=_coverage(reject, benefits),
        plan_begin=begin, plan_end=end, benefits=tuple(benefits), reject_reason=reject or None,
    )


def _levels(
    envelope: Envelope, inquiry: EligibilityInquiry, *, purpose: str, trace_type: str
) -> Segments:
    """BHT (BHT02 13 request, 11 response), the payer, supplier and subscriber levels, and the
    subscriber's TRN (TRN01 1 our trace, 2 the trace echoed) and name: alike in 270 and 271."""
    p = inquiry.parties
    at = envelope.created_at
    body = Segments()
    body.add("BHT", "0022", purpose, inquiry.trace, d8(at), hhmm(at))
    payer_level(body, p)
    body.add("HL", "2", "1", "21", "1")
    body.add("NM1", "1P", "2", clean(p.provider_name, 60), None, None, None, None, "XX",
             p.provider_npi)
    body.add("HL", "3", "2", "22", "0")
    body.add("TRN", trace_type, inquiry.trace, _originator(p))
    subscriber_name(body, p)
    return body


def _coverage(reject: str, benefits: list[Benefit]) -> str:
    if reject or not benefits:
        return REJECTED
    if any(b.code in INACTIVE_CODES for b in benefits):
        return INACTIVE
    if any(b.code in ACTIVE_CODES for b in benefits):
        return ACTIVE
    return REJECTED


def _originator(parties: InquiryParties) -> str:
    """TRN03: "9" (an id the sender assigns itself) and nine characters: the supplier NPI's
    first nine digits."""
    return "9" + (parties.provider_npi + "000000000")[:9]


def _decimal(value: str) -> Decimal | None:
    try:
        return Decimal(value) if value else None
    except ArithmeticError:
        return None
