"""A supplier's day, built through the real applications: a Medicare patient, an order, its
documents and delivery. Shared by integration tests (not a test module)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from uuid import UUID, uuid4

from domain.order_values import (
    LineBilling,
    LineSerial,
    OrderingPractitioner,
    OrderLine,
    ProofOfDelivery,
    SignerRelationship,
)
from domain.patient_values import Address, CoverageRank, Demographics, RelationshipToSubscriber, Sex
from interfaces.cli.demo import fake_mbi

MEDICARE = "MCR-DMEB"
PRACTITIONER = OrderingPractitioner(name="Dr Ada Lovelace", npi="1234567893")


def new_mbi() -> str:
    """A well-formed MBI no other test patient has (MBIs are unique per tenant)."""
    return fake_mbi(random.SystemRandom())


def demographics(last_name: str = "Rivera") -> Demographics:
    return Demographics(
        first_name="Ana",
        last_name=last_name,
        date_of_birth=date(1948, 3, 9),
        sex=Sex.FEMALE,
        address=Address("12 Elm St", None, "Springfield", "IL", "62701"),
        phone=None,
    )


@dataclass
class DeliveredOrder:
    patient_id: UUID
    coverage_id: UUID
    order_id: UUID
    bed_line_id: UUID
    walker_line_id: UUID


def medicare_patient(
    aries, effective_from: date = date(2025, 1, 1), mbi: str | None = None
) -> tuple[UUID, UUID]:
    """A Medicare patient with primary coverage; `mbi` defaults to a new one."""
    mbi = mbi or new_mbi()
    patient = aries.patients.register_patient(demographics(), mbi=mbi)
    coverage_id = uuid4()
    aries.patients.add_coverage(
        patient.id,
        coverage_id=coverage_id,
        payer_id=MEDICARE,
        payer_name="Medicare DME MAC Jurisdiction B",
        member_id=mbi,
        group_number=None,
        rank=CoverageRank.PRIMARY,
        relationship_to_subscriber=RelationshipToSubscriber.SELF,
        effective_from=effective_from,
    )
    return patient.id, coverage_id


def place_bed_and_walker(aries, patient_id: UUID, order_date: date) -> tuple[UUID, UUID, UUID]:
    bed, walker = uuid4(), uuid4()
    placed = aries.orders.place_order(
        patient_id=patient_id,
        practitioner=PRACTITIONER,
        diagnoses=["G47.33", "E11.9"],
        order_date=order_date,
        lines=[
            OrderLine(bed, "E0260", 1, LineBilling.RENTAL, None),
            OrderLine(walker, "E0143", 1, LineBilling.PURCHASE_NEW, None),
        ],
    )
    return placed.id, bed, walker


def delivered_bed_and_walker(
    aries, delivered_on: date, *, swo: bool = True, mbi: str | None = None
) -> DeliveredOrder:
    """Delivered with its SWO on file, or (`swo=False`) without one: an SWO may follow the
    delivery of an item not on the WOPD list. `mbi` defaults to a new one."""
    patient_id, coverage_id = medicare_patient(aries, mbi=mbi)
    order_id, bed, walker = place_bed_and_walker(aries, patient_id, delivered_on)
    aries.orders.verify_coverage(
        order_id,
        coverage_id=coverage_id,
        verified_on=delivered_on,
        eligible=True,
        same_or_similar_found=False,
    )
    if swo:
        aries.orders.record_documents(order_id, swo_signed_on=delivered_on)
    aries.orders.deliver(
        order_id,
        delivered_on=delivered_on,
        pod=ProofOfDelivery(
            signer_name="Ana Rivera",
            relationship=SignerRelationship.PATIENT,
            signed_on=delivered_on,
            serial_numbers=(LineSerial(bed, "BED-0001"),),
        ),
    )
    return DeliveredOrder(patient_id, coverage_id, order_id, bed, walker)
