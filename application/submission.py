"""Claim submission: the claims awaiting submission go out in one 837P interchange, and the
clearinghouse's answer comes back as commands on them. Each claim reaches the clearinghouse
once, however often the message that asks for it is delivered.

`SubmissionService.submit(claim_ids)`:
1. loads the claims, then their patients and orders, a query per family for the whole batch
   (`application.bulk_loads`), and each tenant's location and payer records once per batch;
   only claims in `submission_requested` go (a claim already submitted for its current
   submission number is skipped, so a message delivered twice acts once);
2. a claim with a prepared interchange (an earlier attempt died or got no answer after
   recording it) is reconciled instead of sent: the clearinghouse is asked about that
   control number; it has it -> recorded submitted from its acknowledgements; it has no
   record -> sent again under the same control number; it cannot say -> the claim waits for
   a person (`TransmissionUnconfirmed`, the work queue's `confirm_transmission`);
   (`application.transmission_reconciliation`);
3. the others get ONE interchange under a fresh control number (`ControlNumbers`): the intent
   (`TransmissionPrepared`: control number, claims in order, time) is recorded on every claim
   in one save BEFORE it is transmitted (`Clearinghouse`); a transient failure propagates and
   the retry reconciles (2);
4. reads the answer: a TA1 rejecting the interchange, or a 999 rejecting a transaction set,
   rejects its claims with the reasons; else each claim's 277CA status accepts or rejects it.
   A claim the answer does not mention yet (no 277CA, or an unreadable answer) stays
   `submitted`: it went out, and sending it again would file it twice;
5. records `Submitted` on every claim sent and, after it, the answer's `Accepted` or
   `Rejected`, all in ONE save (a save is the largest cost of a batch after rendering). Should
   that save fail (a crash, or another process changed a claim meanwhile), nothing of it is
   recorded and the intent stays: the retry reconciles (2), and the clearinghouse's record of
   the interchange gives the same answer again.

A claim that cannot be rendered (the patient is not the subscriber: Aries keeps no
subscriber demographics) is left awaiting submission and reported in `refused` with the
rule; it does not hold back the rest of the batch.

Ids and codes only are logged, never names, member ids or the interchange text.
Why this way: docs/decisions/007-exactly-once-transmission.md.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

import structlog
from eventsourcing.persistence import Mapper

from application import billing_parties
from application.bulk_loads import Decode, load_many
from application.claim_documents import claim_document, reference_payer
from application.eventstore import ConcurrentUpdate
from application.ports import (
    Clearinghouse,
    Clock,
    ControlNumbers,
    MalformedAnswer,
    SystemClock,
    TransientFailure,
)
from application.transmission_reconciliation import (
    ReconcilesTransmissions,
    SubmissionOutcome,
    merged,
    refusal,
)
from application.x12.acknowledgements import Answer, read_answer
from application.x12.claim837 import (
    MAX_CLAIMS_PER_TRANSACTION,
    BillingProvider,
    ClaimDocument,
    PayerParty,
    Receiver,
    Submission,
    Supplier,
    render_837p,
)
from application.x12.envelope import Envelope, control_number_text
from application.x12.segments import X12SyntaxError
from domain.claim import Claim
from domain.claim_values import ClaimStatus
from domain.errors import DomainError
from domain.order import Order
from domain.patient import Patient

if TYPE_CHECKING:
    from application.claims import ClaimApplication
    from application.orders import OrderApplication
    from application.patients import PatientApplication

log = structlog.get_logger("aries.submission")


class SubmissionConflict(TransientFailure):
    """Another process changed a claim of the batch while it was being sent: the retry sees
    the claims as they are now (and skips those already submitted)."""


@dataclass
class _Batch:
    """What one submission loaded for all its claims, and the setup records it looked up."""

    patients: dict[UUID, Patient] = field(default_factory=dict)
    orders: dict[UUID, Order] = field(default_factory=dict)
    providers: dict[tuple[str, UUID | None], BillingProvider | None] = field(default_factory=dict)
    payers: dict[tuple[str, str], PayerParty] = field(default_factory=dict)


class SubmissionService(ReconcilesTransmissions):
    def __init__(
        self,
        claims: ClaimApplication,
        orders: OrderApplication,
        patients: PatientApplication,
        clearinghouse: Clearinghouse,
        clock: Clock | None = None,
        *,
        supplier: Supplier,
        receiver: Receiver,
        control_numbers: ControlNumbers,
        usage: str = "T",
        event_decoder: Callable[[Mapper[Any]], Decode] | None = None,
    ) -> None:
        """`event_decoder`: makes, from an application's mapper, the decoder of its stored
        events for the batch loads (the mapper itself when None)."""
        self.claims = claims
        self.orders = orders
        self.patients = patients
        self.clearinghouse = clearinghouse
        self.clock = clock or SystemClock()
        self.supplier = supplier
        self.receiver = receiver
        self.control_numbers = control_numbers
        self.usage = usage
        # Built once: a decoder learns each event class's layout on first use.
        self._decode: dict[str, Decode | None] = {
            app.name: event_decoder(app.mapper) if event_decoder else None
            for app in (claims, orders, patients)
        }

    # --- rendering ------------------------------------------------------------------------

    def document(self, claim: Claim, batch: _Batch | None = None) -> ClaimDocument:
        """The 837P claim for `claim` as billed now; RuleViolated when it cannot be rendered.
        `batch`: what a submission loaded for all its claims at once."""
        batch = batch or _Batch()
        patient = batch.patients.get(claim.patient_id) or self.patients.get_patient(
            claim.patient_id
        )
        order = batch.orders.get(claim.order_id) or self.orders.get_order(claim.order_id)
        location_key = (order.tenant_id, getattr(order, "location_id", None))
        if location_key not in batch.providers:
            batch.providers[location_key] = billing_parties.billing_provider(
                self.orders.setup, order
            )
        return claim_document(
            claim,
            patient,
            order,
            payers=lambda payer_id: self._payer(claim.tenant_id, payer_id, batch),
            billing_provider=batch.providers[location_key],
        )

    def _payer(self, tenant_id: str, payer_id: str, batch: _Batch) -> PayerParty:
        """The tenant's payer record; the packaged list for a tenant that has none."""
        key = (tenant_id, payer_id)
        if key not in batch.payers:
            recorded = billing_parties.payer_party(self.orders.setup, tenant_id, payer_id)
            batch.payers[key] = recorded or reference_payer(payer_id)
        return batch.payers[key]

    def _load_batch(self, claim_ids: Sequence[UUID]) -> tuple[dict[UUID, Claim], _Batch]:
        """The claims, and the patients and orders of those awaiting submission: one query per
        family. A claim missing here is loaded alone by the caller (which then says NotFound,
        as a single load does)."""
        decode = self._decode
        claims = load_many(self.claims, claim_ids, Claim, decode[self.claims.name])
        due = [c for c in claims.values() if c.status is ClaimStatus.SUBMISSION_REQUESTED]
        batch = _Batch(
            patients=load_many(
                self.patients, (c.patient_id for c in due), Patient, decode[self.patients.name]
            ),
            orders=load_many(
                self.orders, (c.order_id for c in due), Order, decode[self.orders.name]
            ),
        )
        return claims, batch

    def render(
        self, claims: Sequence[Claim], control_number: int, at: datetime | None = None
    ) -> str:
        return self._render(tuple(self.document(claim) for claim in claims), control_number, at)

    def _render(
        self, documents: Sequence[ClaimDocument], control_number: int, at: datetime | None = None
    ) -> str:
        envelope = Envelope(
            sender_id=self.supplier.submitter_id,
            receiver_id=self.receiver.receiver_id,
            control_number=control_number,
            created_at=at or self.clock.now(),
            usage=self.usage,
        )
        return render_837p(envelope, Submission(self.supplier, self.receiver, tuple(documents)))

    def preview(self, claim_id: UUID) -> str:
        """The claim alone as an 837P interchange, for reading. A submitted claim shows the
        control number and time it went out under; an unsent one, control number 1 and now
        (a preview is never sent). RuleViolated when it cannot be rendered."""
        claim = self.claims.get_claim(claim_id)
        if claim.interchange_control_number is not None:
            return self.render([claim], int(claim.interchange_control_number), claim.submitted_at)
        return self.render([claim], 1)

    # --- submitting -----------------------------------------------------------------------

    def submit(self, claim_ids: Sequence[UUID]) -> SubmissionOutcome:
        fresh, documents, intents, skipped, refused = [], [], {}, [], {}
        loaded, batch = self._load_batch(claim_ids)
        for claim_id in dict.fromkeys(claim_ids):
            claim = loaded.get(claim_id) or self.claims.get_claim(claim_id)
            if claim.status is not ClaimStatus.SUBMISSION_REQUESTED:
                skipped.append(claim_id)
                continue
            intent = claim.pending_transmission
            if intent is not None:
                # An earlier attempt prepared an interchange and may have sent it.
                intents.setdefault(intent.interchange_control_number, intent)
                continue
            try:
                # Rendered here so that one claim that cannot be is refused alone, not the batch.
                documents.append(self.document(claim, batch))
            except DomainError as cannot:
                refused[claim_id] = refusal(claim_id, cannot)
                continue
            fresh.append(claim)
        outcomes = [self._reconcile(intent) for intent in intents.values()]
        if fresh:
            outcomes.append(self._send_new(fresh, documents))
        return merged(outcomes, tuple(skipped), refused)

    def _send_new(self, due: list[Claim], documents: list[ClaimDocument]) -> SubmissionOutcome:
        """Record the intent (claims, control number, time) on every claim in one save, then
        send. Should this process die, or the clearinghouse not answer, between the two, the
        next delivery of the message finds the intent and reconciles (`_reconcile`)."""
        number = self.control_numbers.next_interchange()
        icn = control_number_text(number)
        at = self.clock.now()
        order = [claim.id for claim in due]
        for claim in due:
            claim.prepare_transmission(icn, order, at)
        self._commit(due, icn)
        answer_text = self._transmit(self._render(documents, number, at))
        return self._record(due, icn, answer_text, order)

    def _transmit(self, text: str) -> str | None:
        """The clearinghouse's answer; None when it took the interchange but answered
        unreadably. ClearinghouseUnavailable propagates: the intent stays, for the retry."""
        try:
            return self.clearinghouse.transmit(text)
        except MalformedAnswer:
            return None

    def _commit(self, claims: Sequence[Claim], icn: str) -> None:
        try:
            self.claims.commit(*claims)
        except ConcurrentUpdate:
            log.warning("claims changed while being submitted", interchange=icn)
            raise SubmissionConflict(f"a claim of interchange {icn} changed meanwhile") from None

    def _record(
        self, due: list[Claim], icn: str, answer_text: str | None, order: Sequence[UUID]
    ) -> SubmissionOutcome:
        """Record `due` submitted in interchange `icn` and what the answer says of each
        (`order`: the claims of the interchange as sent, which places each in its set), in one
        save: a conflict records none of it (SubmissionConflict; the retry reconciles)."""
        sent_at = self.clock.now()
        for claim in due:
            claim.record_submission(icn, sent_at)
        verdicts = self._verdicts(answer_text, due, order, str(int(icn)), icn)
        at = self.clock.now()
        for claim in due:
            if claim.id in verdicts:
                accepted, reasons = verdicts[claim.id]
                try:
                    claim.acknowledge(accepted, list(reasons), at)
                except DomainError as unusable:  # checked before any event: it stays submitted
                    log.error(
                        "acknowledgement not recorded",
                        claim_id=str(claim.id),
                        rule=getattr(unusable, "rule", type(unusable).__name__),
                    )
                    del verdicts[claim.id]
        self._commit(due, icn)
        log.info(
            "837P submitted",
            interchange=icn,
            claims=len(due),
            clearinghouse=self.clearinghouse.name,
        )
        unacknowledged = tuple(c.id for c in due if c.id not in verdicts)
        if unacknowledged:
            log.info(
                "claims await their acknowledgement", interchange=icn, claims=len(unacknowledged)
            )
        return SubmissionOutcome(
            interchange_control_number=icn,
            submitted=tuple(c.id for c in due),
            accepted=tuple(c.id for c in due if verdicts.get(c.id, (False,))[0]),
            rejected={
                c.id: verdicts[c.id][1] for c in due if c.id in verdicts and not verdicts[c.id][0]
            },
            unacknowledged=unacknowledged,
        )

    def _verdicts(
        self,
        answer_text: str | None,
        claims: Sequence[Claim],
        order: Sequence[UUID],
        group: str,
        icn: str,
    ) -> dict[UUID, tuple[bool, tuple[str, ...]]]:
        """claim id -> (accepted, reasons), for the claims the answer speaks of."""
        if answer_text is None:
            log.error("clearinghouse answer unreadable", interchange=icn)
            return {}
        try:
            answer: Answer = read_answer(answer_text)
        except X12SyntaxError:
            log.error("clearinghouse answer unreadable", interchange=icn)
            return {}
        ta1 = answer.interchange_ack(icn)
        if ta1 is not None and not ta1.accepted:
            return {c.id: (False, (ta1.reason,)) for c in claims}
        verdicts: dict[UUID, tuple[bool, tuple[str, ...]]] = {}
        functional = answer.functional_ack(group)
        place: dict[UUID, int] = {}  # as order.index would say, without a scan per claim
        for index, claim_id in enumerate(order):
            place.setdefault(claim_id, index)
        for claim in claims:
            index = place[claim.id]
            transaction_set = f"{index // MAX_CLAIMS_PER_TRANSACTION + 1:04d}"
            set_ack = functional.transaction(transaction_set) if functional else None
            if set_ack is not None and not set_ack.accepted:
                verdicts[claim.id] = (False, set_ack.reasons)
                continue
            claim_ack = answer.claim_ack(claim.patient_control_number)
            if claim_ack is not None:
                verdicts[claim.id] = (claim_ack.accepted, claim_ack.reasons)
        return verdicts
