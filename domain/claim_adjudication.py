"""Posting a remittance (X12 835 CLP) to a claim: which CLP02 statuses Aries posts, what a
remittance's lines must hold, and the outcome they give (pure).

Sources: ASC X12 835 TR3 005010X221A1 (loop 2100 CLP, 2110 SVC, CAS; section 1.10.2
"Balancing"), CMS Medicare Claims Processing Manual (Pub. 100-04) chapter 22 "Remittance
Advice" (section 30 remittance balancing, section 60 group codes, CARCs and RARCs), and the X12
RFIs quoted at each rule.

- An adjudication posts once. Its identity is the payer, the payer claim control number (CLP07)
  and its content (status, lines, amounts, adjustments, remarks): `adjudication_identity`. The
  same adjudication sent again on another trace number (a re-sent ERA, a second EFT for the same
  payment) is refused (`adjudication_posts_once`); a real change comes as a reversal (CLP02 22,
  the original ICN, negated amounts: a different content) plus a corrected claim (a new ICN),
  which both post. A reversal and its corrected claim may share one check.
- Claim-level CAS (loop 2100) is posted too: TR3 claim balancing is CLP03 - all CAS (claim and
  line level) = CLP04, so when a claim-level adjustment is present the lines' SVC03 add up to
  more (or less) than what the payer paid. X12 RFI 1053 leaves it to the receiver to apply a
  claim-level adjustment to its lines: `allocated` spreads each one over the lines in
  proportion to their payment, so each line's posted payment is what the payer actually paid
  for it and the payments add up to CLP04 to the cent.
- A 0.00 CAS amount is valid X12 (CAS03 is a monetary amount; payers send 0.00 with a
  CARC to carry a reason) and is accepted; it moves no money, so it posts no ledger entry.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain import claim_ledger as ledger
from domain.claim_values import (
    Adjustment,
    AdjustmentGroup,
    ClaimLine,
    ClaimStatus,
    LedgerEntryKind,
    LineAdjudication,
)
from domain.errors import InvalidValue, require
from domain.money import ZERO, exact_money
from domain.rules import billing_rule, calendar_date, present_text

if TYPE_CHECKING:
    from domain.claim import Claim

CENT = Decimal("0.01")
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
# CLP02 19/20/21: the payer forwarded the claim to the next payer itself (Medicare's crossover to
# a Medigap/Medicaid plan). X12 RFI 2365: "The value 19 communicates to the provider that they
# do not need to resubmit the claim"; Pub. 100-04 ch. 22 section 60 RARC MA18 ("the claim
# information is also being forwarded to the patient's supplemental insurer").
CROSSOVER_STATUS_CODES = frozenset({"19", "20", "21"})


@billing_rule(
    "X12 005010X221A1 TR3 CLP02 (1, 2, 3, 19, 20, 21 processed; 4 denied; 22 reversal)"
    " and CAS group codes (PR patient responsibility: deductible PR-1, coinsurance PR-2)",
    "tests/unit/test_claim_posting.py::test_deductible_only_is_patient_responsibility_not_a_denial",
    "tests/unit/test_claim_rules.py::test_claim_is_paid_partially_paid_or_denied_by_its_lines",
)
def adjudication_outcome(status_code: str, lines: Sequence[LineAdjudication]) -> ClaimStatus:
    """The claim's status after an adjudication.

    - Reversed for CLP02 22; denied for CLP02 4 or 23 (TR3: 4 is a denial of the whole claim).
    - Paid nothing, but the payer processed the claim (CLP02 1/2/3/19/20/21) and left the
      amount to the patient (group PR: deductible PR-1, coinsurance PR-2, ...): patient
      responsibility, not a denial. Group code PR "signifies the amount that may be billed to
      the beneficiary" (Noridian JA DME MAC, "Claim Adjustment Group Codes", after Pub. 100-04
      ch. 22 section 60); X12 RFI 871: PR is the patient's share under the policy; X12 RFI
      207: a claim processed as primary whose lines pay 0 is still processed, its CAS groups
      say why.
    - Paid nothing and nothing moved to the patient: denied (the CO/OA/PI codes say why).
    - Otherwise paid, or partially paid when some line got nothing.
    """
    if status_code == REVERSAL_STATUS_CODE:
        return ClaimStatus.REVERSED
    paid = [line.paid for line in lines]
    if status_code in DENIAL_STATUS_CODES:
        return ClaimStatus.DENIED
    if all(p == 0 for p in paid):
        patient_share = sum(
            (a.amount for line in lines for a in line.adjustments if a.group is AdjustmentGroup.PR),
            ZERO,
        )
        return ClaimStatus.PATIENT_RESPONSIBILITY if patient_share > 0 else ClaimStatus.DENIED
    return ClaimStatus.PARTIALLY_PAID if any(p == 0 for p in paid) else ClaimStatus.PAID


@billing_rule(
    "X12 005010X221A1 TR3 CLP07 (payer claim control number) and TRN02 (the trace of a"
    " payment, which a re-sent remittance or a second EFT changes)",
    "tests/unit/test_claim_posting.py::test_identity_ignores_trace_and_date_but_not_payer_icn_or_content",
    "tests/unit/test_claim_posting.py::test_the_same_adjudication_on_a_new_trace_posts_once",
)
def adjudication_identity(
    payer_id: str, payer_claim_control_number: str, status_code: str,
    lines: Sequence[LineAdjudication],
) -> str:
    """What makes an adjudication the same one when it is sent again: the payer, CLP07 and the
    content (status, and each line's amounts, adjustments and remarks), not the trace number or
    the payment date a re-sent ERA or a second EFT changes. A sha256 of a canonical text."""
    parts = [payer_id, payer_claim_control_number.strip(), status_code]
    for line in sorted(lines, key=lambda line: line.line_id.hex):
        adjustments = sorted(
            f"{a.group.value}:{a.carc}:{exact_money(a.amount)}" for a in line.adjustments
        )
        parts.append(
            f"{line.line_id.hex}|{exact_money(line.allowed)}|{exact_money(line.paid)}|"
            f"{','.join(adjustments)}|{','.join(sorted(line.rarcs))}"
        )
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def pro_rata(total: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """`total` shared in proportion to `weights` (equally when they add up to nothing), to
    the cent, the last share taking what rounding leaves: the shares add up to `total`."""
    weights = list(weights)
    whole = sum(weights, ZERO)
    if whole <= 0:
        weights, whole = [Decimal(1)] * len(weights), Decimal(len(weights))
    shares, left = [], total
    for i, weight in enumerate(weights):
        share = left if i == len(weights) - 1 else (total * weight / whole).quantize(CENT)
        shares.append(share)
        left -= share
    return shares


@billing_rule(
    "X12 005010X221A1 TR3 loop 2100 CLP04 and claim-level CAS (the claim pays CLP04"
    " whatever the SVC lines say); WPC 835 examples 'dollars and data sent separate' and"
    " 'secondary payments'",
    "tests/unit/test_claim_posting.py::test_claim_level_cas_lowers_what_the_lines_were_paid_to_clp04",
    "tests/unit/test_claim_posting.py::test_allocation_keeps_every_cent",
)
def allocated(
    lines: Sequence[LineAdjudication], claim_adjustments: Sequence[Adjustment]
) -> list[LineAdjudication]:
    """The lines with the claim-level adjustments (2100 CAS) spread over them: each adjustment
    in proportion to the lines' payments (equally when nothing was paid), the last line taking
    the cents rounding leaves; each line's payment lowered (or raised, for a negative amount) by
    its share, so the lines' payments add up to CLP04 and each line still balances
    (charge - adjustments = paid). Source: TR3 005010X221A1 claim balancing; X12 RFI 1053."""
    result = list(lines)
    if not result:
        return result
    for adjustment in claim_adjustments:
        amount = exact_money(adjustment.amount)
        if amount == 0:
            continue
        # A reversal's payments are negative: the weights are their sizes.
        shares = pro_rata(amount, [abs(line.paid) for line in result])
        result = [
            line if share == 0 else replace(
                line,
                paid=line.paid - share,
                adjustments=(*line.adjustments, replace(adjustment, amount=share)),
            )
            for line, share in zip(result, shares, strict=True)
        ]
    return result


@dataclass(frozen=True)
class LineOutcome:
    """What one payer did with one line, all its remittances folded (not stored)."""

    paid: Decimal
    adjustments: tuple[Adjustment, ...]  # net per (group, CARC), zero ones left out
    paid_on: date  # of the latest remittance that touched the line


@billing_rule(
    "X12 005010X222A1 TR3 loop 2430 (SVD02 the prior payer's paid amount per line, CAS"
    " its adjustments); X12 005010X221A1 TR3 CLP02 22 (a reversal carries the negated"
    " amounts)",
    "tests/unit/test_claim_posting.py::test_what_the_primary_paid_nets_its_reversals_and_keeps_each_cas_group",
)
def payer_line_outcomes(
    adjudications: Sequence[tuple[str, date, Sequence[LineAdjudication]]], payer_id: str
) -> dict[UUID, LineOutcome]:
    """What `payer_id` actually paid and adjusted on each line, net of its reversals (a
    CLP02 22 carries the negated amounts, so summing nets them out) and with its claim-level
    CAS spread over the lines: what a secondary claim's loop 2430 (SVD paid amount, CAS) must
    carry. Source: 837P TR3 005010X222A1 loop 2430 (SVD02 is the amount the prior payer paid
    for the line, CAS its line adjustments); 835 TR3 005010X221A1 reversals and corrections
    (section 1.10.2.8). `adjudications` are (payer, paid on, lines) in posting order."""
    paid: dict[UUID, Decimal] = {}
    adjusted: dict[UUID, dict[tuple[AdjustmentGroup, str], Decimal]] = {}
    last: dict[UUID, date] = {}
    for payer, paid_on, lines in adjudications:
        if payer != payer_id:
            continue
        for line in lines:
            paid[line.line_id] = paid.get(line.line_id, ZERO) + line.paid
            totals = adjusted.setdefault(line.line_id, {})
            for a in line.adjustments:
                key = (AdjustmentGroup(a.group), a.carc)
                totals[key] = totals.get(key, ZERO) + a.amount
            last[line.line_id] = paid_on
    return {
        line_id: LineOutcome(
            paid=amount,
            adjustments=tuple(
                Adjustment(group, carc, total)
                for (group, carc), total in adjusted[line_id].items() if total != 0
            ),
            paid_on=last[line_id],
        )
        for line_id, amount in paid.items()
    }


def checked_adjudications(
    claim_lines: Sequence[ClaimLine], status_code: str, lines: Sequence[LineAdjudication],
    *, amounts_final: bool = True,
) -> list[LineAdjudication]:
    """The remittance lines, validated and normalised (tuples, exact cents). With
    `amounts_final` False (before the claim-level CAS is spread over them) the rules on what a
    status may pay wait for the final amounts."""
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
            amount = exact_money(adjustment.amount)  # 0.00 is valid: a reason, no money
            adjustments.append(Adjustment(group=group, carc=adjustment.carc, amount=amount))
        for rarc in line.rarcs:
            if not isinstance(rarc, str) or not RARC_FORMAT.match(rarc):
                raise InvalidValue("rarc_is_well_formed", f"RARC {rarc!r}")
        if not amounts_final:
            pass
        elif reversal:
            require(
                paid <= 0 and all(a.amount <= 0 for a in adjustments),
                "reversal_amounts_are_not_positive",
                "a CLP02 22 reversal carries negated amounts",
            )
        else:
            require(paid >= 0, "payment_is_not_negative", f"paid {paid} is negative")
        if amounts_final and status_code in DENIAL_STATUS_CODES:
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
    claim_adjustments: Sequence[Adjustment] = (),
) -> dict[str, Any]:
    """The Adjudicated event's attributes for one CLP posted to `claim`: its lines checked (the
    claim-level adjustments `allocated` to them), the outcome, and the ledger entries.
    `payer_id` defaults to the payer billed now. Refused when the same adjudication (payer,
    CLP07, content) was posted before, under any trace number."""
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
    crossover_payer = crossover_payer_of(claim, payer)
    require(
        payer in (claim.payer_id, claim.secondary_payer_id) or crossover_payer,
        "remittance_comes_from_a_billed_payer",
        f"{payer!r} was never billed for this claim",
    )
    for adjustment in claim_adjustments:
        if not isinstance(adjustment, Adjustment):
            raise InvalidValue("remittance_adjustments_are_adjustments", f"{adjustment!r}")
    posted = checked_adjudications(
        claim.lines, status_code, lines, amounts_final=not claim_adjustments
    )
    if claim_adjustments:
        posted = checked_adjudications(
            claim.lines, status_code, allocated(posted, claim_adjustments)
        )
    require(
        adjudication_identity(payer, icn, status_code, posted) not in claim.posted_adjudications,
        "adjudication_posts_once",
        f"payer claim {icn} was already posted with the same content (a re-sent remittance)",
    )
    reversal = status_code == REVERSAL_STATUS_CODE
    return {
        "remittance_trace": trace,
        "payer_claim_control_number": icn,
        "payer_id": payer,
        "status_code": status_code,
        "lines": posted,
        "paid_on": paid_on,
        "outcome": adjudication_outcome(status_code, posted),
        "entries": [
            # The crossover payer answers for what the primary left: first it holds it.
            *(
                ledger.moves(
                    claim.ledger, [line.line_id for line in claim.lines],
                    LedgerEntryKind.TRANSFER, payer, paid_on, f"crossover:{payer}",
                )
                if crossover_payer else []
            ),
            *ledger.remittance_entries(posted, reversal, payer, paid_on, trace),
        ],
    }


def status_after_posting(claim: Claim, outcome: ClaimStatus) -> ClaimStatus:
    """A posting on a replaced or voided claim leaves it so; otherwise its outcome is the
    claim's status (an open appeal is kept by the caller)."""
    if claim.replacement_claim_id is not None:
        return ClaimStatus.REPLACED
    if claim.voided_on is not None:
        return ClaimStatus.VOIDED
    return outcome


@billing_rule(
    "X12 005010X221A1 TR3 CLP02 19 (processed as primary, forwarded to additional payer);"
    " CMS Pub. 100-04 ch. 22 s. 60 (RARC MA18: the claim was forwarded to the supplemental"
    " insurer)",
    "tests/unit/test_claim_posting.py::test_a_crossed_over_claim_is_not_billed_to_the_secondary_or_patient_by_hand",
    "tests/unit/test_claim_posting.py::test_the_payer_a_crossed_over_claim_went_to_pays_what_the_primary_left",
)
def crossover_payer_of(claim: Claim, payer: str) -> bool:
    """Whether `payer` is the payer a crossed-over claim was forwarded to, answering for the
    first time: not the primary, not a secondary billed already. CLP02 19 (X12 RFI 2365): the
    primary forwarded the claim; the next payer's 835 (CLP02 2) is the first Aries hears of
    it, and what it pays is what the primary left to the patient (Pub. 100-04 ch. 22 section
    60: RARC MA18, the claim was forwarded to the supplemental insurer)."""
    return claim.crossed_over_on is not None and payer not in (
        claim.payer_id, claim.secondary_payer_id,
    )
