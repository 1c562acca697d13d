from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from application.billing import run_billing
from domain.claim import Claim
from domain.claim_ids import claim_id_for
from domain.errors import NotFound, RuleViolated
from domain.order_values import ProofOfDelivery, SignerRelationship
from tests.conftest import in_threads, run_aries
from tests.integration.scenarios import MEDICARE, delivered_bed_and_walker

pytestmark = pytest.mark.integration


def _claims_for(aries, order_id) -> list[Claim]:
    claims = []
    for year, month in [(year, m) for year in (2025, 2026) for m in range(1, 13)]:
        claim_id = claim_id_for(order_id, f"{year:04d}-{month:02d}", MEDICARE)
        try:
            claims.append(aries.claims.get_claim(claim_id))
        except NotFound:  # not drafted for that month
            continue
    return claims


def test_a_delivered_order_becomes_one_claim_for_the_delivery_month(aries):
    delivered = delivered_bed_and_walker(aries, date(2026, 1, 15))
    aries.claims.catch_up_all()

    (claim,) = _claims_for(aries, delivered.order_id)
    assert claim.billing_month == "2026-01"
    by_code = {line.hcpcs: line for line in claim.lines}
    assert set(by_code) == {"E0260", "E0143"}
    assert by_code["E0260"].modifiers[:2] == ("RR", "KH")
    assert by_code["E0143"].modifiers[0] == "NU"
    assert claim.balance == sum((line.charge for line in claim.lines), Decimal("0.00"))
    assert isinstance(claim.balance, Decimal)


def test_processing_the_order_log_again_drafts_no_claim_twice(aries):
    delivered = delivered_bed_and_walker(aries, date(2026, 2, 10))
    aries.claims.catch_up_all()
    aries.claims.catch_up_all()
    assert len(_claims_for(aries, delivered.order_id)) == 1


def test_a_billing_run_bills_thirteen_months_of_a_capped_bed_and_never_a_fourteenth(aries):
    delivered = delivered_bed_and_walker(aries, date(2025, 1, 20))

    run_billing(aries.orders, aries.claims, as_of=date(2026, 3, 31))

    bed_modifiers = []
    for claim in _claims_for(aries, delivered.order_id):
        for line in claim.lines:
            if line.hcpcs == "E0260":
                bed_modifiers.append((line.rental_month, line.modifiers[1]))
    assert sorted(bed_modifiers) == [(1, "KH"), (2, "KI"), (3, "KI")] + [
        (month, "KJ") for month in range(4, 14)
    ]


def test_billing_runs_repeated_and_concurrent_create_each_claim_exactly_once(aries):
    delivered = delivered_bed_and_walker(aries, date(2026, 3, 3))

    errors = in_threads(lambda: run_billing(aries.orders, aries.claims, as_of=date(2026, 8, 3)), 3)
    run_billing(aries.orders, aries.claims, as_of=date(2026, 8, 3))

    assert errors == []
    claims = _claims_for(aries, delivered.order_id)
    months = sorted(c.billing_month for c in claims)
    assert months == ["2026-03", "2026-04", "2026-05", "2026-06", "2026-07", "2026-08"]
    order = aries.orders.get_order(delivered.order_id)
    assert [m.month_number for m in order.rental_months(delivered.bed_line_id)] == list(
        range(1, 7)
    )


def test_a_claim_cannot_be_created_before_delivery(aries):
    from tests.integration.scenarios import medicare_patient, place_bed_and_walker

    patient_id, _coverage_id = medicare_patient(aries)
    order_id, _bed, _walker = place_bed_and_walker(aries, patient_id, date(2026, 4, 1))
    run_billing(aries.orders, aries.claims, as_of=aries.orders.clock.today())
    assert _claims_for(aries, order_id) == []


def test_a_billing_run_after_the_suppliers_today_is_refused_and_opens_nothing(aries):
    delivered = delivered_bed_and_walker(aries, date(2026, 5, 4))
    tomorrow = aries.orders.clock.today() + timedelta(days=1)

    with pytest.raises(RuleViolated) as refused:
        run_billing(aries.orders, aries.claims, as_of=tomorrow)
    with pytest.raises(RuleViolated):
        aries.orders.open_due_rental_months(delivered.order_id, tomorrow)

    assert refused.value.rule == "billing_run_is_not_in_the_future"
    order = aries.orders.get_order(delivered.order_id)
    assert [m.month_number for m in order.rental_months(delivered.bed_line_id)] == [1]


def test_a_delivery_after_the_suppliers_today_is_refused(aries):
    from tests.integration.scenarios import medicare_patient, place_bed_and_walker

    patient_id, coverage_id = medicare_patient(aries)
    today = aries.orders.clock.today()
    order_id, _bed, _walker = place_bed_and_walker(aries, patient_id, today)
    aries.orders.verify_coverage(
        order_id, coverage_id=coverage_id, verified_on=today, eligible=True,
        same_or_similar_found=False,
    )
    tomorrow = today + timedelta(days=1)
    pod = ProofOfDelivery("Ana Rivera", SignerRelationship.PATIENT, tomorrow)

    with pytest.raises(RuleViolated) as refused:
        aries.orders.deliver(order_id, delivered_on=tomorrow, pod=pod)

    assert refused.value.rule == "delivery_is_not_in_the_future"
    assert aries.orders.get_order(order_id).delivered_on is None


def test_the_billing_run_command_drafts_the_months_due(
    aries, database_url, redis_url, redis_prefix
):
    delivered = delivered_bed_and_walker(aries, date(2026, 5, 7))

    done = run_aries(
        "billing", "run", "--as-of", "2026-07-07",
        ARIES_DATABASE_URL=database_url, ARIES_REDIS_URL=redis_url,
        ARIES_REDIS_KEY_PREFIX=redis_prefix,
    )

    assert done.returncode == 0, done.stderr
    assert "rental months opened" in done.stderr
    months = sorted(c.billing_month for c in _claims_for(aries, delivered.order_id))
    assert months == ["2026-05", "2026-06", "2026-07"]


def test_the_billing_run_command_refuses_a_date_after_today(
    aries, database_url, redis_url, redis_prefix
):
    tomorrow = aries.orders.clock.today() + timedelta(days=2)  # whatever the time zone
    done = run_aries(
        "billing", "run", "--as-of", tomorrow.isoformat(), timeout=60,
        ARIES_DATABASE_URL=database_url, ARIES_REDIS_URL=redis_url,
        ARIES_REDIS_KEY_PREFIX=redis_prefix,
    )
    assert done.returncode == 2
    assert "billing_run_is_not_in_the_future" in done.stdout + done.stderr


def test_the_billing_run_command_refuses_a_malformed_date(database_url, redis_url, redis_prefix):
    done = run_aries(
        "billing", "run", "--as-of", "07/07/2026", timeout=60,
        ARIES_DATABASE_URL=database_url, ARIES_REDIS_URL=redis_url,
        ARIES_REDIS_KEY_PREFIX=redis_prefix,
    )
    assert done.returncode == 2
    assert "YYYY-MM-DD" in done.stderr
