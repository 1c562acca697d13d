"""Voiding and replacing a filed claim (pure): what the Voided and Replaced events record.

Void (claim frequency code 8) and replace (the replacement claim has frequency 7 and carries
the payer's claim control number in 2300 REF*F8; 005010X222A1 CLM05-3, X12 RFI 1538/2173)
reverse each line's charge against the primary payer; the payer's later CLP02 22 remittance
reverses its own postings, and the balance returns to zero. The replacement claim is drafted
separately with `replaces_claim_id` and gets the id `domain.claim_ids.replacement_id_for(original
id)`. Why: docs/decisions/008-claim-lifecycle.md.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from domain import claim_ids
from domain import claim_ledger as ledger
from domain import claim_rules as rules
from domain.errors import require
from domain.rules import calendar_date, present_text

if TYPE_CHECKING:
    from domain.claim import Claim


def voided(claim: Claim, on: date, reason: str) -> dict[str, Any]:
    """Each line's charge is reversed; the claim's frequency becomes 8."""
    on = calendar_date(on, "on")
    reason = present_text(reason, "reason", "void_states_a_reason")
    entries = ledger.charge_reversals(claim.lines, claim.payer_id, on, "void")
    return {"on": on, "reason": reason, "frequency_code": rules.VOID, "entries": entries}


def replaced(claim: Claim, on: date, reason: str) -> dict[str, Any]:
    """Each line's charge is reversed, naming the replacement claim's id."""
    require(
        claim.payer_claim_control_number is not None,
        "replacement_requires_adjudicated_claim",
        "the payer has not assigned a claim control number",
    )
    on = calendar_date(on, "on")
    reason = present_text(reason, "reason", "replacement_states_a_reason")
    entries = ledger.charge_reversals(claim.lines, claim.payer_id, on, "replacement")
    return {
        "on": on,
        "reason": reason,
        "replacement_claim_id": claim_ids.replacement_id_for(claim.id),
        "entries": entries,
    }
