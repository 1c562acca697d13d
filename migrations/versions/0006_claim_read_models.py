"""claim read models: claims, claim lines, ledger entries, work queue, AR aging

Revision ID: 0006_claim_read_models
Revises: 0005_order_read_models
Create Date: 2026-11-22
"""

from __future__ import annotations

revision = "0006_claim_read_models"
down_revision = "0005_order_read_models"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
