"""Figure 7: claim submissions/s end to end through `aries worker` (Dramatiq on Redis), vs the
submission service called in-process on the same batches.

Setup, before any clock: one tenant per run, each with `claims` Medicare patients, a delivered
order for each (a hospital bed rented, a walker bought) and the order's drafted claim, built
through the domain model and saved in large batches. The claims are drafted by the claims
process manager's own rule (`lines_to_bill`, `Claim.draft`), and its tracking is moved to the
head of the Orders log, so the workers find no order left to process.

Aries: an `aries worker` subprocess (sandbox clearinghouse, 1 s submission windows, a Redis
namespace of the bench's own), warmed up on a few claims first. The clock starts; the bench asks
for every claim's submission as POST /v1/claims/{id}/submit does (`ClaimApplication.submit`,
then the job row), from a thread pool; the clock stops when every claim has its `Accepted`
event: the reaction batched the requests by window, Dramatiq carried the batches, the workers
rendered the 837Ps, the sandbox answered and the workers recorded the answers.

Baseline: the same work without the hop. Fresh claims are asked for the same way, then
`SubmissionService.submit` is called in this process on batches of the sizes the workers were
sent, from as many threads as the worker had. The worker is stopped by then.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from subprocess import Popen
from uuid import UUID

import psycopg
from eventsourcing.persistence import Tracking
from rich.console import Console

from application.claims import lines_to_bill
from application.patients import account_number_for
from application.submission import SubmissionService
from bench.processes import started
from bench.report import Report, Row, Target, runs
from domain.claim import Claim
from domain.context import EventContext, bound_context
from domain.order import Order
from domain.order_values import (
    LineBilling,
    LineSerial,
    OrderingPractitioner,
    OrderLine,
    ProofOfDelivery,
    SignerRelationship,
)
from domain.patient import Patient
from domain.patient_values import Address, CoverageRank, Demographics, RelationshipToSubscriber, Sex
from interfaces.bootstrap import Aries, bootstrap
from interfaces.logging import configure_logging
from interfaces.settings import Settings
from interfaces.workers.jobs import JobStore, job_id_for_submission
from tests.servers import redis_namespace

MEDICARE = "MCR-DMEB"
MBI = "1EG4TE5MK73"
PRACTITIONER = OrderingPractitioner(name="Dr Ada Lovelace", npi="1234567893")
DEMOGRAPHICS = Demographics(
    first_name="Ana",
    last_name="Rivera",
    date_of_birth=date(1948, 3, 9),
    sex=Sex.FEMALE,
    address=Address("12 Elm St", None, "Springfield", "IL", "62701"),
    phone=None,
)
PER_SAVE = 200  # orders per save(): large transactions, none of them megabytes
WARM_UP_CLAIMS = 20
ACCEPTED, REJECTED = "aries.claim.Accepted", "aries.claim.Rejected"
BATCH_SECONDS = 1  # the shortest submission window Settings allows
WAIT_SECONDS = 180.0
POLL_SECONDS = 0.02

console = Console(stderr=True)


@dataclass(frozen=True)
class Sizes:
    runs: int
    claims: int  # per run; every run has fresh claims
    request_threads: int = 8
    # One `aries worker`, as deployed by default: a second process measured slower on this
    # machine's 2 cores (shared with PostgreSQL and the bench), and it would need a warm-up of
    # its own that no message can be addressed to.
    worker_threads: int = 4


@dataclass(frozen=True)
class Timing:
    """One run: asking for the submissions, then waiting for the last acknowledgement."""

    claims: int
    requesting: float
    draining: float

    @property
    def per_second(self) -> float:
        return self.claims / (self.requesting + self.draining)

    @property
    def requested_per_second(self) -> float:
        return self.claims / self.requesting


@dataclass
class Collected:
    workers: list[Timing] = field(default_factory=list)
    direct: list[Timing] = field(default_factory=list)
    messages: list[list[int]] = field(default_factory=list)  # claims per message, per run


# --- setup ------------------------------------------------------------------------------------


def _delivered(delivered_on: date, drafted_on: date) -> tuple[Patient, Order, list[Claim]]:
    """A Medicare patient, a delivered order for them and its claims, in memory."""
    patient_id, coverage_id = uuid.uuid4(), uuid.uuid4()
    patient = Patient.register(
        account_number=account_number_for(patient_id),
        demographics=DEMOGRAPHICS,
        as_of=delivered_on,
        mbi=MBI,
        patient_id=patient_id,
    )
    patient.add_coverage(
        coverage_id=coverage_id,
        payer_id=MEDICARE,
        payer_name="Medicare DME MAC Jurisdiction B",
        member_id=MBI,
        group_number=None,
        rank=CoverageRank.PRIMARY,
        relationship_to_subscriber=RelationshipToSubscriber.SELF,
        effective_from=delivered_on - timedelta(days=365),
    )
    bed, walker = uuid.uuid4(), uuid.uuid4()
    order = Order.intake(
        patient_id=patient_id,
        practitioner=PRACTITIONER,
        diagnoses=["G47.33", "E11.9"],
        order_date=delivered_on,
        lines=[
            OrderLine(bed, "E0260", 1, LineBilling.RENTAL, None),
            OrderLine(walker, "E0143", 1, LineBilling.PURCHASE_NEW, None),
        ],
    )
    order.verify_coverage(
        coverage_id=coverage_id,
        payer_id=MEDICARE,
        verified_on=delivered_on,
        eligible=True,
        same_or_similar_found=False,
    )
    order.record_swo(delivered_on, PRACTITIONER.npi)
    order.deliver(
        delivered_on,
        ProofOfDelivery(
            signer_name="Ana Rivera",
            relationship=SignerRelationship.PATIENT,
            signed_on=delivered_on,
            serial_numbers=(LineSerial(bed, "BED-0001"),),
        ),
    )
    # As OrderApplication.deliver does: month 1 of the rental is due on the date of service.
    order.open_due_rental_months(delivered_on)
    # As ClaimApplication's process manager drafts a delivered order's claims (no UTN here).
    claims = [
        Claim.draft(
            order_id=order.id,
            patient_id=patient_id,
            payer_id=MEDICARE,
            coverage_id=coverage_id,
            billing_month=month,
            ordering_npi=order.ordering_npi,
            diagnoses=list(order.diagnoses),
            lines=lines,
            swo_on_file=order.swo_on_file,
            pod_on_file=order.pod is not None,
            drafted_on=drafted_on,
        )
        for month, lines in sorted(lines_to_bill(order).items())
    ]
    return patient, order, claims


def ready_claims(aries: Aries, tenant: str, count: int) -> list[UUID]:
    """At least `count` drafted claims of `tenant` (one per delivered order); their ids."""
    today = aries.claims.clock.today()
    delivered_on = today - timedelta(days=3)
    claim_ids: list[UUID] = []
    intake = EventContext(tenant_id=tenant, actor_id="bench-intake", actor_role="intake")
    with bound_context(intake):
        while len(claim_ids) < count:
            built = [
                _delivered(delivered_on, today)
                for _ in range(min(PER_SAVE, count - len(claim_ids)))
            ]
            aries.patients.save(*(patient for patient, _, _ in built))
            aries.orders.save(*(order for _, order, _ in built))
            drafted = [claim for _, _, claims in built for claim in claims]
            aries.claims.save(*drafted)
            claim_ids.extend(claim.id for claim in drafted)
    return claim_ids


def skip_drafted_orders(aries: Aries) -> None:
    """Record the claims process manager as past every order so far: their claims are drafted
    already, so a worker starting now has nothing to catch up on."""
    head = aries.orders.recorder.max_notification_id()
    if head:
        aries.claims.recorder.insert_tracking(Tracking(aries.orders.name, head))


# --- the two ways -----------------------------------------------------------------------------


def request_submissions(aries: Aries, tenant: str, claim_ids: Sequence[UUID], threads: int) -> None:
    """What POST /v1/claims/{id}/submit does for each claim, `threads` at a time."""
    store = JobStore(aries.read_engine)
    biller = EventContext(tenant_id=tenant, actor_id="bench-biller", actor_role="biller")

    def submit(claim_id: UUID) -> None:
        with bound_context(biller):
            result = aries.claims.submit(claim_id)
        job_id = job_id_for_submission(claim_id, result.submission_number)
        store.queued(job_id, "claim_submission", tenant, claim_id, "bench-biller")

    with ThreadPoolExecutor(threads) as pool:
        for _ in pool.map(submit, claim_ids):
            pass


class Acknowledgements:
    """Counts the acknowledgements recorded in the claims log after it was opened, reading each
    row once (the event tables' insert lock keeps notification ids in commit order, so a row
    never appears behind the position already read)."""

    def __init__(self, database_url: str) -> None:
        self.conn = psycopg.connect(database_url, autocommit=True)
        self.position = _head(self.conn)
        self.accepted = self.rejected = 0

    def __enter__(self) -> Acknowledgements:
        return self

    def __exit__(self, *exc: object) -> None:
        self.conn.close()

    def poll(self) -> None:
        row = self.conn.execute(
            "SELECT max(notification_id), count(*) FILTER (WHERE topic = %s), "
            "count(*) FILTER (WHERE topic = %s) FROM claims_events WHERE notification_id > %s",
            (ACCEPTED, REJECTED, self.position),
        ).fetchone()
        if row is not None and row[0] is not None:
            self.position = int(row[0])
            self.accepted += int(row[1])
            self.rejected += int(row[2])

    def wait_for(self, count: int) -> None:
        deadline = time.monotonic() + WAIT_SECONDS
        while self.accepted + self.rejected < count:
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"{self.accepted} of {count} claims accepted after {WAIT_SECONDS:.0f} s"
                )
            time.sleep(POLL_SECONDS)
            self.poll()
        if self.rejected:
            raise RuntimeError(f"the sandbox rejected {self.rejected} of {count} claims")


def through_workers(
    aries: Aries, database_url: str, tenant: str, claim_ids: Sequence[UUID], threads: int
) -> Timing:
    with Acknowledgements(database_url) as acknowledgements:
        began = time.perf_counter()
        request_submissions(aries, tenant, claim_ids, threads)
        requested = time.perf_counter()
        acknowledgements.wait_for(len(claim_ids))
        finished = time.perf_counter()
    return Timing(len(claim_ids), requested - began, finished - requested)


def in_process(
    aries: Aries,
    service: SubmissionService,
    tenant: str,
    claim_ids: Sequence[UUID],
    batch_sizes: Sequence[int],
    sizes: Sizes,
) -> Timing:
    """The claims asked for as above, then sent by the service itself: `batch_sizes` claims at a
    time (what the workers' messages carried), from as many threads as the workers had."""
    worker = EventContext(tenant_id=tenant, actor_id="worker:submit_claims", actor_role="system")
    batches, start = [], 0
    for size in batch_sizes:
        batches.append(claim_ids[start : start + size])
        start += size
    if start < len(claim_ids):
        batches.append(claim_ids[start:])

    def submit(batch: Sequence[UUID]) -> int:
        with bound_context(worker):
            outcome = service.submit(batch)
        return len(outcome.accepted)

    began = time.perf_counter()
    request_submissions(aries, tenant, claim_ids, sizes.request_threads)
    requested = time.perf_counter()
    with ThreadPoolExecutor(sizes.worker_threads) as pool:
        accepted = sum(pool.map(submit, batches))
    finished = time.perf_counter()
    if accepted != len(claim_ids):
        raise RuntimeError(f"the sandbox accepted {accepted} of {len(claim_ids)} claims")
    return Timing(len(claim_ids), requested - began, finished - requested)


# --- around them ------------------------------------------------------------------------------


def _head(conn: psycopg.Connection) -> int:
    row = conn.execute("SELECT coalesce(max(notification_id), 0) FROM claims_events").fetchone()
    return int(row[0]) if row else 0


def wait_for_jobs(database_url: str, tenant: str, count: int) -> None:
    """Until the workers have marked the tenant's jobs succeeded (they do so after recording
    the acknowledgements), so the next run starts on idle workers."""
    deadline = time.monotonic() + WAIT_SECONDS
    with psycopg.connect(database_url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            row = conn.execute(
                "SELECT count(*) FROM ops.jobs WHERE tenant_id = %s AND status = 'succeeded'",
                (tenant,),
            ).fetchone()
            if row is not None and int(row[0]) >= count:
                return
            time.sleep(0.05)
    raise RuntimeError(f"the workers did not finish the jobs of {tenant} in {WAIT_SECONDS:.0f} s")


def messages_of(database_url: str, tenant: str) -> list[int]:
    """Claims per Dramatiq message the tenant's submissions went in (from the jobs' results)."""
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT count(*) FROM ops.jobs WHERE tenant_id = %s AND kind = 'claim_submission' "
            "GROUP BY result->>'batch_id' ORDER BY min(updated_at)",
            (tenant,),
        ).fetchall()
    return [int(count) for (count,) in rows]


def wait_until_following(database_url: str, worker: Popen[bytes], log: Path) -> None:
    """Until the workers' claim_submissions reaction has read the claims log to its head (the
    setup's drafts), so no clock times their start-up."""
    deadline = time.monotonic() + WAIT_SECONDS
    with psycopg.connect(database_url, autocommit=True) as conn:
        head = _head(conn)
        while time.monotonic() < deadline:
            if worker.poll() is not None:
                raise RuntimeError(f"the worker exited ({worker.returncode}); see {log}")
            row = conn.execute(
                "SELECT position FROM ops.reaction_tracking "
                "WHERE reaction = 'claim_submissions' AND upstream = 'claims'"
            ).fetchone()
            if row is not None and int(row[0]) >= head:
                return
            time.sleep(0.05)
    raise RuntimeError(f"the workers' reaction did not catch up in {WAIT_SECONDS:.0f} s; see {log}")


def _say(text: str) -> None:
    console.print(f"  {text}")


def measure(report: Report, database_url: str, redis_url: str, sizes: Sizes, log_dir: Path) -> None:
    # The in-process baseline logs each 837P it sends, as the workers do into their own logs.
    configure_logging("WARNING")
    with redis_namespace(redis_url, purpose="bench") as prefix:
        aries = bootstrap(
            Settings(
                database_url=database_url,
                redis_url=redis_url,
                redis_key_prefix=prefix,
                # Small pools: the database server's connections are shared.
                db_pool_size=1,
                db_max_overflow=sizes.request_threads,
                read_pool_size=sizes.request_threads,
            )
        )
        try:
            got = _measure(aries, database_url, redis_url, prefix, sizes, log_dir)
        finally:
            aries.close()
    _rows(report, got, sizes)


def _measure(
    aries: Aries, database_url: str, redis_url: str, prefix: str, sizes: Sizes, log_dir: Path
) -> Collected:
    from interfaces.clearinghouse import submission_service_from

    began = time.perf_counter()
    tag = prefix.split(":")[1]
    worker_tenants = [f"bench-{tag}-worker-{run}" for run in range(sizes.runs)]
    direct_tenants = [f"bench-{tag}-direct-{run}" for run in range(sizes.runs)]
    warm_ups = (f"bench-{tag}-warm-worker", f"bench-{tag}-warm-direct")
    claims = {
        tenant: ready_claims(aries, tenant, sizes.claims)
        for tenant in (*worker_tenants, *direct_tenants)
    }
    for tenant in warm_ups:
        claims[tenant] = ready_claims(aries, tenant, WARM_UP_CLAIMS)
    skip_drafted_orders(aries)
    _say(
        f"setup: {sum(map(len, claims.values())):,} claims drafted in "
        f"{time.perf_counter() - began:.1f} s"
    )

    got = Collected()
    env = {
        "ARIES_DATABASE_URL": database_url,
        "ARIES_REDIS_URL": redis_url,
        "ARIES_REDIS_KEY_PREFIX": prefix,
        "ARIES_CLEARINGHOUSE": "sandbox",
        "ARIES_SUBMISSION_BATCH_SECONDS": str(BATCH_SECONDS),
        "ARIES_WORKER_THREADS": str(sizes.worker_threads),
        "ARIES_WORKER_SHUTDOWN_SECONDS": "10",
        "ARIES_LOG_LEVEL": "WARNING",
        "ARIES_DB_POOL_SIZE": "1",
        "ARIES_DB_MAX_OVERFLOW": str(sizes.worker_threads),
        "ARIES_READ_POOL_SIZE": str(sizes.worker_threads),
    }
    with started("worker", ["-m", "interfaces.cli", "worker"], env, log_dir) as worker:
        began = time.perf_counter()
        wait_until_following(database_url, worker, log_dir / "worker.log")
        # The first submission imports pyx12 and loads the code sets: not what is measured.
        warm = through_workers(
            aries, database_url, warm_ups[0], claims[warm_ups[0]], sizes.request_threads
        )
        wait_for_jobs(database_url, warm_ups[0], warm.claims)
        _say(
            f"worker started and warmed up in {time.perf_counter() - began:.1f} s "
            f"({warm.draining:.1f} s for {warm.claims} claims)"
        )
        for tenant in worker_tenants:
            timing = through_workers(
                aries, database_url, tenant, claims[tenant], sizes.request_threads
            )
            _say(
                f"through the workers: {timing.claims} requested in {timing.requesting:.2f} s, "
                f"all accepted {timing.draining:.2f} s later"
            )
            got.workers.append(timing)
            wait_for_jobs(database_url, tenant, timing.claims)
    got.messages = [messages_of(database_url, tenant) for tenant in worker_tenants]

    service = submission_service_from(aries)
    in_process(aries, service, warm_ups[1], claims[warm_ups[1]], [WARM_UP_CLAIMS], sizes)
    for tenant, messages in zip(direct_tenants, got.messages, strict=True):
        timing = in_process(aries, service, tenant, claims[tenant], messages, sizes)
        _say(
            f"in-process: {timing.claims} requested in {timing.requesting:.2f} s, "
            f"all accepted {timing.draining:.2f} s later"
        )
        got.direct.append(timing)
    return got


def _rows(report: Report, got: Collected, sizes: Sizes) -> None:
    n = sizes.claims
    workers = f"`aries worker` ({sizes.worker_threads} threads)"
    direct = f"SubmissionService in-process, same batches, {sizes.worker_threads} threads"
    carried = [size for run in got.messages for size in run]
    per_run = round(len(carried) / len(got.messages)) if got.messages else 0
    batches = (
        f"{per_run} message{'s' if per_run != 1 else ''} a run, of {min(carried)}-{max(carried)} "
        "claims; "
        if carried
        else ""
    )
    report.add(
        Row(
            "7",
            f"claim submissions end to end through {workers}, {n:,} claims "
            "(submit -> Accepted, sandbox clearinghouse)",
            "claims/s",
            runs([t.per_second for t in got.workers]),
            direct,
            runs([t.per_second for t in got.direct]),
            Target("higher", value=1_000),
            note=f"{batches}1 s submission windows, each held 2 s past its close",
        ),
        Row(
            "7",
            f"requesting: ClaimApplication.submit + job row, {sizes.request_threads} threads",
            "claims/s",
            runs([t.requested_per_second for t in got.workers]),
            "the same, workers stopped",
            runs([t.requested_per_second for t in got.direct]),
            note="Aries: while the workers drain the earlier windows",
        ),
        Row(
            "7",
            "after the last request until every claim is Accepted",
            "s",
            runs([t.draining for t in got.workers]),
            "SubmissionService.submit on the batches",
            runs([t.draining for t in got.direct]),
        ),
    )
