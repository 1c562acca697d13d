"""audit integrity: application seals on events and access entries, Merkle roots in checkpoints

The chains of 0007 are built by triggers, so they chain whatever is inserted, a row typed by
hand with the application's own credentials included. This migration adds what the database
cannot produce by itself:

- `audit.event_seals`: one HMAC-SHA256 per stored event, over the event's stored content
  (chain, originator id and version, topic, state), written by the application's recorder in
  the insert transaction (application/audit/seals.py). The key is in the application's settings
  (ARIES_AUDIT_SIGNING_KEY), never in PostgreSQL, so an event without a valid seal was not
  recorded through the application: `aries audit verify` reports it.
- `audit.access_log.seal`: the same for access entries, over what the caller sends (the entry's
  id, which the application generates, and its fields); the trigger still stamps seq and time.
- `audit.seal_start`: per chain, the last position stored before sealing began (events recorded
  before this migration cannot be sealed without the key; they are covered by the chain alone).
- `audit.checkpoints.root_hash`: the RFC 9162 Merkle tree head over the chain's entry digests
  1..seq, signed with the checkpoint (application/audit/merkle.py).

Grants: aries_app inserts and reads seals (no UPDATE/DELETE: the append-only triggers refuse
them for every role) and reads seal_start.

Revision ID: 0013_audit_integrity
Revises: 0012_claim_lists
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0013_audit_integrity"
# Chained after main's 0015 when main was merged in (one head); the brief's chain is
# 0010 -> 0013, for the lead to re-chain.
down_revision = "0012_claim_lists"
branch_labels = None
depends_on = None

EVENT_TABLES = ("patients_events", "orders_events", "claims_events", "identity_events")


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE audit.event_seals (
            chain text NOT NULL,
            originator_id uuid NOT NULL,
            originator_version bigint NOT NULL,
            key_id text NOT NULL,
            seal bytea NOT NULL,
            CONSTRAINT pk_event_seals PRIMARY KEY (chain, originator_id, originator_version)
        )
        """
    )
    op.execute(
        "COMMENT ON TABLE audit.event_seals IS 'HMAC-SHA256 of each stored event under a key "
        "kept outside the database (ARIES_AUDIT_SIGNING_KEY), written by the application in "
        "the insert transaction: an event without a valid seal was not recorded by Aries.'"
    )
    op.execute(
        """
        CREATE TABLE audit.seal_start (
            chain text NOT NULL,
            position bigint NOT NULL,
            CONSTRAINT pk_seal_start PRIMARY KEY (chain)
        )
        """
    )
    op.execute(
        "COMMENT ON TABLE audit.seal_start IS 'Per chain, the last position stored before "
        "events were sealed: older events are covered by the hash chain alone.'"
    )
    for table in EVENT_TABLES:
        # Locked as the library locks it: no event commits between this read and the end of
        # the migration. Stop the previous release's writers first: events they record after
        # it are unsealed, and verification reports them (the new release needs this table).
        op.execute(f"LOCK TABLE public.{table} IN EXCLUSIVE MODE")
        op.execute(
            f"INSERT INTO audit.seal_start (chain, position) "  # noqa: S608 (constants only)
            f"SELECT '{table}', coalesce(max(notification_id), 0) FROM public.{table}"
        )
    op.execute("ALTER TABLE audit.access_log ADD COLUMN seal bytea")
    op.execute(
        "COMMENT ON COLUMN audit.access_log.seal IS 'HMAC-SHA256 of the entry as the application "
        "sent it (ARIES_AUDIT_SIGNING_KEY); NULL on entries recorded before 0013_audit_integrity.'"
    )
    op.execute("LOCK TABLE audit.access_log IN EXCLUSIVE MODE")
    op.execute(
        "CREATE TABLE audit.access_seal_start AS "
        "SELECT coalesce(max(seq), 0) AS seq FROM audit.access_log"
    )
    op.execute("ALTER TABLE audit.checkpoints ADD COLUMN root_hash bytea")
    op.execute(
        "COMMENT ON COLUMN audit.checkpoints.root_hash IS 'RFC 9162 Merkle tree head over the "
        "chain''s entry digests 1..seq (signed with the rest); NULL on older checkpoints.'"
    )
    for table in ("event_seals", "seal_start", "access_seal_start"):
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON audit.{table} "
            "FOR EACH ROW EXECUTE FUNCTION public.aries_refuse_event_change()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON audit.{table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION public.aries_refuse_event_change()"
        )
    op.execute("GRANT SELECT, INSERT ON audit.event_seals TO aries_app")
    op.execute("GRANT SELECT ON audit.seal_start, audit.access_seal_start TO aries_app")


def downgrade() -> None:
    op.execute("REVOKE ALL ON audit.event_seals, audit.seal_start, audit.access_seal_start "
               "FROM aries_app")
    op.execute("DROP TABLE audit.event_seals, audit.seal_start, audit.access_seal_start")
    op.execute("ALTER TABLE audit.access_log DROP COLUMN seal")
    op.execute("ALTER TABLE audit.checkpoints DROP COLUMN root_hash")
