"""The answers to an 837P batch: TA1 (interchange), 999 (005010X231A1, implementation-guide
syntax per transaction set) and 277CA (005010X214, the front end's verdict per claim). A 997
(the X12 functional acknowledgment some payers and clearinghouses still send instead of the
999) is read like a 999: its AK3/AK4/AK5 carry what the 999's IK3/IK4/IK5 carry, at the same
element positions (X12 997 004010/005010 standard; 999 TR3 005010X231A1 section 1.4 says the
999 replaces the 997 for implementation-guide errors).

`read_answer(text)` reads whatever a clearinghouse sent back (one or several interchanges, in
any order) into an `Answer`. The writers (`write_ta1`, `write_999`, `write_277ca`) are what
the sandbox clearinghouse answers with; reading what they write is how both are tested.

A 277CA claim is rejected when any of its status categories (claim or service line) is a
rejection: A3 (returned as unprocessable), A4 (not found), A6 (missing information), A7
(invalid information) or A8 (relational field in error). Reasons are written as
`category:status[:entity] text`, codes first so a biller can look them up; they never carry
the rejected value itself, which may be PHI (a member id, a birth date).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from application.x12.envelope import Envelope, TransactionSet, interchange
from application.x12.segments import (
    Interchange,
    Segments,
    X12SyntaxError,
    amount,
    clean,
    d8,
    hhmm,
    interchanges,
    rd8,
)

ACK_999 = "005010X231A1"
CLAIM_ACK_277 = "005010X214"
REJECTED_CATEGORIES = frozenset({"A3", "A4", "A6", "A7", "A8"})

# Health Care Claim Status Codes (external code source 508) the sandbox uses, for reasons.
CLAIM_STATUS_TEXT = {
    "19": "entity acknowledges receipt of claim",
    "20": "accepted for processing",
    "21": "missing or invalid information",
    "33": "subscriber and subscriber id not found",
    "164": "entity's contract/member number",
    "187": "date(s) of service",
    "254": "principal diagnosis code",
    "255": "diagnosis code",
    "400": "claim is out of balance",
    "454": "procedure code for services rendered",
    "510": "future date",
    "562": "entity's national provider identifier (NPI)",
}
ENTITY_TEXT = {"85": "billing provider", "DK": "ordering provider", "IL": "subscriber",
               "PR": "payer", "QC": "patient"}
IK5_TEXT = {"1": "transaction set not supported", "2": "trailer missing",
            "3": "control number in header and trailer do not match",
            "4": "number of included segments does not match actual count",
            "5": "one or more segments in error", "23": "transaction set control number not "
            "unique within the functional group"}
TA1_TEXT = {"000": "no error", "001": "control numbers in header and trailer do not match",
            "021": "invalid number of included groups value", "022": "invalid control structure",
            "024": "invalid interchange content"}


# --- what an answer says ----------------------------------------------------------------------


@dataclass(frozen=True)
class InterchangeAck:
    """TA1: the interchange as a whole."""

    control_number: str
    accepted: bool
    note_code: str

    @property
    def reason(self) -> str:
        return f"TA1 {self.note_code} {TA1_TEXT.get(self.note_code, 'interchange error')}"


@dataclass(frozen=True)
class SegmentError:
    """An IK3 with its IK4s: codes and positions, never the bad value."""

    segment_id: str
    position: int
    code: str
    loop_id: str | None = None
    elements: tuple[tuple[str, str], ...] = ()  # (element position, IK4 error code)
    ack: str = "999"  # or "997"

    @property
    def text(self) -> str:
        elements = "".join(f"; element {pos} error {code}" for pos, code in self.elements)
        return f"{self.ack} {self.segment_id} segment {self.position} error {self.code}{elements}"


@dataclass(frozen=True)
class TransactionAck:
    """One AK2...IK5: a transaction set (ST02) accepted or rejected."""

    control_number: str
    accepted: bool
    code: str | None = None  # IK502 (AK502 in a 997) when rejected
    errors: tuple[SegmentError, ...] = ()
    ack: str = "999"  # or "997"

    @property
    def reasons(self) -> tuple[str, ...]:
        if self.accepted:
            return ()
        trailer = "IK5" if self.ack == "999" else "AK5"
        text = IK5_TEXT.get(self.code or "5", "rejected")
        head = f"{self.ack} {trailer} R {self.code or '5'} {text}"
        return (head, *(e.text for e in self.errors))


@dataclass(frozen=True)
class FunctionalAck:
    """One 999: the functional group (GS06) and each of its transaction sets."""

    group_control_number: str
    accepted: bool
    transactions: tuple[TransactionAck, ...]

    def transaction(self, control_number: str) -> TransactionAck | None:
        return next((t for t in self.transactions if t.control_number == control_number), None)


@dataclass(frozen=True)
class ClaimStatus:
    """One STC: category (A2 accepted, A7 invalid...), status code, entity."""

    category: str
    code: str
    entity: str | None = None
    message: str | None = None

    @property
    def rejected(self) -> bool:
        return self.category in REJECTED_CATEGORIES

    @property
    def text(self) -> str:
        codes = ":".join(p for p in (self.category, self.code, self.entity) if p)
        words = [CLAIM_STATUS_TEXT.get(self.code, "")]
        if self.entity:
            words.insert(0, ENTITY_TEXT.get(self.entity, ""))
        described = " ".join(w for w in words if w)
        message = f" ({self.message})" if self.message else ""
        return f"{codes} {described}{message}".strip()


@dataclass(frozen=True)
class ClaimAck:
    """One 2200D of a 277CA: a claim (CLM01) accepted or rejected, with its statuses."""

    patient_control_number: str
    statuses: tuple[ClaimStatus, ...]
    trace_number: str | None = None  # REF*1K: the payer's or clearinghouse's claim number

    @property
    def accepted(self) -> bool:
        return not any(s.rejected for s in self.statuses)

    @property
    def reasons(self) -> tuple[str, ...]:
        shown = [s for s in self.statuses if s.rejected] or list(self.statuses)
        return tuple(s.text for s in shown)


@dataclass(frozen=True)
class Answer:
    interchange_acks: tuple[InterchangeAck, ...] = ()
    functional_acks: tuple[FunctionalAck, ...] = ()
    claim_acks: tuple[ClaimAck, ...] = ()

    def interchange_ack(self, control_number: str) -> InterchangeAck | None:
        return next((a for a in self.interchange_acks if a.control_number == control_number),
                    None)

    def functional_ack(self, group_control_number: str) -> FunctionalAck | None:
        return next(
            (a for a in self.functional_acks if a.group_control_number == group_control_number),
            None,
        )

    def claim_ack(self, patient_control_number: str) -> ClaimAck | None:
        return next(
            (a for a in self.claim_acks if a.patient_control_number == patient_control_number),
            None,
        )


# --- reading ----------------------------------------------------------------------------------


def read_answer(text: str) -> Answer:
    """Every TA1, 999 and 277CA in `text`; X12SyntaxError when it is not X12 at all, or holds
    none of them."""
    tas: list[InterchangeAck] = []
    fas: list[FunctionalAck] = []
    cas: list[ClaimAck] = []
    for found in interchanges(text):
        tas += _ta1s(found)
        for code, body in _transaction_sets(found):
            if code in ("999", "997"):
                fas.append(_read_999(found, body, code))
            elif code == "277":
                cas += _read_277ca(found, body)
    if not (tas or fas or cas):
        raise X12SyntaxError("the answer holds no TA1, 999, 997 or 277CA")
    return Answer(tuple(tas), tuple(fas), tuple(cas))


def _ta1s(found: Interchange) -> list[InterchangeAck]:
    return [
        InterchangeAck(control_number=s[1], accepted=s[4] in ("A", "E"), note_code=s[5])
        for s in found.segments
        if s[0] == "TA1" and len(s) >= 6
    ]


def _transaction_sets(found: Interchange) -> list[tuple[str, list[tuple[str, ...]]]]:
    sets, current, code = [], None, ""
    for segment in found.segments:
        if segment[0] == "ST":
            current, code = [], _at(segment, 1)
        elif segment[0] == "SE":
            if current is None:
                raise X12SyntaxError("SE without ST")
            sets.append((code, current))
            current = None
        elif current is not None:
            current.append(segment)
    if current is not None:
        raise X12SyntaxError("ST without SE")
    return sets


def _at(segment: Sequence[str], index: int) -> str:
    return segment[index] if len(segment) > index else ""


# A 997's segments and the 999's that carry the same elements at the same positions.
AK_997 = {"AK3": "IK3", "AK4": "IK4", "AK5": "IK5"}


def _read_999(found: Interchange, body: list[tuple[str, ...]], ack: str = "999") -> FunctionalAck:
    group, accepted, transactions = "", False, []
    control, errors, current_error = None, [], None
    for segment in body:
        tag = AK_997.get(segment[0], segment[0]) if ack == "997" else segment[0]
        if tag == "AK1":
            group = _at(segment, 2)
        elif tag == "AK2":
            control, errors, current_error = _at(segment, 2), [], None
        elif tag == "IK3":
            current_error = SegmentError(
                segment_id=_at(segment, 1), position=int(_at(segment, 2) or 0),
                loop_id=_at(segment, 3) or None, code=_at(segment, 4), ack=ack,
            )
            errors.append(current_error)
        elif tag == "IK4" and current_error is not None:
            position = found.components(_at(segment, 1))[0]
            updated = SegmentError(
                current_error.segment_id, current_error.position, current_error.code,
                current_error.loop_id, (*current_error.elements, (position, _at(segment, 3))),
                ack,
            )
            errors[-1] = current_error = updated
        elif tag == "IK5":
            status = _at(segment, 1)
            transactions.append(TransactionAck(
                control_number=control or "", accepted=status in ("A", "E"),
                code=_at(segment, 2) or None, errors=tuple(errors), ack=ack,
            ))
        elif tag == "AK9":
            accepted = _at(segment, 1) in ("A", "E", "P")
    if not group:
        raise X12SyntaxError(f"a {ack} without AK1")
    return FunctionalAck(group, accepted, tuple(transactions))


def _read_277ca(found: Interchange, body: list[tuple[str, ...]]) -> list[ClaimAck]:
    claims: list[ClaimAck] = []
    level, pcn, statuses, trace = "", None, [], None

    def close() -> None:
        if pcn is not None:
            claims.append(ClaimAck(pcn, tuple(statuses), trace))

    for segment in body:
        tag = segment[0]
        if tag == "HL":
            close()
            level, pcn, statuses, trace = _at(segment, 3), None, [], None
        elif level != "PT":
            continue
        elif tag == "TRN" and pcn is None:
            pcn = _at(segment, 2)
        elif tag == "STC":
            for index in (1, 10, 11):
                parts = found.components(_at(segment, index))
                if parts and parts[0]:
                    statuses.append(ClaimStatus(
                        category=parts[0], code=_at(parts, 1),
                        entity=_at(parts, 2) or None, message=_at(segment, 12) or None,
                    ))
        elif tag == "REF" and _at(segment, 1) == "1K":
            trace = _at(segment, 2)
    close()
    return claims


# --- writing (the sandbox's answers) ------------------------------------------------------


def write_ta1(envelope: Envelope, acknowledged: InterchangeAck, received_at: date) -> str:
    """An interchange holding only a TA1 for the interchange `acknowledged.control_number`."""
    out = Segments()
    out.add_raw(*_isa_fields(envelope))
    out.add("TA1", acknowledged.control_number, received_at.strftime("%y%m%d"), "0000",
            "A" if acknowledged.accepted else "R", acknowledged.note_code)
    out.add("IEA", "0", f"{envelope.control_number:09d}")
    return out.text()


def _isa_fields(envelope: Envelope) -> tuple[str, ...]:
    # The TA1-only interchange has no GS: reuse the writer's ISA, then drop what follows it.
    text = interchange(envelope, "FA", ACK_999, [TransactionSet("999", Segments())])
    isa = text.split("~", 1)[0]
    return tuple(isa.split("*"))


def write_999(
    envelope: Envelope,
    group_control_number: str,
    implementation: str,
    transactions: Sequence[TransactionAck],
    *,
    transaction_code: str = "837",
) -> str:
    """A 999 acknowledging the functional group `group_control_number` set by set (sets of
    `transaction_code`: 837 claims, 270/276 inquiries)."""
    functional_id = {"837": "HC", "270": "HS", "276": "HR"}[transaction_code]
    body = Segments()
    body.add("AK1", functional_id, group_control_number, implementation)
    for t in transactions:
        body.add("AK2", transaction_code, t.control_number, implementation)
        for error in t.errors:
            body.add("IK3", error.segment_id, str(error.position), error.loop_id, error.code)
            for position, code in error.elements:
                body.add("IK4", position, None, code)
        body.add("IK5", "A" if t.accepted else "R", None if t.accepted else (t.code or "5"))
    accepted = sum(1 for t in transactions if t.accepted)
    status = "A" if accepted == len(transactions) else ("P" if accepted else "R")
    body.add("AK9", status, str(len(transactions)), str(len(transactions)), str(accepted))
    return interchange(envelope, "FA", ACK_999, [TransactionSet("999", body)])


@dataclass(frozen=True)
class ClaimReport:
    """What the 277CA says of one claim (the sandbox fills it from the 837P it read)."""

    patient_control_number: str
    patient_last_name: str
    patient_first_name: str
    member_id: str
    charge: Decimal
    from_date: date
    to_date: date
    statuses: tuple[ClaimStatus, ...]
    trace_number: str | None = None

    @property
    def accepted(self) -> bool:
        return not any(s.rejected for s in self.statuses)


@dataclass(frozen=True)
class ClaimAckBatch:
    """The 277CA's header facts: who answers, to whom, for which batch, and the claims."""

    source_name: str
    source_id: str
    receiver_name: str
    receiver_id: str
    batch_control_number: str
    billing_provider_name: str
    billing_provider_npi: str
    received_on: date
    claims: tuple[ClaimReport, ...] = field(default_factory=tuple)


def write_277ca(envelope: Envelope, batch: ClaimAckBatch) -> str:
    """A 277CA: information source (2000A), receiver (2000B), billing provider (2000C), one
    patient level (2000D) per claim with its STC statuses."""
    at = envelope.created_at
    day = d8(batch.received_on)
    accepted = [c for c in batch.claims if c.accepted]
    rejected = [c for c in batch.claims if not c.accepted]
    total = sum((c.charge for c in batch.claims), Decimal("0"))
    body = Segments()
    body.add("BHT", "0085", "08", str(envelope.control_number), d8(at), hhmm(at), "TH")
    body.add("HL", "1", None, "20", "1")
    body.add("NM1", "AY", "2", clean(batch.source_name, 60), None, None, None, None, "46",
             batch.source_id)
    body.add("TRN", "1", str(envelope.control_number))
    body.add("DTP", "050", "D8", day)
    body.add("DTP", "009", "D8", d8(at))
    body.add("HL", "2", "1", "21", "1")
    body.add("NM1", "41", "2", clean(batch.receiver_name, 60), None, None, None, None, "46",
             batch.receiver_id)
    body.add("TRN", "2", batch.batch_control_number)
    body.add("STC", ("A1", "19", "PR"), day, "WQ", amount(total))
    body.add("QTY", "90", str(len(accepted)))
    body.add("QTY", "AA", str(len(rejected)))
    body.add("AMT", "YU", amount(sum((c.charge for c in accepted), Decimal("0"))))
    body.add("AMT", "YY", amount(sum((c.charge for c in rejected), Decimal("0"))))
    body.add("HL", "3", "2", "19", "1")
    body.add("NM1", "85", "2", clean(batch.billing_provider_name, 60), None, None, None, None,
             "XX", batch.billing_provider_npi)
    body.add("TRN", "1", "0")
    body.add("STC", ("A1", "19", "85"), None, "WQ", amount(total))
    body.add("QTY", "QA", str(len(accepted)))
    body.add("QTY", "QC", str(len(rejected)))
    body.add("AMT", "YU", amount(sum((c.charge for c in accepted), Decimal("0"))))
    body.add("AMT", "YY", amount(sum((c.charge for c in rejected), Decimal("0"))))
    for index, claim in enumerate(batch.claims, start=4):
        body.add("HL", str(index), "3", "PT")
        body.add("NM1", "QC", "1", clean(claim.patient_last_name, 60),
                 clean(claim.patient_first_name, 35) or None, None, None, None, "MI",
                 claim.member_id)
        body.add("TRN", "2", claim.patient_control_number)
        for status in claim.statuses:
            body.add("STC", tuple(p for p in (status.category, status.code, status.entity) if p),
                     day, "U" if status.rejected else "WQ", amount(claim.charge),
                     None, None, None, None, None, None, None,
                     clean(status.message, 264) if status.message else None)
        if claim.trace_number:
            body.add("REF", "1K", claim.trace_number)
        qualifier, period = rd8(claim.from_date, claim.to_date)
        body.add("DTP", "472", qualifier, period)
    return interchange(envelope, "HN", CLAIM_ACK_277, [TransactionSet("277", body)])
