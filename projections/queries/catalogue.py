"""Queries over the `catalogue` projection's tables (equipment items, fee schedules), each
scoped to one tenant."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Row, select

from projections.catalogue_tables import equipment_items, fee_schedules
from projections.queries.keyset import KeysetPage, keyset_page

ITEM_KEYS = (equipment_items.c.hcpcs, equipment_items.c.item_id)


def item_page(
    conn: Connection,
    tenant_id: str,
    *,
    hcpcs: str | None = None,
    active: bool | None = None,
    after: Sequence[Any] | None = None,
    limit: int,
) -> KeysetPage:
    """The tenant's catalogue items by HCPCS code (then id), filtered as asked."""
    c = equipment_items.c
    query = select(equipment_items).where(c.tenant_id == tenant_id)
    if hcpcs is not None:
        query = query.where(c.hcpcs == hcpcs.upper())
    if active is not None:
        query = query.where(c.active == active)
    return keyset_page(conn, query, ITEM_KEYS, after=after, limit=limit)


def item_row(conn: Connection, item_id: UUID, tenant_id: str) -> Row[Any] | None:
    c = equipment_items.c
    return conn.execute(
        select(equipment_items).where(c.item_id == item_id, c.tenant_id == tenant_id)
    ).first()


SCHEDULE_KEYS = (fee_schedules.c.effective_from, fee_schedules.c.schedule_id)


def schedule_page(
    conn: Connection,
    tenant_id: str,
    *,
    payer_id: str | None = None,
    after: Sequence[Any] | None = None,
    limit: int,
) -> KeysetPage:
    """The tenant's imported fee schedules, latest effective date first."""
    c = fee_schedules.c
    query = select(fee_schedules).where(c.tenant_id == tenant_id)
    if payer_id is not None:
        query = query.where(c.payer_id == payer_id)
    return keyset_page(conn, query, SCHEDULE_KEYS, after=after, limit=limit, descending=True)


def schedule_row(conn: Connection, schedule_id: UUID, tenant_id: str) -> Row[Any] | None:
    c = fee_schedules.c
    return conn.execute(
        select(fee_schedules).where(c.schedule_id == schedule_id, c.tenant_id == tenant_id)
    ).first()
