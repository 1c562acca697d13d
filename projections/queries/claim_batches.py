"""Which claims a batch action takes, and what each patient owes for a statement: read SQL
over read.claims and read.work_queue, scoped to the caller's tenant."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, select

from projections.claims_tables import claims
from projections.queries.scope import tenant_rows
from projections.work_queue_tables import work_queue

BATCH_LIMIT = 5000  # one 837P transaction holds at most 5,000 claims (claim837)


def scrubbed_claims_of_payer(conn: Connection, tenant_id: str, payer_id: str) -> list[UUID]:
    """The tenant's scrubbed claims billed to `payer_id` now, oldest drafted first."""
    c = claims.c
    query = (
        select(c.claim_id)
        .where(tenant_rows(c.tenant_id, tenant_id), c.status == "scrubbed",
               c.billed_payer_id == payer_id)
        .order_by(c.drafted_at, c.claim_id)
        .limit(BATCH_LIMIT)
    )
    return list(conn.execute(query).scalars())


def claims_to_submit(conn: Connection, tenant_id: str) -> list[UUID]:
    """The claims of the tenant's work queue waiting to be submitted (`submit_claim` and
    `bill_secondary` items), soonest due first."""
    q = work_queue.c
    query = (
        select(q.claim_id)
        .where(tenant_rows(q.tenant_id, tenant_id), q.kind.in_(("submit_claim", "bill_secondary")),
               q.claim_id.is_not(None))
        .order_by(q.due_on, q.subject_id)
        .limit(BATCH_LIMIT)
    )
    return list(dict.fromkeys(conn.execute(query).scalars()))


def claims_awaiting_payment(
    conn: Connection, tenant_id: str, submitted_before: datetime
) -> list[UUID]:
    """The tenant's claims the payer has (submitted or accepted) but has not adjudicated,
    sent before `submitted_before`, oldest first: the ones worth a claim status inquiry."""
    c = claims.c
    query = (
        select(c.claim_id)
        .where(tenant_rows(c.tenant_id, tenant_id), c.status.in_(("submitted", "accepted")),
               c.submitted_at < submitted_before)
        .order_by(c.submitted_at, c.claim_id)
        .limit(BATCH_LIMIT)
    )
    return list(conn.execute(query).scalars())


def patient_balances(
    conn: Connection, tenant_id: str, min_balance: Decimal
) -> list[dict[str, Any]]:
    """Per patient, the open claims on which the patient owes something (the patient's share
    of the ledger, `patient_responsibility`), and the total, for patients owing at least
    `min_balance`; ids and amounts only."""
    c = claims.c
    rows = conn.execute(
        select(c.patient_id, c.claim_id, c.service_from, c.patient_responsibility)
        .where(tenant_rows(c.tenant_id, tenant_id), c.status != "closed",
               c.patient_responsibility > 0)
        .order_by(c.patient_id, c.service_from, c.claim_id)
    ).all()
    by_patient: dict[UUID, list[Any]] = defaultdict(list)
    for row in rows:
        by_patient[row.patient_id].append(row)
    statements = []
    for patient_id, owed in by_patient.items():
        total = sum((row.patient_responsibility for row in owed), Decimal("0.00"))
        if total < min_balance:
            continue
        statements.append({
            "patient_id": str(patient_id),
            "total_due": str(total),
            "claims": [
                {"claim_id": str(row.claim_id), "service_from": row.service_from.isoformat(),
                 "due": str(row.patient_responsibility)}
                for row in owed
            ],
        })
    return statements
