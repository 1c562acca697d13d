"""read models: schema read, projection tracking, event_index, analyst role

Read models live in schema `read`. aries_app reads and writes them; aries_analyst (NOLOGIN, for
analysts' login roles to be granted) only reads them, and has no privilege on the event store.
Default privileges give both the same on tables later migrations create in `read` (as the role
that runs migrations). Roles are cluster-wide: the downgrade revokes, it does not drop them.

Revision ID: 0003_read_models
Revises: 0002_identity_events
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_read_models"
down_revision = "0002_identity_events"
branch_labels = None
depends_on = None

SCHEMA = "read"
EVENT_TABLES = ("patients_events", "orders_events", "claims_events", "identity_events")
SNAPSHOT_TABLES = ("patients_snapshots", "orders_snapshots", "claims_snapshots")


def upgrade() -> None:
    op.execute(f"CREATE SCHEMA {SCHEMA}")
    op.execute(
        f"COMMENT ON SCHEMA {SCHEMA} IS 'Read models built by the projectors from the event "
        "store (rebuildable; never written by anything else).'"
    )
    op.execute(
        """
        DO $$ BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'aries_analyst') THEN
                CREATE ROLE aries_analyst NOLOGIN;
            END IF;
        -- Roles belong to the cluster: two databases migrated at once (test processes) race
        -- to create it, and the loser finds it made.
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
        END $$;
        """
    )
    op.execute(f"GRANT USAGE ON SCHEMA {SCHEMA} TO aries_app, aries_analyst")
    op.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {SCHEMA} "
        "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO aries_app"
    )
    op.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {SCHEMA} GRANT SELECT ON TABLES TO aries_analyst"
    )

    op.create_table(
        "projection_tracking",
        sa.Column(
            "projection", sa.Text(), nullable=False, comment="Projection name, e.g. event_index."
        ),
        sa.Column(
            "upstream",
            sa.Text(),
            nullable=False,
            comment="Upstream application followed, e.g. patients (its table is <upstream>_events).",
        ),
        sa.Column(
            "position",
            sa.BigInteger(),
            nullable=False,
            comment="Last notification id of the upstream applied to this projection's tables.",
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
            comment="When the position last moved (commit time of the batch).",
        ),
        sa.PrimaryKeyConstraint("projection", "upstream", name="pk_projection_tracking"),
        schema=SCHEMA,
        comment=(
            "How far each projection has read each upstream event log; written in the same "
            "transaction as the projection's rows (exactly once)."
        ),
    )

    op.create_table(
        "event_index",
        sa.Column(
            "upstream", sa.Text(), nullable=False, comment="Application that recorded the event."
        ),
        sa.Column(
            "position",
            sa.BigInteger(),
            nullable=False,
            comment="Notification id of the event in its upstream's log.",
        ),
        sa.Column(
            "originator_id", sa.Uuid(), nullable=False, comment="Aggregate the event belongs to."
        ),
        sa.Column(
            "originator_version",
            sa.BigInteger(),
            nullable=False,
            comment="Version of the aggregate the event created.",
        ),
        sa.Column("topic", sa.Text(), nullable=False, comment="Stable topic of the event class."),
        sa.Column(
            "event_type",
            sa.Text(),
            nullable=False,
            comment="Last part of the topic, e.g. Registered.",
        ),
        sa.Column(
            "recorded_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="The event's timestamp (when it was recorded, UTC).",
        ),
        sa.Column("tenant_id", sa.Text(), nullable=True, comment="Tenant that owns the aggregate."),
        sa.Column("actor_id", sa.Text(), nullable=True, comment="User or API key that acted."),
        sa.Column("actor_role", sa.Text(), nullable=True, comment="Role the actor acted in."),
        sa.Column(
            "correlation_id",
            sa.Text(),
            nullable=True,
            comment="Request or job the event came from.",
        ),
        sa.Column(
            "causation_id",
            sa.Text(),
            nullable=True,
            comment="Command or event that caused this event.",
        ),
        sa.PrimaryKeyConstraint("upstream", "position", name="pk_event_index"),
        schema=SCHEMA,
        comment=(
            "One row per stored event, without its payload: the audit feed, and time travel "
            "(which version of an aggregate existed at a recorded time)."
        ),
    )
    op.create_index(
        "ix_event_index_upstream_originator_id_recorded_at",
        "event_index",
        ["upstream", "originator_id", "recorded_at"],
        schema=SCHEMA,
    )
    op.create_index(
        "ix_event_index_tenant_id_position",
        "event_index",
        ["tenant_id", "position"],
        schema=SCHEMA,
    )

    # Tables created above by this role already got the default privileges; say it anyway, so
    # the grants hold whoever runs the migration.
    op.execute(
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {SCHEMA} TO aries_app"
    )
    op.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA {SCHEMA} TO aries_analyst")
    # Analysts read the read models only: nothing on the event store, even if granted by hand.
    tables = ", ".join(f"public.{t}" for t in (*EVENT_TABLES, *SNAPSHOT_TABLES))
    op.execute(f"REVOKE ALL ON {tables} FROM aries_analyst")


def downgrade() -> None:
    op.drop_index("ix_event_index_tenant_id_position", table_name="event_index", schema=SCHEMA)
    op.drop_index(
        "ix_event_index_upstream_originator_id_recorded_at", table_name="event_index", schema=SCHEMA
    )
    op.drop_table("event_index", schema=SCHEMA)
    op.drop_table("projection_tracking", schema=SCHEMA)
    op.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {SCHEMA} "
        "REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM aries_app"
    )
    op.execute("ALTER DEFAULT PRIVILEGES IN SCHEMA read REVOKE SELECT ON TABLES FROM aries_analyst")
    # Rebuild schemas left by an interrupted rebuild go too.
    op.execute(
        """
        DO $$ DECLARE s text; BEGIN
            FOR s IN SELECT nspname FROM pg_namespace WHERE nspname LIKE 'read\\_rebuild\\_%' LOOP
                EXECUTE format('DROP SCHEMA %I CASCADE', s);
            END LOOP;
        END $$;
        """
    )
    op.execute(f"DROP SCHEMA {SCHEMA}")
