"""Which orders and claims belong to a patient, every tenant's: what an operator's export of
the patient's record (`aries audit export --patient`) takes with the patient's own events."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import Connection, select

from projections.claims_tables import claims
from projections.orders_tables import orders


def patient_aggregates(conn: Connection, patient_id: UUID) -> dict[str, list[UUID]]:
    """The ids of the patient's orders and claims, per upstream, as the read models know them
    (in order of id: the export's order is the chain's, not this one)."""
    order_ids = conn.execute(
        select(orders.c.order_id).where(orders.c.patient_id == patient_id)
        .order_by(orders.c.order_id)
    ).scalars()
    claim_ids = conn.execute(
        select(claims.c.claim_id).where(claims.c.patient_id == patient_id)
        .order_by(claims.c.claim_id)
    ).scalars()
    return {"orders": list(order_ids), "claims": list(claim_ids)}
