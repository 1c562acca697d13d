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


# --- issue 15: several payments per interchange, BOM, PLB detail, every error named -----------


def test_several_transactions_are_split_into_one_valid_835_each():
    from application.x12.remittance835 import split_835

    text = build_835(
        [Clp(PAID_PCN, "1", "ICN1", [Svc("E0143", ("NU",), D("120.00"), D("120.00"))])],
        transactions=3, trace="EFT77",
    )
    parts = split_835(text)
    assert len(parts) == 3
    for part in parts:
        validate_835(part)
    assert [parse_835(p).trace_number for p in parts] == ["EFT77", "EFT77-2", "EFT77-3"]
    assert all(p.count("~\nST*835*") == 1 and "GE*1*101~" in p for p in parts)


def test_a_byte_order_mark_and_trailing_whitespace_are_tolerated():
    from application.x12.remittance835 import normalised_835

    text = paid_and_denied()
    for sent in ("\ufeff" + text + "\r\n  \n", ("\ufeff" + text + "   ").encode("utf-8"),
                 text.encode("ascii") + b"\r\n\r\n"):
        clean = normalised_835(sent)
        validate_835(clean)
        assert parse_835(clean).paid_amount == D("150.40")
    with pytest.raises(InvalidRemittance, match="ASCII"):
        normalised_835(text.replace("RIVERA", "RIVERÁ").encode("utf-8"))


def test_each_plb_adjustment_is_read_with_its_code_reference_and_amount():
    text = build_835(
        [Clp(PAID_PCN, "1", "ICN1", [Svc("E0143", ("NU",), D("120.00"), D("96.00"),
                                          [("CO", "45", D("24.00"))])])],
        plbs=[("WO:ICN-OLD-1", D("12.50")), ("L6", D("-1.27")), ("FB:FWD-9", D("5.00"))],
    )
    validate_835(text)
    parsed = parse_835(text)
    assert [(a.code, a.reference, a.amount) for a in parsed.provider_ledger] == [
        ("WO", "ICN-OLD-1", D("12.50")), ("L6", None, D("-1.27")), ("FB", "FWD-9", D("5.00"))]
    assert parsed.paid_amount == D("96.00") - D("16.23")
    assert {a.fiscal_period for a in parsed.provider_ledger} == {date(2025, 12, 31)}


def test_claim_level_cas_and_a_zero_cas_amount_balance():
    text = build_835([
        Clp(PAID_PCN, "1", "ICN1",
            [Svc("E0143", ("NU",), D("120.00"), D("96.00"),
                 [("CO", "45", D("24.00")), ("PR", "1", D("0.00"))])],
            claim_adjustments=[("CO", "A2", D("6.00"))]),
    ])
    validate_835(text)
    (claim,) = parse_835(text).claims
    assert claim.paid == D("90.00")
    assert claim.adjustments == (Adjustment(AdjustmentGroup.CO, "A2", D("6.00")),)
    assert Adjustment(AdjustmentGroup.PR, "1", D("0.00")) in claim.services[0].adjustments


def test_a_refused_file_names_every_pyx12_error_by_segment_and_element():
    from tests.x12_validation import x12_errors

    text = (paid_and_denied()
            .replace(f"CLP*{PAID_PCN}*1*", f"CLP*{PAID_PCN}*Z9*")
            .replace(f"CLP*{DENIED_PCN}*4*", f"CLP*{DENIED_PCN}*Q7*"))
    with pytest.raises(InvalidRemittance) as refused:
        validate_835(text)
    ours = refused.value.errors
    assert [e.split(": ")[0] for e in ours] == [e.split(": ")[0] for e in x12_errors(text)]
    assert len([e for e in ours if e.startswith("CLP line") and "element 2" in e]) == 2
