"""Queries over the `work_queue` projection's table (read.work_queue), scoped to the caller's
tenant (every tenant for the system tenant)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, select

from projections.claims_tables import claims
from projections.queries.billing_people import (
    CLAIM_MONEY_COLUMNS,
    PATIENT_COLUMNS,
    with_claim,
    with_patient,
)
from projections.queries.keyset import KeysetPage, keyset_page
from projections.queries.local_today import AskedAt, location_today
from projections.queries.scope import tenant_rows
from projections.work_queue_tables import work_queue

WORK_ITEM_KEYS = (work_queue.c.due_on, work_queue.c.kind, work_queue.c.subject_id)


def work_item_page(
    conn: Connection,
    tenant_id: str,
    *,
    kinds: Sequence[str] | None = None,
    due_by: dt.date | None = None,
    asked: AskedAt,
    after: Sequence[Any] | None = None,
    limit: int,
) -> KeysetPage:
    """The tenant's open work items of the given kinds (all if none), due on or before
    `due_by` if given, soonest due first; each with its patient's name and account number and
    its claim's money (`billing_people`) and today at the claim's location when `asked`
    (`local_today`: a claim's age, timely filing, count in its location's time zone)."""
    q = work_queue.c
    joined = with_claim(with_patient(work_queue, q.patient_id, q.tenant_id), q.claim_id)
    today = location_today(claims.c.location_id, asked).label("local_today")
    query = (
        select(work_queue, *PATIENT_COLUMNS, *CLAIM_MONEY_COLUMNS, today)
        .select_from(joined)
        .where(tenant_rows(q.tenant_id, tenant_id))
    )
    if kinds:
        query = query.where(q.kind.in_(kinds))
    if due_by is not None:
        query = query.where(q.due_on <= due_by)
    return keyset_page(conn, query, WORK_ITEM_KEYS, after=after, limit=limit)
