"""Value types of the Claim aggregate (pure).

Every Enum and frozen dataclass here that appears in a Claim event is listed in
`domain.claim.VALUE_TYPES`. `LineToBill` is a command input only (never stored).

`LedgerEntry` amounts are signed (`domain.claim_ledger` folds them); its dates are business
dates named `posted_on` (the remittance's paid date for postings), not datetimes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

PATIENT = "patient"


class ClaimStatus(Enum):
    DRAFT = "draft"
    SCRUBBED = "scrubbed"
    SUBMISSION_REQUESTED = "submission_requested"
    TRANSMISSION_UNCONFIRMED = "transmission_unconfirmed"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    PAID = "paid"
    PARTIALLY_PAID = "partially_paid"
    DENIED = "denied"
    REVERSED = "reversed"
    AWAITING_SECONDARY = "awaiting_secondary"
    PATIENT_RESPONSIBILITY = "patient_responsibility"
    APPEALED = "appealed"
    VOIDED = "voided"
    REPLACED = "replaced"
    CLOSED = "closed"


class LedgerEntryKind(Enum):
    CHARGE = "charge"
    PAYMENT = "payment"
    CONTRACTUAL_ADJUSTMENT = "contractual_adjustment"
    PATIENT_RESPONSIBILITY = "patient_responsibility"
    OTHER_ADJUSTMENT = "other_adjustment"
    TRANSFER = "transfer"
    WRITE_OFF = "write_off"
    REVERSAL = "reversal"
    REFUND = "refund"


class AdjustmentGroup(Enum):
    CO = "CO"  # contractual obligation
    PR = "PR"  # patient responsibility
    OA = "OA"  # other adjustment
    PI = "PI"  # payer initiated reduction


class AppealLevel(Enum):
    REDETERMINATION = 1
    RECONSIDERATION = 2


@dataclass(frozen=True)
class PendingTransmission:
    """The interchange a claim was about to go out in (recorded before sending): its ISA13,
    the claims it carries in their order (their position gives each its transaction set),
    and when it was prepared (the interchange's ISA09/ISA10 and GS04/GS05). The claim list is
    held by the interchange's first claim (`first_claim_id`) only; on its other claims it is
    empty (`TransmissionPrepared` version 2)."""

    interchange_control_number: str
    claim_ids: tuple[UUID, ...]
    prepared_at: datetime
    first_claim_id: UUID | None = None  # None only in snapshots taken before version 2


@dataclass(frozen=True)
class ClaimLine:
    line_id: UUID
    order_line_id: UUID
    hcpcs: str
    modifiers: tuple[str, ...]
    from_date: date
    to_date: date
    units: int
    charge: Decimal
    expected_allowed: Decimal
    diagnosis_pointers: tuple[int, ...]
    billing: str
    rental_month: int | None
    serial_number: str | None
    prior_auth_required: bool
    # The imported fee schedule that priced the line (decision 018); None: the packaged fees.
    # Lines drafted before schedules existed replay with None, which is what priced them.
    fee_schedule_id: UUID | None = None


@dataclass(frozen=True)
class Adjustment:
    """One CAS adjustment: group, claim adjustment reason code, amount."""

    group: AdjustmentGroup
    carc: str
    amount: Decimal


@dataclass(frozen=True)
class LineAdjudication:
    """One SVC of a remittance, matched to a claim line."""

    line_id: UUID
    allowed: Decimal
    paid: Decimal
    adjustments: tuple[Adjustment, ...] = ()
    rarcs: tuple[str, ...] = ()


@dataclass(frozen=True)
class LedgerEntry:
    kind: LedgerEntryKind
    line_id: UUID
    party: str  # a payer id, or PATIENT
    amount: Decimal  # signed: + raises what `party` owes on the line, - lowers it
    posted_on: date
    carc: str | None = None
    rarcs: tuple[str, ...] = ()
    reference: str | None = None


@dataclass(frozen=True)
class LineToBill:
    """Command input for drafting: one order line to bill this month (not stored as such)."""

    order_line_id: UUID
    hcpcs: str
    billing: Any  # 'purchase_new' | 'purchase_used' | 'rental', or an Enum with that value
    from_date: date
    to_date: date
    units: int = 1
    diagnosis_pointers: tuple[int, ...] = (1,)
    rental_month: int | None = None
    serial_number: str | None = None
    oxygen_flow_lpm: Decimal | None = None
    portable_oxygen: bool = False
    oxygen_group: int | None = None  # LCD L33797 coverage group: N1/N2/N3 on Medicare oxygen
    adherence_met: bool | None = None
    # The order's ABN decision ('signed', 'refused', 'not_obtained') or None: none recorded.
    abn: str | None = None
    kx_documented: bool = False
    extra_modifiers: tuple[str, ...] = ()
