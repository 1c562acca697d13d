"""A claim's non-money facts (status, payers, submission, acknowledgement, determination, appeal,
deadlines) as pure functions of the facts as they were and an event, mirroring the Claim's
`@event` bodies. read.claims (`projections/claims.py`) and the work queue's memory of each
claim (`projections/work_queue.py`) both follow them.

Deadlines are dates computed from event dates and the payer reference data (`domain.pricing`),
never from today's date: whether a deadline is near is for queries to judge.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from types import MappingProxyType
from typing import Any

from domain import pricing
from domain.claim import Claim
from domain.claim_adjudication import CROSSOVER_STATUS_CODES, REVERSAL_STATUS_CODE
from domain.claim_appeals import (
    NOT_APPEALABLE_CARCS,
    RECONSIDERATION_DAYS,
    REDETERMINATION_DAYS,
    appeal_window_closes,
)

ADJUDICATED = frozenset({"paid", "partially_paid", "denied"})


def timely_filing_deadline(service_from: date, payer_id: str, event: Any = None) -> date:
    """The deadline the event recorded (from the payer record's limit, decision 017), or for
    an event from before deadlines were recorded, the packaged payer list's."""
    recorded = getattr(event, "timely_filing_deadline", None)
    return (
        recorded if recorded is not None else pricing.payer(payer_id).filing_deadline(service_from)
    )


def appeal_deadline(facts: Mapping[str, Any]) -> date | None:
    """Last day to file the next appeal, while the Claim would accept one; else None."""
    decided_on = facts["adjudicated_on"]
    if facts["status"] not in ADJUDICATED or decided_on is None:
        return None
    if NOT_APPEALABLE_CARCS.intersection(facts["last_determination_carcs"]):
        return None
    if facts["appeal_level"] is None:
        return appeal_window_closes(decided_on, REDETERMINATION_DAYS)
    if facts["appeal_level"] == "redetermination" and facts["appeal_status"] == "unfavourable":
        return appeal_window_closes(facts["appeal_decided_on"], RECONSIDERATION_DAYS)
    return None


SETTLED = {"unconfirmed_interchange_control_number": None, "transmission_unconfirmed_at": None}


# What every claim just drafted starts with, whatever its event. Hashable values only: the claims
# projection builds a drafted claim's row with them as constants (`folding.values_maker`).
DRAFTED: Mapping[str, Any] = MappingProxyType(
    {
        "secondary_payer_id": None,
        "status": "draft",
        "scrubbed_on": None,
        "filed": False,
        "submission_count": 0,
        "interchange_control_number": None,
        **SETTLED,
        "first_submitted_at": None,
        "submitted_at": None,
        "acknowledged_at": None,
        "accepted_at": None,
        "rejected_at": None,
        "payer_claim_control_number": None,
        "adjudication_outcome": None,
        "adjudicated_on": None,
        "appeal_level": None,
        "appeal_status": None,
        "appeal_filed_on": None,
        "appeal_decided_on": None,
        "appeal_deadline": None,
        "transferred_on": None,
        "voided_on": None,
        "replaced_by_claim_id": None,
        "closed_on": None,
        "crossed_over_on": None,
        "payer_status_category": None,
        "payer_status_code": None,
        "payer_status_at": None,
    }
)


def drafted_facts(event: Claim.Drafted) -> dict[str, Any]:
    """The facts of a just drafted claim that its event gives (the others: `DRAFTED`)."""
    service_from = min(line.from_date for line in event.lines)
    return {
        "claim_id": event.originator_id,
        "tenant_id": event.tenant_id,
        "order_id": event.order_id,
        "patient_id": event.patient_id,
        "patient_control_number": event.patient_control_number,
        "billing_month": event.billing_month,
        "frequency_code": event.frequency_code,
        "replaces_claim_id": event.replaces_claim_id,
        "payer_id": event.payer_id,
        "billed_payer_id": event.payer_id,
        "service_from": service_from,
        "service_to": max(line.to_date for line in event.lines),
        "drafted_on": event.drafted_on,
        "timely_filing_deadline": timely_filing_deadline(service_from, event.payer_id, event),
        # Older Drafted events carry none: their claims count in the supplier's time zone.
        "location_id": getattr(event, "location_id", None),
        "rejection_reasons": [],
        "last_determination_carcs": [],
        "denial_carcs": [],
    }


def claim_header(event: Claim.Drafted) -> dict[str, Any]:
    """The facts of a just drafted claim."""
    return {**drafted_facts(event), **DRAFTED}


def header_changes(facts: Mapping[str, Any], event: Claim.Event) -> dict[str, Any]:
    """The facts `event` changes on a claim whose facts were `facts` (a row holding at least
    the columns of read.work_queue_claims)."""
    changes: dict[str, Any]
    match event:
        case Claim.Corrected():
            service_from = min(line.from_date for line in event.lines)
            changes = {
                "status": "draft",
                "scrubbed_on": None,
                "service_from": service_from,
                "service_to": max(line.to_date for line in event.lines),
                "timely_filing_deadline": timely_filing_deadline(
                    service_from, facts["billed_payer_id"], event
                ),
            }
        case Claim.Scrubbed():
            changes = {"status": "scrubbed", "scrubbed_on": event.as_of}
        case Claim.SubmissionRequested():
            changes = {
                "status": "submission_requested",
                "submission_count": event.submission_number,
            }
        case Claim.TransmissionUnconfirmed():
            changes = {
                "status": "transmission_unconfirmed",
                "unconfirmed_interchange_control_number": event.interchange_control_number,
                "transmission_unconfirmed_at": event.at,
            }
        case Claim.TransmissionNotReceived():
            changes = {"status": "scrubbed", **SETTLED}
        case Claim.Submitted():
            changes = {
                **SETTLED,
                "status": "submitted",
                "interchange_control_number": event.interchange_control_number,
                "submitted_at": event.submitted_at,
                "first_submitted_at": facts.get("first_submitted_at") or event.submitted_at,
            }
        case Claim.Accepted():
            changes = {
                "status": "accepted",
                "filed": True,
                "acknowledged_at": event.at,
                "accepted_at": event.at,
                "rejection_reasons": [],
            }
        case Claim.Rejected():
            changes = {
                "status": "rejected",
                "acknowledged_at": event.at,
                "rejected_at": event.at,
                "rejection_reasons": list(event.reasons),
            }
        case Claim.Adjudicated():
            changes = _adjudicated(facts, event)
        case Claim.TransferredToSecondary():
            changes = {
                "status": "awaiting_secondary",
                "secondary_payer_id": event.payer_id,
                "billed_payer_id": event.payer_id,
                "transferred_on": event.on,
                "timely_filing_deadline": timely_filing_deadline(
                    facts["service_from"], event.payer_id, event
                ),
            }
        case Claim.PatientResponsibilityAssigned():
            changes = {"status": "patient_responsibility"}
        case Claim.Appealed():
            changes = {
                "status": "appealed",
                "appeal_level": event.level.name.lower(),
                "appeal_status": "open",
                "appeal_filed_on": event.filed_on,
                "appeal_decided_on": None,
            }
        case Claim.AppealDecided():
            changes = {
                "status": facts["adjudication_outcome"] or "denied",
                "appeal_status": "favourable" if event.favourable else "unfavourable",
                "appeal_decided_on": event.decided_on,
            }
        case Claim.Voided():
            changes = {
                "status": "voided",
                "frequency_code": event.frequency_code,
                "voided_on": event.on,
            }
        case Claim.Replaced():
            changes = {"status": "replaced", "replaced_by_claim_id": event.replacement_claim_id}
        case Claim.Closed():
            changes = {"status": "closed", "closed_on": event.on}
        case Claim.ClaimStatusReceived():
            changes = {
                "payer_status_category": event.category,
                "payer_status_code": event.status_code,
                "payer_status_at": event.checked_at,
            }
        case _:  # PatientPaymentRecorded, WrittenOff: money only; TransmissionPrepared
            changes = {}
    changes["appeal_deadline"] = appeal_deadline({**facts, **changes})
    return changes


def _adjudicated(facts: Mapping[str, Any], event: Claim.Adjudicated) -> dict[str, Any]:
    if facts["status"] == "appealed":
        status = "appealed"
    elif facts["replaced_by_claim_id"] is not None:
        status = "replaced"
    elif facts["voided_on"] is not None:
        status = "voided"
    else:
        status = event.outcome.value
    changes: dict[str, Any] = {"status": status, "filed": True, "closed_on": None}
    if event.status_code in CROSSOVER_STATUS_CODES:
        changes["crossed_over_on"] = event.paid_on
    if event.status_code != REVERSAL_STATUS_CODE:
        changes.update(
            payer_claim_control_number=event.payer_claim_control_number,
            adjudication_outcome=event.outcome.value,
            adjudicated_on=event.paid_on,
            last_determination_carcs=sorted(
                {a.carc for line in event.lines for a in line.adjustments}
            ),
            denial_carcs=sorted(
                {a.carc for line in event.lines if line.paid == 0 for a in line.adjustments}
            ),
        )
    return changes
