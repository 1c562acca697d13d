"""Catalogue use cases: the equipment items a supplier stocks (`domain.equipment`), kept in
the Catalogue event store (`catalogue_events`), where fee schedule imports are recorded too
(`application.fee_schedules`)."""

from __future__ import annotations

from uuid import UUID, uuid4

from application.eventstore import AriesApplication, CommandResult
from domain.equipment import EquipmentItem, ItemCategory


class CatalogueApplication(AriesApplication):
    name = "Catalogue"
    aggregate_kind = "equipment item"

    def get_item(self, item_id: UUID, version: int | None = None) -> EquipmentItem:
        return self.load(item_id, EquipmentItem, version)

    def items_for(self, hcpcs: str, tenant_id: str) -> list[EquipmentItem]:
        """The tenant's items under `hcpcs`, discontinued ones too (their stock still moves),
        in the order they were added: a scan, fine for a supplier's catalogue of hundreds."""
        code = hcpcs.strip().upper()
        found = (
            self.repository.get(item_id)
            for item_id in self.originator_ids(EquipmentItem.Added.TOPIC)  # type: ignore[attr-defined]
        )
        return [
            item for item in found
            if isinstance(item, EquipmentItem) and item.tenant_id == tenant_id
            and item.hcpcs == code
        ]

    def add_item(
        self,
        *,
        hcpcs: str,
        manufacturer: str,
        model: str,
        category: ItemCategory | str | None = None,
        serialised: bool | None = None,
        item_id: UUID | None = None,
    ) -> CommandResult:
        """A new item under a code of the HCPCS reference list (InvalidValue otherwise)."""
        new = EquipmentItem.add(
            hcpcs=hcpcs,
            manufacturer=manufacturer,
            model=model,
            category=category,
            serialised=serialised,
            item_id=item_id or uuid4(),
        )
        return self.commit(new)

    def revise_item(
        self,
        item_id: UUID,
        *,
        manufacturer: str | None = None,
        model: str | None = None,
        category: ItemCategory | str | None = None,
        serialised: bool | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        """Change the named fields; the same values again record nothing."""
        found = self.load(item_id, EquipmentItem, expected_version=expected_version)
        found.revise(
            manufacturer=manufacturer, model=model, category=category, serialised=serialised
        )
        return self.commit(found)

    def discontinue_item(
        self, item_id: UUID, *, expected_version: int | None = None
    ) -> CommandResult:
        found = self.load(item_id, EquipmentItem, expected_version=expected_version)
        found.discontinue()
        return self.commit(found)
