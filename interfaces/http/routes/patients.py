"""Patients, their coverage and clinical notes: the handlers.

Commands go to the Patients application and answer `{id, version, position}` with an ETag;
queries read only the `patients` projection's tables (projections/queries/patients.py), scoped
to the caller's tenant (another tenant's patient is a 404), and wait for `min_position`. The
bodies, and what they check before the domain sees them, are in interfaces/http/schemas/.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal
from uuid import UUID, uuid4

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from application.patients import account_number_for
from domain.errors import NotFound, RuleViolated
from interfaces.http.access import READ, SEARCH, record_access, record_access_async
from interfaces.http.commands import CommandAccepted, ExpectedVersion, command_response, etag
from interfaces.http.csv_pages import CSV_RESPONSES, csv_page, wants_csv
from interfaces.http.deps import AriesDep
from interfaces.http.direct_commands import DirectCommandRoute
from interfaces.http.permissions import Allowed
from interfaces.http.problems import ProblemResponses
from interfaces.http.reads import (
    AsyncReadModel,
    Cursor,
    MinPosition,
    Page,
    PageSize,
    decode_cursor,
    in_one_hop,
    json_answer,
    next_cursor,
    query,
    read_model_headers,
    read_model_headers_async,
)
from interfaces.http.schemas.patient_json import detail_json, page_json
from interfaces.http.schemas.patients import (
    CoverageAdded,
    CoverageTermination,
    Deactivation,
    DemographicsCorrection,
    NewAmendment,
    NewCoverage,
    NewNote,
    NewPatient,
    NoteAdded,
    NoteAmended,
    NoteView,
    PatientCreated,
    PatientDetail,
    PatientListItem,
)
from interfaces.http.schemas.values import IsoDate
from interfaces.http.security import AUTH_RESPONSES
from projections.queries import patients as queries

router = APIRouter(
    prefix="/v1/patients", tags=["patients"], responses=AUTH_RESPONSES,
    route_class=DirectCommandRoute,
)

PROJECTION = UPSTREAM = "patients"
SORT_PARSERS = {
    "name": (str, str, UUID),
    "registered_at": (dt.datetime.fromisoformat, UUID),
}

_errors = ProblemResponses({
    400: "malformed If-Match or cursor",
    404: "no such patient (or not in your tenant)",
    409: "a business rule refused the command (`rule` names it)",
    412: "If-Match names a version that is no longer current",
    422: "the request is not valid (`errors` gives each field's path)",
})


# --- Commands -----------------------------------------------------------------------------


@router.post(
    "",
    status_code=201,
    operation_id="register_patient",
    summary="Register a patient",
    response_model=PatientCreated,
    responses=_errors(409, 422),
)
def register_patient(
    body: NewPatient,
    principal: Allowed("register_patient"),
    aries: AriesDep,
) -> JSONResponse:
    """Register a patient; answers the new id, its account number and the position to read
    it at (`min_position`)."""
    result = aries.patients.register_patient(body.to_domain(), mbi=body.mbi)
    return command_response(
        result, 201, location=f"/v1/patients/{result.id}",
        extra={"account_number": account_number_for(result.id)},
    )


@router.patch(
    "/{patient_id}",
    operation_id="correct_patient_demographics",
    summary="Correct a patient's demographics",
    response_model=CommandAccepted,
    responses=_errors(400, 404, 409, 412, 422),
)
def correct_patient_demographics(
    patient_id: UUID,
    body: DemographicsCorrection,
    principal: Allowed("correct_patient_demographics"),
    aries: AriesDep,
    expected: ExpectedVersion,
) -> JSONResponse:
    """Correct demographics (name, date of birth, sex, address, phone, MBI); send If-Match."""
    result = aries.patients.correct_demographics(
        patient_id, body.to_domain(), mbi=body.mbi, expected_version=expected
    )
    return command_response(result)


@router.post(
    "/{patient_id}/deactivate",
    operation_id="deactivate_patient",
    summary="Deactivate a patient",
    response_model=CommandAccepted,
    responses=_errors(400, 404, 409, 412, 422),
)
def deactivate_patient(
    patient_id: UUID,
    body: Deactivation,
    principal: Allowed("deactivate_patient"),
    aries: AriesDep,
    expected: ExpectedVersion,
) -> JSONResponse:
    """Deactivate a patient (deceased, moved away, duplicate record); final."""
    return command_response(
        aries.patients.deactivate(patient_id, body.reason, expected_version=expected)
    )


def _missing_child_is_404(error: RuleViolated, rules: dict[str, str], child: UUID) -> None:
    """A coverage or note that does not exist is a 404 like a missing patient, not a 409."""
    kind = rules.get(error.rule)
    if kind is not None:
        raise NotFound(kind, child) from None


@router.post(
    "/{patient_id}/coverages",
    status_code=201,
    operation_id="add_coverage",
    summary="Add a coverage",
    response_model=CoverageAdded,
    responses=_errors(400, 404, 409, 412, 422),
)
def add_coverage(
    patient_id: UUID,
    body: NewCoverage,
    principal: Allowed("add_coverage"),
    aries: AriesDep,
    expected: ExpectedVersion,
) -> JSONResponse:
    """Add a coverage (policy); one coverage per rank may be in force at a time."""
    coverage_id = uuid4()
    result = aries.patients.add_coverage(
        patient_id,
        coverage_id=coverage_id,
        expected_version=expected,
        **body.to_command(),
    )
    return command_response(result, 201, extra={"coverage_id": str(coverage_id)})


@router.post(
    "/{patient_id}/coverages/{coverage_id}/terminate",
    operation_id="terminate_coverage",
    summary="Terminate a coverage",
    response_model=CommandAccepted,
    responses=_errors(400, 404, 409, 412, 422),
)
def terminate_coverage(
    patient_id: UUID,
    coverage_id: UUID,
    body: CoverageTermination,
    principal: Allowed("terminate_coverage"),
    aries: AriesDep,
    expected: ExpectedVersion,
) -> JSONResponse:
    """End a coverage; `terminated_on` is its last covered day."""
    try:
        result = aries.patients.terminate_coverage(
            patient_id, coverage_id, body.terminated_on, expected_version=expected
        )
    except RuleViolated as error:
        _missing_child_is_404(error, {"coverage_exists": "coverage"}, coverage_id)
        raise
    return command_response(result)


@router.post(
    "/{patient_id}/notes",
    status_code=201,
    operation_id="add_note",
    summary="Write a clinical note",
    response_model=NoteAdded,
    responses=_errors(400, 404, 409, 412, 422),
)
def add_note(
    patient_id: UUID,
    body: NewNote,
    principal: Allowed("add_note"),
    aries: AriesDep,
    expected: ExpectedVersion,
) -> JSONResponse:
    """Write a SOAP note about the patient (the caller is its author)."""
    note_id = uuid4()
    result = aries.patients.add_note(
        patient_id,
        author_id=str(principal.id),
        subjective=body.subjective,
        objective=body.objective,
        assessment=body.assessment,
        plan=body.plan,
        note_id=note_id,
        written_at=body.written_at,
        expected_version=expected,
    )
    return command_response(result, 201, extra={"note_id": str(note_id)})


@router.post(
    "/{patient_id}/notes/{note_id}/amendments",
    status_code=201,
    operation_id="amend_note",
    summary="Amend a clinical note",
    response_model=NoteAmended,
    responses=_errors(400, 404, 409, 412, 422),
)
def amend_note(
    patient_id: UUID,
    note_id: UUID,
    body: NewAmendment,
    principal: Allowed("amend_note"),
    aries: AriesDep,
    expected: ExpectedVersion,
) -> JSONResponse:
    """Amend a note: the amendment is appended, the original text is kept."""
    amendment_id = uuid4()
    try:
        result = aries.patients.amend_note(
            patient_id, note_id, author_id=str(principal.id), text=body.text,
            reason=body.reason, amendment_id=amendment_id, expected_version=expected,
        )
    except RuleViolated as error:
        _missing_child_is_404(error, {"note_exists": "note"}, note_id)
        raise
    return command_response(result, 201, extra={"amendment_id": str(amendment_id)})


# --- Queries ------------------------------------------------------------------------------
# Async. The record and the list run on the event loop (decision 025): the statement on the
# read model's asyncio pool, the PHI access entry awaited before the answer leaves, the JSON
# written from the rows; a min_position wait or a search goes to the threadpool. The notes keep
# their blocking part in one threadpool hop (interfaces/http/reads.py).


@router.get(
    "",
    operation_id="list_patients",
    summary="Search and list patients",
    response_model=Page[PatientListItem],
    responses={**CSV_RESPONSES, **_errors(400, 422)},
)
async def list_patients(
    principal: Allowed("list_patients", phi="demographics"),
    aries: AriesDep,
    request: Request,
    min_position: MinPosition,
    q: Annotated[str | None, Query(
        min_length=3, max_length=100, pattern=r"(?:\W*\w){3}", description=(
            "fuzzy search over name, account number and MBI: a part of one, or a name with a "
            "typo; at least 3 letters or digits (minimum necessary: a shorter search would "
            "show a page of patients that it does not identify)"
        ), examples=["lovelase"],
    )] = None,
    active: Annotated[bool | None, Query(description="only active (or inactive) patients")] = None,
    payer_id: Annotated[str | None, Query(max_length=20, description=(
        "only patients with a coverage by this payer (no recorded termination)"))] = None,
    date_of_birth: Annotated[IsoDate | None, Query(description="exact date of birth")] = None,
    sort: Annotated[Literal["name", "registered_at"], Query(description=(
        "name: last, first; registered_at: registration time"))] = "name",
    order: Annotated[Literal["asc", "desc"], Query()] = "asc",
    limit: PageSize = 50,
    cursor: Cursor = None,
) -> Response:
    """Search and list the patients of your tenant, a page at a time."""
    tag = f"{sort}:{order}"
    after = decode_cursor(cursor, SORT_PARSERS[sort], tag=tag)
    headers = await read_model_headers_async(aries, PROJECTION, UPSTREAM, min_position)
    filters = {
        "active": active, "payer_id": payer_id, "date_of_birth": date_of_birth, "sort": sort,
        "descending": order == "desc", "after": after, "limit": limit,
    }
    if q is None:
        read_model: AsyncReadModel = request.app.state.read_model
        found = await read_model.run(
            lambda conn: queries.patient_page_on(conn, principal.tenant_id, **filters)
        )
    else:  # a search's statement is built per request: SQLAlchemy caches its compiled form
        found = await run_in_threadpool(query, aries, lambda conn: queries.patient_page(
            conn, principal.tenant_id, q=q, **filters
        ))
    await record_access_async(request, principal, action=SEARCH,
                              patient_ids=[row[0] for row in found.rows],
                              fields_class="demographics")
    cursor_out = next_cursor(found.next_key, tag=tag)
    if wants_csv(request):
        items = [PatientListItem.of_row(queries.ListRow(*row)) for row in found.rows]
        answer = csv_page(items, PatientListItem, cursor_out, "patients.csv")
        answer.headers.update(headers)
        return answer
    return Response(page_json(found.rows, cursor_out), media_type="application/json",
                    headers=headers)


@router.get(
    "/{patient_id}",
    operation_id="read_patient",
    summary="Read a patient",
    response_model=PatientDetail,
    responses=_errors(404, 422),
)
async def read_patient(
    patient_id: UUID,
    principal: Allowed("read_patient", phi="demographics"),
    aries: AriesDep,
    request: Request,
    min_position: MinPosition,
) -> Response:
    """One patient with address, coverages and age; the ETag is its version."""
    headers = await read_model_headers_async(aries, PROJECTION, UPSTREAM, min_position)
    read_model: AsyncReadModel = request.app.state.read_model
    row = await read_model.run(
        lambda conn: queries.patient_record_on(conn, patient_id, principal.tenant_id)
    )
    if row is None:
        raise NotFound("patient", patient_id)
    body = detail_json(row)
    await record_access_async(request, principal, action=READ, patient_ids=[patient_id],
                              fields_class="demographics")
    version = row[queries.DETAIL_COLUMNS.index("version")]
    return Response(body, media_type="application/json", headers={**headers, "ETag": etag(version)})


@router.get(
    "/{patient_id}/notes",
    operation_id="list_notes",
    summary="List a patient's clinical notes",
    response_model=Page[NoteView],
    responses=_errors(400, 404, 422),
)
async def list_notes(
    patient_id: UUID,
    principal: Allowed("list_notes", phi="clinical_notes"),
    aries: AriesDep,
    request: Request,
    min_position: MinPosition,
    limit: PageSize = 50,
    cursor: Cursor = None,
) -> Response:
    """The patient's SOAP notes with their amendments, newest first."""
    after = decode_cursor(cursor, (dt.datetime.fromisoformat, UUID), tag="notes")

    def read() -> Response:
        headers = read_model_headers(aries, PROJECTION, UPSTREAM, min_position)
        found = query(aries, lambda conn: queries.note_page(
            conn, patient_id, principal.tenant_id, after=after, limit=limit
        ))
        if found is None:
            raise NotFound("patient", patient_id)
        record_access(aries, principal, request, action=READ, patient_ids=[patient_id],
                      fields_class="clinical_notes")
        page = Page[NoteView](
            items=[NoteView.of_row(row) for row in found.rows],
            next_cursor=next_cursor(found.next_key, tag="notes"),
        )
        return json_answer(page, headers)

    return await in_one_hop(read)
