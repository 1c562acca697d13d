"""Every aggregate and every value type the domain stores in events.

The application layer registers their topics and transcodings from these lists: a class that
appears in an event must be listed here, or saving it fails loudly.
"""

from __future__ import annotations

from domain.billing_hold import AGGREGATES as _hold_aggregates
from domain.billing_run import AGGREGATES as _run_aggregates
from domain.claim import AGGREGATES as _claim_aggregates
from domain.claim import VALUE_TYPES as _claim_values
from domain.company import AGGREGATES as _company_aggregates
from domain.company import VALUE_TYPES as _company_values
from domain.equipment import AGGREGATES as _equipment_aggregates
from domain.fee_schedule import AGGREGATES as _fee_aggregates
from domain.identity import AGGREGATES as _identity_aggregates
from domain.identity import VALUE_TYPES as _identity_values
from domain.inventory import AGGREGATES as _inventory_aggregates
from domain.location import AGGREGATES as _location_aggregates
from domain.location import VALUE_TYPES as _location_values
from domain.order import AGGREGATES as _order_aggregates
from domain.order import VALUE_TYPES as _order_values
from domain.patient import AGGREGATES as _patient_aggregates
from domain.patient import VALUE_TYPES as _patient_values
from domain.payer import AGGREGATES as _payer_aggregates
from domain.payer import VALUE_TYPES as _payer_values
from domain.remittance import AGGREGATES as _remittance_aggregates
from domain.remittance import VALUE_TYPES as _remittance_values
from domain.serialised_asset import AGGREGATES as _asset_aggregates
from domain.supplier_values import VALUE_TYPES as _supplier_values

AGGREGATES: tuple[type, ...] = (
    *_patient_aggregates,
    *_order_aggregates,
    *_claim_aggregates,
    *_identity_aggregates,
    *_remittance_aggregates,
    *_hold_aggregates,
    *_run_aggregates,
    *_equipment_aggregates,
    *_fee_aggregates,
    *_company_aggregates,
    *_location_aggregates,
    *_payer_aggregates,
    *_inventory_aggregates,
    *_asset_aggregates,
)
VALUE_TYPES: tuple[type, ...] = (
    *_patient_values,
    *_order_values,
    *_claim_values,
    *_identity_values,
    *_remittance_values,
    *_supplier_values,
    *_company_values,
    *_location_values,
    *_payer_values,
)
