"""Reading 835s: what pyx12 accepts and how payments, adjustments and remarks come out."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from application.x12.remittance835 import InvalidRemittance, parse_835, validate_835
from domain.claim_values import Adjustment, AdjustmentGroup
from tests.unit.remittance_835 import Clp, Svc, build_835

D = Decimal
PAID_PCN = "0A1B2C3D4E5F60718293"
DENIED_PCN = "FFEEDDCCBBAA99887766"
BED_LINE = "0123456789abcdef0123456789abcdef"


def paid_and_denied() -> str:
    return build_835(
        [
            Clp(
                PAID_PCN, "1", "25074000123401",
                [
                    Svc("E0260", ("RR", "KH"), D("250.00"), D("150.40"),
                        [("CO", "45", D("62.00")), ("PR", "2", D("37.60"))],
                        control=BED_LINE, allowed=D("188.00")),
                    Svc("E0143", ("NU",), D("120.00"), D("0.00"),
                        [("CO", "4", D("120.00"))], rarcs=["M114", "N565"]),
                ],
            ),
            Clp(
                DENIED_PCN, "4", "25074000123402",
                [Svc("E0601", ("RR", "KH", "KX"), D("180.00"), D("0.00"),
                     [("CO", "50", D("180.00"))], rarcs=["N115"])],
                patient=("LEE", "ANN", "9AA9AA9AA99"),
            ),
        ]
    )


def test_a_well_formed_835_passes_pyx12_validation():
    validate_835(paid_and_denied())


def test_the_payment_header_names_the_trace_payer_amount_and_date():
    parsed = parse_835(paid_and_denied())
    assert (parsed.trace_number, parsed.payer_identifier) == ("EFT0000123", "1512345678")
    assert parsed.paid_amount == D("150.40")
    assert parsed.paid_on == date(2025, 3, 15)
    assert parsed.payment_method == "ACH"
    assert parsed.payer_x12_id == "17013"
    assert parsed.payer_id == "MCR-DMEB"  # through the payer list's X12 ids


def test_claims_carry_status_control_numbers_and_totals():
    paid, denied = parse_835(paid_and_denied()).claims
    assert (paid.patient_control_number, paid.status_code) == (PAID_PCN, "1")
    assert paid.payer_claim_control_number == "25074000123401"
    assert (paid.charge, paid.paid, paid.patient_responsibility) == (
        D("370.00"), D("150.40"), D("37.60")
    )
    assert (denied.status_code, denied.paid) == ("4", D("0.00"))


def test_service_lines_carry_code_modifiers_ref_6r_date_allowed_cas_and_rarcs():
    bed, walker = parse_835(paid_and_denied()).claims[0].services
    assert (bed.procedure, bed.modifiers, bed.line_control_number) == (
        "E0260", ("RR", "KH"), BED_LINE
    )
    assert bed.service_date == date(2025, 3, 1)
    assert bed.allowed == D("188.00")
    assert bed.adjustments == (
        Adjustment(AdjustmentGroup.CO, "45", D("62.00")),
        Adjustment(AdjustmentGroup.PR, "2", D("37.60")),
    )
    assert walker.line_control_number is None
    assert walker.rarcs == ("M114", "N565")
    assert walker.adjustments == (Adjustment(AdjustmentGroup.CO, "4", D("120.00")),)


def test_provider_level_adjustments_reduce_the_payment():
    text = build_835(
        [Clp(PAID_PCN, "1", "ICN1", [Svc("E0143", ("NU",), D("120.00"), D("96.00"),
                                          [("CO", "45", D("24.00"))])])],
        plb=D("10.00"),
    )
    parsed = parse_835(text)
    assert (parsed.paid_amount, parsed.provider_adjustments) == (D("86.00"), D("10.00"))


def test_a_service_line_that_does_not_balance_is_refused():
    text = build_835(
        [Clp(PAID_PCN, "1", "ICN1", [Svc("E0143", ("NU",), D("120.00"), D("96.00"),
                                          [("CO", "45", D("20.00"))])])]
    )
    with pytest.raises(InvalidRemittance) as refused:
        parse_835(text)
    assert any("SVC line" in e for e in refused.value.errors)


def test_a_payment_that_is_not_the_sum_of_its_claims_is_refused():
    text = build_835(
        [Clp(PAID_PCN, "1", "ICN1", [Svc("E0143", ("NU",), D("120.00"), D("120.00"))])],
        paid_amount=D("100.00"),
    )
    with pytest.raises(InvalidRemittance, match="does not balance"):
        parse_835(text)


def test_one_payment_per_file():
    text = build_835(
        [Clp(PAID_PCN, "1", "ICN1", [Svc("E0143", ("NU",), D("120.00"), D("120.00"))])],
        transactions=2,
    )
    with pytest.raises(InvalidRemittance, match="one 835 transaction"):
        parse_835(text)


def test_a_structural_error_is_reported_by_segment_and_line_without_values():
    text = paid_and_denied().replace("NM1*QC*1*RIVERA", "XYZ*QC*1*RIVERA")
    with pytest.raises(InvalidRemittance) as refused:
        validate_835(text)
    report = " ".join(refused.value.errors) + refused.value.message
    assert "line" in report
    assert "RIVERA" not in report and "1EG4TE5MK73" not in report


def test_an_invalid_element_is_reported_by_segment_line_and_element_without_its_value():
    text = paid_and_denied().replace(f"CLP*{PAID_PCN}*1*", f"CLP*{PAID_PCN}*Z9*")
    with pytest.raises(InvalidRemittance) as refused:
        validate_835(text)
    assert any(e.startswith("CLP line") and "element 2" in e for e in refused.value.errors)
    assert "Z9" not in " ".join(refused.value.errors) + refused.value.message


def test_text_that_crashes_pyx12_is_refused_as_unreadable():
    text = paid_and_denied().replace("~\nGS*HP", "~\nGS:HP", 1)
    with pytest.raises(InvalidRemittance, match="not a readable X12 interchange"):
        validate_835(text)


def test_a_wrong_segment_count_is_refused():
    text = paid_and_denied().replace("SE*", "SE*1", 1)
    with pytest.raises(InvalidRemittance):
        validate_835(text)


@pytest.mark.parametrize("text", ["", "hello", "ISA*00*garbage~"])
def test_text_that_is_not_x12_is_refused(text):
    with pytest.raises(InvalidRemittance):
        validate_835(text)


def test_an_837_is_not_an_835():
    text = paid_and_denied().replace("005010X221A1", "005010X222A1").replace("ST*835", "ST*837")
    with pytest.raises(InvalidRemittance):
        validate_835(text)
