"""The Payer (domain/payer.py): a tenant's payer record, its filing limit and SBR09, retired
but never deleted; and the Company (domain/company.py), one per tenant."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.company import Company, company_id
from domain.context import bound_context
from domain.errors import InvalidValue, RuleViolated
from domain.payer import Payer, PayerType, filing_deadline, payer_record_id
from tests.setup_builders import company, payer
from tests.unit.replay import replay


@pytest.fixture(autouse=True)
def _tenant():
    with bound_context(tenant_id="t-1", actor_id="u-1", actor_role="admin"):
        yield


def test_a_months_limit_counts_calendar_months():
    """Medicare: one calendar year after the date of service (42 CFR 424.44); a 29 February
    service is filed by 28 February (Pub. 100-04 ch.1 §70)."""
    medicare = Payer.register("t-1", payer()).details
    assert filing_deadline(medicare, date(2026, 3, 15)) == date(2027, 3, 15)
    assert filing_deadline(medicare, date(2028, 2, 29)) == date(2029, 2, 28)


def test_a_days_limit_counts_days():
    medicaid = Payer.register("t-1", payer(
        payer_id="MCD-IL", payer_type=PayerType.MEDICAID, claim_filing_indicator="MC",
        timely_filing_months=None, timely_filing_days=180,
    )).details
    assert filing_deadline(medicaid, date(2026, 1, 1)) == date(2026, 6, 30)


def test_the_record_id_is_the_tenants_payer_id_whatever_its_case():
    registered = Payer.register("t-1", payer(payer_id="mcr-dmeb"))
    assert registered.details.payer_id == "MCR-DMEB"
    assert registered.id == payer_record_id("t-1", "MCR-DMEB") != payer_record_id("t-2", "MCR-DMEB")


@pytest.mark.parametrize(
    ("changes", "rule"),
    [
        ({"timely_filing_days": 90}, "timely_filing_is_months_or_days"),
        ({"timely_filing_months": None}, "timely_filing_is_months_or_days"),
        ({"timely_filing_months": 0}, "timely_filing_is_months_or_days"),
        ({"claim_filing_indicator": "XX"}, "claim_filing_indicator_is_an_x12_code"),
        ({"name": "  "}, "required_text_is_present"),
    ],
)
def test_a_payer_with_bad_terms_is_refused_naming_the_rule(changes, rule):
    with pytest.raises(InvalidValue) as refused:
        Payer.register("t-1", payer(**changes))
    assert refused.value.rule == rule


def test_the_payer_id_never_changes():
    record = Payer.register("t-1", payer())
    with pytest.raises(InvalidValue) as refused:
        record.correct_details(payer(payer_id="MCR-OTHER"))
    assert refused.value.rule == "payer_id_never_changes"


def test_a_retired_payer_takes_no_coverage_and_is_retired_once():
    record = Payer.register("t-1", payer())
    record.retire()
    for command in (record.accepts_coverage, record.retire):
        with pytest.raises(RuleViolated) as refused:
            command()
        assert refused.value.rule == "a_retired_payer_takes_no_coverage"
    assert vars(replay(record.collect_events())) == vars(record)


def test_the_company_is_one_per_tenant_and_replays():
    registered = Company.register("t-1", company())
    assert registered.id == company_id("t-1") == Company.register("t-1", company()).id
    assert registered.details.tax_id == "371234567"
    assert not registered.correct_details(company(tax_id="371234567"))
    assert registered.correct_details(company(legal_name="Aries Medical LLC"))
    assert vars(replay(registered.collect_events())) == vars(registered)


@given(
    months=st.one_of(st.none(), st.integers(min_value=-5, max_value=200)),
    days=st.one_of(st.none(), st.integers(min_value=-5, max_value=4000)),
)
def test_a_payer_is_registered_exactly_when_its_limit_is_one_positive_count(months, days):
    given_counts = [v for v in (months, days) if v is not None]
    valid = len(given_counts) == 1 and 0 < given_counts[0] <= 3650
    try:
        Payer.register("t-1", payer(timely_filing_months=months, timely_filing_days=days))
    except InvalidValue as refused:
        assert not valid and refused.rule == "timely_filing_is_months_or_days"
    else:
        assert valid
