"""appeal deadlines count from the notice's presumed receipt: read.claims.appeal_deadline's comment

42 CFR 405.942(a) and 405.962(a) count the 120 and 180 days from receipt of the notice, presumed
5 days after its date (domain/claim_appeals.py). The deadlines the projectors write from now on
are 5 days later than before; rows written before keep the old date until
`aries projections rebuild claims` and `... rebuild work_queue` (read models are written by the
projectors alone, so this migration does not move them itself).

Revision ID: 0024_appeal_receipt_presumed
Revises: 0023_claim_locations
Create Date: 2026-12-04
"""

from __future__ import annotations

from alembic import op

revision = "0024_appeal_receipt_presumed"
down_revision = "0023_claim_locations"
branch_labels = None
depends_on = None

NEW = (
    "Last day to file the next appeal while one may be filed: redetermination 120 days after "
    "the determination's receipt, reconsideration 180 days after an unfavourable "
    "redetermination's receipt, receipt presumed 5 days after the notice's date; null when none "
    "may (CARC 29, appeal open, none left, not adjudicated)."
)
OLD = (
    "Last day to file the next appeal while one may be filed: redetermination 120 days after "
    "the determination, reconsideration 180 days after an unfavourable redetermination; null "
    "when none may (CARC 29, appeal open, none left, not adjudicated)."
)


def _comment(text: str) -> None:
    quoted = text.replace("'", "''")
    op.execute(f"COMMENT ON COLUMN read.claims.appeal_deadline IS '{quoted}'")


def upgrade() -> None:
    _comment(NEW)


def downgrade() -> None:
    _comment(OLD)
