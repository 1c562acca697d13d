"""patient read models: patients (trigram search), coverages, notes, summaries

Revision ID: 0004_patient_read_models
Revises: 0003_read_models
Create Date: 2026-11-22
"""

from __future__ import annotations

revision = "0004_patient_read_models"
down_revision = "0003_read_models"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
