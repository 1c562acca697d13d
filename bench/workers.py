"""Figure 7: claim submissions/s end to end through `aries worker` (Dramatiq on Redis), vs the
submission service called in-process on the same batches.

Setup, before any clock: one tenant per run, each with `claims` Medicare patients, a delivered
order for each (a hospital bed rented, a walker bought) and the order's drafted claim, built
through the domain model and saved in large batches. The claims are drafted by the claims
process manager's own rule (`lines_to_bill`, `Claim.draft`), and its tracking is moved to the
head of the Orders log, so the workers find no order left to process.

Aries: an `aries worker` subprocess (sandbox clearinghouse, 1 s submission windows closed early
at `Sizes.max_claims` claims, the default 2 s grace, a Redis namespace of the bench's own),
warmed up on a few claims first. The runs are thousands of claims, so that the last window's
close and grace (up to 3 s after the last request) do not make the figure. The clock starts;
the bench asks for every claim's submission as POST /v1/claims/{id}/submit does
(`ClaimApplication.submit`, then the job row), from a thread pool; the clock stops when every
claim has its `Accepted` event: the reaction batched the requests by window, Dramatiq carried
the batches, the workers rendered the 837Ps, the sandbox answered and the workers recorded the
answers.

The sandbox checks each 837P with pyx12 against the implementation guide, as the product does
by default (`ARIES_SANDBOX_SYNTAX_CHECK`, `Sizes.syntax_check`), in processes of its own beside
the worker (decision 024: the clearinghouse's work, not Aries'), on the same machine. Rows give
the CPU a claim of each part over the workers' runs (`bench.cpu`: the worker, the sandbox's
processes, the bench process's requests, the bench database's PostgreSQL backends) and what
their sum allows on 2 cores; another gives pyx12 alone on one of the run's interchanges.

Baseline: the same work without the hop. Fresh claims are asked for the same way, then
`SubmissionService.submit` is called in this process on batches of the sizes the workers were
sent, from as many threads as the worker had. The worker is stopped by then.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from subprocess import Popen
from uuid import UUID

import psycopg
from rich.console import Console

from application.submission import SubmissionService
from bench import targets
from bench.claim_setup import ready_claims, skip_drafted_orders
from bench.cpu import PARTS, ProcessCpu, spent
from bench.processes import started
from bench.report import Report, Row, load_average, runs
from domain.context import EventContext, bound_context
from interfaces.bootstrap import Aries, bootstrap
from interfaces.logging import configure_logging
from interfaces.settings import Settings
from interfaces.workers.jobs import JobStore, job_id_for_submission
from tests.servers import redis_namespace

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
    max_claims: int = 100  # claims per message: a window this full goes at once
    syntax_check: bool = True  # the sandbox's pyx12 check, on as by default (module docstring)


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
    pyx12_seconds_per_claim: float | None = None  # the sandbox's syntax check, when measured
    cpu: list[dict[str, float]] = field(default_factory=list)  # CPU seconds a claim, per run
    loads: list[float] = field(default_factory=list)  # 1-minute load as each run began


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
                sandbox_syntax_check=sizes.syntax_check,
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
        "ARIES_SUBMISSION_BATCH_MAX_CLAIMS": str(sizes.max_claims),
        "ARIES_SANDBOX_SYNTAX_CHECK": "true" if sizes.syntax_check else "false",
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
        meter = ProcessCpu(worker.pid, database_url)
        for tenant in worker_tenants:
            got.loads.append(load_average())
            before = meter.sample()
            own = meter.own()
            timing = through_workers(
                aries, database_url, tenant, claims[tenant], sizes.request_threads
            )
            _say(
                f"through the workers: {timing.claims} requested in {timing.requesting:.2f} s, "
                f"all accepted {timing.draining:.2f} s later"
            )
            got.workers.append(timing)
            wait_for_jobs(database_url, tenant, timing.claims)
            own = meter.own() - own
            cpu = {**spent(before, meter.sample()), "bench": own}
            got.cpu.append({part: seconds / timing.claims for part, seconds in cpu.items()})
            _say("CPU a claim: " + ", ".join(f"{p} {s * 1000:.2f} ms"
                                             for p, s in got.cpu[-1].items()))
    got.messages = [messages_of(database_url, tenant) for tenant in worker_tenants]

    service = submission_service_from(aries)
    in_process(aries, service, warm_ups[1], claims[warm_ups[1]], [WARM_UP_CLAIMS], sizes)
    for tenant, messages in zip(direct_tenants, got.messages, strict=True):
        got.loads.append(load_average())
        timing = in_process(aries, service, tenant, claims[tenant], messages, sizes)
        _say(
            f"in-process: {timing.claims} requested in {timing.requesting:.2f} s, "
            f"all accepted {timing.draining:.2f} s later"
        )
        got.direct.append(timing)
    got.pyx12_seconds_per_claim = pyx12_per_claim(
        service, direct_tenants[0], claims[direct_tenants[0]][: sizes.max_claims]
    )
    return got


def pyx12_per_claim(service: SubmissionService, tenant: str, claim_ids: Sequence[UUID]) -> float:
    """Seconds a claim of the sandbox's pyx12 check (maps parsed already) on one interchange
    of `claim_ids`, as a message of the run carried them."""
    from application.x12.validation import check_with_pyx12

    with bound_context(EventContext(tenant_id=tenant, actor_id="bench", actor_role="system")):
        text = service.render([service.claims.get_claim(c) for c in claim_ids], 999_999_999)
    check_with_pyx12(text)
    began = time.perf_counter()
    check_with_pyx12(text)
    return (time.perf_counter() - began) / len(claim_ids)


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
            targets.SUBMISSIONS,
            load=runs(got.loads),
            note="measured in sequence, the workers' runs first: the in-process runs need the "
            f"workers stopped; {batches}1 s submission windows, closed at "
            f"{sizes.max_claims} claims or held 2 s past their close; sandbox "
            + ("checking each 837P with pyx12" if sizes.syntax_check else
               "without its pyx12 syntax check"),
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
    _cpu_rows(report, got)
    if got.pyx12_seconds_per_claim:
        per_claim = got.pyx12_seconds_per_claim
        report.add(Row(
            "7",
            "the sandbox's pyx12 syntax check (in its own processes in the figure above), one "
            f"{sizes.max_claims}-claim 837P, in one process",
            "ms/claim",
            runs([per_claim * 1000]),
            note=f"alone it would cap one process near {1 / per_claim:,.0f} claims/s",
        ))


CPU_NOTES = {
    "worker": "`aries worker`: reactions, job rows, loads, rendering, the two saves",
    "sandbox": "the sandbox's pyx12 check, in its own processes (the clearinghouse's work)",
    "bench": "the bench process: ClaimApplication.submit + job row (as the API would), polling",
    "postgres": "the backends of the bench's database (not the WAL writer nor checkpointer)",
}


def _cpu_rows(report: Report, got: Collected) -> None:
    """CPU a claim per process over the workers' runs, and what their sum allows on 2 cores."""
    if not got.cpu:
        return
    for part in PARTS:
        report.add(Row("7", f"CPU a claim: {part}", "ms/claim",
                       runs([run[part] * 1000 for run in got.cpu]), note=CPU_NOTES[part]))
    totals = [sum(run.values()) for run in got.cpu]
    report.add(Row(
        "7", "CPU a claim: all four", "ms/claim", runs([t * 1000 for t in totals]),
        note="2 cores' worth of it: "
        + ", ".join(f"{2 / t:,.0f}" for t in totals) + " claims/s at most",
    ))
