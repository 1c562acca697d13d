"""The X12 835 reader (005010X221A1): one remittance file validated with pyx12 and read into
typed values (`ParsedRemittance` > `ClaimPayment` > `ServicePayment`, and the PLB
`ProviderAdjustment`s), checked to balance.

No 999 is generated for inbound 835s (pyx12's 999 writer can crash on them). Errors name the
segment, line and element, never element values: an 835 carries patient names and member ids.

An interchange may hold several 835 transactions (ST/SE), each one payment (one BPR/TRN: a
check or an EFT; TR3 005010X221A1 section 1.10.1). `split_835` cuts such a file into one
interchange per transaction (the payer's own ISA/GS envelope, GE/IEA counts of one), each
received and posted on its own. A UTF-8 byte-order mark and whitespace around the text (what
Windows tools and e-mail gateways add) are not part of the X12 and are dropped
(`normalised_835`).

Balancing (TR3 section 1.10.2; CMS Pub. 100-04 ch. 22 section 30): each SVC's charge less its
CAS is its payment (SVC02 - CAS = SVC03), each claim's charge less all its CAS is its payment
(CLP03 - CAS = CLP04), and the claims less the provider-level adjustments are the payment
(BPR02 = sum of CLP04 - sum of PLB amounts).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Generic, TypeVar

import pyx12.errors
import pyx12.x12file
from pyx12.segment import Segment

from application.x12.segments import X12SyntaxError, interchanges
from application.x12.validation import check_with_pyx12
from domain import pricing
from domain.claim_values import Adjustment, AdjustmentGroup
from domain.errors import InvalidValue
from domain.remittance import ProviderAdjustment

IMPLEMENTATION_GUIDE = "005010X221A1"
ZERO = Decimal("0.00")


class InvalidRemittance(InvalidValue):
    """The text is not a well-formed, balanced 835. `errors` lists what is wrong, by segment and
    line number, without element values (an 835 carries patient names and member ids)."""

    def __init__(self, message: str, errors: Sequence[str] = ()) -> None:
        super().__init__("remittance_is_a_valid_835", message)
        self.errors = list(errors)

    def __reduce__(self):  # keep picklable across processes (workers)
        return (type(self), (self.message, self.errors))


@dataclass(frozen=True)
class ServicePayment:
    """One SVC (2110 loop): the payer's answer for one billed line."""

    procedure: str
    modifiers: tuple[str, ...]
    charge: Decimal
    paid: Decimal
    units: Decimal
    line_control_number: str | None = None
    service_date: date | None = None
    allowed: Decimal | None = None
    adjustments: tuple[Adjustment, ...] = ()
    rarcs: tuple[str, ...] = ()


@dataclass(frozen=True)
class ClaimPayment:
    """One CLP (2100 loop)."""

    patient_control_number: str
    status_code: str
    charge: Decimal
    paid: Decimal
    patient_responsibility: Decimal
    payer_claim_control_number: str
    adjustments: tuple[Adjustment, ...] = ()
    rarcs: tuple[str, ...] = ()
    services: tuple[ServicePayment, ...] = ()


@dataclass(frozen=True)
class ParsedRemittance:
    payer_identifier: str  # TRN03: the originating company (the payer)
    payer_x12_id: str | None  # REF*2U, or N1*PR with an XV/PI identifier
    payer_name: str
    trace_number: str  # TRN02: the check or EFT trace number
    paid_amount: Decimal  # BPR02
    payment_method: str  # BPR04: ACH, CHK, BOP, FWT or NON
    paid_on: date  # BPR16: the check or EFT effective date
    claims: tuple[ClaimPayment, ...]
    provider_adjustments: Decimal = ZERO  # sum of PLB amounts (they reduce the payment)
    provider_ledger: tuple[ProviderAdjustment, ...] = ()  # each PLB adjustment, in order

    @property
    def payer_id(self) -> str | None:
        """Aries' payer id, when the payer's X12 id is in the packaged payer list (the
        tenant's own records answer first: `application.remittance_payers`)."""
        if self.payer_x12_id is None:
            return None
        return next(
            (p.payer_id for p in pricing.payers().values() if p.x12_payer_id == self.payer_x12_id),
            None,
        )


# --- Validation -------------------------------------------------------------------------------


def normalised_835(text: str | bytes) -> str:
    """The X12 text without what surrounds it in transit: a UTF-8 byte-order mark and leading
    or trailing whitespace (spaces, CR/LF). InvalidRemittance when it is not text in the X12
    basic/extended character set (ASCII here)."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig").encode("ascii").decode("ascii")
        except UnicodeError:
            raise InvalidRemittance("an 835 is ASCII text") from None
    if not isinstance(text, str):
        raise InvalidRemittance("an 835 is text")
    return text.lstrip("\ufeff").strip()


def validate_835(text: str) -> None:
    """Raise InvalidRemittance unless `text` is a valid 005010X221A1 835 (pyx12's map); its
    `errors` name each of pyx12's errors by segment, line and element."""
    if not isinstance(text, str) or not text.lstrip().startswith("ISA"):
        raise InvalidRemittance("an 835 starts with an ISA segment")
    try:
        report = check_with_pyx12(text)
    except X12SyntaxError as error:
        raise InvalidRemittance(str(error)) from None
    errors = [f"{e.where}: error {e.code}" for e in report.errors]
    if not report.valid or errors:
        raise InvalidRemittance(
            "the 835 does not follow 005010X221A1", errors or ["pyx12 rejected the file"]
        )


# --- Parsing ----------------------------------------------------------------------------------


def _money(value: str | None, where: str) -> Decimal:
    try:
        amount = Decimal((value or "").strip())
    except InvalidOperation:
        raise InvalidRemittance(f"{where} is not an amount", [where]) from None
    if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
        raise InvalidRemittance(f"{where} is not exact to the cent", [where])
    return amount.quantize(Decimal("0.01"))


def _optional_money(value: str | None, where: str) -> Decimal | None:
    return None if not (value or "").strip() else _money(value, where)


def _iso_basic(value: str | None) -> str:
    text = (value or "").strip()
    if len(text) != 8 or not text.isdigit():
        raise ValueError(text)
    return f"{text[:4]}-{text[4:6]}-{text[6:]}"


def _date(value: str | None, where: str) -> date:
    try:
        return date.fromisoformat(_iso_basic(value))
    except ValueError:
        raise InvalidRemittance(f"{where} is not a CCYYMMDD date", [where]) from None


def _value(segment: Segment, ref: str) -> str:
    return (segment.get_value(ref) or "").strip()


def _adjustments(segment: Segment, line: int) -> list[Adjustment]:
    """One CAS: a group and up to six (reason, amount, quantity) triples."""
    group_code = _value(segment, "CAS01")
    try:
        group = AdjustmentGroup(group_code)
    except ValueError:
        raise InvalidRemittance(
            f"CAS group {group_code!r} is not CO, PR, OA or PI", [f"CAS line {line}"]
        ) from None
    found = []
    for i in range(2, 19, 3):
        carc = _value(segment, f"CAS{i:02d}")
        if carc:
            amount = _money(segment.get_value(f"CAS{i + 1:02d}"), f"CAS line {line}")
            found.append(Adjustment(group=group, carc=carc, amount=amount))
    return found


Payment = TypeVar("Payment", ClaimPayment, ServicePayment)


@dataclass
class _Reading(Generic[Payment]):
    """A CLP or SVC being read: the values of its own segment (`payment`), then the
    adjustments and remark codes of the segments after it."""

    segment_line: int
    payment: Payment
    adjustments: list[Adjustment] = field(default_factory=list)
    rarcs: list[str] = field(default_factory=list)

    def build(self) -> Payment:
        return replace(
            self.payment,
            adjustments=tuple(self.adjustments),
            rarcs=tuple(dict.fromkeys(self.rarcs)),
        )


@dataclass
class _ClaimReading(_Reading[ClaimPayment]):
    services: list[_Reading[ServicePayment]] = field(default_factory=list)

    def build(self) -> ClaimPayment:
        return replace(super().build(), services=tuple(s.build() for s in self.services))


def parse_835(text: str) -> ParsedRemittance:
    """The payment, claims and service lines of one 835 (read with pyx12's X12Reader), checked
    to balance: each SVC's charge less its adjustments is its payment, each CLP's charge less
    all its adjustments is its payment, and the claims less PLB adjustments make BPR02."""
    header: dict[str, Any] = {}
    claims: list[_ClaimReading] = []
    claim: _ClaimReading | None = None
    service: _Reading[ServicePayment] | None = None
    entity: str | None = None  # the N1 loop we are in (PR payer, PE payee)
    transactions = 0
    plb_total = ZERO
    provider_ledger: list[ProviderAdjustment] = []
    try:
        reader = pyx12.x12file.X12Reader(io.StringIO(text))
        for line, segment in enumerate(reader, start=1):
            seg_id = segment.get_seg_id()
            if seg_id == "GS" and _value(segment, "GS08") != IMPLEMENTATION_GUIDE:
                raise InvalidRemittance(f"GS08 is not {IMPLEMENTATION_GUIDE}", [f"GS line {line}"])
            elif seg_id == "ST":
                transactions += 1
                if _value(segment, "ST01") != "835":
                    raise InvalidRemittance("the set is not an 835", [f"ST line {line}"])
            elif seg_id == "BPR":
                header["paid_amount"] = _money(segment.get_value("BPR02"), f"BPR line {line}")
                header["payment_method"] = _value(segment, "BPR04")
                header["paid_on"] = _date(segment.get_value("BPR16"), f"BPR line {line}")
            elif seg_id == "TRN":
                header["trace_number"] = _value(segment, "TRN02")
                header["payer_identifier"] = _value(segment, "TRN03")
            elif seg_id == "N1":
                entity = _value(segment, "N101")
                if entity == "PR":
                    header["payer_name"] = _value(segment, "N102")
                    if _value(segment, "N103") in ("XV", "PI") and _value(segment, "N104"):
                        header.setdefault("payer_x12_id", _value(segment, "N104"))
            elif seg_id == "REF" and claim is None and entity == "PR":
                if _value(segment, "REF01") == "2U":
                    header["payer_x12_id"] = _value(segment, "REF02")
            elif seg_id == "CLP":
                service = None
                claim = _ClaimReading(
                    line,
                    ClaimPayment(
                        patient_control_number=_value(segment, "CLP01"),
                        status_code=_value(segment, "CLP02"),
                        charge=_money(segment.get_value("CLP03"), f"CLP line {line}"),
                        paid=_money(segment.get_value("CLP04"), f"CLP line {line}"),
                        patient_responsibility=_optional_money(
                            segment.get_value("CLP05"), f"CLP line {line}"
                        )
                        or ZERO,
                        payer_claim_control_number=_value(segment, "CLP07"),
                    ),
                )
                claims.append(claim)
            elif seg_id == "SVC" and claim is not None:
                composite = [_value(segment, f"SVC01-{i}") for i in range(1, 7)]
                service = _Reading(
                    line,
                    ServicePayment(
                        procedure=composite[1],
                        modifiers=tuple(m for m in composite[2:6] if m),
                        charge=_money(segment.get_value("SVC02"), f"SVC line {line}"),
                        paid=_money(segment.get_value("SVC03"), f"SVC line {line}"),
                        units=Decimal(_value(segment, "SVC05") or "1"),
                    ),
                )
                claim.services.append(service)
            elif seg_id == "CAS" and claim is not None:
                target = service if service is not None else claim
                target.adjustments.extend(_adjustments(segment, line))
            elif seg_id == "REF" and service is not None and _value(segment, "REF01") == "6R":
                service.payment = replace(
                    service.payment, line_control_number=_value(segment, "REF02")
                )
            elif seg_id == "DTM" and service is not None and _value(segment, "DTM01") == "472":
                service.payment = replace(
                    service.payment,
                    service_date=_date(segment.get_value("DTM02"), f"DTM line {line}"),
                )
            elif seg_id == "AMT" and service is not None and _value(segment, "AMT01") == "B6":
                service.payment = replace(
                    service.payment,
                    allowed=_money(segment.get_value("AMT02"), f"AMT line {line}"),
                )
            elif seg_id == "LQ" and service is not None and _value(segment, "LQ01") == "HE":
                service.rarcs.append(_value(segment, "LQ02"))
            elif seg_id in ("MOA", "MIA") and claim is not None:
                # Claim-level remark codes (outpatient MOA03-07 / inpatient MIA05, 20-24).
                refs = (3, 4, 5, 6, 7) if seg_id == "MOA" else (5, 20, 21, 22, 23)
                claim.rarcs.extend(
                    code for code in (_value(segment, f"{seg_id}{i:02d}") for i in refs) if code
                )
            elif seg_id == "PLB":
                claim = service = None
                for i in range(4, 15, 2):
                    amount = _optional_money(segment.get_value(f"PLB{i:02d}"), f"PLB line {line}")
                    if amount is None:
                        continue
                    plb_total += amount
                    provider_ledger.append(
                        ProviderAdjustment(
                            provider_id=_value(segment, "PLB01"),
                            fiscal_period=_date(segment.get_value("PLB02"), f"PLB line {line}"),
                            code=_value(segment, f"PLB{i - 1:02d}-1"),
                            reference=_value(segment, f"PLB{i - 1:02d}-2") or None,
                            amount=amount,
                        )
                    )
            elif seg_id == "SE":
                claim = service = None
        reader.close()
    except pyx12.errors.X12Error:
        raise InvalidRemittance("not a readable X12 interchange") from None
    if transactions != 1:
        raise InvalidRemittance(
            f"one 835 transaction (one payment) per text, not {transactions}: split it first",
            ["ST count"],
        )
    for required in ("paid_amount", "paid_on", "trace_number", "payer_identifier"):
        if not header.get(required):
            if required == "paid_amount" and "paid_amount" in header:
                continue
            raise InvalidRemittance(f"the 835 has no {required.replace('_', ' ')}", [required])
    if not claims and not provider_ledger:
        raise InvalidRemittance("the 835 pays no claim (no CLP) and adjusts nothing (no PLB)",
                                ["CLP"])
    _check_balances(claims, header["paid_amount"], plb_total)
    return ParsedRemittance(
        payer_identifier=header["payer_identifier"],
        payer_x12_id=header.get("payer_x12_id") or None,
        payer_name=header.get("payer_name", ""),
        trace_number=header["trace_number"],
        paid_amount=header["paid_amount"],
        payment_method=header.get("payment_method", ""),
        paid_on=header["paid_on"],
        claims=tuple(c.build() for c in claims),
        provider_adjustments=plb_total,
        provider_ledger=tuple(provider_ledger),
    )


def split_835(text: str) -> list[str]:
    """One interchange per 835 transaction (ST...SE) of `text`, in order: the payer's ISA and
    GS as sent, the transaction's segments verbatim, and GE/IEA counting one. Each is a valid
    835 on its own, so each payment is received, stored and posted on its own."""
    try:
        found = interchanges(text)
    except X12SyntaxError as error:
        raise InvalidRemittance(str(error)) from None
    result = []
    for exchange in found:
        element, terminator = exchange.element, exchange.terminator
        isa, gs, current = exchange.segments[0], None, None
        for segment in exchange.segments[1:]:
            if segment[0] == "GS":
                gs = segment
            elif segment[0] == "ST":
                current = [segment]
            elif current is not None:
                current.append(segment)
                if segment[0] == "SE":
                    if gs is None:
                        raise InvalidRemittance("an 835 transaction outside a GS group", ["GS"])
                    trailer = [("GE", "1", gs[6]), ("IEA", "1", isa[13])]
                    result.append(
                        "".join(
                            element.join(s) + terminator + "\n"
                            for s in (isa, gs, *current, *trailer)
                        )
                    )
                    current = None
    if not result:
        raise InvalidRemittance("the interchange holds no 835 transaction", ["ST"])
    return result


def _check_balances(claims: list[_ClaimReading], paid_amount: Decimal, plb: Decimal) -> None:
    errors = []
    for claim in claims:
        adjusted = sum((a.amount for a in claim.adjustments), ZERO)
        for service in claim.services:
            line_adjusted = sum((a.amount for a in service.adjustments), ZERO)
            adjusted += line_adjusted
            if service.payment.charge - line_adjusted != service.payment.paid:
                errors.append(f"SVC line {service.segment_line}: charge - adjustments != paid")
        if claim.services and claim.payment.charge - adjusted != claim.payment.paid:
            errors.append(f"CLP line {claim.segment_line}: charge - adjustments != paid")
    if sum((c.payment.paid for c in claims), ZERO) - plb != paid_amount:
        errors.append("BPR02 is not the sum of CLP04 less PLB adjustments")
    if errors:
        raise InvalidRemittance("the 835 does not balance", errors)
