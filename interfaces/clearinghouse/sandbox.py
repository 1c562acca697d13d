"""The built-in sandbox clearinghouse (the default): it checks an 837P as a real front end
does and answers as one does, with X12.

1. The interchange (TA1): it must be X12, addressed to us (ISA08), not a control number seen
   before from the same sender, and pass pyx12's envelope checks (ISA13 = IEA02, counts).
   A failure answers a TA1 rejecting the whole interchange.
2. Syntax against the implementation guide (999): pyx12 validates every transaction set with
   the 005010X222A1 map; its segment and element errors become IK3/IK4, and a set with any
   error is rejected (IK5 R), with all its claims. With `syntax_check=False`
   (`ARIES_SANDBOX_SYNTAX_CHECK=false`) the sandbox skips it and accepts every set (IK5 A);
   its own interchange checks (readable, addressed to it, not a duplicate) and the
   front-end edits below still run.
3. Each claim of an accepted set (277CA), the edits payers' front ends run: billing and ordering
   NPIs pass the Luhn check, a member id is present (an MBI for Medicare), diagnosis codes are
   billable ICD-10-CM codes, procedure codes are known HCPCS codes, line charges add up to the
   claim charge, dates of service are ordered and do not start in the future (a rental month
   is billed from its first day, so its end may be ahead). A claim failing any is
   rejected with one STC per failure (A6 missing / A7 invalid, with the status code and
   entity), else accepted (A2:20) with a sandbox claim number (REF*1K).

Where it runs: all of the above is `FrontEnd`, the clearinghouse's work (pyx12 alone is
~2-3 ms of CPU a claim), which a real clearinghouse does on its own machines. The sandbox
built from settings runs it in processes of its own (`sandbox_checks`,
`ARIES_SANDBOX_CHECK_PROCESSES`; decision 024), never in the sending worker's; one built
without `processes` runs it in its caller's process (unit tests). What it remembers stays in
the `SandboxClearinghouse` object.

The answer is the 999 followed by the 277CA, as one text. Control numbers of the answers
follow the interchange's own. Seen control numbers, and the answer given to each, are
remembered per process: `look_up(control number)` answers what a real clearinghouse's status
service does (received, with its acknowledgements, or no record).

Real-time inquiries (`inquire`: 270 eligibility, 276 claim status) are answered as
`interfaces.clearinghouse.sandbox_inquiries` says, from documented test values.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from application.ports import ClearinghouseRefused, Clock, SystemClock, TransmissionRecord
from application.x12.acknowledgements import (
    ClaimAckBatch,
    ClaimReport,
    ClaimStatus,
    InterchangeAck,
    write_277ca,
    write_999,
    write_ta1,
)
from application.x12.claim837 import IMPLEMENTATION
from application.x12.envelope import Envelope
from application.x12.segments import Interchange, X12SyntaxError, interchanges
from application.x12.syntax_verdict import syntax_verdict, unchecked
from domain import catalogue, pricing
from domain.diagnosis import is_billable
from domain.mbi import is_valid_mbi
from domain.npi import is_valid_npi
from interfaces.clearinghouse.sandbox_inquiries import answer_inquiry


class Runner(Protocol):
    def run(self, function: Any, *args: Any) -> Any: ...


@dataclass
class _Line:
    hcpcs: str = ""
    charge: str = ""
    from_date: date | None = None
    to_date: date | None = None
    ordering_npi: str | None = None


@dataclass
class _Claim:
    """What the sandbox reads of one claim in the 837P."""

    billing_npi: str
    last_name: str = ""
    first_name: str = ""
    member_id: str = ""
    payer_id: str = ""
    pcn: str = ""
    charge: str = ""
    diagnoses: list[str] = field(default_factory=list)
    lines: list[_Line] = field(default_factory=list)


@dataclass(frozen=True)
class Reply:
    """The front end's answer to one interchange, before the sandbox's memory of it."""

    answer: str
    icn: str | None  # the control number it is remembered under (None: not remembered)
    sender: str = ""
    new: bool = False  # it answers a readable interchange: unless its number was seen before


@dataclass(frozen=True)
class FrontEnd:
    """What the sandbox does with an interchange, all but remembering it: read it, check its
    syntax (pyx12), run the front-end edits and write the TA1, 999 and 277CA. Plain values
    in and out, so that it runs in the sandbox's own processes (`sandbox_checks`)."""

    clearinghouse_id: str
    clearinghouse_name: str
    syntax_check: bool = True

    def answer(self, interchange: str, now: datetime) -> Reply:
        try:
            found = interchanges(interchange)
        except X12SyntaxError:
            return Reply(self.ta1(now, "000000000", "SENDER", "024"), None)
        if len(found) != 1:
            return Reply(self.ta1(now, found[0].control_number, _sender(found[0]), "024"), None)
        isa = found[0]
        icn, sender = isa.control_number, _sender(isa)
        if isa.segments[0][8].strip() != self.clearinghouse_id:
            return Reply(self.ta1(now, icn, sender, "008"), None)
        syntax = syntax_verdict(interchange) if self.syntax_check else unchecked(_set_numbers(isa))
        if syntax.interchange_errors:
            return Reply(self.ta1(now, icn, sender, syntax.interchange_errors[0]), icn)
        group = _group_control_number(isa)
        envelope = Envelope(self.clearinghouse_id, sender, int(icn), now)
        ack_999 = write_999(envelope, group, IMPLEMENTATION, list(syntax.sets.values()))
        claims = [
            claim
            for number, claims_of_set in _claims_by_set(isa).items()
            if syntax.sets.get(number) is not None and syntax.sets[number].accepted
            for claim in claims_of_set
        ]
        if not claims:
            return Reply(ack_999, icn, sender, new=True)
        batch = ClaimAckBatch(
            source_name=self.clearinghouse_name,
            source_id=self.clearinghouse_id,
            receiver_name=sender,
            receiver_id=sender,
            batch_control_number=icn,
            billing_provider_name=sender,
            billing_provider_npi=claims[0].billing_npi or "0000000000",
            received_on=now.date(),
            claims=tuple(
                _report(claim, now.date(), f"SBX{icn}{index:05d}")
                for index, claim in enumerate(claims, start=1)
            ),
        )
        return Reply(ack_999 + write_277ca(envelope, batch), icn, sender, new=True)

    def ta1(self, now: datetime, icn: str, sender: str, code: str) -> str:
        envelope = Envelope(self.clearinghouse_id, sender or "SENDER", int(icn) or 1, now)
        return write_ta1(envelope, InterchangeAck(icn, False, code), now.date())


def answer_in(front_end: FrontEnd, interchange: str, now: datetime) -> Reply:
    """`front_end.answer`, as a function the sandbox's processes are handed."""
    return front_end.answer(interchange, now)


class SandboxClearinghouse:
    name = "sandbox"

    def __init__(
        self,
        clock: Clock | None = None,
        *,
        clearinghouse_id: str = "ARIESSANDBOX",
        clearinghouse_name: str = "Aries Sandbox Clearinghouse",
        syntax_check: bool = True,
        processes: Runner | None = None,
    ) -> None:
        self.clock = clock or SystemClock()
        self.front_end = FrontEnd(clearinghouse_id, clearinghouse_name, syntax_check)
        # In this process unless given (a unit test's sandbox); `clearinghouse_from` gives the
        # shared pool of processes of the sandbox's own (`sandbox_checks`).
        self.processes = processes
        self._seen: set[tuple[str, str]] = set()
        self._answers: dict[str, str] = {}  # ISA13 -> the answer given to it
        self._lock = threading.Lock()

    @property
    def clearinghouse_id(self) -> str:
        return self.front_end.clearinghouse_id

    def look_up(self, interchange_control_number: str) -> TransmissionRecord:
        with self._lock:
            answer = self._answers.get(interchange_control_number)
        return TransmissionRecord(received=answer is not None, answer=answer)

    def inquire(self, inquiry: str) -> str:
        """A 270 answered with a 271, a 276 with a 277 (`sandbox_inquiries`)."""
        try:
            return answer_inquiry(inquiry, self.clearinghouse_id, self.clock.now())
        except X12SyntaxError as unreadable:
            raise ClearinghouseRefused("not a 270 or 276 inquiry") from unreadable

    def transmit(self, interchange: str) -> str:
        now = self.clock.now()
        if self.processes is None:
            reply = self.front_end.answer(interchange, now)
        else:
            reply = self.processes.run(answer_in, self.front_end, interchange, now)
        answer, icn = reply.answer, reply.icn
        with self._lock:
            if reply.new and icn is not None:
                if (reply.sender, icn) in self._seen:  # a duplicate: the first answer stands
                    return self.front_end.ta1(now, icn, reply.sender, "025")
                self._seen.add((reply.sender, icn))
            if icn is not None:
                self._answers.setdefault(icn, answer)
        return answer


def _report(claim: _Claim, today: date, trace: str) -> ClaimReport:
    statuses = tuple(front_end_edits(claim, today))
    dates = [d for line in claim.lines for d in (line.from_date, line.to_date) if d]
    first, last = (min(dates), max(dates)) if dates else (today, today)
    return ClaimReport(
        patient_control_number=claim.pcn,
        patient_last_name=claim.last_name or "UNKNOWN",
        patient_first_name=claim.first_name,
        member_id=claim.member_id or "UNKNOWN",
        charge=_decimal(claim.charge) or Decimal("0"),
        from_date=first,
        to_date=last,
        statuses=statuses or (ClaimStatus("A2", "20"),),
        trace_number=None if statuses else trace,
    )


def front_end_edits(claim: _Claim, today: date) -> list[ClaimStatus]:
    """Every front-end failure of one claim, as the STC statuses that reject it."""
    out: list[ClaimStatus] = []
    if not is_valid_npi(claim.billing_npi):
        out.append(ClaimStatus("A7", "562", "85", "billing provider NPI fails the check digit"))
    if not claim.member_id:
        out.append(ClaimStatus("A6", "164", "IL", "subscriber member id is missing"))
    elif _is_medicare(claim.payer_id) and not is_valid_mbi(claim.member_id):
        out.append(ClaimStatus("A7", "164", "IL", "Medicare member id is not a valid MBI"))
    for position, code in enumerate(claim.diagnoses):
        if not is_billable(code):
            status = "254" if position == 0 else "255"
            out.append(ClaimStatus("A7", status, None, f"diagnosis {position + 1} not billable"))
    charges = [_decimal(line.charge) for line in claim.lines]
    total = _decimal(claim.charge)
    if total is None or None in charges or sum(c for c in charges if c) != total:
        out.append(ClaimStatus("A7", "400", None, "line charges do not add up to the claim"))
    for number, line in enumerate(claim.lines, start=1):
        if line.hcpcs not in catalogue.catalogue():
            out.append(ClaimStatus("A7", "454", None, f"line {number} procedure code unknown"))
        if line.ordering_npi is not None and not is_valid_npi(line.ordering_npi):
            out.append(ClaimStatus("A7", "562", "DK",
                                   f"line {number} ordering provider NPI fails the check digit"))
        if not line.from_date or not line.to_date or line.from_date > line.to_date:
            out.append(ClaimStatus("A7", "187", None, f"line {number} dates out of order"))
        elif line.from_date > today:
            out.append(ClaimStatus("A7", "187", None, f"line {number} date of service is in "
                                   "the future"))
    return out


def _is_medicare(x12_payer_id: str) -> bool:
    return any(
        p.x12_payer_id == x12_payer_id and p.kind is pricing.PayerKind.MEDICARE
        for p in pricing.payers().values()
    )


def _decimal(value: str) -> Decimal | None:
    try:
        return Decimal(value) if value else None
    except InvalidOperation:
        return None


def _date(value: str) -> date | None:
    try:
        return datetime.strptime(value, "%Y%m%d").date()  # noqa: DTZ007 (a calendar date)
    except ValueError:
        return None


def _sender(isa: Interchange) -> str:
    return isa.segments[0][6].strip() if len(isa.segments[0]) > 6 else ""


def _group_control_number(isa: Interchange) -> str:
    return next((s[6] for s in isa.segments if s[0] == "GS" and len(s) > 6), "0")


def _claims_by_set(isa: Interchange) -> dict[str, list[_Claim]]:
    """The claims of each transaction set (by ST02), read from the segments."""
    sets: dict[str, list[_Claim]] = {}
    billing_npi, claim, line, number = "", None, None, ""
    in_subscriber = False
    for s in isa.segments:
        tag = s[0]
        at = (lambda i, seg=s: seg[i] if len(seg) > i else "")  # noqa: E731
        if tag == "ST":
            number = at(2)
            sets[number] = []
        elif tag == "NM1" and at(1) == "85":
            billing_npi = at(9)
        elif tag == "HL" and at(3) == "22":
            claim, line, in_subscriber = _Claim(billing_npi), None, True
            sets.setdefault(number, []).append(claim)
        elif claim is None:
            continue
        elif tag == "NM1" and at(1) == "IL" and in_subscriber:
            claim.last_name, claim.first_name, claim.member_id = at(3), at(4), at(9)
        elif tag == "NM1" and at(1) == "PR" and in_subscriber:
            claim.payer_id = at(9)
        elif tag == "CLM":
            claim.pcn, claim.charge, in_subscriber = at(1), at(2), False
        elif tag == "HI":
            for composite in s[1:]:
                parts = isa.components(composite)
                if len(parts) > 1:
                    claim.diagnoses.append(parts[1])
        elif tag == "SV1":
            line = _Line(hcpcs=_at(isa.components(at(1)), 1), charge=at(2))
            claim.lines.append(line)
        elif tag == "DTP" and at(1) == "472" and line is not None:
            first, _, last = at(3).partition("-")
            line.from_date, line.to_date = _date(first), _date(last or first)
        elif tag == "NM1" and at(1) == "DK" and line is not None:
            line.ordering_npi = at(9)
    return sets


def _at(values: list[str], index: int) -> str:
    return values[index] if len(values) > index else ""


def _set_numbers(isa: Interchange) -> list[str]:
    return [s[2].strip() for s in isa.segments if s[0] == "ST" and len(s) > 2]
