"""`remittances`: the cash view (read.remittances, one row per 835 payment) and the provider
ledger (read.provider_ledger_entries, one row per PLB adjustment), from the Claims log, where
remittances are recorded.

Cash is BPR02; what the claims were paid is BPR02 plus the provider-level adjustments (TR3
005010X221A1 section 1.10.2.1: BPR02 = sum of CLP04 - sum of PLB amounts; CMS Pub. 100-04
ch. 22 section 30, remittance balancing). Once a payment is posted, `posted_to_claims` and
`not_posted` split its CLP04s, and `reconciles` says whether they and the PLB amounts make the
cash to the cent (`domain.remittance.Remittance.reconciles`, folded here from the same events).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from domain.remittance import Remittance, posting_split
from projections.base import Projection, handles
from projections.folding import Rows
from projections.remittances_tables import provider_ledger_entries, remittances

ZERO = Decimal("0.00")
REMITTANCE = remittances.c.remittance_id


class RemittancesProjection(Projection):
    name = "remittances"
    upstreams = ("claims",)
    tables = (remittances, provider_ledger_entries)

    @handles(Remittance.Received)
    def received(self, rows: Rows, event: Any) -> None:
        rows[remittances].add(
            {
                "remittance_id": event.originator_id,
                "tenant_id": event.tenant_id,
                "payer_identifier": event.payer_identifier,
                "payer_id": event.payer_id,
                "trace_number": event.trace_number,
                "payment_method": event.payment_method,
                "paid_on": event.paid_on,
                "cash": event.paid_amount,
                "claims_paid": event.paid_amount,
                "provider_adjustments": ZERO,
                "claim_count": event.claim_count,
                "posted": False,
                "posted_to_claims": None,
                "not_posted": None,
                "reconciles": None,
                "received_at": event.timestamp,
                "posted_at": None,
                "version": event.originator_version,
                "position": rows.position,
            }
        )

    @handles(Remittance.ProviderAdjustmentsRecorded, reads=REMITTANCE)
    def provider_adjustments(self, rows: Rows, event: Any) -> None:
        payment = rows[remittances].get(event.originator_id)
        total = sum((a.amount for a in event.adjustments), ZERO)
        rows[remittances].update(
            event.originator_id,
            provider_adjustments=total,
            claims_paid=payment["cash"] + total,
            version=event.originator_version,
            position=rows.position,
        )
        for index, adjustment in enumerate(event.adjustments):
            rows[provider_ledger_entries].add(
                {
                    "remittance_id": event.originator_id,
                    "entry_index": index,
                    "tenant_id": event.tenant_id,
                    "payer_identifier": payment["payer_identifier"],
                    "payer_id": payment["payer_id"],
                    "trace_number": payment["trace_number"],
                    "paid_on": payment["paid_on"],
                    "provider_id": adjustment.provider_id,
                    "fiscal_period": adjustment.fiscal_period,
                    "code": adjustment.code,
                    "reference": adjustment.reference,
                    "amount": adjustment.amount,
                    "recorded_at": event.timestamp,
                    "position": rows.position,
                }
            )

    @handles(Remittance.Posted, reads=REMITTANCE)
    def posted(self, rows: Rows, event: Any) -> None:
        payment = rows[remittances].get(event.originator_id)
        posted, not_posted = posting_split(event.posted_claims, event.unmatched)
        rows[remittances].update(
            event.originator_id,
            posted=True,
            posted_to_claims=posted,
            not_posted=not_posted,
            reconciles=posted + not_posted - payment["provider_adjustments"] == payment["cash"],
            posted_at=event.posted_at,
            version=event.originator_version,
            position=rows.position,
        )
