"""Tamper evidence: the database chains every stored event and access entry, and verification
finds the first broken link after a superuser edits, deletes, swaps or slips in a row."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from typer.testing import CliRunner

from application.audit.access_log import READ, AccessRecord, record
from application.audit.chain import (
    EVENT_CHAINS,
    genesis,
    verify_access_log,
    verify_all,
    verify_event_chain,
)
from application.audit.checkpoints import check_checkpoints, create_checkpoints
from interfaces.cli.main import app as cli
from tests.conftest import aries_on, in_threads
from tests.integration.scenarios import demographics
from tests.servers import fresh_database, url_as_uri

pytestmark = pytest.mark.integration

KEY = b"an audit key that is not in the database"


@pytest.fixture
def store(server_database_url, redis_url):
    """Aries on a database of this test alone (tampering must not reach other tests)."""
    with fresh_database(server_database_url) as url, aries_on(url, redis_url) as aries:
        yield aries, url


def _patients(aries, count: int = 3) -> list[uuid.UUID]:
    ids = []
    for n in range(count):
        created = aries.patients.register_patient(demographics(f"Rivera{n}"))
        aries.patients.correct_demographics(created.id, demographics(f"Rivera-Lopez{n}"))
        ids.append(created.id)
    return ids


def _positions(url: str) -> list[int]:
    with psycopg.connect(url) as conn:
        return [r[0] for r in conn.execute(
            "SELECT notification_id FROM patients_events ORDER BY notification_id"
        )]


def _as_superuser(url: str, *statements: str, table: str = "patients_events") -> None:
    """Run `statements` with the table's triggers off, as a superuser can."""
    with psycopg.connect(url, autocommit=False) as conn:
        conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER ALL")
        for statement in statements:
            conn.execute(statement)
        conn.execute(f"ALTER TABLE {table} ENABLE TRIGGER ALL")
        conn.commit()


def test_every_stored_event_is_chained_and_an_untouched_store_verifies(store):
    aries, url = store
    _patients(aries)
    aries.identity.create_user(f"u-{uuid.uuid4().hex[:8]}", "correct horse battery", "auditor",
                               "t1")

    reports = verify_all(aries.read_engine, seal_key=aries.seal_key)

    assert [r.first_break for r in reports if r.first_break is not None] == []
    by_chain = {r.chain: r for r in reports}
    assert by_chain["patients_events"].entries == len(_positions(url)) == 6
    assert by_chain["identity_events"].entries > 0
    assert by_chain["orders_events"].head_hash == genesis("orders_events")


def test_one_edited_byte_of_a_stored_event_is_found_at_its_position(store):
    aries, url = store
    _patients(aries)
    target = _positions(url)[3]
    _as_superuser(
        url,
        "UPDATE patients_events SET state = overlay(state placing "
        f"set_byte(substring(state from 10 for 1), 0, get_byte(state, 9) # 1) from 10 for 1) "
        f"WHERE notification_id = {target}",
    )

    report = verify_event_chain(aries.read_engine, "patients_events")

    assert (report.first_break.chain, report.first_break.position) == ("patients_events", target)
    assert report.first_break.reason == "stored event changed"


def test_a_deleted_stored_event_is_found_at_its_position(store):
    aries, url = store
    _patients(aries)
    target = _positions(url)[2]
    _as_superuser(url, f"DELETE FROM patients_events WHERE notification_id = {target}")

    report = verify_event_chain(aries.read_engine, "patients_events")

    assert report.first_break.position == target
    assert report.first_break.reason == "stored event missing"


def test_two_swapped_stored_events_are_found_at_the_first_of_them(store):
    aries, url = store
    _patients(aries)
    positions = _positions(url)
    first, second = positions[1], positions[4]
    _as_superuser(
        url,
        f"""
        UPDATE patients_events AS e SET topic = o.topic, state = o.state
        FROM patients_events AS o
        WHERE (e.notification_id, o.notification_id) IN (({first}, {second}), ({second}, {first}))
        """,
    )

    report = verify_event_chain(aries.read_engine, "patients_events")

    assert report.first_break.position == first


def test_reordered_notification_ids_are_found(store):
    aries, url = store
    _patients(aries)
    positions = _positions(url)
    first, second = positions[0], positions[1]
    _as_superuser(
        url,
        f"UPDATE patients_events SET notification_id = -1 WHERE notification_id = {first}",
        f"UPDATE patients_events SET notification_id = {first} WHERE notification_id = {second}",
        f"UPDATE patients_events SET notification_id = {second} WHERE notification_id = -1",
    )

    report = verify_event_chain(aries.read_engine, "patients_events")

    assert report.first_break.position == first


def test_an_event_stored_behind_the_chain_is_found(store):
    aries, url = store
    _patients(aries)
    _as_superuser(
        url,
        "INSERT INTO patients_events (originator_id, originator_version, topic, state) "
        "VALUES (gen_random_uuid(), 1, 'aries.patient.Registered', '{}'::bytea)",
    )
    slipped_in = _positions(url)[-1]

    report = verify_event_chain(aries.read_engine, "patients_events")

    assert report.first_break.position == slipped_in
    assert report.first_break.reason == "stored event not chained"


def test_a_rewritten_chain_entry_is_found(store):
    aries, url = store
    _patients(aries)
    target = _positions(url)[2]
    _as_superuser(
        url,
        "UPDATE audit.event_chain SET hash = sha256(hash) "
        f"WHERE chain = 'patients_events' AND position = {target}",
        table="audit.event_chain",
    )

    report = verify_event_chain(aries.read_engine, "patients_events")

    assert report.first_break.position == target
    assert report.first_break.reason == "chain link does not recompute"


def _access(aries, n: int):
    return record(
        aries.read_engine,
        AccessRecord(
            tenant_id="t1", actor_id=str(uuid.uuid4()), actor_role="auditor", action=READ,
            operation="read_patient", fields_class="demographics",
            patient_ids=(uuid.uuid4(),), request_id=f"req-{n:08d}",
        ),
        aries.seal_key,
    )


def test_access_entries_are_chained_and_an_edited_one_is_found(store):
    aries, url = store
    entries = [_access(aries, n) for n in range(4)]
    assert [e.seq for e in entries] == [1, 2, 3, 4]
    assert verify_access_log(aries.read_engine).ok
    _as_superuser(
        url,
        "UPDATE audit.access_log SET operation = 'list_patients' WHERE seq = 3",
        table="audit.access_log",
    )

    report = verify_access_log(aries.read_engine)

    assert (report.first_break.seq, report.first_break.reason) == (3, "access entry changed")


def test_the_log_stamps_its_own_time_and_sequence_whatever_the_caller_sends(store):
    aries, url = store
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO audit.access_log (seq, recorded_at, tenant_id, action, operation, "
            "fields_class, outcome, digest, hash) VALUES (99, '2001-01-01Z', 't', 'read', 'x', "
            "'demographics', 'allowed', 'forged', 'forged')"
        )
        seq, recorded_at = conn.execute("SELECT seq, recorded_at FROM audit.access_log").fetchone()
    assert seq == 1 and recorded_at.year >= 2025
    assert verify_access_log(aries.read_engine).ok


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit.access_log SET operation = 'x'",
        "DELETE FROM audit.access_log",
        "UPDATE audit.event_chain SET hash = hash",
        "DELETE FROM audit.checkpoints",
        "INSERT INTO audit.event_chain VALUES ('patients_events', 999, 999, 'x', 'x')",
        "UPDATE audit.event_seals SET seal = seal",
        "DELETE FROM audit.event_seals",
        "INSERT INTO audit.seal_start VALUES ('x', 0)",
        "UPDATE audit.access_seal_start SET seq = 0",
    ],
)
def test_the_app_role_cannot_change_the_audit_tables(store, statement):
    aries, url = store
    _patients(aries, 1)
    _access(aries, 1)
    with psycopg.connect(url) as conn:
        conn.execute("SET ROLE aries_app")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(statement)


def test_an_event_inserted_raw_with_the_app_role_is_chained_but_reported_unsealed(store):
    aries, url = store
    _patients(aries, 1)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET ROLE aries_app")
        position = conn.execute(
            "INSERT INTO patients_events (originator_id, originator_version, topic, state) "
            "VALUES (gen_random_uuid(), 1, 'aries.test', 'x'::bytea) RETURNING notification_id"
        ).fetchone()[0]
        # The app role may write seals, but cannot make a valid one without the key.
        conn.execute(
            "INSERT INTO audit.event_seals SELECT 'patients_events', originator_id, 1, 'k', "
            "'\\x00'::bytea FROM patients_events WHERE notification_id = %s", (position,)
        )
    # The trigger chained it: the hash chain alone holds.
    assert verify_event_chain(aries.read_engine, "patients_events").ok

    report = verify_event_chain(aries.read_engine, "patients_events", seal_key=aries.seal_key)

    assert (report.first_break.position, report.first_break.reason) == (
        position, "event seal invalid",
    )


def test_an_access_entry_inserted_raw_with_the_app_role_is_reported_unsealed(store):
    aries, url = store
    _access(aries, 1)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET ROLE aries_app")
        conn.execute(
            "INSERT INTO audit.access_log (tenant_id, action, operation, fields_class, outcome, "
            "digest, hash) VALUES ('t', 'read', 'x', 'demographics', 'allowed', '', '')"
        )
    assert verify_access_log(aries.read_engine).ok

    report = verify_access_log(aries.read_engine, seal_key=aries.seal_key)

    assert (report.first_break.seq, report.first_break.reason) == (
        2, "access entry not sealed by the application",
    )


def test_what_the_application_records_is_sealed_and_verifies_with_its_key(store):
    aries, _ = store
    _patients(aries, 2)
    _access(aries, 1)

    reports = verify_all(aries.read_engine, seal_key=aries.seal_key)
    wrong_key = verify_all(aries.read_engine, seal_key=b"not the application's key")

    assert [r.first_break for r in reports if r.first_break is not None] == []
    assert {r.chain for r in wrong_key if r.first_break is not None} == {
        "patients_events", "access_log",
    }


def test_the_analyst_role_sees_nothing_of_the_audit_schema(store):
    _, url = store
    with psycopg.connect(url) as conn:
        conn.execute("SET ROLE aries_analyst")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT 1 FROM audit.access_log")


def test_concurrent_writers_keep_one_unbroken_chain(store):
    aries, _ = store

    def write() -> None:
        for _ in range(10):
            aries.patients.register_patient(demographics())

    errors = in_threads(write, 4)

    report = verify_event_chain(aries.read_engine, "patients_events")
    assert errors == []
    assert report.ok and report.entries == 40


def test_a_checkpoint_is_signed_and_still_in_the_chain(store):
    aries, _ = store
    _patients(aries)
    made = create_checkpoints(aries.read_engine, KEY, datetime.now(UTC))

    checks = {c.checkpoint.chain: c for c in check_checkpoints(aries.read_engine, KEY)}

    assert len(made) == len(EVENT_CHAINS) + 1  # and the access log
    assert checks["patients_events"].in_chain and checks["patients_events"].signature_valid
    wrong = check_checkpoints(aries.read_engine, b"another key")
    assert not any(c.signature_valid for c in wrong)


def test_a_chain_cut_back_behind_its_checkpoint_is_found(store):
    aries, url = store
    _patients(aries)
    create_checkpoints(aries.read_engine, KEY)
    last = _positions(url)[-1]
    # Someone removes the newest event and its chain entry: the chain itself still holds.
    _as_superuser(url, f"DELETE FROM patients_events WHERE notification_id = {last}")
    _as_superuser(
        url, f"DELETE FROM audit.event_chain WHERE position = {last}", table="audit.event_chain"
    )

    assert verify_event_chain(aries.read_engine, "patients_events").ok
    checks = {c.checkpoint.chain: c for c in check_checkpoints(aries.read_engine, KEY)}
    assert not checks["patients_events"].in_chain


def test_aries_audit_verify_exits_non_zero_on_a_broken_chain(
    store, redis_url, monkeypatch, redis_prefix
):
    aries, url = store
    _patients(aries)
    monkeypatch.setenv("ARIES_DATABASE_URL", url)
    monkeypatch.setenv("ARIES_REDIS_URL", redis_url)
    monkeypatch.setenv("ARIES_REDIS_KEY_PREFIX", redis_prefix)
    runner = CliRunner()
    assert runner.invoke(cli, ["audit", "verify"]).exit_code == 0

    _as_superuser(url, f"DELETE FROM patients_events WHERE notification_id = {_positions(url)[0]}")

    result = runner.invoke(cli, ["audit", "verify"])
    assert result.exit_code == 1


@pytest.fixture
def service_role_url(store):
    """A login role like compose's aries_service (a member of aries_app, not a superuser), on
    the test's database; dropped afterwards (roles are the whole server's)."""
    _, url = store
    name = f"aries_service_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            f"CREATE ROLE {name} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE IN ROLE aries_app "
            "PASSWORD 'service-test'"
        )
    params = conninfo_to_dict(url)
    params.update(user=name, password="service-test")
    try:
        yield url_as_uri(make_conninfo(**params))
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s",
                (name,),
            )
            conn.execute(f"DROP ROLE {name}")


def test_the_application_runs_as_a_member_of_aries_app_and_cannot_turn_the_chain_off(
    store, service_role_url, redis_url
):
    with aries_on(service_role_url, redis_url) as aries:
        _patients(aries, 2)
        _access(aries, 1)
        create_checkpoints(aries.read_engine, KEY)
        reports = verify_all(aries.read_engine, seal_key=aries.seal_key)
        checks = check_checkpoints(aries.read_engine, KEY)
    assert [r.first_break for r in reports if r.first_break is not None] == []
    assert all(c.ok for c in checks)
    with psycopg.connect(service_role_url) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("ALTER TABLE patients_events DISABLE TRIGGER ALL")
        conn.rollback()
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SET session_replication_role = replica")



def test_a_save_finds_the_chain_tail_by_its_index_not_by_reading_every_entry(store):
    """The trigger passes the table's name, collated "C": compared so, the lookup could not use
    pk_event_chain and every save read all chains' entries (migration 0025)."""
    _, url = store
    insert = (
        "INSERT INTO patients_events (originator_id, originator_version, topic, state) "
        "SELECT gen_random_uuid(), 1, 'test.Raw', '\\x00'::bytea FROM generate_series(1, %s)"
    )
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(insert, (5000,))
        with conn.transaction():
            for _ in range(3):
                conn.execute(insert, (1,))
            seq_scans, index_scans = conn.execute(
                "SELECT seq_scan, idx_scan FROM pg_stat_xact_all_tables "
                "WHERE relid = 'audit.event_chain'::regclass"
            ).fetchone()

    assert seq_scans == 0
    assert index_scans >= 3
    assert verify_event_chain(store[0].read_engine, "patients_events").entries == 5003


def test_the_trigger_digests_every_event_as_the_audit_functions_define_it(store):
    """The trigger spells the digest out (migration 0026) rather than calling
    audit.event_digest: the bytes must be the function's, for NULLs and non-ASCII text too."""
    aries, url = store
    _patients(aries, 2)
    insert = (
        "INSERT INTO patients_events (originator_id, originator_version, topic, state) "
        "VALUES (gen_random_uuid(), 1, %s, %s)"
    )
    with psycopg.connect(url, autocommit=True) as conn:
        with conn.transaction():  # several rows in one statement's trigger, and one alone
            conn.execute(insert, ("test.Raw", b"\x00\xff"))
            conn.execute(insert, (None, None))
        conn.execute(insert, ("test.Ünïcode—topic", "état".encode()))
        different = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE c.digest <> audit.event_digest("
            "'patients_events', e.notification_id, e.originator_id, e.originator_version, "
            "e.topic, e.state)) FROM audit.event_chain AS c JOIN patients_events AS e "
            "ON c.chain = 'patients_events' AND c.position = e.notification_id"
        ).fetchone()

    assert different == (_event_count(url), 0)
    assert verify_event_chain(aries.read_engine, "patients_events").ok


def _event_count(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT count(*) FROM patients_events").fetchone()[0]
