"""Signed checkpoints: a chain's head (sequence, position, hash) at a time, under an HMAC key
that lives outside the database.

Someone able to rewrite the audit tables can recompute every hash, but not a checkpoint's
signature. An auditor who kept a checkpoint (or finds it in the table and has the key) proves
that the chain still passes through the head it saw: `check_checkpoints` looks each one up in
the current chain.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, func, insert, select

from application.audit.chain import (
    ACCESS_CHAIN,
    EVENT_CHAINS,
    Head,
    access_log_head,
    event_chain_head,
    field,
    genesis,
    utc_text,
)
from application.audit.tables import access_log, checkpoints, event_chain


def key_id(key: bytes) -> str:
    """A short public name for a key (which key signed a checkpoint), not the key."""
    return hashlib.sha256(field("aries-checkpoint-key-id") + key).hexdigest()[:16]


def signature(
    key: bytes, chain: str, seq: int, position: int, head_hash: bytes, created_at: datetime
) -> bytes:
    message = (
        field("aries-checkpoint")
        + field(chain)
        + field(str(seq))
        + field(str(position))
        + field(head_hash.hex())
        + field(utc_text(created_at))
        + field(key_id(key))
    )
    return hmac.new(key, message, hashlib.sha256).digest()


@dataclass(frozen=True)
class Checkpoint:
    id: int | None
    chain: str
    seq: int
    position: int
    head_hash: bytes
    created_at: datetime
    key_id: str
    signature: bytes

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Checkpoint:
        return cls(
            id=row["id"],
            chain=row["chain"],
            seq=row["seq"],
            position=row["position"],
            head_hash=bytes(row["head_hash"]),
            created_at=row["created_at"],
            key_id=row["key_id"],
            signature=bytes(row["signature"]),
        )

    def signed_by(self, key: bytes) -> bool:
        expected = signature(
            key, self.chain, self.seq, self.position, self.head_hash, self.created_at
        )
        return self.key_id == key_id(key) and hmac.compare_digest(expected, self.signature)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "chain": self.chain,
            "seq": self.seq,
            "position": self.position,
            "head_hash": self.head_hash.hex(),
            "created_at": utc_text(self.created_at),
            "key_id": self.key_id,
            "signature": self.signature.hex(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Checkpoint:
        return cls(
            id=data.get("id"),
            chain=data["chain"],
            seq=int(data["seq"]),
            position=int(data["position"]),
            head_hash=bytes.fromhex(data["head_hash"]),
            created_at=datetime.strptime(data["created_at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
                tzinfo=UTC
            ),
            key_id=data["key_id"],
            signature=bytes.fromhex(data["signature"]),
        )


def heads(engine: Engine) -> dict[str, Head]:
    found = {chain: event_chain_head(engine, chain) for chain in EVENT_CHAINS}
    found[ACCESS_CHAIN] = access_log_head(engine)
    return found


def create_checkpoints(engine: Engine, key: bytes, now: datetime | None = None) -> list[Checkpoint]:
    """Sign and store the current head of every chain."""
    created_at = (now or datetime.now(UTC)).astimezone(UTC)
    made = []
    with engine.begin() as conn:
        for chain, head in heads(engine).items():
            position = head.position or 0
            row = {
                "chain": chain,
                "seq": head.seq,
                "position": position,
                "head_hash": head.hash,
                "created_at": created_at,
                "key_id": key_id(key),
                "signature": signature(key, chain, head.seq, position, head.hash, created_at),
            }
            new_id = conn.execute(insert(checkpoints).returning(checkpoints.c.id), row).scalar()
            made.append(Checkpoint(id=new_id, **row))
    return made


def latest_checkpoints(engine: Engine) -> dict[str, Checkpoint]:
    """The newest checkpoint of each chain."""
    newest = (
        select(checkpoints.c.chain, func.max(checkpoints.c.id).label("id"))
        .group_by(checkpoints.c.chain)
        .subquery()
    )
    with engine.connect() as conn:
        rows = conn.execute(
            select(checkpoints).join(newest, newest.c.id == checkpoints.c.id)
        ).mappings().all()
    return {row["chain"]: Checkpoint.from_row(row) for row in rows}


@dataclass(frozen=True)
class CheckpointCheck:
    checkpoint: Checkpoint
    in_chain: bool
    signature_valid: bool | None  # None: no key to check it with

    @property
    def ok(self) -> bool:
        return self.in_chain and self.signature_valid is not False


def check_checkpoint(engine: Engine, checkpoint: Checkpoint, key: bytes | None) -> CheckpointCheck:
    """Whether the current chain still passes through the checkpoint's head, and whether the
    key (if given) signed it."""
    if checkpoint.seq == 0:
        in_chain = checkpoint.head_hash == genesis(checkpoint.chain)
    else:
        with engine.connect() as conn:
            if checkpoint.chain == ACCESS_CHAIN:
                stored = conn.execute(
                    select(access_log.c.hash).where(access_log.c.seq == checkpoint.seq)
                ).scalar()
            else:
                stored = conn.execute(
                    select(event_chain.c.hash).where(
                        event_chain.c.chain == checkpoint.chain,
                        event_chain.c.seq == checkpoint.seq,
                        event_chain.c.position == checkpoint.position,
                    )
                ).scalar()
        in_chain = stored is not None and bytes(stored) == checkpoint.head_hash
    valid = None if key is None else checkpoint.signed_by(key)
    return CheckpointCheck(checkpoint, in_chain, valid)


def check_checkpoints(engine: Engine, key: bytes | None) -> list[CheckpointCheck]:
    """Every chain's newest checkpoint, checked."""
    return [check_checkpoint(engine, c, key) for c in latest_checkpoints(engine).values()]
