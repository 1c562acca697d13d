"""X12 835 remittances: receive (validate and record), then post to the claims.

`receive_remittance` is what `POST /v1/remittances` calls: the 835 is validated with pyx12
against the 005010X221A1 map (no 999 is generated for inbound 835s: pyx12's 999 writer can
crash on them), parsed, checked to balance, and recorded as `Remittance.Received`. A worker then
calls `post_remittance`, which parses the stored text again and posts it:

- claims are matched by patient control number (CLP01 = `Claim.patient_control_number_for`,
  the first 80 bits of the claim id, so a key-range scan of the claims event log finds the claim
  with no read model and no lag);
- service lines (SVC) by REF*6R (the line item control number: the claim line id, 32 hex digits
  with or without dashes), else by procedure code, modifiers and date of service;
- each matched CLP is posted with `Claim.adjudicate`, which refuses a (trace, payer claim control
  number) it has already posted; lines and claims that match nothing, or that a claim refuses,
  are reported on the remittance (`UnmatchedItem`), never dropped;
- the claims and the remittance's `Posted` are saved in ONE transaction: a remittance is either
  fully posted or not at all, and a second call answers the recorded report and changes nothing.

One 835 transaction (ST/SE: one check or EFT) per file; a file with several is refused.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

import pyx12.errors
import pyx12.params
import pyx12.x12file
import pyx12.x12n_document
from psycopg.sql import SQL, Identifier

from application.eventstore import CommandResult, ConcurrentUpdate
from application.ports import TransientFailure
from domain import pricing
from domain.claim import Claim
from domain.claim_values import Adjustment, AdjustmentGroup, LineAdjudication
from domain.context import current_context
from domain.errors import DomainError, InvalidValue, NotFound, RuleViolated
from domain.remittance import PostedClaim, Remittance, UnmatchedItem

IMPLEMENTATION_GUIDE = "005010X221A1"
ZERO = Decimal("0.00")
POSTING_ATTEMPTS = 3


class InvalidRemittance(InvalidValue):
    """The text is not a well-formed, balanced 835. `errors` lists what is wrong, by segment and
    line number, without element values (an 835 carries patient names and member ids)."""

    def __init__(self, message: str, errors: Sequence[str] = ()) -> None:
        super().__init__("remittance_is_a_valid_835", message)
        self.errors = list(errors)

    def __reduce__(self):  # keep picklable across processes (workers)
        return (type(self), (self.message, self.errors))


class PostingConflict(TransientFailure):
    """A claim changed while the remittance was being posted; posting again will see it."""


# --- The parsed 835 ---------------------------------------------------------------------------


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

    @property
    def payer_id(self) -> str | None:
        """Aries' payer id, when the payer's X12 id is in the payer list."""
        if self.payer_x12_id is None:
            return None
        return next(
            (p.payer_id for p in pricing.payers().values() if p.x12_payer_id == self.payer_x12_id),
            None,
        )


@dataclass(frozen=True)
class RemittanceReport:
    """What posting did. `posted_now` is False when an earlier call had posted it already."""

    remittance_id: UUID
    posted_now: bool
    posted_claims: tuple[PostedClaim, ...]
    unmatched: tuple[UnmatchedItem, ...]
    result: CommandResult | None = None

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (ids, codes and amounts only) for a job's result."""
        return {
            "remittance_id": str(self.remittance_id),
            "posted_now": self.posted_now,
            "claims_posted": [str(c.claim_id) for c in self.posted_claims],
            "unmatched": [
                {
                    "patient_control_number": u.patient_control_number,
                    "procedure": u.procedure,
                    "line_control_number": u.line_control_number,
                    "reason": u.reason,
                }
                for u in self.unmatched
            ],
        }


# --- Validation and parsing -------------------------------------------------------------------


def _quiet_pyx12() -> None:
    # pyx12 logs offending segments verbatim, and an 835 segment can hold a patient's name and
    # member id: PHI must not reach our logs.
    logging.getLogger("pyx12").setLevel(logging.CRITICAL + 1)


def _x12_errors(report: dict[str, Any]) -> list[str]:
    """The error codes pyx12 found, located by level, segment id and line (no values)."""
    found: list[str] = []

    def collect(node: dict[str, Any], where: str) -> None:
        for error in node.get("errors") or []:
            found.append(f"{where} line {node.get('cur_line')}: error {error.get('err_cde')}")

    for isa in report.get("interchanges", []):
        collect(isa, "ISA")
        for gs in isa.get("groups", []):
            collect(gs, "GS")
            for st in gs.get("transactions", []):
                collect(st, "ST")
                for segment in st.get("segments", []):
                    collect(segment, str(segment.get("seg_id", "segment")))
    return found


def validate_835(text: str) -> None:
    """Raise InvalidRemittance unless `text` is a valid 005010X221A1 835 (pyx12's map)."""
    _quiet_pyx12()
    if not isinstance(text, str) or not text.lstrip().startswith("ISA"):
        raise InvalidRemittance("an 835 starts with an ISA segment")
    report = io.StringIO()
    try:
        valid = pyx12.x12n_document.x12n_document(
            pyx12.params.params(), io.StringIO(text), None, None, fd_json=report
        )
    except (pyx12.errors.X12Error, pyx12.errors.EngineError) as error:
        raise InvalidRemittance(
            f"not a readable X12 interchange ({type(error).__name__})"
        ) from None
    try:
        errors = _x12_errors(json.loads(report.getvalue() or "{}"))
    except ValueError:
        errors = []
    if not valid or errors:
        raise InvalidRemittance(
            "the 835 does not follow 005010X221A1", errors or ["pyx12 rejected the file"]
        )


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


def _value(segment: Any, ref: str) -> str:
    return (segment.get_value(ref) or "").strip()


def _adjustments(segment: Any, line: int) -> list[Adjustment]:
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


@dataclass
class _ServiceBuilder:
    segment_line: int
    procedure: str
    modifiers: tuple[str, ...]
    charge: Decimal
    paid: Decimal
    units: Decimal
    line_control_number: str | None = None
    service_date: date | None = None
    allowed: Decimal | None = None
    adjustments: list[Adjustment] = field(default_factory=list)
    rarcs: list[str] = field(default_factory=list)

    def build(self) -> ServicePayment:
        return ServicePayment(
            procedure=self.procedure,
            modifiers=self.modifiers,
            charge=self.charge,
            paid=self.paid,
            units=self.units,
            line_control_number=self.line_control_number,
            service_date=self.service_date,
            allowed=self.allowed,
            adjustments=tuple(self.adjustments),
            rarcs=tuple(dict.fromkeys(self.rarcs)),
        )


@dataclass
class _ClaimBuilder:
    segment_line: int
    patient_control_number: str
    status_code: str
    charge: Decimal
    paid: Decimal
    patient_responsibility: Decimal
    payer_claim_control_number: str
    adjustments: list[Adjustment] = field(default_factory=list)
    rarcs: list[str] = field(default_factory=list)
    services: list[_ServiceBuilder] = field(default_factory=list)

    def build(self) -> ClaimPayment:
        return ClaimPayment(
            patient_control_number=self.patient_control_number,
            status_code=self.status_code,
            charge=self.charge,
            paid=self.paid,
            patient_responsibility=self.patient_responsibility,
            payer_claim_control_number=self.payer_claim_control_number,
            adjustments=tuple(self.adjustments),
            rarcs=tuple(dict.fromkeys(self.rarcs)),
            services=tuple(s.build() for s in self.services),
        )


def parse_835(text: str) -> ParsedRemittance:
    """The payment, claims and service lines of one 835 (read with pyx12's X12Reader), checked
    to balance: each SVC's charge less its adjustments is its payment, each CLP's charge less
    all its adjustments is its payment, and the claims less PLB adjustments make BPR02."""
    header: dict[str, Any] = {}
    claims: list[_ClaimBuilder] = []
    claim: _ClaimBuilder | None = None
    service: _ServiceBuilder | None = None
    entity: str | None = None  # the N1 loop we are in (PR payer, PE payee)
    transactions = 0
    plb_total = ZERO
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
                claim = _ClaimBuilder(
                    segment_line=line,
                    patient_control_number=_value(segment, "CLP01"),
                    status_code=_value(segment, "CLP02"),
                    charge=_money(segment.get_value("CLP03"), f"CLP line {line}"),
                    paid=_money(segment.get_value("CLP04"), f"CLP line {line}"),
                    patient_responsibility=_optional_money(
                        segment.get_value("CLP05"), f"CLP line {line}"
                    )
                    or ZERO,
                    payer_claim_control_number=_value(segment, "CLP07"),
                )
                claims.append(claim)
            elif seg_id == "SVC" and claim is not None:
                composite = [_value(segment, f"SVC01-{i}") for i in range(1, 7)]
                service = _ServiceBuilder(
                    segment_line=line,
                    procedure=composite[1],
                    modifiers=tuple(m for m in composite[2:6] if m),
                    charge=_money(segment.get_value("SVC02"), f"SVC line {line}"),
                    paid=_money(segment.get_value("SVC03"), f"SVC line {line}"),
                    units=Decimal(_value(segment, "SVC05") or "1"),
                )
                claim.services.append(service)
            elif seg_id == "CAS" and claim is not None:
                target = service if service is not None else claim
                target.adjustments.extend(_adjustments(segment, line))
            elif seg_id == "REF" and service is not None and _value(segment, "REF01") == "6R":
                service.line_control_number = _value(segment, "REF02")
            elif seg_id == "DTM" and service is not None and _value(segment, "DTM01") == "472":
                service.service_date = _date(segment.get_value("DTM02"), f"DTM line {line}")
            elif seg_id == "AMT" and service is not None and _value(segment, "AMT01") == "B6":
                service.allowed = _money(segment.get_value("AMT02"), f"AMT line {line}")
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
                    plb_total += amount or ZERO
            elif seg_id == "SE":
                claim = service = None
        reader.close()
    except pyx12.errors.X12Error:
        raise InvalidRemittance("not a readable X12 interchange") from None
    if transactions != 1:
        raise InvalidRemittance(
            f"one 835 transaction (one payment) per file, not {transactions}",
            ["ST count"],
        )
    for required in ("paid_amount", "paid_on", "trace_number", "payer_identifier"):
        if not header.get(required):
            if required == "paid_amount" and "paid_amount" in header:
                continue
            raise InvalidRemittance(f"the 835 has no {required.replace('_', ' ')}", [required])
    if not claims:
        raise InvalidRemittance("the 835 pays no claim (no CLP)", ["CLP"])
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
    )


def _check_balances(claims: list[_ClaimBuilder], paid_amount: Decimal, plb: Decimal) -> None:
    errors = []
    for claim in claims:
        adjusted = sum((a.amount for a in claim.adjustments), ZERO)
        for service in claim.services:
            line_adjusted = sum((a.amount for a in service.adjustments), ZERO)
            adjusted += line_adjusted
            if service.charge - line_adjusted != service.paid:
                errors.append(f"SVC line {service.segment_line}: charge - adjustments != paid")
        if claim.services and claim.charge - adjusted != claim.paid:
            errors.append(f"CLP line {claim.segment_line}: charge - adjustments != paid")
    if sum((c.paid for c in claims), ZERO) - plb != paid_amount:
        errors.append("BPR02 is not the sum of CLP04 less PLB adjustments")
    if errors:
        raise InvalidRemittance("the 835 does not balance", errors)


# --- Receiving --------------------------------------------------------------------------------


def receive_remittance(claims_app: Any, text: str, received_by: str) -> CommandResult:
    """Validate the 835 and record it (`Remittance.Received`) for the caller's tenant.

    InvalidRemittance for a malformed or unbalanced file; RuleViolated `remittance_trace_is_new`
    when this payer's trace number was recorded before (the same check or EFT)."""
    if isinstance(text, bytes):
        try:
            text = text.decode("ascii")
        except UnicodeDecodeError:
            raise InvalidRemittance("an 835 is ASCII text") from None
    validate_835(text)
    parsed = parse_835(text)
    tenant_id = current_context().tenant_id
    remittance = Remittance.receive(
        tenant_id=tenant_id,
        payer_identifier=parsed.payer_identifier,
        payer_id=parsed.payer_id,
        payer_name=parsed.payer_name,
        trace_number=parsed.trace_number,
        paid_amount=parsed.paid_amount,
        paid_on=parsed.paid_on,
        payment_method=parsed.payment_method,
        claim_count=len(parsed.claims),
        raw_835=text,
        received_by=received_by,
    )
    duplicate = RuleViolated(
        "remittance_trace_is_new",
        f"trace {parsed.trace_number} from payer {parsed.payer_identifier} was already received",
    )
    if _exists(claims_app, remittance.id):
        raise duplicate
    try:
        return claims_app.commit(remittance)
    except ConcurrentUpdate:
        # The same trace recorded by a concurrent request between our check and our save.
        raise duplicate from None


def _exists(claims_app: Any, aggregate_id: UUID) -> bool:
    # Not through `load`: another tenant's remittance with the same id cannot exist (the
    # tenant is part of the id), and a missing one is the normal case.
    return bool(claims_app.recorder.select_events(aggregate_id, limit=1))


# --- Posting ----------------------------------------------------------------------------------


def claim_ids_for_control_number(claims_app: Any, patient_control_number: str) -> list[UUID]:
    """Claims whose id starts with the patient control number (its first 20 hex digits).

    The id's first 80 bits make a key range of the events table's primary key, so this is an
    index range scan of the event log itself: no read model, no lag."""
    pcn = patient_control_number.strip().lower()
    if len(pcn) != 20 or any(c not in "0123456789abcdef" for c in pcn):
        return []
    low, high = UUID(pcn + "0" * 12), UUID(pcn + "f" * 12)
    recorder = claims_app.recorder
    statement = SQL(
        "SELECT originator_id FROM {schema}.{table} "
        "WHERE originator_id BETWEEN %s AND %s AND originator_version = 1 AND topic = %s"
    ).format(
        schema=Identifier(recorder.datastore.schema),
        table=Identifier(recorder.events_table_name),
    )
    with recorder.datastore.transaction(commit=False) as cursor:
        cursor.execute(statement, (low, high, Claim.Drafted.TOPIC))  # type: ignore[attr-defined]
        return [row["originator_id"] for row in cursor.fetchall()]


def _normalised_control_number(value: str | None) -> str:
    return (value or "").strip().lower().replace("-", "")


def _match_lines(
    claim: Claim, payment: ClaimPayment
) -> tuple[list[LineAdjudication], list[ServicePayment]]:
    """The SVCs matched to claim lines (REF*6R first, then code, modifiers and date) and the
    SVCs that match no line not already matched."""
    by_control = {line.line_id.hex: line for line in claim.lines}
    used: set[UUID] = set()
    matched: list[LineAdjudication] = []
    unmatched: list[ServicePayment] = []
    services = list(payment.services)
    if not services and len(claim.lines) == 1:
        # A claim-level-only answer for a one-line claim is that line's answer.
        only = claim.lines[0]
        services = [
            ServicePayment(
                procedure=only.hcpcs,
                modifiers=only.modifiers,
                charge=payment.charge,
                paid=payment.paid,
                units=Decimal(only.units),
                line_control_number=only.line_id.hex,
                adjustments=payment.adjustments,
                rarcs=payment.rarcs,
            )
        ]
    for service in services:
        line = by_control.get(_normalised_control_number(service.line_control_number))
        if line is None or line.line_id in used:
            line = _by_code(claim, service, used)
        if line is None:
            unmatched.append(service)
            continue
        used.add(line.line_id)
        matched.append(
            LineAdjudication(
                line_id=line.line_id,
                allowed=service.allowed if service.allowed is not None else _allowed(service),
                paid=service.paid,
                adjustments=service.adjustments,
                rarcs=tuple(dict.fromkeys((*service.rarcs, *payment.rarcs))),
            )
        )
    return matched, unmatched


def _allowed(service: ServicePayment) -> Decimal:
    """Without AMT*B6: what the payer allowed is what it paid plus the patient's share."""
    patient_share = sum(
        (a.amount for a in service.adjustments if a.group is AdjustmentGroup.PR), ZERO
    )
    return service.paid + patient_share


def _by_code(claim: Claim, service: ServicePayment, used: set[UUID]) -> Any:
    candidates = [
        line
        for line in claim.lines
        if line.line_id not in used
        and line.hcpcs == service.procedure
        and (
            service.service_date is None
            or line.from_date <= service.service_date <= line.to_date
        )
    ]
    exact = [c for c in candidates if set(c.modifiers) == set(service.modifiers)]
    if exact:
        return exact[0]
    return candidates[0] if len(candidates) == 1 else None


def _unmatched(
    payment: ClaimPayment, reason: str, services: Iterable[ServicePayment] | None = None
) -> list[UnmatchedItem]:
    if services is None:
        return [
            UnmatchedItem(
                patient_control_number=payment.patient_control_number,
                payer_claim_control_number=payment.payer_claim_control_number,
                procedure=None,
                modifiers=(),
                line_control_number=None,
                charge=payment.charge,
                paid=payment.paid,
                reason=reason,
            )
        ]
    return [
        UnmatchedItem(
            patient_control_number=payment.patient_control_number,
            payer_claim_control_number=payment.payer_claim_control_number,
            procedure=s.procedure,
            modifiers=s.modifiers,
            line_control_number=s.line_control_number,
            charge=s.charge,
            paid=s.paid,
            reason=reason,
        )
        for s in services
    ]


def _find_claim(claims_app: Any, patient_control_number: str) -> Claim | None:
    for claim_id in claim_ids_for_control_number(claims_app, patient_control_number):
        try:
            return claims_app.load(claim_id, Claim)  # tenant scoped: another's is not found
        except NotFound:
            continue
    return None


def _plan_posting(
    claims_app: Any, remittance: Remittance, parsed: ParsedRemittance
) -> tuple[dict[UUID, Claim], list[PostedClaim], list[UnmatchedItem]]:
    touched: dict[UUID, Claim] = {}
    posted: list[PostedClaim] = []
    unmatched: list[UnmatchedItem] = []
    for payment in parsed.claims:
        claim = _find_claim(claims_app, payment.patient_control_number)
        if claim is not None and claim.id in touched:
            claim = touched[claim.id]  # a reversal and its correction on one check
        if claim is None:
            unmatched += _unmatched(payment, "no claim has this patient control number")
            continue
        key = (remittance.trace_number, payment.payer_claim_control_number)
        if key in claim.posted_remittances:
            # Posted by an earlier run that recorded the claim but not the remittance's
            # Posted: cannot happen with one transaction, but a replayed history may hold it.
            posted.append(_posted(claim, payment))
            continue
        lines, leftovers = _match_lines(claim, payment)
        if leftovers:
            unmatched += _unmatched(payment, "no claim line matches REF*6R or the service code",
                                    leftovers)
        if not lines:
            if not leftovers:
                unmatched += _unmatched(payment, "the CLP has no service lines to post")
            continue
        payer = parsed.payer_id
        if payer is not None and payer not in (claim.payer_id, claim.secondary_payer_id):
            payer = None  # not ours to decide here: the claim posts to the payer billed now
        try:
            claim.adjudicate(
                remittance_trace=remittance.trace_number,
                payer_claim_control_number=payment.payer_claim_control_number,
                status_code=payment.status_code,
                lines=lines,
                paid_on=parsed.paid_on,
                payer_id=payer,
            )
        except DomainError as refused:
            rule = getattr(refused, "rule", type(refused).__name__)
            unmatched += _unmatched(payment, f"the claim refused the posting: {rule}")
            continue
        touched[claim.id] = claim
        posted.append(_posted(claim, payment))
    return touched, posted, unmatched


def _posted(claim: Claim, payment: ClaimPayment) -> PostedClaim:
    return PostedClaim(
        claim_id=claim.id,
        patient_control_number=payment.patient_control_number,
        payer_claim_control_number=payment.payer_claim_control_number,
        status_code=payment.status_code,
        paid=payment.paid,
    )


def _report(remittance: Remittance, posted_now: bool, result: CommandResult | None = None):
    return RemittanceReport(
        remittance_id=remittance.id,
        posted_now=posted_now,
        posted_claims=remittance.posted_claims,
        unmatched=remittance.unmatched,
        result=result,
    )


def post_remittance(claims: Any, remittance_id: UUID) -> RemittanceReport:
    """Post a received remittance to its claims, once. A second call changes nothing and
    answers what the first one posted. PostingConflict (transient) when claims kept changing
    under it."""
    for _ in range(POSTING_ATTEMPTS):
        remittance = claims.load(remittance_id, Remittance)
        if remittance.is_posted:
            return _report(remittance, posted_now=False)
        parsed = parse_835(remittance.raw_835)
        touched, posted, unmatched = _plan_posting(claims, remittance, parsed)
        remittance.record_posting(posted, unmatched, posted_at=claims.clock.now())
        try:
            result = claims.commit(remittance, *touched.values())
        except ConcurrentUpdate:
            continue  # a claim (or the remittance) moved on: plan again from what is stored
        return _report(remittance, posted_now=True, result=result)
    raise PostingConflict(f"remittance {remittance_id}: claims kept changing while posting")
