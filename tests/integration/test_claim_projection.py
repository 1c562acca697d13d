"""The claims and work-queue projections against real PostgreSQL: rows that agree with the Claim
aggregate, a work queue that opens and closes items as claims and rentals move, the AR aging
view, and (hypothesis) random claim histories whose live rows equal a rebuild from zero."""

from __future__ import annotations

import dataclasses
import itertools
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from domain.claim import Claim
from domain.claim_values import PATIENT, ClaimStatus
from domain.context import bound_context
from domain.diagnosis import is_billable
from domain.errors import DomainError
from projections.claims_tables import claim_ledger_entries, claim_lines, claims
from projections.runner import catch_up, rebuild
from projections.work_queue_tables import work_queue, work_queue_claims, work_queue_rentals
from tests.conftest import aries_on
from tests.integration.scenarios import delivered_bed_and_walker
from tests.servers import fresh_database
from tests.unit.claim_builders import (
    NS,
    PAID_ON,
    SCRUB_DAY,
    SECONDARY,
    SECONDARY_COVERAGE,
    at,
    denial,
    drafted,
    medicare_payment,
)

pytestmark = pytest.mark.integration

S = ClaimStatus
CLAIM_TABLES = (claims, claim_lines, claim_ledger_entries)
QUEUE_TABLES = (work_queue, work_queue_claims, work_queue_rentals)
_orders = itertools.count(1)


@pytest.fixture(scope="module")
def db_url(server_database_url) -> Iterator[str]:
    with fresh_database(server_database_url) as url:
        yield url


@pytest.fixture(scope="module")
def aries(db_url, redis_url):
    # A generous connect timeout: the machine is shared, and a slow connect is not a failure.
    with aries_on(db_url, redis_url, connect_timeout_seconds=15, db_max_overflow=2) as built:
        is_billable("G47.33")  # load the ICD-10-CM code set once, outside the timed tests
        yield built


@pytest.fixture
def tenant() -> Iterator[str]:
    name = f"t-{uuid.uuid4().hex[:10]}"
    with bound_context(tenant_id=name, actor_id="u-test", actor_role="biller"):
        yield name


def new_claim(**overrides: Any) -> Claim:
    """The builders' standard claim, for an order of its own (claim ids derive from orders)."""
    return drafted(order_id=uuid.uuid5(NS, f"order-{next(_orders)}"), **overrides)


def project(aries) -> None:
    catch_up(aries, "claims")
    catch_up(aries, "work_queue")


def rows(aries, tables) -> list[list[tuple]]:
    with aries.read_engine.connect() as conn:
        return [sorted(tuple(row) for row in conn.execute(select(t))) for t in tables]


def claim_row(aries, claim_id) -> dict[str, Any]:
    with aries.read_engine.connect() as conn:
        return dict(
            conn.execute(select(claims).where(claims.c.claim_id == claim_id)).mappings().one()
        )


def line_money(aries, claim_id) -> dict[Any, tuple]:
    """line_id -> (allowed, paid, balance, current_payer_id) of the claim's lines."""
    line = claim_lines.c
    with aries.read_engine.connect() as conn:
        found = conn.execute(
            select(
                line.line_id, line.allowed, line.paid, line.balance, line.current_payer_id
            ).where(line.claim_id == claim_id)
        ).all()
    return {line_id: tuple(money) for line_id, *money in found}


def queue(aries, tenant: str) -> dict[str, tuple]:
    """kind -> (subject, due_on) of the tenant's open items."""
    with aries.read_engine.connect() as conn:
        found = conn.execute(
            select(work_queue.c.kind, work_queue.c.subject_id, work_queue.c.due_on).where(
                work_queue.c.tenant_id == tenant
            )
        ).all()
    return {kind: (subject, due_on) for kind, subject, due_on in found}


def latest_positive_party(claim: Claim, line_id=None) -> str | None:
    party = None
    for entry in claim.ledger:
        if entry.amount > 0 and line_id in (None, entry.line_id):
            party = entry.party
    return party


def submit(claim: Claim) -> None:
    claim.scrub(SCRUB_DAY)
    claim.request_submission(claim.submission_count + 1)
    claim.record_submission("000000101", at(12))
    claim.acknowledge(True, [], at(13))


# --- What a claim's rows say ------------------------------------------------------------------


def test_a_paid_claim_shows_payments_adjustments_and_what_the_patient_owes(aries, tenant):
    claim = new_claim()
    submit(claim)
    claim.adjudicate("TRN-1", "ICN-1", "1", medicare_payment(claim), PAID_ON)
    aries.claims.save(claim)
    project(aries)

    row = claim_row(aries, claim.id)
    assert row["status"] == "paid"
    assert (row["charge_total"], row["paid"], row["adjusted"]) == (
        Decimal("180.00"),
        Decimal("116.00"),
        Decimal("35.00"),
    )
    assert row["patient_responsibility"] == row["balance"] == claim.balance == Decimal("29.00")
    assert row["current_payer_id"] == PATIENT
    assert row["first_paid_on"] == PAID_ON
    assert row["days_to_payment"] == (PAID_ON - at(12).date()).days
    assert row["appeal_deadline"] == PAID_ON + timedelta(days=125)
    assert row["version"] == claim.version
    with aries.read_engine.connect() as conn:
        lines = conn.execute(
            select(claim_lines.c.line_id, claim_lines.c.balance, claim_lines.c.paid).where(
                claim_lines.c.claim_id == claim.id
            )
        ).all()
        pr_entries = conn.execute(
            select(claim_ledger_entries.c.party, claim_ledger_entries.c.carc)
            .where(claim_ledger_entries.c.claim_id == claim.id)
            .where(claim_ledger_entries.c.cas_group == "PR")
        ).all()
    assert {line_id: balance for line_id, balance, _ in lines} == claim.line_balances
    assert sorted(paid for *_, paid in lines) == [Decimal("32.00"), Decimal("84.00")]
    assert sorted(pr_entries) == sorted([("MCR-DMEB", "2"), (PATIENT, "2")] * 2)


def test_a_denial_records_its_carcs_and_a_timely_filing_denial_has_no_appeal_deadline(
    aries, tenant
):
    medical, late = new_claim(), new_claim()
    for claim, carc in ((medical, "50"), (late, "29")):
        submit(claim)
        claim.adjudicate("TRN-1", "ICN-1", "4", denial(claim, carc), PAID_ON)
        aries.claims.save(claim)
    project(aries)

    assert claim_row(aries, medical.id)["denial_carcs"] == ["50"]
    assert claim_row(aries, medical.id)["appeal_deadline"] == PAID_ON + timedelta(days=125)
    assert claim_row(aries, late.id)["denial_carcs"] == ["29"]
    assert claim_row(aries, late.id)["appeal_deadline"] is None


def test_a_correction_keeps_what_the_lines_were_allowed_paid_and_owe(aries, tenant):
    claim = new_claim()
    submit(claim)
    claim.adjudicate("TRN-1", "ICN-1", "1", medicare_payment(claim), PAID_ON)
    claim.transfer_to_secondary(SECONDARY, SECONDARY_COVERAGE, PAID_ON)
    claim.request_submission(claim.submission_count + 1)
    claim.record_submission("000000102", at(14))
    claim.acknowledge(False, ["A3:21"], at(15))
    aries.claims.save(claim)
    project(aries)  # the lines are stored before the correction
    before = line_money(aries, claim.id)

    claim.correct(on=SCRUB_DAY, diagnoses=["G47.33", "M62.81", "J96.11"])
    aries.claims.save(claim)
    project(aries)

    assert line_money(aries, claim.id) == before
    assert {line_id: (balance, payer) for line_id, (_, _, balance, payer) in before.items()} == {
        line_id: (balance, claim.line_payers[line_id])
        for line_id, balance in claim.line_balances.items()
    }
    assert sorted(paid for _, paid, *_ in before.values()) == [Decimal("32.00"), Decimal("84.00")]


# --- The work queue ---------------------------------------------------------------------------


def test_the_work_queue_follows_a_claim_from_draft_to_denial_and_appeal(aries, tenant):
    claim = new_claim()
    aries.claims.save(claim)
    project(aries)
    deadline = date(2026, 3, 10)  # service 2025-03-10 plus Medicare's 12 months
    assert queue(aries, tenant) == {
        "submit_claim": (claim.id, claim.drafted_on),
        "timely_filing_risk": (claim.id, deadline),
    }

    claim.scrub(SCRUB_DAY)
    claim.request_submission(1)
    aries.claims.save(claim)
    project(aries)
    assert queue(aries, tenant) == {"timely_filing_risk": (claim.id, deadline)}

    claim.record_submission("000000101", at(12))
    claim.acknowledge(False, ["A7:562"], at(13))
    aries.claims.save(claim)
    project(aries)
    assert set(queue(aries, tenant)) == {"fix_rejection", "timely_filing_risk"}

    claim.scrub(SCRUB_DAY)
    claim.request_submission(2)
    claim.record_submission("000000102", at(14))
    claim.acknowledge(True, [], at(15))
    claim.adjudicate("TRN-1", "ICN-1", "4", denial(claim), PAID_ON)
    aries.claims.save(claim)
    project(aries)
    assert queue(aries, tenant) == {"appeal_denial": (claim.id, PAID_ON + timedelta(days=125))}

    claim.appeal(1, PAID_ON + timedelta(days=5), "meets the policy")
    aries.claims.save(claim)
    project(aries)
    assert queue(aries, tenant) == {}


def test_the_work_queue_lists_each_rentals_next_month_until_pickup(aries, tenant):
    delivered_on = date(2026, 6, 2)
    order = delivered_bed_and_walker(aries, delivered_on)
    project(aries)
    assert queue(aries, tenant) == {"bill_rental": (order.bed_line_id, date(2026, 7, 2))}

    aries.orders.open_due_rental_months(order.order_id, date(2026, 8, 2))
    project(aries)
    assert queue(aries, tenant) == {"bill_rental": (order.bed_line_id, date(2026, 9, 2))}

    aries.orders.pick_up(order.order_id, picked_up_on=date(2026, 8, 20), reason="no longer needed")
    project(aries)
    assert queue(aries, tenant) == {}


# --- AR aging -----------------------------------------------------------------------------------


def test_ar_aging_buckets_open_balances_by_who_owes_them_and_analysts_may_read_it(
    aries, tenant, db_url
):
    owed_by_medicare, owed_by_patient = new_claim(), new_claim()
    submit(owed_by_medicare)
    submit(owed_by_patient)
    owed_by_patient.adjudicate("TRN-1", "ICN-1", "1", medicare_payment(owed_by_patient), PAID_ON)
    aries.claims.save(owed_by_medicare, owed_by_patient)
    project(aries)

    with psycopg.connect(db_url) as conn:
        conn.execute("SET ROLE aries_analyst")
        found = conn.execute(
            "SELECT payer_id, open_claims, balance, days_over_120 FROM read.ar_aging "
            "WHERE tenant_id = %s ORDER BY payer_id",
            (tenant,),
        ).fetchall()
    # Service on 2025-03-10: more than 120 days before any day these tests run.
    assert found == [
        ("MCR-DMEB", 1, Decimal("180.00"), Decimal("180.00")),
        (PATIENT, 1, Decimal("29.00"), Decimal("29.00")),
    ]


# --- Random histories: live rows equal a rebuild -----------------------------------------------


def _progress(claim: Claim) -> None:
    steps = {
        S.DRAFT: lambda: claim.scrub(SCRUB_DAY),
        S.REJECTED: lambda: claim.scrub(SCRUB_DAY),
        S.SCRUBBED: lambda: claim.request_submission(claim.submission_count + 1),
        S.AWAITING_SECONDARY: lambda: claim.request_submission(claim.submission_count + 1),
        S.SUBMISSION_REQUESTED: lambda: claim.record_submission("000000101", at(12)),
        S.SUBMITTED: lambda: claim.acknowledge(True, [], at(13)),
    }
    while claim.status in steps:
        steps[claim.status]()


class History:
    """Commands on one claim; refused ones (DomainError) record nothing, as the domain
    guarantees, and are skipped."""

    def __init__(self, claim: Claim) -> None:
        self.claim = claim
        self.remittances = 0
        self.last: tuple[str, list] | None = None

    def run(self, command: str) -> None:
        try:
            getattr(self, command)()
        except DomainError:
            pass  # a refused command recorded nothing (the Claim's own tests prove it)

    def progress(self) -> None:
        _progress(self.claim)

    def reject(self) -> None:
        claim = self.claim
        if claim.status is S.SCRUBBED:
            claim.request_submission(claim.submission_count + 1)
        if claim.status is S.SUBMISSION_REQUESTED:
            claim.record_submission("000000103", at(12))
        claim.acknowledge(False, ["A3:21"], at(13))

    def correct(self) -> None:
        self.claim.correct(on=SCRUB_DAY, diagnoses=["G47.33", "M62.81", "J96.11"])

    def leave_unconfirmed(self) -> None:
        claim = self.claim
        if claim.status is S.SCRUBBED:
            claim.request_submission(claim.submission_count + 1)
        claim.prepare_transmission("000000104", [claim.id], at(12))
        claim.leave_transmission_unconfirmed("no status service", at(12))

    def settle_received(self) -> None:
        self.claim.record_transmission_received(at(13))

    def settle_not_received(self) -> None:
        self.claim.record_transmission_not_received(at(13))

    def _remit(self, status: str, lines: list) -> None:
        self.remittances += 1
        self.claim.adjudicate(f"TRN-{self.remittances}", "ICN-1", status, lines, PAID_ON)
        self.last = ("ICN-1", lines)

    def pay(self) -> None:
        self._remit("1", medicare_payment(self.claim))

    def deny(self) -> None:
        self._remit("4", denial(self.claim))

    def deny_late(self) -> None:
        self._remit("4", denial(self.claim, "29", ("N211",)))

    def reverse(self) -> None:
        if self.last is None:
            return
        icn, lines = self.last
        negated = [
            dataclasses.replace(
                line,
                allowed=-line.allowed,
                paid=-line.paid,
                adjustments=tuple(
                    dataclasses.replace(a, amount=-a.amount) for a in line.adjustments
                ),
            )
            for line in lines
        ]
        self.remittances += 1
        self.claim.adjudicate(f"REV-{self.remittances}", icn, "22", negated, PAID_ON)
        self.last = None

    def transfer(self) -> None:
        self.claim.transfer_to_secondary(SECONDARY, SECONDARY_COVERAGE, PAID_ON)

    def patient_responsibility(self) -> None:
        self.claim.assign_patient_responsibility(PAID_ON, "coinsurance")

    def patient_payment(self) -> None:
        owed = self.claim.party_balance(PATIENT)
        self.claim.record_patient_payment(owed, PAID_ON + timedelta(days=9), "CHK-1")

    def refund(self) -> None:
        credit = -self.claim.party_balance(PATIENT)  # after a reversal of a paid claim
        self.claim.refund_patient(credit, PAID_ON + timedelta(days=20), "RF-1")

    def write_off(self) -> None:
        self.claim.write_off(PAID_ON + timedelta(days=30), "small balance")

    def appeal(self) -> None:
        level = 1 if self.claim.redetermination_filed_on is None else 2
        self.claim.appeal(level, PAID_ON + timedelta(days=10 * level), "meets the policy")

    def decide(self) -> None:
        self.claim.decide_appeal(PAID_ON + timedelta(days=40), favourable=False)

    def void(self) -> None:
        self.claim.void(PAID_ON + timedelta(days=50), "billed in error")

    def replace(self) -> None:
        self.claim.replace(PAID_ON + timedelta(days=50), "wrong modifier")

    def close(self) -> None:
        self.claim.close(PAID_ON + timedelta(days=60))


COMMANDS = [name for name in vars(History) if not name.startswith("_") and name != "run"]
ORDER_STEPS = ["open_months", "hold", "release", "pick_up"]


def _assert_rows_agree_with_the_aggregates(aries, histories: list[History]) -> None:
    for history in histories:
        claim = aries.claims.get_claim(history.claim.id)
        row = claim_row(aries, claim.id)
        assert row["status"] == claim.status.value
        assert row["balance"] == claim.balance
        assert row["patient_responsibility"] == claim.party_balance(PATIENT)
        assert row["current_payer_id"] == latest_positive_party(claim)
        assert row["line_count"] == len(claim.lines)
        lines = line_money(aries, claim.id)
        assert {line_id: (balance, payer) for line_id, (_, _, balance, payer) in lines.items()} == {
            line_id: (balance, claim.line_payers[line_id])
            for line_id, balance in claim.line_balances.items()
        }
        assert row["billed_payer_id"] == claim.billed_payer_id
        assert row["filed"] is claim.filed
        assert row["version"] == claim.version
        pending = claim.pending_transmission
        unconfirmed = claim.status is S.TRANSMISSION_UNCONFIRMED
        assert row["unconfirmed_interchange_control_number"] == (
            pending.interchange_control_number if unconfirmed and pending else None
        )


@settings(max_examples=6)
@given(
    scripts=st.lists(
        st.tuples(
            st.booleans(),
            st.lists(st.sampled_from(COMMANDS), min_size=3, max_size=10),
            # Project now and then, so the live rows come from batches of every shape.
            st.lists(st.sampled_from([False, False, False, True]), min_size=10, max_size=10),
        ),
        min_size=2,
        max_size=3,
    ),
    order_steps=st.lists(st.sampled_from(ORDER_STEPS), max_size=4),
    batch_size=st.sampled_from([3, 50, 500]),
    # Batches of one apply each event alone; larger ones fold several events of a claim at once.
    rebuild_batch_size=st.sampled_from([1, 50, 5000]),
)
def test_rebuilding_the_claim_projections_gives_the_rows_the_live_projectors_produced(
    aries, scripts, order_steps, batch_size, rebuild_batch_size
):
    # The database is shared by the examples: rows are compared over every event so far.
    tenant = f"t-{uuid.uuid4().hex[:10]}"
    histories = []
    with bound_context(tenant_id=tenant, actor_id="u-test", actor_role="biller"):
        if order_steps:
            order = delivered_bed_and_walker(aries, date(2026, 1, 31))
            for number, step in enumerate(order_steps, start=1):
                on = date(2026, 1, 31) + timedelta(days=30 * number)
                try:
                    if step == "open_months":
                        aries.orders.open_due_rental_months(order.order_id, on)
                    elif step == "hold":
                        aries.orders.hold(order.order_id, reason="hospital stay", on=on)
                    elif step == "release":
                        aries.orders.release(order.order_id, on=on)
                    else:
                        aries.orders.pick_up(order.order_id, picked_up_on=on, reason="done")
                except DomainError:
                    pass
            aries.claims.catch_up_all()  # the process manager drafts the order's claims
        for filed, commands, project_now in scripts:
            history = History(new_claim())
            histories.append(history)
            if filed:  # most commands need a claim the payer has
                history.progress()
            aries.claims.save(history.claim)
            for command, now in zip(commands, project_now, strict=False):
                history.run(command)
                aries.claims.save(history.claim)
                if now:
                    catch_up(aries, "claims", batch_size=batch_size)
                    catch_up(aries, "work_queue", batch_size=batch_size)
    catch_up(aries, "claims", batch_size=batch_size)
    catch_up(aries, "work_queue", batch_size=batch_size)
    _assert_rows_agree_with_the_aggregates(aries, histories)
    live = (rows(aries, CLAIM_TABLES), rows(aries, QUEUE_TABLES))

    rebuild(aries, "claims", batch_size=rebuild_batch_size)
    rebuild(aries, "work_queue", batch_size=rebuild_batch_size)

    assert (rows(aries, CLAIM_TABLES), rows(aries, QUEUE_TABLES)) == live


# --- Rebuild: indexes ---------------------------------------------------------------------------


def _claim_indexes(db_url: str) -> list[tuple[str, str]]:
    with psycopg.connect(db_url) as conn:
        return conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'read' "
            "AND tablename IN ('claims', 'claim_lines', 'claim_ledger_entries') ORDER BY 1"
        ).fetchall()


def test_a_rebuild_builds_the_secondary_indexes_after_the_rows_and_leaves_them_as_migrated(
    aries, db_url
):
    from projections import registry
    from projections.rebuild import _deferred_indexes

    deferred = {index.name for index in _deferred_indexes(registry.get("claims"))}
    migrated = _claim_indexes(db_url)
    with bound_context(tenant_id="t-indexes", actor_id="u-test", actor_role="biller"):
        aries.claims.save(new_claim())

    rebuild(aries, "claims", batch_size=2)

    assert _claim_indexes(db_url) == migrated
    # Neither the keys nor the index the handlers read lines by (claim_id) waits for the end.
    assert deferred == {
        "ix_claims_tenant_id_drafted_at_claim_id",
        "ix_claims_tenant_id_status",
        "ix_claims_tenant_id_current_payer_id",
        "ix_claims_tenant_id_order_id",
        "ix_claims_tenant_id_patient_id",
        "ix_claim_ledger_entries_tenant_id_posted_on",
    }


def _claim_tables(db_url: str) -> list[tuple[object, ...]]:
    """Each column of the claims tables as the catalogue describes it (type, default, null,
    comment), by name (migrations added some columns after others the tables list later),
    then each table's comment and constraints."""
    with psycopg.connect(db_url) as conn:
        columns = conn.execute(
            "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), "
            "a.attnotnull, pg_get_expr(d.adbin, d.adrelid), col_description(c.oid, a.attnum) "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
            "LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum "
            "WHERE n.nspname = 'read' AND c.relname IN ('claims', 'claim_lines', "
            "'claim_ledger_entries') ORDER BY 1, 2"
        ).fetchall()
        tables = conn.execute(
            "SELECT c.relname, obj_description(c.oid, 'pg_class'), k.conname, "
            "pg_get_constraintdef(k.oid) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "LEFT JOIN pg_constraint k ON k.conrelid = c.oid "
            "WHERE n.nspname = 'read' AND c.relname IN ('claims', 'claim_lines', "
            "'claim_ledger_entries') ORDER BY 1, 3"
        ).fetchall()
    return [*columns, *tables]


def test_rebuilt_tables_have_the_migrated_columns_comments_and_constraints(aries, db_url):
    migrated = _claim_tables(db_url)
    assert len(migrated) > 60  # the columns are there to compare
    assert any(row[-1] for row in migrated)  # and comments among them
    with bound_context(tenant_id="t-tables", actor_id="u-test", actor_role="biller"):
        aries.claims.save(new_claim())

    rebuild(aries, "claims", batch_size=2)
    assert _claim_tables(db_url) == migrated
    rebuild(aries, "claims", batch_size=2)  # from the DDL compiled by the first
    assert _claim_tables(db_url) == migrated
