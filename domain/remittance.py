"""A remittance: one X12 835 payment (a check or an EFT) from a payer, as received and as posted.

The 835 is kept verbatim in `Received`: posting parses it again, so a better parser can re-read
history, and an auditor sees exactly what the payer sent (a file holding several payments is
kept as one interchange per payment: the payer's ISA/GS and the payment's ST..SE as sent).
`Posted` records which claims were posted and every service line that matched nothing
(reported, never dropped).

Decisions a newcomer may question:
- The id is a uuid5 of (tenant, payer identifier, trace number): TRN02 (the check or EFT trace)
  is unique within TRN03 (the payer that originated it), so recording the same payment twice
  collides on the aggregate id and is refused. The tenant is part of it because two suppliers
  can receive the same payer's trace numbers.
- Remittances live in the Claims application's event store: the payment and the claims it posts
  to are saved in one transaction.
- A remittance is posted once; a second posting is refused (`remittance_is_posted_once`).
- Provider-level adjustments (PLB: WO overpayment recovery, L6 interest, FB forward balance,
  72 authorized return, ...) belong to no claim: they are the supplier's provider ledger with
  the payer, recorded here with their reference (`ProviderAdjustmentsRecorded`). The cash is
  BPR02; what the claims were paid is BPR02 plus the PLB amounts (TR3 005010X221A1 section
  1.10.2.1 transaction balancing: BPR02 = sum of CLP04 - sum of PLB amounts; CMS Pub. 100-04
  ch. 22 section 30, remittance balancing). `reconciles` checks that the claims posted, the
  claims left unposted and the provider ledger add up to the cash, to the cent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar
from uuid import UUID, uuid5

from eventsourcing.domain import event

from domain.base import AriesAggregate, pin_topics
from domain.errors import require
from domain.money import exact_money
from domain.rules import billing_rule, calendar_date, present_text, utc_time

REMITTANCE_NAMESPACE = UUID("5f0c7b1e-4a8d-5c3e-9d21-7e6b0a4f2c19")  # fixed forever: ids use it


@dataclass(frozen=True)
class PostedClaim:
    """A CLP posted to a claim (or found already posted there by an earlier remittance run)."""

    TRANSCODING: ClassVar[str] = "remittance.PostedClaim"

    claim_id: UUID
    patient_control_number: str
    payer_claim_control_number: str
    status_code: str
    paid: Decimal


@dataclass(frozen=True)
class UnmatchedItem:
    """Something in the 835 that could not be posted, and why. `procedure` is None for a whole
    claim (CLP) that matched no claim or was refused by it."""

    TRANSCODING: ClassVar[str] = "remittance.UnmatchedItem"

    patient_control_number: str
    payer_claim_control_number: str
    procedure: str | None
    modifiers: tuple[str, ...]
    line_control_number: str | None
    charge: Decimal
    paid: Decimal
    reason: str


@dataclass(frozen=True)
class ProviderAdjustment:
    """One PLB adjustment: a positive amount lowers the payment (WO recoupment, FB forward to a
    later payment), a negative one raises it (L6 interest, FB brought forward). `reference` is
    PLB03-2 (an ICN or account number; FB and L6 may carry none)."""

    TRANSCODING: ClassVar[str] = "remittance.ProviderAdjustment"

    provider_id: str  # PLB01
    fiscal_period: date  # PLB02
    code: str  # PLB03-1
    reference: str | None  # PLB03-2
    amount: Decimal  # PLB04


class Remittance(AriesAggregate):
    """One 835 payment from a payer to the supplier."""

    @staticmethod
    def id_for(tenant_id: str, payer_identifier: str, trace_number: str) -> UUID:
        return uuid5(
            REMITTANCE_NAMESPACE,
            f"remittance:{tenant_id}:{payer_identifier.strip()}:{trace_number.strip()}",
        )

    class Received(AriesAggregate.Created):
        """The 835 arrived. `payer_id` is Aries' payer id when the payer is in the payer list."""

        payer_identifier: str
        payer_id: str | None
        payer_name: str
        trace_number: str
        paid_amount: Decimal
        paid_on: date
        payment_method: str
        claim_count: int
        raw_835: str
        received_by: str

    @event(Received)
    def __init__(
        self,
        payer_identifier: str,
        payer_id: str | None,
        payer_name: str,
        trace_number: str,
        paid_amount: Decimal,
        paid_on: date,
        payment_method: str,
        claim_count: int,
        raw_835: str,
        received_by: str,
    ) -> None:
        self.payer_identifier = payer_identifier
        self.payer_id = payer_id
        self.payer_name = payer_name
        self.trace_number = trace_number
        self.paid_amount = paid_amount
        self.paid_on = paid_on
        self.payment_method = payment_method
        self.claim_count = claim_count
        self.raw_835 = raw_835
        self.received_by = received_by
        self.posted_at: datetime | None = None
        self.posted_claims: tuple[PostedClaim, ...] = ()
        self.unmatched: tuple[UnmatchedItem, ...] = ()
        self.provider_adjustments: tuple[ProviderAdjustment, ...] = ()

    @classmethod
    def receive(
        cls,
        *,
        tenant_id: str,
        payer_identifier: str,
        payer_id: str | None,
        payer_name: str,
        trace_number: str,
        paid_amount: Decimal,
        paid_on: date,
        payment_method: str,
        claim_count: int,
        raw_835: str,
        received_by: str,
        provider_adjustments: tuple[ProviderAdjustment, ...] = (),
    ) -> Remittance:
        payer_identifier = present_text(payer_identifier, "TRN03", "remittance_names_its_payer")
        trace_number = present_text(trace_number, "TRN02", "remittance_names_its_trace")
        paid_amount = exact_money(paid_amount)
        paid_on = calendar_date(paid_on, "paid_on")
        # A provider-level-only payment (interest, a recoupment, a forward balance: PLB and no
        # CLP; TR3 005010X221A1 loop 2000 is situational) is a payment too.
        require(
            isinstance(claim_count, int)
            and (claim_count >= 1 or (claim_count == 0 and bool(provider_adjustments))),
            "remittance_pays_at_least_one_claim",
            "an 835 without a CLP or a PLB has nothing to post",
        )
        remittance = cls._create(
            cls.Received,
            id=cls.id_for(tenant_id, payer_identifier, trace_number),
            payer_identifier=payer_identifier,
            payer_id=payer_id,
            payer_name=payer_name.strip() if isinstance(payer_name, str) else "",
            trace_number=trace_number,
            paid_amount=paid_amount,
            paid_on=paid_on,
            payment_method=payment_method,
            claim_count=claim_count,
            raw_835=present_text(raw_835, "the 835 text", "remittance_has_content"),
            received_by=present_text(received_by, "received by", "remittance_receiver_is_present"),
        )
        if provider_adjustments:
            remittance._provider_adjustments_recorded(
                adjustments=[_checked(a) for a in provider_adjustments]
            )
        return remittance

    @event("ProviderAdjustmentsRecorded")
    def _provider_adjustments_recorded(self, adjustments: list[ProviderAdjustment]) -> None:
        self.provider_adjustments = tuple(adjustments)

    @property
    def provider_adjustment_total(self) -> Decimal:
        """What the PLB took (positive) or added (negative): sum of PLB04...PLB14."""
        return sum((a.amount for a in self.provider_adjustments), Decimal("0.00"))

    @property
    def claims_paid(self) -> Decimal:
        """Sum of CLP04: the cash (BPR02) plus what the provider-level adjustments took."""
        return self.paid_amount + self.provider_adjustment_total

    @property
    @billing_rule(
        "X12 005010X221A1 TR3 BPR02 (the total actual provider payment: the sum of CLP04 less"
        " the provider-level adjustments of PLB04...PLB14)",
        "tests/integration/test_remittance_posting.py::test_plb_adjustments_are_the_provider_ledger_and_reconcile_with_bpr02",
    )
    def reconciles(self) -> bool:
        """Posted claims + unposted claims - provider adjustments = BPR02, to the cent."""
        posted, not_posted = posting_split(self.posted_claims, self.unmatched)
        return posted + not_posted - self.provider_adjustment_total == self.paid_amount

    @property
    def is_posted(self) -> bool:
        return self.posted_at is not None

    def record_posting(
        self,
        posted_claims: list[PostedClaim],
        unmatched: list[UnmatchedItem],
        posted_at: datetime,
    ) -> None:
        """Mark the remittance posted: the claims it posted to and what matched nothing."""
        require(not self.is_posted, "remittance_is_posted_once", f"{self.id} is already posted")
        self._posted(
            posted_claims=list(posted_claims),
            unmatched=list(unmatched),
            posted_at=utc_time(posted_at, "posted_at"),
        )

    @event("Posted")
    def _posted(
        self,
        posted_claims: list[PostedClaim],
        unmatched: list[UnmatchedItem],
        posted_at: datetime,
    ) -> None:
        self.posted_claims = tuple(posted_claims)
        self.unmatched = tuple(unmatched)
        self.posted_at = posted_at


def posting_split(
    posted_claims: Iterable[PostedClaim], unmatched: Iterable[UnmatchedItem]
) -> tuple[Decimal, Decimal]:
    """(CLP04 of the CLPs posted to claims, CLP04 of the CLPs not posted): a whole CLP that
    matched no claim, was refused or was already posted is reported with `procedure` None."""
    posted = sum((c.paid for c in posted_claims), Decimal("0.00"))
    not_posted = sum((u.paid for u in unmatched if u.procedure is None), Decimal("0.00"))
    return posted, not_posted


def _checked(adjustment: ProviderAdjustment) -> ProviderAdjustment:
    require(
        isinstance(adjustment, ProviderAdjustment),
        "provider_adjustments_are_plb_adjustments",
        f"{adjustment!r}",
    )
    return ProviderAdjustment(
        provider_id=present_text(adjustment.provider_id, "PLB01", "plb_names_its_provider"),
        fiscal_period=calendar_date(adjustment.fiscal_period, "PLB02"),
        code=present_text(adjustment.code, "PLB03-1", "plb_names_its_reason"),
        reference=(adjustment.reference or "").strip() or None,
        amount=exact_money(adjustment.amount),
    )


pin_topics(Remittance, "aries.remittance")

AGGREGATES = (Remittance,)
VALUE_TYPES = (PostedClaim, UnmatchedItem, ProviderAdjustment)
