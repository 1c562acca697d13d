"""The hash chains, recomputed: digests, links, and verification of the stored chains.

The database builds the chains (triggers of migration 0007); this module recomputes them with
the same encodings, to verify the database (`verify_event_chain`, `verify_access_log`) and to
verify exported bundles offline (`application.audit.export`). Encoding: every field is a
netstring `<byte length>:<utf-8 bytes>` (NULL is `-`), so no two field lists encode alike;
digest = sha256(fields), hash = sha256(previous hash || digest), and the first entry's
previous hash is `genesis(chain)`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Engine, and_, func, select

from application.audit.encoding import bytes_field, field, sha256
from application.audit.ports import RecordedTimes
from application.audit.seals import access_seal_valid, event_seal_valid
from application.audit.tables import (
    access_log,
    access_seal_start,
    event_chain,
    event_seals,
    events_table,
    seal_start,
)

__all__ = ["bytes_field", "field", "sha256"]  # the encoding, for the modules that mirror it

ACCESS_CHAIN = "access_log"
EVENT_CHAINS = (
    "patients_events", "orders_events", "claims_events", "identity_events", "setup_events",
    "catalogue_events",
)
BATCH = 5_000

Progress = Callable[[str, int, int], None]
"""progress(chain, entries done, entries in total)."""


def genesis(chain: str) -> bytes:
    return sha256(field("aries-chain-genesis") + field(chain))


def link(previous: bytes, digest: bytes) -> bytes:
    return sha256(previous + digest)


def event_digest(
    chain: str,
    notification_id: int,
    originator_id: UUID | str,
    originator_version: int,
    topic: str | None,
    state: bytes | None,
) -> bytes:
    return sha256(
        field(chain)
        + field(str(notification_id))
        + field(str(originator_id))
        + field(str(originator_version))
        + field(topic)
        + bytes_field(state)
    )


def utc_text(moment: datetime) -> str:
    """The one text form of a time that digests and signatures use."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def access_digest(entry: Mapping[str, Any]) -> bytes:
    """Digest of an access-log row (a mapping with the table's columns)."""
    return sha256(
        field(ACCESS_CHAIN)
        + field(str(entry["seq"]))
        + field(str(entry["id"]))
        + field(utc_text(entry["recorded_at"]))
        + field(entry["tenant_id"])
        + field(entry["actor_id"])
        + field(entry["actor_role"])
        + field(entry["action"])
        + field(entry["operation"])
        + field(",".join(str(p) for p in entry["patient_ids"]))
        + field(entry["fields_class"])
        + field(entry["outcome"])
        + field(entry["request_id"])
        + field(entry["recipient"])
        + field(entry["purpose"])
    )


@dataclass(frozen=True)
class Break:
    """The first place where a chain does not hold."""

    chain: str
    seq: int | None
    position: int | None
    reason: str


@dataclass(frozen=True)
class ChainReport:
    chain: str
    entries: int
    head_seq: int
    head_position: int | None
    head_hash: bytes
    first_break: Break | None

    @property
    def ok(self) -> bool:
        return self.first_break is None


@dataclass(frozen=True)
class Head:
    seq: int
    position: int | None
    hash: bytes


def event_chain_head(engine: Engine, chain: str) -> Head:
    with engine.connect() as conn:
        row = conn.execute(
            select(event_chain.c.seq, event_chain.c.position, event_chain.c.hash)
            .where(event_chain.c.chain == chain)
            .order_by(event_chain.c.seq.desc())
            .limit(1)
        ).first()
    return Head(0, None, genesis(chain)) if row is None else Head(row.seq, row.position, row.hash)


def access_log_head(engine: Engine) -> Head:
    with engine.connect() as conn:
        row = conn.execute(
            select(access_log.c.seq, access_log.c.hash).order_by(access_log.c.seq.desc()).limit(1)
        ).first()
    return Head(0, None, genesis(ACCESS_CHAIN)) if row is None else Head(row.seq, row.seq, row.hash)


def verify_event_chain(
    engine: Engine, chain: str, progress: Progress | None = None, seal_key: bytes | None = None
) -> ChainReport:
    """Recompute the chain of events table `chain` entry by entry against the stored events.

    Finds a changed event (digest differs), a deleted one (entry without its event), a changed,
    removed or reordered chain entry (sequence gap or link that does not recompute) and an
    event that was stored without being chained. With the application's `seal_key`, also an
    event recorded after sealing began without a valid seal: a row the database chained but
    the application did not write (a raw INSERT with the database credentials). Reports the
    break with the lowest position.
    """
    events = events_table(chain)
    with engine.connect() as conn:
        total = conn.execute(
            select(func.count()).select_from(event_chain).where(event_chain.c.chain == chain)
        ).scalar_one()
        sealed_after = conn.execute(
            select(seal_start.c.position).where(seal_start.c.chain == chain)
        ).scalar()
    seals = event_seals.alias("seals")
    previous = genesis(chain)
    expected_seq = 1
    last_position: int | None = None
    found: Break | None = None
    done = 0
    while found is None:
        query = (
            select(
                event_chain.c.seq,
                event_chain.c.position,
                event_chain.c.digest,
                event_chain.c.hash,
                events.c.notification_id,
                events.c.originator_id,
                events.c.originator_version,
                events.c.topic,
                events.c.state,
                seals.c.seal,
            )
            .select_from(
                event_chain.outerjoin(
                    events, events.c.notification_id == event_chain.c.position
                ).outerjoin(
                    seals,
                    (seals.c.chain == chain)
                    & (seals.c.originator_id == events.c.originator_id)
                    & (seals.c.originator_version == events.c.originator_version),
                )
            )
            .where(event_chain.c.chain == chain, event_chain.c.seq >= expected_seq)
            .order_by(event_chain.c.seq)
            .limit(BATCH)
        )
        with engine.connect() as conn:
            rows = conn.execute(query).all()
        if not rows:
            break
        for row in rows:
            found = _check_event_entry(chain, row, expected_seq, previous)
            if found is None and seal_key is not None:
                found = _check_event_seal(chain, row, seal_key, sealed_after)
            if found is not None:
                break
            previous = row.hash
            expected_seq = row.seq + 1
            last_position = row.position
            done += 1
        if progress is not None:
            progress(chain, done, total)
    unchained = _first_unchained(engine, chain)
    if unchained is not None and (
        found is None or found.position is None or unchained.position < found.position
    ):
        found = unchained
    return ChainReport(chain, done, expected_seq - 1, last_position, previous, found)


def _check_event_entry(chain: str, row: Any, expected_seq: int, previous: bytes) -> Break | None:
    if row.seq != expected_seq:
        return Break(chain, expected_seq, None, "chain entry missing")
    if row.notification_id is None:
        return Break(chain, row.seq, row.position, "stored event missing")
    digest = event_digest(
        chain,
        row.notification_id,
        row.originator_id,
        row.originator_version,
        row.topic,
        None if row.state is None else bytes(row.state),
    )
    if digest != bytes(row.digest):
        return Break(chain, row.seq, row.position, "stored event changed")
    if link(previous, digest) != bytes(row.hash):
        return Break(chain, row.seq, row.position, "chain link does not recompute")
    return None


def _check_event_seal(
    chain: str, row: Any, key: bytes, sealed_after: int | None
) -> Break | None:
    if sealed_after is None or row.position <= sealed_after:
        return None  # recorded before sealing began: the chain alone covers it
    state = None if row.state is None else bytes(row.state)
    if event_seal_valid(
        key, row.seal, chain, row.originator_id, row.originator_version, row.topic, state
    ):
        return None
    reason = "event not sealed by the application" if row.seal is None else "event seal invalid"
    return Break(chain, row.seq, row.position, reason)


def _first_unchained(engine: Engine, chain: str) -> Break | None:
    events = events_table(chain)
    chained = select(event_chain.c.position).where(
        and_(event_chain.c.chain == chain, event_chain.c.position == events.c.notification_id)
    )
    with engine.connect() as conn:
        position = conn.execute(
            select(func.min(events.c.notification_id)).where(~chained.exists())
        ).scalar()
    return None if position is None else Break(chain, None, position, "stored event not chained")


def verify_access_log(
    engine: Engine, progress: Progress | None = None, seal_key: bytes | None = None
) -> ChainReport:
    """Recompute the access log's chain: every entry's digest from its columns, every link;
    with `seal_key`, every entry's seal (entries recorded before sealing began excepted)."""
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(access_log)).scalar_one()
        sealed_after = conn.execute(select(access_seal_start.c.seq)).scalar()
    previous = genesis(ACCESS_CHAIN)
    expected_seq = 1
    found: Break | None = None
    done = 0
    while found is None:
        with engine.connect() as conn:
            rows = conn.execute(
                select(access_log)
                .where(access_log.c.seq >= expected_seq)
                .order_by(access_log.c.seq)
                .limit(BATCH)
            ).mappings().all()
        if not rows:
            break
        for row in rows:
            found = check_access_entry(row, expected_seq, previous)
            if (
                found is None and seal_key is not None and sealed_after is not None
                and row["seq"] > sealed_after and not access_seal_valid(seal_key, row)
            ):
                reason = "access entry not sealed by the application"
                found = Break(ACCESS_CHAIN, row["seq"], row["seq"], reason)
            if found is not None:
                break
            previous = bytes(row["hash"])
            expected_seq += 1
            done += 1
        if progress is not None:
            progress(ACCESS_CHAIN, done, total)
    head_seq = expected_seq - 1
    return ChainReport(ACCESS_CHAIN, done, head_seq, head_seq or None, previous, found)


def check_access_entry(
    row: Mapping[str, Any], expected_seq: int | None, previous: bytes
) -> Break | None:
    """Whether one access entry is intact and links to `previous` (None: it is)."""
    seq = row["seq"]
    if expected_seq is not None and seq != expected_seq:
        return Break(ACCESS_CHAIN, expected_seq, expected_seq, "access entry missing")
    digest = access_digest(row)
    if digest != bytes(row["digest"]):
        return Break(ACCESS_CHAIN, seq, seq, "access entry changed")
    if link(previous, digest) != bytes(row["hash"]):
        return Break(ACCESS_CHAIN, seq, seq, "chain link does not recompute")
    return None


def verify_all(
    engine: Engine, progress: Progress | None = None, seal_key: bytes | None = None
) -> list[ChainReport]:
    """Every events table's chain, then the access log's (seals too, given the key)."""
    reports = [verify_event_chain(engine, chain, progress, seal_key) for chain in EVENT_CHAINS]
    reports.append(verify_access_log(engine, progress, seal_key))
    return reports


@dataclass(frozen=True)
class TenantHead:
    """A tenant's view of a chain: how many entries are its own, and the last of them (its
    seq, position and chain hash), which the chain's verification covers."""

    chain: str
    entries: int
    head: Head | None


def tenant_heads(engine: Engine, times: RecordedTimes, tenant_id: str) -> list[TenantHead]:
    """Per chain, the tenant's own entries (events as the event index attributes them)."""
    found = []
    with engine.connect() as conn:
        for chain in EVENT_CHAINS:
            count, position = times.tenant_head(chain.removesuffix("_events"), tenant_id)
            row = None if position is None else conn.execute(
                select(event_chain.c.seq, event_chain.c.position, event_chain.c.hash).where(
                    event_chain.c.chain == chain, event_chain.c.position == position
                )
            ).first()
            head = None if row is None else Head(row.seq, row.position, bytes(row.hash))
            found.append(TenantHead(chain, count, head))
        count, seq = conn.execute(
            select(func.count(), func.max(access_log.c.seq)).where(
                access_log.c.tenant_id == tenant_id
            )
        ).one()
        digest = None if seq is None else conn.execute(
            select(access_log.c.hash).where(access_log.c.seq == seq)
        ).scalar()
        access_head = None if digest is None else Head(seq, seq, bytes(digest))
        found.append(TenantHead(ACCESS_CHAIN, int(count), access_head))
    return found
