"""Auditors: history, time travel, tamper evidence, PHI access log.

Only admins and auditors reach these endpoints, and none of them changes anything. Each is
scoped to the caller's tenant, except `verify`, which checks the whole store's chains (it
answers counts and hashes, no data). Reading an aggregate's history or past state shows PHI,
so it leaves an entry in the access log (and a refused attempt does too).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from pydantic import AwareDatetime, BaseModel, Field

from application.audit import access_log
from application.audit.chain import ChainReport, verify_all
from application.audit.checkpoints import check_checkpoints
from application.audit.history import aggregate_history, state_at
from application.identity import Principal
from interfaces.bootstrap import Aries
from interfaces.http.access import READ, record_access
from interfaces.http.deps import AriesDep
from interfaces.http.permissions import require
from interfaces.http.problems import ProblemError
from interfaces.http.reads import decode_cursor, encode_cursor
from interfaces.http.security import AUTH_RESPONSES
from projections.event_index_queries import feed

router = APIRouter(prefix="/v1/audit", tags=["audit"], responses=AUTH_RESPONSES)

HISTORY = "history"


class AggregateType(StrEnum):
    patients = "patients"
    orders = "orders"
    claims = "claims"
    identity = "identity"


FEED_UPSTREAMS = tuple(t.value for t in AggregateType)


# --- Schemas ------------------------------------------------------------------------------------


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


class ChainOut(BaseModel):
    chain: str = Field(..., examples=["patients_events"])
    ok: bool
    entries: int = Field(..., description="entries verified")
    head_seq: int
    head_position: int | None
    head_hash: str
    first_break: BreakOut | None


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


class VerifyOut(BaseModel):
    ok: bool
    first_break: BreakOut | None = Field(None, description="the first broken link, if any")
    chains: list[ChainOut]
    checkpoints: list[CheckpointOut]


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


class AccessPage(BaseModel):
    items: list[AccessEntryOut]
    next_after: int | None = Field(None, description="pass back as `after`; null: last page")


# --- Helpers ------------------------------------------------------------------------------------


def _app(aries: Aries, aggregate_type: AggregateType) -> Any:
    return aries.applications[aggregate_type.value]


def _patients_named(aggregate_type: AggregateType, aggregate_id: UUID, payloads: list[dict]):
    if aggregate_type is AggregateType.patients:
        return [aggregate_id]
    found = {p.get("patient_id") for p in payloads if isinstance(p.get("patient_id"), str)}
    ids = []
    for raw in sorted(found):
        try:
            ids.append(UUID(raw))
        except ValueError:
            continue
    return ids


def _break(report: ChainReport) -> BreakOut | None:
    b = report.first_break
    return None if b is None else BreakOut(
        chain=b.chain, seq=b.seq, position=b.position, reason=b.reason
    )


def _access_out(entry: access_log.AccessEntry) -> AccessEntryOut:
    return AccessEntryOut(
        seq=entry.seq, id=entry.id, recorded_at=entry.recorded_at, actor_id=entry.actor_id,
        actor_role=entry.actor_role, action=entry.action, operation=entry.operation,
        patient_ids=entry.patient_ids, fields_class=entry.fields_class, outcome=entry.outcome,
        request_id=entry.request_id, recipient=entry.recipient, purpose=entry.purpose,
        hash=entry.hash.hex(),
    )


Limit = Annotated[int, Query(ge=1, le=500, description="items per page")]
From = Annotated[AwareDatetime | None, Query(alias="from", description="recorded at or after")]
To = Annotated[AwareDatetime | None, Query(alias="to", description="recorded before")]


# --- Routes -------------------------------------------------------------------------------------


@router.get("/events", operation_id="read_audit_feed", response_model=FeedOut)
def get_feed(
    principal: Annotated[Principal, Depends(require("read_audit_feed"))],
    aries: AriesDep,
    after: Annotated[
        str | None, Query(max_length=512, description="`next_after` of the previous page")
    ] = None,
    limit: Limit = 100,
    type_: Annotated[str | None, Query(alias="type", max_length=100)] = None,
    actor: Annotated[str | None, Query(max_length=100, description="actor (user) id")] = None,
    start: From = None,
    end: To = None,
) -> FeedOut:
    """Every family's events after a cursor, oldest first: metadata only, no payload."""
    values = decode_cursor(after, len(FEED_UPSTREAMS))
    if values is not None and not all(isinstance(v, int) and v >= 0 for v in values):
        raise ProblemError(400, "Bad cursor", "the cursor is not one this API answered",
                           type_="https://aries.dev/problems/bad-cursor")
    positions = dict(zip(FEED_UPSTREAMS, values or [0] * len(FEED_UPSTREAMS), strict=True))
    page = feed(
        aries.read_engine, FEED_UPSTREAMS, positions, limit,
        type_=type_, actor_id=actor, start=start, end=end,
    )
    return FeedOut(
        items=[
            FeedItemOut(aggregate_type=AggregateType(i.upstream), **{
                k: getattr(i, k) for k in (
                    "aggregate_id", "position", "version", "type", "topic", "recorded_at",
                    "actor_id", "actor_role", "correlation_id", "causation_id",
                )
            })
            for i in page.items
        ],
        next_after=encode_cursor([page.after[u] for u in FEED_UPSTREAMS]),
    )


@router.get("/verify", operation_id="verify_audit_chain", response_model=VerifyOut)
def get_verify(
    principal: Annotated[Principal, Depends(require("verify_audit_chain"))],
    aries: AriesDep,
) -> VerifyOut:
    """Recompute every hash chain (events and access log) and check the latest signed
    checkpoints; answers the first broken link, if any."""
    reports = verify_all(aries.read_engine)
    secret = aries.settings.audit_hmac_key
    key = secret.get_secret_value().encode() if secret is not None else None
    checks = check_checkpoints(aries.read_engine, key)
    chains = [
        ChainOut(
            chain=r.chain, ok=r.ok, entries=r.entries, head_seq=r.head_seq,
            head_position=r.head_position, head_hash=r.head_hash.hex(), first_break=_break(r),
        )
        for r in reports
    ]
    first = next((c.first_break for c in chains if c.first_break is not None), None)
    return VerifyOut(
        ok=first is None and all(c.ok for c in checks),
        first_break=first,
        chains=chains,
        checkpoints=[
            CheckpointOut(
                chain=c.checkpoint.chain, seq=c.checkpoint.seq, position=c.checkpoint.position,
                head_hash=c.checkpoint.head_hash.hex(), created_at=c.checkpoint.created_at,
                key_id=c.checkpoint.key_id, in_chain=c.in_chain,
                signature_valid=c.signature_valid,
            )
            for c in checks
        ],
    )


@router.get("/access", operation_id="read_access_log", response_model=AccessPage)
def get_access_log(
    principal: Annotated[Principal, Depends(require("read_access_log"))],
    aries: AriesDep,
    patient_id: UUID | None = None,
    user: Annotated[str | None, Query(max_length=100, description="actor (user) id")] = None,
    start: From = None,
    end: To = None,
    after: Annotated[int, Query(ge=0, description="`next_after` of the previous page")] = 0,
    limit: Limit = 100,
) -> AccessPage:
    """Who read which patients' data, and who was refused, in log order."""
    found = access_log.entries(
        aries.read_engine, tenant_id=principal.tenant_id, patient_id=patient_id,
        actor_id=user, start=start, end=end, after_seq=after, limit=limit,
    )
    return AccessPage(
        items=[_access_out(e) for e in found],
        next_after=found[-1].seq if len(found) == limit else None,
    )


@router.get(
    "/disclosures/{patient_id}", operation_id="read_disclosures", response_model=AccessPage
)
def get_disclosures(
    patient_id: UUID,
    principal: Annotated[Principal, Depends(require("read_disclosures"))],
    aries: AriesDep,
    after: Annotated[int, Query(ge=0, description="`next_after` of the previous page")] = 0,
    limit: Limit = 100,
) -> AccessPage:
    """Accounting of disclosures: every export or disclosure of this patient's data."""
    found = access_log.entries(
        aries.read_engine, tenant_id=principal.tenant_id, patient_id=patient_id,
        actions=access_log.DISCLOSURE_ACTIONS, outcome=access_log.ALLOWED,
        after_seq=after, limit=limit,
    )
    return AccessPage(
        items=[_access_out(e) for e in found],
        next_after=found[-1].seq if len(found) == limit else None,
    )


@router.get(
    "/{aggregate_type}/{aggregate_id}/events",
    operation_id="read_audit_history",
    response_model=HistoryOut,
)
def get_history(
    aggregate_type: AggregateType,
    aggregate_id: UUID,
    principal: Annotated[Principal, Depends(require("read_audit_history", phi=HISTORY))],
    aries: AriesDep,
    request: Request,
) -> HistoryOut:
    """Every event of one aggregate, oldest first: version, position, recorded time, type,
    actor, correlation and causation ids, decoded payload and chain entry."""
    entries = aggregate_history(aries.read_engine, _app(aries, aggregate_type), aggregate_id)
    record_access(
        aries, principal, request, action=READ, fields_class=HISTORY,
        patient_ids=_patients_named(aggregate_type, aggregate_id, [e.payload for e in entries]),
    )
    return HistoryOut(
        aggregate_type=aggregate_type,
        aggregate_id=aggregate_id,
        events=[
            EventOut(
                position=e.position, version=e.version, recorded_at=e.recorded_at, type=e.type,
                topic=e.topic, actor_id=e.actor_id, actor_role=e.actor_role,
                correlation_id=e.correlation_id, causation_id=e.causation_id,
                payload=e.payload, chain_seq=e.chain_seq, chain_hash=e.chain_hash,
            )
            for e in entries
        ],
    )


@router.get(
    "/{aggregate_type}/{aggregate_id}/state",
    operation_id="read_audit_state",
    response_model=StateOut,
)
def get_state(
    aggregate_type: AggregateType,
    aggregate_id: UUID,
    principal: Annotated[Principal, Depends(require("read_audit_state", phi=HISTORY))],
    aries: AriesDep,
    request: Request,
    version: Annotated[int | None, Query(ge=1, description="the version to show")] = None,
    at: Annotated[
        AwareDatetime | None, Query(description="show it as it was at this recorded time")
    ] = None,
) -> StateOut:
    """The aggregate as it was at `version`, or at recorded time `at` (give one)."""
    if (version is None) == (at is None):
        raise ProblemError(
            400, "Bad request", "give exactly one of `version` and `at`",
            type_="https://aries.dev/problems/bad-request",
        )
    found = state_at(
        aries.read_engine, aries.recorded_times, _app(aries, aggregate_type), aggregate_id,
        version=version, at=at,
    )
    record_access(
        aries, principal, request, action=READ, fields_class=HISTORY,
        patient_ids=_patients_named(aggregate_type, aggregate_id, [found.state]),
    )
    return StateOut(
        aggregate_type=aggregate_type,
        aggregate_id=aggregate_id,
        version=found.version,
        state=found.state,
    )
