"""The `orders` projection against real PostgreSQL: rows agree with the Order aggregate after
random histories, and rebuilding from zero gives exactly the rows the live projection wrote,
whatever the batch sizes (a batch folds several events of one order)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from domain.catalogue import item
from domain.context import bound_context
from domain.errors import DomainError
from domain.order import Order
from domain.required_list import on_required_list
from projections.orders_tables import order_lines, orders
from projections.runner import catch_up, rebuild
from tests.integration.scenarios import MEDICARE, delivered_bed_and_walker
from tests.unit.order_builders import ORDER_DATE, VALID_NPI, line, place, pod_for

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def aries(isolated_aries):
    return isolated_aries


def order_row(aries, order_id: UUID) -> Any:
    with aries.read_engine.connect() as conn:
        return conn.execute(select(orders).where(orders.c.order_id == order_id)).one()


def line_rows(aries, order_id: UUID) -> dict[UUID, Any]:
    with aries.read_engine.connect() as conn:
        rows = conn.execute(select(order_lines).where(order_lines.c.order_id == order_id))
        return {row.line_id: row for row in rows}


def all_rows(aries) -> tuple[list[tuple], list[tuple]]:
    with aries.read_engine.connect() as conn:
        return (
            sorted(tuple(row) for row in conn.execute(select(orders))),
            sorted(tuple(row) for row in conn.execute(select(order_lines))),
        )


# --- A known scenario ---------------------------------------------------------------------------


def test_a_delivered_order_reads_as_delivered_with_serials_and_its_first_rental_month(aries):
    with bound_context(tenant_id="t-orders-1"):
        made = delivered_bed_and_walker(aries, date(2026, 3, 2))
    catch_up(aries, "orders")

    row = order_row(aries, made.order_id)
    lines = line_rows(aries, made.order_id)
    order = aries.orders.get_order(made.order_id)

    assert (row.tenant_id, row.patient_id) == ("t-orders-1", made.patient_id)
    assert (row.status, row.payer_id, row.coverage_id, row.coverage_eligible) == (
        "delivered",
        MEDICARE,
        made.coverage_id,
        True,
    )
    assert row.documentation_complete and row.prior_authorization == "not_required"
    assert row.delivered_on == date(2026, 3, 2) and row.pod_signer_relationship == "patient"
    assert row.diagnoses == ["G47.33", "E11.9"] and row.line_count == 2
    assert row.version == order.version and row.placed_at < row.updated_at
    bed, walker = lines[made.bed_line_id], lines[made.walker_line_id]
    assert (bed.line_number, bed.hcpcs, bed.billing, bed.serial_numbers) == (
        1,
        "E0260",
        "rental",
        ["BED-0001"],
    )
    assert (bed.rental_months_opened, bed.last_rental_month_from) == (1, date(2026, 3, 2))
    assert bed.last_rental_month_to == date(2026, 4, 1)
    assert (walker.billing, walker.serial_numbers, walker.rental_months_opened) == (
        "purchase_new",
        [],
        0,
    )


def test_an_item_is_wopd_required_as_the_required_list_stood_on_its_date_of_service(aries):
    # Oxygen joined CMS's Required List on 13 April 2026 (FR Doc. 2026-00487): delivered the
    # day before, an E1390 order's documents are complete with its SWO alone; one delivered on
    # that day needs the WOPD and the face-to-face encounter too.
    with bound_context(tenant_id="t-orders-wopd"):
        before = place("E1390", order_date=date(2026, 4, 1))
        listed = place("E1390", order_date=date(2026, 4, 1))
        for order, delivered_on in ((before, date(2026, 4, 12)), (listed, date(2026, 4, 13))):
            order.verify_coverage(uuid4(), MEDICARE, date(2026, 4, 1), True, False)
            order.record_swo(date(2026, 4, 1), VALID_NPI)
            if order is listed:
                order.record_wopd(date(2026, 4, 1))
                order.record_face_to_face(date(2026, 3, 20))
            order.deliver(delivered_on, pod_for(order, delivered_on))
            aries.orders.save(order)
    catch_up(aries, "orders")

    unlisted, needed = order_row(aries, before.id), order_row(aries, listed.id)
    assert (unlisted.wopd_required, unlisted.documentation_complete) == (False, True)
    assert (needed.wopd_required, needed.documentation_complete) == (True, True)
    assert_rows_agree_with(aries, before)
    assert_rows_agree_with(aries, listed)


def test_prior_authorization_is_pending_until_every_line_needing_it_is_affirmed(aries):
    wheelchair, mattress, walker = line("K0823"), line("E0277"), line("E0143")
    with bound_context(tenant_id="t-orders-1"):
        order = place(wheelchair, mattress, walker)
        order.affirm_prior_authorization(
            "JC12345678PA", ORDER_DATE, ORDER_DATE + timedelta(days=30), [wheelchair.line_id]
        )
        aries.orders.save(order)  # placed and partly decided in the same batch
        catch_up(aries, "orders")
        pending = order_row(aries, order.id)

        order.affirm_prior_authorization(
            "JC87654321PA", ORDER_DATE, ORDER_DATE + timedelta(days=60), [mattress.line_id]
        )
        aries.orders.save(order)
        catch_up(aries, "orders")

    row = order_row(aries, order.id)
    assert (pending.prior_authorization, pending.prior_authorization_valid_until) == (
        "pending",
        None,
    )
    assert (row.prior_authorization, row.prior_authorization_valid_until) == (
        "affirmed",
        ORDER_DATE + timedelta(days=30),
    )
    assert line_rows(aries, order.id)[walker.line_id].prior_auth_status is None


# --- Random histories -------------------------------------------------------------------------

CODES = ["E0260", "E1390", "E0143", "A7030", "K0823", "E0601", "E0601", "E0277"]
# "ready" is the valid path (everything delivery needs, then with the flag a release and the
# delivery itself): weighted so that most histories get past intake.
STEPS = [
    "time",
    "time",
    "coverage",
    "ready",
    "ready",
    "ready",
    "swo",
    "wopd",
    "face_to_face",
    "abn",
    "affirm",
    "non_affirm",
    "deliver",
    "hold",
    "release",
    "open_months",
    "open_months",
    "pickup",
    "admit",
    "discharge",
    "redeliver",
    "cancel",
    "adherence",
    "adherence",
    "save",
    "project",
]
steps = st.lists(
    st.tuples(st.sampled_from(STEPS), st.integers(0, 45), st.booleans()), min_size=4, max_size=25
)
histories = st.lists(
    st.tuples(st.lists(st.sampled_from(CODES), min_size=1, max_size=3), steps),
    min_size=1,
    max_size=3,
)


class History:
    """Drives one Order through random commands (refused ones record nothing), saving its
    events in several commits and projecting at random points."""

    def __init__(self, aries, codes: list[str], batch_size: int) -> None:
        self.aries = aries
        self.batch_size = batch_size
        self.today = ORDER_DATE
        self.order: Order = place(*(line(code) for code in codes))

    def attempt(self, command: Callable[[], object]) -> None:
        try:
            command()
        except DomainError:
            pass

    def save(self) -> None:
        if self.order.pending_events:
            self.aries.orders.save(self.order)

    def step(self, name: str, offset: int, flag: bool) -> None:
        order, today = self.order, self.today
        pa_lines = [ln.line_id for ln in order.lines if item(ln.hcpcs).prior_auth_required]
        if name == "time":
            self.today += timedelta(days=offset)
        elif name == "coverage":
            coverage = UUID(int=offset + 1)
            self.attempt(lambda: order.verify_coverage(coverage, "MCR-DMEB", today, flag, False))
        elif name == "ready":
            self.attempt(lambda: order.verify_coverage(UUID(int=1), "MCR-DMEB", today, True, False))
            self.attempt(lambda: order.record_wopd(today))
            self.attempt(lambda: order.record_face_to_face(today))
            self.attempt(lambda: order.affirm_prior_authorization("JC12345678PA", today))
            self.attempt(lambda: order.record_swo(today, VALID_NPI))
            if flag:
                self.attempt(lambda: order.release(today))
                self.step("deliver", offset, flag)
        elif name in ("swo", "wopd", "face_to_face", "abn"):
            on = today - timedelta(days=offset % 7)
            command = {
                "swo": lambda: order.record_swo(on, VALID_NPI),
                "wopd": lambda: order.record_wopd(on),
                "face_to_face": lambda: order.record_face_to_face(on),
                "abn": lambda: order.record_abn(on),
            }[name]
            self.attempt(command)
        elif name == "affirm":
            line_ids = None if flag or not pa_lines else [pa_lines[offset % len(pa_lines)]]
            valid_until = None if flag else today + timedelta(days=offset)
            self.attempt(
                lambda: order.affirm_prior_authorization(
                    f"UTN-{offset}", today, valid_until, line_ids
                )
            )
        elif name == "non_affirm":
            line_ids = None if flag or not pa_lines else [pa_lines[offset % len(pa_lines)]]
            self.attempt(lambda: order.non_affirm_prior_authorization(today, "no", line_ids))
        elif name == "deliver":

            def deliver() -> None:
                order.deliver(today, pod_for(order, today))
                order.open_due_rental_months(today)

            self.attempt(deliver)
        elif name == "hold":
            self.attempt(lambda: order.hold(f"reason {offset}", today))
        elif name == "release":
            self.attempt(lambda: order.release(today))
        elif name == "open_months":
            self.attempt(lambda: order.open_due_rental_months(today + timedelta(days=offset * 9)))
        elif name == "pickup":
            self.attempt(lambda: order.pick_up(today + timedelta(days=offset * 9), "done"))
        elif name == "admit":
            on = today + timedelta(days=offset)
            self.attempt(lambda: order.record_admission(on, "snf" if flag else "hospital"))
        elif name == "discharge":
            self.attempt(lambda: order.record_discharge(today + timedelta(days=offset * 2)))
        elif name == "redeliver":
            on = today + timedelta(days=offset * 3)
            if flag:
                self.attempt(lambda: order.record_swo(on, VALID_NPI))
            self.attempt(lambda: order.redeliver(on, pod_for(order, on)))
        elif name == "cancel" and flag:
            self.attempt(lambda: order.cancel("declined", today))
        elif name == "adherence":
            pap = [ln.line_id for ln in order.lines if ln.hcpcs == "E0601"]
            line_id = pap[0] if pap else order.lines[0].line_id
            on = today + timedelta(days=offset)
            self.attempt(lambda: order.record_adherence(line_id, on, flag))
        elif name == "save":
            self.save()
        elif name == "project":
            self.save()
            catch_up(self.aries, "orders", batch_size=self.batch_size)


def expected_prior_authorization(order: Order) -> tuple[str, date | None]:
    needing = [ln.line_id for ln in order.lines if item(ln.hcpcs).prior_auth_required]
    decisions = [order.prior_authorization(line_id) for line_id in needing]
    if not decisions:
        return "not_required", None
    if any(decision is None for decision in decisions):
        return "pending", None
    if any(not decision.affirmed for decision in decisions):
        return "non_affirmed", None
    return "affirmed", min(decision.valid_until for decision in decisions)


def assert_rows_agree_with(aries, order: Order) -> None:
    row = order_row(aries, order.id)
    coverage = order.coverage
    # The Required List on the order's date of service: the order date, then the delivery date.
    listed_on = order.delivered_on or order.order_date
    wopd_required = any(on_required_list(ln.hcpcs, listed_on) for ln in order.lines)
    assert (row.status, row.on_hold, row.hold_reason) == (
        order.status.value,
        order.on_hold,
        order.hold_reason,
    )
    assert (row.version, row.tenant_id, row.line_count) == (
        order.version,
        order.tenant_id,
        len(order.lines),
    )
    assert (row.payer_id, row.coverage_eligible, row.coverage_verified_on) == (
        (coverage.payer_id, coverage.eligible, coverage.verified_on) if coverage else (None,) * 3
    )
    assert (row.swo_signed_on, row.wopd_signed_on, row.face_to_face_on, row.abn_signed_on) == (
        order.swo_signed_on,
        order.wopd_signed_on,
        order.face_to_face_on,
        order.abn_signed_on,
    )
    assert row.documentation_complete == (
        order.swo_on_file
        and (not wopd_required or None not in (order.wopd_signed_on, order.face_to_face_on))
    )
    assert (row.prior_authorization, row.prior_authorization_valid_until) == (
        expected_prior_authorization(order)
    )
    assert (row.delivered_on, row.picked_up_on, row.cancelled_on) == (
        order.delivered_on,
        order.picked_up_on,
        order.cancelled_on,
    )
    assert (row.redelivered_on, row.inpatient_since) == (
        order.redelivered_on,
        order.inpatient_since,
    )
    lines = line_rows(aries, order.id)
    assert set(lines) == {ln.line_id for ln in order.lines}
    for ln in order.lines:
        got = lines[ln.line_id]
        decision = order.prior_authorization(ln.line_id)
        months = order.rental_months(ln.line_id)
        serials = list(order.pod.serials_for(ln.line_id)) if order.pod else []
        assert (got.prior_auth_status, got.utn, got.utn_valid_until) == (
            (None, None, None)
            if decision is None
            else (
                "affirmed" if decision.affirmed else "non_affirmed",
                decision.utn,
                decision.valid_until,
            )
        )
        assert got.serial_numbers == serials
        assert got.rental_months_opened == len(months)
        assert got.last_rental_month_from == (months[-1].from_date if months else None)
        assert got.rental_period == (months[-1].period if months else None)
        assert got.adherence_met == order.adherence_met(ln.line_id)


@settings(max_examples=12, derandomize=True)
@given(
    histories=histories,
    batch_size=st.sampled_from([1, 3, 50, 500]),
    rebuild_batch_size=st.sampled_from([3, 50, 500]),
    tenant=st.sampled_from(["t-a", "t-b"]),
)
def test_live_rows_follow_the_aggregate_and_a_rebuild_gives_the_same_rows(
    aries, histories, batch_size, rebuild_batch_size, tenant
):
    # The module's database is shared by the examples: live and rebuilt rows are compared over
    # every order in it. Live catch-ups at random points and a rebuild with another batch size
    # cut the same events into different batches, most of them holding several events of one
    # order.
    with bound_context(tenant_id=tenant, actor_id="u-1"):
        runs = [History(aries, codes, batch_size) for codes, _ in histories]
        for run, (_, history) in zip(runs, histories, strict=True):
            for name, offset, flag in history:
                run.step(name, offset, flag)
            run.save()
    catch_up(aries, "orders", batch_size=batch_size)
    for run in runs:
        assert_rows_agree_with(aries, run.order)
    live = all_rows(aries)

    rebuild(aries, "orders", batch_size=rebuild_batch_size)

    assert all_rows(aries) == live
