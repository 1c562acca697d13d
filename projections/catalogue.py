"""`catalogue`: the equipment catalogue (read.equipment_items) and the imported fee schedules
(read.fee_schedules, read.fee_schedule_rates), from the Catalogue log."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from domain.equipment import EquipmentItem
from domain.fee_schedule import FeeSchedule
from projections.base import Projection, handles
from projections.catalogue_tables import equipment_items, fee_schedule_rates, fee_schedules
from projections.folding import Rows

ITEM = equipment_items.c.item_id


class CatalogueProjection(Projection):
    name = "catalogue"
    upstreams = ("catalogue",)
    tables = (equipment_items, fee_schedules, fee_schedule_rates)

    @handles(EquipmentItem.Added)
    def item_added(self, rows: Rows, event: Any) -> None:
        rows[equipment_items].add(
            {
                "item_id": event.originator_id,
                "tenant_id": event.tenant_id,
                "hcpcs": event.hcpcs,
                "manufacturer": event.manufacturer,
                "model": event.model,
                "category": event.category,
                "serialised": event.serialised,
                "active": True,
                "added_at": event.timestamp,
                "updated_at": event.timestamp,
                "version": event.originator_version,
                "position": rows.position,
            }
        )

    @handles(EquipmentItem.Revised, reads=ITEM)
    def item_revised(self, rows: Rows, event: Any) -> None:
        rows[equipment_items].update(
            event.originator_id,
            manufacturer=event.manufacturer,
            model=event.model,
            category=event.category,
            serialised=event.serialised,
            updated_at=event.timestamp,
            version=event.originator_version,
            position=rows.position,
        )

    @handles(EquipmentItem.Discontinued, reads=ITEM)
    def item_discontinued(self, rows: Rows, event: Any) -> None:
        rows[equipment_items].update(
            event.originator_id,
            active=False,
            updated_at=event.timestamp,
            version=event.originator_version,
            position=rows.position,
        )

    @handles(FeeSchedule.Imported)
    def schedule_imported(self, rows: Rows, event: Any) -> None:
        rows[fee_schedules].add(
            {
                "schedule_id": event.originator_id,
                "tenant_id": event.tenant_id,
                "payer_id": event.payer_id,
                "source": event.source,
                "effective_from": event.effective_from,
                "file_name": event.file_name,
                "content_sha256": event.content_sha256,
                "row_count": event.row_count,
                "imported_at": event.timestamp,
                "position": rows.position,
            }
        )

    @handles(FeeSchedule.RowsRecorded)
    def schedule_rows(self, rows: Rows, event: Any) -> None:
        rates = rows[fee_schedule_rates]
        for hcpcs, modifier, modifier_2, amounts in event.rows:
            for state, (non_rural, rural) in amounts.items():
                for is_rural, amount in ((False, non_rural), (True, rural)):
                    if Decimal(amount) > 0:
                        rates.add(
                            {
                                "schedule_id": event.originator_id,
                                "tenant_id": event.tenant_id,
                                "hcpcs": hcpcs,
                                "modifier": modifier,
                                "modifier_2": modifier_2,
                                "state": state,
                                "rural": is_rural,
                                "amount": Decimal(amount),
                            }
                        )
