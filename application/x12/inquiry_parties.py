"""Who a real-time inquiry (270 eligibility, 276 claim status) is between, and the hierarchical
levels both share (X12 HL03 codes): the payer (20, information source, NM1*PR with PI), the
supplier asking (21, information receiver, NM1*1P or 41), and the subscriber (22, NM1*IL with
MI, the member id). 005010X279A1 section 1.4.4 and 005010X212 section 1.4.3 describe the
levels; both answers (271, 277) echo them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from application.x12.segments import Interchange, Segments, X12SyntaxError, clean, d8, interchanges


@dataclass(frozen=True)
class InquiryParties:
    payer_name: str
    payer_id: str  # the payer's X12 id (NM109, qualifier PI)
    provider_name: str
    provider_npi: str  # NM109, qualifier XX
    submitter_id: str  # the supplier's id at the clearinghouse (NM109, qualifier 46: ETIN)
    subscriber_last_name: str
    subscriber_first_name: str
    member_id: str  # NM109, qualifier MI
    subscriber_birth_date: date | None = None
    subscriber_sex: str | None = None  # DMG03: F, M or U


def payer_level(body: Segments, parties: InquiryParties) -> None:
    body.add("HL", "1", None, "20", "1")
    body.add("NM1", "PR", "2", clean(parties.payer_name, 60), None, None, None, None, "PI",
             clean(parties.payer_id, 80))


def subscriber_name(body: Segments, parties: InquiryParties) -> None:
    body.add("NM1", "IL", "1", clean(parties.subscriber_last_name, 60),
             clean(parties.subscriber_first_name, 35) or None, None, None, None, "MI",
             clean(parties.member_id, 80))


def parse_date(value: str) -> date | None:
    try:
        return datetime.strptime(value, "%Y%m%d").date()  # noqa: DTZ007 (a calendar date)
    except ValueError:
        return None


def one_interchange(text: str, transaction: str) -> tuple[Interchange, list[tuple[str, ...]]]:
    """The single interchange of `text` and the segments of its one `transaction` set (ST01);
    X12SyntaxError otherwise."""
    found = interchanges(text)
    if len(found) != 1:
        raise X12SyntaxError("expected one interchange")
    isa = found[0]
    body = list(_set_of(isa.segments, transaction))
    if not body:
        raise X12SyntaxError(f"no {transaction} transaction set")
    return isa, body


def _set_of(segments: Sequence[tuple[str, ...]], code: str) -> Iterator[tuple[str, ...]]:
    inside = False
    for segment in segments:
        if segment[0] == "ST":
            inside = len(segment) > 1 and segment[1] == code
        elif segment[0] == "SE":
            if inside:
                return
        elif inside:
            yield segment


def element(segment: Sequence[str], index: int) -> str:
    return segment[index] if len(segment) > index else ""


def date_today(moment: datetime) -> str:
    return d8(moment.date())
