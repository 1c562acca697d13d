"""Random sequences of stock and serial moves (hypothesis.stateful).

Stock: receive, transfer, adjust, count, deliver on an order and pick up (bulk units out with
an order line and back) on two locations' ledgers of one bulk item; no
ledger ever goes negative, each holds what a plain model says, and a refused move records
nothing. Serials: units delivered to patients, picked up, cleaned, restocked, transferred,
sold and retired; a serial is never with two patients, each serialised ledger holds exactly the
serials in stock at its location. In both, the events replayed through the real JSON
transcoder rebuild aggregates equal to the live ones.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from domain import stock_moves
from domain.context import bound_context
from domain.errors import DomainError
from domain.inventory import StockLedger
from domain.serialised_asset import AssetStatus, SerialisedAsset
from tests.unit.replay import replay

TENANT = "acme"
DAY = date(2026, 11, 2)
ITEM = UUID("00000000-0000-4000-8000-0000000000e1")
LOCATIONS = (uuid4(), uuid4())
which = st.integers(0, 1)
quantities = st.integers(-3, 12)

MACHINE_SETTINGS = settings(
    max_examples=60, stateful_step_count=30, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


class Harness(RuleBasedStateMachine):
    """Every move goes through `attempt`: refused, nothing changes; accepted, events kept."""

    def __init__(self) -> None:
        super().__init__()
        self.events: dict[UUID, list[Any]] = {}
        self.aggregates: dict[UUID, Any] = {}
        self.day = DAY

    def keep(self, *aggregates: Any) -> None:
        for aggregate in aggregates:
            self.aggregates[aggregate.id] = aggregate
            self.events.setdefault(aggregate.id, []).extend(aggregate.collect_events())

    def attempt(self, move: Callable[[], Any], *aggregates: Any) -> bool:
        before = [copy.deepcopy(vars(a)) for a in aggregates]
        try:
            with bound_context(tenant_id=TENANT):
                made = move()
        except DomainError:
            for aggregate, state in zip(aggregates, before, strict=True):
                assert aggregate.collect_events() == []
                assert vars(aggregate) == state
            return False
        self.keep(*aggregates, *(made or ()))
        return True

    @rule(days=st.integers(0, 20))
    def time_passes(self, days):
        self.day += timedelta(days=days)

    def teardown(self):
        for aggregate_id, events in self.events.items():
            assert vars(replay(events)) == vars(self.aggregates[aggregate_id])


def open_ledger(location: UUID, serialised: bool) -> StockLedger:
    with bound_context(tenant_id=TENANT):
        return StockLedger.open(
            tenant_id=TENANT, location_id=location, item_id=ITEM,
            hcpcs="E0260" if serialised else "E0143", serialised=serialised,
        )


class StockMachine(Harness):
    @initialize()
    def open_ledgers(self):
        self.ledgers = [open_ledger(location, serialised=False) for location in LOCATIONS]
        self.keep(*self.ledgers)
        self.model = [0, 0]
        self.out: list[tuple[int, UUID, int]] = []  # bulk units out: (location, line, units)

    @rule(at=which, quantity=quantities, lot=st.sampled_from([None, "LOT-7", " "]))
    def receive(self, at, quantity, lot):
        ledger = self.ledgers[at]
        if self.attempt(
            lambda: stock_moves.receive(
                ledger, quantity=quantity, serials=[], purchase_order="PO-1", lot=lot,
                received_on=self.day,
            ),
            ledger,
        ):
            self.model[at] += quantity

    @rule(source=which, quantity=quantities)
    def transfer(self, source, quantity):
        a, b = self.ledgers[source], self.ledgers[1 - source]
        if self.attempt(lambda: stock_moves.transfer(a, b, quantity, uuid4(), self.day), a, b):
            self.model[source] -= quantity
            self.model[1 - source] += quantity
        else:
            assert quantity <= 0 or quantity > self.model[source]

    @rule(at=which, delta=quantities, reason=st.sampled_from(["damaged", "found", ""]))
    def adjust(self, at, delta, reason):
        ledger = self.ledgers[at]
        if self.attempt(lambda: ledger.adjust(delta, reason, self.day), ledger):
            self.model[at] += delta

    @rule(at=which, counted=quantities)
    def count(self, at, counted):
        ledger = self.ledgers[at]
        before = self.model[at]
        differences: list[int] = []
        if self.attempt(lambda: differences.append(ledger.count(counted, self.day)), ledger):
            assert differences == [counted - before]
            self.model[at] = counted

    @rule(at=which, point=st.none() | st.integers(-1, 10))
    def set_reorder_point(self, at, point):
        ledger = self.ledgers[at]
        self.attempt(lambda: ledger.set_reorder_point(point), ledger)

    @rule(at=which, quantity=quantities)
    def deliver(self, at, quantity):
        """An order line's bulk units go out from the location's shelf, all or none."""
        ledger, line_id = self.ledgers[at], uuid4()
        if self.attempt(lambda: ledger.issue_to_order(uuid4(), line_id, quantity, self.day),
                        ledger):
            self.model[at] -= quantity
            self.out.append((at, line_id, quantity))
        else:
            assert quantity <= 0 or quantity > self.model[at]

    @rule(data=st.data())
    def pick_up(self, data):
        """A rented line's units come back to the ledger they left, once."""
        if not self.out:
            return
        at, line_id, quantity = self.out.pop(data.draw(st.integers(0, len(self.out) - 1)))
        ledger = self.ledgers[at]
        returned: list[int] = []
        assert self.attempt(
            lambda: returned.append(ledger.return_from_order(uuid4(), line_id, self.day)),
            ledger,
        )
        assert returned == [quantity]
        self.model[at] += quantity
        again: list[int] = []
        assert self.attempt(
            lambda: again.append(ledger.return_from_order(uuid4(), line_id, self.day)), ledger
        )
        assert again == [0]  # a second pickup returns nothing

    @invariant()
    def no_stock_is_ever_negative(self):
        for ledger, expected in zip(self.ledgers, self.model, strict=True):
            assert ledger.on_hand >= 0
            assert ledger.on_hand == expected

    @invariant()
    def low_stock_is_on_hand_below_the_reorder_point(self):
        for ledger in self.ledgers:
            point = ledger.reorder_point
            assert ledger.below_reorder_point == (point is not None and ledger.on_hand < point)


StockMachine.TestCase.settings = MACHINE_SETTINGS
TestStockMachine = StockMachine.TestCase

PATIENTS = (uuid4(), uuid4(), uuid4())
SERIALS = ("BED-1", "BED-2", "BED-3", "BED-4")
serial_index = st.integers(0, len(SERIALS) - 1)


class SerialMachine(Harness):
    @initialize()
    def receive_serials(self):
        self.ledgers = [open_ledger(location, serialised=True) for location in LOCATIONS]
        self.keep(*self.ledgers)
        self.assets: list[SerialisedAsset] = []
        for at, serials in ((0, SERIALS[:3]), (1, SERIALS[3:])):
            ledger = self.ledgers[at]
            assert self.attempt(
                lambda ledger=ledger, serials=serials: stock_moves.receive(
                    ledger, quantity=len(serials), serials=serials, purchase_order="PO-9",
                    lot=None, received_on=self.day,
                ),
                ledger,
            )
        self.assets = [a for a in self.aggregates.values() if isinstance(a, SerialisedAsset)]
        self.orders: dict[UUID, UUID] = {}  # serial asset -> order that rented it

    def ledger_at(self, location: UUID | None) -> StockLedger:
        return self.ledgers[LOCATIONS.index(location)] if location in LOCATIONS else self.ledgers[0]

    @rule(s=serial_index, patient=st.integers(0, 2), at=which, rented=st.booleans(),
          hcpcs=st.sampled_from(["E0260", "E0260", "E1390"]))
    def deliver(self, s, patient, at, rented, hcpcs):
        asset, ledger, order_id = self.assets[s], self.ledgers[at], uuid4()
        was_with = asset.patient_id
        delivered = self.attempt(
            lambda: stock_moves.deliver_serial(
                asset, ledger, order_id=order_id, line_id=uuid4(), patient_id=PATIENTS[patient],
                line_hcpcs=hcpcs, rented=rented, delivered_on=self.day,
            ),
            asset, ledger,
        )
        if was_with is not None:
            assert not delivered  # never handed to a second patient
        if delivered:
            self.orders[asset.id] = order_id

    @rule(s=serial_index, same_order=st.booleans())
    def pick_up(self, s, same_order):
        asset = self.assets[s]
        order_id = self.orders.get(asset.id) if same_order else uuid4()
        self.attempt(lambda: asset.pick_up(order_id, self.day), asset)

    @rule(s=serial_index, service=st.sampled_from(["cleaning", "maintenance", "painting"]))
    def send_for_service(self, s, service):
        asset = self.assets[s]
        self.attempt(lambda: asset.send_for_service(service, None, self.day), asset)

    @rule(s=serial_index, at=which)
    def restock(self, s, at):
        asset, ledger = self.assets[s], self.ledgers[at]
        self.attempt(lambda: stock_moves.restock_serial(asset, ledger, self.day), asset, ledger)

    @rule(s=serial_index)
    def transfer(self, s):
        asset = self.assets[s]
        source = self.ledger_at(asset.location_id)
        target = self.ledgers[1 - self.ledgers.index(source)]
        self.attempt(
            lambda: stock_moves.transfer_serial(asset, source, target, uuid4(), self.day),
            asset, source, target,
        )

    @rule(s=serial_index)
    def sell_to_patient(self, s):
        asset = self.assets[s]
        self.attempt(lambda: asset.sell_to_patient(self.day), asset)

    @rule(s=serial_index)
    def retire(self, s):
        asset = self.assets[s]
        ledger = self.ledger_at(asset.location_id)
        self.attempt(lambda: stock_moves.retire_serial(asset, ledger, "worn out", self.day),
                     asset, ledger)

    @invariant()
    def a_serial_is_never_with_two_patients(self):
        for asset in self.assets:
            assert (asset.patient_id is not None) == (asset.status is AssetStatus.RENTED)
            assert asset.location_id is None or asset.status is AssetStatus.IN_STOCK

    @invariant()
    def each_ledger_holds_the_serials_in_stock_at_its_location(self):
        for ledger in self.ledgers:
            in_stock = [
                a for a in self.assets
                if a.status is AssetStatus.IN_STOCK and a.location_id == ledger.location_id
            ]
            assert ledger.on_hand == len(in_stock) >= 0

    @invariant()
    def serialised_ledgers_refuse_adjustments(self):
        ledger = self.ledgers[0]
        assert not self.attempt(lambda: ledger.adjust(1, "found", self.day), ledger)


SerialMachine.TestCase.settings = MACHINE_SETTINGS
TestSerialMachine = SerialMachine.TestCase
