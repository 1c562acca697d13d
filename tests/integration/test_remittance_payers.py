"""835s matched to their payer by the tenant's payer records first, then the packaged list
(application/remittance_payers.py): a payer only the tenant has posts as itself."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from domain.context import bound_context
from domain.payer import PayerType
from domain.remittance import Remittance
from tests.integration.test_remittance_posting import (
    biller,
    crossed_over,
    filed_claim,
    ledger_of,
    post,
    receive,
    trace,
)
from tests.setup_builders import payer
from tests.unit.remittance_835 import Clp, build_835

pytestmark = pytest.mark.integration

D = Decimal


def admin(tenant: str):
    return bound_context(tenant_id=tenant, actor_id="admin-1", actor_role="admin")


def test_an_835_from_a_payer_only_the_tenant_has_names_its_record_and_pays_as_the_crossover(aries):
    """MGP77 is in no packaged payers.csv: only the tenant's record knows it is MEDIGAP-PLUS."""
    tenant = f"t-{uuid.uuid4().hex[:10]}"
    claim = filed_claim(aries, tenant)
    with admin(tenant):  # after the claim: a tenant with payer records checks coverages by them
        aries.setup.register_payer(payer(
            payer_id="MEDIGAP-PLUS", name="Medigap Plus", payer_type=PayerType.COMMERCIAL,
            claim_filing_indicator="CI", x12_payer_id="MGP77"))
    medigap = crossed_over(aries, tenant, claim, "ICN-XOVER-2")
    received = receive(aries, tenant, build_835(
        [Clp(claim.patient_control_number, "2", "MEDIGAP-78", medigap)],
        trace=trace(), payer_tin="1600000077", payer_x12_id="MGP77"))
    report = post(aries, tenant, received.id)

    assert report.unmatched == ()
    with biller(tenant):
        assert aries.claims.load(received.id, Remittance).payer_id == "MEDIGAP-PLUS"
    now = ledger_of(aries, tenant, claim.id)
    assert now.secondary_payer_id == "MEDIGAP-PLUS"
    assert now.party_balance("patient") == 0 and now.party_balance("MEDIGAP-PLUS") == 0


def test_the_tenants_payer_record_answers_before_the_packaged_list_and_trn03_after_ref_2u(aries):
    tenant = f"t-{uuid.uuid4().hex[:10]}"
    with admin(tenant):
        # Its own id for the routing id the packaged list knows as MCR-DMEB (17013) ...
        aries.setup.register_payer(payer(payer_id="MEDICARE-B", x12_payer_id="17013"))
        # ... and a payer whose routing id is what its 835s carry in TRN03 only.
        aries.setup.register_payer(payer(
            payer_id="TRN-ONLY", name="Trn Only Health", payer_type=PayerType.COMMERCIAL,
            claim_filing_indicator="CI", x12_payer_id="1999999999"))
    own = receive(aries, tenant, build_835([], trace=trace(), plbs=[("L6", D("-1.00"))]))
    by_trn = receive(aries, tenant, build_835(
        [], trace=trace(), payer_tin="1999999999", payer_x12_id="NOT-KNOWN",
        plbs=[("L6", D("-1.00"))]))
    unknown = receive(aries, tenant, build_835(
        [], trace=trace(), payer_tin="1888888888", payer_x12_id="NOT-KNOWN",
        plbs=[("L6", D("-1.00"))]))
    other = f"t-{uuid.uuid4().hex[:10]}"  # no records: the packaged list, as before
    packaged = receive(aries, other, build_835([], trace=trace(), plbs=[("L6", D("-1.00"))]))
    with biller(tenant):
        ids = [aries.claims.load(r.id, Remittance).payer_id for r in (own, by_trn, unknown)]
    with biller(other):
        ids.append(aries.claims.load(packaged.id, Remittance).payer_id)
    assert ids == ["MEDICARE-B", "TRN-ONLY", None, "MCR-DMEB"]
