"""What the billing office does next with a claim, and why: one pure rule over what a claim
list shows (status, balance, who owes it), so every list answers the same way.

The actions name the commands of the claim API: `submit`, `correct` (rejected, never filed),
`appeal_or_resubmit` (denied: a redetermination, or a frequency-7 replacement), `bill_secondary`
or `patient_statement` (a balance after the primary paid), `refund_or_write_off` (a credit),
`close` (nothing owed any more), `follow_up_claim_status` (the payer's claim status answer,
277, says denied, rejected, not found or asks for information before its 835 came), `wait` (the
payer or the clearinghouse has the next move) and `none` (closed).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from domain.claim_values import PATIENT
from domain.inquiry_answers import claim_status_needs_attention

WAITING = {
    "submission_requested": "in the next 837P batch",
    "submitted": "sent: waiting for the clearinghouse's 999/277CA",
    "accepted": "accepted: waiting for the payer's 835",
    "appealed": "appeal open: waiting for the payer's decision",
}
@dataclass(frozen=True)
class NextAction:
    action: str
    why: str


def next_action(
    status: str,
    balance: Decimal,
    current_payer_id: str | None,
    secondary_payer_id: str | None = None,
    denial_carcs: Sequence[str] = (),
    crossed_over: bool = False,
    payer_status: str | None = None,
) -> NextAction:
    """The next step on a claim in `status` whose ledger holds `balance`, owed now by
    `current_payer_id` (a payer id, or `patient`). A claim the payer forwarded to the next
    payer itself (`crossed_over`, CLP02 19/20/21) waits for that payer's remittance.
    `payer_status`: the category of the payer's latest 277 (`domain.inquiry_answers`)."""
    if status == "closed":
        return NextAction("none", "closed")
    if status in ("draft", "scrubbed"):
        return NextAction("submit", f"{status}: submit it to {current_payer_id}")
    if status == "rejected":
        return NextAction("correct", "rejected by the clearinghouse (never filed): correct it")
    if status in ("submitted", "accepted") and claim_status_needs_attention(payer_status):
        why = f"the payer's claim status (277) is {payer_status}: follow it up"
        return NextAction("follow_up_claim_status", why)
    if status in WAITING:
        return NextAction("wait", WAITING[status])
    if status == "awaiting_secondary":
        return NextAction("submit", f"{balance} moved to {secondary_payer_id}: submit it")
    if status in ("voided", "replaced") and balance != 0:
        # The charge is reversed here; the payer's CLP02 22 reverses what it posted.
        return NextAction("wait", f"{status}: waiting for the payer's reversal")
    if status == "denied":
        # A denial's CO adjustment leaves nothing owed, but the money is still to be won back.
        carcs = ", ".join(denial_carcs) or "no CARC"
        why = f"denied ({carcs}): appeal, or correct and resubmit"
        return NextAction("appeal_or_resubmit", why)
    if balance < 0:
        return NextAction("refund_or_write_off", f"a credit of {-balance}")
    if balance == 0:
        return NextAction("close", "nothing is owed")
    if crossed_over and secondary_payer_id is None:
        return NextAction("wait", f"crossed over by the payer: the next payer's 835 for {balance}")
    if current_payer_id == PATIENT:
        if secondary_payer_id is None and status != "patient_responsibility":
            return NextAction(
                "bill_secondary", f"the patient owes {balance}: bill a secondary coverage, if any"
            )
        return NextAction("patient_statement", f"the patient owes {balance}")
    return NextAction("wait", f"{current_payer_id} owes {balance}")
