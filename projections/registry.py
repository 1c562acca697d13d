"""Every projection the projector runs. Add yours by appending an instance to `PROJECTIONS`."""

from __future__ import annotations

from collections.abc import Iterable

from projections.base import Projection
from projections.catalogue import CatalogueProjection
from projections.claims import ClaimsProjection
from projections.event_index import EventIndex
from projections.inventory import InventoryProjection
from projections.orders import OrderProjection
from projections.patients import PatientsProjection
from projections.remittances import RemittancesProjection
from projections.setup import SetupProjection
from projections.work_queue import WorkQueueProjection

PROJECTIONS: list[Projection] = [
    EventIndex(),
    OrderProjection(),
    PatientsProjection(),
    ClaimsProjection(),
    WorkQueueProjection(),
    RemittancesProjection(),
    InventoryProjection(),
    SetupProjection(),
    CatalogueProjection(),
]


def get(name: str | Projection) -> Projection:
    """The registered projection called `name` (a Projection instance is returned as is)."""
    if isinstance(name, Projection):
        return name
    for projection in PROJECTIONS:
        if projection.name == name:
            return projection
    known = ", ".join(p.name for p in PROJECTIONS) or "none"
    raise LookupError(f"no projection named {name!r} (registered: {known})")


def select(names: Iterable[str | Projection] | None) -> list[Projection]:
    """The named projections, or all registered ones when `names` is None or empty."""
    if not names:
        chosen = list(PROJECTIONS)
    else:
        chosen = [get(name) for name in names]
    seen: set[str] = set()
    for projection in chosen:
        if projection.name in seen:
            raise ValueError(f"projection {projection.name} is named twice")
        seen.add(projection.name)
    return chosen
