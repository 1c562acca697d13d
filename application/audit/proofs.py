"""Proof files an auditor checks offline, with only a signed checkpoint (decision 009).

- Inclusion (`aries-inclusion-proof/1`): one chain entry (an event or an access entry) with
  the record it digests, its leaf index, the RFC 9162 inclusion path to the tree of the
  checkpoint's size, and the checkpoint. O(log n) hashes, however much was recorded since.
- Consistency (`aries-consistency-proof/1`): two checkpoints of one chain and the RFC 9162
  consistency path between their trees: nothing covered by the older one was rewritten.

`prove_*` read the database; `verify_proof` reads nothing but the document, the checkpoints
the auditor holds (e.g. lines of the witness file) and, optionally, the HMAC key.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select

from application.audit import merkle
from application.audit.chain import ACCESS_CHAIN, access_digest, event_digest, utc_text
from application.audit.checkpoints import Checkpoint, leaf_hashes
from application.audit.tables import access_log, chained_events, event_chain

INCLUSION = "aries-inclusion-proof/1"
CONSISTENCY = "aries-consistency-proof/1"


class ProofError(ValueError):
    """The proof asked for cannot be made (say why)."""


def entry_record(engine: Engine, chain: str, seq: int) -> dict[str, Any]:
    """The stored record behind chain entry `seq`, in the form `record_digest` recomputes."""
    with engine.connect() as conn:
        if chain == ACCESS_CHAIN:
            row = conn.execute(select(access_log).where(access_log.c.seq == seq)).mappings().first()
            if row is None:
                raise ProofError(f"{chain} has no entry {seq}")
            record = {k: v for k, v in row.items() if k not in ("digest", "hash", "seal")}
            record["id"] = str(record["id"])
            record["recorded_at"] = utc_text(record["recorded_at"])
            record["patient_ids"] = [str(p) for p in record["patient_ids"]]
            return record
        row = conn.execute(
            chained_events(chain, chained_only=True).where(event_chain.c.seq == seq)
        ).first()
    if row is None:
        raise ProofError(f"{chain} has no entry {seq}")
    return {
        "position": row.notification_id,
        "originator_id": str(row.originator_id),
        "originator_version": row.originator_version,
        "topic": row.topic,
        "state": base64.b64encode(bytes(row.state)).decode(),
    }


def record_digest(chain: str, record: Mapping[str, Any]) -> bytes:
    """The entry digest of a record as `entry_record` writes it (no database)."""
    if chain == ACCESS_CHAIN:
        row = dict(record)
        row["recorded_at"] = datetime.strptime(
            record["recorded_at"], "%Y-%m-%dT%H:%M:%S.%fZ"
        ).replace(tzinfo=UTC)
        return access_digest(row)
    return event_digest(
        chain, record["position"], record["originator_id"], record["originator_version"],
        record["topic"], base64.b64decode(record["state"], validate=True),
    )


def prove_inclusion(
    engine: Engine, checkpoint: Checkpoint, seq: int, hashes: Sequence[bytes] | None = None
) -> dict[str, Any]:
    """The inclusion proof of entry `seq` in the tree `checkpoint` signed. `hashes`: the
    chain's leaf hashes if the caller has read them already (several proofs, one read)."""
    if checkpoint.root_hash is None:
        raise ProofError("the checkpoint has no Merkle root (taken before decision 009)")
    if not 1 <= seq <= checkpoint.seq:
        raise ProofError(f"entry {seq} is not covered by checkpoint {checkpoint.id} "
                         f"(entries 1..{checkpoint.seq}): take a newer checkpoint")
    hashes = hashes if hashes is not None else leaf_hashes(engine, checkpoint.chain, checkpoint.seq)
    return {
        "format": INCLUSION,
        "chain": checkpoint.chain,
        "seq": seq,
        "leaf_index": seq - 1,
        "tree_size": checkpoint.seq,
        "record": entry_record(engine, checkpoint.chain, seq),
        "path": [h.hex() for h in merkle.inclusion_proof(hashes, seq - 1, checkpoint.seq)],
        "checkpoint": checkpoint.as_json(),
    }


def prove_consistency(engine: Engine, old: Checkpoint, new: Checkpoint) -> dict[str, Any]:
    if old.chain != new.chain:
        raise ProofError("the two checkpoints are of different chains")
    if old.root_hash is None or new.root_hash is None:
        raise ProofError("a checkpoint has no Merkle root (taken before decision 009)")
    if old.seq > new.seq:
        raise ProofError("the first checkpoint must not be the larger one")
    hashes = leaf_hashes(engine, new.chain, new.seq)
    return {
        "format": CONSISTENCY,
        "chain": new.chain,
        "old_size": old.seq,
        "new_size": new.seq,
        "path": [h.hex() for h in merkle.consistency_proof(hashes, old.seq, new.seq)],
        "old_checkpoint": old.as_json(),
        "new_checkpoint": new.as_json(),
    }


def _same_checkpoint(a: Checkpoint, b: Checkpoint) -> bool:
    return (a.chain, a.seq, a.head_hash, a.root_hash, a.signature) == (
        b.chain, b.seq, b.head_hash, b.root_hash, b.signature,
    )


def verify_proof(
    document: Mapping[str, Any],
    held: Sequence[Checkpoint] = (),
    key: bytes | None = None,
) -> list[str]:
    """Problems with a proof document (none: it holds). `held`: checkpoints the auditor kept
    (the witness's); each checkpoint the proof relies on must be one of them when given.
    `key`: also check the checkpoints' signatures."""
    try:
        return _verify(document, held, key)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        return [f"the proof is malformed ({type(error).__name__})"]


def _verify(
    document: Mapping[str, Any], held: Sequence[Checkpoint], key: bytes | None
) -> list[str]:
    problems: list[str] = []
    if document.get("format") == INCLUSION:
        checkpoints = [Checkpoint.from_json(document["checkpoint"])]
    elif document.get("format") == CONSISTENCY:
        checkpoints = [
            Checkpoint.from_json(document["old_checkpoint"]),
            Checkpoint.from_json(document["new_checkpoint"]),
        ]
    else:
        return [f"unknown proof format {document.get('format')!r}"]
    for checkpoint in checkpoints:
        if checkpoint.chain != document["chain"]:
            problems.append("a checkpoint is of another chain than the proof")
        if checkpoint.root_hash is None:
            problems.append(f"checkpoint at {checkpoint.seq} has no Merkle root")
        if held and not any(_same_checkpoint(checkpoint, h) for h in held):
            problems.append(f"checkpoint at {checkpoint.seq} is not one of those held")
        if key is not None and not checkpoint.signed_by(key):
            problems.append(f"checkpoint at {checkpoint.seq}: signature does not verify")
    if problems:
        return problems
    path = [bytes.fromhex(h) for h in document["path"]]
    if document["format"] == INCLUSION:
        (checkpoint,) = checkpoints
        leaf = merkle.leaf_hash(record_digest(document["chain"], document["record"]))
        if document["tree_size"] != checkpoint.seq or document["leaf_index"] != (
            document["seq"] - 1
        ):
            problems.append("the proof's sizes are not the checkpoint's")
        elif not merkle.verify_inclusion(
            document["leaf_index"], checkpoint.seq, leaf, path, checkpoint.root_hash or b""
        ):
            problems.append("the entry is not in the tree the checkpoint signed")
    else:
        old, new = checkpoints
        if (document["old_size"], document["new_size"]) != (old.seq, new.seq):
            problems.append("the proof's sizes are not the checkpoints'")
        elif not merkle.verify_consistency(
            old.seq, new.seq, old.root_hash or b"", new.root_hash or b"", path
        ):
            problems.append("the newer tree does not extend the older one: history rewritten")
    return problems
