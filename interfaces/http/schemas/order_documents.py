"""The documents an order's billing needs (SWO, WOPD, face-to-face, ABN, a new rental period's),
as `POST /v1/orders/{id}/documents` takes them."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field, model_validator

from interfaces.http.schemas.orders import Npi, _Request
from interfaces.http.schemas.values import IsoDate


class SwoIn(_Request):
    signed_on: IsoDate
    practitioner_npi: Npi | None = Field(
        None, description="the signing practitioner (default: the ordering practitioner)"
    )


class SignedIn(_Request):
    signed_on: IsoDate


class FaceToFaceIn(_Request):
    encounter_on: IsoDate


class AbnIn(_Request):
    signed_on: IsoDate = Field(..., description="the day the notice was given (or found not "
                               "obtained)", examples=["2026-11-03"])
    decision: Literal["signed", "refused", "not_obtained"] = Field(
        "signed",
        description="signed or refused (annotated): GA on lines not meeting coverage criteria; "
        "not_obtained: GZ",
    )


class NewRentalPeriodIn(_Request):
    """42 CFR 414.230(d)(2)-(3), for equipment back after a break of more than 60 days: the
    new SWO goes in `swo`."""

    medical_necessity_on: IsoDate = Field(
        ..., description="the day the new medical necessity documentation was made"
    )
    statement_on: IsoDate = Field(
        ..., description="the day of the statement of why use was interrupted and the need in"
        " the prior episode ended"
    )


class DocumentsRequest(_Request):
    """The documents now on file; each one given is recorded, all or none."""

    swo: SwoIn | None = Field(None, description="Standard Written Order (needed to bill)")
    wopd: SignedIn | None = Field(
        None, description="Written Order Prior to Delivery (required-list items)"
    )
    face_to_face: FaceToFaceIn | None = Field(
        None, description="face-to-face encounter (required-list items)"
    )
    abn: AbnIn | None = Field(None, description="Advance Beneficiary Notice and its outcome")
    new_rental_period: NewRentalPeriodIn | None = Field(
        None, description="a new rental period's documents, besides its new SWO"
    )

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "swo": {"signed_on": "2026-11-03"},
                    "wopd": {"signed_on": "2026-11-03"},
                    "face_to_face": {"encounter_on": "2026-10-28"},
                }
            ]
        },
    )

    @model_validator(mode="after")
    def _names_a_document(self) -> DocumentsRequest:
        if not any((self.swo, self.wopd, self.face_to_face, self.abn, self.new_rental_period)):
            raise ValueError(
                "give at least one of swo, wopd, face_to_face, abn, new_rental_period"
            )
        return self
