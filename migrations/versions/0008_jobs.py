"""jobs: side-effect job status and dead letters

Revision ID: 0008_jobs
Revises: 0007_audit
Create Date: 2026-11-22
"""

from __future__ import annotations

revision = "0008_jobs"
down_revision = "0007_audit"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
