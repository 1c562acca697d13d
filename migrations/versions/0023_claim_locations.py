"""claim locations: read.claims.location_id, and AR aging counted in each location's time zone

(Also the two stock movements deliveries and pickups of bulk items record: issued_to_order,
returned_from_order, in read.stock_movements.movement's comment.)

A claim records the location it bills as (`Claim.Drafted.location_id`, issue 17): its time
zone decides "today" for the claim's age. `read.ar_aging_rows` takes the instant and the
supplier's zone (for claims with no location) as arguments, defaulting to now() and the
session's zone, so the view read.ar_aging reads as before for claims without a location, and
the API asks the same function at its clock's instant (projections/queries/claims.py). The
function still names the tables only in its string body (migration 0006: rebuilds swap them).

Revision ID: 0023_claim_locations
Revises: 0021_inventory_serials
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023_claim_locations"
down_revision = "0021_inventory_serials"
branch_labels = None
depends_on = None

LOCATION_COMMENT = (
    "The location the claim bills as (the order's, else its tenant's first: read.locations); "
    "its time zone is the claim's today for aging and timely filing. Null: drafted before "
    "claims recorded it, or the tenant has no location (the supplier's time zone)."
)

# Per claim, today at its location: the instant in the location's zone, else default_zone.
NEW_FUNCTION = """
CREATE FUNCTION read.ar_aging_rows(
    asked_at timestamptz DEFAULT now(),
    default_zone text DEFAULT current_setting('TimeZone')
)
RETURNS TABLE (
    tenant_id text, payer_id text, open_claims bigint, balance numeric,
    days_0_30 numeric, days_31_60 numeric, days_61_90 numeric, days_91_120 numeric,
    days_over_120 numeric, as_of date
)
LANGUAGE sql STABLE
AS $$
    SELECT owed.tenant_id,
           owed.party,
           count(*),
           sum(owed.balance),
           coalesce(sum(owed.balance) FILTER (WHERE owed.age <= 30), 0),
           coalesce(sum(owed.balance) FILTER (WHERE owed.age BETWEEN 31 AND 60), 0),
           coalesce(sum(owed.balance) FILTER (WHERE owed.age BETWEEN 61 AND 90), 0),
           coalesce(sum(owed.balance) FILTER (WHERE owed.age BETWEEN 91 AND 120), 0),
           coalesce(sum(owed.balance) FILTER (WHERE owed.age > 120), 0),
           CAST(timezone(default_zone, asked_at) AS date)
    FROM (
        SELECT c.tenant_id, balances.party, balances.balance,
               CAST(timezone(coalesce(l.time_zone, default_zone), asked_at) AS date)
               - c.service_from AS age
        FROM read.claims AS c
        JOIN (
            SELECT e.tenant_id, e.claim_id, e.party, sum(e.amount) AS balance
            FROM read.claim_ledger_entries AS e
            GROUP BY e.tenant_id, e.claim_id, e.party
            HAVING sum(e.amount) > 0
        ) AS balances ON balances.claim_id = c.claim_id AND balances.tenant_id = c.tenant_id
        LEFT JOIN read.locations AS l ON l.location_id = c.location_id
    ) AS owed
    GROUP BY owed.tenant_id, owed.party
$$
"""
# Migration 0006's, as it was.
OLD_FUNCTION = """
CREATE FUNCTION read.ar_aging_rows()
RETURNS TABLE (
    tenant_id text, payer_id text, open_claims bigint, balance numeric,
    days_0_30 numeric, days_31_60 numeric, days_61_90 numeric, days_91_120 numeric,
    days_over_120 numeric, as_of date
)
LANGUAGE sql STABLE
AS $$
    SELECT c.tenant_id,
           owed.party,
           count(*),
           sum(owed.balance),
           coalesce(sum(owed.balance) FILTER (WHERE current_date - c.service_from <= 30), 0),
           coalesce(sum(owed.balance) FILTER (
               WHERE current_date - c.service_from BETWEEN 31 AND 60), 0),
           coalesce(sum(owed.balance) FILTER (
               WHERE current_date - c.service_from BETWEEN 61 AND 90), 0),
           coalesce(sum(owed.balance) FILTER (
               WHERE current_date - c.service_from BETWEEN 91 AND 120), 0),
           coalesce(sum(owed.balance) FILTER (WHERE current_date - c.service_from > 120), 0),
           current_date
    FROM read.claims AS c
    JOIN (
        SELECT e.tenant_id, e.claim_id, e.party, sum(e.amount) AS balance
        FROM read.claim_ledger_entries AS e
        GROUP BY e.tenant_id, e.claim_id, e.party
        HAVING sum(e.amount) > 0
    ) AS owed ON owed.claim_id = c.claim_id AND owed.tenant_id = c.tenant_id
    GROUP BY c.tenant_id, owed.party
$$
"""
VIEW_COMMENT = (
    "Accounts receivable aging by responsible party (payer or patient): open balances "
    "bucketed by days since the first date of service, as of today (each claim's today at its "
    "location)."
)
OLD_VIEW_COMMENT = (
    "Accounts receivable aging by responsible party (payer or patient): open balances "
    "bucketed by days since the first date of service, as of today."
)
COLUMNS = {
    "tenant_id": "Tenant.",
    "payer_id": "Who owes the balance: a payer id, or 'patient'.",
    "open_claims": "Claims on which this party holds a positive balance.",
    "balance": "Total positive balance this party holds.",
    "days_0_30": "Part of it on claims whose first date of service is 0-30 days ago.",
    "days_31_60": "... 31-60 days ago.",
    "days_61_90": "... 61-90 days ago.",
    "days_91_120": "... 91-120 days ago.",
    "days_over_120": "... more than 120 days ago.",
}
AS_OF = (
    "The date the ages are counted to (today, in the database's time zone); each claim's "
    "own age counts to today at its location."
)
OLD_AS_OF = "The date the ages are counted to (today, in the database's time zone)."


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _aging(function: str, signature: str, view_comment: str, as_of: str) -> None:
    op.execute("DROP VIEW read.ar_aging")
    op.execute("DROP FUNCTION read.ar_aging_rows")
    op.execute(function)
    op.execute(
        "CREATE VIEW read.ar_aging AS "
        "SELECT tenant_id, payer_id, open_claims, balance, days_0_30, days_31_60, days_61_90, "
        "days_91_120, days_over_120, as_of FROM read.ar_aging_rows()"
    )
    op.execute(
        f"COMMENT ON FUNCTION read.ar_aging_rows{signature} IS 'Rows of read.ar_aging (a "
        "function so that rebuilds can swap the claims tables: see migration 0006).'"
    )
    op.execute(f"COMMENT ON VIEW read.ar_aging IS {_quoted(view_comment)}")
    for column, comment in {**COLUMNS, "as_of": as_of}.items():
        op.execute(f"COMMENT ON COLUMN read.ar_aging.{column} IS {_quoted(comment)}")
    op.execute("GRANT SELECT ON read.ar_aging TO aries_app, aries_analyst")
    op.execute(
        f"GRANT EXECUTE ON FUNCTION read.ar_aging_rows{signature} TO aries_app, aries_analyst"
    )


MOVEMENTS = (
    "received, transferred_out, transferred_in, adjusted, counted, issued (a serialised unit "
    "delivered or retired), restocked (a serialised unit back from cleaning), issued_to_order "
    "(bulk units delivered on an order) or returned_from_order (bulk rental units back with "
    "the order's pickup)."
)
OLD_MOVEMENTS = (
    "received, transferred_out, transferred_in, adjusted, counted, issued (a serialised unit "
    "delivered or retired) or restocked (a serialised unit back from cleaning)."
)


def upgrade() -> None:
    # Deliveries draw bulk stock too (issue 17): two more kinds of stock movement.
    op.execute(f"COMMENT ON COLUMN read.stock_movements.movement IS {_quoted(MOVEMENTS)}")
    op.add_column(
        "claims", sa.Column("location_id", sa.Uuid(), nullable=True, comment=LOCATION_COMMENT),
        schema="read",
    )
    _aging(NEW_FUNCTION, "(timestamptz, text)", VIEW_COMMENT, AS_OF)


def downgrade() -> None:
    _aging(OLD_FUNCTION, "()", OLD_VIEW_COMMENT, OLD_AS_OF)
    op.drop_column("claims", "location_id", schema="read")
    op.execute(f"COMMENT ON COLUMN read.stock_movements.movement IS {_quoted(OLD_MOVEMENTS)}")
