"""Merkle proofs of the audit logs (decision 009): one event's inclusion proof verifies offline
with only the checkpoint, checkpoints prove each other consistent, and the worker's schedule
publishes checkpoints to the witness directory."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from typer.testing import CliRunner

from application.audit.access_log import READ, AccessRecord, record
from application.audit.chain import EVENT_CHAINS
from application.audit.checkpoints import create_checkpoints
from application.audit.proofs import prove_consistency, prove_inclusion, verify_proof
from application.audit.witness import WITNESS_FILE, checkpoint_if_due, read_witness
from interfaces.cli.main import app as cli
from tests.conftest import aries_on
from tests.integration.scenarios import demographics
from tests.servers import fresh_database

pytestmark = pytest.mark.integration

KEY = "an audit key that is not in the database"


@pytest.fixture
def store(server_database_url, redis_url):
    with fresh_database(server_database_url) as url, aries_on(url, redis_url) as aries:
        yield aries, url


def _patients(aries, count: int) -> None:
    for n in range(count):
        aries.patients.register_patient(demographics(f"Proof{n}"))


def _seq_of(url: str, patient_id: uuid.UUID) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT c.seq FROM audit.event_chain c JOIN patients_events e "
            "ON c.chain = 'patients_events' AND c.position = e.notification_id "
            "WHERE e.originator_id = %s", (patient_id,),
        ).fetchone()[0]


def test_one_events_inclusion_proof_verifies_offline_with_only_the_checkpoint(
    store, redis_url, monkeypatch, redis_prefix, tmp_path
):
    aries, url = store
    _patients(aries, 5)
    target = aries.patients.register_patient(demographics("Included")).id
    _patients(aries, 6)
    monkeypatch.setenv("ARIES_DATABASE_URL", url)
    monkeypatch.setenv("ARIES_REDIS_URL", redis_url)
    monkeypatch.setenv("ARIES_REDIS_KEY_PREFIX", redis_prefix)
    monkeypatch.setenv("ARIES_AUDIT_HMAC_KEY", KEY)
    monkeypatch.setenv("ARIES_AUDIT_WITNESS_DIR", str(tmp_path / "witness"))
    runner = CliRunner()
    assert runner.invoke(cli, ["audit", "checkpoint"]).exit_code == 0
    _patients(aries, 3)  # recorded after the checkpoint: not in the proof
    proof = tmp_path / "proof.json"
    seq = _seq_of(url, target)

    made = runner.invoke(cli, ["audit", "prove", "patients_events", str(seq), "--out", str(proof)])

    assert made.exit_code == 0, made.output
    document = json.loads(proof.read_text())
    assert document["tree_size"] == 12 and len(document["path"]) == 4  # ceil(log2 12)
    assert document["record"]["originator_id"] == str(target)
    # Offline: no database, only the proof and the checkpoint the witness holds.
    monkeypatch.delenv("ARIES_DATABASE_URL")
    monkeypatch.delenv("ARIES_REDIS_URL")
    witness = tmp_path / "witness" / WITNESS_FILE
    checked = runner.invoke(
        cli, ["audit", "verify-proof", str(proof), "--checkpoints", str(witness)]
    )
    assert checked.exit_code == 0, checked.output

    document["record"]["topic"] += ".forged"
    proof.write_text(json.dumps(document))
    forged = runner.invoke(cli, ["audit", "verify-proof", str(proof)])
    assert forged.exit_code == 1
    assert "not in the tree the checkpoint signed" in forged.output


def test_an_access_entry_is_proved_and_a_checkpoint_not_held_is_refused(store):
    aries, _ = store
    for n in range(3):
        record(
            aries.read_engine,
            AccessRecord(tenant_id="t1", actor_id="u1", actor_role="auditor", action=READ,
                         operation="read_patient", fields_class="demographics",
                         patient_ids=(uuid.uuid4(),), request_id=f"r{n}"),
            aries.seal_key,
        )
    (held,) = [c for c in create_checkpoints(aries.read_engine, KEY.encode())
               if c.chain == "access_log"]
    document = prove_inclusion(aries.read_engine, held, 2)

    assert verify_proof(document, [held], KEY.encode()) == []
    assert verify_proof(document, [held], b"another key") == [
        "checkpoint at 3: signature does not verify"
    ]
    (other,) = [c for c in create_checkpoints(aries.read_engine, KEY.encode())
                if c.chain == "access_log"]
    assert verify_proof(document, [other]) == ["checkpoint at 3 is not one of those held"]


def test_checkpoints_are_proved_consistent_and_a_rewritten_past_is_not(store):
    aries, _ = store
    _patients(aries, 5)
    old = next(c for c in create_checkpoints(aries.read_engine, KEY.encode())
               if c.chain == "patients_events")
    _patients(aries, 9)
    new = next(c for c in create_checkpoints(aries.read_engine, KEY.encode())
               if c.chain == "patients_events")

    document = prove_consistency(aries.read_engine, old, new)

    assert verify_proof(document, [old, new], KEY.encode()) == []
    assert len(document["path"]) <= 2 * new.seq.bit_length()
    # A log that rewrote an entry the old checkpoint covered cannot show the same old root.
    document["path"][0] = "00" * 32
    assert verify_proof(document) == [
        "the newer tree does not extend the older one: history rewritten"
    ]


def test_checkpoints_are_taken_when_due_and_appended_to_the_witness(store, tmp_path):
    aries, _ = store
    _patients(aries, 2)
    now = datetime.now(UTC)
    every = timedelta(minutes=15)

    first = checkpoint_if_due(aries.read_engine, KEY.encode(), every, tmp_path, now)
    early = checkpoint_if_due(aries.read_engine, KEY.encode(), every, tmp_path, now + every / 2)
    due = checkpoint_if_due(aries.read_engine, KEY.encode(), every, tmp_path, now + every)

    chains = len(EVENT_CHAINS) + 1  # and the access log
    assert (len(first), early, len(due)) == (chains, [], chains)
    published = read_witness(tmp_path / WITNESS_FILE)
    assert [c.id for c in published] == [c.id for c in first + due]
    assert all(c.signed_by(KEY.encode()) and c.root_hash is not None for c in published)


def test_verify_finds_a_store_cut_back_with_its_checkpoints_by_the_witness(
    store, redis_url, monkeypatch, redis_prefix, tmp_path
):
    aries, url = store
    _patients(aries, 3)
    monkeypatch.setenv("ARIES_DATABASE_URL", url)
    monkeypatch.setenv("ARIES_REDIS_URL", redis_url)
    monkeypatch.setenv("ARIES_REDIS_KEY_PREFIX", redis_prefix)
    monkeypatch.setenv("ARIES_AUDIT_HMAC_KEY", KEY)
    monkeypatch.setenv("ARIES_AUDIT_WITNESS_DIR", str(tmp_path))
    runner = CliRunner()
    assert runner.invoke(cli, ["audit", "checkpoint"]).exit_code == 0
    # A superuser removes the newest event, its chain entry and seal, and every checkpoint.
    tables = ("patients_events", "audit.event_chain", "audit.event_seals", "audit.checkpoints")
    with psycopg.connect(url) as conn:
        for table in tables:
            conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER ALL")
        last = conn.execute("SELECT max(notification_id) FROM patients_events").fetchone()[0]
        conn.execute("DELETE FROM patients_events WHERE notification_id = %s", (last,))
        conn.execute("DELETE FROM audit.event_chain WHERE chain = 'patients_events' "
                     "AND position = %s", (last,))
        conn.execute("DELETE FROM audit.checkpoints")
        for table in tables:
            conn.execute(f"ALTER TABLE {table} ENABLE TRIGGER ALL")
    monkeypatch.delenv("ARIES_AUDIT_WITNESS_DIR")
    assert runner.invoke(cli, ["audit", "verify"]).exit_code == 0  # the database alone agrees
    monkeypatch.setenv("ARIES_AUDIT_WITNESS_DIR", str(tmp_path))

    result = runner.invoke(cli, ["audit", "verify"])

    assert result.exit_code == 1
    assert "witnessed checkpoint patients_events seq 3: NOT IN CHAIN" in result.output
