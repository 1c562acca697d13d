"""Long-running processes: the API, the projector, the workers; and demo data."""

from __future__ import annotations

import typer
import uvicorn
from rich.console import Console

from interfaces.bootstrap import bootstrap, require_urls
from interfaces.http.server import HeaderTimeoutProtocol
from interfaces.logging import configure_logging
from interfaces.preflight import check_database, check_redis
from interfaces.settings import Settings

console = Console(stderr=True)


def serve(
    workers: int = typer.Option(1, min=1, help="uvicorn worker processes"),
) -> None:
    """Serve the HTTP API (needs ARIES_DATABASE_URL and ARIES_REDIS_URL)."""
    settings = Settings()
    database_url, redis_url = require_urls(settings)
    check_database(database_url, settings.connect_timeout_seconds)
    check_redis(redis_url, settings.connect_timeout_seconds)
    configure_logging(settings.log_level, json=settings.json_logs)
    if workers > 1:
        _share_metrics_between_workers()
    uvicorn.run(
        "interfaces.http.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=workers,
        log_config=None,
        access_log=False,
        # Headers must arrive within settings.http_header_timeout_seconds (slowloris); idle
        # keep-alive connections close after settings.http_keep_alive_seconds.
        http=HeaderTimeoutProtocol,
        timeout_keep_alive=settings.http_keep_alive_seconds,
    )


def _share_metrics_between_workers() -> None:
    """prometheus_client's multiprocess mode for the uvicorn workers (they start after this and
    read the variable when they import it): each writes its samples under the directory, and
    any of them answers /metrics with the sum. The directory is emptied first, or the last
    run's counts would be added in."""
    import os
    import tempfile
    from pathlib import Path

    from interfaces.http.metrics import MULTIPROCESS_DIR

    directory = Path(os.environ.get(MULTIPROCESS_DIR) or tempfile.mkdtemp(prefix="aries-metrics-"))
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()
    os.environ[MULTIPROCESS_DIR] = str(directory)


def project(
    names: list[str] = typer.Argument(None, help="projections to run (default: all)"),
    metrics_port: int = typer.Option(
        0, min=0, max=65535,
        help="serve Prometheus metrics (position, lag, batches) on this port; 0: "
        "ARIES_PROJECTOR_METRICS_PORT, or off",
    ),
) -> None:
    """Run projectors: follow the event logs and keep read-model tables current."""
    from prometheus_client import start_http_server

    from projections.runner import run_projectors

    settings = Settings()
    configure_logging(settings.log_level, json=settings.json_logs)
    metrics_port = metrics_port or settings.projector_metrics_port or 0
    if metrics_port:
        start_http_server(metrics_port, addr=settings.host)
    aries = bootstrap(settings)
    try:
        failed = run_projectors(aries, names or None)
    finally:
        aries.close()
    if failed:
        for failure in failed.values():
            console.print(f"[bold red]{failure}[/]")
        raise typer.Exit(1)


def worker(
    metrics_port: int = typer.Option(
        None, min=1, max=65535,
        help="serve /metrics on this port (default: ARIES_WORKER_METRICS_PORT)",
    ),
) -> None:
    """Run reactions and Dramatiq workers (side effects: clearinghouse, summaries,
    remittances) and the claims process manager. SIGTERM stops it gracefully."""
    from interfaces.workers.main import run_workers

    settings = Settings()
    configure_logging(settings.log_level, json=settings.json_logs)
    aries = bootstrap(settings)
    try:
        run_workers(aries, metrics_port=metrics_port)
    finally:
        aries.close()


def seed(
    patients: int = typer.Option(25, min=0, help="demo patients to create"),
) -> None:
    """Load demo data (users, patients, orders). Running it again adds nothing twice."""
    from interfaces.embedded import require_extra

    require_extra("`aries seed`", "faker")
    from interfaces.cli.demo import seed_demo

    settings = Settings()
    configure_logging(settings.log_level, json=settings.json_logs)
    aries = bootstrap(settings)
    try:
        seed_demo(aries, patients=patients, console=console)
    finally:
        aries.close()
