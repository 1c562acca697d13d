"""Request and response bodies of the patient routes (interfaces/http/routes/patients.py).

Request bodies are checked here, before the domain sees them, for everything whose domain error
message would quote the value (a date of birth, an MBI, a ZIP): those answer 422 with the field's
path and without the value. Rules that need the patient's state stay the domain's (409).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, Field, field_validator, model_validator

from application.patients import CorrectedFields
from application.ports import SystemClock
from domain.mbi import is_valid_mbi
from domain.patient_rules import USPS_STATE_CODES
from domain.patient_values import Address, CoverageRank, Demographics, RelationshipToSubscriber, Sex
from interfaces.http.commands import CommandAccepted
from interfaces.http.schemas.values import ONE_LINE, ONE_LINE_NOT_BLANK, IsoDate
from projections.queries.patients import PatientRecord

# --- Request bodies -----------------------------------------------------------------------


Name = Annotated[str, Field(min_length=1, max_length=100, pattern=ONE_LINE_NOT_BLANK)]


class AddressIn(BaseModel):
    line1: str = Field(..., min_length=1, max_length=100, pattern=ONE_LINE_NOT_BLANK,
                       examples=["12 Elm Street"])
    line2: str | None = Field(None, max_length=100, pattern=ONE_LINE, examples=["Apt 4"])
    city: str = Field(..., min_length=1, max_length=60, pattern=ONE_LINE_NOT_BLANK,
                      examples=["Springfield"])
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
    if value is not None and value > SystemClock().today():
        raise ValueError("a date of birth cannot be in the future")
    return value


class PersonIn(BaseModel):
    """A person's demographics: a patient's, or a subscriber's when the patient is covered by
    someone else's plan (837P loop 2010BA)."""

    first_name: Name = Field(..., examples=["Ada"])
    last_name: Name = Field(..., examples=["Lovelace"])
    date_of_birth: IsoDate = Field(..., examples=["1948-12-10"])
    sex: Sex = Field(..., examples=["female"])
    address: AddressIn

    _check_born = field_validator("date_of_birth")(_born)

    def to_domain(self) -> Demographics:
        return Demographics(self.first_name, self.last_name, self.date_of_birth, self.sex,
                            self.address.to_domain())


class NewPatient(PersonIn):
    """A patient to register; the server assigns the id and the account number."""

    phone: str | None = Field(None, max_length=30, pattern=ONE_LINE, examples=["+1 217 555 0100"])
    mbi: str | None = Field(None, max_length=20, description="Medicare Beneficiary Identifier "
                            "(dashes allowed); omit for patients without Medicare",
                            examples=["1EG4-TE5-MK73"])

    _check_mbi = field_validator("mbi")(_valid_mbi)

    def to_domain(self) -> Demographics:
        return replace(super().to_domain(), phone=self.phone)


class DemographicsCorrection(BaseModel):
    """The fields to correct; omitted fields keep their value. `address` replaces the whole
    address; `phone: null` removes the phone; an MBI can be replaced but not removed."""

    first_name: Name | None = Field(None, examples=["Ada"])
    last_name: Name | None = Field(None, examples=["King"])
    date_of_birth: IsoDate | None = None
    sex: Sex | None = None
    address: AddressIn | None = None
    phone: str | None = Field(None, max_length=30, pattern=ONE_LINE)
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

    def to_domain(self) -> CorrectedFields:
        values = {name: getattr(self, name) for name in self.model_fields_set - {"mbi"}}
        if self.address is not None:
            values["address"] = self.address.to_domain()
        return CorrectedFields(values)


class NewCoverage(BaseModel):
    payer_id: str = Field(..., min_length=1, max_length=20, pattern=ONE_LINE_NOT_BLANK,
                          description="MCR... for Medicare", examples=["MCR-JB"])
    payer_name: str = Field(..., min_length=1, max_length=100, pattern=ONE_LINE_NOT_BLANK,
                            examples=["Medicare DME MAC Jurisdiction B"])
    member_id: str = Field(..., min_length=1, max_length=40, pattern=ONE_LINE_NOT_BLANK,
                           examples=["1EG4TE5MK73"])
    group_number: str | None = Field(None, max_length=40, examples=[None])
    rank: CoverageRank = Field(..., examples=["primary"])
    relationship_to_subscriber: RelationshipToSubscriber = Field(
        RelationshipToSubscriber.SELF, examples=["self"]
    )
    effective_from: IsoDate = Field(..., examples=["2026-01-01"])
    effective_to: IsoDate | None = Field(None, description="last covered day; omit if open",
                                         examples=[None])
    subscriber: PersonIn | None = Field(
        None,
        description="required when relationship_to_subscriber is not `self` (a spouse's or "
        "parent's plan); omitted when the patient is the subscriber",
        examples=[None],
    )

    @model_validator(mode="after")
    def _ordered(self) -> NewCoverage:
        if self.effective_to is not None and self.effective_to < self.effective_from:
            raise ValueError("effective_to is before effective_from")
        is_self = self.relationship_to_subscriber is RelationshipToSubscriber.SELF
        if is_self and self.subscriber is not None:
            raise ValueError("the patient is the subscriber: omit subscriber")
        if not is_self and self.subscriber is None:
            raise ValueError("subscriber is required when the patient is not the subscriber")
        return self

    def to_command(self) -> dict[str, Any]:
        """The application's add_coverage keyword arguments."""
        values = self.model_dump(exclude={"subscriber"})
        values["subscriber"] = self.subscriber.to_domain() if self.subscriber else None
        return values


class CoverageTermination(BaseModel):
    terminated_on: IsoDate = Field(..., description="the last covered day",
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


def _list_fields(row: Any) -> dict[str, Any]:
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

    @classmethod
    def of_row(cls, row: Any) -> PatientListItem:
        """From a `patient_page` row."""
        return cls(**_list_fields(row))


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

    @classmethod
    def of_record(cls, record: PatientRecord) -> PatientDetail:
        row = record.patient
        return cls(
            **_list_fields(row),
            address=AddressView(
                line1=row.address_line1, line2=row.address_line2, city=row.city,
                state=row.state, postal_code=row.postal_code,
            ),
            phone=row.phone,
            deactivated_on=row.deactivated_on,
            coverage_count=row.coverage_count,
            coverages=[CoverageView(**c) for c in record.coverages],
            updated_at=row.updated_at,
        )


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

    @classmethod
    def of_row(cls, row: Any) -> NoteView:
        """From a `note_page` row."""
        return cls(**{k: v for k, v in row._mapping.items() if k in cls.model_fields})
