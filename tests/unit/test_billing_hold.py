"""The billing hold (domain/billing_hold.py): one per order and month, naming the rule that
refused the month, cleared once by the claim that bills it."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from domain.billing_hold import (
    BillingHold,
    a_cleared_hold_stays_cleared,
    billing_hold_id,
    billing_requires_a_verified_payer,
)
from domain.context import bound_context
from domain.errors import RuleViolated
from tests.unit.replay import replay

ORDER = uuid4()


@pytest.fixture(autouse=True)
def _tenant():
    with bound_context(tenant_id="t-1", actor_id="process:claims", actor_role="system"):
        yield


def held() -> BillingHold:
    return BillingHold.place(
        order_id=ORDER, patient_id=uuid4(), payer_id="MCR-DMEB", billing_month="2026-02",
        rule_name="claim_requires_delivery_and_swo", held_on=date(2026, 2, 3),
    )


def test_a_hold_is_one_per_order_and_month_whatever_the_payer():
    assert held().id == billing_hold_id(ORDER, "2026-02") == held().id
    assert billing_hold_id(ORDER, "2026-03") != billing_hold_id(ORDER, "2026-02")


def test_the_same_rule_refusing_again_records_nothing_another_rule_is_recorded():
    hold = held()
    assert not hold.refused_again("claim_requires_delivery_and_swo", "MCR-DMEB", date(2026, 2, 4))
    assert hold.version == 1
    assert hold.refused_again("claim_lines_have_valid_hcpcs", "MCR-DMEB", date(2026, 2, 5))
    assert (hold.rule_name, hold.version, hold.open) == ("claim_lines_have_valid_hcpcs", 2, True)
    assert vars(replay(hold.collect_events())) == vars(hold)


def test_a_cleared_hold_stays_cleared():
    hold = held()
    claim_id = uuid4()
    hold.clear(claim_id, date(2026, 3, 1))
    assert (hold.open, hold.cleared_by) == (False, claim_id)
    for again in (
        lambda: hold.clear(uuid4(), date(2026, 3, 2)),
        lambda: hold.refused_again("claim_requires_delivery_and_swo", None, date(2026, 3, 2)),
    ):
        with pytest.raises(RuleViolated) as refused:
            again()
        assert refused.value.rule == "a_cleared_hold_stays_cleared"
    a_cleared_hold_stays_cleared(None)


def test_billing_requires_a_verified_payer():
    with pytest.raises(RuleViolated) as refused:
        billing_requires_a_verified_payer(None)
    assert refused.value.rule == "billing_requires_a_verified_payer"
    billing_requires_a_verified_payer("MCR-DMEB")
