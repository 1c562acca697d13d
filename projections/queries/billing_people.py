"""What a biller reads beside a claim or a work item: the patient's name and account number
(read.patients) and the claim's money (read.claims), joined at query time so that each list
row needs no second call. Every name read this way is PHI: the routes record the access."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, FromClause, and_

from projections.claims_tables import claims
from projections.patients_tables import patients

PATIENT_COLUMNS = (
    patients.c.first_name.label("patient_first_name"),
    patients.c.last_name.label("patient_last_name"),
    patients.c.account_number.label("patient_account_number"),
)
CLAIM_MONEY_COLUMNS = (
    claims.c.charge_total.label("claim_charge_total"),
    claims.c.paid.label("claim_paid"),
    claims.c.balance.label("claim_balance"),
    claims.c.current_payer_id.label("claim_current_payer_id"),
    claims.c.service_from.label("claim_service_from"),
    claims.c.status.label("claim_status"),
)


def with_patient(
    source: FromClause, patient_id: ColumnElement[Any], tenant_id: ColumnElement[Any]
) -> FromClause:
    """`source` with its patient's row (outer: a patient not yet projected leaves nulls)."""
    return source.outerjoin(
        patients, and_(patients.c.patient_id == patient_id, patients.c.tenant_id == tenant_id)
    )


def with_claim(source: FromClause, claim_id: ColumnElement[Any]) -> FromClause:
    """`source` with its claim's row (outer: rental items name no claim)."""
    return source.outerjoin(claims, claims.c.claim_id == claim_id)
