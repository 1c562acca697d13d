"""Claim submission: the claims awaiting submission go out in one 837P interchange, and the
clearinghouse's answer comes back as commands on them. Each claim reaches the clearinghouse
once, however often the message that asks for it is delivered.

`SubmissionService.submit(claim_ids)`:
1. loads each claim; only those in `submission_requested` go (a claim already submitted for
   its current submission number is skipped, so a message delivered twice acts once);
2. a claim with a prepared interchange (an earlier attempt died or got no answer after
   recording it) is reconciled instead of sent: the clearinghouse is asked about that
   control number; it has it -> recorded submitted from its acknowledgements; it has no
   record -> sent again under the same control number; it cannot say -> the claim waits for
   a person (`TransmissionUnconfirmed`, the work queue's `confirm_transmission`);
3. the others get ONE interchange under a fresh control number (`ControlNumbers`): the intent
   (`TransmissionPrepared`: control number, claims in order, time) is recorded on every claim
   in one save BEFORE it is transmitted (`Clearinghouse`); a transient failure propagates and
   the retry reconciles (2);
4. records `Submitted` on every claim sent, in one save;
5. reads the answer: a TA1 rejecting the interchange, or a 999 rejecting a transaction set,
   rejects its claims with the reasons; else each claim's 277CA status accepts or rejects it.
   A claim the answer does not mention yet (no 277CA, or an unreadable answer) stays
   `submitted`: it went out, and sending it again would file it twice.

A claim that cannot be rendered (the patient is not the subscriber: Aries keeps no
subscriber demographics) is left awaiting submission and reported in `refused` with the
rule; it does not hold back the rest of the batch.

Ids and codes only are logged, never names, member ids or the interchange text.
Why this way: docs/decisions/007-exactly-once-transmission.md.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING
from uuid import UUID

import structlog

from application import billing_parties
from application.eventstore import ConcurrentUpdate
from application.ports import (
    Clearinghouse,
    Clock,
    ControlNumbers,
    MalformedAnswer,
    SystemClock,
    TransientFailure,
    TransmissionStatusUnknown,
)
from application.x12.acknowledgements import Answer, read_answer
from application.x12.claim837 import (
    CHILD,
    MAX_CLAIMS_PER_TRANSACTION,
    OTHER_RELATIONSHIP,
    SELF,
    SPOUSE,
    CasAdjustment,
    ClaimDocument,
    PatientParty,
    PayerParty,
    Person,
    PostalAddress,
    Practitioner,
    PriorLineAdjudication,
    PriorPayer,
    Receiver,
    ServiceLine,
    Submission,
    Subscriber,
    Supplier,
    render_837p,
)
from application.x12.envelope import Envelope, control_number_text
from application.x12.segments import X12SyntaxError
from domain import pricing
from domain.claim import Claim
from domain.claim_values import ClaimStatus, PendingTransmission
from domain.errors import DomainError, RuleViolated
from domain.patient import Patient
from domain.patient_values import Address, RelationshipToSubscriber, Sex

if TYPE_CHECKING:
    from application.claims import ClaimApplication
    from application.orders import OrderApplication
    from application.patients import PatientApplication

log = structlog.get_logger("aries.submission")

FILING_INDICATOR = {
    pricing.PayerKind.MEDICARE: "MB",
    pricing.PayerKind.MEDICAID: "MC",
    pricing.PayerKind.COMMERCIAL: "CI",
}
SEX_CODE = {Sex.FEMALE: "F", Sex.MALE: "M", Sex.UNKNOWN: "U"}
DUPLICATE_INTERCHANGE = "025"  # TA105: duplicate interchange control number
_TITLES = re.compile(r"^(dr|mr|mrs|ms|prof)\.?\s+", re.IGNORECASE)


class SubmissionConflict(TransientFailure):
    """Another process changed a claim of the batch while it was being sent: the retry sees
    the claims as they are now (and skips those already submitted)."""


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


def _merged(
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


def _refusal(claim_id: UUID, cannot: DomainError) -> str:
    rule = getattr(cannot, "rule", type(cannot).__name__)
    log.error("claim cannot be rendered", claim_id=str(claim_id), rule=rule)
    return str(rule)


def _duplicate_interchange(answer_text: str, icn: str) -> bool:
    """Whether the answer is a TA1 refusing `icn` as a duplicate control number (TA105 025,
    X12 interchange note code "Duplicate Interchange Control Number")."""
    try:
        ta1 = read_answer(answer_text).interchange_ack(icn)
    except X12SyntaxError:
        return False
    return ta1 is not None and not ta1.accepted and ta1.note_code == DUPLICATE_INTERCHANGE


class SubmissionService:
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
    ) -> None:
        self.claims = claims
        self.orders = orders
        self.patients = patients
        self.clearinghouse = clearinghouse
        self.clock = clock or SystemClock()
        self.supplier = supplier
        self.receiver = receiver
        self.control_numbers = control_numbers
        self.usage = usage

    # --- rendering ------------------------------------------------------------------------

    def document(self, claim: Claim) -> ClaimDocument:
        """The 837P claim for `claim` as billed now; RuleViolated when it cannot be rendered."""
        patient = self.patients.get_patient(claim.patient_id)
        order = self.orders.get_order(claim.order_id)
        payer = self._payer(claim.tenant_id, claim.billed_payer_id)
        subscriber = _subscriber(patient, claim.billed_coverage_id)
        secondary = claim.billed_payer_id != claim.payer_id
        prior = (
            PriorPayer(
                payer=self._payer(claim.tenant_id, claim.payer_id),
                subscriber=_subscriber(patient, claim.coverage_id),
                paid=sum((_paid(claim, line.line_id) for line in claim.lines), Decimal("0")),
            )
            if secondary
            else None
        )
        lines = tuple(
            ServiceLine(
                line_control_number=line.line_id.hex.upper(),
                hcpcs=line.hcpcs,
                modifiers=tuple(line.modifiers),
                charge=line.charge,
                units=line.units,
                from_date=line.from_date,
                to_date=line.to_date,
                diagnosis_pointers=tuple(line.diagnosis_pointers),
                prior=_prior_line(claim, line.line_id) if secondary else None,
            )
            for line in claim.lines
        )
        return ClaimDocument(
            patient_control_number=claim.patient_control_number,
            subscriber=subscriber,
            payer=payer,
            payer_responsibility="S" if secondary else "P",
            ordering=Practitioner(_person(order.practitioner.name), claim.ordering_npi),
            diagnoses=tuple(claim.diagnoses),
            lines=lines,
            frequency_code=claim.frequency_code,
            prior_authorization=claim.utn,
            original_claim_number=claim.original_payer_claim_control_number,
            prior_payer=prior,
            patient=None if subscriber.relationship == SELF else _patient_party(patient),
            billing_provider=billing_parties.billing_provider(self.orders.setup, order),
        )

    def _payer(self, tenant_id: str, payer_id: str) -> PayerParty:
        """The tenant's payer record; the packaged list for a tenant that has none."""
        recorded = billing_parties.payer_party(self.orders.setup, tenant_id, payer_id)
        return recorded or _payer(payer_id)

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
            return self.render([claim], int(claim.interchange_control_number),
                               claim.submitted_at)
        return self.render([claim], 1)

    # --- submitting -----------------------------------------------------------------------

    def submit(self, claim_ids: Sequence[UUID]) -> SubmissionOutcome:
        fresh, documents, intents, skipped, refused = [], [], {}, [], {}
        for claim_id in dict.fromkeys(claim_ids):
            claim = self.claims.get_claim(claim_id)
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
                documents.append(self.document(claim))
            except DomainError as cannot:
                refused[claim_id] = _refusal(claim_id, cannot)
                continue
            fresh.append(claim)
        outcomes = [self._reconcile(intent) for intent in intents.values()]
        if fresh:
            outcomes.append(self._send_new(fresh, documents))
        return _merged(outcomes, tuple(skipped), refused)

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
        claims = [
            claim for claim in map(self.claims.get_claim, intent.claim_ids)
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
            return self._record(claims, icn, record.answer, list(intent.claim_ids))
        documents, refused = [], {}
        for claim in list(claims):
            try:
                documents.append(self.document(claim))
            except DomainError as cannot:
                refused[claim.id] = _refusal(claim.id, cannot)
                claims.remove(claim)
        if not claims:
            return SubmissionOutcome(None, refused=refused)
        log.info("interchange unknown to the clearinghouse, sent again under its number",
                 interchange=icn, claims=len(claims))
        answer_text = self._transmit(self._render(documents, int(icn), intent.prepared_at))
        if answer_text is not None and _duplicate_interchange(answer_text, icn):
            record = self.clearinghouse.look_up(icn)  # it arrived meanwhile after all
            answer_text = record.answer
        outcome = self._record(claims, icn, answer_text, [c.id for c in claims])
        return _merged([outcome], (), refused)

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
        """Record `due` submitted in interchange `icn`, then what the answer says of each
        (`order`: the claims of the interchange as sent, which places each in its set)."""
        sent_at = self.clock.now()
        for claim in due:
            claim.record_submission(icn, sent_at)
        self._commit(due, icn)
        log.info("837P submitted", interchange=icn, claims=len(due),
                 clearinghouse=self.clearinghouse.name)
        verdicts = self._verdicts(answer_text, due, order, str(int(icn)), icn)
        accepted, rejected = self._acknowledge(due, verdicts)
        unacknowledged = tuple(c.id for c in due if c.id not in verdicts)
        if unacknowledged:
            log.info("claims await their acknowledgement", interchange=icn,
                     claims=len(unacknowledged))
        return SubmissionOutcome(
            interchange_control_number=icn,
            submitted=tuple(c.id for c in due),
            accepted=accepted,
            rejected=rejected,
            unacknowledged=unacknowledged,
        )

    def _verdicts(
        self, answer_text: str | None, claims: Sequence[Claim], order: Sequence[UUID],
        group: str, icn: str,
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
        for claim in claims:
            index = order.index(claim.id)
            transaction_set = f"{index // MAX_CLAIMS_PER_TRANSACTION + 1:04d}"
            set_ack = functional.transaction(transaction_set) if functional else None
            if set_ack is not None and not set_ack.accepted:
                verdicts[claim.id] = (False, set_ack.reasons)
                continue
            claim_ack = answer.claim_ack(claim.patient_control_number)
            if claim_ack is not None:
                verdicts[claim.id] = (claim_ack.accepted, claim_ack.reasons)
        return verdicts

    def _acknowledge(
        self, claims: Sequence[Claim], verdicts: dict[UUID, tuple[bool, tuple[str, ...]]]
    ) -> tuple[tuple[UUID, ...], dict[UUID, tuple[str, ...]]]:
        at = self.clock.now()
        answered = [c for c in claims if c.id in verdicts]
        for claim in answered:
            accepted, reasons = verdicts[claim.id]
            claim.acknowledge(accepted, list(reasons), at)
        if answered:
            try:
                self.claims.commit(*answered)
            except ConcurrentUpdate:
                # Someone else acted on some of them since we recorded the submission: record
                # the others one by one and leave those to whoever changed them.
                answered = self._acknowledge_one_by_one(answered, verdicts, at)
        accepted_ids = tuple(c.id for c in answered if verdicts[c.id][0])
        rejected = {c.id: verdicts[c.id][1] for c in answered if not verdicts[c.id][0]}
        return accepted_ids, rejected

    def _acknowledge_one_by_one(
        self,
        claims: Sequence[Claim],
        verdicts: dict[UUID, tuple[bool, tuple[str, ...]]],
        at: datetime,
    ) -> list[Claim]:
        done = []
        for stale in claims:
            claim = self.claims.get_claim(stale.id)
            accepted, reasons = verdicts[claim.id]
            try:
                claim.acknowledge(accepted, list(reasons), at)
                self.claims.commit(claim)
            except (ConcurrentUpdate, RuleViolated):
                log.warning("acknowledgement not recorded", claim_id=str(claim.id))
                continue
            done.append(claim)
        return done


# --- assembling the 837P values from the aggregates ---------------------------------------------


def _payer(payer_id: str) -> PayerParty:
    payer = pricing.payer(payer_id)
    return PayerParty(payer.name, payer.x12_payer_id, FILING_INDICATOR[payer.kind])


def _person(full_name: str) -> Person:
    """'Dr Ada Lovelace' or 'Lovelace, Ada' -> Person('Lovelace', 'Ada')."""
    name = _TITLES.sub("", full_name.strip())
    if "," in name:
        last, _, first = name.partition(",")
        return Person(last.strip(), first.strip())
    first, _, last = name.rpartition(" ")
    return Person(last.strip() or first.strip(), first.strip() if last else "")


# The patient's relationship to the subscriber as X12 element 1069 (837P PAT01, 2320 SBR02).
RELATIONSHIP_CODE = {
    RelationshipToSubscriber.SELF: SELF,
    RelationshipToSubscriber.SPOUSE: SPOUSE,
    RelationshipToSubscriber.CHILD: CHILD,
    RelationshipToSubscriber.OTHER: OTHER_RELATIONSHIP,
}


def _postal(address: Address) -> PostalAddress:
    return PostalAddress(address.line1, address.line2, address.city, address.state,
                         address.postal_code)


def _patient_party(patient: Patient) -> PatientParty:
    d = patient.demographics
    return PatientParty(Person(d.last_name, d.first_name), _postal(d.address), d.date_of_birth,
                        SEX_CODE.get(d.sex, "U"))


def _subscriber(patient: Patient, coverage_id: UUID) -> Subscriber:
    """The coverage's subscriber: the patient, or the insured recorded on the coverage (a
    coverage recorded before subscribers were kept has none: refused, rule
    `coverage_names_its_subscriber_when_not_the_patient`)."""
    coverage = patient.coverages.get(coverage_id)
    if coverage is None:
        raise RuleViolated("claim_coverage_belongs_to_the_patient",
                           "the claim's coverage is not one of the patient's")
    relationship = coverage.relationship_to_subscriber
    insured = patient.demographics
    if relationship is not RelationshipToSubscriber.SELF:
        if coverage.subscriber is None:
            raise RuleViolated(
                "coverage_names_its_subscriber_when_not_the_patient",
                "the coverage has no subscriber demographics: add them to bill it",
            )
        insured = coverage.subscriber
    return Subscriber(
        name=Person(insured.last_name, insured.first_name),
        member_id=coverage.member_id,
        group_number=coverage.group_number,
        address=_postal(insured.address),
        date_of_birth=insured.date_of_birth,
        sex=SEX_CODE.get(insured.sex, "U"),
        relationship=RELATIONSHIP_CODE[relationship],
    )


def _paid(claim: Claim, line_id: UUID) -> Decimal:
    """What the primary actually paid for the line, net of its reversals."""
    outcome = claim.payer_line_outcomes(claim.payer_id).get(line_id)
    return outcome.paid if outcome is not None else Decimal("0")


def _prior_line(claim: Claim, line_id: UUID) -> PriorLineAdjudication | None:
    """What the primary payer paid and adjusted on the line (loop 2430): its remittances
    folded, reversals netted, claim-level CAS spread over the lines
    (`domain.claim_adjudication.payer_line_outcomes`)."""
    outcome = claim.payer_line_outcomes(claim.payer_id).get(line_id)
    if outcome is None:
        return None
    return PriorLineAdjudication(
        paid=outcome.paid,
        adjustments=tuple(
            CasAdjustment(a.group.value, a.carc, a.amount) for a in outcome.adjustments
        ),
        paid_on=outcome.paid_on,
    )
