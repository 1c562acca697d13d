"""Response bodies of the remittance routes (interfaces/http/routes/remittances.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from uuid import UUID

from pydantic import BaseModel, Field

from domain.remittance import Remittance
from interfaces.http.commands import JobAccepted


class PostedClaimOut(BaseModel):
    claim_id: UUID
    patient_control_number: str
    payer_claim_control_number: str
    status_code: str = Field(..., description="CLP02: 1 primary, 2 secondary, 4 denied...")
    paid: Decimal


class UnmatchedOut(BaseModel):
    patient_control_number: str
    payer_claim_control_number: str
    procedure: str | None = Field(None, description="HCPCS of the SVC; null for a whole CLP")
    modifiers: list[str]
    line_control_number: str | None = Field(None, description="REF*6R")
    charge: Decimal
    paid: Decimal
    reason: str


class ProviderAdjustmentOut(BaseModel):
    provider_id: str = Field(..., description="PLB01: the payee's NPI or tax id")
    fiscal_period: dt.date = Field(..., description="PLB02")
    code: str = Field(..., description="PLB03-1: WO recoupment, L6 interest, FB forward, ...")
    reference: str | None = Field(None, description="PLB03-2: the ICN or account it names")
    amount: Decimal = Field(..., description="PLB04: positive lowers the payment")


class RemittanceOut(BaseModel):
    id: UUID
    version: int
    payer_identifier: str = Field(..., description="TRN03")
    payer_id: str | None = Field(None, description="Aries payer id, when the payer is known")
    payer_name: str
    trace_number: str = Field(..., description="TRN02: the check or EFT trace number")
    paid_amount: Decimal
    paid_on: dt.date
    payment_method: str
    claim_count: int
    received_by: str
    received_at: dt.datetime
    posted: bool
    posted_at: dt.datetime | None
    posted_claims: list[PostedClaimOut]
    unmatched: list[UnmatchedOut]
    provider_adjustments: list[ProviderAdjustmentOut] = Field(
        ..., description="the provider ledger entries of this payment (PLB)"
    )
    claims_paid: Decimal = Field(..., description="sum of CLP04: BPR02 plus the PLB amounts")
    reconciles: bool | None = Field(
        None,
        description="once posted: posted + unposted claims - PLB = BPR02 to the cent",
    )

    @classmethod
    def of(cls, r: Remittance) -> RemittanceOut:
        return cls(
            id=r.id,
            version=r.version,
            payer_identifier=r.payer_identifier,
            payer_id=r.payer_id,
            payer_name=r.payer_name,
            trace_number=r.trace_number,
            paid_amount=r.paid_amount,
            paid_on=r.paid_on,
            payment_method=r.payment_method,
            claim_count=r.claim_count,
            received_by=r.received_by,
            received_at=r.created_on,
            posted=r.is_posted,
            posted_at=r.posted_at,
            posted_claims=[PostedClaimOut(**vars(c)) for c in r.posted_claims],
            unmatched=[
                UnmatchedOut(**{**vars(u), "modifiers": list(u.modifiers)}) for u in r.unmatched
            ],
            provider_adjustments=[ProviderAdjustmentOut(**vars(a)) for a in r.provider_adjustments],
            claims_paid=r.claims_paid,
            reconciles=r.reconciles if r.is_posted else None,
        )


class RemittanceJob(BaseModel):
    id: UUID = Field(..., description="the remittance (one 835 transaction: one payment)")
    job_id: UUID = Field(..., description="the job posting it")


class RemittancesAccepted(JobAccepted):
    """The first payment's job, and every payment of the file with its job."""

    remittances: list[RemittanceJob]
