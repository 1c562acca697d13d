"""Builders for Claim tests: a claim at each step of its lifecycle, with known amounts.

The standard claim bills two rentals to Medicare for March 2025:
- a hospital bed E0260 in rental month 4: charge 140.00, expected allowed 105.00 (75%);
- a standard wheelchair K0001 in rental month 2: charge 40.00, expected allowed 40.00.
Paying it as Medicare does (80% of allowed, 20% coinsurance to the patient, the rest
contractual) leaves 29.00 of patient responsibility.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID, uuid5

from domain.claim import Claim
from domain.claim_values import Adjustment, AdjustmentGroup, LineAdjudication, LineToBill

PAYER = "MCR-DMEB"
SECONDARY = "COM-AETNA"
NPI = "1234567893"
SERVICE = date(2025, 3, 10)
SCRUB_DAY = date(2025, 3, 12)
PAID_ON = date(2025, 4, 1)
NS = UUID("5b7e9d7c-7a55-4d0b-9b3c-2d1b6f0a7c11")
ORDER = uuid5(NS, "order")
PATIENT_ID = uuid5(NS, "patient")
COVERAGE = uuid5(NS, "coverage")
SECONDARY_COVERAGE = uuid5(NS, "secondary-coverage")
BED_LINE = uuid5(NS, "order-line-bed")
CHAIR_LINE = uuid5(NS, "order-line-chair")


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2025, 3, day, hour, tzinfo=UTC)


def bed(month: int = 4, from_date: date = SERVICE, **kwargs) -> LineToBill:
    return LineToBill(
        order_line_id=kwargs.pop("order_line_id", BED_LINE),
        hcpcs="E0260",
        billing="rental",
        rental_month=month,
        from_date=from_date,
        to_date=kwargs.pop("to_date", date(2025, 4, 9)),
        serial_number="BED-123",
        **kwargs,
    )


def chair(month: int = 2, from_date: date = SERVICE, **kwargs) -> LineToBill:
    return LineToBill(
        order_line_id=kwargs.pop("order_line_id", CHAIR_LINE),
        hcpcs="K0001",
        billing="rental",
        rental_month=month,
        from_date=from_date,
        to_date=kwargs.pop("to_date", date(2025, 4, 9)),
        kx_documented=kwargs.pop("kx_documented", True),
        **kwargs,
    )


def drafted(**overrides) -> Claim:
    arguments = dict(
        order_id=ORDER,
        patient_id=PATIENT_ID,
        payer_id=PAYER,
        coverage_id=COVERAGE,
        billing_month="2025-03",
        ordering_npi=NPI,
        diagnoses=["G47.33", "M62.81"],
        lines=[bed(), chair(diagnosis_pointers=(2, 1))],
        swo_on_file=True,
        pod_on_file=True,
        drafted_on=SERVICE,
    )
    arguments.update(overrides)
    return Claim.draft(**arguments)


def scrubbed(**overrides) -> Claim:
    claim = drafted(**overrides)
    claim.scrub(SCRUB_DAY)
    return claim


def submitted(**overrides) -> Claim:
    claim = scrubbed(**overrides)
    claim.request_submission(claim.submission_count + 1)
    claim.record_submission("000000101", at(12))
    return claim


def accepted(**overrides) -> Claim:
    claim = submitted(**overrides)
    claim.acknowledge(True, [], at(13))
    return claim


def medicare_payment(claim: Claim) -> list[LineAdjudication]:
    """Each line paid at 80% of its expected allowed; 20% PR-2; the rest CO-45."""
    result = []
    for line in claim.lines:
        allowed = line.expected_allowed
        paid = (allowed * Decimal("0.80")).quantize(Decimal("0.01"))
        adjustments = [Adjustment(AdjustmentGroup.PR, "2", allowed - paid)]
        if line.charge != allowed:
            adjustments.insert(0, Adjustment(AdjustmentGroup.CO, "45", line.charge - allowed))
        result.append(LineAdjudication(line.line_id, allowed, paid, tuple(adjustments)))
    return result


def denial(claim: Claim, carc: str = "50", rarcs: tuple[str, ...] = ("N115",)):
    return [
        LineAdjudication(
            line.line_id,
            Decimal("0.00"),
            Decimal("0.00"),
            (Adjustment(AdjustmentGroup.CO, carc, line.charge),),
            rarcs,
        )
        for line in claim.lines
    ]


def paid(**overrides) -> Claim:
    claim = accepted(**overrides)
    claim.adjudicate("TRN-1", "ICN-1", "1", medicare_payment(claim), PAID_ON)
    return claim


def denied(carc: str = "50", **overrides) -> Claim:
    claim = accepted(**overrides)
    claim.adjudicate("TRN-1", "ICN-1", "4", denial(claim, carc), PAID_ON)
    return claim
