"""`aries dev`: everything on one machine, from nothing.

Where no URLs are configured it starts an embedded PostgreSQL and Valkey under the data folder,
migrates, seeds demo data, and runs the API with the projector and workers beside it in this
process. Ctrl-C stops all of it, embedded servers included.
"""

from __future__ import annotations

import threading

import typer
import uvicorn
from rich.console import Console

import migrations
from interfaces.bootstrap import bootstrap
from interfaces.embedded import EmbeddedServers, require_extra
from interfaces.logging import configure_logging
from interfaces.settings import Settings
from interfaces.workers.main import run_workers
from projections.runner import run_projectors

console = Console(stderr=True)



def dev(
    demo_patients: int = typer.Option(25, min=0, help="synthetic patients to seed"),
) -> None:
    """Start Aries with embedded PostgreSQL and Valkey (when no URLs are set), demo data, API,
    projector and workers."""
    settings = Settings()
    configure_logging(settings.log_level, json=settings.json_logs)
    require_extra("`aries dev` (demo data)", "faker")
    embedded = None
    if not settings.database_url or not settings.redis_url:
        console.print(f"starting embedded PostgreSQL and Valkey under {settings.data_dir}/ ...")
        embedded = EmbeddedServers(settings.data_dir).__enter__()
        settings = settings.model_copy(
            update={
                "database_url": settings.database_url or embedded.urls.database_url,
                "redis_url": settings.redis_url or embedded.urls.redis_url,
            }
        )
    try:
        _run(settings, demo_patients)
    finally:
        if embedded is not None:
            console.print("stopping embedded servers ...")
            embedded.close()


def _run(settings: Settings, demo_patients: int) -> None:
    # Here, not at the top: every `aries` command imports this module, and Faker is for dev only.
    from interfaces.cli.demo import DEMO_LOGIN, DEMO_PASSWORD, seed_demo

    assert settings.database_url is not None
    migrations.upgrade(settings.database_url)
    aries = bootstrap(settings)
    stop = threading.Event()
    background: list[threading.Thread] = []
    try:
        seed_demo(aries, patients=demo_patients, console=console)
        background = _start_background(aries, stop)
        from interfaces.http.app import create_app

        server = uvicorn.Server(
            uvicorn.Config(
                create_app(aries),
                host=settings.host,
                port=settings.port,
                log_config=None,
                access_log=False,
            )
        )
        url = f"http://{settings.host}:{settings.port}"
        console.print(
            f"\n[bold green]Aries is running[/] at {url}  (API docs: {url}/docs)\n"
            f"demo login: [bold]{DEMO_LOGIN}[/] / [bold]{DEMO_PASSWORD}[/]"
            "   Ctrl-C stops everything\n"
        )
        server.run()
    finally:
        stop.set()
        for thread in background:
            thread.join(timeout=10)
        aries.close()


def _start_background(aries, stop: threading.Event) -> list[threading.Thread]:
    """The projector and the workers, beside the API, until `stop` is set."""
    threads = [
        threading.Thread(
            target=run_projectors, args=(aries, None), kwargs={"stop": stop},
            name="projector", daemon=True,
        ),
        threading.Thread(
            target=run_workers, args=(aries,), kwargs={"stop": stop},
            name="workers", daemon=True,
        ),
    ]
    for thread in threads:
        thread.start()
    return threads
