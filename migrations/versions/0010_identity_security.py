"""identity security: failed-login counts, refresh tokens and the revocation list

Schema `auth` holds what logging in and every authenticated request read and change beside the
event store (application/sessions.py): they change on every failed login, refresh and logout,
so they are rows updated atomically, not events. Nothing in it is PHI: login names, ids,
SHA-256 digests of refresh tokens and times. aries_app reads and changes it; nobody else has
anything in it.

Revision ID: 0010_identity_security
Revises: 0009_analyst_views
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_identity_security"
down_revision = "0009_analyst_views"
branch_labels = None
depends_on = None

SCHEMA = "auth"


def upgrade() -> None:
    op.execute(f"CREATE SCHEMA {SCHEMA}")
    op.execute(
        f"COMMENT ON SCHEMA {SCHEMA} IS 'Login throttling, refresh tokens and revoked "
        "credentials; not rebuildable from the event store.'"
    )
    op.create_table(
        "login_guards",
        sa.Column("login_name", sa.Text(), nullable=False,
                  comment="tenant/username as typed, lowercased (unknown names too)."),
        sa.Column("failures", sa.Integer(), server_default=sa.text("0"), nullable=False,
                  comment="Consecutive failed attempts in the current window."),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=True,
                  comment="When the last of them was counted."),
        sa.Column("last_totp_step", sa.BigInteger(), nullable=True,
                  comment="Last TOTP time step accepted (a code is accepted once only)."),
        sa.PrimaryKeyConstraint("login_name", name="pk_login_guards"),
        schema=SCHEMA,
        comment="Failed logins per login name (throttle and lockout) and accepted TOTP steps.",
    )
    op.create_table(
        "refresh_families",
        sa.Column("family_id", sa.Uuid(), nullable=False,
                  comment="One login session; its access tokens carry it as `fam`."),
        sa.Column("user_id", sa.Uuid(), nullable=False, comment="User the session is for."),
        sa.Column("tenant_id", sa.Text(), nullable=False, comment="The user's tenant."),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                  comment="When the user logged in."),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True,
                  comment="When the session ended (logout, reuse, revocation)."),
        sa.Column("revoked_reason", sa.Text(), nullable=True, comment="Why it ended."),
        sa.PrimaryKeyConstraint("family_id", name="pk_refresh_families"),
        schema=SCHEMA,
        comment="Login sessions: refresh-token families.",
    )
    op.create_index(
        "ix_refresh_families_user_id", "refresh_families", ["user_id"], schema=SCHEMA,
        postgresql_where=sa.text("revoked_at IS NULL"),
    )
    op.create_table(
        "refresh_tokens",
        sa.Column("token_hash", sa.Text(), nullable=False,
                  comment="SHA-256 of the token, hex; the token itself is never stored."),
        sa.Column("family_id", sa.Uuid(), nullable=False, comment="Session it belongs to."),
        sa.Column("user_id", sa.Uuid(), nullable=False, comment="User it is for."),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True,
                  comment="When it was spent for a new one; presented again: family revoked."),
        sa.PrimaryKeyConstraint("token_hash", name="pk_refresh_tokens"),
        sa.ForeignKeyConstraint(
            ["family_id"], [f"{SCHEMA}.refresh_families.family_id"],
            name="fk_refresh_tokens_family_id",
        ),
        schema=SCHEMA,
        comment="Refresh tokens, rotated on every use.",
    )
    op.create_table(
        "revocations",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("subject", sa.Uuid(), nullable=False,
                  comment="A user, a session (refresh family) or an API key."),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=False,
                  comment="Credentials of the subject issued up to this time are void."),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False,
                  comment="After this no credential it voids can still be in use."),
        sa.Column("reason", sa.Text(), nullable=False, comment="Why (logged out, deactivated)."),
        sa.PrimaryKeyConstraint("id", name="pk_revocations"),
        schema=SCHEMA,
        comment="Revocation list every API process reloads (at most 1 s old by default).",
    )
    op.create_index("ix_revocations_expires_at", "revocations", ["expires_at"], schema=SCHEMA)
    op.execute(f"GRANT USAGE ON SCHEMA {SCHEMA} TO aries_app")
    op.execute(
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {SCHEMA} TO aries_app"
    )


def downgrade() -> None:
    op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA {SCHEMA} FROM aries_app")
    op.execute(f"REVOKE USAGE ON SCHEMA {SCHEMA} FROM aries_app")
    op.drop_table("revocations", schema=SCHEMA)
    op.drop_table("refresh_tokens", schema=SCHEMA)
    op.drop_index("ix_refresh_families_user_id", table_name="refresh_families", schema=SCHEMA)
    op.drop_table("refresh_families", schema=SCHEMA)
    op.drop_table("login_guards", schema=SCHEMA)
    op.execute(f"DROP SCHEMA {SCHEMA}")
