"""Interchange (ISA/IEA), functional group (GS/GE) and transaction set (ST/SE) envelopes.

One interchange holds one functional group; its group control number (GS06) is the
interchange control number (ISA13), so one counter numbers both and each stays unique and
increasing with it. Transaction sets are numbered 0001, 0002, ... within the group.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from application.x12.segments import COMPONENT, REPETITION, Segments, clean, d8, hhmm

MAX_CONTROL_NUMBER = 999_999_999
VERSION = "00501"


def control_number_text(number: int) -> str:
    """ISA13: nine digits, 1 to 999999999."""
    if isinstance(number, bool) or not 1 <= number <= MAX_CONTROL_NUMBER:
        raise ValueError(f"interchange control number {number!r} is not in 1..999999999")
    return f"{number:09d}"


@dataclass(frozen=True)
class Envelope:
    """Who sends to whom, when, under which control number."""

    sender_id: str
    receiver_id: str
    control_number: int
    created_at: datetime
    usage: str = "T"  # ISA15: T test, P production
    sender_qualifier: str = "ZZ"
    receiver_qualifier: str = "ZZ"

    def __post_init__(self) -> None:
        if self.created_at.tzinfo is None:
            raise ValueError("an envelope's time is timezone-aware")
        if self.usage not in ("T", "P"):
            raise ValueError(f"usage indicator {self.usage!r} is not T or P")
        control_number_text(self.control_number)


@dataclass(frozen=True)
class TransactionSet:
    """A transaction set's body (between ST and SE) with its identifiers."""

    code: str  # ST01: 837, 999, 277
    body: Segments


def interchange(
    envelope: Envelope,
    functional_id: str,
    implementation: str,
    transaction_sets: Sequence[TransactionSet],
    *,
    acknowledgement_requested: bool = False,
) -> str:
    """The full interchange text: ISA, GS, each ST...SE, GE, IEA."""
    if not transaction_sets:
        raise ValueError("an interchange holds at least one transaction set")
    at = envelope.created_at.astimezone(UTC)
    icn = control_number_text(envelope.control_number)
    out = Segments()
    out.add_raw(
        "ISA", "00", " " * 10, "00", " " * 10,
        envelope.sender_qualifier, _fixed(envelope.sender_id, 15),
        envelope.receiver_qualifier, _fixed(envelope.receiver_id, 15),
        at.strftime("%y%m%d"), hhmm(at), REPETITION, VERSION, icn,
        "1" if acknowledgement_requested else "0", envelope.usage, COMPONENT,
    )
    group = str(envelope.control_number)
    out.add(
        "GS", functional_id, clean(envelope.sender_id, 15), clean(envelope.receiver_id, 15),
        d8(at), hhmm(at), group, "X", implementation,
    )
    for index, transaction in enumerate(transaction_sets, start=1):
        number = f"{index:04d}"
        out.add("ST", transaction.code, number, implementation)
        out.extend(transaction.body)
        out.add("SE", str(len(transaction.body) + 2), number)
    out.add("GE", str(len(transaction_sets)), group)
    out.add("IEA", "1", icn)
    return out.text()


def _fixed(value: str, width: int) -> str:
    text = clean(value, width)
    if not text:
        raise ValueError("an interchange sender/receiver id is not empty")
    return text.ljust(width)
