"""Batch actions on claims: submit many claims in one call, and run patient statements for
every balance the patients owe; both are jobs (202 + one job id, followed at /v1/jobs/{id}).
The statements a run produced are read at `/v1/claims/patient-statements/{job_id}`, with
each patient's name and address as they are now (access-logged as an export)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select

from domain.errors import NotFound
from interfaces.http.access import EXPORT, record_access
from interfaces.http.deps import AriesDep
from interfaces.http.job_queue import start_job
from interfaces.http.permissions import Allowed
from interfaces.http.problems import ProblemError, ProblemResponses
from interfaces.http.reads import one_hop
from interfaces.http.schemas.claim_batches import (
    BatchAccepted,
    BatchSubmissionRequest,
    PatientStatement,
    StatementClaim,
    StatementRun,
    StatementRunRequest,
)
from interfaces.http.schemas.claims import patient_name
from interfaces.http.security import AUTH_RESPONSES
from interfaces.workers.actors import PATIENT_STATEMENTS, SUBMIT_CLAIM_BATCH
from interfaces.workers.jobs import JobStore
from projections.patients_tables import patients
from projections.queries import claim_batches as queries
from projections.queries.billing_people import PATIENT_COLUMNS

router = APIRouter(prefix="/v1/claims", tags=["claims"], responses=AUTH_RESPONSES)

_errors = ProblemResponses({
    404: "no such statement run in your tenant",
    409: "the statement run has not finished (follow its job)",
    503: "the job could not be queued",
})


def _accepted(job_id: UUID, claims: int | None = None) -> JSONResponse:
    body = BatchAccepted(job_id=job_id, claims=claims).model_dump(mode="json")
    return JSONResponse(body, status_code=202, headers={"Location": f"/v1/jobs/{job_id}"})


@router.post(
    "/batch-submissions",
    status_code=202,
    operation_id="submit_claim_batch",
    response_model=BatchAccepted,
    responses=_errors(503),
)
def submit_claim_batch(
    body: BatchSubmissionRequest,
    principal: Allowed("submit_claim_batch"),
    aries: AriesDep,
    request: Request,
) -> JSONResponse:
    """Submit every scrubbed claim of a payer, or every claim the work queue holds to submit,
    in one call: one job scrubs and requests each claim's submission (a claim a rule refuses
    is named in the job's result, the others go on); the 837P batches follow."""
    with aries.read_engine.connect() as conn:
        if body.payer_id is not None:
            claim_ids = queries.scrubbed_claims_of_payer(conn, principal.tenant_id, body.payer_id)
        else:
            claim_ids = queries.claims_to_submit(conn, principal.tenant_id)
    job_id = start_job(request.app, aries, principal, SUBMIT_CLAIM_BATCH,
                       batch_claim_ids=claim_ids)
    return _accepted(job_id, len(claim_ids))


@router.post(
    "/patient-statements",
    status_code=202,
    operation_id="run_patient_statements",
    response_model=BatchAccepted,
    responses=_errors(503),
)
def run_patient_statements(
    principal: Allowed("run_patient_statements"),
    aries: AriesDep,
    request: Request,
    body: StatementRunRequest | None = None,
) -> JSONResponse:
    """Produce a statement for every patient who owes a balance (at least `min_balance`) on
    open claims; read them at `/v1/claims/patient-statements/{job_id}` once the job succeeded."""
    min_balance = (body or StatementRunRequest()).min_balance
    job_id = start_job(request.app, aries, principal, PATIENT_STATEMENTS,
                       min_balance=str(min_balance))
    return _accepted(job_id)


@router.get(
    "/patient-statements/{job_id}",
    operation_id="read_patient_statements",
    response_model=StatementRun,
    responses=_errors(404, 409),
)
@one_hop
def read_patient_statements(
    job_id: UUID,
    principal: Allowed("read_patient_statements", phi="demographics"),
    aries: AriesDep,
    request: Request,
) -> StatementRun:
    """The statements a run produced: what each patient owes, claim by claim, with the
    patient's name, account number and mailing address."""
    job = JobStore(aries.read_engine).get(job_id, principal.tenant_id)
    if job is None or job.kind != PATIENT_STATEMENTS.job_kind:
        raise NotFound("statement run", job_id)
    if job.status != "succeeded" or job.result is None:
        raise ProblemError(409, "Conflict", f"the statement run is {job.status}",
                           type_="https://aries.dev/problems/not-ready")
    owed = job.result["statements"]
    ids = [UUID(statement["patient_id"]) for statement in owed]
    people = _people(aries, principal.tenant_id, ids)
    record_access(aries, principal, request, action=EXPORT, patient_ids=ids,
                  fields_class="demographics", purpose="patient statements")
    return StatementRun(
        job_id=job_id,
        as_of=job.result["as_of"],
        statements=[_statement(statement, people.get(UUID(statement["patient_id"])))
                    for statement in owed],
    )


def _people(aries: AriesDep, tenant_id: str, ids: list[UUID]) -> dict[UUID, Any]:
    p = patients.c
    with aries.read_engine.connect() as conn:
        rows = conn.execute(
            select(p.patient_id, p.address_line1, p.address_line2, p.city, p.state,
                   p.postal_code, *PATIENT_COLUMNS)
            .where(p.patient_id.in_(ids), p.tenant_id == tenant_id)
        ).all()
    return {row.patient_id: row for row in rows}


def _statement(owed: dict[str, Any], person: Any) -> PatientStatement:
    address = []
    if person is not None:
        address = [line for line in (person.address_line1, person.address_line2) if line]
        address.append(f"{person.city} {person.state} {person.postal_code}")
    return PatientStatement(
        patient_id=owed["patient_id"],
        patient_name=patient_name(person) if person is not None else None,
        account_number=person.patient_account_number if person is not None else None,
        address=address,
        total_due=owed["total_due"],
        claims=[StatementClaim(**claim) for claim in owed["claims"]],
    )
