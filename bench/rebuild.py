"""Figure 5: rebuilding each registered projection from position 0, vs reading the raw
notification logs (no decoding) as fast as the recorder can page through them.

A projection's rate counts the events of its own that it applied (those a handler takes), over
the whole rebuild: reading and skipping the other events of its upstream logs, building the
tables, catching up and swapping them in are part of its time. Its label says how many."""

from __future__ import annotations

import time
from datetime import date
from uuid import uuid4

import psycopg

from bench import targets
from bench.eventstore import DEMOGRAPHICS, MOVED, applications, new_aggregate
from bench.report import Report, Row, load_average, runs
from domain.inventory import StockLedger
from domain.patient import Patient

PER_SAVE = 400
# Per projection: `make bench` must finish in 10 minutes whatever the projections cost.
BUDGET_SECONDS = 40


def fill(database_url: str, events: int) -> int:
    """About `events` events: patients with 5 events each, single-event orders and claims, and
    stock ledgers (in the orders log) opened and received into 4 times, saved in large batches
    (this is setup, not a measured figure)."""
    apps = applications(database_url, ("patients", "orders", "claims"), group_commit=True)
    written = 0
    try:
        while written < events:
            patients = []
            for _ in range(PER_SAVE // 10):
                patient = Patient.register(
                    account_number="A0000000", demographics=DEMOGRAPHICS, as_of=date(2026, 1, 5)
                )
                for index in range(4):
                    patient.correct_demographics(
                        MOVED if index % 2 else DEMOGRAPHICS, as_of=date(2026, 1, 5)
                    )
                patients.append(patient)
            apps["patients"].save(*patients)
            owners = [patients[i % len(patients)].id for i in range(PER_SAVE // 4)]
            orders = [new_aggregate("orders", i, owner) for i, owner in enumerate(owners)]
            apps["orders"].save(*orders)
            claims = [new_aggregate("claims", i, owner) for i, owner in enumerate(owners)]
            apps["claims"].save(*claims)
            ledgers = []
            for _ in range(PER_SAVE // 20):
                ledger = StockLedger.open(
                    tenant_id="bench",
                    location_id=uuid4(),
                    item_id=uuid4(),
                    hcpcs="E0601",
                    serialised=False,
                )
                for index in range(4):
                    ledger.receive(5, f"PO-{index}", None, on=date(2026, 1, 5))
                ledgers.append(ledger)
            apps["orders"].save(*ledgers)
            written += len(patients) * 5 + len(orders) + len(claims) + len(ledgers) * 5
    finally:
        for app in apps.values():
            app.close()
    return written


def raw_read_rate(database_url: str, batch: int = 500) -> float:
    apps = applications(database_url, ("patients", "orders", "claims"), group_commit=True)
    try:
        started = time.perf_counter()
        count = 0
        for app in apps.values():
            start = 1
            while notifications := app.recorder.select_notifications(start, batch):
                count += len(notifications)
                start = notifications[-1].id + 1
        return count / (time.perf_counter() - started)
    finally:
        for app in apps.values():
            app.close()


def measure(report: Report, database_url: str, redis_url: str, events: int, repeat: int) -> None:
    from interfaces.bootstrap import bootstrap
    from interfaces.settings import Settings
    from projections import registry
    from projections.rebuild import rebuild

    written = fill(database_url, events)
    # The fill wrote about 235 MB of WAL: flushed now, not by a checkpoint that
    # PostgreSQL would start in the middle of a measured rebuild.
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("CHECKPOINT")
    aries = bootstrap(Settings(database_url=database_url, redis_url=redis_url))
    try:
        for projection in registry.PROJECTIONS:
            # In turns with the raw read (A B A B), so a busy minute shifts both.
            raw: list[float] = []
            rates: list[float] = []
            cpu: list[float] = []  # the process's CPU microseconds a handled event
            steps: list[dict[str, float]] = []
            loads: list[float] = []
            note = ""
            handled = read = 0
            began = time.monotonic()
            for _ in range(repeat):
                if rates and time.monotonic() - began > BUDGET_SECONDS:
                    note = f"{len(rates)} of {repeat} runs: {BUDGET_SECONDS} s budget spent"
                    break
                loads.append(load_average())
                raw.append(raw_read_rate(database_url))
                loads.append(load_average())
                spent = time.process_time()
                try:
                    done = rebuild(aries, projection)
                except Exception as error:  # a failed rebuild is a finding, not a crash
                    note = f"rebuild failed: {type(error).__name__}: {str(error)[:120]}"
                    break
                handled, read = done.handled, done.events
                if not handled:
                    note = "no events of its own in the bench's logs"
                    break
                rates.append(handled / done.seconds)
                cpu.append((time.process_time() - spent) / handled * 1e6)
                steps.append(done.steps)
            report.add(
                Row(
                    "5",
                    f"rebuild projection {projection.name} ({handled:,} of its events; "
                    f"{read:,} read from its upstream logs, of {written:,} in all)",
                    "events/s",
                    runs(rates),
                    "raw notification-log read",
                    runs(raw),
                    targets.REBUILD,
                    note=note,
                    load=runs(loads),
                ),
            )
            if cpu:
                report.add(
                    Row(
                        "5",
                        f"rebuild projection {projection.name}: the rebuilding process's CPU "
                        "a handled event",
                        "us/event",
                        runs(cpu),
                        note=_steps_note(rates, steps),
                        load=runs(loads),
                    ),
                )
    finally:
        aries.close()


def _steps_note(rates: list[float], steps: list[dict[str, float]]) -> str:
    """Where the median run's wall time went, step by step (`RebuildReport.steps`)."""
    median = sorted(range(len(rates)), key=rates.__getitem__)[len(rates) // 2]
    spent = ", ".join(f"{step} {seconds:.2f}" for step, seconds in steps[median].items())
    return f"all threads (decoding, handlers, COPY); wall s of the median run: {spent}"
