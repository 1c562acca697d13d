"""Bodies of the real-time inquiries (routes/inquiries.py): eligibility (270/271) and claim
status (276/277)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from application.inquiries import ClaimStatusResult, EligibilityResult
from application.x12.claim_status import CATEGORY_TEXT
from interfaces.http.commands import CommandAccepted
from interfaces.http.schemas.values import IsoDate


class EligibilityCheckRequest(BaseModel):
    """What to ask the payer: coverage on `as_of` (today when absent) for DME bought (12) or
    rented (18) (X12 service type codes, 270 EQ01)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"as_of": "2026-12-04", "service_type": "18"}]},
    )

    as_of: IsoDate | None = None
    service_type: Literal["12", "18"] = "12"


class EligibilityAnswer(CommandAccepted):
    """The payer's 271, recorded on the patient (`id`, its version and position)."""

    coverage_id: UUID
    payer_id: str = Field(..., examples=["MCR-DMEB"])
    coverage: Literal["active", "inactive", "rejected"] = Field(
        ..., description="EB01 1-5 active, 6-8 inactive; rejected: the payer could not answer "
        "the inquiry as sent (2100C AAA, `reason` its AAA03 code)",
    )
    as_of: dt.date
    reason: str | None = Field(None, examples=["72"])
    plan_begin: dt.date | None = None
    plan_end: dt.date | None = None

    @classmethod
    def of(cls, result: EligibilityResult) -> EligibilityAnswer:
        return cls(
            id=result.id, version=result.version, position=result.position,
            coverage_id=result.coverage_id, payer_id=result.payer_id, coverage=result.coverage,
            as_of=result.as_of, reason=result.reason, plan_begin=result.plan_begin,
            plan_end=result.plan_end,
        )


class ClaimStatusAnswer(CommandAccepted):
    """The payer's 277, recorded on the claim (`id`, its version and position)."""

    category: str = Field(..., description="STC01-1, claim status category code (list 507)",
                          examples=["F2"])
    category_text: str | None = Field(None, examples=["finalized: denied"])
    status_code: str = Field(..., description="STC01-2, claim status code (list 508)",
                             examples=["1"])
    entity: str | None = None
    status_on: dt.date | None = None
    paid: Decimal | None = Field(None, examples=["0.00"])
    payer_claim_control_number: str | None = None

    @classmethod
    def of(cls, result: ClaimStatusResult) -> ClaimStatusAnswer:
        return cls(
            id=result.id, version=result.version, position=result.position,
            category=result.category, category_text=CATEGORY_TEXT.get(result.category),
            status_code=result.status_code, entity=result.entity, status_on=result.status_on,
            paid=result.paid, payer_claim_control_number=result.payer_claim_control_number,
        )
