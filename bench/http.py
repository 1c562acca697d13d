"""Figures 1, 2, 3 and 8: commands and queries over HTTP, read-your-writes lag, peak RSS.

Aries runs as it does in production: `aries serve` (uvicorn, 1 worker) and `aries project` as
subprocesses on a fresh database. The baseline is bench/baseline_app.py under the same
uvicorn settings on the same database server. Routes are found in /openapi.json: a figure
whose route is missing (or refuses the bench's request) says so instead of showing numbers.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg

from bench import targets
from bench.load import (
    LoadResult,
    OnResponse,
    Request,
    RequestFor,
    Response,
    percentile,
    run_load,
)
from bench.processes import PeakRss, free_port, started, wait_until_serving
from bench.report import Report, Row, Runs, alternate, load_average, runs
from tests.servers import redis_namespace

PASSWORD = "throwaway load tester 1"  # noqa: S105 (a throwaway user in a throwaway database)
TENANT = "bench"
PATIENT = {
    "first_name": "Bench",
    "last_name": "Mark",
    "date_of_birth": "1950-01-01",
    "sex": "female",
    "address": {"line1": "1 Main St", "city": "Columbus", "state": "OH", "postal_code": "43004"},
}
ROW = {"name": "Bench Mark", "city": "Columbus"}


@dataclass
class Sizes:
    runs: int
    connections: int
    commands: int
    queries: int
    lag_samples: int


@dataclass
class Collected:
    command: list[LoadResult] = field(default_factory=list)
    insert: list[LoadResult] = field(default_factory=list)
    by_id: list[LoadResult] = field(default_factory=list)
    page: list[LoadResult] = field(default_factory=list)
    select: list[LoadResult] = field(default_factory=list)
    lag_ms: list[list[float]] = field(default_factory=list)
    # The 1-minute load average as each run of the commands, queries and lag began.
    command_load: Runs | None = None
    query_load: Runs | None = None
    lag_load: Runs | None = None


def _problem(response: httpx.Response) -> str:
    """A refusal's status and field paths, never its values."""
    try:
        body = response.json()
    except ValueError:
        return str(response.status_code)
    errors = body.get("errors") or body.get("detail") or []
    paths = []
    if isinstance(errors, list):
        for error in errors:
            if isinstance(error, dict):
                where = error.get("loc") or error.get("pointer") or error.get("field")
                paths.append(".".join(map(str, where)) if isinstance(where, list) else str(where))
    return f"{response.status_code} {body.get('title', '')} {' '.join(paths)}".strip()


def _route(paths: dict[str, Any], pattern: str, method: str) -> str | None:
    for path, operations in paths.items():
        if re.fullmatch(pattern, path) and method in operations:
            return path
    return None


def _token(base_url: str, username: str) -> str:
    response = httpx.post(
        f"{base_url}/v1/auth/token",
        data={"username": f"{TENANT}/{username}", "password": PASSWORD},
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


def _create_user(database_url: str, redis_url: str, username: str) -> None:
    from domain.context import SYSTEM_TENANT, EventContext, bound_context
    from domain.identity import Role
    from interfaces.bootstrap import bootstrap
    from interfaces.settings import Settings

    aries = bootstrap(Settings(database_url=database_url, redis_url=redis_url))
    try:
        with bound_context(EventContext(tenant_id=SYSTEM_TENANT, actor_id="bench")):
            aries.identity.create_user(username, PASSWORD, Role.ADMIN, TENANT)
    finally:
        aries.close()


def _position_of(conn: psycopg.Connection, upstream: str) -> int:
    """The lowest position any projection following `upstream` has reached (the read model a
    query waits for is one of them)."""
    row = conn.execute(
        "SELECT min(position) FROM read.projection_tracking WHERE upstream = %s", (upstream,)
    ).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def measure(report: Report, database_url: str, redis_url: str, sizes: Sizes, log_dir: Path) -> None:
    with redis_namespace(redis_url, purpose="bench") as prefix:
        _measure(report, database_url, redis_url, prefix, sizes, log_dir)


def _measure(
    report: Report, database_url: str, redis_url: str, prefix: str, sizes: Sizes, log_dir: Path
) -> None:
    api_port, baseline_port = free_port(), free_port()
    api, baseline = f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{baseline_port}"
    env = {
        "ARIES_DATABASE_URL": database_url,
        "ARIES_REDIS_URL": redis_url,
        "ARIES_PORT": str(api_port),
        "ARIES_HOST": "127.0.0.1",
        "ARIES_LOG_LEVEL": "WARNING",
        # Small pools: the database server's connections are shared (group commit needs few).
        "ARIES_DB_POOL_SIZE": "1",
        "ARIES_DB_MAX_OVERFLOW": "8",
        "ARIES_READ_POOL_SIZE": "8",
        "ARIES_RATE_LIMIT_PER_MINUTE": "100000000",
        "ARIES_RATE_LIMIT_IP_PER_MINUTE": "100000000",
        "ARIES_REDIS_KEY_PREFIX": prefix,
    }
    username = f"bench-{uuid.uuid4().hex[:8]}"
    _create_user(database_url, redis_url, username)
    with (
        started("api", ["-m", "interfaces.cli", "serve"], env, log_dir) as api_process,
        started("projector", ["-m", "interfaces.cli", "project"], env, log_dir) as projector,
        started(
            "baseline",
            [
                "-m",
                "uvicorn",
                "bench.baseline_app:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(baseline_port),
                "--no-access-log",
                "--log-level",
                "warning",
            ],
            {"BENCH_DATABASE_URL": database_url},
            log_dir,
        ) as baseline_process,
    ):
        wait_until_serving(api, api_process, log_dir / "api.log")
        wait_until_serving(baseline, baseline_process, log_dir / "baseline.log")
        with PeakRss(api_process.pid) as api_rss, PeakRss(projector.pid) as projector_rss:
            _measure_http(
                report,
                api,
                baseline,
                database_url,
                username,
                sizes,
                api_pid=api_process.pid,
                baseline_pid=baseline_process.pid,
            )
        report.add(
            Row(
                "8",
                "peak RSS of the API (aries serve) under figures 1-3",
                "MiB",
                runs([api_rss.peak_mib]),
                note="one sample series over all the HTTP runs",
            ),
            Row(
                "8",
                "peak RSS of the projector (aries project) under figures 1-3",
                "MiB",
                runs([projector_rss.peak_mib]),
            ),
        )


def _measure_http(
    report: Report,
    api: str,
    baseline: str,
    database_url: str,
    username: str,
    sizes: Sizes,
    *,
    api_pid: int,
    baseline_pid: int,
) -> None:
    # Generous: the first /openapi.json builds the schema, slow on a busy machine.
    paths = httpx.get(f"{api}/openapi.json", timeout=60).json().get("paths", {})
    create = _route(paths, r"/v1/patients", "post")
    by_id = _route(paths, r"/v1/patients/\{[^}/]+\}", "get")
    page = _route(paths, r"/v1/patients", "get")
    headers = {"Authorization": f"Bearer {_token(api, username)}"}
    if create is None:
        for figure, metric in (("1", "command"), ("2", "query"), ("3", "read-your-writes")):
            report.not_measured(figure, metric, "POST /v1/patients is not in /openapi.json")
        return
    probe = httpx.post(f"{api}{create}", json=PATIENT, headers=headers)
    if probe.status_code >= 300:
        why = f"POST /v1/patients answered {_problem(probe)}"
        for figure, metric in (("1", "command"), ("2", "query"), ("3", "read-your-writes")):
            report.not_measured(figure, metric, why)
        return

    got = Collected()
    created: list[str] = [probe.json()["id"]]
    row_ids: list[int] = []

    auth = (("Authorization", headers["Authorization"]),)

    def post_patient(index: int) -> Request:
        return Request("POST", create, PATIENT, auth)

    def post_row(index: int) -> Request:
        return Request("POST", "/rows", ROW)

    def remember(into: list[Any]) -> OnResponse:
        def on_response(response: Response) -> None:
            if response.status < 300:
                into.append(response.json()["id"])

        return on_response

    commands = alternate(
        sizes.runs,
        {
            "insert": lambda: run_load(
                baseline,
                post_row,
                connections=sizes.connections,
                total=sizes.commands,
                on_response=remember(row_ids),
                server_pid=baseline_pid,
            ),
            "command": lambda: run_load(
                api,
                post_patient,
                connections=sizes.connections,
                total=sizes.commands,
                on_response=remember(created),
                server_pid=api_pid,
            ),
        },
    )
    got.insert, got.command, got.command_load = (
        commands.of["insert"],
        commands.of["command"],
        commands.load,
    )

    with psycopg.connect(database_url, autocommit=True) as conn:
        deadline = time.monotonic() + 120
        head = int(probe.json().get("position") or 0)
        while _position_of(conn, "patients") < head and time.monotonic() < deadline:
            time.sleep(0.05)

    def get_patient(index: int) -> Request:
        patient_path = by_id.replace(by_id[by_id.index("{") :], created[index % len(created)])  # type: ignore[union-attr]
        return Request("GET", patient_path, headers=auth)

    def get_page(index: int) -> Request:
        return Request("GET", page, headers=auth)  # type: ignore[arg-type]

    def get_row(index: int) -> Request:
        return Request("GET", f"/rows/{row_ids[index % len(row_ids)]}")

    def load_of(url: str, request_for: RequestFor, pid: int) -> Callable[[], LoadResult]:
        return lambda: run_load(
            url,
            request_for,
            connections=sizes.connections,
            total=sizes.queries,
            server_pid=pid,
        )

    queries = {"select": load_of(baseline, get_row, baseline_pid)}
    if by_id:
        queries["by_id"] = load_of(api, get_patient, api_pid)
    if page:
        queries["page"] = load_of(api, get_page, api_pid)
    turns = alternate(sizes.runs, queries)
    got.select = turns.of["select"]
    got.by_id = turns.of.get("by_id", [])
    got.page = turns.of.get("page", [])
    got.query_load = turns.load

    with (
        httpx.Client(base_url=api, headers=headers) as client,
        psycopg.connect(database_url, autocommit=True) as conn,
    ):
        loads = []
        for _ in range(sizes.runs):
            loads.append(load_average())
            got.lag_ms.append(_lag(client, conn, create, sizes.lag_samples))
        got.lag_load = runs(loads)

    _rows(report, got, sizes, by_id, page)


def _lag(client: httpx.Client, conn: psycopg.Connection, create: str, samples: int) -> list[float]:
    """Command answered -> every projection of the patients log has reached its position."""
    lags = []
    for _ in range(samples):
        response = client.post(create, json=PATIENT)
        answered = time.perf_counter()
        position = int(response.json()["position"])
        while _position_of(conn, "patients") < position:
            time.sleep(0.0002)
        lags.append((time.perf_counter() - answered) * 1000)
    return lags


def _cpu_row(
    figure: str,
    what: str,
    results: list[LoadResult],
    baseline: str,
    baselines: list[LoadResult],
    load: Runs | None,
) -> Row:
    """What a request costs the server process in CPU, whatever else shared the cores."""

    def cpu(of: list[LoadResult]) -> list[float]:
        return [r.server_cpu_ms_per_request for r in of if r.server_cpu_ms_per_request is not None]

    return Row(
        figure,
        f"{what}: server CPU per request",
        "ms",
        runs(cpu(results)),
        baseline,
        runs(cpu(baselines)),
        note="the server process's user+system time over the run / requests",
        load=load,
    )


def _rows(
    report: Report, got: Collected, sizes: Sizes, by_id: str | None, page: str | None
) -> None:
    c = sizes.connections
    failures = sum(r.failures for r in got.command)
    report.add(
        Row(
            "1",
            f"command POST /v1/patients, {c} connections",
            "req/s",
            runs([r.per_second for r in got.command]),
            "INSERT via psycopg pool",
            runs([r.per_second for r in got.insert]),
            targets.COMMAND_RATE,
            note=f"{failures} failed" if failures else "",
            load=got.command_load,
        ),
        Row(
            "1",
            "command p50",
            "ms",
            runs([r.percentile(0.5) for r in got.command]),
            "INSERT via psycopg pool",
            runs([r.percentile(0.5) for r in got.insert]),
            load=got.command_load,
        ),
        Row(
            "1",
            "command p99",
            "ms",
            runs([r.percentile(0.99) for r in got.command]),
            "INSERT via psycopg pool",
            runs([r.percentile(0.99) for r in got.insert]),
            targets.COMMAND_P99,
            load=got.command_load,
        ),
        _cpu_row(
            "1", "command", got.command, "INSERT via psycopg pool", got.insert, got.command_load
        ),
    )
    queries = (
        (by_id, got.by_id, "by id", targets.QUERY_BY_ID_RATE),
        (page, got.page, "first page", targets.QUERY_PAGE_RATE),
    )
    load = got.query_load
    for figure_path, results, what, target in queries:
        if figure_path is None:
            report.not_measured("2", f"query {what}", "the route is not in /openapi.json")
            continue
        failures = sum(r.failures for r in results)
        report.add(
            Row(
                "2",
                f"query {what} GET {figure_path}, {c} connections",
                "req/s",
                runs([r.per_second for r in results]),
                "SELECT by PK via psycopg pool",
                runs([r.per_second for r in got.select]),
                target,
                note=f"{failures} failed" if failures else "",
                load=load,
            ),
            Row(
                "2",
                f"query {what} p50",
                "ms",
                runs([r.percentile(0.5) for r in results]),
                "SELECT by PK via psycopg pool",
                runs([r.percentile(0.5) for r in got.select]),
                load=load,
            ),
            Row(
                "2",
                f"query {what} p99",
                "ms",
                runs([r.percentile(0.99) for r in results]),
                "SELECT by PK via psycopg pool",
                runs([r.percentile(0.99) for r in got.select]),
                load=load,
            ),
            _cpu_row(
                "2", f"query {what}", results, "SELECT by PK via psycopg pool", got.select, load
            ),
        )
    report.add(
        Row(
            "3",
            "read-your-writes lag p50 (command answered -> read model at its position)",
            "ms",
            runs([percentile(s, 0.5) for s in got.lag_ms]),
            target=targets.LAG_P50,
            note="one client, sequential; polled every 0.2 ms",
            load=got.lag_load,
        ),
        Row(
            "3",
            "read-your-writes lag p99",
            "ms",
            runs([percentile(s, 0.99) for s in got.lag_ms]),
            target=targets.LAG_P99,
            load=got.lag_load,
        ),
    )
