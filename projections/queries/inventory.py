"""Queries over the `inventory` projection's tables (projections/inventory_tables.py), each
scoped to the caller's tenant (every tenant's for the system tenant)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Row, func, select, text

from domain.context import SYSTEM_TENANT
from projections.inventory_tables import (
    serial_history,
    serial_rentals,
    serialised_assets,
    stock_levels,
    stock_movements,
)
from projections.queries.keyset import KeysetPage, keyset_page
from projections.queries.scope import tenant_rows

STOCK_KEYS = (stock_levels.c.hcpcs, stock_levels.c.location_id, stock_levels.c.ledger_id)
MOVEMENT_KEYS = (stock_movements.c.version,)
RENTAL_KEYS = (serial_rentals.c.rented_on, serial_rentals.c.asset_id)


def stock_page(
    conn: Connection,
    tenant_id: str,
    *,
    location_id: UUID | None = None,
    item_id: UUID | None = None,
    low_only: bool = False,
    after: Sequence[Any] | None = None,
    limit: int,
) -> KeysetPage:
    """Stock on hand per location and item, by HCPCS code; `low_only`: below the reorder
    point."""
    c = stock_levels.c
    query = select(stock_levels).where(tenant_rows(c.tenant_id, tenant_id))
    if location_id is not None:
        query = query.where(c.location_id == location_id)
    if item_id is not None:
        query = query.where(c.item_id == item_id)
    if low_only:
        query = query.where(c.reorder_point.is_not(None), c.on_hand < c.reorder_point)
    return keyset_page(conn, query, STOCK_KEYS, after=after, limit=limit)


def stock_row(
    conn: Connection, tenant_id: str, location_id: UUID, item_id: UUID
) -> Row[Any] | None:
    c = stock_levels.c
    return conn.execute(
        select(stock_levels).where(
            tenant_rows(c.tenant_id, tenant_id), c.location_id == location_id,
            c.item_id == item_id,
        )
    ).first()


def movement_page(
    conn: Connection,
    ledger_id: UUID,
    *,
    after: Sequence[Any] | None = None,
    limit: int,
) -> KeysetPage:
    """One ledger's movements, oldest first (the caller checked the ledger is the tenant's)."""
    query = select(stock_movements).where(stock_movements.c.ledger_id == ledger_id)
    return keyset_page(conn, query, MOVEMENT_KEYS, after=after, limit=limit)


def serial_row(conn: Connection, tenant_id: str, serial: str) -> Row[Any] | None:
    """Where the serial is now (the serial's key: trimmed, case-insensitive)."""
    c = serialised_assets.c
    return conn.execute(
        select(serialised_assets).where(
            tenant_rows(c.tenant_id, tenant_id),
            func.upper(c.serial) == serial.strip().upper(),
        )
    ).first()


def serial_history_rows(conn: Connection, asset_id: UUID) -> list[Row[Any]]:
    c = serial_history.c
    return list(
        conn.execute(select(serial_history).where(c.asset_id == asset_id).order_by(c.version))
    )


def rental_page(
    conn: Connection,
    tenant_id: str,
    patient_id: UUID,
    *,
    current_only: bool,
    after: Sequence[Any] | None = None,
    limit: int,
) -> KeysetPage:
    """The serialised units a patient rents (or rented), with their serial, by delivery date."""
    r, a = serial_rentals.c, serialised_assets.c
    query = (
        select(serial_rentals, a.serial, a.status)
        .select_from(serial_rentals.join(serialised_assets, a.asset_id == r.asset_id))
        .where(tenant_rows(r.tenant_id, tenant_id), r.patient_id == patient_id)
    )
    if current_only:
        query = query.where(r.ended_on.is_(None))
    return keyset_page(conn, query, RENTAL_KEYS, after=after, limit=limit)


# One definition of the rental census: the analysts' view read.rental_census (migration 0021,
# per location). This query only sums its locations; the report's census (reports.py) sums
# this query's items. A unit counts in every month from its delivery to its pickup or sale.
CENSUS = text("""
    SELECT c.hcpcs, c.item_id, c.month, CAST(sum(c.units_rented) AS bigint) AS units_rented
    FROM read.rental_census AS c
    WHERE (CAST(:all_tenants AS boolean) OR c.tenant_id = CAST(:tenant AS text))
      AND c.month BETWEEN CAST(:from_month AS date) AND CAST(:to_month AS date)
      AND (CAST(:hcpcs AS text) IS NULL OR c.hcpcs = CAST(:hcpcs AS text))
    GROUP BY c.hcpcs, c.item_id, c.month
    ORDER BY c.month, c.hcpcs, c.item_id
""")


def rental_census(
    conn: Connection,
    tenant_id: str,
    *,
    from_month: dt.date,
    to_month: dt.date,
    hcpcs: str | None = None,
) -> list[Row[Any]]:
    """Units out on rental per HCPCS code, item and calendar month (a unit counts in every
    month from its delivery to its pickup or sale, both included), months in
    [from_month, to_month]: the analysts' view read.rental_census, its locations summed."""
    params = {
        "all_tenants": tenant_id == SYSTEM_TENANT, "tenant": tenant_id,
        "from_month": from_month, "to_month": to_month,
        "hcpcs": hcpcs.upper() if hcpcs else None,
    }
    return list(conn.execute(CENSUS, params))
