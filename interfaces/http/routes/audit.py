"""Auditors: history, time travel, tamper evidence, PHI access log: the handlers.

Only admins and auditors reach these endpoints, and none of them changes anything. Each is
scoped to the caller's tenant; `verify` checks the whole store's chains (one for every tenant)
but shows a tenant's auditor only the tenant's own entries and heads. Reading an aggregate's
history or past state shows PHI, so it leaves an entry in the access log (and a refused attempt
does too). Bodies are in interfaces/http/schemas/audit.py.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request
from pydantic import AwareDatetime

from application.audit import access_log
from application.audit.chain import tenant_heads, verify_all
from application.audit.checkpoints import check_checkpoints
from application.audit.history import aggregate_history, state_at
from domain.context import SYSTEM_TENANT
from interfaces.bootstrap import Aries
from interfaces.http.access import READ, record_access
from interfaces.http.bounds import BIGINT_MAX, position
from interfaces.http.deps import AriesDep
from interfaces.http.permissions import Allowed
from interfaces.http.problems import ProblemError
from interfaces.http.reads import decode_cursor, encode_cursor, one_hop
from interfaces.http.schemas.audit import (
    AccessPage,
    AggregateType,
    ChainOut,
    CheckpointOut,
    EventOut,
    FeedItemOut,
    FeedOut,
    HistoryOut,
    StateOut,
    VerifyOut,
)
from interfaces.http.security import AUTH_RESPONSES
from projections.event_index_queries import feed

router = APIRouter(prefix="/v1/audit", tags=["audit"], responses=AUTH_RESPONSES)

HISTORY = "history"
FEED_UPSTREAMS = tuple(t.value for t in AggregateType)


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


After = Annotated[
    int, Query(ge=0, le=BIGINT_MAX, description="`next_after` of the previous page")
]
Limit = Annotated[int, Query(ge=1, le=500, description="items per page")]
From = Annotated[AwareDatetime | None, Query(alias="from", description="recorded at or after")]
To = Annotated[AwareDatetime | None, Query(alias="to", description="recorded before")]


# --- Routes -------------------------------------------------------------------------------------


@router.get("/events", operation_id="read_audit_feed", response_model=FeedOut)
@one_hop
def get_feed(
    principal: Allowed("read_audit_feed"),
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
    values = decode_cursor(after, [position] * len(FEED_UPSTREAMS))
    positions = dict(zip(FEED_UPSTREAMS, values or [0] * len(FEED_UPSTREAMS), strict=True))
    page = feed(
        aries.read_engine, FEED_UPSTREAMS, positions, limit,
        type_=type_, actor_id=actor, start=start, end=end,
    )
    return FeedOut(
        items=[FeedItemOut.of(item) for item in page.items],
        next_after=encode_cursor([page.after[u] for u in FEED_UPSTREAMS]),
    )


@router.get("/verify", operation_id="verify_audit_chain", response_model=VerifyOut)
@one_hop
def get_verify(
    principal: Allowed("verify_audit_chain"),
    aries: AriesDep,
) -> VerifyOut:
    """Recompute every hash chain (events and access log) with the application's seals and
    check the latest signed checkpoints; answers the first broken link, if any. The chains are
    the store's, one for every tenant: a tenant's auditor sees whether they hold and the
    tenant's own entries, not other tenants' heads or checkpoints."""
    reports = verify_all(aries.read_engine, seal_key=aries.seal_key)
    secret = aries.settings.audit_hmac_key
    key = secret.get_secret_value().encode() if secret is not None else None
    checks = check_checkpoints(aries.read_engine, key)
    ok = all(r.ok for r in reports) and all(c.ok for c in checks)
    if principal.tenant_id == SYSTEM_TENANT:
        chains = [ChainOut.of(report) for report in reports]
        shown = [CheckpointOut.of(check) for check in checks]
    else:
        mine = {h.chain: h for h in tenant_heads(
            aries.read_engine, aries.recorded_times, principal.tenant_id
        )}
        chains = [ChainOut.of_tenant(report, mine[report.chain]) for report in reports]
        shown = []
    first = next((c.first_break for c in chains if c.first_break is not None), None)
    return VerifyOut(ok=ok, first_break=first, chains=chains, checkpoints=shown)


@router.get("/access", operation_id="read_access_log", response_model=AccessPage)
@one_hop
def get_access_log(
    principal: Allowed("read_access_log"),
    aries: AriesDep,
    patient_id: UUID | None = None,
    user: Annotated[str | None, Query(max_length=100, description="actor (user) id")] = None,
    start: From = None,
    end: To = None,
    after: After = 0,
    limit: Limit = 100,
) -> AccessPage:
    """Who read which patients' data, and who was refused, in log order."""
    found = access_log.entries(
        aries.read_engine, tenant_id=principal.tenant_id, patient_id=patient_id,
        actor_id=user, start=start, end=end, after_seq=after, limit=limit,
    )
    return AccessPage.of(found, limit)


@router.get(
    "/disclosures/{patient_id}", operation_id="read_disclosures", response_model=AccessPage
)
@one_hop
def get_disclosures(
    patient_id: UUID,
    principal: Allowed("read_disclosures"),
    aries: AriesDep,
    after: After = 0,
    limit: Limit = 100,
) -> AccessPage:
    """Accounting of disclosures: every export or disclosure of this patient's data."""
    found = access_log.entries(
        aries.read_engine, tenant_id=principal.tenant_id, patient_id=patient_id,
        actions=access_log.DISCLOSURE_ACTIONS, outcome=access_log.ALLOWED,
        after_seq=after, limit=limit,
    )
    return AccessPage.of(found, limit)


@router.get(
    "/{aggregate_type}/{aggregate_id}/events",
    operation_id="read_audit_history",
    response_model=HistoryOut,
)
@one_hop
def get_history(
    aggregate_type: AggregateType,
    aggregate_id: UUID,
    principal: Allowed("read_audit_history", phi=HISTORY),
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
        events=[EventOut.model_validate(e, from_attributes=True) for e in entries],
    )


@router.get(
    "/{aggregate_type}/{aggregate_id}/state",
    operation_id="read_audit_state",
    response_model=StateOut,
)
@one_hop
def get_state(
    aggregate_type: AggregateType,
    aggregate_id: UUID,
    principal: Allowed("read_audit_state", phi=HISTORY),
    aries: AriesDep,
    request: Request,
    version: Annotated[
        int | None, Query(ge=1, le=BIGINT_MAX, description="the version to show")
    ] = None,
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
