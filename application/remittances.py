"""X12 835 remittances: receive (validate and record), then post to the claims.

`receive_remittances` is what `POST /v1/remittances` calls: the file is normalised (a UTF-8
byte-order mark and surrounding whitespace dropped), validated with pyx12, split into its 835
transactions (one per payment, TR3 005010X221A1 section 1.10.1), and each is parsed, checked to
balance and recorded as a `Remittance` (`Received`, and `ProviderAdjustmentsRecorded` for its
PLB adjustments), all in one transaction. A worker then calls `post_remittance` for each, which
parses the stored text again and posts it:

- claims are matched by patient control number (CLP01 =
  `domain.claim_ids.patient_control_number_for`,
  the first 80 bits of the claim id, so a key-range scan of the claims event log finds the claim
  with no read model and no lag);
- service lines (SVC) by REF*6R (the line item control number: the claim line id, 32 hex digits
  with or without dashes), else by procedure code, modifiers and date of service;
- each matched CLP is posted with `Claim.adjudicate`, its SVC lines and its claim-level CAS
  (which the claim spreads over the lines, so the lines' payments add up to CLP04). The claim
  refuses an adjudication it has already posted under any trace: payer + CLP07 + content, so
  a re-sent ERA or a second EFT for the same adjudication posts nothing (reported as
  "already posted"); lines and claims that match nothing, or that a claim refuses, are
  reported on the remittance (`UnmatchedItem`), never dropped; a CLP none of whose lines
  could be posted is reported whole (at its CLP04), so posted + unposted claims - PLB = BPR02
  (`Remittance.reconciles`);
- the claims and the remittance's `Posted` are saved in ONE transaction: a remittance is either
  fully posted or not at all, and a second call answers the recorded report and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

from application.claims import ClaimApplication
from application.eventstore import CommandResult, ConcurrentUpdate
from application.ports import TransientFailure
from application.remittance_payers import remittance_payer_id
from application.x12.remittance835 import (
    ZERO,
    ClaimPayment,
    ParsedRemittance,
    ServicePayment,
    normalised_835,
    parse_835,
    split_835,
    validate_835,
)
from domain.claim import Claim
from domain.claim_adjudication import pro_rata
from domain.claim_values import AdjustmentGroup, ClaimLine, LineAdjudication
from domain.context import current_context
from domain.errors import DomainError, NotFound, RuleViolated
from domain.remittance import PostedClaim, Remittance, UnmatchedItem

POSTING_ATTEMPTS = 3
ALREADY_POSTED = (
    "already posted: the same adjudication (payer, CLP07, content) came on an earlier "
    "remittance; nothing posted again"
)


class PostingConflict(TransientFailure):
    """A claim changed while the remittance was being posted; posting again will see it."""


@dataclass(frozen=True)
class RemittanceReport:
    """What posting did. `posted_now` is False when an earlier call had posted it already."""

    remittance_id: UUID
    posted_now: bool
    posted_claims: tuple[PostedClaim, ...]
    unmatched: tuple[UnmatchedItem, ...]
    result: CommandResult | None = None

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (ids, codes and amounts only) for a job's result."""
        return {
            "remittance_id": str(self.remittance_id),
            "posted_now": self.posted_now,
            "claims_posted": [str(c.claim_id) for c in self.posted_claims],
            "unmatched": [
                {
                    "patient_control_number": u.patient_control_number,
                    "procedure": u.procedure,
                    "line_control_number": u.line_control_number,
                    "reason": u.reason,
                }
                for u in self.unmatched
            ],
        }


# --- Receiving --------------------------------------------------------------------------------


def receive_remittances(
    claims: ClaimApplication, text: str | bytes, received_by: str
) -> list[CommandResult]:
    """Validate the file and record each of its 835 transactions (one `Remittance` per payment)
    for the caller's tenant, all or none, in one transaction; their results in file order.

    InvalidRemittance for a malformed or unbalanced file (its `errors` name each problem by
    segment, line and element); RuleViolated `remittance_trace_is_new` when a payer's trace
    number was recorded before (the same check or EFT), or appears twice in the file."""
    text = normalised_835(text)
    validate_835(text)
    tenant_id = current_context().tenant_id
    remittances: list[Remittance] = []
    transactions = split_835(text)
    if len(transactions) == 1:
        transactions = [text]  # one payment: keep the file as the payer sent it
    for transaction in transactions:
        parsed = parse_835(transaction)
        remittance = Remittance.receive(
            tenant_id=tenant_id,
            payer_identifier=parsed.payer_identifier,
            payer_id=remittance_payer_id(claims.orders.setup, tenant_id, parsed),
            payer_name=parsed.payer_name,
            trace_number=parsed.trace_number,
            paid_amount=parsed.paid_amount,
            paid_on=parsed.paid_on,
            payment_method=parsed.payment_method,
            claim_count=len(parsed.claims),
            raw_835=transaction,
            received_by=received_by,
            provider_adjustments=parsed.provider_ledger,
        )
        # Not through `load`: another tenant's remittance with this id cannot exist (the
        # tenant is part of the id), and a missing one is the normal case.
        if claims.exists(remittance.id) or remittance.id in {r.id for r in remittances}:
            raise _duplicate(parsed.trace_number, parsed.payer_identifier)
        remittances.append(remittance)
    try:
        position = claims.commit(*remittances).position
    except ConcurrentUpdate:
        # The same trace recorded by a concurrent request between our check and our save.
        raise _duplicate("of this file", "its payer") from None
    return [CommandResult(id=r.id, version=r.version, position=position) for r in remittances]


def receive_remittance(
    claims: ClaimApplication, text: str | bytes, received_by: str
) -> CommandResult:
    """`receive_remittances` for a file expected to hold one payment: the result of recording
    the first (what the single-payment callers and tests use)."""
    return receive_remittances(claims, text, received_by)[0]


def _duplicate(trace: str, payer: str) -> RuleViolated:
    return RuleViolated(
        "remittance_trace_is_new", f"trace {trace} from payer {payer} was already received"
    )


# --- Posting ----------------------------------------------------------------------------------


def claim_ids_for_control_number(
    claims: ClaimApplication, patient_control_number: str
) -> list[UUID]:
    """Claims whose id starts with the patient control number (its first 20 hex digits).

    The id's first 80 bits make a key range of the events table's primary key, so this is an
    index range scan of the event log itself: no read model, no lag."""
    pcn = patient_control_number.strip().lower()
    if len(pcn) != 20 or any(c not in "0123456789abcdef" for c in pcn):
        return []
    between = (UUID(pcn + "0" * 12), UUID(pcn + "f" * 12))
    return claims.originator_ids(Claim.Drafted.TOPIC, between=between)  # type: ignore[attr-defined]


def _normalised_control_number(value: str | None) -> str:
    return (value or "").strip().lower().replace("-", "")


def _match_lines(
    claim: Claim, payment: ClaimPayment
) -> tuple[list[LineAdjudication], list[ServicePayment]]:
    """The SVCs matched to claim lines (REF*6R first, then code, modifiers and date) and the
    SVCs that match no line not already matched."""
    by_control = {line.line_id.hex: line for line in claim.lines}
    used: set[UUID] = set()
    matched: list[LineAdjudication] = []
    unmatched: list[ServicePayment] = []
    services = list(payment.services)
    if not services:
        return _claim_level_only(claim, payment), []
    for service in services:
        line = by_control.get(_normalised_control_number(service.line_control_number))
        if line is None or line.line_id in used:
            line = _by_code(claim, service, used)
        if line is None:
            unmatched.append(service)
            continue
        used.add(line.line_id)
        matched.append(
            LineAdjudication(
                line_id=line.line_id,
                allowed=service.allowed if service.allowed is not None else _allowed(service),
                paid=service.paid,
                adjustments=service.adjustments,
                rarcs=tuple(dict.fromkeys((*service.rarcs, *payment.rarcs))),
            )
        )
    return matched, unmatched


def _claim_level_only(claim: Claim, payment: ClaimPayment) -> list[LineAdjudication]:
    """A CLP without SVC loops (a claim-level denial, an institutional-style answer) answers
    every line: CLP03 is shared over the lines in proportion to their charges, and the claim's
    CAS (passed to the claim as claim-level adjustments) is spread over that, so the lines'
    payments add up to CLP04 (TR3 005010X221A1 claim balancing: CLP03 - CAS = CLP04)."""
    weights = [line.charge for line in claim.lines]
    patient_share = sum(
        (a.amount for a in payment.adjustments if a.group is AdjustmentGroup.PR), ZERO
    )
    basis = pro_rata(payment.charge, weights)
    allowed = pro_rata(payment.paid + patient_share, weights)
    return [
        LineAdjudication(line_id=line.line_id, allowed=a, paid=b, rarcs=payment.rarcs)
        for line, b, a in zip(claim.lines, basis, allowed, strict=True)
    ]


def _allowed(service: ServicePayment) -> Decimal:
    """Without AMT*B6: what the payer allowed is what it paid plus the patient's share."""
    patient_share = sum(
        (a.amount for a in service.adjustments if a.group is AdjustmentGroup.PR), ZERO
    )
    return service.paid + patient_share


def _by_code(claim: Claim, service: ServicePayment, used: set[UUID]) -> ClaimLine | None:
    candidates = [
        line
        for line in claim.lines
        if line.line_id not in used
        and line.hcpcs == service.procedure
        and (
            service.service_date is None
            or line.from_date <= service.service_date <= line.to_date
        )
    ]
    exact = [c for c in candidates if set(c.modifiers) == set(service.modifiers)]
    if exact:
        return exact[0]
    return candidates[0] if len(candidates) == 1 else None


def _unmatched(
    payment: ClaimPayment, reason: str, service: ServicePayment | None = None
) -> UnmatchedItem:
    """A CLP (or one of its SVCs, `service`) that was not posted, and why."""
    return UnmatchedItem(
        patient_control_number=payment.patient_control_number,
        payer_claim_control_number=payment.payer_claim_control_number,
        procedure=service.procedure if service else None,
        modifiers=service.modifiers if service else (),
        line_control_number=service.line_control_number if service else None,
        charge=(service or payment).charge,
        paid=(service or payment).paid,
        reason=reason,
    )


def _find_claim(claims: ClaimApplication, patient_control_number: str) -> Claim | None:
    for claim_id in claim_ids_for_control_number(claims, patient_control_number):
        try:
            return claims.load(claim_id, Claim)  # tenant scoped: another's is not found
        except NotFound:
            continue
    return None


def _plan_posting(
    claims: ClaimApplication, remittance: Remittance, parsed: ParsedRemittance
) -> tuple[dict[UUID, Claim], list[PostedClaim], list[UnmatchedItem]]:
    touched: dict[UUID, Claim] = {}
    posted: list[PostedClaim] = []
    unmatched: list[UnmatchedItem] = []
    sender = remittance_payer_id(claims.orders.setup, remittance.tenant_id, parsed)
    for payment in parsed.claims:
        claim = _find_claim(claims, payment.patient_control_number)
        if claim is not None and claim.id in touched:
            claim = touched[claim.id]  # a reversal and its correction on one check
        if claim is None:
            unmatched.append(_unmatched(payment, "no claim has this patient control number"))
            continue
        key = (remittance.trace_number, payment.payer_claim_control_number)
        if key in claim.posted_remittances:
            # Posted by an earlier run that recorded the claim but not the remittance's
            # Posted: cannot happen with one transaction, but a replayed history may hold it.
            posted.append(_posted(claim, payment))
            continue
        lines, leftovers = _match_lines(claim, payment)
        unmatched += [
            _unmatched(payment, "no claim line matches REF*6R or the service code", service)
            for service in leftovers
        ]
        if not lines:
            # Reported whole too (at its CLP04), so the remittance still reconciles with BPR02.
            reason = "no service line of the CLP could be posted" if leftovers else (
                "the CLP has no service lines to post"
            )
            unmatched.append(_unmatched(payment, reason))
            continue
        payer = sender
        if payer is not None and payer not in (claim.payer_id, claim.secondary_payer_id) and (
            claim.crossed_over_on is None
        ):
            payer = None  # not ours to decide here: the claim posts to the payer billed now
        try:
            claim.adjudicate(
                remittance_trace=remittance.trace_number,
                payer_claim_control_number=payment.payer_claim_control_number,
                status_code=payment.status_code,
                lines=lines,
                paid_on=parsed.paid_on,
                payer_id=payer,
                claim_adjustments=payment.adjustments,  # claim-level CAS, spread by the claim
            )
        except DomainError as refused:
            rule = getattr(refused, "rule", type(refused).__name__)
            reason = (
                ALREADY_POSTED if rule == "adjudication_posts_once"
                else f"the claim refused the posting: {rule}"
            )
            unmatched.append(_unmatched(payment, reason))
            continue
        touched[claim.id] = claim
        posted.append(_posted(claim, payment))
    return touched, posted, unmatched


def _posted(claim: Claim, payment: ClaimPayment) -> PostedClaim:
    return PostedClaim(
        claim_id=claim.id,
        patient_control_number=payment.patient_control_number,
        payer_claim_control_number=payment.payer_claim_control_number,
        status_code=payment.status_code,
        paid=payment.paid,
    )


def _report(
    remittance: Remittance, posted_now: bool, result: CommandResult | None = None
) -> RemittanceReport:
    return RemittanceReport(
        remittance_id=remittance.id,
        posted_now=posted_now,
        posted_claims=remittance.posted_claims,
        unmatched=remittance.unmatched,
        result=result,
    )


def post_remittance(claims: ClaimApplication, remittance_id: UUID) -> RemittanceReport:
    """Post a received remittance to its claims, once. A second call changes nothing and
    answers what the first one posted. PostingConflict (transient) when claims kept changing
    under it."""
    for _ in range(POSTING_ATTEMPTS):
        remittance = claims.load(remittance_id, Remittance)
        if remittance.is_posted:
            return _report(remittance, posted_now=False)
        parsed = parse_835(remittance.raw_835)
        touched, posted, unmatched = _plan_posting(claims, remittance, parsed)
        remittance.record_posting(posted, unmatched, posted_at=claims.clock.now())
        try:
            result = claims.commit(remittance, *touched.values())
        except ConcurrentUpdate:
            continue  # a claim (or the remittance) moved on: plan again from what is stored
        return _report(remittance, posted_now=True, result=result)
    raise PostingConflict(f"remittance {remittance_id}: claims kept changing while posting")
