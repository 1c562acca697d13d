"""How claims and their lines are identified: deterministic uuid5 ids, so that the same order,
billing month and payer always name the same claim (drafting twice is refused by the event
store), and the patient control number (CLM01) that an 835 names a claim by.
"""

from __future__ import annotations

from uuid import UUID, uuid5

from domain.claim_rules import billing_month_of

CLAIM_NAMESPACE = UUID("8a0d6f6e-2f0b-5d57-9b7e-6c1f3f0a9e21")  # fixed forever: ids depend on it


def claim_id_for(order_id: UUID, billing_month: str, payer_id: str) -> UUID:
    """The claim id for an order, billing month ('YYYY-MM') and primary payer."""
    month = billing_month_of(billing_month)
    return uuid5(CLAIM_NAMESPACE, f"claim:{order_id}:{month}:{payer_id}")


def replacement_id_for(original_claim_id: UUID) -> UUID:
    """The id of the frequency-7 claim that replaces `original_claim_id`."""
    return uuid5(CLAIM_NAMESPACE, f"replacement-of:{original_claim_id}")


def claim_id(
    order_id: UUID, billing_month: str, payer_id: str, replaces_claim_id: UUID | None
) -> UUID:
    """The id of a claim being drafted: a replacement's, or the order's for the month."""
    if replaces_claim_id is not None:
        return replacement_id_for(replaces_claim_id)
    return claim_id_for(order_id, billing_month, payer_id)


def patient_control_number_for(claim_id: UUID) -> str:
    """CLM01: the first 20 hex digits of the claim id, upper case."""
    return claim_id.hex[:20].upper()


def line_id_for(
    claim_id: UUID, order_line_id: UUID, billing_month: str, rental_month: int | None
) -> UUID:
    """A claim line's id: uuid5 of the claim id, order line, billing month and rental month."""
    return uuid5(claim_id, f"line:{order_line_id}:{billing_month}:{rental_month or 0}")
