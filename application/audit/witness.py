"""The witness: checkpoints published outside the database, to files the application only
appends to (decision 009).

Whoever can rewrite the audit tables can also delete their checkpoints; a copy elsewhere that
the database's administrators cannot write keeps them. The witness is a directory (a mounted
volume, a synced bucket, a WORM share): each checkpoint is one JSON line appended to
`checkpoints.jsonl`, opened with O_APPEND and flushed to disk before the call returns. Nothing
here reads back to rewrite: `read_witness` is for auditors and `aries audit verify-proof`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine

from application.audit.checkpoints import (
    Checkpoint,
    CheckpointCheck,
    check_checkpoint,
    create_checkpoints,
    latest_checkpoints,
)

WITNESS_FILE = "checkpoints.jsonl"


def publish(directory: Path, checkpoints: Iterable[Checkpoint]) -> Path:
    """Append `checkpoints` to the witness file in `directory` (created if missing)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / WITNESS_FILE
    data = b"".join(
        json.dumps(c.as_json(), sort_keys=True, separators=(",", ":")).encode() + b"\n"
        for c in checkpoints
    )
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, data)  # one write: concurrent appenders do not interleave lines
        os.fsync(fd)
    finally:
        os.close(fd)
    return path


def read_witness(path: Path) -> list[Checkpoint]:
    """The checkpoints in a witness file (or a file of checkpoint JSON lines)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [Checkpoint.from_json(json.loads(line)) for line in lines if line.strip()]


def checkpoint_if_due(
    engine: Engine,
    key: bytes,
    every: timedelta,
    directory: Path | None,
    now: datetime | None = None,
) -> list[Checkpoint]:
    """Take and publish checkpoints when the newest is older than `every` (or there is none):
    what the worker calls on its schedule. Several workers may race; the worst case is two
    checkpoints close together, which prove the same."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    newest = max((c.created_at for c in latest_checkpoints(engine).values()), default=None)
    if newest is not None and now - newest < every:
        return []
    made = create_checkpoints(engine, key, now)
    if directory is not None:
        publish(directory, made)
    return made


def check_witness(
    engine: Engine, directory: Path, key: bytes | None
) -> list[CheckpointCheck]:
    """The newest witnessed checkpoint of each chain, checked against the database's chains:
    a store cut back, or rewritten with its own checkpoints, no longer passes through it."""
    path = directory / WITNESS_FILE
    if not path.exists():
        return []
    newest: dict[str, Checkpoint] = {}
    for checkpoint in read_witness(path):  # appended in order: the last one of a chain wins
        newest[checkpoint.chain] = checkpoint
    return [check_checkpoint(engine, c, key) for c in newest.values()]
