"""Self-verifying audit bundles: what Aries recorded about a patient (or a time range), with the
proof that it is what the logs hold, checkable offline.

A bundle is a ZIP file (stored, not compressed, fixed member order and times) with:

- `events.jsonl`: one stored event per line: its stored bytes (`state`, base64), its chain
  entry (seq, digest) and, for reading, the decoded payload and metadata;
- `access.jsonl`: the access-log entries in scope, with their digests;
- `proofs.jsonl`: one RFC 9162 inclusion path per exported record (decision 009): the record
  is leaf `seq - 1` of its chain's Merkle tree at export time. O(log n) hashes each, whatever
  was recorded after it; digests only, so the proofs carry nobody else's data;
- `manifest.json`: scope, sha256 of each other member, per chain the tree size and head at
  export and the consistency path from the newest signed checkpoint to it, the checkpoints,
  and `manifest_digest` over the rest of the manifest.

`verify_bundle` recomputes all of it: every member's hash, every record's digest and its
inclusion in its chain's tree, the tree's consistency with the signed checkpoint (and the
checkpoints' signatures when given the key), and that the file is byte for byte the canonical
ZIP of its members, so a change of any byte fails. Bundles are built in memory: exports are per
patient or per time range, not whole stores.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from sqlalchemy import BigInteger, Engine, Row, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY

from application.audit import access_log as access
from application.audit import merkle
from application.audit.chain import (
    ACCESS_CHAIN,
    access_digest,
    access_log_head,
    event_chain_head,
    event_digest,
    utc_text,
)
from application.audit.checkpoints import Checkpoint, latest_checkpoints, leaf_hashes
from application.audit.ports import RecordedTimes
from application.audit.render import event_payload
from application.audit.tables import chained_events, event_chain, events_table
from application.eventstore import AriesApplication
from domain.base import event_type

FORMAT = "aries-audit-bundle/2"
MEMBERS = ("manifest.json", "events.jsonl", "access.jsonl", "proofs.jsonl")
DATA_MEMBERS = MEMBERS[1:]
ZIP_TIME = (1980, 1, 1, 0, 0, 0)

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class ExportSummary:
    path: Path
    events: int
    access_entries: int
    patient_ids: frozenset[UUID]
    sha256: str


def _json_line(value: Mapping[str, Any]) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode() + b"\n"


def canonical_manifest(manifest: Mapping[str, Any]) -> bytes:
    return json.dumps(manifest, sort_keys=True, indent=2, ensure_ascii=True).encode() + b"\n"


def manifest_digest(manifest: Mapping[str, Any]) -> str:
    rest = {k: v for k, v in manifest.items() if k != "manifest_digest"}
    return hashlib.sha256(canonical_manifest(rest)).hexdigest()


def zip_members(members: Mapping[str, bytes]) -> bytes:
    """The one ZIP encoding of the members (verification rebuilds and compares it)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for name in MEMBERS:
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_STORED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            archive.writestr(info, members[name])
    return buffer.getvalue()


# --- Export -------------------------------------------------------------------------------------


def _event_rows(engine: Engine, chain: str, where: Any) -> list[Any]:
    query = chained_events(chain, chained_only=True).where(where).order_by(event_chain.c.seq)
    with engine.connect() as conn:
        return list(conn.execute(query).all())


def _selected_events(
    engine: Engine,
    times: RecordedTimes,
    applications: Mapping[str, AriesApplication],
    aggregates: Mapping[str, Sequence[UUID]],
    start: datetime | None,
    end: datetime | None,
) -> dict[str, list[Row[Any]]]:
    """Rows to export, per events table: the aggregates' events, or those indexed as recorded
    in [start, end)."""
    selected: dict[str, list[Row[Any]]] = {}
    for upstream, app in applications.items():
        chain = app.events_table
        events = events_table(chain)
        if start is not None or end is not None:
            # One array parameter: a range can hold more events than a statement has parameters.
            positions = bindparam(
                "positions", times.positions(upstream, start, end), type_=ARRAY(BigInteger)
            )
            rows = _event_rows(engine, chain, events.c.notification_id == any_(positions))
        elif aggregates.get(upstream):
            rows = _event_rows(engine, chain, events.c.originator_id.in_(aggregates[upstream]))
        else:
            rows = []
        if rows:
            selected[chain] = rows
    return selected


def _event_line(app: AriesApplication, chain: str, row: Row[Any]) -> tuple[dict[str, Any], Any]:
    event = app.mapper.to_domain_event(
        StoredEvent(row.originator_id, row.originator_version, row.topic, bytes(row.state))
    )
    line = {
        "chain": chain,
        "seq": row.seq,
        "position": row.notification_id,
        "originator_id": str(row.originator_id),
        "originator_version": row.originator_version,
        "topic": row.topic,
        "state": base64.b64encode(bytes(row.state)).decode(),
        "digest": bytes(row.digest).hex(),
        "type": event_type(row.topic),
        "recorded_at": event.timestamp.isoformat(),
        "tenant_id": getattr(event, "tenant_id", None),
        "actor_id": getattr(event, "actor_id", None),
        "actor_role": getattr(event, "actor_role", None),
        "correlation_id": getattr(event, "correlation_id", None),
        "causation_id": getattr(event, "causation_id", None),
        "payload": event_payload(event),
    }
    return line, event


def access_line(entry: access.AccessEntry) -> dict[str, Any]:
    return {
        "seq": entry.seq,
        "id": str(entry.id),
        "recorded_at": utc_text(entry.recorded_at),
        "tenant_id": entry.tenant_id,
        "actor_id": entry.actor_id,
        "actor_role": entry.actor_role,
        "action": entry.action,
        "operation": entry.operation,
        "patient_ids": [str(p) for p in entry.patient_ids],
        "fields_class": entry.fields_class,
        "outcome": entry.outcome,
        "request_id": entry.request_id,
        "recipient": entry.recipient,
        "purpose": entry.purpose,
        "digest": entry.digest.hex(),
    }


def export_bundle(
    engine: Engine,
    times: RecordedTimes,
    applications: Mapping[str, AriesApplication],
    out: Path,
    *,
    patient_id: UUID | None = None,
    aggregates: Mapping[str, Sequence[UUID]] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    progress: Progress | None = None,
) -> ExportSummary:
    """Write the bundle for one patient (its events, the `aggregates` given per upstream, e.g.
    its orders and claims, and the access entries naming it) or for a recorded-time range
    [start, end) (events as indexed by the event index, access entries recorded then).

    Reads every tenant's data: callers are operators (the CLI), who record the export."""
    if (patient_id is None) == (start is None and end is None):
        raise ValueError("export one patient, or a time range")
    wanted = {k: list(v) for k, v in (aggregates or {}).items()}
    if patient_id is not None:
        wanted.setdefault("patients", []).append(patient_id)
    # Checkpoints before heads: every checkpoint read is then covered by the heads.
    checkpoints = latest_checkpoints(engine)
    heads = {app.events_table: event_chain_head(engine, app.events_table)
             for app in applications.values()}
    heads[ACCESS_CHAIN] = access_log_head(engine)
    by_table = {app.events_table: app for app in applications.values()}

    selected = _selected_events(engine, times, applications, wanted, start, end)
    total = sum(len(rows) for rows in selected.values())
    event_lines: list[bytes] = []
    patients: set[UUID] = set()
    exported: dict[str, list[int]] = {}
    signed: dict[str, Checkpoint] = {}
    for chain, rows in selected.items():
        rows = [r for r in rows if r.seq <= heads[chain].seq]
        for row in rows:
            line, event = _event_line(by_table[chain], chain, row)
            event_lines.append(_json_line(line))
            if chain == "patients_events":
                patients.add(row.originator_id)
            elif isinstance(getattr(event, "patient_id", None), UUID):
                patients.add(event.patient_id)
            if progress is not None:
                progress("events", len(event_lines), total)
        if rows:
            exported[chain] = [r.seq for r in rows]

    found = access.entries(
        engine,
        tenant_id=None,
        patient_id=patient_id,
        start=start if patient_id is None else None,
        end=end if patient_id is None else None,
        limit=10_000_000,
    )
    found = [e for e in found if e.seq <= heads[ACCESS_CHAIN].seq]
    access_lines = [_json_line(access_line(e)) for e in found]
    if found:
        exported[ACCESS_CHAIN] = [e.seq for e in found]

    chains: dict[str, Any] = {}
    proof_lines: list[bytes] = []
    for chain, seqs in sorted(exported.items()):
        head = heads[chain]
        hashes = leaf_hashes(engine, chain, head.seq)
        checkpoint = checkpoints.get(chain)
        if checkpoint is not None and (checkpoint.root_hash is None or checkpoint.seq > head.seq):
            checkpoint = None  # taken before decision 009, or after the heads were read
        proof_lines += [
            _json_line({
                "chain": chain, "seq": seq,
                "path": [h.hex() for h in merkle.inclusion_proof(hashes, seq - 1)],
            })
            for seq in seqs
        ]
        chains[chain] = {
            "tree_size": head.seq,
            "root_hash": merkle.root_of_hashes(hashes).hex(),
            "head_hash": head.hash.hex(),
            "checkpoint_seq": None if checkpoint is None else checkpoint.seq,
            "consistency": [] if checkpoint is None else [
                h.hex() for h in merkle.consistency_proof(hashes, checkpoint.seq)
            ],
        }
        if checkpoint is not None:
            signed[chain] = checkpoint
        if progress is not None:
            progress("proofs", len(chains), len(exported))

    members = {
        "events.jsonl": b"".join(event_lines),
        "access.jsonl": b"".join(access_lines),
        "proofs.jsonl": b"".join(proof_lines),
    }
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "created_at": utc_text(datetime.now(UTC)),
        "scope": {
            "patient_id": None if patient_id is None else str(patient_id),
            "aggregates": {k: [str(i) for i in v] for k, v in sorted(wanted.items())},
            "from": None if start is None else utc_text(start),
            "to": None if end is None else utc_text(end),
        },
        "files": {
            name: {"sha256": hashlib.sha256(data).hexdigest(), "lines": data.count(b"\n")}
            for name, data in members.items()
        },
        "chains": chains,
        "checkpoints": {c: cp.as_json() for c, cp in sorted(signed.items())},
    }
    manifest["manifest_digest"] = manifest_digest(manifest)
    members["manifest.json"] = canonical_manifest(manifest)
    data = zip_members(members)
    out.write_bytes(data)
    return ExportSummary(
        path=out,
        events=len(event_lines),
        access_entries=len(access_lines),
        patient_ids=frozenset(patients | ({patient_id} if patient_id else set())),
        sha256=hashlib.sha256(data).hexdigest(),
    )


# --- Verification -------------------------------------------------------------------------------


@dataclass
class BundleReport:
    problems: list[str] = field(default_factory=list)
    events: int = 0
    access_entries: int = 0
    chains: list[str] = field(default_factory=list)
    checkpoints_signed: bool | None = None  # None: no key given, or no checkpoint

    @property
    def ok(self) -> bool:
        return not self.problems


def _lines(data: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in data.splitlines() if line]


def verify_bundle(path: Path, key: bytes | None = None) -> BundleReport:
    """Check a bundle offline (no database): see the module docstring for what is checked."""
    report = BundleReport()
    raw = path.read_bytes()
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            if tuple(archive.namelist()) != MEMBERS:
                report.problems.append("the bundle's members are not the expected ones")
                return report
            members = {name: archive.read(name) for name in MEMBERS}
    except (
        zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, ValueError, OSError, EOFError,
        NotImplementedError,  # a flipped byte can name a compression method zipfile lacks
        zlib.error,
    ) as error:
        report.problems.append(f"the bundle is not a readable ZIP ({type(error).__name__})")
        return report
    if zip_members(members) != raw:
        report.problems.append("the file is not byte for byte the canonical ZIP of its members")
    try:
        manifest = json.loads(members["manifest.json"])
        events = _lines(members["events.jsonl"])
        entries = _lines(members["access.jsonl"])
        proof = _lines(members["proofs.jsonl"])
    except (ValueError, UnicodeDecodeError):
        report.problems.append("a member is not valid JSON")
        return report
    try:
        _verify_contents(report, members, manifest, events, entries, proof, key)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        report.problems.append(f"the bundle's contents are malformed ({type(error).__name__})")
    return report


def _verify_contents(
    report: BundleReport,
    members: Mapping[str, bytes],
    manifest: dict[str, Any],
    events: list[dict[str, Any]],
    entries: list[dict[str, Any]],
    proof: list[dict[str, Any]],
    key: bytes | None,
) -> None:
    problems = report.problems
    if manifest.get("format") != FORMAT:
        problems.append(f"unknown bundle format {manifest.get('format')!r}")
    if canonical_manifest(manifest) != members["manifest.json"]:
        problems.append("manifest.json is not in canonical form")
    if manifest.get("manifest_digest") != manifest_digest(manifest):
        problems.append("manifest_digest does not match the manifest")
    for name in DATA_MEMBERS:
        if manifest["files"][name]["sha256"] != hashlib.sha256(members[name]).hexdigest():
            problems.append(f"{name} does not match its sha256 in the manifest")
    report.events = len(events)
    report.access_entries = len(entries)

    records: dict[tuple[str, int], bytes] = {}
    for line in events:
        digest = event_digest(
            line["chain"], line["position"], line["originator_id"], line["originator_version"],
            line["topic"], base64.b64decode(line["state"], validate=True),
        )
        if digest.hex() != line["digest"]:
            problems.append(f"event {line['chain']}@{line['position']} does not match its digest")
        records[(line["chain"], line["seq"])] = digest
    for line in entries:
        row = dict(line)
        row["recorded_at"] = datetime.strptime(
            line["recorded_at"], "%Y-%m-%dT%H:%M:%S.%fZ"
        ).replace(tzinfo=UTC)
        digest = access_digest(row)
        if digest.hex() != line["digest"]:
            problems.append(f"access entry {line['seq']} does not match its digest")
        records[(ACCESS_CHAIN, line["seq"])] = digest

    chains = manifest["chains"]
    report.chains.extend(chains)
    proved: set[tuple[str, int]] = set()
    for item in proof:
        key_ = (item["chain"], item["seq"])
        digest = records.get(key_)
        info = chains.get(item["chain"])
        if digest is None or info is None:
            problems.append(f"{item['chain']}: a proof of entry {item['seq']} with no record")
            continue
        proved.add(key_)
        if not merkle.verify_inclusion(
            item["seq"] - 1, info["tree_size"], merkle.leaf_hash(digest),
            [bytes.fromhex(h) for h in item["path"]], bytes.fromhex(info["root_hash"]),
        ):
            problems.append(f"{item['chain']}: entry {item['seq']} is not in the chain's tree")
    for chain, seq in sorted(set(records) - proved):
        problems.append(f"{chain}: entry {seq} is exported without its proof")

    checkpoints = {
        c: Checkpoint.from_json(v) for c, v in manifest.get("checkpoints", {}).items()
    }
    for chain, info in chains.items():
        _verify_tree(problems, chain, info, checkpoints.get(chain))
    if set(checkpoints) - set(chains):
        problems.append("a checkpoint of a chain the bundle has no tree for")
    if key is not None and checkpoints:
        signed = all(c.signed_by(key) for c in checkpoints.values())
        report.checkpoints_signed = signed
        if not signed:
            problems.append("a checkpoint's signature does not verify with the key given")


def _verify_tree(
    problems: list[str], chain: str, info: Mapping[str, Any], checkpoint: Checkpoint | None
) -> None:
    """The chain's tree at export extends its signed checkpoint (RFC 9162 consistency)."""
    if checkpoint is None:
        if info["checkpoint_seq"] is not None:
            problems.append(f"{chain}: the checkpoint the tree rests on is missing")
        return
    if checkpoint.seq != info["checkpoint_seq"] or checkpoint.root_hash is None:
        problems.append(f"{chain}: the checkpoint is not the one the tree rests on")
        return
    if not merkle.verify_consistency(
        checkpoint.seq, info["tree_size"], checkpoint.root_hash,
        bytes.fromhex(info["root_hash"]), [bytes.fromhex(h) for h in info["consistency"]],
    ):
        problems.append(f"{chain}: the tree at export does not extend its signed checkpoint")
