"""Who a claim is from and to, as the tenant's setup records them (decision 017): the 837P
billing provider (loop 2010AA) is the order's location, and the payer (2010BB, SBR09) is the
tenant's payer record. Where the tenant has set up neither, the callers fall back to the
settings' supplier and the packaged payer list (deployments from before issue 17)."""

from __future__ import annotations

from typing import Any

from eventsourcing.application import AggregateNotFoundError

from application.setup import SetupApplication
from application.x12.claim837 import BillingProvider, PayerParty, PostalAddress
from domain.payer import Payer, payer_record_id


def billing_provider(setup: SetupApplication | None, order: Any) -> BillingProvider | None:
    """The order's location as 2010AA (name, NPI, tax id, address); None without one."""
    location = None if setup is None else setup.location_of(order)
    if location is None:
        return None
    details = location.details
    address = details.address
    assert setup is not None
    return BillingProvider(
        # NM103 is the legal entity's name; a branch without a registered company, its own.
        name=setup.company_name(order.tenant_id) or details.name,
        npi=details.npi,
        tax_id=details.tax_id,
        address=PostalAddress(address.line1, address.line2, address.city, address.state,
                              address.postal_code),
    )


def payer_record(setup: SetupApplication | None, tenant_id: str, payer_id: str) -> Payer | None:
    """The tenant's payer record named `payer_id`, or None."""
    if setup is None:
        return None
    try:
        payer = setup.repository.get(payer_record_id(tenant_id, payer_id))
    except AggregateNotFoundError:
        return None
    return payer if isinstance(payer, Payer) else None


def payer_party(setup: SetupApplication | None, tenant_id: str, payer_id: str) -> PayerParty | None:
    """2010BB and SBR09 from the tenant's payer record, or None where it has none."""
    payer = payer_record(setup, tenant_id, payer_id)
    if payer is None:
        return None
    details = payer.details
    return PayerParty(details.name, details.x12_payer_id, details.claim_filing_indicator)
