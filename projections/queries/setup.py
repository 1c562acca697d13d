"""Reads of the supplier setup tables (read.companies, read.locations, read.payers), scoped to
the caller's tenant."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Row, select

from projections.queries.keyset import KeysetPage, keyset_page
from projections.queries.scope import tenant_rows
from projections.setup_tables import companies, locations, payers


def company(conn: Connection, tenant_id: str) -> Row[Any] | None:
    """The caller's own company (the system tenant has none)."""
    return conn.execute(select(companies).where(companies.c.tenant_id == tenant_id)).first()


def location(conn: Connection, location_id: UUID, tenant_id: str) -> Row[Any] | None:
    return conn.execute(
        select(locations).where(
            locations.c.location_id == location_id, tenant_rows(locations.c.tenant_id, tenant_id)
        )
    ).first()


def location_page(
    conn: Connection, tenant_id: str, *, include_closed: bool, after: Any, limit: int
) -> KeysetPage:
    """Locations by name, then id."""
    query = select(locations).where(tenant_rows(locations.c.tenant_id, tenant_id))
    if not include_closed:
        query = query.where(locations.c.closed_on.is_(None))
    keys = [locations.c.name, locations.c.location_id]
    return keyset_page(conn, query, keys, after=after, limit=limit)


def payer(conn: Connection, payer_record_id: UUID, tenant_id: str) -> Row[Any] | None:
    return conn.execute(
        select(payers).where(
            payers.c.payer_record_id == payer_record_id, tenant_rows(payers.c.tenant_id, tenant_id)
        )
    ).first()


def payer_page(
    conn: Connection, tenant_id: str, *, payer_type: str | None, after: Any, limit: int
) -> KeysetPage:
    """Payers by payer id, then record id."""
    query = select(payers).where(tenant_rows(payers.c.tenant_id, tenant_id))
    if payer_type is not None:
        query = query.where(payers.c.payer_type == payer_type)
    keys = [payers.c.payer_id, payers.c.payer_record_id]
    return keyset_page(conn, query, keys, after=after, limit=limit)
