"""`catalogue`: the equipment catalogue (read.equipment_items) and the imported fee schedules
(read.fee_schedules, read.fee_schedule_rates), from the Catalogue log."""

from __future__ import annotations

from typing import Any

from domain.equipment import EquipmentItem
from projections.base import Projection, handles
from projections.folding import Rows
from projections.tables import equipment_items, fee_schedule_rates, fee_schedules

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
