"""Response bodies of the job routes (interfaces/http/routes/jobs.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field


class JobOut(BaseModel):
    job_id: UUID
    kind: Literal[
        "claim_submission", "summary", "remittance", "claim_batch", "patient_statements",
        "billing_run", "report",
    ]
    status: Literal["queued", "running", "succeeded", "failed", "dead"]
    subject_id: UUID | None = Field(None, description="the claim, patient or remittance")
    requested_by: str | None = None
    attempts: int = Field(..., description="attempts begun so far")
    will_retry: bool = Field(..., description="failed: whether another attempt is scheduled")
    reason: str | None = Field(None, description="why the last attempt failed (failed, dead)")
    result: dict[str, Any] | None = Field(None, description="what it did (succeeded)")
    revision: int = Field(..., description="goes up at every change")
    created_at: datetime
    updated_at: datetime
