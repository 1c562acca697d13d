"""`aries projections ...`: read-model status and rebuilds."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from interfaces.bootstrap import bootstrap
from interfaces.logging import configure_logging
from interfaces.settings import Settings

app = typer.Typer(help="Read models (projections): status and rebuilds.", no_args_is_help=True)
console = Console(stderr=True)


class EventsPerSecondColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        label = f"{speed:,.0f} events/s" if speed else "- events/s"
        return Text(label, style="progress.data.speed")


@app.command("status")
def status_command() -> None:
    """Show each projection's position, upstream head and lag."""
    from projections.runner import status

    settings = Settings()
    configure_logging(settings.log_level, json=settings.json_logs)
    aries = bootstrap(settings)
    try:
        rows = status(aries)
    finally:
        aries.close()
    table = Table(title="Projections")
    for column in ("projection", "upstream"):
        table.add_column(column)
    for column in ("position", "head", "lag"):
        table.add_column(column, justify="right")
    for row in rows:
        lag_style = "green" if row.lag == 0 else "yellow"
        table.add_row(
            row.projection,
            row.upstream,
            f"{row.position:,}",
            f"{row.head:,}",
            Text(f"{row.lag:,}", style=lag_style),
        )
    Console().print(table)


@app.command("rebuild")
def rebuild_command(
    name: str = typer.Argument(..., help="projection to rebuild (see `aries projections status`)"),
    batch_size: int = typer.Option(
        None, min=1, help="events per transaction (default: the projection's)"
    ),
) -> None:
    """Rebuild NAME from position 0 into fresh tables, then swap them in (no downtime)."""
    from projections.runner import rebuild

    settings = Settings()
    configure_logging(settings.log_level, json=settings.json_logs)
    aries = bootstrap(settings)
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        EventsPerSecondColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
    )
    try:
        with progress:
            task = progress.add_task(f"rebuilding {name}", total=None)

            def report(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            result = rebuild(aries, name, report, batch_size=batch_size)
    finally:
        aries.close()
    console.print(
        f"[bold green]rebuilt {result.projection}[/]: {result.events:,} events in "
        f"{result.seconds:.1f}s ({result.events_per_second:,.0f} events/s), swapped in"
    )
    console.print(
        "  " + ", ".join(f"{step} {seconds:.2f}s" for step, seconds in result.steps.items())
    )
