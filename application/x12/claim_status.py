"""Claim status: the 276 inquiry Aries sends and the 277 answer it reads, ASC X12 005010X212
(Health Care Claim Status Request and Response). The writer of the 277 is what the sandbox
clearinghouse answers with; reading what it writes is how both are tested.

276 (TR3 section 2.4): BHT*0010*13, the payer (2000A NM1*PR), the clearinghouse's submitter
(2000B NM1*41 with its ETIN, qualifier 46), the supplier (2000C NM1*1P with its NPI), the
subscriber (2000D: DMG, NM1*IL with the member id) and the claim (2200D: TRN*1 our trace,
REF*1K the payer's claim number when it has one, REF*EJ the patient control number (CLM01),
AMT*T3 the total claim charge, DTP*472 the dates of service).

277: the same levels, 2200D TRN*2 echoing our trace and STC: STC01 the status as category
(element 1271, external code list 507: A1-A8 acknowledgements, P0-P5 pending, F0-F4
finalized, R requests, E errors), status code (list 508) and entity; STC02 the status date;
STC04 the total charge; STC05 the payment; STC06 the adjudication date; STC08/09 the check
date and number.
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

IMPLEMENTATION = "005010X212"
# Claim status category codes (list 507) by what a biller does next.
PENDING = frozenset({"P0", "P1", "P2", "P3", "P4", "P5"})
PAID = frozenset({"F1"})
DENIED = frozenset({"F2"})
FINALIZED = frozenset({"F0", "F1", "F2", "F3", "F3F", "F3N", "F4"})
REJECTED = frozenset({"A3", "A4", "A6", "A7", "A8"})
REQUESTS = frozenset({"R0", "R1", "R3", "R4", "R5", "R6", "R7", "R8", "R9", "R10", "R11",
                      "R12", "R13", "R14", "R15", "R16", "R17"})
CATEGORY_TEXT = {
    "A1": "received", "A2": "accepted into adjudication", "A3": "returned as unprocessable",
    "A4": "not found", "A6": "rejected for missing information",
    "A7": "rejected for invalid information", "A8": "rejected for relational field in error",
    "P0": "pending", "P1": "pending: in process", "P2": "pending: in review",
    "P3": "pending: requested information", "F0": "finalized", "F1": "finalized: paid",
    "F2": "finalized: denied", "F4": "finalized: adjudication complete, no payment",
    "E0": "response not possible: error on submitted request data",
}


@dataclass(frozen=True)
class ClaimStatusInquiry:
    parties: InquiryParties
    trace: str  # TRN02 in 2200D: ours, echoed by the 277
    patient_control_number: str  # REF*EJ (CLM01 of the 837P)
    charge: Decimal  # AMT*T3
    service_from: date
    service_to: date
    payer_claim_control_number: str | None = None  # REF*1K, once the payer assigned one


@dataclass(frozen=True)
class ClaimStatusReply:
    trace: str
    category: str  # STC01-1
    status_code: str  # STC01-2
    entity: str | None = None  # STC01-3
    status_on: date | None = None  # STC02
    charge: Decimal | None = None  # STC04
    paid: Decimal | None = None  # STC05
    adjudicated_on: date | None = None  # STC06
    check_on: date | None = None  # STC08
    check_number: str | None = None  # STC09
    payer_claim_control_number: str | None = None  # REF*1K


def write_276(envelope: Envelope, inquiry: ClaimStatusInquiry) -> str:
    p = inquiry.parties
    at = envelope.created_at
    body = Segments()
    body.add("BHT", "0010", "13", inquiry.trace, d8(at), hhmm(at))
    _levels(body, p)
    if p.subscriber_birth_date is not None:
        body.add("DMG", "D8", d8(p.subscriber_birth_date), p.subscriber_sex or "U")
    subscriber_name(body, p)
    body.add("TRN", "1", inquiry.trace)
    if inquiry.payer_claim_control_number:
        body.add("REF", "1K", clean(inquiry.payer_claim_control_number, 50))
    body.add("REF", "EJ", clean(inquiry.patient_control_number, 50))
    body.add("AMT", "T3", amount(inquiry.charge))
    body.add("DTP", "472", "RD8", _period(inquiry))
    return interchange(envelope, "HR", IMPLEMENTATION, [TransactionSet("276", body)])


def read_276(text: str) -> ClaimStatusInquiry:
    """The inquiry a 276 makes (the sandbox reads it to answer); X12SyntaxError if it is not
    one."""
    _, body = one_interchange(text, "276")
    v: dict[str, str] = {}
    for s in body:
        tag, qualifier = s[0], element(s, 1)
        if tag == "NM1" and qualifier in ("PR", "41", "1P", "IL"):
            v[f"name_{qualifier}"], v[f"id_{qualifier}"] = element(s, 3), element(s, 9)
            if qualifier == "IL":
                v["first"] = element(s, 4)
        elif tag in ("TRN", "AMT", "DMG") or (tag == "REF" and qualifier in ("1K", "EJ")):
            v[f"{tag}{qualifier if tag == 'REF' else ''}"] = element(s, 2)
        elif tag == "DTP" and qualifier == "472":
            v["dates"] = element(s, 3)
    first, _, last = v.get("dates", "").partition("-")
    service_from, service_to = parse_date(first), parse_date(last or first)
    if not v.get("TRN") or service_from is None or service_to is None:
        raise X12SyntaxError("a 276 names its trace and dates of service")
    try:
        charge = Decimal(v.get("AMT") or "0")
    except ArithmeticError:
        raise X12SyntaxError("AMT*T3 is not a decimal") from None
    return ClaimStatusInquiry(
        parties=InquiryParties(
            v.get("name_PR", ""), v.get("id_PR", ""), v.get("name_1P", ""), v.get("id_1P", ""),
            v.get("id_41", ""), v.get("name_IL", ""), v.get("first", ""), v.get("id_IL", ""),
            parse_date(v.get("DMG", "")),
        ),
        trace=v["TRN"], patient_control_number=v.get("REFEJ", ""), charge=charge,
        service_from=service_from, service_to=service_to,
        payer_claim_control_number=v.get("REF1K") or None,
    )


def write_277(envelope: Envelope, inquiry: ClaimStatusInquiry, reply: ClaimStatusReply) -> str:
    p = inquiry.parties
    at = envelope.created_at
    body = Segments()
    body.add("BHT", "0010", "08", inquiry.trace, d8(at), hhmm(at), "DG")
    _levels(body, p)
    subscriber_name(body, p)
    body.add("TRN", "2", inquiry.trace)
    body.add(
        "STC", tuple(c for c in (reply.category, reply.status_code, reply.entity) if c),
        d8(reply.status_on) if reply.status_on else None, None,
        amount(reply.charge if reply.charge is not None else Decimal("0")),
        amount(reply.paid if reply.paid is not None else Decimal("0")),  # STC05 is required
        d8(reply.adjudicated_on) if reply.adjudicated_on else None, None,
        d8(reply.check_on) if reply.check_on else None, reply.check_number,
    )
    if reply.payer_claim_control_number:
        body.add("REF", "1K", clean(reply.payer_claim_control_number, 50))
    body.add("REF", "EJ", clean(inquiry.patient_control_number, 50))
    body.add("DTP", "472", "RD8", _period(inquiry))
    return interchange(envelope, "HN", IMPLEMENTATION, [TransactionSet("277", body)])


def read_277(text: str) -> ClaimStatusReply:
    """The first claim status a 277 gives (a 276 asks about one claim); X12SyntaxError if the
    text is not a 277 that answers one."""
    isa, body = one_interchange(text, "277")
    trace = ""
    stc: tuple[str, ...] | None = None
    claim_number = None
    for s in body:
        if s[0] == "TRN" and element(s, 1) == "2":
            trace = element(s, 2)
        elif s[0] == "STC" and stc is None:
            stc = s
        elif s[0] == "REF" and element(s, 1) == "1K":
            claim_number = element(s, 2) or None
    if not trace or stc is None:
        raise X12SyntaxError("a 277 echoes the trace (TRN*2) and gives a status (STC)")
    parts = isa.components(element(stc, 1))
    if len(parts) < 2 or not parts[0] or not parts[1]:
        raise X12SyntaxError("STC01 names a category and a status code")
    return ClaimStatusReply(
        trace=trace, category=parts[0], status_code=parts[1],
        entity=parts[2] if len(parts) > 2 and parts[2] else None,
        status_on=parse_date(element(stc, 2)), charge=_decimal(element(stc, 4)),
        paid=_decimal(element(stc, 5)), adjudicated_on=parse_date(element(stc, 6)),
        check_on=parse_date(element(stc, 8)), check_number=element(stc, 9) or None,
        payer_claim_control_number=claim_number,
    )


def _period(inquiry: ClaimStatusInquiry) -> str:
    """The claim's dates of service: always a range (RD8) at the claim level (2200D DTP02)."""
    return f"{d8(inquiry.service_from)}-{d8(inquiry.service_to)}"


def _levels(body: Segments, p: InquiryParties) -> None:
    payer_level(body, p)
    body.add("HL", "2", "1", "21", "1")
    body.add("NM1", "41", "2", clean(p.provider_name, 60), None, None, None, None, "46",
             clean(p.submitter_id, 80))
    body.add("HL", "3", "2", "19", "1")
    body.add("NM1", "1P", "2", clean(p.provider_name, 60), None, None, None, None, "XX",
             p.provider_npi)
    body.add("HL", "4", "3", "22", "0")


def _decimal(value: str) -> Decimal | None:
    try:
        return Decimal(value) if value else None
    except ArithmeticError:
        return None
