"""A drafted claim's rows in read.claims, read.claim_lines and read.claim_ledger_entries, as the
claims projection builds them from values in column order (`values_maker`), are the claim's
header facts (`claim_header`, which the work queue reads too), its charges and its money."""

from __future__ import annotations

from decimal import Decimal

from projections import registry
from projections.claim_facts import claim_header
from projections.claims_tables import claim_ledger_entries, claim_lines, claims
from projections.folding import Rows
from tests.unit.claim_builders import PAYER, drafted

POSITION = 41


def applied(event):
    projection = registry.get("claims")
    rows = Rows(projection.tables, "claims", projection.read_columns, [event.originator_id])
    rows.position = POSITION
    projection.drafted(rows, event)
    return rows


def test_a_drafted_claims_rows_are_its_facts_its_charges_and_its_money():
    claim = drafted()
    (event,) = claim.collect_events()
    rows = applied(event)

    charges = [line.charge for line in event.lines]
    assert rows[claims].get(claim.id) == {
        **claim_header(event),
        "current_payer_id": PAYER,
        "line_count": 2,
        "charge_total": sum(charges),
        "paid": Decimal("0.00"),
        "adjusted": Decimal("0.00"),
        "patient_responsibility": Decimal("0.00"),
        "patient_paid": Decimal("0.00"),
        "written_off": Decimal("0.00"),
        "balance": sum(charges),
        "first_paid_on": None,
        "days_to_payment": None,
        "drafted_at": event.timestamp,
        "updated_at": event.timestamp,
        "version": event.originator_version,
        "position": POSITION,
    }
    lines = sorted(rows[claim_lines].group("claim_id", claim.id), key=lambda r: r["line_number"])
    assert lines == [
        {
            "line_id": line.line_id,
            "claim_id": claim.id,
            "tenant_id": event.tenant_id,
            "line_number": number,
            "order_line_id": line.order_line_id,
            "hcpcs": line.hcpcs,
            "modifiers": list(line.modifiers),
            "units": line.units,
            "billing": line.billing,
            "rental_month": line.rental_month,
            "from_date": line.from_date,
            "to_date": line.to_date,
            "charge": line.charge,
            "expected_allowed": line.expected_allowed,
            "allowed": None,
            "paid": Decimal("0.00"),
            "balance": line.charge,
            "current_payer_id": PAYER,
        }
        for number, line in enumerate(event.lines, start=1)
    ]
    entries = rows[claim_ledger_entries].group("claim_id", claim.id)
    assert [
        (e["entry_index"], e["line_id"], e["kind"], e["party"], e["amount"]) for e in entries
    ] == [
        (index, entry.line_id, "charge", PAYER, entry.amount)
        for index, entry in enumerate(event.entries)
    ]
    assert {(e["event_type"], e["version"], e["position"], e["recorded_at"]) for e in entries} == {
        ("Drafted", event.originator_version, POSITION, event.timestamp)
    }
