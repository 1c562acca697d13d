"""The 837P claim assembled from the aggregates (pure): the claim as billed now, its patient's
coverage and subscriber, the ordering practitioner, and for a secondary payer the primary's
adjudication (loops 2320/2330/2430, 005010X222A1) folded from the claim's ledger. The writer
(`application.x12.claim837`) knows nothing of the aggregates; this module is the bridge.
"""

from __future__ import annotations

import re
from decimal import Decimal
from uuid import UUID

from application.x12.claim837 import (
    CHILD,
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
    ServiceLine,
    Subscriber,
)
from domain import pricing
from domain.claim import Claim
from domain.errors import RuleViolated
from domain.order import Order
from domain.patient import Patient
from domain.patient_values import Address, RelationshipToSubscriber, Sex

FILING_INDICATOR = {
    pricing.PayerKind.MEDICARE: "MB",
    pricing.PayerKind.MEDICAID: "MC",
    pricing.PayerKind.COMMERCIAL: "CI",
}
SEX_CODE = {Sex.FEMALE: "F", Sex.MALE: "M", Sex.UNKNOWN: "U"}
_TITLES = re.compile(r"^(dr|mr|mrs|ms|prof)\.?\s+", re.IGNORECASE)


def claim_document(claim: Claim, patient: Patient, order: Order) -> ClaimDocument:
    """The 837P claim for `claim` as billed now (`patient` and `order` are its own);
    RuleViolated when it cannot be rendered."""
    payer = _payer(claim.billed_payer_id)
    subscriber = subscriber_of(patient, claim.billed_coverage_id)
    secondary = claim.billed_payer_id != claim.payer_id
    prior = (
        PriorPayer(
            payer=_payer(claim.payer_id),
            subscriber=subscriber_of(patient, claim.coverage_id),
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
    )


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


def subscriber_of(patient: Patient, coverage_id: UUID) -> Subscriber:
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
