"""Patients, their coverage and clinical notes.

Commands go to the Patients application and answer `{id, version, position}` with an ETag;
queries read only the `patients` projection's tables (read.patients, read.coverages, read.notes),
scoped to the caller's tenant (another tenant's patient is a 404), and wait for `min_position`.

Request bodies are checked here, before the domain sees them, for everything whose domain error
message would quote the value (a date of birth, an MBI, a ZIP): those answer 422 with the field's
path and without the value. Rules that need the patient's state stay the domain's (409).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Annotated, Any, Literal
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, Field, field_validator, model_validator
from sqlalchemy import (
    ARRAY,
    Integer,
    Select,
    Text,
    and_,
    any_,
    case,
    exists,
    extract,
    false,
    func,
    literal,
    or_,
    select,
    tuple_,
)

from application.eventstore import StaleVersion
from application.identity import Principal
from application.patients import account_number_for
from domain.errors import NotFound, RuleViolated
from domain.mbi import is_valid_mbi
from domain.patient_rules import USPS_STATE_CODES
from domain.patient_values import Address, CoverageRank, Demographics, RelationshipToSubscriber, Sex
from interfaces.http.access import READ, SEARCH, record_access
from interfaces.http.commands import (
    CommandAccepted,
    ExpectedVersion,
    check_version,
    command_response,
    etag,
)
from interfaces.http.deps import AriesDep
from interfaces.http.permissions import require
from interfaces.http.problems import Problem, ProblemError
from interfaces.http.reads import (
    Cursor,
    MinPosition,
    Page,
    PageSize,
    decode_cursor,
    encode_cursor,
    wait_for_read_model,
)
from interfaces.http.security import AUTH_RESPONSES
from projections.patients import trigrams
from projections.tables import coverages, notes, patients

router = APIRouter(prefix="/v1/patients", tags=["patients"], responses=AUTH_RESPONSES)

PROJECTION = UPSTREAM = "patients"
FUZZY_SHARE = 0.5
"""A fuzzy match shares at least this share of the query's trigrams with the patient's words
(a one-letter typo in a 5-6 letter name keeps about half of them)."""

_PROBLEM = {"application/problem+json": {"schema": Problem.model_json_schema()}}
_ERRORS: dict[int, str] = {
    400: "malformed If-Match or cursor",
    404: "no such patient (or not in your tenant)",
    409: "a business rule refused the command (`rule` names it)",
    412: "If-Match names a version that is no longer current",
    422: "the request is not valid (`errors` gives each field's path)",
}


def _responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {"description": _ERRORS[code], "content": _PROBLEM} for code in codes}


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


# --- Request bodies -----------------------------------------------------------------------


Name = Annotated[str, Field(min_length=1, max_length=100, pattern=r"\S")]


class AddressIn(BaseModel):
    line1: str = Field(..., min_length=1, max_length=100, pattern=r"\S",
                       examples=["12 Elm Street"])
    line2: str | None = Field(None, max_length=100, examples=["Apt 4"])
    city: str = Field(..., min_length=1, max_length=60, pattern=r"\S", examples=["Springfield"])
    state: str = Field(..., description="USPS state code", examples=["IL"])
    postal_code: str = Field(..., pattern=r"^\s*\d{5}(-?\d{4})?\s*$",
                             description="ZIP or ZIP+4", examples=["62704"])

    @field_validator("state")
    @classmethod
    def _state(cls, value: str) -> str:
        if value.strip().upper() not in USPS_STATE_CODES:
            raise ValueError("not a USPS state code")
        return value

    def to_domain(self) -> Address:
        return Address(self.line1, self.line2, self.city, self.state, self.postal_code)


def _valid_mbi(value: str | None) -> str | None:
    if value is not None and not is_valid_mbi(value):
        # The value is not repeated: an MBI is PHI, even a mistyped one.
        raise ValueError("not a well-formed Medicare Beneficiary Identifier")
    return value


def _born(value: dt.date | None) -> dt.date | None:
    if value is not None and value > _today():
        raise ValueError("a date of birth cannot be in the future")
    return value


class NewPatient(BaseModel):
    """A patient to register; the server assigns the id and the account number."""

    first_name: Name = Field(..., examples=["Ada"])
    last_name: Name = Field(..., examples=["Lovelace"])
    date_of_birth: dt.date = Field(..., examples=["1948-12-10"])
    sex: Sex = Field(..., examples=["female"])
    address: AddressIn
    phone: str | None = Field(None, max_length=30, examples=["+1 217 555 0100"])
    mbi: str | None = Field(None, max_length=20, description="Medicare Beneficiary Identifier "
                            "(dashes allowed); omit for patients without Medicare",
                            examples=["1EG4-TE5-MK73"])

    _check_mbi = field_validator("mbi")(_valid_mbi)
    _check_born = field_validator("date_of_birth")(_born)

    def to_domain(self) -> Demographics:
        return Demographics(self.first_name, self.last_name, self.date_of_birth, self.sex,
                            self.address.to_domain(), self.phone)


class DemographicsCorrection(BaseModel):
    """The fields to correct; omitted fields keep their value. `address` replaces the whole
    address; `phone: null` removes the phone; an MBI can be replaced but not removed."""

    first_name: Name | None = Field(None, examples=["Ada"])
    last_name: Name | None = Field(None, examples=["King"])
    date_of_birth: dt.date | None = None
    sex: Sex | None = None
    address: AddressIn | None = None
    phone: str | None = Field(None, max_length=30)
    mbi: str | None = Field(None, max_length=20, examples=["1EG4TE5MK73"])

    _check_mbi = field_validator("mbi")(_valid_mbi)
    _check_born = field_validator("date_of_birth")(_born)

    @model_validator(mode="after")
    def _something_to_correct(self) -> DemographicsCorrection:
        if not self.model_fields_set:
            raise ValueError("name at least one field to correct")
        nulls = [f for f in self.model_fields_set if f != "phone" and getattr(self, f) is None]
        if nulls:
            raise ValueError(f"{', '.join(sorted(nulls))} cannot be null")
        return self

    def merged_with(self, current: Demographics) -> Demographics:
        given = self.model_fields_set
        return Demographics(
            first_name=self.first_name if "first_name" in given else current.first_name,
            last_name=self.last_name if "last_name" in given else current.last_name,
            date_of_birth=(
                self.date_of_birth if "date_of_birth" in given else current.date_of_birth
            ),
            sex=self.sex if "sex" in given else current.sex,
            address=self.address.to_domain() if self.address is not None else current.address,
            phone=self.phone if "phone" in given else current.phone,
        )


class NewCoverage(BaseModel):
    payer_id: str = Field(..., min_length=1, max_length=20, pattern=r"\S",
                          description="MCR... for Medicare", examples=["MCR-JB"])
    payer_name: str = Field(..., min_length=1, max_length=100, pattern=r"\S",
                            examples=["Medicare DME MAC Jurisdiction B"])
    member_id: str = Field(..., min_length=1, max_length=40, pattern=r"\S",
                           examples=["1EG4TE5MK73"])
    group_number: str | None = Field(None, max_length=40, examples=[None])
    rank: CoverageRank = Field(..., examples=["primary"])
    relationship_to_subscriber: RelationshipToSubscriber = Field(
        RelationshipToSubscriber.SELF, examples=["self"]
    )
    effective_from: dt.date = Field(..., examples=["2026-01-01"])
    effective_to: dt.date | None = Field(None, description="last covered day; omit if open",
                                         examples=[None])

    @model_validator(mode="after")
    def _ordered(self) -> NewCoverage:
        if self.effective_to is not None and self.effective_to < self.effective_from:
            raise ValueError("effective_to is before effective_from")
        return self


class CoverageTermination(BaseModel):
    terminated_on: dt.date = Field(..., description="the last covered day",
                                   examples=["2026-06-30"])


SectionText = Annotated[str, Field(max_length=20_000)]


class NewNote(BaseModel):
    """A SOAP note; at least one section needs text. The author is the caller."""

    subjective: SectionText = Field("", examples=["Reports sleeping 5 h a night with CPAP."])
    objective: SectionText = Field("", examples=["AHI 3.1 on download; mask fit good."])
    assessment: SectionText = Field("", examples=["Adherent; OSA controlled."])
    plan: SectionText = Field("", examples=["Continue CPAP; review in 90 days."])
    written_at: AwareDatetime | None = Field(
        None, description="when it was written (default: now)", examples=["2026-11-20T15:04:00Z"]
    )

    @field_validator("written_at")
    @classmethod
    def _not_ahead(cls, value: dt.datetime | None) -> dt.datetime | None:
        # A note dated ahead could never be amended (amendments are dated now, not before it).
        if value is not None and value > dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5):
            raise ValueError("written_at cannot be in the future")
        return value

    @model_validator(mode="after")
    def _has_a_section(self) -> NewNote:
        if not any(s.strip() for s in (self.subjective, self.objective, self.assessment,
                                       self.plan)):
            raise ValueError("a note needs at least one of subjective, objective, assessment, "
                             "plan")
        return self


class NewAmendment(BaseModel):
    text: str = Field(..., min_length=1, max_length=20_000, pattern=r"\S",
                      examples=["AHI was 3.4, not 3.1."])
    reason: str = Field(..., min_length=1, max_length=500, pattern=r"\S",
                        examples=["transcription error"])


class Deactivation(BaseModel):
    reason: str = Field(..., min_length=1, max_length=200, pattern=r"\S",
                        examples=["duplicate record"])


# --- Answers ------------------------------------------------------------------------------


class PatientCreated(CommandAccepted):
    account_number: str = Field(..., examples=["AMFRGGZDF"])


class CoverageAdded(CommandAccepted):
    coverage_id: UUID


class NoteAdded(CommandAccepted):
    note_id: UUID


class NoteAmended(CommandAccepted):
    amendment_id: UUID


class AddressView(BaseModel):
    line1: str = Field(..., examples=["12 Elm Street"])
    line2: str | None = Field(None, examples=["Apt 4"])
    city: str = Field(..., examples=["Springfield"])
    state: str = Field(..., examples=["IL"])
    postal_code: str = Field(..., examples=["62704"])


class PrimaryCoverage(BaseModel):
    """The best-ranked coverage without a recorded termination."""

    coverage_id: UUID
    payer_id: str = Field(..., examples=["MCR-JB"])
    payer_name: str = Field(..., examples=["Medicare DME MAC Jurisdiction B"])
    member_id: str = Field(..., examples=["1EG4TE5MK73"])
    rank: CoverageRank


class PatientListItem(BaseModel):
    id: UUID
    account_number: str = Field(..., examples=["AMFRGGZDF"])
    first_name: str = Field(..., examples=["Ada"])
    last_name: str = Field(..., examples=["Lovelace"])
    date_of_birth: dt.date = Field(..., examples=["1948-12-10"])
    age: int = Field(..., description="whole years today", examples=[77])
    sex: Sex
    mbi: str | None = Field(None, examples=["1EG4TE5MK73"])
    active: bool = True
    primary_coverage: PrimaryCoverage | None = None
    registered_at: dt.datetime
    version: int = Field(..., description="send as If-Match to correct", examples=[3])


class CoverageView(BaseModel):
    coverage_id: UUID
    payer_id: str = Field(..., examples=["MCR-JB"])
    payer_name: str = Field(..., examples=["Medicare DME MAC Jurisdiction B"])
    member_id: str = Field(..., examples=["1EG4TE5MK73"])
    group_number: str | None = None
    rank: CoverageRank
    relationship_to_subscriber: RelationshipToSubscriber
    effective_from: dt.date
    effective_to: dt.date | None = None
    terminated_on: dt.date | None = None
    status: Literal["open", "terminated"]
    active_today: bool = Field(..., description="whether it covers today's date")


class PatientDetail(PatientListItem):
    address: AddressView
    phone: str | None = None
    deactivated_on: dt.date | None = None
    coverage_count: int = Field(..., description="coverages without a recorded termination")
    coverages: list[CoverageView]
    updated_at: dt.datetime


class AmendmentView(BaseModel):
    amendment_id: UUID
    author_id: str
    written_at: dt.datetime
    text: str = Field(..., examples=["AHI was 3.4, not 3.1."])
    reason: str = Field(..., examples=["transcription error"])


class NoteView(BaseModel):
    note_id: UUID
    author_id: str
    written_at: dt.datetime
    subjective: str = Field(..., examples=["Reports sleeping 5 h a night with CPAP."])
    objective: str = Field(..., examples=["AHI 3.1 on download; mask fit good."])
    assessment: str = Field(..., examples=["Adherent; OSA controlled."])
    plan: str = Field(..., examples=["Continue CPAP; review in 90 days."])
    version: int = Field(..., description="1 + number of amendments", examples=[1])
    amendments: list[AmendmentView]


# --- Commands -----------------------------------------------------------------------------


@router.post(
    "",
    status_code=201,
    operation_id="register_patient",
    summary="Register a patient",
    response_model=PatientCreated,
    responses=_responses(409, 422),
)
def register_patient(
    body: NewPatient,
    principal: Annotated[Principal, Depends(require("register_patient"))],
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
    responses=_responses(400, 404, 409, 412, 422),
)
def correct_patient_demographics(
    patient_id: UUID,
    body: DemographicsCorrection,
    principal: Annotated[Principal, Depends(require("correct_patient_demographics"))],
    aries: AriesDep,
    expected: ExpectedVersion,
) -> JSONResponse:
    """Correct demographics (name, date of birth, sex, address, phone, MBI); send If-Match."""
    # The domain replaces demographics whole: merge onto the version the client saw.
    patient = aries.patients.get_patient(patient_id)
    check_version(patient.version, expected)
    try:
        result = aries.patients.correct_demographics(
            patient_id, body.merged_with(patient.demographics), mbi=body.mbi,
            expected_version=patient.version,
        )
    except StaleVersion:
        if expected is not None:
            raise
        # Without If-Match the client did not ask for 412; this is a race lost to a writer.
        raise ProblemError(
            409, "Conflict", "the patient changed concurrently; reload and retry",
            type_="https://aries.dev/problems/concurrent-update",
        ) from None
    return command_response(result)


@router.post(
    "/{patient_id}/deactivate",
    operation_id="deactivate_patient",
    summary="Deactivate a patient",
    response_model=CommandAccepted,
    responses=_responses(400, 404, 409, 412, 422),
)
def deactivate_patient(
    patient_id: UUID,
    body: Deactivation,
    principal: Annotated[Principal, Depends(require("deactivate_patient"))],
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
    responses=_responses(400, 404, 409, 412, 422),
)
def add_coverage(
    patient_id: UUID,
    body: NewCoverage,
    principal: Annotated[Principal, Depends(require("add_coverage"))],
    aries: AriesDep,
    expected: ExpectedVersion,
) -> JSONResponse:
    """Add a coverage (policy); one coverage per rank may be in force at a time."""
    coverage_id = uuid4()
    result = aries.patients.add_coverage(
        patient_id,
        coverage_id=coverage_id,
        expected_version=expected,
        **body.model_dump(),
    )
    return command_response(result, 201, extra={"coverage_id": str(coverage_id)})


@router.post(
    "/{patient_id}/coverages/{coverage_id}/terminate",
    operation_id="terminate_coverage",
    summary="Terminate a coverage",
    response_model=CommandAccepted,
    responses=_responses(400, 404, 409, 412, 422),
)
def terminate_coverage(
    patient_id: UUID,
    coverage_id: UUID,
    body: CoverageTermination,
    principal: Annotated[Principal, Depends(require("terminate_coverage"))],
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
    responses=_responses(400, 404, 409, 412, 422),
)
def add_note(
    patient_id: UUID,
    body: NewNote,
    principal: Annotated[Principal, Depends(require("add_note"))],
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
    responses=_responses(400, 404, 409, 412, 422),
)
def amend_note(
    patient_id: UUID,
    note_id: UUID,
    body: NewAmendment,
    principal: Annotated[Principal, Depends(require("amend_note"))],
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

_AGE = extract("year", func.age(func.current_date(), patients.c.date_of_birth)).cast(Integer)
_PATIENT_COLUMNS = (*patients.c, _AGE.label("age"))


def _list_item(row: Any) -> dict[str, Any]:
    primary = (
        None
        if row.primary_coverage_id is None
        else {
            "coverage_id": row.primary_coverage_id,
            "payer_id": row.primary_payer_id,
            "payer_name": row.primary_payer_name,
            "member_id": row.primary_member_id,
            "rank": row.primary_coverage_rank,
        }
    )
    return {
        "id": row.patient_id,
        "account_number": row.account_number,
        "first_name": row.first_name,
        "last_name": row.last_name,
        "date_of_birth": row.date_of_birth,
        "age": row.age,
        "sex": row.sex,
        "mbi": row.mbi,
        "active": row.active,
        "primary_coverage": primary,
        "registered_at": row.registered_at,
        "version": row.version,
    }


def _bad_cursor() -> ProblemError:
    return ProblemError(
        400, "Bad cursor", "the cursor is not one this API answered for this sort; start from "
        "page one", type_="https://aries.dev/problems/bad-cursor",
    )


def _after(
    columns: Sequence[Any], cursor: str | None, tag: str, parse: Sequence[Any], descending: bool
) -> Any | None:
    """The keyset condition 'strictly after the cursor's row' for `columns` (None: page one)."""
    values = decode_cursor(cursor, len(columns) + 1)
    if values is None:
        return None
    if values[0] != tag:
        raise _bad_cursor()
    try:
        key = [convert(value) for convert, value in zip(parse, values[1:], strict=True)]
    except (TypeError, ValueError):
        raise _bad_cursor() from None
    left, right = tuple_(*columns), tuple_(*(literal(v, c.type) for v, c in zip(key, columns,
                                                                              strict=True)))
    return left < right if descending else left > right


def _fuzzy(q: str) -> Any:
    """Patients whose search text contains `q`, or whose words share at least FUZZY_SHARE of
    `q`'s trigrams (typos). Both need a shared trigram, which the GIN index finds."""
    text = q.strip().lower()
    grams = trigrams(text)
    if not grams:
        return false()
    query_grams = literal(grams, ARRAY(Text))
    gram = func.unnest(patients.c.search_trigrams).table_valued("gram").render_derived()
    shared = (
        select(func.count()).select_from(gram).where(gram.c.gram == any_(query_grams))
        .scalar_subquery()
    )
    compact = re.sub(r"[\s-]+", "", text)
    return and_(
        patients.c.search_trigrams.op("&&")(query_grams),
        or_(
            patients.c.search_text.contains(text, autoescape=True),
            patients.c.search_text.contains(compact, autoescape=True),
            shared >= FUZZY_SHARE * len(grams),
        ),
    )


@router.get(
    "",
    operation_id="list_patients",
    summary="Search and list patients",
    response_model=Page[PatientListItem],
    responses=_responses(400, 422),
)
def list_patients(
    principal: Annotated[Principal, Depends(require("list_patients", phi="demographics"))],
    aries: AriesDep,
    request: Request,
    response: Response,
    min_position: MinPosition,
    q: Annotated[str | None, Query(min_length=2, max_length=100, description=(
        "fuzzy search over name, account number and MBI: a part of one, or a name with a "
        "typo"), examples=["lovelase"])] = None,
    active: Annotated[bool | None, Query(description="only active (or inactive) patients")] = None,
    payer_id: Annotated[str | None, Query(max_length=20, description=(
        "only patients with a coverage by this payer (no recorded termination)"))] = None,
    date_of_birth: Annotated[dt.date | None, Query(description="exact date of birth")] = None,
    sort: Annotated[Literal["name", "registered_at"], Query(description=(
        "name: last, first; registered_at: registration time"))] = "name",
    order: Annotated[Literal["asc", "desc"], Query()] = "asc",
    limit: PageSize = 50,
    cursor: Cursor = None,
) -> Page[PatientListItem]:
    """Search and list the patients of your tenant, a page at a time."""
    wait_for_read_model(aries, response, PROJECTION, UPSTREAM, min_position)
    descending = order == "desc"
    if sort == "name":
        keys = [patients.c.last_name, patients.c.first_name, patients.c.patient_id]
        parse: list[Any] = [str, str, UUID]
    else:
        keys = [patients.c.registered_at, patients.c.patient_id]
        parse = [dt.datetime.fromisoformat, UUID]
    tag = f"{sort}:{order}"
    query: Select[Any] = select(*_PATIENT_COLUMNS).where(
        patients.c.tenant_id == principal.tenant_id
    )
    if q is not None:
        query = query.where(_fuzzy(q))
    if active is not None:
        query = query.where(patients.c.active.is_(active))
    if payer_id is not None:
        query = query.where(
            exists().where(
                coverages.c.patient_id == patients.c.patient_id,
                coverages.c.payer_id == payer_id.strip().upper(),
                coverages.c.status == "open",
            )
        )
    if date_of_birth is not None:
        query = query.where(patients.c.date_of_birth == date_of_birth)
    after = _after(keys, cursor, tag, parse, descending)
    if after is not None:
        query = query.where(after)
    query = query.order_by(*(k.desc() if descending else k.asc() for k in keys)).limit(limit + 1)
    with aries.read_engine.connect() as conn:
        rows = conn.execute(query).all()
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = (
        encode_cursor([tag, *(getattr(rows[-1], k.name) for k in keys)]) if more else None
    )
    record_access(aries, principal, request, action=SEARCH,
                  patient_ids=[row.patient_id for row in rows], fields_class="demographics")
    return Page[PatientListItem](
        items=[PatientListItem(**_list_item(row)) for row in rows], next_cursor=next_cursor
    )


_RANK = case({"primary": 1, "secondary": 2, "tertiary": 3}, value=coverages.c.rank, else_=4)
_TODAY = func.current_date()
_ACTIVE_TODAY = and_(
    coverages.c.effective_from <= _TODAY,
    or_(coverages.c.effective_to.is_(None), coverages.c.effective_to >= _TODAY),
    or_(coverages.c.terminated_on.is_(None), coverages.c.terminated_on >= _TODAY),
)


@router.get(
    "/{patient_id}",
    operation_id="read_patient",
    summary="Read a patient",
    response_model=PatientDetail,
    responses=_responses(404, 422),
)
def read_patient(
    patient_id: UUID,
    principal: Annotated[Principal, Depends(require("read_patient", phi="demographics"))],
    aries: AriesDep,
    request: Request,
    response: Response,
    min_position: MinPosition,
) -> PatientDetail:
    """One patient with address, coverages and age; the ETag is its version."""
    wait_for_read_model(aries, response, PROJECTION, UPSTREAM, min_position)
    with aries.read_engine.connect() as conn:
        row = conn.execute(
            select(*_PATIENT_COLUMNS).where(
                patients.c.patient_id == patient_id, patients.c.tenant_id == principal.tenant_id
            )
        ).one_or_none()
        if row is None:
            raise NotFound("patient", patient_id)
        policies = conn.execute(
            select(*coverages.c, _ACTIVE_TODAY.label("active_today"))
            .where(coverages.c.patient_id == patient_id)
            .order_by(_RANK, coverages.c.effective_from.desc(), coverages.c.coverage_id)
        ).all()
    detail = PatientDetail(
        **_list_item(row),
        address=AddressView(
            line1=row.address_line1, line2=row.address_line2, city=row.city, state=row.state,
            postal_code=row.postal_code,
        ),
        phone=row.phone,
        deactivated_on=row.deactivated_on,
        coverage_count=row.coverage_count,
        coverages=[CoverageView(**c._mapping) for c in policies],
        updated_at=row.updated_at,
    )
    record_access(aries, principal, request, action=READ, patient_ids=[patient_id],
                  fields_class="demographics")
    response.headers["ETag"] = etag(row.version)
    return detail


@router.get(
    "/{patient_id}/notes",
    operation_id="list_notes",
    summary="List a patient's clinical notes",
    response_model=Page[NoteView],
    responses=_responses(400, 404, 422),
)
def list_notes(
    patient_id: UUID,
    principal: Annotated[Principal, Depends(require("list_notes", phi="clinical_notes"))],
    aries: AriesDep,
    request: Request,
    response: Response,
    min_position: MinPosition,
    limit: PageSize = 50,
    cursor: Cursor = None,
) -> Page[NoteView]:
    """The patient's SOAP notes with their amendments, newest first."""
    wait_for_read_model(aries, response, PROJECTION, UPSTREAM, min_position)
    keys = [notes.c.written_at, notes.c.note_id]
    query = (
        select(notes)
        .where(notes.c.patient_id == patient_id, notes.c.tenant_id == principal.tenant_id)
        .order_by(notes.c.written_at.desc(), notes.c.note_id.desc())
        .limit(limit + 1)
    )
    after = _after(keys, cursor, "notes", [dt.datetime.fromisoformat, UUID], descending=True)
    if after is not None:
        query = query.where(after)
    with aries.read_engine.connect() as conn:
        known = conn.execute(
            select(patients.c.patient_id).where(
                patients.c.patient_id == patient_id, patients.c.tenant_id == principal.tenant_id
            )
        ).one_or_none()
        if known is None:
            raise NotFound("patient", patient_id)
        rows = conn.execute(query).all()
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = (
        encode_cursor(["notes", rows[-1].written_at, rows[-1].note_id]) if more else None
    )
    record_access(aries, principal, request, action=READ, patient_ids=[patient_id],
                  fields_class="clinical_notes")
    items = [
        NoteView(**{k: v for k, v in row._mapping.items() if k in NoteView.model_fields})
        for row in rows
    ]
    return Page[NoteView](items=items, next_cursor=next_cursor)
