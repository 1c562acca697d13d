"""Figure 7's claims, made before any clock: Medicare patients, a delivered order for each (a
hospital bed rented, a walker bought) and the order's drafted claims, built through the domain
model and saved in large batches."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from uuid import UUID

from eventsourcing.persistence import Tracking

from application.claims import lines_to_bill
from application.patients import account_number_for
from domain.claim import Claim
from domain.context import EventContext, bound_context
from domain.order import Order
from domain.order_values import (
    LineBilling,
    LineSerial,
    OrderingPractitioner,
    OrderLine,
    ProofOfDelivery,
    SignerRelationship,
)
from domain.patient import Patient
from domain.patient_values import Address, CoverageRank, Demographics, RelationshipToSubscriber, Sex
from interfaces.bootstrap import Aries

MEDICARE = "MCR-DMEB"
MBI = "1EG4TE5MK73"
PRACTITIONER = OrderingPractitioner(name="Dr Ada Lovelace", npi="1234567893")
DEMOGRAPHICS = Demographics(
    first_name="Ana",
    last_name="Rivera",
    date_of_birth=date(1948, 3, 9),
    sex=Sex.FEMALE,
    address=Address("12 Elm St", None, "Springfield", "IL", "62701"),
    phone=None,
)
PER_SAVE = 200  # orders per save(): large transactions, none of them megabytes


def delivered(delivered_on: date, drafted_on: date) -> tuple[Patient, Order, list[Claim]]:
    """A Medicare patient, a delivered order for them and its claims, in memory."""
    patient_id, coverage_id = uuid.uuid4(), uuid.uuid4()
    patient = Patient.register(
        account_number=account_number_for(patient_id),
        demographics=DEMOGRAPHICS,
        as_of=delivered_on,
        mbi=MBI,
        patient_id=patient_id,
    )
    patient.add_coverage(
        coverage_id=coverage_id,
        payer_id=MEDICARE,
        payer_name="Medicare DME MAC Jurisdiction B",
        member_id=MBI,
        group_number=None,
        rank=CoverageRank.PRIMARY,
        relationship_to_subscriber=RelationshipToSubscriber.SELF,
        effective_from=delivered_on - timedelta(days=365),
    )
    bed, walker = uuid.uuid4(), uuid.uuid4()
    order = Order.intake(
        patient_id=patient_id,
        practitioner=PRACTITIONER,
        diagnoses=["G47.33", "E11.9"],
        order_date=delivered_on,
        lines=[
            OrderLine(bed, "E0260", 1, LineBilling.RENTAL, None),
            OrderLine(walker, "E0143", 1, LineBilling.PURCHASE_NEW, None),
        ],
    )
    order.verify_coverage(
        coverage_id=coverage_id,
        payer_id=MEDICARE,
        verified_on=delivered_on,
        eligible=True,
        same_or_similar_found=False,
    )
    order.record_swo(delivered_on, PRACTITIONER.npi)
    order.deliver(
        delivered_on,
        ProofOfDelivery(
            signer_name="Ana Rivera",
            relationship=SignerRelationship.PATIENT,
            signed_on=delivered_on,
            serial_numbers=(LineSerial(bed, "BED-0001"),),
        ),
    )
    # As OrderApplication.deliver does: month 1 of the rental is due on the date of service.
    order.open_due_rental_months(delivered_on)
    # As ClaimApplication's process manager drafts a delivered order's claims (no UTN here).
    claims = [
        Claim.draft(
            order_id=order.id,
            patient_id=patient_id,
            payer_id=MEDICARE,
            coverage_id=coverage_id,
            billing_month=month,
            ordering_npi=order.ordering_npi,
            diagnoses=list(order.diagnoses),
            lines=lines,
            swo_on_file=order.swo_on_file,
            pod_on_file=order.pod is not None,
            drafted_on=drafted_on,
        )
        for month, lines in sorted(lines_to_bill(order).items())
    ]
    return patient, order, claims


def ready_claims(aries: Aries, tenant: str, count: int) -> list[UUID]:
    """At least `count` drafted claims of `tenant` (one per delivered order); their ids."""
    today = aries.claims.clock.today()
    delivered_on = today - timedelta(days=3)
    claim_ids: list[UUID] = []
    intake = EventContext(tenant_id=tenant, actor_id="bench-intake", actor_role="intake")
    with bound_context(intake):
        while len(claim_ids) < count:
            built = [
                delivered(delivered_on, today)
                for _ in range(min(PER_SAVE, count - len(claim_ids)))
            ]
            aries.patients.save(*(patient for patient, _, _ in built))
            aries.orders.save(*(order for _, order, _ in built))
            drafted = [claim for _, _, claims in built for claim in claims]
            aries.claims.save(*drafted)
            claim_ids.extend(claim.id for claim in drafted)
    return claim_ids


def skip_drafted_orders(aries: Aries) -> None:
    """Record the claims process manager as past every order so far: their claims are drafted
    already, so a worker starting now has nothing to catch up on."""
    head = aries.orders.recorder.max_notification_id()
    if head:
        aries.claims.recorder.insert_tracking(Tracking(aries.orders.name, head))
