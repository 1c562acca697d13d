"""Posting a remittance (X12 835 CLP) to a claim: which CLP02 statuses Aries posts, what a
remittance's lines must hold, and the outcome they give (pure).

A remittance posts once per (trace, payer claim control number): a reversal (CLP02 22, the
original ICN) and its corrected claim (a new ICN) may share one check. A reversal carries
negated amounts (paid and adjustments <= 0).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain import claim_ledger as ledger
from domain.claim_values import (
    Adjustment,
    AdjustmentGroup,
    ClaimLine,
    ClaimStatus,
    LineAdjudication,
)
from domain.errors import InvalidValue, require
from domain.money import exact_money
from domain.rules import calendar_date, present_text

if TYPE_CHECKING:
    from domain.claim import Claim

CARC_FORMAT = re.compile(r"^[A-Z0-9]{1,3}$")
RARC_FORMAT = re.compile(r"^[A-Z]{1,2}[0-9]{1,3}$")

# CLP02 claim status codes Aries posts (X12 835 005010X221A1).
CLAIM_STATUS_CODES = {
    "1": "processed as primary",
    "2": "processed as secondary",
    "3": "processed as tertiary",
    "4": "denied",
    "19": "processed as primary, forwarded to additional payer(s)",
    "20": "processed as secondary, forwarded to additional payer(s)",
    "21": "processed as tertiary, forwarded to additional payer(s)",
    "22": "reversal of previous payment",
    "23": "not our claim, forwarded to additional payer(s)",
}
DENIAL_STATUS_CODES = frozenset({"4", "23"})
REVERSAL_STATUS_CODE = "22"


def adjudication_outcome(status_code: str, lines: Sequence[LineAdjudication]) -> ClaimStatus:
    """Denied when the payer denied or paid nothing; partially paid when some line got nothing."""
    if status_code == REVERSAL_STATUS_CODE:
        return ClaimStatus.REVERSED
    paid = [line.paid for line in lines]
    if status_code in DENIAL_STATUS_CODES or all(p == 0 for p in paid):
        return ClaimStatus.DENIED
    return ClaimStatus.PARTIALLY_PAID if any(p == 0 for p in paid) else ClaimStatus.PAID


def checked_adjudications(
    claim_lines: Sequence[ClaimLine], status_code: str, lines: Sequence[LineAdjudication]
) -> list[LineAdjudication]:
    """The remittance lines, validated and normalised (tuples, exact cents)."""
    require(bool(lines), "remittance_adjudicates_at_least_one_line", "no service lines")
    known = {line.line_id for line in claim_lines}
    seen: set[UUID] = set()
    reversal = status_code == REVERSAL_STATUS_CODE
    result = []
    for line in lines:
        if not isinstance(line, LineAdjudication):
            raise InvalidValue("remittance_lines_are_line_adjudications", f"{line!r}")
        require(
            line.line_id in known,
            "remittance_line_matches_claim_line",
            f"line {line.line_id} is not on the claim",
        )
        require(
            line.line_id not in seen,
            "remittance_adjudicates_each_line_once",
            f"line {line.line_id} appears twice",
        )
        seen.add(line.line_id)
        paid, allowed = exact_money(line.paid), exact_money(line.allowed)
        adjustments = []
        for adjustment in line.adjustments:
            if not isinstance(adjustment, Adjustment):
                raise InvalidValue("remittance_adjustments_are_adjustments", f"{adjustment!r}")
            group = adjustment.group
            if not isinstance(group, AdjustmentGroup):
                try:
                    group = AdjustmentGroup(group)
                except ValueError:
                    raise InvalidValue(
                        "adjustment_group_is_co_pr_oa_or_pi", f"group {group!r}"
                    ) from None
            if not isinstance(adjustment.carc, str) or not CARC_FORMAT.match(adjustment.carc):
                raise InvalidValue("carc_is_well_formed", f"CARC {adjustment.carc!r}")
            amount = exact_money(adjustment.amount)
            require(amount != 0, "adjustment_amount_is_not_zero", "a zero adjustment")
            adjustments.append(Adjustment(group=group, carc=adjustment.carc, amount=amount))
        for rarc in line.rarcs:
            if not isinstance(rarc, str) or not RARC_FORMAT.match(rarc):
                raise InvalidValue("rarc_is_well_formed", f"RARC {rarc!r}")
        if reversal:
            require(
                paid <= 0 and all(a.amount <= 0 for a in adjustments),
                "reversal_amounts_are_not_positive",
                "a CLP02 22 reversal carries negated amounts",
            )
        else:
            require(paid >= 0, "payment_is_not_negative", f"paid {paid} is negative")
        if status_code in DENIAL_STATUS_CODES:
            require(paid == 0, "denied_claim_pays_nothing", f"denied claim pays {paid}")
        result.append(
            LineAdjudication(
                line_id=line.line_id,
                allowed=allowed,
                paid=paid,
                adjustments=tuple(adjustments),
                rarcs=tuple(line.rarcs),
            )
        )
    return result




def status_code_is_known(status_code: object) -> str:
    if status_code not in CLAIM_STATUS_CODES:
        raise InvalidValue(
            "remittance_claim_status_code_is_known", f"CLP02 {status_code!r} is not handled"
        )
    assert isinstance(status_code, str)
    return status_code


def posting(
    claim: Claim,
    remittance_trace: str,
    payer_claim_control_number: str,
    status_code: str,
    lines: Sequence[LineAdjudication],
    paid_on: date,
    payer_id: str | None,
) -> dict[str, Any]:
    """The Adjudicated event's attributes for one CLP posted to `claim`: its lines checked, the
    outcome, and the ledger entries. `payer_id` defaults to the payer billed now."""
    require(
        claim.filed or claim.status in (ClaimStatus.SUBMITTED, ClaimStatus.ACCEPTED),
        "remittance_requires_a_filed_claim",
        f"a {claim.status.value} claim has not been filed",
    )
    trace = present_text(remittance_trace, "remittance_trace", "remittance_names_its_trace")
    icn = present_text(
        payer_claim_control_number,
        "payer_claim_control_number",
        "remittance_names_payer_claim_control_number",
    )
    require(
        (trace, icn) not in claim.posted_remittances,
        "remittance_posts_once_per_trace",
        f"remittance {trace} for payer claim {icn} is already posted",
    )
    status_code = status_code_is_known(status_code)
    paid_on = calendar_date(paid_on, "paid_on")
    payer = claim.billed_payer_id if payer_id is None else payer_id
    require(
        payer in (claim.payer_id, claim.secondary_payer_id),
        "remittance_comes_from_a_billed_payer",
        f"{payer!r} was never billed for this claim",
    )
    posted = checked_adjudications(claim.lines, status_code, lines)
    reversal = status_code == REVERSAL_STATUS_CODE
    return {
        "remittance_trace": trace,
        "payer_claim_control_number": icn,
        "payer_id": payer,
        "status_code": status_code,
        "lines": posted,
        "paid_on": paid_on,
        "outcome": adjudication_outcome(status_code, posted),
        "entries": ledger.remittance_entries(posted, reversal, payer, paid_on, trace),
    }
