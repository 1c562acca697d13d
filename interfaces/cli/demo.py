"""Demo data for `aries seed` and `aries dev`: users for every role, the company with two
locations and its payers (`interfaces.cli.demo_setup`), and a few dozen synthetic patients
(Faker) with coverage and orders at every stage, spread over both locations. Ids are derived
from the demo seed, so running it again adds nothing twice."""

from __future__ import annotations

import random
from datetime import date, timedelta
from uuid import NAMESPACE_URL, UUID, uuid5

from faker import Faker
from rich.console import Console
from rich.progress import Progress

from application.billing import run_billing
from domain.context import EventContext, bound_context
from domain.errors import NotFound
from domain.identity import Role
from domain.order_values import (
    LineBilling,
    LineSerial,
    OrderingPractitioner,
    OrderLine,
    ProofOfDelivery,
    SignerRelationship,
)
from domain.patient_values import Address, CoverageRank, Demographics, RelationshipToSubscriber, Sex
from interfaces.bootstrap import Aries
from interfaces.cli.demo_inventory import demo_items, seed_stock, stock_bulk, stock_serials
from interfaces.cli.demo_setup import seed_setup

Stock = tuple[list[UUID], dict[str, UUID]]  # the demo locations, and item ids by HCPCS
DEMO_TENANT = "demo"
DEMO_USER = "demo-admin"
DEMO_LOGIN = f"{DEMO_TENANT}/{DEMO_USER}"  # login names name the tenant
DEMO_PASSWORD = "purple otter lemonade"  # noqa: S105 (printed for newcomers; demo tenant only)
DEMO_NAMESPACE = uuid5(NAMESPACE_URL, "https://aries.dev/demo")
DEMO_STATES = ("IL", "OH", "TX", "CA", "NY", "FL", "PA", "GA", "WA", "MN")
MBI_LETTERS = "ACDEFGHJKMNPQRTUVWXY"  # no S, L, O, I, B, Z
PRACTITIONERS = (
    OrderingPractitioner(name="Dr Ada Lovelace", npi="1234567893"),
    OrderingPractitioner(name="Dr Grace Hopper", npi="1987654328"),
)
# (lines, diagnoses) of the orders demo patients get, in turn.
ORDER_KINDS = (
    ((("E0260", LineBilling.RENTAL), ("E0143", LineBilling.PURCHASE_NEW)), ("G47.33", "E11.9")),
    ((("E0601", LineBilling.RENTAL), ("A7030", LineBilling.PURCHASE_NEW)), ("G47.33",)),
    ((("E1390", LineBilling.RENTAL),), ("J44.1",)),
    ((("K0001", LineBilling.RENTAL),), ("M62.81",)),
)


def demo_id(kind: str, index: int) -> UUID:
    return uuid5(DEMO_NAMESPACE, f"{kind}-{index}")


def fake_mbi(rng: random.Random) -> str:
    digit, letter = "0123456789", MBI_LETTERS
    both = letter + digit
    pattern = [
        "123456789", letter, both, digit, letter, both, digit, letter, letter, digit, digit,
    ]
    return "".join(rng.choice(chars) for chars in pattern)


def seed_demo(aries: Aries, *, patients: int = 25, console: Console | None = None) -> None:
    console = console or Console(stderr=True)
    context = EventContext(tenant_id=DEMO_TENANT, actor_id="seed", actor_role="admin")
    with bound_context(context):
        _seed_users(aries)
        locations = [demo_id("location", n) for n in range(2)]
        seed_setup(aries.setup, aries.settings, locations)
        _seed_catalogue(aries)
        fake = Faker("en_US")
        fake.seed_instance(20261122)
        rng = random.Random(20261122)  # noqa: S311 (synthetic data, not security)
        today = aries.patients.clock.today()
        stock = locations, demo_items(aries, _catalogued())
        seed_stock(aries, *stock, today)
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("seeding demo patients", total=patients)
            for index in range(patients):
                _seed_patient(aries, index, fake, rng, today, stock)
                progress.advance(task)
        report = run_billing(aries.orders, aries.claims, as_of=today)
    console.print(
        f"demo data: {patients} patients; billing run as of {today}: "
        f"{report.months_opened} rental months opened, {report.claims_drafted} claims drafted"
    )


# (HCPCS, manufacturer, model) of the demo equipment catalogue: category and serialisation
# default from the HCPCS reference.
DEMO_ITEMS = (
    ("E0260", "Invacare", "G5510 semi-electric bed"),
    ("E1390", "Respironics", "EverFlo 5 L concentrator"),
    ("E0601", "ResMed", "AirSense 11 AutoSet"),
    ("K0823", "Pride Mobility", "Jazzy Select Elite"),
    ("E0143", "Drive Medical", "10210-1 folding walker"),
    ("A7030", "ResMed", "AirFit F30 full face mask"),
)


def _catalogued() -> dict[str, UUID]:
    """HCPCS -> the demo catalogue's item for it."""
    return {hcpcs: demo_id("equipment-item", n) for n, (hcpcs, _, _) in enumerate(DEMO_ITEMS)}


def _seed_catalogue(aries: Aries) -> None:
    for index, (hcpcs, manufacturer, model) in enumerate(DEMO_ITEMS):
        item_id = demo_id("equipment-item", index)
        if not aries.catalogue.exists(item_id):  # else: an earlier run's
            aries.catalogue.add_item(
                hcpcs=hcpcs, manufacturer=manufacturer, model=model, item_id=item_id
            )


def _seed_users(aries: Aries) -> None:
    for role in Role:
        username = DEMO_USER if role is Role.ADMIN else f"demo-{role.value}"
        if aries.identity.find_user(DEMO_TENANT, username) is None:  # else: an earlier run's
            aries.identity.create_user(username, DEMO_PASSWORD, role, DEMO_TENANT)


def _seed_patient(
    aries: Aries, index: int, fake: Faker, rng: random.Random, today: date, stock: Stock
) -> None:
    patient_id = demo_id("patient", index)
    try:
        aries.patients.get_patient(patient_id)
        return
    except NotFound:
        pass
    medicare = index % 3 != 2
    demographics = Demographics(
        first_name=fake.first_name(),
        last_name=fake.last_name(),
        date_of_birth=fake.date_between(date(1930, 1, 1), date(1960, 12, 31)),
        sex=rng.choice([Sex.FEMALE, Sex.MALE]),
        address=Address(
            fake.street_address(),
            None,
            fake.city(),
            rng.choice(DEMO_STATES),
            fake.zipcode(),
        ),
        phone=None,
    )
    mbi = fake_mbi(rng) if medicare else None
    aries.patients.register_patient(demographics, mbi=mbi, patient_id=patient_id)
    coverage_id = demo_id("coverage", index)
    aries.patients.add_coverage(
        patient_id,
        coverage_id=coverage_id,
        payer_id="MCR-DMEB" if medicare else "COM-AETNA",
        payer_name="Medicare DME MAC Jurisdiction B" if medicare else "Aetna",
        member_id=mbi or f"W{rng.randrange(10**8, 10**9)}",
        group_number=None if medicare else f"G{rng.randrange(1000, 9999)}",
        rank=CoverageRank.PRIMARY,
        relationship_to_subscriber=RelationshipToSubscriber.SELF,
        effective_from=date(today.year - 2, 1, 1),
    )
    aries.patients.add_note(
        patient_id,
        author_id="demo-clinician",
        subjective="Reports daytime sleepiness and difficulty getting out of bed.",
        objective="Vitals: BP 132/84, HR 78, SpO2 93% on room air.\nLabs: A1c 7.2%.",
        assessment="Obstructive sleep apnea; limited mobility.",
        plan="Start equipment per order; follow up in 30 days.",
    )
    _seed_order(aries, index, patient_id, coverage_id, rng, today, stock)


def _seed_order(
    aries: Aries,
    index: int,
    patient_id: UUID,
    coverage_id: UUID,
    rng: random.Random,
    today: date,
    stock: Stock,
) -> None:
    codes, diagnoses = ORDER_KINDS[index % len(ORDER_KINDS)]
    order_id = demo_id("order", index)
    lines = [
        OrderLine(demo_id(f"line-{n}", index), code, 1, billing, _flow(code), _group(code))
        for n, (code, billing) in enumerate(codes)
    ]
    order_date = today - timedelta(days=rng.randrange(5, 300))
    locations, items = stock
    location_id = locations[index % len(locations)]  # orders alternate between locations
    aries.orders.place_order(
        patient_id=patient_id,
        practitioner=PRACTITIONERS[index % 2],
        diagnoses=list(diagnoses),
        order_date=order_date,
        lines=lines,
        order_id=order_id,
        location_id=location_id,  # the demo's orders are spread over its two branches
    )
    if index % 5 == 4:
        return  # left at intake: work for the intake team
    aries.orders.verify_coverage(
        order_id,
        coverage_id=coverage_id,
        verified_on=order_date,
        eligible=True,
        same_or_similar_found=False,
    )
    delivered_on = order_date + timedelta(days=2)
    # Items on CMS's Required List (oxygen from 13 April 2026) need the WOPD before delivery and
    # a face-to-face encounter in the 6 months before it.
    listed = any(_listed(line.hcpcs, delivered_on) for line in lines)
    aries.orders.record_documents(
        order_id,
        swo_signed_on=order_date,
        wopd_signed_on=order_date if listed else None,
        face_to_face_on=order_date - timedelta(days=14) if listed else None,
    )
    serials = tuple(
        LineSerial(line.line_id, f"SN-{index:04d}-{n}")
        for n, line in enumerate(lines)
        if _serialized(line.hcpcs)
    )
    for line, serial in zip((ln for ln in lines if _serialized(ln.hcpcs)), serials, strict=True):
        stock_serials(aries, location_id, items[line.hcpcs], [serial.serial], order_date)
    for line in lines:  # bulk units too: the delivery draws them from the branch's shelf
        if not _serialized(line.hcpcs) and line.hcpcs in items:
            stock_bulk(aries, location_id, items[line.hcpcs], order_id, line, order_date)
    aries.orders.deliver(
        order_id,
        delivered_on=delivered_on,
        pod=ProofOfDelivery(
            signer_name="Patient",
            relationship=SignerRelationship.PATIENT,
            signed_on=delivered_on,
            serial_numbers=serials,
        ),
    )
    returned_on = delivered_on + timedelta(days=45)
    if index % 6 == 1 and returned_on < today:  # some come back: picked up, cleaned, restocked
        aries.orders.pick_up(order_id, picked_up_on=returned_on, reason="no longer needed")
        for serial in serials:
            aries.orders.service_serial(serial.serial, service="cleaning", on=returned_on)
            aries.orders.restock_serial(serial.serial, location_id=location_id, on=returned_on)


def _listed(code: str, on: date) -> bool:
    from domain.required_list import on_required_list

    return on_required_list(code, on)


def _serialized(code: str) -> bool:
    from domain.catalogue import item

    return item(code).serialized


def _group(code: str) -> int | None:
    """Demo oxygen patients qualify under LCD L33797 Group I (their claims carry N1)."""
    from domain.catalogue import PaymentCategory, item

    return 1 if item(code).payment_category is PaymentCategory.OXYGEN else None


def _flow(code: str):
    from decimal import Decimal

    from domain.catalogue import PaymentCategory, item

    return Decimal("2") if item(code).payment_category is PaymentCategory.OXYGEN else None
