"""Response bodies of the audit routes (interfaces/http/routes/audit.py)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from pydantic import BaseModel, Field

from application.audit.access_log import AccessEntry
from application.audit.chain import ChainReport, TenantHead
from application.audit.checkpoints import CheckpointCheck
from projections.event_index_queries import FeedItem


class AggregateType(StrEnum):
    patients = "patients"
    orders = "orders"
    claims = "claims"
    identity = "identity"



class EventOut(BaseModel):
    position: int = Field(..., description="notification id in the family's event log")
    version: int
    recorded_at: datetime
    type: str = Field(..., examples=["CoverageAdded"])
    topic: str
    actor_id: str | None
    actor_role: str | None
    correlation_id: str | None
    causation_id: str | None
    payload: dict[str, Any]
    chain_seq: int | None = Field(None, description="entry in the hash chain")
    chain_hash: str | None = Field(None, description="chain hash after this event (hex)")


class HistoryOut(BaseModel):
    aggregate_type: AggregateType
    aggregate_id: UUID
    events: list[EventOut]


class StateOut(BaseModel):
    aggregate_type: AggregateType
    aggregate_id: UUID
    version: int = Field(..., description="the version the state is as of")
    state: dict[str, Any]


class FeedItemOut(BaseModel):
    aggregate_type: AggregateType
    aggregate_id: UUID
    position: int
    version: int
    type: str
    topic: str
    recorded_at: datetime
    actor_id: str | None
    actor_role: str | None
    correlation_id: str | None
    causation_id: str | None

    @classmethod
    def of(cls, item: FeedItem) -> FeedItemOut:
        return cls(aggregate_type=AggregateType(item.upstream), **{
            k: getattr(item, k) for k in (
                "aggregate_id", "position", "version", "type", "topic", "recorded_at",
                "actor_id", "actor_role", "correlation_id", "causation_id",
            )
        })


class FeedOut(BaseModel):
    items: list[FeedItemOut]
    next_after: str = Field(
        ..., description="pass back as `after` for the events that follow (never skips one)"
    )


class BreakOut(BaseModel):
    chain: str
    seq: int | None
    position: int | None
    reason: str = Field(..., examples=["stored event changed"])

    @classmethod
    def first_of(cls, report: ChainReport) -> BreakOut | None:
        b = report.first_break
        return None if b is None else cls(
            chain=b.chain, seq=b.seq, position=b.position, reason=b.reason
        )


    @classmethod
    def scoped(cls, report: ChainReport) -> BreakOut | None:
        """A break without its place (the entry may be another tenant's)."""
        b = report.first_break
        return None if b is None else cls(chain=b.chain, seq=None, position=None, reason=b.reason)


class ChainOut(BaseModel):
    """One chain. A tenant's auditor sees the tenant's own entries (`entries`, and `head_*` of
    the last of them, empty when none); the store's operators (tenant `system`) the whole
    chain."""

    chain: str = Field(..., examples=["patients_events"])
    ok: bool
    entries: int = Field(..., description="entries verified (a tenant's: its own)")
    head_seq: int
    head_position: int | None
    head_hash: str
    first_break: BreakOut | None

    @classmethod
    def of(cls, r: ChainReport) -> ChainOut:
        return cls(
            chain=r.chain, ok=r.ok, entries=r.entries, head_seq=r.head_seq,
            head_position=r.head_position, head_hash=r.head_hash.hex(),
            first_break=BreakOut.first_of(r),
        )


    @classmethod
    def of_tenant(cls, r: ChainReport, mine: TenantHead) -> ChainOut:
        """The chain as one tenant's auditor sees it: whether it holds (it is one chain for
        every tenant), the tenant's own entry count and last entry; no other tenant's head,
        and where a break is only which chain and why."""
        head = mine.head
        return cls(
            chain=r.chain, ok=r.ok, entries=mine.entries,
            head_seq=head.seq if head else 0,
            head_position=head.position if head else None,
            head_hash=head.hash.hex() if head else "",
            first_break=BreakOut.scoped(r),
        )


class CheckpointOut(BaseModel):
    chain: str
    seq: int
    position: int
    head_hash: str
    created_at: datetime
    key_id: str
    in_chain: bool = Field(..., description="the chain still passes through this head")
    signature_valid: bool | None = Field(
        None, description="null when this server has no ARIES_AUDIT_HMAC_KEY to check it"
    )

    @classmethod
    def of(cls, c: CheckpointCheck) -> CheckpointOut:
        return cls(
            chain=c.checkpoint.chain, seq=c.checkpoint.seq, position=c.checkpoint.position,
            head_hash=c.checkpoint.head_hash.hex(), created_at=c.checkpoint.created_at,
            key_id=c.checkpoint.key_id, in_chain=c.in_chain, signature_valid=c.signature_valid,
        )


class VerifyOut(BaseModel):
    ok: bool = Field(..., description="every chain, seal and checkpoint holds")
    first_break: BreakOut | None = Field(None, description="the first broken link, if any")
    chains: list[ChainOut]
    checkpoints: list[CheckpointOut] = Field(
        ..., description="the store's checkpoints (operators only: they are every tenant's)"
    )


class AccessEntryOut(BaseModel):
    seq: int
    id: UUID
    recorded_at: datetime
    actor_id: str | None
    actor_role: str | None
    action: str = Field(..., examples=["read"])
    operation: str = Field(..., examples=["read_patient"])
    patient_ids: list[UUID]
    fields_class: str = Field(..., examples=["demographics"])
    outcome: str = Field(..., examples=["allowed"])
    request_id: str | None
    recipient: str | None
    purpose: str | None
    hash: str

    @classmethod
    def of(cls, entry: AccessEntry) -> AccessEntryOut:
        return cls(
            seq=entry.seq, id=entry.id, recorded_at=entry.recorded_at, actor_id=entry.actor_id,
            actor_role=entry.actor_role, action=entry.action, operation=entry.operation,
            patient_ids=entry.patient_ids, fields_class=entry.fields_class,
            outcome=entry.outcome, request_id=entry.request_id, recipient=entry.recipient,
            purpose=entry.purpose, hash=entry.hash.hex(),
        )


class AccessPage(BaseModel):
    items: list[AccessEntryOut]
    next_after: int | None = Field(None, description="pass back as `after`; null: last page")

    @classmethod
    def of(cls, found: list[AccessEntry], limit: int) -> AccessPage:
        """A page of `limit` entries asked for: full, another may follow."""
        return cls(
            items=[AccessEntryOut.of(e) for e in found],
            next_after=found[-1].seq if len(found) == limit else None,
        )
