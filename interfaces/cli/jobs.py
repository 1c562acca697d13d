"""`aries jobs ...`: dead letters of the side-effect workers, and sending them again."""

from __future__ import annotations

import json
from uuid import UUID

import typer
from rich.console import Console
from rich.table import Table

from interfaces.bootstrap import bootstrap
from interfaces.logging import configure_logging
from interfaces.settings import Settings

app = typer.Typer(help="Side-effect jobs: dead letters and retries.", no_args_is_help=True)
err = Console(stderr=True)


@app.command("dead")
def dead_command(
    as_json: bool = typer.Option(False, "--json", help="one JSON object per line"),
) -> None:
    """List dead jobs (retries exhausted or failed for good): job id, actor, reason, when."""
    from interfaces.workers.broker import build_broker
    from interfaces.workers.deadletters import dead_letters
    from interfaces.workers.jobs import JobStore

    settings = Settings()
    configure_logging(settings.log_level, json=settings.json_logs)
    aries = bootstrap(settings)
    store = JobStore(aries.read_engine)
    broker = build_broker(settings, store)
    try:
        dead = dead_letters(broker, store)
    finally:
        broker.shutdown()
        aries.close()
    if as_json:
        for job in dead:
            typer.echo(
                json.dumps(
                    {
                        "job_id": str(job.job_id) if job.job_id else None,
                        "actor": job.actor,
                        "reason": job.reason,
                        "dead_at": job.dead_at.isoformat(),
                        "message_id": job.message_id,
                        "in_broker": job.in_broker,
                    }
                )
            )
        return
    table = Table(title=f"Dead jobs ({len(dead)})")
    table.add_column("job id", no_wrap=True)
    table.add_column("actor", no_wrap=True)
    table.add_column("reason")
    table.add_column("dead since (UTC)", no_wrap=True)
    for job in dead:
        table.add_row(
            str(job.job_id or "-"),
            job.actor,
            job.reason + ("" if job.in_broker else " (expired from the broker)"),
            job.dead_at.strftime("%Y-%m-%d %H:%M:%S"),
        )
    Console().print(table)


@app.command("retry")
def retry_command(job_id: UUID = typer.Argument(..., help="a dead job's id")) -> None:
    """Send dead job JOB_ID again (with the other jobs its message carried)."""
    from interfaces.workers.broker import build_broker, job_ids_of
    from interfaces.workers.deadletters import NotDead, retry
    from interfaces.workers.jobs import JobStore

    settings = Settings()
    configure_logging(settings.log_level, json=settings.json_logs)
    aries = bootstrap(settings)
    store = JobStore(aries.read_engine)
    broker = build_broker(settings, store)
    try:
        message = retry(broker, store, job_id)
    except NotDead as refused:
        err.print(f"[bold red]aries:[/] {refused}")
        raise typer.Exit(1) from None
    finally:
        broker.shutdown()
        aries.close()
    jobs = job_ids_of(message)
    err.print(
        f"queued again: {', '.join(str(j) for j in jobs)} "
        f"(actor {message.actor_name}, message {message.message_id})"
    )
