"""event store: one events table per aggregate family, append-only

The layout is the one eventsourcing 9.5's psycopg recorder expects (processes start with table
creation off, so this file is the only place it is created). Stored events cannot be updated,
deleted or truncated by anyone but a superuser who first disables the triggers.

Revision ID: 0001_event_store
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

from alembic import op

revision = "0001_event_store"
down_revision = None
branch_labels = None
depends_on = None

# Frozen here on purpose: a later family gets a later migration.
FAMILIES = ("patients", "orders", "claims")
# Followers that record new events with their tracking (process managers).
PROCESSES = ("claims",)

STORAGE = """WITH (
    autovacuum_enabled = true,
    autovacuum_vacuum_threshold = 100000000,
    autovacuum_vacuum_scale_factor = 0.5,
    autovacuum_analyze_threshold = 1000,
    autovacuum_analyze_scale_factor = 0.01
)"""


def upgrade() -> None:
    op.execute(
        """
        DO $$ BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
                           WHERE t.typname = 'stored_event_uuid' AND n.nspname = 'public') THEN
                CREATE TYPE public.stored_event_uuid AS (
                    originator_id uuid, originator_version bigint, topic text, state bytea);
            END IF;
        END $$;
        """
    )
    op.execute(
        """
        CREATE FUNCTION public.aries_refuse_event_change() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'stored events are append-only: % on % refused', TG_OP, TG_TABLE_NAME
                USING ERRCODE = 'insufficient_privilege';
        END $$;
        """
    )
    op.execute(
        """
        DO $$ BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'aries_app') THEN
                CREATE ROLE aries_app NOLOGIN;
            END IF;
        -- Roles belong to the cluster: two databases migrated at once (test processes) race
        -- to create it, and the loser finds it made.
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
        END $$;
        """
    )
    for family in FAMILIES:
        events = f"{family}_events"
        op.execute(
            f"""
            CREATE TABLE public.{events} (
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
            f"CREATE UNIQUE INDEX {events}_notification_id_idx "
            f"ON public.{events} (notification_id ASC)"
        )
        op.execute(
            f"""
            CREATE TABLE public.{family}_snapshots (
                originator_id uuid NOT NULL,
                originator_version bigint NOT NULL,
                topic text,
                state bytea,
                PRIMARY KEY (originator_id, originator_version)
            ) {STORAGE}
            """
        )
        op.execute(
            f"CREATE TRIGGER {events}_append_only BEFORE UPDATE OR DELETE ON public.{events} "
            "FOR EACH ROW EXECUTE FUNCTION public.aries_refuse_event_change()"
        )
        op.execute(
            f"CREATE TRIGGER {events}_no_truncate BEFORE TRUNCATE ON public.{events} "
            "FOR EACH STATEMENT EXECUTE FUNCTION public.aries_refuse_event_change()"
        )
        # UPDATE is granted only because the recorder's LOCK TABLE ... EXCLUSIVE needs it;
        # the trigger refuses the UPDATE itself.
        op.execute(f"GRANT SELECT, INSERT, UPDATE ON public.{events} TO aries_app")
        op.execute(f"GRANT SELECT, INSERT ON public.{family}_snapshots TO aries_app")
        op.execute(f"GRANT USAGE ON SEQUENCE public.{events}_notification_id_seq TO aries_app")
    for process in PROCESSES:
        op.execute(
            f"""
            CREATE TABLE public.{process}_tracking (
                application_name text,
                notification_id bigint,
                PRIMARY KEY (application_name)
            ) {STORAGE}
            """
        )
        op.execute(
            f"GRANT SELECT, INSERT, UPDATE ON public.{process}_tracking TO aries_app"
        )
    op.execute("GRANT USAGE ON SCHEMA public TO aries_app")


def downgrade() -> None:
    for process in PROCESSES:
        op.execute(f"DROP TABLE public.{process}_tracking")
    for family in FAMILIES:
        op.execute(f"DROP TABLE public.{family}_snapshots")
        op.execute(f"DROP TABLE public.{family}_events")
    op.execute("DROP FUNCTION public.aries_refuse_event_change()")
    op.execute("DROP TYPE public.stored_event_uuid")
    op.execute("REVOKE ALL ON SCHEMA public FROM aries_app")
