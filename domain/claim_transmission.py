"""What the claim records about the interchange it goes out in (pure): the intent recorded
before sending, a transmission nobody can confirm, and the acknowledgement (999/277CA).

The intent (`TransmissionPrepared`) is recorded before the interchange is sent, so that a
worker that dies while sending leaves behind what it was sending: the next attempt asks the
clearinghouse about that interchange (ISA13) instead of sending the claim again under a new
control number. Why: docs/decisions/007-exactly-once-transmission.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain import claim_rules as rules
from domain.errors import require
from domain.rules import present_text, utc_time

if TYPE_CHECKING:
    from domain.claim import Claim


def prepared(
    claim: Claim, interchange_control_number: str, claim_ids: Sequence[UUID], at: datetime
) -> dict[str, Any]:
    """The claim is about to go out in `interchange_control_number`, with `claim_ids` in this
    order (the order places each claim in its transaction set, which the 999 speaks of). The
    list is recorded once, on the interchange's first claim; the others name that claim: an
    interchange of n claims stored n lists of n ids (issue 18)."""
    interchange_control_number = rules.interchange_control_number(interchange_control_number)
    require(claim.id in claim_ids, "transmission_carries_the_claim",
            "the claim is not one of the interchange's claims")
    first = claim_ids[0]
    return {
        "submission_number": claim.submission_count,
        "interchange_control_number": interchange_control_number,
        "claim_ids": list(claim_ids) if claim.id == first else [],
        "first_claim_id": first,
        "at": utc_time(at, "at"),
    }


def upcast_prepared_v1_v2(state: dict[str, Any]) -> dict[str, Any]:
    """`TransmissionPrepared` version 1 held the interchange's whole claim list on every claim;
    version 2 holds it on the first claim only, and every claim names that first claim. A
    version 1 event keeps its list and names the list's first claim."""
    state["first_claim_id"] = state["claim_ids"][0]
    return state


def unconfirmed(claim: Claim, reason: str, at: datetime) -> dict[str, Any]:
    """Whether the prepared interchange reached the clearinghouse cannot be known: a person
    must find out (the work queue's `confirm_transmission`)."""
    require(claim.pending_transmission is not None, "unconfirmed_transmission_was_prepared",
            "no transmission was prepared")
    assert claim.pending_transmission is not None
    reason = present_text(reason, "reason", "unconfirmed_transmission_states_a_reason")
    return {
        "interchange_control_number": claim.pending_transmission.interchange_control_number,
        "reason": reason,
        "at": utc_time(at, "at"),
    }


def acknowledged_accepted(accepted: bool, reasons: Sequence[str]) -> bool:
    """Whether a 999/277CA acknowledgement accepts the claim; a rejection states its reasons."""
    require(isinstance(accepted, bool), "acknowledgement_accepts_or_rejects", "accepted: bool")
    if not accepted:
        require(bool(rules.acknowledgement_reasons(reasons)), "rejection_states_reasons",
                "a rejection needs its reasons")
    return accepted


def acknowledgement(reasons: Sequence[str], at: datetime) -> dict[str, Any]:
    """What the Accepted or Rejected event records."""
    return {"reasons": rules.acknowledgement_reasons(reasons), "at": utc_time(at, "at")}
