"""Figures 4 and 6: event-store commits/s (library recorder vs group commit, vs raw psycopg
INSERTs) and loading a 10,000-event aggregate with and without a snapshot.

A "commit" is one command's `AriesApplication.commit()` of one new aggregate (one event) of
the family's own kind: a patient registration, an order intake, a claim draft, a user. The
aggregates are built before the clock starts, so the figure is what the event store does
(transcoding, the insert transaction under the table lock), not the domain's decisions.
"""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import uuid4

import psycopg

from application.claims import ClaimApplication
from application.eventstore import AriesApplication, postgres_env
from application.identity import IdentityApplication
from application.orders import OrderApplication
from application.patients import PatientApplication
from bench.report import Turns, alternate
from domain.claim import Claim
from domain.claim_values import LineToBill
from domain.identity import Role, User
from domain.order import Order
from domain.order_values import LineBilling, OrderingPractitioner, OrderLine
from domain.patient import Patient
from domain.patient_values import Address, Demographics, Sex

FAMILIES = ("patients", "orders", "claims", "identity")
LIBRARY = {
    "APPLICATION_RECORDER_TOPIC": "eventsourcing.postgres:PostgresApplicationRecorder",
    "PROCESS_RECORDER_TOPIC": "eventsourcing.postgres:PostgresProcessRecorder",
}
APPLICATIONS: dict[str, type[AriesApplication]] = {
    "patients": PatientApplication,
    "orders": OrderApplication,
    "claims": ClaimApplication,
    "identity": IdentityApplication,
}
# Production seals every event it stores (decision 009): so does the bench, with a key of its own.
SEAL_KEY = "bench seal key, not a secret"  # noqa: S105 (a throwaway database's)
# A fixed argon2 hash: hashing is the identity command's cost, not the event store's.
PASSWORD_HASH = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHRzYWx0$" + "A" * 43
DEMOGRAPHICS = Demographics(
    first_name="Bench",
    last_name="Mark",
    date_of_birth=date(1950, 1, 1),
    sex=Sex.FEMALE,
    address=Address("1 Main St", None, "Columbus", "OH", "43004"),
    phone=None,
)
MOVED = Demographics(
    first_name="Bench",
    last_name="Mark",
    date_of_birth=date(1950, 1, 1),
    sex=Sex.FEMALE,
    address=Address("2 High St", None, "Columbus", "OH", "43004"),
    phone=None,
)


def new_aggregate(family: str, index: int, patient_id: Any = None) -> Any:
    if family == "patients":
        return Patient.register(
            account_number="A0000000", demographics=DEMOGRAPHICS, as_of=date(2026, 1, 5)
        )
    if family == "orders":
        return Order.intake(
            patient_id=patient_id or uuid4(),
            practitioner=OrderingPractitioner(name="Dr Bench", npi="1234567893"),
            diagnoses=("G47.33",),
            order_date=date(2026, 1, 5),
            lines=[OrderLine(uuid4(), "E0601", 1, LineBilling.RENTAL)],
        )
    if family == "claims":
        return Claim.draft(
            order_id=uuid4(),
            patient_id=patient_id or uuid4(),
            payer_id="MCR-DMEB",
            coverage_id=uuid4(),
            billing_month="2026-01",
            ordering_npi="1234567893",
            diagnoses=["G47.33"],
            lines=[
                LineToBill(
                    order_line_id=uuid4(),
                    hcpcs="E0601",
                    billing="rental",
                    rental_month=1,
                    from_date=date(2026, 1, 5),
                    to_date=date(2026, 2, 4),
                    adherence_met=True,
                )
            ],
            swo_on_file=True,
            pod_on_file=True,
            drafted_on=date(2026, 1, 6),
        )
    if family == "identity":
        return User.register(
            username=f"bench{index}-{uuid4().hex[:8]}",
            role=Role.INTAKE,
            password_hash=PASSWORD_HASH,
        )
    raise ValueError(family)


def applications(
    database_url: str, families: tuple[str, ...], *, group_commit: bool, threads: int = 2
) -> dict[str, AriesApplication]:
    """The families' applications, with pools no larger than their threads can use (the
    database server's connections are shared with whoever else uses it)."""
    env = postgres_env(
        database_url,
        pool_size=1,
        max_overflow=threads,
        connect_timeout=10,
        audit_signing_key=SEAL_KEY,
    )
    if not group_commit:
        env.update(LIBRARY)
    apps: dict[str, AriesApplication] = {}
    try:
        for family in families:
            apps[family] = APPLICATIONS[family](env=env)
    except BaseException:
        for app in apps.values():
            app.close()
        raise
    return apps


def commit_rate(
    database_url: str,
    families: tuple[str, ...],
    *,
    threads: int,
    commits_per_thread: int,
    group_commit: bool,
    ready: Callable[[], None] = lambda: None,
) -> tuple[float, float, int, int]:
    """`threads` threads per family, each committing its prebuilt aggregates one command at a
    time. Answers (wall-clock start, end, commits, failures)."""
    apps = applications(database_url, families, group_commit=group_commit, threads=threads)
    work = [
        (apps[family], [new_aggregate(family, i) for i in range(commits_per_thread)])
        for family in families
        for _ in range(threads)
    ]
    for app in apps.values():  # open the pools before the clock starts
        app.recorder.max_notification_id()
    failures = [0]
    barrier = threading.Barrier(len(work) + 1)

    def run(app: AriesApplication, aggregates: list[Any]) -> None:
        barrier.wait()
        for aggregate in aggregates:
            try:
                app.commit(aggregate)
            except Exception:  # counted, not committed: the figure counts only commits
                failures[0] += 1

    workers = [threading.Thread(target=run, args=item) for item in work]
    try:
        for worker in workers:
            worker.start()
        ready()
        barrier.wait()
        started = time.time()
        for worker in workers:
            worker.join()
        finished = time.time()
    finally:
        barrier.abort()
        for app in apps.values():
            app.close()
    return started, finished, len(work) * commits_per_thread - failures[0], failures[0]


def _in_process(args: tuple[Any, ...], start: Any, out: Any) -> None:
    database_url, families, threads, per_thread, group_commit = args
    out.put(
        commit_rate(
            database_url,
            families,
            threads=threads,
            commits_per_thread=per_thread,
            group_commit=group_commit,
            ready=start.wait,
        )
    )


def commit_rate_processes(
    database_url: str,
    plan: list[tuple[str, ...]],
    *,
    threads: int,
    commits_per_thread: int,
    group_commit: bool,
) -> float:
    """One process per entry of `plan` (the families it commits to), started together.
    Answers commits/s over the whole span."""
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(len(plan))
    out = context.Queue()
    processes = [
        context.Process(
            target=_in_process,
            args=((database_url, families, threads, commits_per_thread, group_commit), start, out),
        )
        for families in plan
    ]
    for process in processes:
        process.start()
    results = [out.get(timeout=300) for _ in processes]
    for process in processes:
        process.join(timeout=30)
    begin = min(r[0] for r in results)
    end = max(r[1] for r in results)
    return sum(r[2] for r in results) / (end - begin)


def raw_insert_rate(database_url: str, *, threads: int, inserts_per_thread: int) -> float:
    """Raw psycopg: single-row INSERT transactions (autocommit), one connection per thread."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS bench_raw "
            "(id bigserial PRIMARY KEY, originator_id uuid, state bytea)"
        )
    connections = [psycopg.connect(database_url, autocommit=True) for _ in range(threads)]
    payload = b"x" * 300
    barrier = threading.Barrier(threads + 1)

    def run(conn: psycopg.Connection) -> None:
        barrier.wait()
        for _ in range(inserts_per_thread):
            conn.execute(
                "INSERT INTO bench_raw (originator_id, state) VALUES (%s, %s)", (uuid4(), payload)
            )

    workers = [threading.Thread(target=run, args=(c,)) for c in connections]
    for worker in workers:
        worker.start()
    barrier.wait()
    started = time.perf_counter()
    for worker in workers:
        worker.join()
    seconds = time.perf_counter() - started
    for conn in connections:
        conn.close()
    return threads * inserts_per_thread / seconds


# --- Figure 6 ---------------------------------------------------------------------------------


def long_patient(database_url: str, events: int) -> Any:
    """A patient with `events` events (demographics corrected over and over), saved at once."""
    (app,) = applications(database_url, ("patients",), group_commit=True).values()
    patient = Patient.register(
        account_number="A0000000", demographics=DEMOGRAPHICS, as_of=date(2026, 1, 5)
    )
    for index in range(events - 1):
        patient.correct_demographics(MOVED if index % 2 else DEMOGRAPHICS, as_of=date(2026, 1, 5))
    pending = patient.collect_events()
    # In chunks: one multi-megabyte insert has hung in psycopg's pipeline on a Unix socket.
    for start in range(0, len(pending), 500):
        app.save(*pending[start : start + 500])
    app.close()
    return patient.id


def load_times_ms(database_url: str, aggregate_id: Any, *, loads: int) -> Turns[float]:
    """Loads of the aggregate without and with a snapshot at its head, in turns (ms)."""
    env = postgres_env(database_url, pool_size=1, max_overflow=1, connect_timeout=10)
    plain = PatientApplication(env=env)
    snapshotting = PatientApplication(env={**env, "IS_SNAPSHOTTING_ENABLED": "y"})
    try:
        if snapshotting.snapshots is not None:
            if not list(snapshotting.snapshots.get(aggregate_id, desc=True, limit=1)):
                snapshotting.take_snapshot(aggregate_id)

        def timed(app: PatientApplication) -> Callable[[], float]:
            def load() -> float:
                started = time.perf_counter()
                app.repository.get(aggregate_id)
                return (time.perf_counter() - started) * 1000

            return load

        for app in (plain, snapshotting):  # warm the pools and the topic cache
            app.repository.get(aggregate_id)
        return alternate(
            loads, {"without a snapshot": timed(plain), "with a snapshot": timed(snapshotting)}
        )
    finally:
        plain.close()
        snapshotting.close()
