"""Billing the next payer (pure): the claim's remaining balance moves to the patient's
secondary payer, unless the primary payer forwarded the claim itself (a crossover).

A claim the payer crossed over (835 CLP02 19/20/21, X12 RFI 2365; Pub. 100-04 ch. 22 section
60, RARC MA18) is billed to the next payer by the payer: billing the secondary or the patient
by hand would bill them twice. Why the secondary's 837P carries the primary's adjudication
(loops 2320/2330/2430): docs/decisions/008-claim-lifecycle.md.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain import claim_ledger as ledger
from domain import claim_rules as rules
from domain.claim_values import LedgerEntryKind
from domain.errors import require
from domain.rules import calendar_date

if TYPE_CHECKING:
    from domain.claim import Claim


def transfer_to_secondary(
    claim: Claim, payer_id: str, coverage_id: UUID, on: date, *, payer_recorded: bool = False
) -> dict[str, Any]:
    """Every line's remaining balance moves to the secondary payer, to bill it next;
    `payer_recorded`: it is one of the tenant's payer records, not of the packaged list."""
    on = calendar_date(on, "on")
    rules.uuid_of(coverage_id, "coverage_id")
    require_not_crossed_over(claim)
    rules.secondary_payer_may_be_billed(
        payer_id, claim.payer_id, claim.secondary_payer_id, payer_recorded=payer_recorded
    )
    reference = f"secondary:{payer_id}"
    entries = ledger.moves(
        claim.ledger, [line.line_id for line in claim.lines], LedgerEntryKind.TRANSFER,
        payer_id, on, reference,
    )
    require(
        bool(entries),
        "transfer_requires_remaining_balance",
        f"balance {claim.balance} leaves nothing to bill",
    )
    return {"payer_id": payer_id, "coverage_id": coverage_id, "on": on, "entries": entries}


def require_not_crossed_over(claim: Claim) -> None:
    """A claim the payer forwarded itself (CLP02 19/20/21) is billed to the next payer by the
    payer: billing the secondary or the patient by hand would bill them twice."""
    require(
        claim.crossed_over_on is None,
        "crossed_over_claim_is_billed_by_the_payer",
        f"the payer forwarded this claim to the next payer on {claim.crossed_over_on}",
    )
