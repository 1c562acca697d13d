"""The 837P (005010X222A1) writer: professional claims of a DME supplier.

`render_837p(envelope, submission)` answers one interchange holding one transaction set with
every claim of the batch: one billing-provider level (2000A, the supplier) and, under it, one
subscriber level (2000B) per claim. The inputs are plain values (`Supplier`, `ClaimDocument`),
assembled by `application.submission` from the aggregates, so the writer knows nothing of
the event store.

Choices a reader may question:
- The ordering practitioner is NM1*DK in loop 2420E on every line: the implementation guide
  has no claim-level ordering provider (2310A is the referring provider, NM1*DN), and the DME
  MACs ask for the ordering NPI on each line.
- When the patient is the subscriber: SBR02 18 and no 2000C loop. When not (a spouse's or
  parent's plan), the subscriber's name, birth date and address go in 2010BA, SBR02 is left
  empty, 2000B's HL04 is 1 and a 2000C loop (HL 23, PAT01 relationship) with 2010CA (NM1*QC)
  names the patient; the claim (2300) follows under 2000C (`_claim`).
- REF*6R (line item control number) is the claim line id without dashes: an 835 names it back
  on the SVC it pays, so remittance posting matches lines without guessing.
- Place of service is 12 (home) on the claim; the claim frequency (CLM05-3) is the claim's
  (1 original, 7 replacement, 8 void), and 7/8 carry the payer's original claim number
  (REF*F8).
- A claim billed to a secondary payer carries the primary's adjudication (loop 2320/2330 and
  2430 per line: paid amount and CAS adjustments), as coordination of benefits needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from application.x12.envelope import Envelope, TransactionSet, interchange
from application.x12.segments import Segments, amount, clean, d8, hhmm, rd8

IMPLEMENTATION = "005010X222A1"
DME_SUPPLIER_TAXONOMY = "332B00000X"
HOME = "12"
MAX_DIAGNOSES = 12
MAX_LINES = 50
MAX_CLAIMS_PER_TRANSACTION = 5000


@dataclass(frozen=True)
class PostalAddress:
    line1: str
    line2: str | None
    city: str
    state: str
    postal_code: str  # 5 or 9 digits (the billing provider's must be 9)


@dataclass(frozen=True)
class Supplier:
    """The billing provider, submitter of the batches."""

    name: str
    npi: str
    tax_id: str  # EIN, nine digits
    address: PostalAddress
    contact_name: str
    phone: str  # ten digits
    submitter_id: str  # ISA06 / GS02 / NM1*41, as the clearinghouse enrolled us
    taxonomy: str = DME_SUPPLIER_TAXONOMY


@dataclass(frozen=True)
class BillingProvider:
    """The 2010AA billing provider of a claim: the location of its order."""

    name: str
    npi: str
    tax_id: str  # EIN, nine digits
    address: PostalAddress
    taxonomy: str = DME_SUPPLIER_TAXONOMY


@dataclass(frozen=True)
class Receiver:
    """The clearinghouse: ISA08 / GS03 / NM1*40."""

    name: str
    receiver_id: str


@dataclass(frozen=True)
class Person:
    last_name: str
    first_name: str


# The patient's relationship to the subscriber (X12 element 1069): SBR02 in 2000B only says
# 18 (self); PAT01 in 2000C and SBR02 in 2320 say the others.
SELF = "18"
SPOUSE = "01"
CHILD = "19"
OTHER_RELATIONSHIP = "G8"


@dataclass(frozen=True)
class Subscriber:
    """The insured under one coverage; `relationship` is the patient's relationship to them."""

    name: Person
    member_id: str
    group_number: str | None
    address: PostalAddress
    date_of_birth: date
    sex: str  # F, M or U
    relationship: str = SELF


@dataclass(frozen=True)
class PatientParty:
    """The patient when not the subscriber (2010CA)."""

    name: Person
    address: PostalAddress
    date_of_birth: date
    sex: str  # F, M or U


@dataclass(frozen=True)
class PayerParty:
    name: str
    payer_id: str  # the payer's X12 id (NM1*PR*...*PI)
    claim_filing_indicator: str  # SBR09: MB Medicare Part B, MC Medicaid, CI commercial


@dataclass(frozen=True)
class Practitioner:
    name: Person
    npi: str


@dataclass(frozen=True)
class CasAdjustment:
    group: str  # CO, PR, OA, PI
    reason: str  # CARC
    amount: Decimal


@dataclass(frozen=True)
class PriorLineAdjudication:
    """What the primary payer did with one line (2430)."""

    paid: Decimal
    adjustments: tuple[CasAdjustment, ...]
    paid_on: date


@dataclass(frozen=True)
class ServiceLine:
    line_control_number: str
    hcpcs: str
    modifiers: tuple[str, ...]
    charge: Decimal
    units: int
    from_date: date
    to_date: date
    diagnosis_pointers: tuple[int, ...]
    prior: PriorLineAdjudication | None = None


@dataclass(frozen=True)
class PriorPayer:
    """The primary payer on a claim billed to the secondary (2320/2330A/2330B)."""

    payer: PayerParty
    subscriber: Subscriber
    paid: Decimal


@dataclass(frozen=True)
class ClaimDocument:
    patient_control_number: str
    subscriber: Subscriber
    payer: PayerParty
    payer_responsibility: str  # SBR01: P primary, S secondary
    ordering: Practitioner
    diagnoses: tuple[str, ...]
    lines: tuple[ServiceLine, ...]
    frequency_code: str = "1"
    prior_authorization: str | None = None
    original_claim_number: str | None = None
    prior_payer: PriorPayer | None = None
    patient: PatientParty | None = None  # required when the subscriber is not the patient
    # The location the claim bills as (2010AA); None: the submission's supplier.
    billing_provider: BillingProvider | None = None

    @property
    def charge(self) -> Decimal:
        return sum((line.charge for line in self.lines), Decimal("0"))


@dataclass(frozen=True)
class Submission:
    supplier: Supplier
    receiver: Receiver
    claims: tuple[ClaimDocument, ...]


def render_837p(envelope: Envelope, submission: Submission) -> str:
    """The 837P interchange for every claim of `submission`, under `envelope`."""
    if not submission.claims:
        raise ValueError("an 837P batch holds at least one claim")
    transactions = [
        TransactionSet("837", _transaction(envelope, submission, chunk))
        for chunk in _chunks(submission.claims, MAX_CLAIMS_PER_TRANSACTION)
    ]
    return interchange(envelope, "HC", IMPLEMENTATION, transactions)


def _chunks(claims: Sequence[ClaimDocument], size: int) -> list[Sequence[ClaimDocument]]:
    return [claims[i : i + size] for i in range(0, len(claims), size)]


def _transaction(
    envelope: Envelope, submission: Submission, claims: Sequence[ClaimDocument]
) -> Segments:
    supplier, out = submission.supplier, Segments()
    at = envelope.created_at
    out.add("BHT", "0019", "00", str(envelope.control_number), d8(at), hhmm(at), "CH")
    # 1000A submitter, 1000B receiver
    out.add("NM1", "41", "2", clean(supplier.name, 60), None, None, None, None, "46",
            supplier.submitter_id)
    out.add("PER", "IC", clean(supplier.contact_name, 60), "TE", supplier.phone)
    out.add("NM1", "40", "2", clean(submission.receiver.name, 60), None, None, None, None,
            "46", submission.receiver.receiver_id)
    # One 2000A billing provider level per location billed as, its claims beneath it (the
    # 2000A loop repeats: X12 005010X222A1 section 2.3.2.1, HL structure).
    default = BillingProvider(supplier.name, supplier.npi, supplier.tax_id, supplier.address,
                              supplier.taxonomy)
    by_provider: dict[BillingProvider, list[ClaimDocument]] = {}
    for claim in claims:
        by_provider.setdefault(claim.billing_provider or default, []).append(claim)
    hl = 1
    for provider, provided in by_provider.items():
        parent = hl
        out.add("HL", str(parent), None, "20", "1")
        out.add("PRV", "BI", "PXC", provider.taxonomy)
        out.add("NM1", "85", "2", clean(provider.name, 60), None, None, None, None, "XX",
                provider.npi)
        _address(out, provider.address)
        out.add("REF", "EI", provider.tax_id)
        hl += 1
        for claim in provided:
            hl = _claim(out, hl, claim, parent)
    return out


def _address(out: Segments, address: PostalAddress) -> None:
    out.add("N3", clean(address.line1, 55), clean(address.line2 or "", 55) or None)
    out.add("N4", clean(address.city, 30), address.state, address.postal_code)


def _person(out: Segments, code: str, person: Person, qualifier: str, identifier: str) -> None:
    out.add("NM1", code, "1", clean(person.last_name, 60), clean(person.first_name, 35) or None,
            None, None, None, qualifier, identifier)


def _claim(out: Segments, hl: int, claim: ClaimDocument, parent: int = 1) -> int:
    """Write the claim's 2000B (and 2000C) and 2300 loops from HL `hl`, under the billing
    provider's HL `parent`; the next free HL."""
    if not 1 <= len(claim.lines) <= MAX_LINES:
        raise ValueError(f"a professional claim has 1 to {MAX_LINES} lines")
    if not 1 <= len(claim.diagnoses) <= MAX_DIAGNOSES:
        raise ValueError(f"a professional claim has 1 to {MAX_DIAGNOSES} diagnoses")
    subscriber, payer, patient = claim.subscriber, claim.payer, claim.patient
    is_self = subscriber.relationship == SELF
    if is_self != (patient is None):
        raise ValueError("a patient other than the subscriber is given exactly when not self")
    # 2000B subscriber; HL04 1 when a 2000C patient level follows
    out.add("HL", str(hl), str(parent), "22", "0" if is_self else "1")
    out.add("SBR", claim.payer_responsibility, SELF if is_self else None,
            subscriber.group_number, None, None, None, None, None,
            payer.claim_filing_indicator)
    _person(out, "IL", subscriber.name, "MI", subscriber.member_id)
    _address(out, subscriber.address)
    out.add("DMG", "D8", d8(subscriber.date_of_birth), subscriber.sex)
    # 2010BB payer
    out.add("NM1", "PR", "2", clean(payer.name, 60), None, None, None, None, "PI",
            payer.payer_id)
    next_hl = hl + 1
    if patient is not None:
        # 2000C patient, 2010CA patient name
        out.add("HL", str(next_hl), str(hl), "23", "0")
        out.add("PAT", subscriber.relationship)
        out.add("NM1", "QC", "1", clean(patient.name.last_name, 60),
                clean(patient.name.first_name, 35) or None)
        _address(out, patient.address)
        out.add("DMG", "D8", d8(patient.date_of_birth), patient.sex)
        next_hl += 1
    # 2300 claim
    out.add("CLM", claim.patient_control_number, amount(claim.charge), None, None,
            (HOME, "B", claim.frequency_code), "Y", "A", "Y", "Y")
    if claim.original_claim_number and claim.frequency_code in ("7", "8"):
        out.add("REF", "F8", claim.original_claim_number)
    if claim.prior_authorization:
        out.add("REF", "G1", claim.prior_authorization)
    codes = [code.replace(".", "") for code in claim.diagnoses]
    out.add("HI", ("ABK", codes[0]), *[("ABF", code) for code in codes[1:]])
    if claim.prior_payer is not None:
        _prior_payer(out, claim.prior_payer)
    for number, line in enumerate(claim.lines, start=1):
        _line(out, number, line, claim)
    return next_hl


def _prior_payer(out: Segments, prior: PriorPayer) -> None:
    # 2320 other subscriber information, 2330A other subscriber, 2330B other payer
    out.add("SBR", "P", prior.subscriber.relationship, prior.subscriber.group_number, None,
            None, None, None, None, prior.payer.claim_filing_indicator)
    out.add("AMT", "D", amount(prior.paid))
    out.add("OI", None, None, "Y", None, None, "Y")
    _person(out, "IL", prior.subscriber.name, "MI", prior.subscriber.member_id)
    out.add("NM1", "PR", "2", clean(prior.payer.name, 60), None, None, None, None, "PI",
            prior.payer.payer_id)


def _line(out: Segments, number: int, line: ServiceLine, claim: ClaimDocument) -> None:
    if not 1 <= len(line.diagnosis_pointers) <= 4:
        raise ValueError("a service line points at 1 to 4 diagnoses")
    if not set(line.diagnosis_pointers) <= set(range(1, len(claim.diagnoses) + 1)):
        raise ValueError("a diagnosis pointer names no diagnosis of the claim")
    procedure = ("HC", line.hcpcs, *line.modifiers[:4])
    pointers = tuple(str(p) for p in line.diagnosis_pointers)
    out.add("LX", str(number))
    out.add("SV1", procedure, amount(line.charge), "UN", str(line.units), None, None, pointers)
    qualifier, period = rd8(line.from_date, line.to_date)
    out.add("DTP", "472", qualifier, period)
    out.add("REF", "6R", line.line_control_number)
    # 2420E ordering provider
    _person(out, "DK", claim.ordering.name, "XX", claim.ordering.npi)
    if line.prior is not None and claim.prior_payer is not None:
        # 2430 the primary payer's adjudication of this line
        prior = line.prior
        out.add("SVD", claim.prior_payer.payer.payer_id, amount(prior.paid), procedure, None,
                str(line.units))
        for group in sorted({a.group for a in prior.adjustments}):
            pairs = [a for a in prior.adjustments if a.group == group][:6]
            out.add("CAS", group, *[v for a in pairs for v in (a.reason, amount(a.amount), "")])
        out.add("DTP", "573", "D8", d8(prior.paid_on))
