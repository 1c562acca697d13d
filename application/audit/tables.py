"""SQLAlchemy Core views of the tables the audit package reads and writes, and the one join it
reads them through (stored events with their chain entries).

Alembic owns the DDL (`migrations/versions/0007_audit.py`, `0013_audit_integrity.py`); these
mirror it. The events tables are the library's (`<family>_events` in schema public), described
here only to read them.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    LargeBinary,
    MetaData,
    Table,
    Text,
    Uuid,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql import Select

metadata = MetaData(schema="audit")

event_chain = Table(
    "event_chain",
    metadata,
    Column("chain", Text, primary_key=True),
    Column("seq", BigInteger, primary_key=True),
    Column("position", BigInteger, nullable=False),
    Column("digest", LargeBinary, nullable=False),
    Column("hash", LargeBinary, nullable=False),
)

access_log = Table(
    "access_log",
    metadata,
    Column("seq", BigInteger, primary_key=True),
    Column("id", Uuid, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("tenant_id", Text, nullable=False),
    Column("actor_id", Text),
    Column("actor_role", Text),
    Column("action", Text, nullable=False),
    Column("operation", Text, nullable=False),
    Column("patient_ids", ARRAY(Uuid), nullable=False),
    Column("fields_class", Text, nullable=False),
    Column("outcome", Text, nullable=False),
    Column("request_id", Text),
    Column("recipient", Text),
    Column("purpose", Text),
    Column("digest", LargeBinary, nullable=False),
    Column("hash", LargeBinary, nullable=False),
    Column("seal", LargeBinary),
)

event_seals = Table(
    "event_seals",
    metadata,
    Column("chain", Text, primary_key=True),
    Column("originator_id", Uuid, primary_key=True),
    Column("originator_version", BigInteger, primary_key=True),
    Column("key_id", Text, nullable=False),
    Column("seal", LargeBinary, nullable=False),
)

seal_start = Table(
    "seal_start",
    metadata,
    Column("chain", Text, primary_key=True),
    Column("position", BigInteger, nullable=False),
)

access_seal_start = Table("access_seal_start", metadata, Column("seq", BigInteger))

checkpoints = Table(
    "checkpoints",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("chain", Text, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("position", BigInteger, nullable=False),
    Column("head_hash", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("key_id", Text, nullable=False),
    Column("signature", LargeBinary, nullable=False),
    Column("root_hash", LargeBinary),
)

_events_metadata = MetaData(schema="public")


@cache
def events_table(name: str) -> Table:
    """The library's events table `name` (e.g. `patients_events`), for reading."""
    return Table(
        name,
        _events_metadata,
        Column("originator_id", Uuid, primary_key=True),
        Column("originator_version", BigInteger, primary_key=True),
        Column("topic", Text),
        Column("state", LargeBinary),
        Column("notification_id", BigInteger, nullable=False),
    )


def chained_events(chain: str, *, chained_only: bool) -> Select[Any]:
    """The stored events of events table `chain` with their chain entries (seq, digest, hash):
    only the chained ones, or every one (None where it has no entry)."""
    events = events_table(chain)
    on = (event_chain.c.chain == chain) & (event_chain.c.position == events.c.notification_id)
    joined = events.join(event_chain, on) if chained_only else events.outerjoin(event_chain, on)
    return select(
        events.c.notification_id,
        events.c.originator_id,
        events.c.originator_version,
        events.c.topic,
        events.c.state,
        event_chain.c.seq,
        event_chain.c.digest,
        event_chain.c.hash,
    ).select_from(joined)
