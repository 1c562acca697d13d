"""Reconciling an interchange that was prepared and may have been sent: the clearinghouse is
asked about its control number (ISA13) instead of the claims going again under a new one, and
what a submission message did (`SubmissionOutcome`).

- It has the interchange: the claims are recorded submitted and its acknowledgements read.
- It has no record of it: the same claims go under the SAME control number and prepared time.
  A receiver checks ISA13 against interchanges it received (TA1 note code 025, "Duplicate
  Interchange Control Number"): one it never received is not a duplicate, and a copy that
  arrived after all is refused as one, never filed twice.
- It cannot say: the claims wait for a person (`TransmissionUnconfirmed`, the work queue's
  `confirm_transmission`).
Why: docs/decisions/007-exactly-once-transmission.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

import structlog

from application.ports import Clearinghouse, Clock, TransmissionStatusUnknown
from application.x12.acknowledgements import read_answer
from application.x12.claim837 import ClaimDocument
from application.x12.segments import X12SyntaxError
from domain.claim import Claim
from domain.claim_values import ClaimStatus, PendingTransmission
from domain.errors import DomainError

if TYPE_CHECKING:
    from application.claims import ClaimApplication

log = structlog.get_logger("aries.submission")

DUPLICATE_INTERCHANGE = "025"  # TA105: duplicate interchange control number


@dataclass(frozen=True)
class SubmissionOutcome:
    interchange_control_number: str | None  # None: nothing was sent
    submitted: tuple[UUID, ...] = ()
    accepted: tuple[UUID, ...] = ()
    rejected: dict[UUID, tuple[str, ...]] = field(default_factory=dict)
    unacknowledged: tuple[UUID, ...] = ()
    skipped: tuple[UUID, ...] = ()  # not awaiting submission (already sent, or not scrubbed)
    refused: dict[UUID, str] = field(default_factory=dict)  # claim id -> rule
    unconfirmed: tuple[UUID, ...] = ()  # whether they went out cannot be known: a person's
    interchanges: dict[UUID, str] = field(default_factory=dict)  # claim id -> its ISA13


def merged(
    outcomes: Sequence[SubmissionOutcome], skipped: tuple[UUID, ...], refused: dict[UUID, str]
) -> SubmissionOutcome:
    """One outcome for a message whose claims went out (or were reconciled) in several
    interchanges; its `interchange_control_number` is the last one's."""
    numbers = [o.interchange_control_number for o in outcomes if o.interchange_control_number]
    interchanges = {claim_id: icn for o in outcomes for claim_id, icn in o.interchanges.items()}
    for o in outcomes:
        if o.interchange_control_number is not None:
            for claim_id in o.submitted + o.unconfirmed:
                interchanges[claim_id] = o.interchange_control_number
    return SubmissionOutcome(
        interchange_control_number=numbers[-1] if numbers else None,
        submitted=tuple(c for o in outcomes for c in o.submitted),
        accepted=tuple(c for o in outcomes for c in o.accepted),
        rejected={c: r for o in outcomes for c, r in o.rejected.items()},
        unacknowledged=tuple(c for o in outcomes for c in o.unacknowledged),
        skipped=skipped + tuple(c for o in outcomes for c in o.skipped),
        refused={**refused, **{c: r for o in outcomes for c, r in o.refused.items()}},
        unconfirmed=tuple(c for o in outcomes for c in o.unconfirmed),
        interchanges=interchanges,
    )


def refusal(claim_id: UUID, cannot: DomainError) -> str:
    rule = getattr(cannot, "rule", type(cannot).__name__)
    log.error("claim cannot be rendered", claim_id=str(claim_id), rule=rule)
    return str(rule)


def duplicate_interchange(answer_text: str, icn: str) -> bool:
    """Whether the answer is a TA1 refusing `icn` as a duplicate control number (TA105 025,
    X12 interchange note code "Duplicate Interchange Control Number")."""
    try:
        ta1 = read_answer(answer_text).interchange_ack(icn)
    except X12SyntaxError:
        return False
    return ta1 is not None and not ta1.accepted and ta1.note_code == DUPLICATE_INTERCHANGE


def claim_list(claims: ClaimApplication, intent: PendingTransmission) -> tuple[UUID, ...]:
    """The interchange's claims in order. The list is on the intent of its first claim only
    (`TransmissionPrepared` version 2): read there, from that claim's intent while it is
    pending, else from the event in its history (it went out meanwhile, or was settled)."""
    if intent.claim_ids or intent.first_claim_id is None:
        return intent.claim_ids
    icn = intent.interchange_control_number
    first = claims.get_claim(intent.first_claim_id).pending_transmission
    if first is not None and first.interchange_control_number == icn and first.claim_ids:
        return first.claim_ids
    prepared = [
        e for e in claims.repository.event_store.get(intent.first_claim_id)
        if isinstance(e, Claim.TransmissionPrepared)
        and e.interchange_control_number == icn and e.claim_ids
    ]
    return tuple(prepared[-1].claim_ids) if prepared else ()


class ReconcilesTransmissions:
    """The part of `SubmissionService` that reconciles prepared interchanges; it sends, records
    and commits through the service's own methods."""

    claims: ClaimApplication
    clearinghouse: Clearinghouse
    clock: Clock

    def document(self, claim: Claim) -> ClaimDocument:
        raise NotImplementedError

    def _render(
        self, documents: Sequence[ClaimDocument], control_number: int, at: datetime | None = None
    ) -> str:
        raise NotImplementedError

    def _transmit(self, text: str) -> str | None:
        raise NotImplementedError

    def _commit(self, claims: Sequence[Claim], icn: str) -> None:
        raise NotImplementedError

    def _record(
        self, due: list[Claim], icn: str, answer_text: str | None, order: Sequence[UUID]
    ) -> SubmissionOutcome:
        raise NotImplementedError

    def _reconcile(self, intent: PendingTransmission) -> SubmissionOutcome:
        """An interchange was prepared and may have been sent: ask the clearinghouse about its
        control number instead of sending the claims again under a new one.

        - It has the interchange: record the claims submitted and read its acknowledgements.
        - It has no record of it: send the same claims under the SAME control number (and the
          prepared time). X12 wants ISA13 unique per sender for interchanges the receiver has
          seen: one it never received is not a duplicate, and reusing the number means a
          copy that did arrive after all is refused as a duplicate (TA1 note code 025), never
          filed twice. Should that TA1 come back, the clearinghouse is asked again.
        - It cannot say: the claims wait for a person (`confirm_transmission` in the work
          queue). A clearinghouse that cannot be reached raises ClearinghouseUnavailable:
          retried later, like a transmission."""
        icn = intent.interchange_control_number
        order = claim_list(self.claims, intent)
        claims = [
            claim for claim in map(self.claims.get_claim, order)
            if claim.status is ClaimStatus.SUBMISSION_REQUESTED
            and claim.pending_transmission is not None
            and claim.pending_transmission.interchange_control_number == icn
        ]
        if not claims:
            return SubmissionOutcome(None)
        try:
            record = self.clearinghouse.look_up(icn)
        except TransmissionStatusUnknown as unknown:
            return self._leave_unconfirmed(claims, icn, str(unknown))
        if record.received:
            log.info("interchange found at the clearinghouse, not sent again", interchange=icn,
                     claims=len(claims))
            return self._record(claims, icn, record.answer, list(order))
        documents, refused = [], {}
        for claim in list(claims):
            try:
                documents.append(self.document(claim))
            except DomainError as cannot:
                refused[claim.id] = refusal(claim.id, cannot)
                claims.remove(claim)
        if not claims:
            return SubmissionOutcome(None, refused=refused)
        log.info("interchange unknown to the clearinghouse, sent again under its number",
                 interchange=icn, claims=len(claims))
        answer_text = self._transmit(self._render(documents, int(icn), intent.prepared_at))
        if answer_text is not None and duplicate_interchange(answer_text, icn):
            record = self.clearinghouse.look_up(icn)  # it arrived meanwhile after all
            answer_text = record.answer
        outcome = self._record(claims, icn, answer_text, [c.id for c in claims])
        return merged([outcome], (), refused)

    def _leave_unconfirmed(
        self, claims: list[Claim], icn: str, reason: str
    ) -> SubmissionOutcome:
        at = self.clock.now()
        for claim in claims:
            claim.leave_transmission_unconfirmed(
                reason or "the clearinghouse cannot say whether it received the interchange", at
            )
        self._commit(claims, icn)
        log.warning("transmission unconfirmed: a person must find out", interchange=icn,
                    claims=len(claims))
        return SubmissionOutcome(icn, unconfirmed=tuple(c.id for c in claims))
