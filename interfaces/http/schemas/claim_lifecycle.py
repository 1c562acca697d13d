"""Request bodies of the claim lifecycle commands (interfaces/http/routes/claim_lifecycle.py)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from interfaces.http.schemas.values import IsoDate

Reason = Annotated[str, Field(min_length=1, max_length=2000)]
Reference = Annotated[str, Field(min_length=1, max_length=80)]
Npi = Annotated[str, Field(pattern=r"^\d{10}$", examples=["1234567893"])]
Diagnosis = Annotated[str, Field(min_length=3, max_length=8, examples=["G47.33"])]
Money = Annotated[
    Decimal, Field(gt=0, max_digits=11, decimal_places=2, examples=["36.00"])
]

# Why a balance is written off (the office's own adjustment reasons, reported by code).
WriteOffCode = Literal[
    "small_balance", "bad_debt", "charity", "timely_filing", "non_covered", "administrative"
]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CorrectionRequest(_Body):
    """New header facts for a claim the payer never filed (draft or rejected)."""

    ordering_npi: Npi | None = None
    diagnoses: list[Diagnosis] | None = Field(None, min_length=1, max_length=12)
    utn: str | None = Field(None, min_length=1, max_length=50, examples=["A123456789012"])
    utn_valid_until: IsoDate | None = None

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"ordering_npi": "1234567893"}]},
    )


class ReplacementRequest(_Body):
    """Why the claim is replaced, and the corrected facts the replacement carries."""

    reason: Reason = Field(..., examples=["ordering NPI corrected after CO-16/N265"])
    ordering_npi: Npi | None = None
    diagnoses: list[Diagnosis] | None = Field(None, min_length=1, max_length=12)


class PatientPaymentRequest(_Body):
    amount: Money
    reference: Reference = Field(..., examples=["check 1042"])
    received_on: IsoDate | None = Field(None, description="default: today")


class PatientRefundRequest(_Body):
    amount: Money
    reference: Reference = Field(..., examples=["refund check 2201"])
    refunded_on: IsoDate | None = Field(None, description="default: today")


class WriteOffRequest(_Body):
    reason_code: WriteOffCode = Field(..., examples=["small_balance"])
    note: str | None = Field(None, min_length=1, max_length=500, examples=["under $5"])
    on: IsoDate | None = Field(None, description="default: today")

    def reason(self) -> str:
        """What the WrittenOff event records: the code, and the note after it."""
        return self.reason_code if self.note is None else f"{self.reason_code}: {self.note}"


class AppealDecisionRequest(_Body):
    favourable: bool = Field(..., examples=[True])
    decided_on: IsoDate | None = Field(None, description="default: today")


class CloseRequest(_Body):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"on": "2026-11-30"}]}
    )

    on: IsoDate | None = Field(None, description="default: today")
