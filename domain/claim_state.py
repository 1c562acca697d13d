"""What a claim records beyond the facts it was drafted with: its status, submission,
remittance, appeal, void and closing state, and the value each starts at on a new claim.

`ClaimState` is a base of `domain.claim.Claim` and records nothing itself: the Claim's Drafted
applier calls `_start_state` after setting the drafted facts, and the Claim's other `@event`
methods change these attributes. They are set on every claim from its first event on (not
class-level defaults) because the audit API's state as of a version lists the claim's own
attributes, in the order they were first set (`application.audit.render.aggregate_state`).
"""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from domain.claim_values import AppealLevel, ClaimStatus, LineAdjudication, PendingTransmission


class ClaimState:
    """The Claim's lifecycle state (see `domain.claim.Claim` for the events that change it)."""

    def _start_state(self, payer_id: str, coverage_id: UUID) -> None:
        """A new claim's lifecycle state: a draft billed to the payer and coverage it was drafted
        for. Called only from the Drafted applier, so it runs again on every replay."""
        self.status = ClaimStatus.DRAFT
        self.billed_payer_id = payer_id
        self.billed_coverage_id = coverage_id
        self.secondary_payer_id: str | None = None
        self.scrubbed_on: date | None = None
        self.submission_count = 0
        self.interchange_control_number: str | None = None
        self.submitted_at: datetime | None = None
        self.pending_transmission: PendingTransmission | None = None
        self.filed = False
        self.rejection_reasons: tuple[str, ...] = ()
        self.payer_claim_control_number: str | None = None
        self.posted_remittances: tuple[tuple[str, str], ...] = ()
        self.posted_adjudications: tuple[str, ...] = ()
        # (payer, paid on, lines) of every adjudication posted, reversals included.
        self.adjudications: tuple[tuple[str, date, tuple[LineAdjudication, ...]], ...] = ()
        self.crossed_over_on: date | None = None
        self.adjudication_outcome: ClaimStatus | None = None
        self.last_determination_on: date | None = None
        self.last_determination_carcs: tuple[str, ...] = ()
        self.open_appeal: AppealLevel | None = None
        self.redetermination_filed_on: date | None = None
        self.redetermination_decided_on: date | None = None
        self.redetermination_favourable: bool | None = None
        self.reconsideration_filed_on: date | None = None
        self.reconsideration_decided_on: date | None = None
        self.reconsideration_favourable: bool | None = None
        self.replacement_claim_id: UUID | None = None
        self.voided_on: date | None = None
        self.closed_on: date | None = None
