"""Which users a tenant has, from the event index: their `Registered` events, oldest first.
The users themselves are loaded from the Identity application (their current state)."""

from __future__ import annotations

from sqlalchemy import Connection, select

from projections.queries.keyset import KeysetPage, keyset_page
from projections.queries.scope import tenant_rows
from projections.tables import event_index

REGISTERED = "aries.user.Registered"


def registered_users(
    conn: Connection, tenant_id: str, *, after: tuple[int] | None, limit: int
) -> KeysetPage:
    """Rows (position, originator_id) of the tenant's registrations, a page at a time."""
    query = select(event_index.c.position, event_index.c.originator_id).where(
        event_index.c.upstream == "identity",
        event_index.c.topic == REGISTERED,
        tenant_rows(event_index.c.tenant_id, tenant_id),
    )
    return keyset_page(conn, query, [event_index.c.position], after=after, limit=limit)
