"""`aries fee-schedules import FILE --payer MCR-DMEB --effective-from 2025-04-01`: import CMS's
quarterly DMEPOS fee schedule file (or, with `--source contract`, a payer's contracted rates)
for one tenant. Importing the same file again records nothing and says so. Shows its progress
(read, parse, record); a refused file prints the rule and exits 1."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from domain.context import EventContext, bound_context
from domain.errors import DomainError
from domain.fee_schedule import CMS_DMEPOS, SOURCES
from interfaces.bootstrap import bootstrap
from interfaces.cli.options import calendar_date
from interfaces.logging import configure_logging
from interfaces.settings import Settings

app = typer.Typer(help="Fee schedules: CMS DMEPOS files and contracted rates.",
                  no_args_is_help=True)
console = Console(stderr=True)
STEPS = ("read", "parse", "record")


@app.command("import")
def import_file(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
    payer: str = typer.Option(..., "--payer", help="the payer it prices, e.g. MCR-DMEB"),
    effective_from: str = typer.Option(
        ..., "--effective-from", help="first date of service it prices (CMS: a quarter start)"
    ),
    source: str = typer.Option(CMS_DMEPOS, "--source", help=" or ".join(SOURCES)),
    tenant: str = typer.Option(..., "--tenant", help="the tenant whose schedule it is"),
) -> None:
    """Import the file; nothing is recorded when the same file was imported before."""
    day = calendar_date(effective_from)
    settings = Settings()
    configure_logging(settings.log_level, json=settings.json_logs)
    aries = bootstrap(settings)
    try:
        with (
            bound_context(EventContext(tenant_id=tenant, actor_id="cli:fee-schedules",
                                       actor_role="biller")),
            Progress(
                TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                console=console,
            ) as progress,
        ):
            task = progress.add_task(f"importing {file.name}", total=len(STEPS))

            def step(name: str) -> None:
                progress.update(
                    task, completed=STEPS.index(name), description=f"{name} {file.name}"
                )

            result = aries.fee_schedules.import_file(
                payer_id=payer, source=source, effective_from=day, file_name=file.name,
                content=file.read_bytes(), progress=step,
            )
            progress.update(task, completed=len(STEPS))
    except DomainError as refused:
        console.print(f"refused: {getattr(refused, 'rule', type(refused).__name__)}: {refused}")
        raise typer.Exit(1) from None
    finally:
        aries.close()
    said = "imported" if result.imported else "already imported (nothing recorded)"
    console.print(
        f"{file.name}: {said}: schedule {result.schedule_id}, {result.row_count} rows, "
        f"{payer} from {day}"
    )
