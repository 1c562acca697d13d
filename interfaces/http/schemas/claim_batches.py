"""Bodies of the claim batch actions (interfaces/http/routes/claim_batches.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator


class BatchSubmissionRequest(BaseModel):
    """Which claims to submit: every scrubbed claim billed to `payer_id`, or every claim the
    work queue holds to submit (`work_queue: true`). Exactly one of the two."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"payer_id": "MCR-DMEB"}]}
    )

    payer_id: str | None = Field(None, min_length=1, max_length=40, examples=["MCR-DMEB"])
    work_queue: bool = False

    @model_validator(mode="after")
    def one_source(self) -> BatchSubmissionRequest:
        if (self.payer_id is None) == (not self.work_queue):
            raise ValueError("give either payer_id or work_queue: true")
        return self


class StatementRunRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min_balance: Decimal = Field(
        Decimal("0.01"), gt=0, max_digits=11, decimal_places=2,
        description="patients owing less are left out", examples=["5.00"],
    )


class BatchAccepted(BaseModel):
    """A batch job: follow it at `/v1/jobs/{job_id}` (the answer's `Location`)."""

    job_id: UUID
    status: Literal["queued"] = "queued"
    claims: int | None = Field(None, description="claims the batch takes", examples=[12])


class StatementClaim(BaseModel):
    claim_id: UUID
    service_from: dt.date
    due: Decimal = Field(..., examples=["36.00"])


class PatientStatement(BaseModel):
    """What one patient owes, to print and send (PHI: reading it is access-logged)."""

    patient_id: UUID
    patient_name: str | None = Field(None, examples=["Rivera, Ana"])
    account_number: str | None = Field(None, examples=["AMFRGGZDF"])
    address: list[str] = Field(default_factory=list, examples=[["12 Elm St",
                                                                "Springfield IL 62701"]])
    total_due: Decimal = Field(..., examples=["36.00"])
    claims: list[StatementClaim]


class StatementRun(BaseModel):
    job_id: UUID
    as_of: dt.date
    statements: list[PatientStatement]
