"""Export bundles: a patient's (or a time range's) record with its chain proof verifies offline,
and stops verifying when any one byte of the file changes."""

from __future__ import annotations

import hashlib
import json
import uuid
import zipfile
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from application.audit.access_log import (
    DISCLOSURE_ACTIONS,
    EXPORT,
    READ,
    AccessRecord,
    entries,
    record,
)
from application.audit.checkpoints import create_checkpoints
from application.audit.export import (
    canonical_manifest,
    export_bundle,
    manifest_digest,
    verify_bundle,
    zip_members,
)
from domain.context import bound_context
from interfaces.cli.main import app as cli
from projections.queries.patient_records import patient_aggregates
from projections.runner import catch_up
from tests.conftest import aries_on
from tests.integration.scenarios import delivered_bed_and_walker, demographics
from tests.servers import fresh_database

pytestmark = pytest.mark.integration

KEY = b"an audit key that is not in the database"


@pytest.fixture(scope="module")
def store(server_database_url, redis_url):
    with fresh_database(server_database_url) as url, aries_on(url, redis_url) as aries:
        yield aries, url


def _patient(aries, last_name: str) -> uuid.UUID:
    with bound_context(tenant_id="t-export"):
        patient_id = aries.patients.register_patient(demographics(last_name)).id
        aries.patients.add_note(patient_id, author_id="clinician-1", subjective="sleeps well.")
    record(
        aries.read_engine,
        AccessRecord(
            tenant_id="t-export", actor_id="user-1", actor_role="clinician", action=READ,
            operation="list_notes", fields_class="clinical_notes", patient_ids=(patient_id,),
        ),
    )
    return patient_id


@pytest.fixture(scope="module")
def patient_bundle(store, tmp_path_factory):
    aries, _ = store
    patient_id = _patient(aries, "Rivera")
    other = _patient(aries, "Zwanenburg")
    create_checkpoints(aries.read_engine, KEY)
    _patient(aries, "Okafor")  # after the checkpoint: the proof runs through it to the head
    path = tmp_path_factory.mktemp("bundles") / "patient.zip"
    summary = export_bundle(
        aries.read_engine, aries.recorded_times, aries.applications, path, patient_id=patient_id
    )
    return path, summary, patient_id, other


def test_a_patient_bundle_verifies_offline_with_its_signed_checkpoint(patient_bundle):
    path, summary, _, _ = patient_bundle

    report = verify_bundle(path, KEY)

    assert report.problems == []
    assert (report.events, report.access_entries) == (summary.events, summary.access_entries)
    assert (summary.events, summary.access_entries) == (2, 1)
    assert report.checkpoints_signed is True


def test_a_bundle_holds_the_patient_and_nobody_else(patient_bundle):
    path, _, patient_id, other = patient_bundle
    with zipfile.ZipFile(path) as archive:
        events = [json.loads(line) for line in archive.read("events.jsonl").splitlines()]
        everything = b"".join(archive.read(name) for name in archive.namelist())

    assert {e["originator_id"] for e in events} == {str(patient_id)}
    assert events[0]["payload"]["demographics"]["last_name"] == "Rivera"
    assert b"Zwanenburg" not in everything and str(other).encode() not in everything


def test_a_bundle_does_not_verify_with_another_key(patient_bundle):
    path, _, _, _ = patient_bundle

    report = verify_bundle(path, b"another key")

    assert not report.ok and report.checkpoints_signed is False


@settings(max_examples=150)
@given(where=st.floats(min_value=0, max_value=1, exclude_max=True), flip=st.integers(1, 255))
def test_changing_any_one_byte_of_a_bundle_fails_verification(patient_bundle, where, flip):
    path, _, _, _ = patient_bundle
    data = bytearray(path.read_bytes())
    index = int(where * len(data))
    data[index] ^= flip
    changed = path.with_name(f"changed-{uuid.uuid4().hex}.zip")
    changed.write_bytes(bytes(data))
    try:
        assert not verify_bundle(changed, KEY).ok
    finally:
        changed.unlink()


def test_every_byte_of_the_manifest_is_covered(patient_bundle, tmp_path):
    path, _, _, _ = patient_bundle
    data = path.read_bytes()
    start = data.index(b'{\n  "chains"')
    for index in range(start, start + 400):
        changed = bytearray(data)
        changed[index] ^= 0x01
        target = tmp_path / "m.zip"
        target.write_bytes(bytes(changed))
        assert not verify_bundle(target, None).ok, index


def test_a_time_range_bundle_verifies(store, tmp_path):
    aries, _ = store
    start = datetime.now(UTC)
    patient_id = _patient(aries, "Tanaka")
    catch_up(aries, "event_index")
    path = tmp_path / "range.zip"

    summary = export_bundle(
        aries.read_engine, aries.recorded_times, aries.applications, path, start=start,
        end=datetime.now(UTC) + timedelta(seconds=1),
    )

    assert verify_bundle(path, KEY).ok
    assert summary.events == 2 and patient_id in summary.patient_ids


def test_the_cli_exports_records_the_disclosure_and_verifies_the_bundle(
    store, redis_url, tmp_path, monkeypatch, redis_prefix
):
    aries, url = store
    patient_id = _patient(aries, "Adeyemi")
    monkeypatch.setenv("ARIES_DATABASE_URL", url)
    monkeypatch.setenv("ARIES_REDIS_URL", redis_url)
    monkeypatch.setenv("ARIES_REDIS_KEY_PREFIX", redis_prefix)
    monkeypatch.setenv("ARIES_AUDIT_HMAC_KEY", KEY.decode())
    runner = CliRunner()
    out = tmp_path / "cli.zip"

    exported = runner.invoke(
        cli, ["audit", "export", "--patient", str(patient_id), "--out", str(out),
              "--recipient", "payer-audit", "--purpose", "records request"],
    )
    assert exported.exit_code == 0, exported.output
    assert runner.invoke(cli, ["audit", "verify-bundle", str(out)]).exit_code == 0

    disclosures = entries(
        aries.read_engine, tenant_id=None, patient_id=patient_id, actions=DISCLOSURE_ACTIONS
    )
    assert [(d.action, d.recipient, d.purpose) for d in disclosures] == [
        (EXPORT, "payer-audit", "records request")
    ]
    damaged = bytearray(out.read_bytes())
    damaged[len(damaged) // 2] ^= 0x20
    out.write_bytes(bytes(damaged))
    assert runner.invoke(cli, ["audit", "verify-bundle", str(out)]).exit_code == 1


def test_a_patients_cli_bundle_holds_their_orders_and_claims(
    store, redis_url, tmp_path, monkeypatch, redis_prefix
):
    aries, url = store
    with bound_context(tenant_id="t-export"):
        delivered = delivered_bed_and_walker(aries, date(2026, 11, 2))
    aries.claims.catch_up_all()  # the claims process manager drafts the delivery's claim
    catch_up(aries, "orders")
    catch_up(aries, "claims")
    with aries.read_engine.connect() as conn:
        claim_ids = patient_aggregates(conn, delivered.patient_id)["claims"]
    monkeypatch.setenv("ARIES_DATABASE_URL", url)
    monkeypatch.setenv("ARIES_REDIS_URL", redis_url)
    monkeypatch.setenv("ARIES_REDIS_KEY_PREFIX", redis_prefix)
    out = tmp_path / "record.zip"

    exported = CliRunner().invoke(
        cli, ["audit", "export", "--patient", str(delivered.patient_id), "--out", str(out)]
    )

    assert exported.exit_code == 0, exported.output
    assert verify_bundle(out).ok
    with zipfile.ZipFile(out) as archive:
        lines = [json.loads(line) for line in archive.read("events.jsonl").splitlines()]
    exported_ids = {(line["chain"], line["originator_id"]) for line in lines}
    assert len(claim_ids) == 1
    assert {
        ("patients_events", str(delivered.patient_id)),
        ("orders_events", str(delivered.order_id)),
        ("claims_events", str(claim_ids[0])),
    } <= exported_ids
    assert {chain for chain, _ in exported_ids} == {
        "patients_events", "orders_events", "claims_events",
    }


def test_a_bundle_carries_one_short_inclusion_proof_per_record_and_rests_on_its_checkpoint(
    patient_bundle,
):
    path, summary, _, _ = patient_bundle
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        proofs = [json.loads(line) for line in archive.read("proofs.jsonl").splitlines()]

    assert len(proofs) == summary.events + summary.access_entries
    for proof in proofs:
        size = manifest["chains"][proof["chain"]]["tree_size"]
        assert len(proof["path"]) <= (size - 1).bit_length()  # O(log n), not the chain's tail
    patients = manifest["chains"]["patients_events"]
    # Recorded after the checkpoint (Okafor): the tree at export extends the signed one.
    assert patients["checkpoint_seq"] < patients["tree_size"] and patients["consistency"]
    assert manifest["checkpoints"]["patients_events"]["seq"] == patients["checkpoint_seq"]


def test_a_bundle_with_a_record_but_not_its_proof_does_not_verify(patient_bundle, tmp_path):
    path, _, _, _ = patient_bundle
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members["proofs.jsonl"] = b"".join(members["proofs.jsonl"].splitlines(keepends=True)[1:])
    manifest = json.loads(members["manifest.json"])
    manifest["files"]["proofs.jsonl"]["sha256"] = hashlib.sha256(
        members["proofs.jsonl"]
    ).hexdigest()
    manifest["manifest_digest"] = manifest_digest(manifest)
    members["manifest.json"] = canonical_manifest(manifest)
    forged = tmp_path / "forged.zip"
    forged.write_bytes(zip_members(members))

    report = verify_bundle(forged, KEY)

    assert any("exported without its proof" in p for p in report.problems), report.problems
