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
    # Figure 7: the last window's close and grace (about 3.2 s after the last request) are a
    # fifth of a 4,000-claim run, not a third as at 2,000; its setup (16,040 claims drafted)
    # took 38 s here, 6,000 a run 95 s (load 4.5).
    workers=workers.Sizes(runs=2, claims=4000),
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
  held until the commit's WAL flush), so its rate is its group size over one commit's latency.
  Groups span families, and a caller alone right after a group of several waits up to 2 ms for
  that group's callers (they went 1, 8, 1, 8 with 8 threads a process; about 7.5 now). A group
  notifies its channels after its COMMIT, in a transaction of its own (decision 027):
  PostgreSQL serialises the commits of every notifying transaction cluster-wide through their
  WAL flush, so two processes on disjoint tables used to wait for each other's fsync. Then
  Python CPU under the GIL: two processes add throughput only while a core is free, and on 2
  cores the bench's threads compete with PostgreSQL.
- Figure 7: claims are set up (patients, delivered orders, drafted claims) before the clock;
  the clock runs from the first submission request to the last claim's `Accepted` event. The
  reaction batches requests into 1 s windows per tenant, sending a window early once it holds
  100 claims; the last window's close and 2 s grace end every run, so runs are 4,000 claims.
  The sandbox stands in for the clearinghouse: its front end (reading the 837P, the pyx12
  check against the implementation guide, the front-end edits, the TA1/999/277CA) runs in
  processes of its own beside the worker (decision 024), still on this machine's 2 cores, and
  rows give the CPU a claim of each part: the worker, the sandbox, the requests, PostgreSQL.
- Figure 6: with a snapshot, a load reads one snapshot and the events after it. Proposal (not
  switched on): snapshot long-lived aggregates (patients with years of notes, rental orders)
  every N events, taken off the request path by the projector or a worker, not inside save().

## What remains, figure by figure

Profiles are py-spy (`--gil`) samples taken while each figure ran (issue 18's session, most of
them on a machine busy with other work: the shares, not the rates, are what they show).

- **Commands and reads over HTTP (1, 2).** Tokens are verified once per process and cached until
  expiry (revocation still checked on every request), rate limits are answered from per-process
  leases of the Redis budget, one pure-ASGI gateway replaced ten middleware layers, and
  FastAPI's per-request dependency solver is bypassed for the patient routes (`DirectRoute`,
  decision 022, for the reads; `DirectCommandRoute`, decision 028, for the commands: a request
  takes the short way only if FastAPI's own checks accept it, anything else gets FastAPI's
  handler and its answer). The patient reads no longer leave the event loop (decision 025):
  their statements are compiled once and run on a psycopg async pool, the PHI entry is grouped
  by an asyncio writer (one autocommit INSERT a group, each caller answered once its own entry
  is committed), the JSON is written from the rows by msgspec (byte-identical to the pydantic
  answers, property-tested), and the patients router is matched first (/openapi.json is built
  from the original order, byte-identical). Quick A/B against the code before, server CPU per
  request at load 9-13: by id 1.3 -> 0.65-0.8 ms, first page 1.9 -> 0.85-1.2 ms (baseline
  0.5-0.6), command 1.12 -> 0.97-1.02 ms in-process. What remains in a read (py-spy `--gil`):
  uvicorn's send and the socket write (about 20%), Starlette's and the gateway's layers,
  matching inside the patients router and DirectRoute's parameter checks (about 30%), psycopg's
  async waits (12%), the query and row parsing (15%, first page), the access entry (5-8%).
  PostgreSQL now weighs as much as the API: an access entry costs its backend about 130 us with
  one patient id and 270 us with a page's 50 (the chain trigger and the GIN index on
  `patient_ids`), against about 100 us for the record's SELECT. Commands: garbage collection
  is no longer a p99 cause since the start-up freeze (about 0.03 ms of CPU a command, the
  longest steady pause 2.8 ms); what bounds figure 1 is group commit's latency: at 16
  connections a group holds about 6.5 commands and takes 8-15 ms at p50 on a busy machine, and
  a command waits for 1.5-2 groups, so throughput is group size over group latency, not API
  CPU. Of the API's samples: uvicorn's socket writes 13-17%, the thread hop and group hand-offs
  about 20%, routing 8%, authentication and rate limit 6%, validation 3%. Tried and left out
  (no gain above the noise): one socket write per response, a lower thread switch interval
  (7-8% more CPU), an executor of our own instead of anyio's. Next: a dispatcher for the hot
  routes ahead of Starlette's layers, a cheaper parameter check in `direct.py`, an access-log
  index cheaper to update than GIN (a schema change), overlapping a group's lock with the
  previous group's commit, and handing commands to the committer from the event loop without a
  worker thread.
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
- **Commits across families (4).** The largest cost was a defect in the event chain's trigger
  (found by p18gc and p18pg7 on their own): it passed the table's name, of type `name` and so
  collated "C", and the tail lookup in `audit.extend_event_chain` compared under "C", which
  `pk_event_chain` (default collation) cannot serve. Every insert statement of every event table
  read and sorted the whole of `audit.event_chain` (7 ms a table and group at 20,000 entries,
  growing with the store). Migration 0025 compares under the default collation: a backward
  index scan, 0.07 ms. Full figure 4, 3 A/B turns at load 11 falling to 3.5: two processes
  732-1,115 -> 1,728-2,680 commits/s, one process 438-975 -> 1,259-2,681. Before that fix:
  the time was waiting, not CPU: each process used 0.11-0.19
  cores while a group's round trip took 10-14 ms (1.3-1.8 ms alone), and the GIL hand-off was
  not it (a switch interval of 0.5 ms against 5 changed neither the 0.18 ms between groups nor
  the rate). Backends sampled in `pg_stat_activity`: 40% `IO:WALSync`, 23% `Lock:object` at
  COMMIT on database 0, the lock PostgreSQL takes to serialise notifying commits until their
  WAL flush. A group now notifies after its COMMIT, in a transaction of its own with
  synchronous_commit off (decision 027; the rows are visible before the notification, and a
  missed notification is caught by the projectors' poll), a caller alone right after a group
  of several waits up to 2 ms for that group's callers (groups of about 7.5 instead of 1, 8, 1,
  8), and a commit opens no tracing span without a tracer provider. In-process A/B at load
  9-13: 785 -> 1,314 commits/s (medians of 3), process CPU per commit 0.29-0.40 -> 0.21-0.26 ms,
  PostgreSQL's 0.24-0.31 -> 0.18-0.19 ms. About 0.42 ms of CPU a commit puts 2,500/s at about
  1.05 cores, so the rest is the disk flush (50-78% of the waits on a busy machine, one a group
  and process). This session's run: 4,413 commits/s with two processes (3,191 in the last),
  5,420 for one family (3,703). Not measured apart; the changes on this path since are
  migration 0026 (the chain's digest computed in 4.6 instead of 12 us an event, inside the
  trigger, while the group holds its table locks) and eventsourcing's Protocol checks asked
  once per class (decision 030). Next: a notifier off the commit path (the NOTIFY still waits
  for other clients' notifying commits), binary parameters for the insert, a cheaper wake-up
  than `threading.Event`.
- **Rebuilds (5).** Projections decode each event class typed (projections/event_schemas.py:
  msgspec parses the stored JSON straight into UUIDs, Decimals, dates, enum members and value
  objects; anything unsure falls back to the generic walk). During a rebuild the garbage
  collector is held off while a batch runs and its young generations are collected between
  batches; handlers build new rows as tuples in the table's column order
  (`TableRows.add_values`, a dict only if a later handler reads the row), a column's groups
  are built only when a handler first lists one, and rows look columns up by interned names;
  binary COPY reuses the bytes of amounts already seen (keyed by the Decimal's text, tested
  byte-identical with psycopg's dumpers) and writes text lists directly; the fresh tables'
  DDL is compiled once per process and sent in one round trip; secondary indexes no handler
  reads by are built after the rows, then ANALYZE, on two connections; the build's batches
  commit with synchronous_commit off (the swap commits synchronously, flushing all before it,
  so the tables swapped in are as durable as before). A rebuild reports its wall time per
  step (each projection's "CPU a handled event" row notes the median run's), and the bench
  checkpoints after its fill (about 235 MB of WAL) so that no checkpoint of the setup's
  writes lands in a measured run. Claims: a drafted claim's three rows are built as values
  (the facts every draft starts with as constants, `claim_facts.DRAFTED`), identical rows
  (md5 of the three tables over 20,000 drafts), CPU 48.8 -> 46.3 us an event.
  Why claims misses 20k/s on 2 cores (this run's rows, 20,000 drafts): the rows step took
  1.13 s and the steps around it 0.2 s (indexes and ANALYZE 0.16 s, ANALYZE of the 62-column
  claims table alone about 0.1 s). The rebuilding thread is one core's Python under one GIL,
  about 41 us an event on a quiet machine: decoding 14.5 (msgspec's parse 8.6, building the
  values 6), handlers about 17, COPY formatting and sending about 10 (three rows, 98 columns,
  25 values through psycopg's Python dumpers). PostgreSQL ingests the rows at about 18 us an
  event on the other core (the claims row 10), slower than Python formats them, so the
  streamed COPY waits for it about 8 us an event. 20,000 drafts are then at least 0.82 s of
  Python plus 0.2 s around it: 1.0 s, 20k/s, with every wait hidden and nothing else on the
  machine.
  Tried and left out, no gain above the noise (A/B in one process, turns): amounts' COPY bytes
  remembered by value with a dumper psycopg calls without a Python frame, and uuids dumped the
  same way (47.6 against 48.0 us an event); the last COPY's end, the tracking update and the
  commit left to a thread while the next batch is decoded and handled (median 1.44 against
  1.47 s); each batch formatted first and sent by a thread (the streamed COPY already overlaps
  PostgreSQL's ingest with Python's formatting; formatting first loses that overlap). The
  second core is PostgreSQL's: a prototype of the rows step split over two forked processes
  by claim id (claims handlers read only their own claim's rows), each writing its half into a
  schema of its own, took 0.89-0.93 s against 1.08-1.10 s for one process (3 turns, quiet),
  each process spending 0.55-0.59 s of CPU (each reads the whole log): with the 0.2 s around
  the rows, 1.1 s, still short of 20k/s. Next: a handler contract that builds rows
  positionally (an idealised drafted handler measured 40 against 48.8 us an event) and fewer
  Python dumpers in the COPY; together with the split, about 20k/s on this machine at best.
- **Claim submissions (7).** Met, 310 claims/s (307-313) at 4,000 claims a run. The figure
  is now 4,000 claims a run (was 2,000): the last window's close and its 2 s grace, a fixed
  wait of about 2.4 s after the last request, weighed a third of a 2,000-claim run and weigh a
  sixth now; at 2,000 claims the changes below did not move the figure. Migration 0025 (the
  event chain's tail found by its index, see figure 4) took the chain trigger from 1.3-1.8 to
  0.35 ms of PostgreSQL a claim. The sandbox's whole front end runs in processes of its own
  beside the worker, warmed as they start (decision 024); the interchange's claim list is
  stored once, on its first claim's intent (`TransmissionPrepared` v2, with an upcaster);
  reactions that send nothing store their position at most once a second. This session
  (decisions 029 and 030): the batch loads read each id through the events table's primary
  key (unnest + LATERAL: `= ANY(...)` was left to statistics this server never gathers, and
  read whole logs), decode typed (the projections' msgspec decoder, handed in by the
  composition root), take binary results and run without JIT (on the unanalysed 4,000-claim
  store the planner's guess passed `jit_above_cost`: about 100 ms of compiling a load); a
  follower woken within 50 ms of its last step lets the burst of commits gather (three
  follow the claims log); `aries worker` freezes its start-up heap (full collections walked
  about 190k objects, 0.4 s over 2,000 claims); migration 0026 writes the chain's digest out
  instead of calling the SQL functions the planner would not inline (12 -> 4.6 us an event,
  the bytes digested unchanged and tested against `audit.event_digest`); eventsourcing's
  runtime Protocol checks (11-24 us an object on Python 3.11) are asked once per class on
  Aries' loads and saves (the mirrored library code refuses to import if the library's source
  changes); the API's job row is one autocommit INSERT instead of BEGIN, INSERT, COMMIT. CPU a
  claim against the last run: worker 1.57 -> 1.00 ms, requests 1.46 -> 1.06, PostgreSQL 1.34 ->
  1.09, the sandbox unchanged at 2.24 (the clearinghouse's pyx12 check): 5.39 ms in all, 359-384
  claims/s at most on 2 cores. What remains: the sandbox is now 42% of the CPU; in the
  requests, the group commit (about a third), the load's SELECT (its statement composed on
  every call, about 20 us) and JSON decoding, the job row's round trip; in PostgreSQL, commits
  waiting on the WAL, the job rows, and the 7.5 KB message copied into each of a message's 100
  job rows (its compression about 5% of PostgreSQL's CPU); in the worker, rendering the 837P
  (about 18% of its GIL time). Next: store a message once per batch rather than per job row,
  a prebuilt statement for a load's SELECT, and the job rows' UPDATEs.
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
