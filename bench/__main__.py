"""`python -m bench [--quick]`: run every figure, print the table, write docs/benchmarks.*"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from rich.console import Console

from bench import eventstore, http, rebuild, targets, workers
from bench.report import (
    Report,
    Row,
    alternate,
    print_table,
    runs,
    write_json,
    write_markdown,
)
from tests.servers import fresh_database, server_urls

ROOT = Path(__file__).resolve().parent.parent
console = Console(stderr=True)


@dataclass(frozen=True)
class Plan:
    runs: int
    threads: int
    commits_before: int  # per thread
    commits_after: int  # per thread
    raw_inserts: int  # per thread
    rebuild_events: int
    aggregate_events: int
    loads: int
    http: http.Sizes
    workers: workers.Sizes


# Sized so that `make bench` ends within 10 minutes on 2 cores (5,000 queries a run took 12).
FULL = Plan(
    runs=3,
    threads=16,
    commits_before=60,
    commits_after=200,
    raw_inserts=300,
    rebuild_events=100_000,
    aggregate_events=10_000,
    loads=7,
    http=http.Sizes(runs=3, connections=16, commands=1500, queries=2000, lag_samples=200),
    workers=workers.Sizes(runs=2, claims=2000),
)
QUICK = Plan(
    runs=2,
    threads=16,
    commits_before=15,
    commits_after=40,
    raw_inserts=50,
    rebuild_events=10_000,
    aggregate_events=10_000,
    loads=3,
    http=http.Sizes(runs=2, connections=16, commands=300, queries=500, lag_samples=30),
    workers=workers.Sizes(runs=2, claims=200),
)


def step(report: Report, figure: str, title: str, body: Callable[[], None]) -> None:
    """Run one figure; its failure becomes a row saying so, and the others still run."""
    console.print(f"[bold]figure {figure}[/]: {title}")
    started = time.perf_counter()
    try:
        body()
    except Exception as error:
        traceback.print_exc()
        why = f"the bench failed: {type(error).__name__}: {error}"
        report.not_measured(figure, title, why[:300])
    console.print(f"  done in {time.perf_counter() - started:.1f} s")


def figure_4(report: Report, server: str, plan: Plan) -> None:
    with fresh_database(server, purpose="bench") as db:
        for group_commit in (False, True):
            _commit_rates(report, db, plan, group_commit=group_commit)


def _commit_rates(report: Report, db: str, plan: Plan, *, group_commit: bool) -> None:
    """One recorder's three commit figures, each in turns with the raw INSERT baseline."""
    families = eventstore.FAMILIES
    half = [families[: len(families) // 2], families[len(families) // 2 :]]
    per_thread = plan.commits_after if group_commit else plan.commits_before
    label = "group commit" if group_commit else "library recorder (before)"
    failed = [0]

    def raw() -> float:
        return eventstore.raw_insert_rate(
            db, threads=plan.threads, inserts_per_thread=plan.raw_inserts
        )

    def in_one(of: tuple[str, ...], threads: int) -> float:
        begin, end, count, failures = eventstore.commit_rate(
            db, of, threads=threads, commits_per_thread=per_thread, group_commit=group_commit
        )
        failed[0] += failures
        return count / (end - begin)

    def in_two() -> float:
        return eventstore.commit_rate_processes(
            db,
            half,
            threads=plan.threads // 4,
            commits_per_thread=per_thread,
            group_commit=group_commit,
        )

    turns = alternate(
        plan.runs,
        {
            "raw": raw,
            "one family": lambda: in_one(("patients",), plan.threads),
            "four families": lambda: in_one(families, plan.threads // 4),
            "two processes": in_two,
        },
    )
    shapes = {
        "one family": "1 family",
        "four families": "4 families, 1 process",
        "two processes": "4 families, 2 processes",
    }
    target = targets.COMMITS_ACROSS_FAMILIES if group_commit else None
    report.add(
        *(
            Row(
                "4",
                f"{label}: {shape}, {plan.threads} threads",
                "commits/s",
                runs(turns.of[name]),
                f"raw psycopg INSERT tx, {plan.threads} threads",
                runs(turns.of["raw"]),
                target if name == "two processes" else None,
                note=f"{failed[0]} commands failed" if failed[0] and name == "one family" else "",
                load=turns.load,
            )
            for name, shape in shapes.items()
        )
    )


def figure_6(report: Report, server: str, plan: Plan) -> None:
    with fresh_database(server, purpose="bench") as db:
        aggregate = eventstore.long_patient(db, plan.aggregate_events)
        turns = eventstore.load_times_ms(db, aggregate, loads=plan.loads)
    plain, snapshot = turns.of["without a snapshot"], turns.of["with a snapshot"]
    n = plan.aggregate_events
    report.add(
        Row(
            "6",
            f"load a {n:,}-event patient without a snapshot",
            "ms",
            runs(plain),
            note=f"median of {plan.loads} loads, in turns with the snapshot loads",
            load=turns.load,
        ),
        Row(
            "6",
            f"load a {n:,}-event patient with a snapshot at its head",
            "ms",
            runs(snapshot),
            "the same without a snapshot",
            runs(plain),
            targets.SNAPSHOT_LOAD,
            load=turns.load,
        ),
    )


def figure_7(report: Report, server: str, redis_url: str, plan: Plan, logs: Path) -> None:
    with fresh_database(server, purpose="bench") as db:
        workers.measure(report, db, redis_url, plan.workers, logs)


def context(server: str, where: str, quick: bool, started: float) -> dict[str, object]:
    with psycopg.connect(server) as conn:
        version = conn.execute("SHOW server_version").fetchone()
        fsync = conn.execute("SHOW fsync").fetchone()
    return {
        "command": "python -m bench" + (" --quick" if quick else ""),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": time.perf_counter() - started,
        "machine": f"{os.cpu_count()} CPUs, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}",
        "servers": where,
        "postgres": f"{version[0] if version else '?'} (fsync {fsync[0] if fsync else '?'})",
        "runs": QUICK.runs if quick else FULL.runs,
    }


NOTES = """
## How to read this

- Each row is one metric: Aries (median, min-max over the runs) beside the baseline measured in
  the same run. "MISSED" marks a median that misses the issue's target (issue 18's, in
  bench/targets.py); "not measured" says why.
- Every figure with a baseline is measured in turns (baseline, Aries, baseline, Aries, ...), so a
  busy minute slows both sides of a ratio. "load 1 min" is the machine's 1-minute load average
  as the runs began (median, min-max); it counts the bench's own servers and threads (about 2-4
  while a figure runs), so much more than that means something else was using the cores.
- The load generator (bench/load.py) is a closed loop of 16 keep-alive connections in the bench
  process, writing prepared requests on raw asyncio streams (about 0.1 ms of CPU a request; an
  httpx client cost 3.5 ms, more than the servers, and capped both sides). It still shares the
  machine's 2 cores with the servers and PostgreSQL: compare Aries with its baseline, not the
  absolute numbers with other machines.
- Figures 1 and 2 compare all of Aries' request path with one statement: JWT authentication,
  two rate-limit counters in Redis (client address, then user), permission check, the command's
  event-store transaction (figure 1) or the read-model query plus a PHI access-log entry written
  and committed before the answer (figure 2: patient reads are PHI), metrics, correlation and
  security headers. The projector runs meanwhile, on the same cores.
- Figure 4 commits prebuilt one-event aggregates of each family's own kind through
  `AriesApplication.commit()`, sealed as in production. "before" is eventsourcing's own
  recorder (one transaction per command under the table's EXCLUSIVE lock, unsealed); "group
  commit" is application/group_commit.py (concurrent commands of every family of a process
  share one transaction, each family's table locked in name order, sent in one round trip on
  a pool connection handed out without a ping; a conflicting command is retried alone so it
  alone fails). Aries runs with group commit on.
- What limits figure 4: a process commits one group at a time per table it locks (the lock is
  held until the commit's WAL flush), so its rate is its group size over one commit's latency;
  since groups span families, a group holds up to all the process's waiting commands (with 8
  threads a process, about 4.4 a transaction, where one family's groups held 2.5). Then Python
  CPU under the GIL (psycopg, thread hand-offs, transcoding): two processes add throughput
  only while a core is free, and on 2 cores the bench's threads compete with PostgreSQL.
- Figure 7: claims are set up (patients, delivered orders, drafted claims) before the clock;
  the clock runs from the first submission request to the last claim's `Accepted` event. The
  reaction batches requests into 1 s windows per tenant, sending a window early once it holds
  100 claims; the last window's close and 2 s grace end every run, so runs are thousands of
  claims. The sandbox checks each 837P with pyx12 against the implementation guide, as the
  product does by default (a real clearinghouse does that on its own machines); a row gives
  its cost.
- Figure 6: with a snapshot, a load reads one snapshot and the events after it. Proposal (not
  switched on): snapshot long-lived aggregates (patients with years of notes, rental orders)
  every N events, taken off the request path by the projector or a worker, not inside save().

## What remains, figure by figure

Profiles are py-spy (`--gil`) samples taken while each figure ran (issue 18's session, most of
them on a machine busy with other work: the shares, not the rates, are what they show).

- **Commands and reads over HTTP (1, 2).** Tokens are verified once per process and cached until
  expiry (revocation still checked on every request), rate limits are answered from per-process
  leases of the Redis budget, PHI access entries are written in groups (one transaction per group,
  the chain lock taken once, only what the trigger stamps returned), one pure-ASGI gateway
  replaced ten middleware layers (no OpenTelemetry span without a tracer provider or a
  traceparent, metric label sets kept), and patient reads are async with one threadpool hop and
  statements built once, answered past FastAPI's per-request dependency solver (`DirectRoute`,
  decision 022: in-process, that solver went from about 29% of a read's samples to 6%). Server CPU
  per request, this run against 2026-12-04's: command 1.53 against 1.79 ms, read by id 1.97
  against 3.37, first page 2.97 against 3.89 (the baseline: about 1 ms). What remains in a read:
  FastAPI's routing over some 22 routers (about 12%), the threadpool hop (10-12%), uvicorn's send,
  and for a first page the access entry naming 50 patients and the 50 response models (about 13%).
  Next: the hot routers matched first (it changes /openapi.json's order, so it needs a stable
  order of its own), the read on the event loop with an async pool (no hop), and more API
  processes than cores only once the CPU per request is below the baseline's double. Commands: the
  event-store save (one round trip now) and the transcoding of the new patient's events. Command
  p99 (200 ms at p50 42 ms on 2026-12-04): full garbage collections. One walks the some 270k
  objects start-up builds (170-210 ms of CPU with the GIL held, in-process on a busy machine), and
  the bench's commands run right after a start, when first-use caches push the collector into
  them. `aries serve` now builds the OpenAPI document at start-up and freezes what it built
  (`gc.freeze()`): figure 1 quick, three turns with and without on a quiet machine, command p99
  70, 69 and 94 ms against 152, 186 and 182, server CPU per command 1.7-2.7 ms against 2.2-3.0.
  The event-store part of a command, in-process with the API's pool (16 threads,
  `PatientApplication.register_patient`): 0.47-0.49 ms of CPU a command, 0.58-0.79 before (group
  commit's statements, decision 023).
- **Read-your-writes (3).** The regression from 4.95 ms (2026-11-23) was the projector's
  wake-up: every NOTIFY made each projector thread read all its upstreams, one transaction and a
  head query each. The event index follows every log (four then, six since setup and catalogue
  came), so a patient command cost it five empty transactions besides its batch; and the work
  queue, which has followed the patients log since (coverage items), read orders and claims
  before it. The lag waited for all three projections, and the next command behind them.
  A NOTIFY now reads only the upstream that notified (a poll that times out reads them all),
  a batch that was not full gives the lag metric its head without a query, and the tracking
  statements are built once. Measured on the busy machine (load 13-20): projector CPU per
  command 32 -> 9.5 ms, and this figure alone (--quick) 90.8 -> 34.2 ms p50. What remains:
  three projections follow the patients log (event_index, patients, work_queue), so a command
  is three one-event batches in three threads under one GIL, each about 2 ms of CPU there and
  7 round trips (BEGIN, the tracking row's lock, the notifications read on the recorder's
  pool, COPY start and end, the tracking update, COMMIT). Next: an INSERT instead of COPY for
  batches of a few rows, and reading the notifications ahead of the transaction from the
  position the projector already holds.
- **Commits across families (4).** A process's families share one group queue: a group is
  one transaction over every family it holds (tables locked in name order in one LOCK, every
  channel notified in one statement, each table's events and seals in one data-modifying CTE
  over plain arrays), 3 + 1 statements a table instead of 5 a table. Measured in-process (2
  families x 4 threads, one process of the two-process row, A/B turns with the previous
  code on a machine at load 8-17): 4.35 commits a transaction instead of 2.46, process CPU
  0.54-0.71 ms a commit instead of 0.94-1.18 (one family with 16 threads: about 0.5 ms
  either way, its groups of 8 already amortised the statements). What remains, under
  py-spy --gil: psycopg's query conversion and pipeline (about 40%), the leader waking each
  caller (threading.Event, about 13-20%), the library's save around the insert (15%),
  transcoding (5%). The ceiling's evidence: 2,500 commits/s at 0.55 ms is 1.4 cores of
  Python for the two processes alone, leaving about half a core to PostgreSQL for the
  inserts, the chain trigger's digests, the seals and the WAL, and to the bench. Next: a
  cheaper hand-off than threading.Event (a lock per caller showed no difference above the
  noise of a busy machine), binary parameters for the insert, the save's span only when a
  tracer is configured.
- **Rebuilds (5).** Projections decode each event class typed (projections/event_schemas.py):
  msgspec parses the stored JSON straight into UUIDs, Decimals, dates, enum members and value
  objects, checking each tag against the field's annotation, and a function generated per class
  unwraps them (a claim draft 53 -> 19 us of CPU, 13 of them msgspec's parse; anything unsure
  falls back to the generic walk). A rebuild freezes the heap it starts with out of the garbage
  collector's full passes (they were 20-30% of its CPU), and a drafted claim's rows are added
  with their money folded instead of added then updated. CPU per handled event on a
  100,000-event database (process user+system time, busy machine): claims 3.8k -> 5.5-7.1k
  events per CPU-second, orders 9.1k -> 11-14k, work_queue 10.3k -> 16.5-17.7k. What remains
  (py-spy): claims 28% decoding (half of it msgspec's parse, in C), 28% binary COPY (psycopg
  formatting three rows of 19-60 columns per claim), 30% the handlers (the claim header's 50
  facts, ledger and line rows as dicts); orders and work_queue much the same thirds. Claims is
  not reachable at 20k/s on 2 cores this way: COPY alone costs about 23 us per row and a claim
  draft writes three, so the Python process would need under 50 us a claim for all of it
  while PostgreSQL indexes the rows on the other core. Next: tuple rows built by the handlers
  (no dict per row, no itemgetter), secondary indexes created after the build instead of
  maintained row by row (keeping those a handler reads by), parsing only the fields a
  projection's handlers read, and a rebuild per upstream in a process of its own.
- **Claim submissions (7).** A message loads its claims, patients and orders with one query
  per family, moves its job rows in one statement each way and closes at 100 claims; pyx12
  parses its maps once per process and resets its loop counts without re-formatting the
  parent path per count (that reset went from 19% to 14% of pyx12's samples). A message
  makes two event-store saves
  (the intent, then `Submitted` with the answer's `Accepted`/`Rejected`); the reaction reads
  only its topics up to the head and records a step's job rows with one cached statement.
  Profiled (py-spy `--gil`, `aries worker` during the figure on a machine at load 7-23):
  pyx12 is 44-49% of the worker's CPU (about 3.3 ms a claim: 8.0-8.3 ms/claim with the check,
  4.9-5.1 without, at the same load); then the two saves 14%, bulk-loading the claims,
  patients and orders 10%, the reactions 18% (half of it the job rows' INSERT, which costs
  a quarter of what the VALUES list did), rendering the 837P 2%. One process holds one GIL,
  so 300 claims/s needs under 3.3 ms of worker CPU a claim: pyx12 alone takes that (3.24 ms in the
  quiet run), so with the sandbox checking in the worker the target is out of reach by
  construction; the check is the clearinghouse's work, on its machines. End to end, the
  requests (`ClaimApplication.submit` and the job row, about 3.3 ms of CPU a claim in the
  bench process: a quarter JSON-encoding the claim's events, an eighth the job row's
  transaction) share the same 2 cores with the worker and PostgreSQL: about 12 ms of CPU a
  claim with the check, 8.5 without, before PostgreSQL's, which caps 2 cores below 250/s
  either way. Next: the sandbox's check in a process of its own (or off in the figure, with
  its cost on its own row), the interchange's claim list stored once instead of on every
  claim's intent (a domain event change, with an upcaster), binary inserts in the recorder,
  fewer position writes by the reactions that send nothing, and more API processes.
""".strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer, smaller runs (debugging)")
    parser.add_argument(
        "--out", type=Path, default=ROOT / "docs", help="where benchmarks.json/.md go"
    )
    parser.add_argument(
        "--only", default="1,2,3,4,5,6,7,8", help="comma-separated figures (1-3 and 8 run together)"
    )
    args = parser.parse_args(argv)
    # SIGTERM unwinds like Ctrl-C, so subprocesses and embedded servers are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    plan = QUICK if args.quick else FULL
    only = set(args.only.split(","))
    started = time.perf_counter()
    report = Report()
    with (
        server_urls("bench") as (server, redis_url),
        tempfile.TemporaryDirectory(prefix="aries-bench-logs-") as logs,
    ):
        if "4" in only:
            step(report, "4", "event-store commits/s", lambda: figure_4(report, server, plan))
        if "5" in only:

            def figure_5() -> None:
                with fresh_database(server, purpose="bench") as db:
                    rebuild.measure(report, db, redis_url, plan.rebuild_events, plan.runs)

            step(report, "5", "projection rebuild", figure_5)
        if "6" in only:
            step(
                report,
                "6",
                "aggregate load with/without snapshot",
                lambda: figure_6(report, server, plan),
            )
        if only & {"1", "2", "3", "8"}:

            def figures_http() -> None:
                with fresh_database(server, purpose="bench") as db:
                    http.measure(report, db, redis_url, plan.http, Path(logs))

            step(report, "1-3,8", "HTTP commands, queries, read-your-writes, RSS", figures_http)
        if "7" in only:
            step(
                report,
                "7",
                "claim submissions through the workers",
                lambda: figure_7(report, server, redis_url, plan, Path(logs)),
            )
        where = (
            "the machine's PostgreSQL and Redis"
            if os.environ.get("ARIES_DATABASE_URL") and os.environ.get("ARIES_REDIS_URL")
            else "embedded servers"
        )
        report.context = context(server, where, args.quick, started)
    report.rows.sort(key=lambda row: row.figure)
    print_table(report, Console(width=200))
    args.out.mkdir(parents=True, exist_ok=True)
    write_json(report, args.out / "benchmarks.json")
    write_markdown(report, args.out / "benchmarks.md", NOTES)
    console.print(f"wrote {args.out / 'benchmarks.md'} and benchmarks.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
