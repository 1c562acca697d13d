"""Queries over the `orders` projection's tables (read.orders, read.order_lines), each scoped
to one tenant: another tenant's order is not found."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Row, select

from projections.orders_tables import order_lines, orders
from projections.queries.keyset import KeysetPage, keyset_page

ORDER_KEYS = (orders.c.order_date, orders.c.order_id)


@dataclass(frozen=True)
class OrderRecord:
    order: Row[Any]
    """A read.orders row."""
    lines: list[Row[Any]]
    """Its read.order_lines rows, by line number."""


def order_page(
    conn: Connection,
    tenant_id: str,
    *,
    status: str | None = None,
    patient_id: UUID | None = None,
    order_date_from: dt.date | None = None,
    order_date_to: dt.date | None = None,
    on_hold: bool | None = None,
    after: Sequence[Any] | None = None,
    limit: int,
) -> KeysetPage:
    """The tenant's orders matching every filter given, newest order date first (then by id);
    the order dates bound inclusively."""
    o = orders.c
    query = select(orders).where(o.tenant_id == tenant_id)
    if status is not None:
        query = query.where(o.status == status)
    if patient_id is not None:
        query = query.where(o.patient_id == patient_id)
    if order_date_from is not None:
        query = query.where(o.order_date >= order_date_from)
    if order_date_to is not None:
        query = query.where(o.order_date <= order_date_to)
    if on_hold is not None:
        query = query.where(o.on_hold == on_hold)
    return keyset_page(conn, query, ORDER_KEYS, after=after, limit=limit, descending=True)


def order_record(conn: Connection, order_id: UUID, tenant_id: str) -> OrderRecord | None:
    """One order of the tenant with its lines; None if there is no such order."""
    row = conn.execute(
        select(orders).where(orders.c.order_id == order_id, orders.c.tenant_id == tenant_id)
    ).first()
    if row is None:
        return None
    lines = conn.execute(
        select(order_lines)
        .where(order_lines.c.order_id == order_id)
        .order_by(order_lines.c.line_number)
    ).all()
    return OrderRecord(row, list(lines))
