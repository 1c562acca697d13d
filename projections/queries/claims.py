"""Queries over the `claims` projection's tables (read.claims, read.claim_lines,
read.claim_ledger_entries) and the AR aging view built on them (read.ar_aging), scoped to the
caller's tenant (every tenant for the system tenant)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import (
    Column,
    Connection,
    Date,
    Integer,
    MetaData,
    Numeric,
    Row,
    Table,
    Text,
    select,
    text,
)

from domain.context import SYSTEM_TENANT
from projections.claims_tables import claim_ledger_entries, claim_lines, claims
from projections.queries.billing_people import PATIENT_COLUMNS, with_patient
from projections.queries.keyset import KeysetPage, keyset_page
from projections.queries.local_today import AskedAt, location_today
from projections.queries.scope import tenant_rows

CLAIM_KEYS = (claims.c.drafted_at, claims.c.claim_id)

# The AR aging view (migration 0006). Declared here, not in projections.tables: it is no
# projection's table, and the migration comparison must not expect a table of that name.
ar_aging = Table(
    "ar_aging",
    MetaData(schema="read"),
    Column("tenant_id", Text),
    Column("payer_id", Text),
    Column("open_claims", Integer),
    Column("balance", Numeric),
    Column("days_0_30", Numeric),
    Column("days_31_60", Numeric),
    Column("days_61_90", Numeric),
    Column("days_91_120", Numeric),
    Column("days_over_120", Numeric),
    Column("as_of", Date),
)
# The view's rows at a given instant and supplier zone (the view itself: now(), the session's).
AGING_AT = text("""
    SELECT * FROM read.ar_aging_rows(CAST(:at AS timestamptz), CAST(:zone AS text))
    WHERE CAST(:all_tenants AS boolean) OR tenant_id = CAST(:tenant AS text)
    ORDER BY payer_id
""")
BUCKET_COLUMNS = ("days_0_30", "days_31_60", "days_61_90", "days_91_120", "days_over_120")


@dataclass(frozen=True)
class ClaimRecord:
    claim: Row[Any]
    """A read.claims row, with the patient's name and account number (`PATIENT_COLUMNS`)."""
    lines: list[Row[Any]]
    """Its read.claim_lines rows, by line number."""
    ledger: list[Row[Any]]
    """Its read.claim_ledger_entries rows, in posting order."""


@dataclass(frozen=True)
class Aging:
    as_of: dt.date
    payers: list[dict[str, Any]]
    """Per payer (or `patient`): payer_id, open_claims, balance and the BUCKET_COLUMNS."""


def claim_page(
    conn: Connection,
    tenant_id: str,
    *,
    asked: AskedAt,
    statuses: Sequence[str] | None = None,
    payer_id: str | None = None,
    order_id: UUID | None = None,
    patient_id: UUID | None = None,
    days_outstanding: tuple[int | None, int | None] | None = None,
    min_days_outstanding: int | None = None,
    after: Sequence[Any] | None = None,
    limit: int,
) -> KeysetPage:
    """The tenant's claims matching every filter given, oldest drafted first. `payer_id` is
    the current payer. `days_outstanding` (lowest, highest: either may be None) and
    `min_days_outstanding` keep open claims by their days since the first date of service,
    as of today at each claim's location when `asked` (its `local_today` column)."""
    c = claims.c
    today = location_today(c.location_id, asked)
    query = (
        select(claims, *PATIENT_COLUMNS, today.label("local_today"))
        .select_from(with_patient(claims, c.patient_id, c.tenant_id))
        .where(tenant_rows(c.tenant_id, tenant_id))
    )
    if statuses:
        query = query.where(c.status.in_(statuses))
    if payer_id is not None:
        query = query.where(c.current_payer_id == payer_id)
    if order_id is not None:
        query = query.where(c.order_id == order_id)
    if patient_id is not None:
        query = query.where(c.patient_id == patient_id)
    if days_outstanding is not None or min_days_outstanding is not None:
        days = today - c.service_from
        low, high = days_outstanding or (None, None)
        query = query.where(c.balance > 0)
        for least in (low, min_days_outstanding):
            if least is not None:
                query = query.where(days >= least)
        if high is not None:
            query = query.where(days <= high)
    return keyset_page(conn, query, CLAIM_KEYS, after=after, limit=limit)


def claim_record(
    conn: Connection, claim_id: UUID, tenant_id: str, asked: AskedAt
) -> ClaimRecord | None:
    """One claim with its lines and ledger, and today at its location when `asked`
    (`local_today`); None if the tenant has no such claim."""
    c = claims.c
    row = conn.execute(
        select(claims, *PATIENT_COLUMNS, location_today(c.location_id, asked).label("local_today"))
        .select_from(with_patient(claims, c.patient_id, c.tenant_id))
        .where(c.claim_id == claim_id, tenant_rows(c.tenant_id, tenant_id))
    ).one_or_none()
    if row is None:
        return None
    lines = conn.execute(
        select(claim_lines)
        .where(claim_lines.c.claim_id == claim_id)
        .order_by(claim_lines.c.line_number)
    ).all()
    entries = claim_ledger_entries.c
    ledger = conn.execute(
        select(claim_ledger_entries)
        .where(entries.claim_id == claim_id)
        .order_by(entries.version, entries.entry_index)
    ).all()
    return ClaimRecord(row, list(lines), list(ledger))


def aging(conn: Connection, tenant_id: str, asked: AskedAt) -> Aging:
    """Open balances per payer by days since the first date of service, each claim's counted to
    today at its location when `asked` (read.ar_aging's function, migration 0023, asked at the
    clock's instant; claims with no location in the supplier's zone). The system tenant's
    figures add up every tenant's per payer."""
    found = conn.execute(
        AGING_AT,
        {"at": asked.at, "zone": asked.zone, "tenant": tenant_id,
         "all_tenants": tenant_id == SYSTEM_TENANT},
    ).all()
    as_of = asked.supplier_today
    payers: dict[str, dict[str, Any]] = {}
    for row in found:
        total = payers.setdefault(
            row.payer_id,
            {"payer_id": row.payer_id, "open_claims": 0, "balance": Decimal("0.00"),
             **{b: Decimal("0.00") for b in BUCKET_COLUMNS}},
        )
        total["open_claims"] += row.open_claims
        total["balance"] += row.balance
        for column in BUCKET_COLUMNS:
            total[column] += getattr(row, column)
    return Aging(as_of, list(payers.values()))
