"""The PHI access log as HTTP routes use it: one entry per request that reads patient data, one
per denied attempt.

How a route records a PHI read (sync endpoint, as the patient routes are):

    @router.get("/{patient_id}", operation_id="read_patient")
    def get_patient(
        patient_id: UUID,
        principal: Allowed("read_patient", phi="demographics"),
        aries: AriesDep,
        request: Request,
    ) -> PatientOut:
        patient = aries.patients.get_patient(patient_id)  # NotFound: 404, nothing recorded
        record_access(aries, principal, request, action=READ, patient_ids=[patient_id],
                      fields_class="demographics")
        return PatientOut.of(patient)

Rules:
- Record after the read succeeded and before answering, once per request with every patient
  id the answer names. A list or search records action=SEARCH with the ids on the page it
  answers (an empty page still leaves one entry, without ids).
- If the entry cannot be written, `record_access` raises a 503 problem: no PHI leaves unlogged.
  Entries go through the process's `aries.access_log`, which commits concurrent requests'
  entries in one transaction; each call still returns only once its own entry is committed.
- `fields_class` names the kind of data, never the data: `demographics`, `coverage`,
  `clinical_notes`, `summary`, `history`, `full_record`, `orders` and `claims` (both hold
  diagnoses).
- Denied attempts are recorded by `Allowed(operation, phi=fields_class)` itself (the patient id
  comes from the path parameter `patient_id`); a route only has to pass `phi=`.
- Async endpoints: `await record_access_async(request, principal, ...)` (the app's
  `AsyncAccessLog`: the same grouping on the event loop, no threadpool hop), or
  `await run_in_threadpool(record_access, ...)`.
"""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

import psycopg
import structlog
from fastapi import Request
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from application.audit.access_log import (
    DENIED,
    DISCLOSE,
    EXPORT,
    READ,
    SEARCH,
    AccessEntry,
    AccessRecord,
    AsyncAccessLog,
)
from application.identity import Principal
from domain.context import current_context
from interfaces.bootstrap import Aries
from interfaces.http.problems import ProblemError
from projections.batches import describe

__all__ = [
    "DISCLOSE", "EXPORT", "READ", "SEARCH", "record_access", "record_denied",
]

log = structlog.get_logger("aries.http.access")


def _request_id(request: Request | None) -> str | None:
    given = getattr(request.state, "request_id", None) if request is not None else None
    return given or current_context().correlation_id


def record_access(
    aries: Aries,
    principal: Principal,
    request: Request | None,
    *,
    action: str,
    patient_ids: Iterable[UUID],
    fields_class: str,
    operation: str | None = None,
    recipient: str | None = None,
    purpose: str | None = None,
) -> AccessEntry:
    """Record that `principal` read (searched, exported, disclosed) these patients' data.
    `operation` defaults to the route's operation id. 503 if the entry cannot be written."""
    route = request.scope.get("route") if request is not None else None
    try:
        return aries.access_log.record(
            AccessRecord(
                tenant_id=principal.tenant_id,
                actor_id=str(principal.id),
                actor_role=principal.role.value,
                action=action,
                operation=operation or getattr(route, "operation_id", None) or "unknown",
                patient_ids=tuple(patient_ids),
                fields_class=fields_class,
                request_id=_request_id(request),
                recipient=recipient,
                purpose=purpose,
            ),
        )
    except SQLAlchemyError:
        log.exception("access entry not recorded", operation=operation, action=action)
        raise _not_recorded() from None


async def record_access_async(
    request: Request,
    principal: Principal,
    *,
    action: str,
    patient_ids: Iterable[UUID],
    fields_class: str,
) -> AccessEntry:
    """`record_access` for a read served on the event loop: the entry goes through the app's
    `AsyncAccessLog` (no threadpool hop) and is committed before this returns."""
    access_log: AsyncAccessLog = request.app.state.async_access_log
    try:
        return await access_log.record(
            AccessRecord(
                tenant_id=principal.tenant_id,
                actor_id=str(principal.id),
                actor_role=principal.role.value,
                action=action,
                operation=getattr(request.scope.get("route"), "operation_id", None) or "unknown",
                patient_ids=tuple(patient_ids),
                fields_class=fields_class,
                request_id=_request_id(request),
            ),
        )
    except psycopg.Error as error:  # its message could quote the entry: `describe` does not
        log.error("access entry not recorded", action=action, error=describe(error))
        raise _not_recorded() from None


def _not_recorded() -> ProblemError:
    return ProblemError(
        503, "Service unavailable",
        "the access could not be recorded in the audit log; nothing was shown",
        type_="https://aries.dev/problems/audit-unavailable",
        headers={"Retry-After": "5"},
    )


def patient_ids_in_path(request: Request) -> list[UUID]:
    """The patient a path names: `{patient_id}`, or `{aggregate_id}` under an audit route for
    the patients family. Unparsable ids are left out (the route would answer 422)."""
    params = request.path_params
    raw = params.get("patient_id")
    if raw is None and params.get("aggregate_type") == "patients":
        raw = params.get("aggregate_id")
    try:
        return [UUID(str(raw))] if raw is not None else []
    except ValueError:
        return []


async def record_denied(
    request: Request, principal: Principal, operation: str, fields_class: str
) -> None:
    """Record a refused attempt at PHI (called by `permissions.require`). A failure to record
    is logged, and the caller is refused all the same."""
    aries: Aries = request.app.state.aries
    entry = AccessRecord(
        tenant_id=principal.tenant_id,
        actor_id=str(principal.id),
        actor_role=principal.role.value,
        action=READ,
        operation=operation,
        patient_ids=tuple(patient_ids_in_path(request)),
        fields_class=fields_class,
        outcome=DENIED,
        request_id=_request_id(request),
    )
    try:
        await run_in_threadpool(aries.access_log.record, entry)
    except SQLAlchemyError:
        log.exception("denied access not recorded", operation=operation)
