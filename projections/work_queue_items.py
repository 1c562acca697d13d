"""The open items of a claim in read.work_queue (`claim_items`): which kinds, due when, saying
what (see `projections/work_queue.py` for the kinds and the projection that keeps them)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date
from typing import Any

from domain.inquiry_answers import claim_status_needs_attention

# A 277 answer is followed up while the payer's 835 has not settled the claim.
AWAITING_REMITTANCE = frozenset({"submitted", "accepted"})
STATUS_FOLLOW_UP = {
    "F2": "denied by the payer (277): read the denial on its 835, or correct and resubmit",
    "A4": "not found at the payer (277): check the transmission, or submit again",
    "R": "the payer asks for more information (277): send it",
    "E": "the payer could not answer the status inquiry (277): check the claim's details",
}
CLOSED_STATES = frozenset({"voided", "replaced", "closed"})


def claim_items(state: Mapping[str, Any]) -> dict[str, tuple[date, str]]:
    """The open items of a claim: kind -> (due_on, detail). Details hold codes, not PHI."""
    status = state["status"]
    items: dict[str, tuple[date, str]] = {}
    if status in ("draft", "scrubbed"):
        items["submit_claim"] = (
            state["drafted_on"],
            f"{status} claim for {state['billing_month']}: scrub and submit",
        )
    if status == "transmission_unconfirmed":
        items["confirm_transmission"] = (
            state["transmission_unconfirmed_at"].astimezone(UTC).date(),
            f"the clearinghouse cannot say whether it received interchange "
            f"{state['unconfirmed_interchange_control_number']}: ask it, then record the claim "
            "submitted in it or not received",
        )
    if status == "rejected":
        items["fix_rejection"] = (
            state["rejected_at"].astimezone(UTC).date(),
            "rejected by the clearinghouse: correct and submit again",
        )
    if status == "awaiting_secondary":
        items["bill_secondary"] = (
            state["transferred_on"],
            f"bill the remaining balance to {state['billed_payer_id']}",
        )
    if status == "denied" and state["appeal_deadline"] is not None:
        level = "redetermination" if state["appeal_level"] is None else "reconsideration"
        carcs = ", ".join(state["denial_carcs"]) or "none"
        items["appeal_denial"] = (
            state["appeal_deadline"],
            f"denied (CARC {carcs}): file a {level} by {state['appeal_deadline']}",
        )
    category = state.get("payer_status_category")
    if status in AWAITING_REMITTANCE and claim_status_needs_attention(category):
        assert category is not None
        what = STATUS_FOLLOW_UP.get(category) or STATUS_FOLLOW_UP.get(
            category[0], "rejected by the payer (277): correct and submit again"
        )
        items["follow_up_claim_status"] = (
            state["payer_status_at"].astimezone(UTC).date(),
            f"{category}:{state['payer_status_code']} {what}",
        )
    if not state["filed"] and status not in CLOSED_STATES:
        items["timely_filing_risk"] = (
            state["timely_filing_deadline"],
            f"not yet filed with {state['billed_payer_id']}: file by "
            f"{state['timely_filing_deadline']}",
        )
    return items
