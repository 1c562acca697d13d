"""identity events: users, roles and API keys are recorded as events too

Revision ID: 0002_identity_events
Revises: 0001_event_store
Create Date: 2026-11-22
"""

from __future__ import annotations

from alembic import op

revision = "0002_identity_events"
down_revision = "0001_event_store"
branch_labels = None
depends_on = None

STORAGE = """WITH (
    autovacuum_enabled = true,
    autovacuum_vacuum_threshold = 100000000,
    autovacuum_vacuum_scale_factor = 0.5,
    autovacuum_analyze_threshold = 1000,
    autovacuum_analyze_scale_factor = 0.01
)"""


def upgrade() -> None:
    op.execute(
        f"""
        CREATE TABLE public.identity_events (
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
        "CREATE UNIQUE INDEX identity_events_notification_id_idx "
        "ON public.identity_events (notification_id ASC)"
    )
    op.execute(
        "CREATE TRIGGER identity_events_append_only BEFORE UPDATE OR DELETE "
        "ON public.identity_events FOR EACH ROW EXECUTE FUNCTION public.aries_refuse_event_change()"
    )
    op.execute(
        "CREATE TRIGGER identity_events_no_truncate BEFORE TRUNCATE ON public.identity_events "
        "FOR EACH STATEMENT EXECUTE FUNCTION public.aries_refuse_event_change()"
    )
    op.execute("GRANT SELECT, INSERT, UPDATE ON public.identity_events TO aries_app")
    op.execute("GRANT USAGE ON SEQUENCE public.identity_events_notification_id_seq TO aries_app")


def downgrade() -> None:
    op.execute("DROP TABLE public.identity_events")
