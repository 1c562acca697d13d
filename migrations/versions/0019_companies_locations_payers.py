"""companies, locations and payers: the supplier's setup as events and read models

A new event store family `setup` (setup_events, setup_snapshots: append-only, hash-chained and
sealed like the others) holds the Company (the tenant), its Locations and its Payers
(domain/company.py, domain/location.py, domain/payer.py). Read models for
`projections/setup.py`: read.companies, read.locations, read.payers (no PHI: analysts read
them). read.orders gains location_id (the branch the order is billed from).

Revision ID: 0019_companies_locations_payers
Revises: 0016_billing_holds
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019_companies_locations_payers"
down_revision = "0016_billing_holds"
branch_labels = None
depends_on = None

SCHEMA = "read"
FAMILY = "setup"
EVENTS = f"{FAMILY}_events"
TS = sa.DateTime(timezone=True)
STORAGE = """WITH (
    autovacuum_enabled = true,
    autovacuum_vacuum_threshold = 100000000,
    autovacuum_vacuum_scale_factor = 0.5,
    autovacuum_analyze_threshold = 1000,
    autovacuum_analyze_scale_factor = 0.01
)"""


def _event_store() -> None:
    for kind in ("events", "snapshots"):
        serial = "notification_id bigserial," if kind == "events" else ""
        op.execute(
            f"""
            CREATE TABLE public.{FAMILY}_{kind} (
                originator_id uuid NOT NULL,
                originator_version bigint NOT NULL,
                topic text,
                state bytea,
                {serial}
                PRIMARY KEY (originator_id, originator_version)
            ) {STORAGE}
            """
        )
    op.execute(f"CREATE UNIQUE INDEX {EVENTS}_notification_id_idx ON public.{EVENTS} "
               "(notification_id ASC)")
    op.execute(f"CREATE TRIGGER {EVENTS}_append_only BEFORE UPDATE OR DELETE ON public.{EVENTS} "
               "FOR EACH ROW EXECUTE FUNCTION public.aries_refuse_event_change()")
    op.execute(f"CREATE TRIGGER {EVENTS}_no_truncate BEFORE TRUNCATE ON public.{EVENTS} "
               "FOR EACH STATEMENT EXECUTE FUNCTION public.aries_refuse_event_change()")
    op.execute(f"CREATE TRIGGER {EVENTS}_chain AFTER INSERT ON public.{EVENTS} "
               "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
               "EXECUTE FUNCTION audit.chain_new_events()")
    # Every event of this family is sealed from its first (0013's start position is 0).
    op.execute(f"INSERT INTO audit.seal_start (chain, position) VALUES ('{EVENTS}', 0)")  # noqa: S608
    op.execute(f"GRANT SELECT, INSERT, UPDATE ON public.{EVENTS} TO aries_app")
    op.execute(f"GRANT SELECT, INSERT ON public.{FAMILY}_snapshots TO aries_app")
    op.execute(f"GRANT USAGE ON SEQUENCE public.{EVENTS}_notification_id_seq TO aries_app")
    op.execute(f"REVOKE ALL ON public.{EVENTS}, public.{FAMILY}_snapshots FROM aries_analyst")


def _address(what: str, nullable: bool, street: str = " street") -> list[sa.Column]:
    return [
        sa.Column("address_line1", sa.Text(), nullable=nullable,
                  comment=f"{what}{street}, line 1."),
        sa.Column("address_line2", sa.Text(), nullable=True, comment=f"{what}{street}, line 2."),
        sa.Column("city", sa.Text(), nullable=nullable, comment=f"{what} city."),
        sa.Column("state", sa.Text(), nullable=nullable, comment="USPS state code."),
        sa.Column("postal_code", sa.Text(), nullable=nullable,
                  comment="ZIP or ZIP+4, bare digits."),
    ]


def _contact() -> list[sa.Column]:
    return [
        sa.Column("contact_name", sa.Text(), nullable=False,
                  comment="Who payers call (837P PER)."),
        sa.Column("contact_phone", sa.Text(), nullable=False, comment="Ten bare digits."),
        sa.Column("contact_email", sa.Text(), nullable=True, comment="E-mail address, if given."),
    ]


def _versioned() -> list[sa.Column]:
    return [
        sa.Column("updated_at", TS, nullable=False,
                  comment="Timestamp of the latest event (UTC)."),
        sa.Column("version", sa.BigInteger(), nullable=False,
                  comment="Aggregate version after its latest event (the API's ETag)."),
    ]


def _read_models() -> None:
    op.create_table(
        "companies",
        sa.Column("company_id", sa.Uuid(), nullable=False,
                  comment="The company (aggregate id, a uuid5 of the tenant id)."),
        sa.Column("tenant_id", sa.Text(), nullable=False, comment="The tenant the company is."),
        sa.Column("legal_name", sa.Text(), nullable=False, comment="Legal name of the supplier."),
        sa.Column("billing_npi", sa.Text(), nullable=False, comment="Organisation NPI (type 2)."),
        sa.Column("tax_id", sa.Text(), nullable=False, comment="EIN, nine bare digits."),
        *_address("Head office", nullable=False),
        *_contact(),
        sa.Column("time_zone", sa.Text(), nullable=False,
                  comment="IANA time zone of head office: the tenant's calendar where no "
                  "location decides."),
        sa.Column("registered_at", TS, nullable=False, comment="When it was registered (UTC)."),
        *_versioned(),
        sa.PrimaryKeyConstraint("company_id", name="pk_companies"),
        sa.UniqueConstraint("tenant_id", name="uq_companies_tenant_id"),
        schema=SCHEMA,
        comment="The supplier of each tenant (one company per tenant).",
    )
    op.create_table(
        "locations",
        sa.Column("location_id", sa.Uuid(), nullable=False,
                  comment="The location (aggregate id)."),
        sa.Column("tenant_id", sa.Text(), nullable=False,
                  comment="Tenant that owns the location."),
        sa.Column("name", sa.Text(), nullable=False, comment="Branch name, for people."),
        sa.Column("npi", sa.Text(), nullable=False,
                  comment="The branch's NPI: the 837P billing provider (2010AA NM109) of its "
                  "orders' claims."),
        sa.Column("ptan", sa.Text(), nullable=False,
                  comment="Medicare PTAN (NSC number) of the branch."),
        sa.Column("tax_id", sa.Text(), nullable=False,
                  comment="EIN the branch bills under (2010AA REF*EI)."),
        *_address("Branch", nullable=False),
        *_contact(),
        sa.Column("time_zone", sa.Text(), nullable=False,
                  comment="IANA time zone: the branch's today for billing, aging and timely "
                  "filing."),
        sa.Column("closed_on", sa.Date(), nullable=True, comment="Date closed; null while open."),
        sa.Column("opened_at", TS, nullable=False, comment="When it was recorded (UTC)."),
        *_versioned(),
        sa.PrimaryKeyConstraint("location_id", name="pk_locations"),
        schema=SCHEMA,
        comment="The supplier's branches, each enrolled and billing on its own.",
    )
    op.create_index("ix_locations_tenant_id_name", "locations", ["tenant_id", "name"],
                    schema=SCHEMA)
    op.create_table(
        "payers",
        sa.Column("payer_record_id", sa.Uuid(), nullable=False,
                  comment="The payer record (aggregate id, a uuid5 of tenant and payer id)."),
        sa.Column("tenant_id", sa.Text(), nullable=False,
                  comment="Tenant that maintains the payer."),
        sa.Column("payer_id", sa.Text(), nullable=False,
                  comment="The tenant's payer id (MCR-DMEB), the one coverages name."),
        sa.Column("name", sa.Text(), nullable=False, comment="Payer name."),
        sa.Column("payer_type", sa.Text(), nullable=False,
                  comment="medicare, medicaid or commercial."),
        sa.Column("claim_filing_indicator", sa.Text(), nullable=False,
                  comment="837P SBR09 (X12 1032: MB, MC, CI...)."),
        sa.Column("x12_payer_id", sa.Text(), nullable=False,
                  comment="Clearinghouse routing id (2010BB NM109)."),
        sa.Column("timely_filing_months", sa.Integer(), nullable=True,
                  comment="Filing limit in months from the date of service, or null."),
        sa.Column("timely_filing_days", sa.Integer(), nullable=True,
                  comment="Filing limit in days from the date of service, or null."),
        *_address("Claims address", nullable=True, street=""),
        sa.Column("retired", sa.Boolean(), nullable=False,
                  comment="True once retired (no new coverage)."),
        *_versioned(),
        sa.PrimaryKeyConstraint("payer_record_id", name="pk_payers"),
        sa.UniqueConstraint("tenant_id", "payer_id", name="uq_payers_tenant_id_payer_id"),
        schema=SCHEMA,
        comment="Payers each tenant bills, maintained over the API.",
    )


# Orders and claims counted per branch and month: what each location bills (no patient in it,
# so the view is for any analyst; a SECURITY DEFINER function as in 0009 so that a projection
# rebuild can swap the tables it reads).
LOCATION_ACTIVITY = """
CREATE FUNCTION read.location_activity_rows()
RETURNS TABLE (
    tenant_id text, location_id uuid, location_name text, state text, npi text, ptan text,
    time_zone text, order_month date, orders_placed bigint, orders_delivered bigint,
    orders_cancelled bigint
)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
    SELECT l.tenant_id, l.location_id, l.name, l.state, l.npi, l.ptan, l.time_zone,
           date_trunc('month', o.order_date)::date,
           count(o.order_id),
           count(o.order_id) FILTER (WHERE o.status IN ('delivered', 'picked_up')),
           count(o.order_id) FILTER (WHERE o.status = 'cancelled')
    FROM read.locations AS l
    JOIN read.orders AS o ON o.location_id = l.location_id AND o.tenant_id = l.tenant_id
    GROUP BY l.tenant_id, l.location_id, l.name, l.state, l.npi, l.ptan, l.time_zone,
             date_trunc('month', o.order_date)
$$
"""
ACTIVITY_COLUMNS = {
    "tenant_id": "Tenant that owns the location.",
    "location_id": "The location (read.locations).",
    "location_name": "Branch name.",
    "state": "USPS state of the branch.",
    "npi": "The branch NPI its claims bill under.",
    "ptan": "The branch PTAN.",
    "time_zone": "The branch time zone (its today).",
    "order_month": "First day of the month the orders were dated.",
    "orders_placed": "Orders dated in that month at the branch.",
    "orders_delivered": "Of them, delivered (or since picked up).",
    "orders_cancelled": "Of them, cancelled.",
}


def _location_activity() -> None:
    op.execute(LOCATION_ACTIVITY)
    function = "read.location_activity_rows()"
    op.execute(f"REVOKE ALL ON FUNCTION {function} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {function} TO aries_analyst, aries_app")
    op.execute(f"CREATE VIEW read.location_activity AS SELECT * FROM {function}")  # noqa: S608
    op.execute("GRANT SELECT ON read.location_activity TO aries_analyst, aries_app")
    op.execute("COMMENT ON VIEW read.location_activity IS 'Orders per location and month "
               "(counts only, no patient): what each branch bills.'")
    op.execute(f"COMMENT ON FUNCTION {function} IS 'Rows of the view read.location_activity.'")
    for column, text in ACTIVITY_COLUMNS.items():
        op.execute(f"COMMENT ON COLUMN read.location_activity.{column} IS '{text}'")


def upgrade() -> None:
    _event_store()
    _read_models()
    op.add_column(
        "orders",
        sa.Column("location_id", sa.Uuid(), nullable=True,
                  comment="The branch the order is billed from (read.locations); null: placed "
                  "before locations existed (bills as the tenant's first location)."),
        schema=SCHEMA,
    )
    _location_activity()


def downgrade() -> None:
    op.execute("DROP VIEW read.location_activity")
    op.execute("DROP FUNCTION read.location_activity_rows()")
    op.drop_column("orders", "location_id", schema=SCHEMA)
    for table in ("payers", "locations", "companies"):
        op.drop_table(table, schema=SCHEMA)
    op.execute(f"DELETE FROM audit.seal_start WHERE chain = '{EVENTS}'")  # noqa: S608
    op.execute(f"DROP TABLE public.{FAMILY}_snapshots")
    op.execute(f"DROP TABLE public.{EVENTS}")
