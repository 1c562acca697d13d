"""audit: hash chain on every events table, checkpoints, PHI access log

Schema `audit` holds the evidence auditors rely on. Everything here is computed by the database
on insert, so no code path (ours, the library's, or a hand-typed INSERT) can skip it:

- `audit.event_chain`: one entry per stored event, per events table ("chain"). An AFTER INSERT
  statement trigger on each events table digests every new row (table, notification id,
  originator id and version, topic, state) and links it: hash = sha256(previous hash || digest).
  Entries hold digests, not payloads, so a chain proof can be handed out without any PHI.
- `audit.access_log`: who read which patient's what (allowed and denied), chained the same way by
  a BEFORE INSERT row trigger that also stamps the sequence number and the time.
- `audit.checkpoints`: signed heads. The HMAC key lives outside the database
  (ARIES_AUDIT_HMAC_KEY), so someone able to rewrite the tables cannot forge a checkpoint.

Concurrency: a chain must be extended by one transaction at a time, from the head committed
before it. The library already serialises each events table's insert transactions with LOCK
TABLE ... IN EXCLUSIVE MODE (held to commit), so chain order equals notification order. The
chain does not rely on that alone: the trigger also takes a transaction-level advisory lock per
chain (for inserts that bypass the library) and reads the head with a fresh READ COMMITTED
snapshot after getting it; the primary key (chain, seq) turns any remaining fork (a writer in
REPEATABLE READ) into a failed insert rather than a silently broken chain. Sequence numbers are
the chain's own, gap-free, so a rolled-back insert leaves no hole and a missing entry is
tampering; notification ids may have gaps (the library's failed inserts burn them).

The digest encodings are mirrored in `application/audit/chain.py` (verification and offline
bundles recompute them): every field is a netstring `<byte length>:<utf-8 bytes>`, NULL is `-`.

Grants: aries_app reads the chain (its trigger runs as the migration's role, SECURITY DEFINER, so
the app cannot write entries of its own), inserts and reads access entries and checkpoints, and
can update or delete nothing. aries_analyst has nothing in schema audit.

Revision ID: 0007_audit
Revises: 0006_claim_read_models
Create Date: 2026-11-22
"""

from __future__ import annotations

from alembic import op

revision = "0007_audit"
down_revision = "0006_claim_read_models"
branch_labels = None
depends_on = None

EVENT_TABLES = ("patients_events", "orders_events", "claims_events", "identity_events")
# pg_advisory_xact_lock(class, key): a class of our own, so no other advisory lock collides.
LOCK_CLASS = 0x41554454  # "AUDT"
ACCESS_CHAIN = "access_log"


def upgrade() -> None:
    op.execute("CREATE SCHEMA audit")
    op.execute(
        "COMMENT ON SCHEMA audit IS 'Tamper evidence and the PHI access log: append-only, "
        "hash-chained by triggers; verified by aries audit verify.'"
    )
    _functions()
    _event_chain()
    _access_log()
    _checkpoints()
    _grants()


def _functions() -> None:
    op.execute(
        """
        CREATE FUNCTION audit.field(value text) RETURNS bytea
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
            SELECT CASE WHEN value IS NULL THEN '\\x2d'::bytea
                ELSE convert_to(octet_length(convert_to(value, 'UTF8'))::text || ':', 'UTF8')
                     || convert_to(value, 'UTF8') END
        $$
        """
    )
    op.execute(
        """
        CREATE FUNCTION audit.bytes_field(value bytea) RETURNS bytea
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
            SELECT CASE WHEN value IS NULL THEN '\\x2d'::bytea
                ELSE convert_to(octet_length(value)::text || ':', 'UTF8') || value END
        $$
        """
    )
    op.execute(
        """
        CREATE FUNCTION audit.genesis(chain text) RETURNS bytea
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
            SELECT sha256(audit.field('aries-chain-genesis') || audit.field(chain))
        $$
        """
    )
    op.execute(
        """
        CREATE FUNCTION audit.event_digest(
            chain text, notification_id bigint, originator_id uuid, originator_version bigint,
            topic text, state bytea
        ) RETURNS bytea
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
            SELECT sha256(
                audit.field(chain) || audit.field(notification_id::text)
                || audit.field(originator_id::text) || audit.field(originator_version::text)
                || audit.field(topic) || audit.bytes_field(state))
        $$
        """
    )


def _event_chain() -> None:
    op.execute(
        """
        CREATE TABLE audit.event_chain (
            chain text NOT NULL,
            seq bigint NOT NULL,
            position bigint NOT NULL,
            digest bytea NOT NULL,
            hash bytea NOT NULL,
            CONSTRAINT pk_event_chain PRIMARY KEY (chain, seq),
            CONSTRAINT uq_event_chain_chain_position UNIQUE (chain, position)
        )
        """
    )
    op.execute(
        "COMMENT ON TABLE audit.event_chain IS 'One entry per stored event: digest of the "
        "stored row and hash = sha256(previous hash || digest), written by a trigger.'"
    )
    op.execute(
        f"""
        CREATE FUNCTION audit.extend_event_chain(
            chain_name text, positions bigint[], digests bytea[]
        ) RETURNS void
        LANGUAGE plpgsql VOLATILE AS $$
        DECLARE
            tail_seq bigint;
            tail_hash bytea;
            hashes bytea[] := '{{}}';
        BEGIN
            PERFORM pg_advisory_xact_lock({LOCK_CLASS}, hashtext(chain_name));
            SELECT c.seq, c.hash INTO tail_seq, tail_hash
            FROM audit.event_chain AS c WHERE c.chain = chain_name
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
        """  # noqa: S608 (constants only, no input)
    )
    # Only the trigger (running as this migration's role) may extend a chain.
    op.execute(
        "REVOKE ALL ON FUNCTION audit.extend_event_chain(text, bigint[], bytea[]) FROM PUBLIC"
    )
    op.execute(
        """
        CREATE FUNCTION audit.chain_new_events() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
        DECLARE
            positions bigint[];
            digests bytea[];
        BEGIN
            SELECT array_agg(n.notification_id ORDER BY n.notification_id),
                   array_agg(audit.event_digest(TG_TABLE_NAME, n.notification_id,
                                                n.originator_id, n.originator_version,
                                                n.topic, n.state)
                             ORDER BY n.notification_id)
            INTO positions, digests
            FROM new_rows AS n;
            IF positions IS NOT NULL THEN
                PERFORM audit.extend_event_chain(TG_TABLE_NAME, positions, digests);
            END IF;
            RETURN NULL;
        END $$
        """
    )
    for table in EVENT_TABLES:
        # Events stored before this migration are chained first, in notification order, with
        # the table locked as the library locks it.
        op.execute(f"LOCK TABLE public.{table} IN EXCLUSIVE MODE")
        op.execute(
            f"""
            SELECT audit.extend_event_chain(
                '{table}',
                array_agg(notification_id ORDER BY notification_id),
                array_agg(audit.event_digest('{table}', notification_id, originator_id,
                                             originator_version, topic, state)
                          ORDER BY notification_id))
            FROM public.{table}
            HAVING count(*) > 0
            """  # noqa: S608 (constants only, no input)
        )
        op.execute(
            f"CREATE TRIGGER {table}_chain AFTER INSERT ON public.{table} "
            "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
            "EXECUTE FUNCTION audit.chain_new_events()"
        )
    _append_only("event_chain")


def _access_log() -> None:
    op.execute(
        """
        CREATE TABLE audit.access_log (
            seq bigint NOT NULL,
            id uuid NOT NULL DEFAULT gen_random_uuid(),
            recorded_at timestamptz NOT NULL,
            tenant_id text NOT NULL,
            actor_id text,
            actor_role text,
            action text NOT NULL,
            operation text NOT NULL,
            patient_ids uuid[] NOT NULL DEFAULT '{}',
            fields_class text NOT NULL,
            outcome text NOT NULL,
            request_id text,
            recipient text,
            purpose text,
            digest bytea NOT NULL,
            hash bytea NOT NULL,
            CONSTRAINT pk_access_log PRIMARY KEY (seq),
            CONSTRAINT uq_access_log_id UNIQUE (id),
            CONSTRAINT ck_access_log_outcome CHECK (outcome IN ('allowed', 'denied'))
        )
        """
    )
    op.execute(
        "COMMENT ON TABLE audit.access_log IS 'Every read of patient data, every denied "
        "attempt and every export: append-only, hash-chained by a trigger (ids, no PHI).'"
    )
    op.execute("CREATE INDEX ix_access_log_tenant_seq ON audit.access_log (tenant_id, seq)")
    op.execute("CREATE INDEX ix_access_log_patient_ids ON audit.access_log USING gin (patient_ids)")
    op.execute("CREATE INDEX ix_access_log_actor_id ON audit.access_log (actor_id, seq)")
    op.execute("CREATE INDEX ix_access_log_request_id ON audit.access_log (request_id)")
    op.execute(
        f"""
        CREATE FUNCTION audit.access_digest(entry audit.access_log) RETURNS bytea
        LANGUAGE sql STABLE AS $$
            SELECT sha256(
                audit.field('{ACCESS_CHAIN}') || audit.field(entry.seq::text)
                || audit.field(entry.id::text)
                || audit.field(to_char(entry.recorded_at AT TIME ZONE 'UTC',
                                       'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
                || audit.field(entry.tenant_id) || audit.field(entry.actor_id)
                || audit.field(entry.actor_role) || audit.field(entry.action)
                || audit.field(entry.operation)
                || audit.field(array_to_string(entry.patient_ids, ','))
                || audit.field(entry.fields_class) || audit.field(entry.outcome)
                || audit.field(entry.request_id) || audit.field(entry.recipient)
                || audit.field(entry.purpose))
        $$
        """
    )
    op.execute(
        f"""
        CREATE FUNCTION audit.chain_access_entry() RETURNS trigger
        LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
        DECLARE
            tail_seq bigint;
            tail_hash bytea;
        BEGIN
            PERFORM pg_advisory_xact_lock({LOCK_CLASS}, hashtext('{ACCESS_CHAIN}'));
            SELECT a.seq, a.hash INTO tail_seq, tail_hash
            FROM audit.access_log AS a ORDER BY a.seq DESC LIMIT 1;
            IF tail_seq IS NULL THEN
                tail_seq := 0;
                tail_hash := audit.genesis('{ACCESS_CHAIN}');
            END IF;
            -- Whatever the caller sent, the log's own sequence, time and hashes are used.
            NEW.seq := tail_seq + 1;
            NEW.id := coalesce(NEW.id, gen_random_uuid());
            NEW.recorded_at := clock_timestamp();
            NEW.patient_ids := coalesce(NEW.patient_ids, '{{}}');
            NEW.digest := audit.access_digest(NEW);
            NEW.hash := sha256(tail_hash || NEW.digest);
            RETURN NEW;
        END $$
        """  # noqa: S608 (constants only, no input)
    )
    op.execute(
        "CREATE TRIGGER access_log_chain BEFORE INSERT ON audit.access_log "
        "FOR EACH ROW EXECUTE FUNCTION audit.chain_access_entry()"
    )
    _append_only("access_log")


def _checkpoints() -> None:
    op.execute(
        """
        CREATE TABLE audit.checkpoints (
            id bigserial NOT NULL,
            chain text NOT NULL,
            seq bigint NOT NULL,
            position bigint NOT NULL,
            head_hash bytea NOT NULL,
            created_at timestamptz NOT NULL,
            key_id text NOT NULL,
            signature bytea NOT NULL,
            CONSTRAINT pk_checkpoints PRIMARY KEY (id)
        )
        """
    )
    op.execute(
        "COMMENT ON TABLE audit.checkpoints IS 'Chain heads signed with HMAC-SHA256 under a key "
        "kept outside the database (ARIES_AUDIT_HMAC_KEY).'"
    )
    op.execute("CREATE INDEX ix_checkpoints_chain_id ON audit.checkpoints (chain, id)")
    _append_only("checkpoints")


def _append_only(table: str) -> None:
    op.execute(
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON audit.{table} "
        "FOR EACH ROW EXECUTE FUNCTION public.aries_refuse_event_change()"
    )
    op.execute(
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON audit.{table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION public.aries_refuse_event_change()"
    )


def _grants() -> None:
    op.execute("REVOKE ALL ON SCHEMA audit FROM PUBLIC")
    op.execute("GRANT USAGE ON SCHEMA audit TO aries_app")
    op.execute("GRANT SELECT ON audit.event_chain TO aries_app")
    op.execute("GRANT SELECT, INSERT ON audit.access_log, audit.checkpoints TO aries_app")
    op.execute("GRANT USAGE ON SEQUENCE audit.checkpoints_id_seq TO aries_app")
    op.execute("REVOKE ALL ON ALL TABLES IN SCHEMA audit FROM aries_analyst")
    op.execute("REVOKE ALL ON SCHEMA audit FROM aries_analyst")


def downgrade() -> None:
    for table in EVENT_TABLES:
        op.execute(f"DROP TRIGGER {table}_chain ON public.{table}")
    op.execute("REVOKE ALL ON SCHEMA audit FROM aries_app")
    op.execute("REVOKE ALL ON ALL TABLES IN SCHEMA audit FROM aries_app")
    op.execute("REVOKE ALL ON ALL SEQUENCES IN SCHEMA audit FROM aries_app")
    op.execute("DROP SCHEMA audit CASCADE")
