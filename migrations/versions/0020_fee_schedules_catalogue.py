"""equipment catalogue and fee schedules: the Catalogue event store and its read models

A new event family, `catalogue_events` (application/catalogue.py), append-only, hash-chained
and sealed like the others (0001, 0007, 0013). It records the equipment catalogue
(domain/equipment.py) and every fee schedule import (domain/fee_schedule.py). Tables for
`projections/catalogue.py` as defined in `projections/tables.py`: read.equipment_items,
read.fee_schedules and read.fee_schedule_rates. None holds PHI: analysts read them as they are,
and the view read.fee_schedule_amounts (each amount with the dates its schedule was in force),
through a SECURITY DEFINER function as in 0009, so that a rebuild can swap the tables.

Revision ID: 0020_fee_schedules_catalogue
Revises: 0016_billing_holds
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020_fee_schedules_catalogue"
down_revision = "0016_billing_holds"
branch_labels = None
depends_on = None

SCHEMA = "read"
EVENTS = "catalogue_events"
TABLES = ("equipment_items", "fee_schedules", "fee_schedule_rates")
MONEY = sa.Numeric(12, 2)
TS = sa.DateTime(timezone=True)

STORAGE = """WITH (
    autovacuum_enabled = true,
    autovacuum_vacuum_threshold = 100000000,
    autovacuum_vacuum_scale_factor = 0.5,
    autovacuum_analyze_threshold = 1000,
    autovacuum_analyze_scale_factor = 0.01
)"""


def _event_store() -> None:
    op.execute(
        f"""
        CREATE TABLE public.{EVENTS} (
            originator_id uuid NOT NULL,
            originator_version bigint NOT NULL,
            topic text,
            state bytea,
            notification_id bigserial,
            PRIMARY KEY (originator_id, originator_version)
        ) {STORAGE}
        """
    )
    op.execute(
        f"CREATE UNIQUE INDEX {EVENTS}_notification_id_idx ON public.{EVENTS} (notification_id ASC)"
    )
    op.execute(
        f"CREATE TRIGGER {EVENTS}_append_only BEFORE UPDATE OR DELETE ON public.{EVENTS} "
        "FOR EACH ROW EXECUTE FUNCTION public.aries_refuse_event_change()"
    )
    op.execute(
        f"CREATE TRIGGER {EVENTS}_no_truncate BEFORE TRUNCATE ON public.{EVENTS} "
        "FOR EACH STATEMENT EXECUTE FUNCTION public.aries_refuse_event_change()"
    )
    # Chained from its first event (0007) and sealed from its first event (0013).
    op.execute(
        f"CREATE TRIGGER {EVENTS}_chain AFTER INSERT ON public.{EVENTS} "
        "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
        "EXECUTE FUNCTION audit.chain_new_events()"
    )
    op.execute("INSERT INTO audit.seal_start (chain, position) VALUES ('catalogue_events', 0)")
    # UPDATE only for the recorder's LOCK TABLE ... EXCLUSIVE; the trigger refuses the UPDATE.
    op.execute(f"GRANT SELECT, INSERT, UPDATE ON public.{EVENTS} TO aries_app")
    op.execute(f"GRANT USAGE ON SEQUENCE public.{EVENTS}_notification_id_seq TO aries_app")


def _read_models() -> None:
    op.create_table(
        "equipment_items",
        sa.Column("item_id", sa.Uuid(), nullable=False, comment="The catalogue item."),
        sa.Column("tenant_id", sa.Text(), nullable=False,
                  comment="Tenant (supplier) whose catalogue it is."),
        sa.Column("hcpcs", sa.Text(), nullable=False,
                  comment="HCPCS Level II code it is billed under (reference/hcpcs.csv)."),
        sa.Column("manufacturer", sa.Text(), nullable=False, comment="Who makes it."),
        sa.Column("model", sa.Text(), nullable=False,
                  comment="The manufacturer's model name or number."),
        sa.Column("category", sa.Text(), nullable=False,
                  comment="rental or purchase: how it is furnished."),
        sa.Column("serialised", sa.Boolean(), nullable=False,
                  comment="Whether each unit carries a serial number (tracked unit by unit)."),
        sa.Column("active", sa.Boolean(), nullable=False, comment="False once discontinued."),
        sa.Column("added_at", TS, nullable=False, comment="When it was added (UTC)."),
        sa.Column("updated_at", TS, nullable=False, comment="When it last changed (UTC)."),
        sa.Column("version", sa.Integer(), nullable=False,
                  comment="Aggregate version (the ETag)."),
        sa.Column("position", sa.BigInteger(), nullable=False,
                  comment="Catalogue-log position of the event."),
        sa.PrimaryKeyConstraint("item_id", name="pk_equipment_items"),
        schema=SCHEMA,
        comment="The equipment catalogue: makes and models a supplier stocks, by HCPCS code.",
    )
    op.create_index("ix_equipment_items_tenant_id_hcpcs_item_id", "equipment_items",
                    ["tenant_id", "hcpcs", "item_id"], unique=False, schema=SCHEMA)
    op.create_table(
        "fee_schedules",
        sa.Column("schedule_id", sa.Uuid(), nullable=False, comment="The imported schedule."),
        sa.Column("tenant_id", sa.Text(), nullable=False, comment="Tenant that imported it."),
        sa.Column("payer_id", sa.Text(), nullable=False,
                  comment="Payer whose allowed amounts it holds."),
        sa.Column("source", sa.Text(), nullable=False,
                  comment="cms_dmepos (CMS quarterly DMEPOS fee schedule) or contract (payer "
                  "rates)."),
        sa.Column("effective_from", sa.Date(), nullable=False,
                  comment="First date of service it prices (a quarter start for CMS files)."),
        sa.Column("file_name", sa.Text(), nullable=False, comment="Name of the imported file."),
        sa.Column("content_sha256", sa.Text(), nullable=False,
                  comment="SHA-256 (hex) of the file's bytes."),
        sa.Column("row_count", sa.Integer(), nullable=False,
                  comment="Rows (code + modifiers) it prices."),
        sa.Column("imported_at", TS, nullable=False, comment="When it was imported (UTC)."),
        sa.Column("position", sa.BigInteger(), nullable=False,
                  comment="Catalogue-log position of the event."),
        sa.PrimaryKeyConstraint("schedule_id", name="pk_fee_schedules"),
        schema=SCHEMA,
        comment="Imported fee schedules: for a payer, the one in force on a date of service is "
        "the latest effective_from on or before it (ties: the later import).",
    )
    op.create_index("ix_fee_schedules_tenant_id_payer_id_effective_from", "fee_schedules",
                    ["tenant_id", "payer_id", "effective_from"], unique=False, schema=SCHEMA)
    op.create_table(
        "fee_schedule_rates",
        sa.Column("schedule_id", sa.Uuid(), nullable=False,
                  comment="The schedule (read.fee_schedules)."),
        sa.Column("tenant_id", sa.Text(), nullable=False, comment="Tenant that imported it."),
        sa.Column("hcpcs", sa.Text(), nullable=False, comment="HCPCS code."),
        sa.Column("modifier", sa.Text(), nullable=False,
                  comment="CMS Mod (NU, RR, UE...; '' for none)."),
        sa.Column("modifier_2", sa.Text(), nullable=False,
                  comment="CMS Mod2 (e.g. KE; '' for none)."),
        sa.Column("state", sa.Text(), nullable=False,
                  comment="State column, e.g. IL; '*' for every state."),
        sa.Column("rural", sa.Boolean(), nullable=False,
                  comment="The rural (R) or non-rural (NR) amount."),
        sa.Column("amount", MONEY, nullable=False, comment="Allowed amount per unit (USD)."),
        sa.PrimaryKeyConstraint("schedule_id", "hcpcs", "modifier", "modifier_2", "state",
                                "rural", name="pk_fee_schedule_rates"),
        schema=SCHEMA,
        comment="Each schedule's allowed amounts by code, modifiers, state and rural status.",
    )
    tables = ", ".join(f"{SCHEMA}.{name}" for name in TABLES)
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {tables} TO aries_app")
    op.execute(f"GRANT SELECT ON {tables} TO aries_analyst")


AMOUNTS = """
CREATE FUNCTION read.fee_schedule_amounts_rows()
RETURNS TABLE (
    tenant_id text, payer_id text, source text, schedule_id uuid, effective_from date,
    superseded_on date, hcpcs text, modifier text, modifier_2 text, state text, rural boolean,
    amount numeric
)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
    WITH ranked AS (
        SELECT s.*, lead(s.effective_from) OVER (
            PARTITION BY s.tenant_id, s.payer_id ORDER BY s.effective_from, s.position
        ) AS next_from
        FROM read.fee_schedules AS s
    )
    SELECT s.tenant_id, s.payer_id, s.source, s.schedule_id, s.effective_from,
           s.next_from, r.hcpcs, r.modifier, r.modifier_2, r.state, r.rural, r.amount
    FROM ranked AS s JOIN read.fee_schedule_rates AS r USING (schedule_id)
$$
"""
AMOUNTS_COMMENT = (
    "Every imported fee schedule amount with its payer and the dates its schedule was in "
    "force: from effective_from until the day before superseded_on (the next schedule of the "
    "payer; null: still in force). No PHI."
)

AMOUNT_COLUMNS = {
    "tenant_id": "Tenant that imported the schedule.",
    "payer_id": "Payer whose allowed amounts it holds.",
    "source": "cms_dmepos or contract.",
    "schedule_id": "The schedule (read.fee_schedules).",
    "effective_from": "First date of service the schedule prices.",
    "superseded_on": "Effective date of the payer's next schedule; null: still in force.",
    "hcpcs": "HCPCS code.",
    "modifier": "CMS Mod ('' for none).",
    "modifier_2": "CMS Mod2 ('' for none).",
    "state": "State column, e.g. IL; * for every state.",
    "rural": "The rural (R) or non-rural (NR) amount.",
    "amount": "Allowed amount per unit (USD).",
}


def _analyst_view() -> None:
    op.execute(AMOUNTS)
    op.execute("REVOKE ALL ON FUNCTION read.fee_schedule_amounts_rows() FROM PUBLIC")
    op.execute(
        "GRANT EXECUTE ON FUNCTION read.fee_schedule_amounts_rows() TO aries_analyst, aries_app"
    )
    op.execute(
        "CREATE VIEW read.fee_schedule_amounts AS SELECT * FROM read.fee_schedule_amounts_rows()"
    )
    op.execute("GRANT SELECT ON read.fee_schedule_amounts TO aries_analyst, aries_app")
    op.execute(f"COMMENT ON VIEW read.fee_schedule_amounts IS '{AMOUNTS_COMMENT}'")
    for column, text in AMOUNT_COLUMNS.items():
        quoted = text.replace("'", "''")
        op.execute(f"COMMENT ON COLUMN read.fee_schedule_amounts.{column} IS '{quoted}'")
    op.execute(
        "COMMENT ON FUNCTION read.fee_schedule_amounts_rows() IS "
        "'Rows of the view read.fee_schedule_amounts (see its comment).'"
    )


def upgrade() -> None:
    _event_store()
    _read_models()
    _analyst_view()


def downgrade() -> None:
    op.execute("DROP VIEW read.fee_schedule_amounts")
    op.execute("DROP FUNCTION read.fee_schedule_amounts_rows()")
    for name in reversed(TABLES):
        op.drop_table(name, schema=SCHEMA)
    op.execute(f"DROP TABLE public.{EVENTS}")
