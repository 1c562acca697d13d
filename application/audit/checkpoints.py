"""Signed checkpoints: a chain's head (sequence, position, hash) at a time, under an HMAC key
that lives outside the database.

Someone able to rewrite the audit tables can recompute every hash, but not a checkpoint's
signature. An auditor who kept a checkpoint (or finds it in the table and has the key) proves
that the chain still passes through the head it saw: `check_checkpoints` looks each one up in
the current chain.

Since decision 009 a checkpoint also signs `root_hash`, the RFC 9162 Merkle tree head over the
chain's entry digests 1..seq (`application/audit/merkle.py`): one entry is then proved against
it by an O(log n) inclusion path, and two checkpoints by a consistency path
(`application/audit/proofs.py`). Checkpoints without a root (taken before) keep their message.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select

from application.audit import merkle
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
    key: bytes, chain: str, seq: int, position: int, head_hash: bytes, created_at: datetime,
    root_hash: bytes | None = None,
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
    if root_hash is not None:
        message += field("merkle-root") + field(root_hash.hex())
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
    root_hash: bytes | None = None  # Merkle tree head over entries 1..seq (None: older ones)

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
            root_hash=None if row.get("root_hash") is None else bytes(row["root_hash"]),
        )

    def signed_by(self, key: bytes) -> bool:
        expected = signature(
            key, self.chain, self.seq, self.position, self.head_hash, self.created_at,
            self.root_hash,
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
            **({} if self.root_hash is None else {"root_hash": self.root_hash.hex()}),
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
            root_hash=bytes.fromhex(data["root_hash"]) if data.get("root_hash") else None,
        )


def heads(engine: Engine) -> dict[str, Head]:
    found = {chain: event_chain_head(engine, chain) for chain in EVENT_CHAINS}
    found[ACCESS_CHAIN] = access_log_head(engine)
    return found


def create_checkpoints(engine: Engine, key: bytes, now: datetime | None = None) -> list[Checkpoint]:
    """Sign and store the current head of every chain, with its Merkle tree head."""
    created_at = (now or datetime.now(UTC)).astimezone(UTC)
    made = []
    current = heads(engine)
    roots = {chain: tree_head(engine, chain, head.seq) for chain, head in current.items()}
    with engine.begin() as conn:
        for chain, head in current.items():
            position = head.position or 0
            row = {
                "chain": chain,
                "seq": head.seq,
                "position": position,
                "head_hash": head.hash,
                "created_at": created_at,
                "key_id": key_id(key),
                "signature": signature(
                    key, chain, head.seq, position, head.hash, created_at, roots[chain]
                ),
                "root_hash": roots[chain],
            }
            new_id = conn.execute(insert(checkpoints).returning(checkpoints.c.id), row).scalar()
            made.append(Checkpoint(id=new_id, **row))
    return made


def _digests(conn: Connection, chain: str, size: int) -> Iterator[bytes]:
    """The digests of a chain's entries 1..size in order, streamed (a server-side cursor)."""
    if chain == ACCESS_CHAIN:
        query = select(access_log.c.digest).where(access_log.c.seq <= size).order_by(
            access_log.c.seq
        )
    else:
        query = (
            select(event_chain.c.digest)
            .where(event_chain.c.chain == chain, event_chain.c.seq <= size)
            .order_by(event_chain.c.seq)
        )
    for digest in conn.execution_options(stream_results=True, yield_per=10_000).execute(
        query
    ).scalars():
        yield bytes(digest)


def _check_size(chain: str, found: int, size: int) -> None:
    if found != size:
        raise ValueError(f"{chain} holds {found} of entries 1..{size}: verify it")


def leaf_hashes(engine: Engine, chain: str, size: int) -> list[bytes]:
    """The Merkle leaf hashes of a chain's entries 1..size: leaf_hash(entry digest), in order
    (for proofs, which need the whole tree)."""
    with engine.connect() as conn:
        hashes = [merkle.leaf_hash(d) for d in _digests(conn, chain, size)]
    _check_size(chain, len(hashes), size)
    return hashes


def tree_head(engine: Engine, chain: str, size: int) -> bytes:
    """The Merkle tree head of a chain's entries 1..size, holding O(log n) hashes."""
    frontier = merkle.Frontier()
    with engine.connect() as conn:
        for digest in _digests(conn, chain, size):
            frontier.append(merkle.leaf_hash(digest))
    _check_size(chain, frontier.size, size)
    return frontier.root()


def checkpoint_by_id(engine: Engine, checkpoint_id: int) -> Checkpoint | None:
    with engine.connect() as conn:
        row = conn.execute(
            select(checkpoints).where(checkpoints.c.id == checkpoint_id)
        ).mappings().first()
    return None if row is None else Checkpoint.from_row(row)


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
