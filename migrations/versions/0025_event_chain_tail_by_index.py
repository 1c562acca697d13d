"""the event chain's tail is found by its index: audit.extend_event_chain compares chain names
in the column's collation

The trigger passes TG_TABLE_NAME, of type name, whose collation is "C"; the function's text
parameter inherits it, so `WHERE c.chain = chain_name` compared under "C" while
pk_event_chain (chain, seq) is ordered by the database's default collation, and the planner
could not use the index: every save of every event table read all chains' entries in a
sequential scan and sorted them for the last one. A save's cost grew with the whole store
(figure 7, a 1,000-claim run: the trigger took about 1.8 ms of PostgreSQL's time a submitted
claim, 374 sequential scans and no index scan of audit.event_chain). Compared under the
default collation the lookup is a backward scan of the index's last entry for the chain. The
chain itself is unchanged: same lock key (hashtext is the same under both collations, both
deterministic), same digests, hashes and rows.

Revision ID: 0025_event_chain_tail_by_index
Revises: 0024_appeal_receipt_presumed
Create Date: 2026-12-05
"""

from __future__ import annotations

from alembic import op

revision = "0025_event_chain_tail_by_index"
down_revision = "0024_appeal_receipt_presumed"
branch_labels = None
depends_on = None

LOCK_CLASS = 0x41554454  # "AUDT", as in 0007_audit

FUNCTION = """
CREATE OR REPLACE FUNCTION audit.extend_event_chain(
    chain_name text, positions bigint[], digests bytea[]
) RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    tail_seq bigint;
    tail_hash bytea;
    hashes bytea[] := '{{}}';
BEGIN
    PERFORM pg_advisory_xact_lock({lock_class}, hashtext(chain_name));
    SELECT c.seq, c.hash INTO tail_seq, tail_hash
    FROM audit.event_chain AS c WHERE c.chain = chain_name{collate}
    ORDER BY c.seq DESC LIMIT 1;
    IF tail_seq IS NULL THEN
        tail_seq := 0;
        tail_hash := audit.genesis(chain_name);
    END IF;
    FOR i IN 1 .. coalesce(array_length(positions, 1), 0) LOOP
        tail_hash := sha256(tail_hash || digests[i]);
        hashes[i] := tail_hash;
    END LOOP;
    INSERT INTO audit.event_chain (chain, seq, position, digest, hash)
    SELECT chain_name, tail_seq + u.ord, u.p, u.d, u.h
    FROM unnest(positions, digests, hashes) WITH ORDINALITY AS u(p, d, h, ord);
END $$
"""


def upgrade() -> None:
    op.execute(FUNCTION.format(lock_class=LOCK_CLASS, collate=' COLLATE "default"'))


def downgrade() -> None:
    op.execute(FUNCTION.format(lock_class=LOCK_CLASS, collate=""))
